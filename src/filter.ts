/**
 * The filter core, without I/O: bytes in, JSON lines out.
 * Wires the stages together — lines → record headers → events → selection → output records — and
 * keeps the counters that --stats prints. The caller (pipeline.ts) owns streams, timers and signals.
 */
import { LineSplitter } from './lines/line-splitter.js'
import { latin1 } from './lines/latin1.js'
import {
  HEADER_FOREIGN, HEADER_OK, KIND_OTHER, KIND_EOE, KIND_PROCTITLE, KIND_SYSCALL, RecordHeader, isInterpretedRecord, scanHeader
} from './records/header.js'
import { SyscallId, readSyscallId } from './records/syscall-id.js'
import { callClass, mayBeNetwork, wholeWith } from './selection/socket-calls.js'
import { EventAssembler, type CompletionReason, type PendingEvent } from './events/assembler.js'
import { DEFAULT_KEEP_FAMILIES, DROP_REASONS, selectEvent, type DropReason, type Verdict } from './selection/select.js'
import { buildNetworkEvent, callArgument, type NetworkEvent } from './events/network-event.js'
import { FILTER_NAMES, NO_FILTERS, compileFilters, type EventFilter, type FilterName, type FilterSettings } from './selection/filters.js'
import { SocketContext } from './context/socket-context.js'
import { findField } from './records/find-field.js'

export interface FilterOptions {
  /** See AssemblerOptions. */
  eventTimeoutMs: number
  maxInflight: number
  /** Address families whose events are kept. */
  keepFamilies: ReadonlySet<number>
  /** Longer lines are dropped and counted as malformed. */
  maxLineBytes: number
  /** The user's filters on kept events. */
  filters: FilterSettings
  /**
   * Also keep accept/accept4 calls that logged no address (libuv's accept4(fd, NULL, NULL)) when
   * their listening fd is known to be inet/inet6. Off by default: the selection then is exactly
   * "an inet/inet6 SOCKADDR, or socket() of inet/inet6", as libauparse-based tools would select.
   */
  acceptWithoutAddress: boolean
}

export const DEFAULT_FILTER_OPTIONS: FilterOptions = {
  eventTimeoutMs: 2000,
  maxInflight: 16384,
  keepFamilies: DEFAULT_KEEP_FAMILIES,
  maxLineBytes: 1 << 20,
  filters: NO_FILTERS,
  acceptWithoutAddress: false
}

/** The --stats summary. */
export interface Stats {
  lines: number
  records: number
  events: number
  kept: number
  dropped: Record<DropReason, number>
  /** Network events the user's filters removed, by filter. */
  filtered: Record<FilterName, number>
  /** Lines that started like an audit record but could not be read, plus overlong lines. */
  malformed: number
  /** Lines without "type=": other programs' output mixed into the stream. */
  foreign: number
  /** Records of an event already emitted, of a kind it had (re-delivered input): dropped. */
  duplicates: number
  /** Records of an event already emitted, of a kind it lacked: emitted as a new, partial event. */
  late: number
  /** Events completed early because too many were in flight. */
  evicted: number
  /** Kept events whose address could not be decoded (emitted with decode_error). */
  decode_errors: number
  /** Events still waiting for their last record. */
  inflight: number
  /**
   * Kernel serials that never arrived (lost events) and numbering restarts, per node. Past
   * MAX_NODES nodes, those with nothing in flight are forgotten (forgotten_nodes, only then); their
   * counts stay in the totals.
   */
  sequence: { lost: number, resets: number, nodes: Array<{ node: string | null, lost: number, resets: number }>, forgotten_nodes?: number }
  /** Sockets whose state (transport, bound address) is remembered. */
  sockets: number
}

/** Receives each kept event, with its audit time in ms (sec * 1000 + millis of its id). */
export type OutputHandler = (event: NetworkEvent, timeMs: number) => void

export class NetFilter {
  readonly #splitter: LineSplitter
  readonly #assembler: EventAssembler
  readonly #header = new RecordHeader()
  readonly #call = new SyscallId()
  readonly #keepFamilies: ReadonlySet<number>
  readonly #acceptWithoutAddress: boolean
  readonly #onEvent: OutputHandler
  readonly #filter: EventFilter | null
  readonly #context = new SocketContext()
  /** Wall-clock time of the chunk being processed, stamped on its records for the idle timeout. */
  #now = 0
  /** Last node name and its bytes: node names repeat on every line, so the string is reused. */
  #nodeBytes: Buffer | null = null
  #nodeName: string | null = null

  #lines = 0
  #records = 0
  #kept = 0
  #malformed = 0
  /** Malformed lines in the form `ausearch -i` prints (isInterpretedRecord). */
  #interpreted = 0
  #foreign = 0
  #decodeErrors = 0
  readonly #dropped: Record<DropReason, number>
  readonly #filtered: Record<FilterName, number>

