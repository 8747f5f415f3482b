/**
 * Stage 3: records → events.
 * In: record headers (kind, node, id) with the record bodies the selection may need. Out: completed
 * PendingEvents through a callback, each once. Records are grouped by (node, seconds.millis:serial)
 * in any order. An event completes once it is whole — at a PROCTITLE that follows its SYSCALL (the
 * kernel writes PROCTITLE last), or, in another order, once it has every record its call needs
 * (SYSCALL, PROCTITLE and for most socket calls a SOCKADDR — the caller says which,
 * selection/socket-calls.ts) — on EOE (plugin streams), once the log's own clock for its node has
 * moved eventTimeoutMs past it (log files carry no EOE), after idleTimeoutMs of wall-clock silence
 * (live streams), when memory is short (the oldest is completed early: "evicted") or at the end of
 * input. Records of an event that already completed are dropped and counted as duplicates.
 */
import {
  KIND_DAEMON, KIND_EOE, KIND_OTHER, KIND_PROCTITLE, KIND_SOCKADDR, KIND_SOCKETCALL, KIND_SYSCALL
} from '../records/header.js'
import { SerialGaps } from './serial-gaps.js'
import { IdTable } from './id-table.js'
import { CompletedEvents } from './completed-events.js'

export interface PendingEvent {
  node: string | null
  sec: number
  ms: number
  serial: number
  /** sec * 1000 + ms */
  timeMs: number
  /** Bodies (text after "): ") of the records the selection and decoders read; others are only counted. */
  syscall: string | null
  sockaddrs: string[] | null
  proctitle: string | null
  socketcall: string | null
  /**
   * The SYSCALL record's AUDIT_ARCH_* value and syscall number when the filter read them in place
   * (records/syscall-id.ts), else -1 (then selection searches the body). Absent on events built
   * by hand.
   */
  archValue?: number
  callNumber?: number
  /**
   * Set aside: the call can never be a network event (selection/socket-calls.ts), so its SYSCALL
   * and PROCTITLE bodies were not kept. A SOCKADDR record (which the kernel never logs for such
   * calls) clears it, so whatever follows is kept.
   */
  quiet?: boolean
  /**
   * The record kinds (1 << kind) with which the event is whole, whatever their order, as its SYSCALL
   * record's caller said (selection/socket-calls.ts); 0 (or absent) when, its records out of the
   * kernel's order, it waits for EOE or a timeout. (A PROCTITLE after the SYSCALL ends it anyway.)
   */
  whole?: number
  records: number
  /** Bit set of the record kinds seen (1 << kind), to tell a re-delivered record from a late one. */
  kinds: number
  /** Wall-clock ms when the last record arrived. */
  lastSeen: number
  /** Set once the event is completed (the assembler's queues still hold it until they pass it). */
  completed?: boolean
}

export type CompletionReason = 'whole' | 'eoe' | 'timeout' | 'idle' | 'evicted' | 'end'
export type EventSink = (ev: PendingEvent, reason: CompletionReason) => void

export interface AssemblerOptions {
  /** Complete an event once its node's log time is this far past it (auditd's end_of_event_timeout). */
  eventTimeoutMs: number
  /** Most events in flight at once; beyond it the oldest is completed early. */
  maxInflight: number
  /** How many serials back per node completed events are remembered, to drop re-deliveries. */
  doneMemory: number
}

export const DEFAULT_ASSEMBLER_OPTIONS: AssemblerOptions = {
  eventTimeoutMs: 2000,
  maxInflight: 16384,
  doneMemory: 65536
}

/**
 * Events are looked up by a number, not a string, to keep string building off the hot path:
 * serial * 2^21 + (time in ms mod 2^21) stays below 2^53 for any 32-bit serial. Two different
 * events can only share it with the same serial and times 35 minutes apart; the stored time is
 * compared to tell them apart.
 */
const TIME_MOD = 2097152
function eventKey (serial: number, timeMs: number): number {
  return serial * TIME_MOD + (timeMs % TIME_MOD)
}

/**
 * A first-in first-out queue whose shift is O(1): spent slots are blanked and the array is cut
 * down once half of it is spent. Used instead of iterating a Map from its oldest entry: a Map
 * keeps the slots of deleted entries until it is rehashed, and each new iteration walks over all
 * of them, which made a sweep cost as much as the events completed before it.
 */
class Fifo<T> {
  #items: T[] = []
  #head = 0
  readonly #blank: T

