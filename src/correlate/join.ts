/**
 * The streaming join of host events and flow records, with memory bounded by the time window.
 * In: host events and flow records (each roughly in time order, out of order by at most
 * --lateness), pushed one at a time. Out: every host flow with its attribution or why it has none,
 * every host event with no accepted flow and why, through the sink. No I/O.
 *
 * Algorithm (docs/correlation.md, "Streaming"): whichever of an event and a flow arrives second
 * finds the other through an index on the peer's "ip|port" and the pair is checked (match.ts).
 * A flow is final once the event watermark (latest event time − lateness) passes the end of its
 * window; an event is final once the flow watermark (latest flow start − lateness) passes the
 * latest flow start it could match (the end of the call, `until`, + lag + skew). Final items leave
 * the indexes, so both hold only what a window can still reach.
 */
import type { FlowRecord } from './flow-log.js'
import type { HostEvent } from './host-events.js'
import type { HostIdentity, Orientation } from './host.js'
import { MinHeap } from './heap.js'
import {
  attribute, classifyEvent, continues, fiveTupleKey, flowWindowMs, pairMatch, windowEndMs,
  type Attribution, type HostOnly, type Link, type MatchOptions
} from './match.js'

export interface CorrelatorOptions extends MatchOptions {
  /** How far each input may be out of time order. */
  latenessMs: number
  /** How long after an attributed connection's last flow a flow of the same 5-tuple continues it. */
  continuationMs: number
}

export type UnattributedReason = 'no_host_event' | 'rejected_inbound' | 'outside_event_coverage' | 'no_time'

export interface FlowResult {
  flow: FlowRecord
  /** The side of the flow that is the host: one reading, or two when the record cannot tell. */
  sides: Orientation[]
  attribution: Attribution | null
  unattributed: { reason: UnattributedReason } | null
}

export interface HostOnlyResult {
  event: HostEvent
  hostOnly: HostOnly
  /** For `rejected`: the REJECT flows that matched. */
  rejectedBy: FlowRecord[]
}

export interface CorrelatorSink {
  flow: (r: FlowResult) => void
  hostOnly: (r: HostOnlyResult) => void
}

export interface JoinStats {
  flows_other_hosts: number
  flows_late: number
  events_late: number
  /** Largest number of events and flows held at once: the memory bound in practice. */
  max_events_held: number
  max_flows_held: number
}

interface EventState { e: HostEvent, flows: FlowRecord[] }
interface FlowState { flow: FlowRecord, sides: Orientation[], links: Link[] }
interface Window { start: number, end: number, kind: 'nodata' | 'skipdata' }

export class Correlator {
  readonly stats: JoinStats = { flows_other_hosts: 0, flows_late: 0, events_late: 0, max_events_held: 0, max_flows_held: 0 }
  private readonly eventsByKey = new Map<string, Set<EventState>>()
  private readonly eventQueue = new MinHeap<EventState>()
  private readonly flowsByKey = new Map<string, Set<FlowState>>()
  private readonly flowQueue = new MinHeap<FlowState>()
  private readonly connections = new Map<string, { attribution: Attribution, endMs: number }>()
  private readonly hostInterfaces = new Set<string>()
  private windows: Window[] = []
  private maxEventMs = -Infinity
  private maxFlowStartMs = -Infinity
  private eventsEnded = false
  private flowsEnded = false
  private firstEventMs = Infinity
  private lastEventMs = -Infinity
  private coverageFirstMs = Infinity
  private coverageLastMs = -Infinity
  private finalized = 0

  constructor (private readonly host: HostIdentity, private readonly o: CorrelatorOptions, private readonly sink: CorrelatorSink) {}

  /** Event time position, for merging the inputs (the stream further behind is read first). */
  get eventPosition (): number {
    return this.eventsEnded ? Infinity : this.maxEventMs
  }

  get flowPosition (): number {
    return this.flowsEnded ? Infinity : this.maxFlowStartMs
  }

  private get eventWatermark (): number {
    return this.eventsEnded ? Infinity : this.maxEventMs - this.o.latenessMs
  }

