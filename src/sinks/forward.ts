/**
 * Sink: output records → a Fluentd/Fluent Bit forward-protocol peer (TCP host:port or unix socket),
 * through @fluent-org/logger in PackedForward mode, each event stamped with its audit time as an
 * EventTime (sub-second precision). Delivery: every event is held until the client reports it
 * written (or, with ack, acknowledged by the peer); a failed send is retried with back-off, so a
 * peer that is down or restarts loses nothing (with ack, at-least-once: a retry after a lost ack
 * can duplicate). At most maxPending events are held: beyond that the input is paused (drain()),
 * never dropped. end() waits for pending events up to endTimeoutMs and reports what is left.
 */
import { EventTime, FluentClient, FluentSocketEvent } from '@fluent-org/logger'
import type { Sink } from './sink.js'
import { parseForwardTarget } from './forward-target.js'

export interface ForwardOptions {
  /** "host:port", "[v6]:port", or "unix:/path/to.sock" */
  target: string
  tag: string
  ack: boolean
  /** Events held (not yet delivered) before the input is paused. */
  maxPending: number
  /** How long end() waits for pending events. */
  endTimeoutMs: number
  /** Reports connection trouble (stderr in the CLI). */
  warn: (message: string) => void
}

const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5000
/**
 * At most this many events are handed to the client at once. The client packs everything it holds
 * for a tag into one PackedForward message; after an outage that could be every pending event,
 * megabytes more than Fluent Bit's forward input accepts (Buffer_Max_Size, 6 MB by default), which
 * would close the connection and retry forever. The rest wait here, in order.
 */
const IN_CLIENT_MAX = 1000

interface Queued { record: Record<string, unknown>, time: EventTime, delay: number }

export class ForwardSink implements Sink {
  closed = false
  error: Error | null = null
  readonly #client: FluentClient
  readonly #opts: ForwardOptions
  #pending = 0
  /** Events not yet handed to the client (new ones, and failed ones waiting to be sent again). */
  readonly #queue: Queued[] = []
  #queueHead = 0
  /** Events handed to the client whose send has not settled. */
  #inClient = 0
  #sent = 0
  #delivered = 0
  #retries = 0
  #waiters: Array<() => void> = []
  #drainers: Array<() => void> = []
  #ending = false
  #warnedDown = false

  constructor (opts: ForwardOptions) {
    this.#opts = opts
    const target = parseForwardTarget(opts.target)
    this.#client = new FluentClient(opts.tag, {
      eventMode: 'PackedForward',
      socket: {
        ...target,
        reconnect: { backoff: 2, delay: RETRY_MIN_MS, maxDelay: RETRY_MAX_MS }
      },
      ...(opts.ack ? { ack: { ackTimeout: 5000 } } : {}),
      flushInterval: 0
    })
    this.#client.socketOn(FluentSocketEvent.ERROR, (err: Error) => {
      if (!this.#warnedDown) opts.warn(`forward peer ${opts.target}: ${err.message}; retrying`)
      this.#warnedDown = true
    })
    this.#client.socketOn(FluentSocketEvent.ESTABLISHED, () => {
      if (this.#warnedDown) opts.warn(`forward peer ${opts.target}: connected`)
      this.#warnedDown = false
    })
  }

  write (record: unknown, timeMs: number): void {
    const time = new EventTime(Math.floor(timeMs / 1000), (timeMs % 1000) * 1e6)
    this.#pending++
    this.#sent++
    this.#queue.push({ record: record as Record<string, unknown>, time, delay: RETRY_MIN_MS })
    this.#pump()
  }

  /** Hands queued events to the client, up to IN_CLIENT_MAX at once. */
  #pump (): void {
    while (this.#inClient < IN_CLIENT_MAX && this.#queueHead < this.#queue.length) {
      const item = this.#queue[this.#queueHead++] as Queued
      this.#send(item)
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0
      this.#queueHead = 0
    }
  }

  /** Sends one event; a rejection (peer down, ack timeout) queues it again after a back-off. */
  #send (item: Queued): void {
    this.#inClient++
    this.#client.emit(item.record, item.time).then(() => {
      this.#inClient--
      this.#delivered++
      this.#pending--
      this.#pump()
      this.#wake()
    }, () => {
      this.#inClient--
      this.#retries++
      // Not unref()'d: while events wait for a retry, this timer is what keeps the process alive
      // (stdin may have ended and the client's socket be closed); unref'd, Node would exit with
      // status 0 and the events would be lost silently.
      setTimeout(() => {
        item.delay = Math.min(item.delay * 2, RETRY_MAX_MS)
        this.#queue.push(item)
        this.#pump()
      }, item.delay)
    })
  }

  flush (): boolean {
    return this.#pending < this.#opts.maxPending
  }

  async drain (): Promise<void> {
    if (this.#pending < this.#opts.maxPending / 2) return
    await new Promise<void>(resolve => this.#drainers.push(resolve))
  }

  async settled (): Promise<void> {
    if (this.#pending === 0) return
    await new Promise<void>(resolve => this.#waiters.push(resolve))
  }

  async end (): Promise<void> {
    this.#ending = true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, this.#opts.endTimeoutMs) })
    await Promise.race([this.settled(), timeout])
    clearTimeout(timer)
    if (this.#pending > 0) {
      this.error = new Error(`${this.#pending} events not delivered to ${this.#opts.target} within ${this.#opts.endTimeoutMs} ms`)
    }
    await this.#client.shutdown().catch(() => {})
  }

  reopen (): void {}

  stats (): Record<string, number> {
    return { sent: this.#sent, delivered: this.#delivered, retries: this.#retries, pending: this.#pending }
  }

  #wake (): void {
    if (this.#pending === 0) {
      const waiters = this.#waiters
      this.#waiters = []
      for (const w of waiters) w()
    }
    if (this.#pending < this.#opts.maxPending / 2 || this.#ending) {
      const drainers = this.#drainers
      this.#drainers = []
      for (const d of drainers) d()
    }
  }
}