  constructor (blank: T) {
    this.#blank = blank
  }

  get size (): number {
    return this.#items.length - this.#head
  }

  push (item: T): void {
    this.#items.push(item)
  }

  /** The oldest item, or undefined when empty. */
  peek (): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined
  }

  shift (): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head] as T
    this.#items[this.#head++] = this.#blank
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** The items, oldest first. */
  items (): T[] {
    return this.#items.slice(this.#head)
  }

  /** Keeps the items for which keep is true, in order. */
  retain (keep: (item: T) => boolean): void {
    const kept: T[] = []
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T
      if (keep(item)) kept.push(item)
    }
    this.#items = kept
    this.#head = 0
  }
}

/**
 * An entry of the idle queue: an event, queued at the wall-clock time of a record of it. The queue
 * holds them in that time order, so an idle sweep looks only at the events that are due, from the
 * front, and stops at the first that is not. An event gets an entry each time its lastSeen moves on
 * (at most once per input chunk); entries whose time is no longer their event's lastSeen, or whose
 * event has completed, are skipped. Before it, each sweep (one every millisecond or so under steady
 * traffic) walked every event in flight and every completed one not yet cleared: most of a CPU
 * core, and sweeps up to 16 ms late. Live input only, so the small object per entry is no cost on
 * the file path.
 */
interface IdleEntry {
  ev: PendingEvent
  at: number
}

/** The SYSCALL kind in PendingEvent.kinds. */
const SYSCALL_BIT = 1 << KIND_SYSCALL

const isCurrent = (e: IdleEntry | null): e is IdleEntry => e !== null && e.at === e.ev.lastSeen && isInflight(e.ev)

/** Per-node state: each node has its own serials and its own clock. */
class NodeState {
  readonly inflight = new IdTable<PendingEvent>()
  /**
   * The events of inflight in the order they arrived (inflight's own order), with events already
   * completed left in place until they reach the front or are cleared out.
   */
  readonly arrivals = new Fifo<PendingEvent | null>(null)
  /** Recently completed events and their record kinds. */
  readonly done: CompletedEvents
  /** Newest log time seen on this node. */
  watermark = 0
  /** Earliest log time at which an event in flight is due (Infinity when none is). */
  nextDue = Infinity
  /** Time of the newest event in arrival order, to spot events that arrive older than it. */
  lastArrival = -Infinity
  /**
   * Events that arrived with a time older than an event before them. arrivals is in arrival order,
   * which is time order except for these, so a sweep can stop at the first young event and then
   * check only the stragglers.
   */
  readonly stragglers = new Set<number>()
  /** Missing kernel serials (lost events). */
  readonly gaps = new SerialGaps()
  constructor (readonly node: string | null, doneMemory: number) {
    this.done = new CompletedEvents(doneMemory)
  }

  /** The events in flight, in the order they arrived. */
  inflightEvents (): PendingEvent[] {
    return this.arrivals.items().filter((ev): ev is PendingEvent => ev !== null && isInflight(ev))
  }
}

/**
 * True while ev is in flight. Every way out of flight (EOE, timeouts, eviction, replacement by a
 * later event of the same key, the end) goes through #complete, which sets the flag: no lookup.
 */
function isInflight (ev: PendingEvent): boolean {
  return ev.completed !== true
}

/**
 * A record this far behind its node's newest time means the log went back in time (files read out
 * of order, a clock set back, a replay): the node's clock restarts there. Records merely out of
 * order arrive a few seconds late at most.
 */
const CLOCK_RESET_MS = 60_000

export interface AssemblerCounters {
  events: number
  /** Records of an already completed event, of a kind it had: re-deliveries, dropped. */
  duplicates: number
  /** Records of an already completed event, of a kind it lacked: they start a new, partial event. */
  late: number
  evicted: number
}

/**
 * The values of a Map taken in turn across calls: each call goes on from where the last stopped,
 * and starts over at the first after the last; undefined only when the Map is empty. Entries added
 * or deleted meanwhile are seen or skipped, as a Map iterator does.
 */
class InTurn<V> {
  #at: Iterator<V> | null = null
  constructor (readonly map: Map<unknown, V>) {}

  next (): V | undefined {
    const r = this.#at?.next()
    if (r !== undefined && r.done !== true) return r.value
    this.#at = this.map.values()
    return this.#at.next().value as V | undefined
  }
}