  constructor (onEvent: OutputHandler, opts: Partial<FilterOptions> = {}) {
    const o = { ...DEFAULT_FILTER_OPTIONS, ...opts }
    this.#onEvent = onEvent
    this.#keepFamilies = o.keepFamilies
    this.#acceptWithoutAddress = o.acceptWithoutAddress
    this.#splitter = new LineSplitter((buf, s, e, view) => this.#line(buf, s, e, view), o.maxLineBytes)
    this.#assembler = new EventAssembler((ev, why) => this.#complete(ev, why), {
      eventTimeoutMs: o.eventTimeoutMs,
      maxInflight: o.maxInflight
    })
    this.#dropped = Object.fromEntries(DROP_REASONS.map(r => [r, 0])) as Record<DropReason, number>
    this.#filtered = Object.fromEntries(FILTER_NAMES.map(r => [r, 0])) as Record<FilterName, number>
    this.#filter = compileFilters(o.filters)
  }

  /**
   * Feeds a chunk of input. now is when it arrived, in ms of a clock that does not go back (a time
   * that does is taken as the clock standing still), for the idle timeout; 0 when the input is not
   * live (a file read through), which has no idle timeout.
   */
  push (chunk: Buffer, now = 0): void {
    this.#now = now
    this.#splitter.push(chunk)
  }

  /** Completes events idle for idleMs; returns the next deadline (ms) or -1 if nothing waits. */
  sweepIdle (now: number, idleMs: number): number {
    return this.#assembler.sweepIdle(now, idleMs)
  }

  /** End of one input file: its last line ends there, even without a newline. */
  endOfFile (): void {
    this.#splitter.end()
  }

  /**
   * Reading stopped early (a signal): the start of a line whose end was never read is dropped, not
   * read as a record cut short. Returns its length in bytes.
   */
  dropPartialLine (): number {
    return this.#splitter.discard()
  }

  /** End of all input: the last partial line is read and every pending event is completed. */
  end (): void {
    this.#splitter.end()
    this.#assembler.flush()
  }

  get inflight (): number {
    return this.#assembler.inflight
  }

  /** Lines that were records as `ausearch -i` prints them, which are counted malformed. */
  get interpretedLines (): number {
    return this.#interpreted
  }

  /** Complete lines read so far (for --confirm's one OK per line). */
  get linesRead (): number {
    return this.#lines + this.#splitter.overlong
  }

  stats (): Stats {
    const a = this.#assembler.counters
    return {
      lines: this.#lines + this.#splitter.overlong,
      records: this.#records,
      events: a.events,
      kept: this.#kept,
      dropped: { ...this.#dropped },
      filtered: { ...this.#filtered },
      malformed: this.#malformed + this.#splitter.overlong,
      foreign: this.#foreign,
      duplicates: a.duplicates,
      late: a.late,
      evicted: a.evicted,
      decode_errors: this.#decodeErrors,
      inflight: this.#assembler.inflight,
      sequence: this.#sequence(),
      sockets: this.#context.table.size
    }
  }

  #line (buf: Buffer, start: number, end: number, view: DataView): void {
    this.#lines++
    if (end === start) return
    const h = this.#header
    const r = scanHeader(buf, start, end, h, view)
    if (r !== HEADER_OK) {
      if (r === HEADER_FOREIGN) this.#foreign++
      else {
        this.#malformed++
        if (isInterpretedRecord(buf, start, end)) this.#interpreted++
      }
      return
    }
    this.#records++
    const node = h.nodeStart < 0 ? null : this.#node(buf, h.nodeStart, h.nodeEnd)
    const kind = h.kind
    if (kind === KIND_SYSCALL) {
      this.#syscall(buf, end, view, node)
      return
    }
    if (kind === KIND_OTHER && this.#assembler.addOther(node, h.sec, h.ms, h.serial, this.#now)) return
    // Only the bodies the selection reads are turned into strings; the rest (PATH, CWD, EXECVE…)
    // are counted and forgotten, and so are the PROCTITLEs of events set aside (#syscall). latin1
    // is a plain byte copy; the kernel's own fields are ASCII (it hex-encodes anything else), and
    // decoders re-read UTF-8 where it can occur.
    const body = kind === KIND_OTHER || kind === KIND_EOE ||
      (kind === KIND_PROCTITLE && this.#assembler.isQuiet(node, h.sec, h.ms, h.serial))
      ? null
      : latin1(buf, h.bodyStart, end)
    this.#assembler.push(node, h.sec, h.ms, h.serial, kind, body, this.#now)
  }

  /**
   * A SYSCALL record. Its arch and number are read in place; a call that can never be a network
   * event (execve, open, … — selection/socket-calls.ts) sets its event aside: neither this body nor
   * the PROCTITLE's is made into a string, and selection drops it from the numbers alone. Rules
   * that audit execve make such events common (over half of those in the bench corpus), and their
   * bodies are the longest records.
   */
  #syscall (buf: Buffer, end: number, view: DataView, node: string | null): void {
    const h = this.#header
    const c = this.#call
    let archValue = -1
    let callNumber = -1
    let quiet = false
    let whole = 0
    if (readSyscallId(buf, h.bodyStart, end, c, view)) {
      archValue = c.arch
      callNumber = c.number
      const cls = callClass(archValue, callNumber)
      quiet = !mayBeNetwork(cls) && !this.#assembler.hasSockaddr(node, h.sec, h.ms, h.serial)
      whole = wholeWith(cls)
    }
    const body = quiet ? null : latin1(buf, h.bodyStart, end)
    this.#assembler.push(node, h.sec, h.ms, h.serial, KIND_SYSCALL, body, this.#now, archValue, callNumber, quiet, whole)
  }

  #node (buf: Buffer, s: number, e: number): string {
    const last = this.#nodeBytes
    if (last !== null && last.length === e - s && buf.compare(last, 0, last.length, s, e) === 0) {
      return this.#nodeName as string
    }
    this.#nodeBytes = Buffer.from(buf.subarray(s, e))
    this.#nodeName = buf.toString('utf8', s, e)
    return this.#nodeName
  }

  #sequence (): Stats['sequence'] {
    const nodes = this.#assembler.sequence().map(n => ({ node: n.node, lost: n.lost + n.pending, resets: n.resets }))
    const forgotten = this.#assembler.forgotten
    const totals = {
      lost: nodes.reduce((sum, n) => sum + n.lost, forgotten.lost),
      resets: nodes.reduce((sum, n) => sum + n.resets, forgotten.resets),
      nodes
    }
    // Only when it happened (more than MAX_NODES nodes): their counts are in the totals above.
    return forgotten.nodes === 0 ? totals : { ...totals, forgotten_nodes: forgotten.nodes }
  }

  #complete (ev: PendingEvent, _why: CompletionReason): void {
    if (ev.quiet === true) {
      // Set aside (#syscall): a call that is never a network event, and no SOCKADDR came with it,
      // which is what selectEvent would say without being asked (over half of the events here).
      this.#dropped.not_network++
      return
    }
    let v = selectEvent(ev, this.#keepFamilies)
    if (!v.keep && v.reason === 'not_network' && this.#acceptWithoutAddress) v = this.#addresslessAccept(ev, v)
    if (!v.keep) {
      this.#dropped[v.reason ?? 'not_network']++
      // A socket of another family on the fd makes what was known of it stale. AF_UNSPEC (0) is not
      // a socket: connect(AF_UNSPEC) only dissolves a UDP socket's association.
      if (v.reason === 'unix' || v.reason === 'netlink' || v.reason === 'packet' || (v.reason === 'other_family' && v.family > 0)) {
        this.#forgetSocket(ev, v)
      }
      return
    }
    const out = buildNetworkEvent(ev, v)
    if (out.decode_error !== undefined) this.#decodeErrors++
    // Socket state is kept for filtered events too: a bind the filters hide still names the port
    // that later accepts on that socket arrived on.
    this.#context.apply(out, ev.timeMs)
    const rejected = this.#filter === null ? null : this.#filter(out)
    if (rejected !== null) {
      this.#filtered[rejected]++
      return
    }
    this.#kept++
    this.#onEvent(out, ev.timeMs)
  }

  /**
   * accept(fd, NULL, NULL) — what libuv, and so every Node.js server, calls — gives the kernel no
   * address to log, so the event has no SOCKADDR. When the listening fd is known from its socket()
   * or bind() to be inet/inet6, it is a network event all the same: kept, with no remote, and the
   * local address and transport from the listener. Failed ones (EAGAIN: the poll that ends each
   * batch of accepts) say nothing and stay dropped.
   */
  #addresslessAccept (ev: PendingEvent, v: Verdict): Verdict {
    if ((v.syscall !== 'accept' && v.syscall !== 'accept4') || ev.sockaddrs !== null || ev.syscall === null) return v
    if (this.#context.table.size === 0) return v
    const exit = Number(findField(ev.syscall, 'exit'))
    const pid = Number(findField(ev.syscall, 'pid'))
    const fd = callArgument(ev, v, 'a0')
    if (!(exit >= 0) || !Number.isInteger(pid) || fd === null) return v
    const state = this.#context.table.get(ev.node, pid, fd, ev.timeMs)
    if (state === null || !this.#keepFamilies.has(state.family)) return v
    return { ...v, keep: true, reason: null, sockaddrIndex: -1, family: state.family }
  }

  /** A dropped event put another family's socket on an fd: what netfilter knew of that fd is stale. */
  #forgetSocket (ev: PendingEvent, v: Verdict): void {
    if (this.#context.table.size === 0 || ev.syscall === null || v.syscall === null) return
    const pid = Number(findField(ev.syscall, 'pid'))
    const newFd = v.syscall === 'socket' || v.syscall === 'accept' || v.syscall === 'accept4'
    const fd = newFd ? Number(findField(ev.syscall, 'exit')) : callArgument(ev, v, 'a0')
    if (Number.isInteger(pid) && fd !== null && Number.isInteger(fd) && fd >= 0) this.#context.forget(ev.node, pid, fd)
  }
}