  private get flowWatermark (): number {
    return this.flowsEnded ? Infinity : this.maxFlowStartMs - this.o.latenessMs
  }

  /** A local address of the host (from bind). */
  learn (ip: string): void {
    this.host.learn(ip)
  }

  addEvent (e: HostEvent): void {
    // A call that waits for its peer (accept, receive) is stamped when it began but written when it
    // returned, so it was still waiting when the events before it in the stream were made: a server
    // blocked in accept() gets its connection long after its event's time.
    if (e.direction === 'inbound' && this.maxEventMs > e.until) e.until = this.maxEventMs
    if (e.until < this.eventWatermark) this.stats.events_late++
    if (e.t < this.firstEventMs) this.firstEventMs = e.t
    if (e.t > this.lastEventMs) this.lastEventMs = e.t
    const state: EventState = { e, flows: [] }
    const pending = this.flowsByKey.get(e.key)
    if (pending !== undefined) {
      for (const f of pending) {
        for (const side of f.sides) {
          if (side.key !== e.key) continue
          const strength = pairMatch(e, side, f.flow, this.o)
          if (strength !== null) {
            f.links.push({ ev: e, side, strength })
            state.flows.push(f.flow)
            break
          }
        }
      }
    }
    let set = this.eventsByKey.get(e.key)
    if (set === undefined) {
      set = new Set()
      this.eventsByKey.set(e.key, set)
    }
    set.add(state)
    this.eventQueue.push(e.until + this.o.lagMs + this.o.skewMs, state)
    if (this.eventQueue.size > this.stats.max_events_held) this.stats.max_events_held = this.eventQueue.size
    if (e.t > this.maxEventMs) this.maxEventMs = e.t
    this.finalizeFlows()
    this.evictEvents()
  }

  addFlow (flow: FlowRecord): void {
    const sides = this.host.orient(flow)
    if (sides.length === 0) {
      this.stats.flows_other_hosts++
      return
    }
    if (flow.interface_id !== null) this.hostInterfaces.add(flow.interface_id)
    const window = flowWindowMs(flow, this.o)
    if (window === null) {
      this.sink.flow({ flow, sides, attribution: null, unattributed: { reason: 'no_time' } })
      return
    }
    const startMs = (flow.start as number) * 1000
    if (startMs < this.flowWatermark) this.stats.flows_late++
    this.cover(window[0], window[1])

    const state: FlowState = { flow, sides, links: [] }
    for (const side of sides) {
      const events = this.eventsByKey.get(side.key)
      if (events !== undefined) {
        for (const es of events) {
          const strength = pairMatch(es.e, side, flow, this.o)
          if (strength !== null) {
            state.links.push({ ev: es.e, side, strength })
            es.flows.push(flow)
          }
        }
      }
      let set = this.flowsByKey.get(side.key)
      if (set === undefined) {
        set = new Set()
        this.flowsByKey.set(side.key, set)
      }
      set.add(state)
    }
    this.flowQueue.push(windowEndMs(flow, this.o), state)
    if (this.flowQueue.size > this.stats.max_flows_held) this.stats.max_flows_held = this.flowQueue.size
    if (startMs > this.maxFlowStartMs) this.maxFlowStartMs = startMs
    this.finalizeFlows()
    this.evictEvents()
  }

  /** A NODATA or SKIPDATA record: evidence about the host's traffic in that window. */
  addNoData (kind: 'nodata' | 'skipdata', interfaceId: string | null, start: number | null, end: number | null): void {
    if (start === null || end === null || interfaceId === null || !this.hostInterfaces.has(interfaceId)) return
    const from = start * 1000 - this.o.lagMs - this.o.skewMs
    const to = end * 1000 + 1000 + this.o.skewMs
    this.cover(from, to)
    this.windows.push({ start: from, end: to, kind })
  }

  /**
   * Interfaces of the host learned from its flows, so NODATA/SKIPDATA records (which carry only
   * the interface) can be tied to it; --interface-id ones are known from the start.
   */
  knowInterfaces (ids: readonly string[]): void {
    for (const id of ids) this.hostInterfaces.add(id)
  }