/**
 * Nodes whose state (duplicate memory, serial gaps) is kept. A log merged from a fleet (audisp-remote,
 * a central syslog) names each host with node=; past this many, a node with nothing in flight is
 * forgotten to make room (a few KB each), its lost and reset counts kept in the totals. Should it
 * come back, its state starts over: a record re-delivered from before is then emitted again.
 */
export const MAX_NODES = 8192

/** How many nodes one lookup for a node to forget examines before it gives up (all busy). */
const FORGET_SCAN = 64

export class EventAssembler {
  readonly counters: AssemblerCounters = { events: 0, duplicates: 0, late: 0, evicted: 0 }
  /** What the nodes forgotten to make room (MAX_NODES) had counted. */
  readonly forgotten = { nodes: 0, lost: 0, resets: 0 }
  readonly #opts: AssemblerOptions
  readonly #emit: EventSink
  readonly #nodes = new Map<string | null, NodeState>()
  #lastNode: NodeState | null = null
  /**
   * The nodes in turn, for eviction and for forgetting: each look across them goes on from where
   * the last stopped. Starting each look at the first node again made a log of many nodes
   * quadratic: 200,000 nodes, each with an event in flight, took 496 s, every eviction walking past
   * the nodes emptied before.
   */
  readonly #evictTurn = new InTurn(this.#nodes)
  readonly #forgetTurn = new InTurn(this.#nodes)
  #inflightCount = 0
  /** The event the last record went to while it is in flight, its node and its key there. */
  #last: PendingEvent | null = null
  #lastNs: NodeState | null = null
  #lastKey = 0
  /** Events by the wall-clock time of their last record (live input only: now > 0). */
  readonly #idle = new Fifo<IdleEntry | null>(null)
  /** The latest wall-clock time seen: a clock that steps back is taken as standing still. */
  #clock = 0

  constructor (emit: EventSink, opts: Partial<AssemblerOptions> = {}) {
    this.#emit = emit
    this.#opts = { ...DEFAULT_ASSEMBLER_OPTIONS, ...opts }
  }

  get inflight (): number {
    return this.#inflightCount
  }

