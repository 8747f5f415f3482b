/**
 * Sink: output records → JSON lines on stdout or an appended file.
 * In: one record per kept event. Out: batched writes (one per input chunk, not one per event) with
 * the Writable's backpressure passed back, write completions tracked for --confirm, and SIGHUP
 * reopening of a file after logrotate. A batch is the bytes of its lines written into a JsonWriter,
 * not a string: no pieces of text to join, flatten, encode and collect. A reader that goes away (EPIPE, `netfilter … | head`) marks
 * the sink closed instead of failing; any other write error (ENOSPC, EACCES) is fatal and reported.
 */
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import type { Sink } from './sink.js'
import { JsonWriter } from './json-writer.js'
import { writeJsonRecord } from './json-value.js'

/** Writes a record's JSON text (no newline): JSON.stringify's bytes, written by a writer made for them. */
export type RecordEncoder = (w: JsonWriter, record: unknown) => void

export class JsonLinesSink implements Sink {
  closed = false
  error: Error | null = null
  #out: Writable
  readonly #open: (() => Writable) | null
  /** The batch: JSON lines not yet handed to the Writable. */
  #batch = new JsonWriter()
  #written = 0
  #reopened = 0
  /** Writes handed to the Writable whose callback has not come yet, and who waits for them. */
  #pending = 0
  #waiters: Array<() => void> = []

  readonly #encode: RecordEncoder

  /**
   * @param out the Writable to write to, or a function opening it (a file, so it can be reopened)
   * @param encode writes a record's JSON text: any record by default (json-value.ts), or a writer
   *   made for one record shape that writes the same bytes faster (formats/native.ts)
   */
  constructor (out: Writable | (() => Writable), encode: RecordEncoder = writeJsonRecord) {
    this.#open = typeof out === 'function' ? out : null
    this.#out = this.#attach(typeof out === 'function' ? out() : out)
    this.#encode = encode
  }

  static toFile (path: string, encode?: RecordEncoder): JsonLinesSink {
    return new JsonLinesSink(() => createWriteStream(path, { flags: 'a' }), encode)
  }

  write (record: unknown): void {
    this.#encode(this.#batch, record)
    this.#batch.byte(0x0a)
    this.#written++
  }

  flush (): boolean {
    if (this.#batch.length === 0 || this.closed || this.error !== null) {
      this.#batch.truncate(0)
      return !this.closed && this.error === null
    }
    const batch = this.#batch.take()
    this.#pending++
    return this.#out.write(batch, err => {
      if (err !== null && err !== undefined) this.#fail(err)
      else this.#batch.recycle(batch)
      this.#pending--
      if (this.#pending === 0) this.#wake()
    })
  }

  async drain (): Promise<void> {
    const out = this.#out
    if (this.closed || this.error !== null || !out.writableNeedDrain) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        out.off('drain', done)
        out.off('close', done)
        out.off('error', done)
        resolve()
      }
      out.on('drain', done)
      out.on('close', done)
      out.on('error', done)
    })
  }

  async settled (): Promise<void> {
    if (this.#pending === 0 || this.closed || this.error !== null) return
    await new Promise<void>(resolve => this.#waiters.push(resolve))
  }

  async end (): Promise<void> {
    this.flush()
    await this.settled()
    if (this.#open !== null && !this.closed) await new Promise<void>(resolve => this.#out.end(resolve))
  }

  reopen (): void {
    if (this.#open === null || this.error !== null) return
    this.flush()
    const old = this.#out
    // The old stream finishes its queued writes to the renamed file, then closes.
    old.end()
    this.#out = this.#attach(this.#open())
    this.#reopened++
  }

  stats (): Record<string, number> {
    return { written: this.#written, reopened: this.#reopened }
  }

  #attach (out: Writable): Writable {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
        this.closed = true
        this.#wake()
      } else {
        this.#fail(err)
      }
    })
    return out
  }

  #fail (err: Error): void {
    if (this.error === null && !(this.closed && (err as NodeJS.ErrnoException).code === 'EPIPE')) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') this.closed = true
      else this.error = err
    }
    this.#wake()
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