  endEvents (): void {
    this.eventsEnded = true
    this.finalizeFlows()
    this.evictEvents()
  }

  endFlows (): void {
    this.flowsEnded = true
    this.finalizeFlows()
    this.evictEvents()
  }

  private cover (from: number, to: number): void {
    if (from < this.coverageFirstMs) this.coverageFirstMs = from
    if (to > this.coverageLastMs) this.coverageLastMs = to
  }

  private finalizeFlows (): void {
    const mark = this.eventWatermark
    while (this.flowQueue.size > 0 && this.flowQueue.peekKey() <= mark) {
      const f = this.flowQueue.pop() as FlowState
      for (const side of f.sides) {
        const set = this.flowsByKey.get(side.key)
        if (set !== undefined) {
          set.delete(f)
          if (set.size === 0) this.flowsByKey.delete(side.key)
        }
      }
      this.sink.flow(this.resolve(f))
      if (++this.finalized % 4096 === 0) this.sweepConnections()
    }
  }

  private resolve (f: FlowState): FlowResult {
    const flow = f.flow
    const direct = attribute(f.links)
    const endMs = (flow.end as number) * 1000
    if (direct !== null) {
      const key = fiveTupleKey(direct.side, flow.protocol)
      if (key !== null) this.connections.set(key, { attribution: direct, endMs })
      return { flow, sides: f.sides, attribution: direct, unattributed: null }
    }
    for (const side of f.sides) {
      const key = fiveTupleKey(side, flow.protocol)
      const previous = key === null ? undefined : this.connections.get(key)
      if (key !== null && previous !== undefined && continues(flow, previous.endMs, this.o.continuationMs)) {
        previous.endMs = Math.max(previous.endMs, endMs)
        return { flow, sides: f.sides, attribution: { ...previous.attribution, match: 'continuation', side }, unattributed: null }
      }
    }
    const window = flowWindowMs(flow, this.o) as [number, number]
    let reason: UnattributedReason = 'no_host_event'
    if (flow.action === 'REJECT' && f.sides.every(s => !s.hostIsSource)) reason = 'rejected_inbound'
    else if (window[1] < this.firstEventMs || (this.eventsEnded && window[0] > this.lastEventMs)) reason = 'outside_event_coverage'
    return { flow, sides: f.sides, attribution: null, unattributed: { reason } }
  }

  private sweepConnections (): void {
    const horizon = this.eventWatermark - this.o.continuationMs - this.o.latenessMs
    for (const [key, c] of this.connections) if (c.endMs < horizon) this.connections.delete(key)
  }

  private evictEvents (): void {
    const mark = this.flowWatermark
    while (this.eventQueue.size > 0 && this.eventQueue.peekKey() < mark) {
      const s = this.eventQueue.pop() as EventState
      const set = this.eventsByKey.get(s.e.key)
      if (set !== undefined) {
        set.delete(s)
        if (set.size === 0) this.eventsByKey.delete(s.e.key)
      }
      this.classify(s)
    }
    // NODATA/SKIPDATA windows older than every event still held can no longer be consulted.
    const oldest = this.eventQueue.peekKey() - this.o.lagMs - this.o.skewMs
    if (this.windows.length > 64 && oldest !== Infinity) this.windows = this.windows.filter(w => w.end >= oldest)
  }

  private classify (s: EventState): void {
    const t = s.e.t
    let nodata = false
    let skipdata = false
    for (const w of this.windows) {
      if (t < w.start || t > w.end) continue
      if (w.kind === 'nodata') nodata = true
      else skipdata = true
    }
    const verdict = classifyEvent(s.e, s.flows, this.host, {
      firstMs: this.coverageFirstMs === Infinity ? null : this.coverageFirstMs,
      lastMs: this.coverageLastMs === -Infinity ? null : this.coverageLastMs,
      nodata,
      skipdata
    })
    if (verdict !== null) {
      this.sink.hostOnly({ event: s.e, hostOnly: verdict, rejectedBy: verdict.reason === 'rejected' ? s.flows : [] })
    }
  }
}