  /**
   * Adds one record. body is the text after "): " for the kinds kept (SYSCALL, SOCKADDR, PROCTITLE,
   * SOCKETCALL); for other kinds the caller passes null and the record is only counted. now is the
   * arrival time (ms) for the idle timeout, 0 for input that is not live; see NetFilter.push. With a
   * SYSCALL record come what the caller read of the call (see PendingEvent): its numbers, whether
   * it is set aside, and the record kinds that make its event whole.
   */
  push (node: string | null, sec: number, ms: number, serial: number, kind: number,
    body: string | null, now: number, archValue = -1, callNumber = -1, quiet = false, whole = 0): void {
    const timeMs = sec * 1000 + ms
    if (now > 0) {
      if (now < this.#clock) now = this.#clock
      else this.#clock = now
    }
    // The records of an event mostly arrive one after another: the event of the previous record is
    // tried before any map lookup.
    const last = this.#lastIf(node, serial, timeMs)
    if (last !== null) {
      if (kind === KIND_SYSCALL) this.#call(last, archValue, callNumber, quiet, whole)
      this.#add(this.#lastNs as NodeState, this.#lastKey, last, kind, body, timeMs, now)
      return
    }
    const ev = this.#eventOf(node, sec, ms, serial, kind, timeMs, now)
    if (ev === null) return
    if (kind === KIND_SYSCALL) this.#call(ev, archValue, callNumber, quiet, whole)
    this.#add(this.#lastNs as NodeState, this.#lastKey, ev, kind, body, timeMs, now)
  }

  /**
   * The event in flight that a record of another event than the last record's belongs to, started
   * if new, and made the last event; null when the record is dropped (a re-delivery, an EOE of no
   * event in flight). Apart from push, which V8 does not inline it into: the first times met here
   * (the first event found by its id, the first gap in the serials, the first straggler) come long
   * after V8 has optimised both, and each throws away the optimised code of the function it is in.
   * In push, that was the code every record goes through, compiled 5 times over the bench corpus.
   */
  #eventOf (node: string | null, sec: number, ms: number, serial: number, kind: number, timeMs: number,
    now: number): PendingEvent | null {
    const ns = this.#node(node)
    const key = eventKey(serial, timeMs)
    let ev = ns.inflight.get(key)
    if (ev !== undefined && ev.timeMs !== timeMs) {
      // Same key, another event (a serial reused after a reboot): the old one is surely complete.
      this.#complete(ns, key, ev, 'timeout')
      ev = undefined
    }
    if (ev === undefined) {
      const doneKinds = ns.done.kinds(serial, timeMs)
      if (doneKinds >= 0) {
        if (kind === KIND_EOE) return null // the EOE of an event completed by timeout
        // A kind the event already had is a re-delivery (rsyslog retries, a replayed file): emitted
        // once. A kind it lacked arrived after the event was completed (records more than the
        // event timeout out of order): it must not be lost, so it starts a new, partial event.
        if ((doneKinds & (1 << kind)) !== 0) {
          this.counters.duplicates++
          return null
        }
        this.counters.late++
      } else if (kind !== KIND_DAEMON) {
        ns.gaps.see(serial)
      }
      if (kind === KIND_EOE) return null // EOE of an event we never saw a record of: nothing to complete.
      if (this.#inflightCount >= this.#opts.maxInflight) this.#evictOldest(ns)
      ev = {
        node, sec, ms, serial, timeMs,
        syscall: null, sockaddrs: null, proctitle: null, socketcall: null,
        archValue: -1, callNumber: -1, quiet: false, whole: 0,
        records: 0, kinds: 0, lastSeen: now, completed: false
      }
      ns.inflight.set(key, ev)
      ns.arrivals.push(ev)
      if (now > 0) this.#queueIdle(ev, now)
      // Events completed out of arrival order (whole, or EOE) stay in arrivals until they reach its
      // front; piled up behind an older event still in flight — the usual case now that most
      // events complete at their last record — they are cleared out. Early: each one held keeps
      // its record bodies alive long enough to be copied by the young-generation collector, and a
      // slack of 1,024 cost 6 % of the time and 13 MB of peak memory on the bench corpus.
      if (ns.arrivals.size > 2 * ns.inflight.size + 64) ns.arrivals.retain(e => e !== null && isInflight(e))
      this.#inflightCount++
      this.counters.events++
      if (timeMs < ns.lastArrival) ns.stragglers.add(key)
      else ns.lastArrival = timeMs
      const due = timeMs + this.#opts.eventTimeoutMs
      if (due < ns.nextDue) ns.nextDue = due
    }
    this.#last = ev
    this.#lastNs = ns
    this.#lastKey = key
    return ev
  }

  /**
   * Adds a record of a kind the selection never reads (PATH, CWD, EXECVE, … : KIND_OTHER) when it
   * belongs to the event of the last record, as the records of an event come one after another;
   * false, having added nothing, otherwise (the caller then pushes it). That event's time is
   * already in its node's clock and such a record can make no event whole, so all there is to do
   * is count it: a third of the records of the bench corpus come this way.
   */
  addOther (node: string | null, sec: number, ms: number, serial: number, now: number): boolean {
    const last = this.#lastIf(node, serial, sec * 1000 + ms)
    if (last === null || now !== last.lastSeen) return false
    last.kinds |= 1 << KIND_OTHER
    last.records++
    return true
  }

  /** The event the last record went to, if it is event (node, timeMs:serial), else null. */
  #lastIf (node: string | null, serial: number, timeMs: number): PendingEvent | null {
    const last = this.#last
    return last !== null && last.serial === serial && last.timeMs === timeMs && last.node === node ? last : null
  }

  /** What a SYSCALL record tells of the call: its numbers, whether it is set aside, when it is whole. */
  #call (ev: PendingEvent, archValue: number, callNumber: number, quiet: boolean, whole: number): void {
    if ((ev.kinds & SYSCALL_BIT) !== 0) return // the first SYSCALL record counts
    ev.archValue = archValue
    ev.callNumber = callNumber
    ev.quiet = quiet && ev.sockaddrs === null
    ev.whole = whole
  }

  /**
   * True when a record of event (node, sec.ms:serial) arriving now would not be kept: the event is
   * set aside (quiet). Asked by the filter before it makes a record body into a string; answers for
   * the event of the last record only (records of an event come together), and false otherwise.
   */
  isQuiet (node: string | null, sec: number, ms: number, serial: number): boolean {
    return this.#lastIf(node, serial, sec * 1000 + ms)?.quiet === true
  }

  /**
   * True when event (node, sec.ms:serial) is in flight with a SOCKADDR already: its SYSCALL body
   * must then be kept even for a call that is otherwise set aside.
   */
  hasSockaddr (node: string | null, sec: number, ms: number, serial: number): boolean {
    const timeMs = sec * 1000 + ms
    const last = this.#lastIf(node, serial, timeMs)
    if (last !== null) return last.sockaddrs !== null
    // Asked for the first record of most events, when nothing else is in flight (events complete
    // as soon as they are whole): the node's state is the one remembered, and an empty table is
    // not searched. (The node's state is made here if new; push, which follows, would make it.)
    const ns = this.#node(node)
    if (ns.inflight.size === 0) return false
    const ev = ns.inflight.get(eventKey(serial, timeMs))
    return ev !== undefined && ev.timeMs === timeMs && ev.sockaddrs !== null
  }

  /** Adds one record to its event (in flight, of node ns), completing it on EOE. */
  #add (ns: NodeState, key: number, ev: PendingEvent, kind: number, body: string | null, timeMs: number, now: number): void {
    if (now !== ev.lastSeen) {
      ev.lastSeen = now
      if (now > 0) this.#queueIdle(ev, now)
    }
    const first = (ev.kinds & (1 << kind)) === 0
    ev.kinds |= 1 << kind
    switch (kind) {
      case KIND_EOE:
        this.#complete(ns, key, ev, 'eoe')
        return
      case KIND_SYSCALL:
        if (first) ev.syscall = body
        break
      case KIND_SOCKADDR:
        ev.quiet = false
        if (body !== null) {
          if (ev.sockaddrs === null) ev.sockaddrs = [body]
          else ev.sockaddrs.push(body)
        }
        break
      case KIND_PROCTITLE:
        if (ev.proctitle === null) ev.proctitle = body
        break
      case KIND_SOCKETCALL:
        if (ev.socketcall === null) ev.socketcall = body
        break
    }
    ev.records++
    if (timeMs > ns.watermark) {
      ns.watermark = timeMs
      if (timeMs >= ns.nextDue) this.#sweepLogTime(ns)
    } else if (timeMs < ns.watermark - CLOCK_RESET_MS) {
      this.#resetClock(ns, key, timeMs)
    }
    // Whole: out now, not after EOE or a timeout (without EOE, that is the idle timeout later on a
    // live stream, and events held that long in memory on a file). A PROCTITLE after its SYSCALL
    // ends the event whatever the call: the kernel writes it after every other record, and
    // libauparse ends events there too. Records in another order make it whole once it has those
    // its call needs.
    const whole = ev.whole ?? 0
    if (isInflight(ev) && ((kind === KIND_PROCTITLE && (ev.kinds & SYSCALL_BIT) !== 0) ||
        (whole !== 0 && (ev.kinds & whole) === whole))) this.#complete(ns, key, ev, 'whole')
  }

  /** Completes events that got no record for idleMs of wall-clock time. Returns the earliest next deadline, or -1. */
  sweepIdle (now: number, idleMs: number): number {
    for (let e = this.#idle.peek(); e !== undefined; e = this.#idle.peek()) {
      if (!isCurrent(e)) {
        this.#idle.shift() // superseded by a later record, or completed already
        continue
      }
      const due = e.at + idleMs
      if (due > now) return due
      this.#idle.shift()
      this.#complete(this.#node(e.ev.node), eventKey(e.ev.serial, e.ev.timeMs), e.ev, 'idle')
    }
    return -1
  }

  /** Queues ev for the idle sweep at wall-clock time at; clears out stale entries when they pile up. */
  #queueIdle (ev: PendingEvent, at: number): void {
    this.#idle.push({ ev, at })
    // Without sweeps (a caller that passes times but never sweeps) or with many events completing
    // whole or on EOE, stale entries would pile up, each keeping its event's bodies alive: bounded
    // here to twice the events in flight, with the same small slack as arrivals.
    if (this.#idle.size > 2 * this.#inflightCount + 64) this.#idle.retain(isCurrent)
  }

  /** End of input: completes every event still in flight, oldest first. */
  flush (): void {
    for (const ns of this.#nodes.values()) {
      for (const ev of ns.inflightEvents()) this.#complete(ns, eventKey(ev.serial, ev.timeMs), ev, 'end')
      ns.gaps.finish()
    }
  }

  /** Lost kernel serials and numbering resets, per node (null = records without node=). */
  sequence (): Array<{ node: string | null, lost: number, pending: number, resets: number }> {
    return [...this.#nodes.values()].map(ns =>
      ({ node: ns.node, lost: ns.gaps.lost, pending: ns.gaps.pending, resets: ns.gaps.resets }))
  }

  #node (node: string | null): NodeState {
    const last = this.#lastNode
    if (last !== null && last.node === node) return last
    let ns = this.#nodes.get(node)
    if (ns === undefined) {
      if (this.#nodes.size >= MAX_NODES) this.#forgetIdleNode()
      ns = new NodeState(node, this.#opts.doneMemory)
      this.#nodes.set(node, ns)
    }
    this.#lastNode = ns
    return ns
  }

  /**
   * Completes the events of ns whose time is eventTimeoutMs behind the watermark: the ones in time
   * order up to the first still young, then the stragglers. Sets the next due time.
   */
  #sweepLogTime (ns: NodeState): void {
    const timeout = this.#opts.eventTimeoutMs
    const limit = ns.watermark - timeout
    let next = Infinity
    for (let ev = ns.arrivals.peek(); ev !== undefined; ev = ns.arrivals.peek()) {
      if (ev === null || !isInflight(ev)) {
        ns.arrivals.shift() // completed already
        continue
      }
      if (ev.timeMs > limit) {
        next = ev.timeMs + timeout
        break
      }
      ns.arrivals.shift()
      this.#complete(ns, eventKey(ev.serial, ev.timeMs), ev, 'timeout')
    }
    for (const key of ns.stragglers) {
      const ev = ns.inflight.get(key)
      if (ev === undefined) ns.stragglers.delete(key)
      else if (ev.timeMs <= limit) this.#complete(ns, key, ev, 'timeout')
      else if (ev.timeMs + timeout < next) next = ev.timeMs + timeout
    }
    ns.nextDue = next
  }

  /**
   * The node's log went back in time: events from before the jump are complete (nothing after a
   * minute's jump belongs to them), and the clock restarts at the new time.
   */
  #resetClock (ns: NodeState, keep: number, timeMs: number): void {
    for (const ev of ns.inflightEvents()) {
      const key = eventKey(ev.serial, ev.timeMs)
      if (key !== keep && ev.timeMs > timeMs + CLOCK_RESET_MS) this.#complete(ns, key, ev, 'timeout')
    }
    ns.watermark = timeMs
    ns.lastArrival = timeMs
    ns.nextDue = -Infinity // recomputed by the next sweep
  }

  /**
   * Makes room for one more event: completes the oldest arrival of this node or, when it has none
   * in flight, of the next node that has one, taking the nodes in turn.
   */
  #evictOldest (current: NodeState): void {
    if (this.#evictArrival(current)) return
    for (let looked = 0, n = this.#nodes.size; looked < n; looked++) {
      const ns = this.#evictTurn.next()
      if (ns === undefined || this.#evictArrival(ns)) return
    }
  }

  /** Completes ns's oldest arrival still in flight, if it has one. */
  #evictArrival (ns: NodeState): boolean {
    if (ns.inflight.size === 0) return false
    for (let ev = ns.arrivals.shift(); ev !== undefined; ev = ns.arrivals.shift()) {
      if (ev === null || !isInflight(ev)) continue
      this.counters.evicted++
      this.#complete(ns, eventKey(ev.serial, ev.timeMs), ev, 'evicted')
      return true
    }
    return false
  }

  /**
   * Forgets a node with nothing in flight (MAX_NODES), taking the nodes in turn; gives up after
   * FORGET_SCAN busy ones. The nodes with events in flight are at most --max-inflight, so the
   * nodes kept stay bounded all the same.
   */
  #forgetIdleNode (): void {
    for (let looked = 0; looked < FORGET_SCAN; looked++) {
      const ns = this.#forgetTurn.next()
      if (ns === undefined) return
      if (ns.inflight.size > 0) continue
      ns.gaps.finish()
      this.forgotten.nodes++
      this.forgotten.lost += ns.gaps.lost
      this.forgotten.resets += ns.gaps.resets
      this.#nodes.delete(ns.node)
      if (this.#lastNode === ns) this.#lastNode = null
      if (this.#lastNs === ns) this.#lastNs = null
      return
    }
  }

  #complete (ns: NodeState, key: number, ev: PendingEvent, reason: CompletionReason): void {
    if (ev === this.#last) this.#last = null
    ev.completed = true
    ns.inflight.delete(key)
    if (ns.stragglers.size > 0) ns.stragglers.delete(key)
    this.#inflightCount--
    ns.done.add(ev.serial, ev.timeMs, ev.kinds)
    this.#emit(ev, reason)
  }
}
