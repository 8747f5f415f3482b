/**
 * The matching rules, as pure functions. In: a host event, a flow record read from one side
 * (Orientation), and the time tolerances. Out: whether the pair matches and how strongly; the
 * attribution of a flow from all its matching events (ambiguous when several processes); whether
 * a later flow continues an attributed connection; why an event has no flow (host-only).
 * docs/correlation.md states the rules and their limits.
 */
import type { FlowRecord } from './flow-log.js'
import type { HostEvent } from './host-events.js'
import { isIcmp, type HostIdentity, type NeverLogged, type Orientation } from './host.js'
import { addressClass } from './address.js'

export interface MatchOptions {
  /** Clock difference between host and AWS, plus the rounding of start/end to whole seconds. */
  skewMs: number
  /** How late AWS may stamp start (and end) after the packet: up to 60 s (AWS docs). */
  lagMs: number
}

/**
 * How sure the protocol side of a match is: `exact` (the socket's transport was seen),
 * `transport_hint` (netfilter's guess from the port or the call agreed with the flow), or
 * `any_protocol` (nothing was known, so the flow's protocol was not checked).
 */
export type Strength = 'exact' | 'transport_hint' | 'any_protocol'
const RANK: Readonly<Record<Strength, number>> = { exact: 2, transport_hint: 1, any_protocol: 0 }

export function protocolStrength (ev: HostEvent, protocol: number | null): Strength | null {
  if (ev.protocol !== null) return protocol !== null && protocol === ev.protocol ? 'exact' : null
  if (ev.hintProtocol !== null) return protocol !== null && protocol === ev.hintProtocol ? 'transport_hint' : null
  return 'any_protocol'
}

/**
 * The window of event times a flow can stand for: [start − lag − skew, end + 1 s + skew]. start
 * and end are whole seconds (the last packet of second `end` is up to 1 s after it), and AWS
 * stamps them up to `lag` after the packets, so a packet — and the call that sent it — may be
 * before `start` by that much; the skew covers the two clocks.
 */
export function flowWindowMs (flow: FlowRecord, o: MatchOptions): [number, number] | null {
  if (flow.start === null || flow.end === null) return null
  return [flow.start * 1000 - o.lagMs - o.skewMs, flow.end * 1000 + 1000 + o.skewMs]
}

/** Where the flow's window of event times ends. */
export function windowEndMs (flow: FlowRecord, o: MatchOptions): number {
  return (flow.end ?? 0) * 1000 + 1000 + o.skewMs
}

/**
 * Does this event stand for this flow, read from this side? The peer must be the event's peer
 * (ip and port; ICMP has no ports); an outbound call (connect, send) and an inbound one (accept,
 * receive) both own the connection's flows in both directions; a port the socket was bound to must
 * be the host's port in the flow; the protocol must agree (see protocolStrength); and the call must
 * have been under way during the flow's window: from its time (when it began) to its `until` (when
 * it may have returned: later than its time only for a call that waits for its peer). A call that
 * failed before sending anything matches nothing.
 */
export function pairMatch (ev: HostEvent, side: Orientation, flow: FlowRecord, o: MatchOptions): Strength | null {
  if (ev.notSent) return null
  if (side.remoteIp !== ev.remoteIp) return null
  const icmp = isIcmp(flow.protocol)
  if (!icmp && side.remotePort !== ev.remotePort) return null
  if (!icmp && ev.localPort !== null && side.hostPort !== null && side.hostPort !== ev.localPort) return null
  const window = flowWindowMs(flow, o)
  if (window === null || ev.until < window[0] || ev.t > window[1]) return null
  return protocolStrength(ev, flow.protocol)
}

export interface Link { ev: HostEvent, side: Orientation, strength: Strength }

/** The events of one process that match a flow. */
export interface Candidate {
  node: string | null
  process: HostEvent['ev']['process']
  user: HostEvent['ev']['user']
  /** Event ids, in arrival order, at most MAX_EVENT_IDS. */
  event_ids: string[]
  event_count: number
  syscalls: string[]
  /** The strongest evidence among this process's events. */
  match: Strength
  /** A bound local port equal to the flow's host port: the full 5-tuple agreed. */
  five_tuple: boolean
}

/** Keeps outputs bounded: a UDP flow may stand for thousands of sendto() calls. */
export const MAX_EVENT_IDS = 64

export interface Attribution {
  /** The weakest evidence among the candidates, or `continuation`. */
  match: Strength | 'continuation'
  /** The one process, or null when several could have made the flow (see `ambiguous`). */
  node: string | null
  process: Candidate['process'] | null
  user: Candidate['user'] | null
  /** All host events behind the attribution (of every candidate), at most MAX_EVENT_IDS. */
  event_ids: string[]
  event_count: number
  /** Every candidate process when there are several; null when one. */
  ambiguous: Candidate[] | null
  /** The side of the flow the events were on. */
  side: Orientation
}

/**
 * A flow's attribution from its matching events, or null when none match. Events are grouped by
 * process (node, pid, exe). A process whose bound port equals the flow's host port matched the
 * full 5-tuple; when some did, the others (which only matched the peer) are dropped. Otherwise
 * every process stays: several → ambiguous, never one picked.
 */
export function attribute (links: readonly Link[]): Attribution | null {
  if (links.length === 0) return null
  const groups = new Map<string, { c: Candidate, side: Orientation }>()
  const sorted = [...links].sort((a, b) => a.ev.seq - b.ev.seq)
  for (const l of sorted) {
    const e = l.ev
    let g = groups.get(e.processKey)
    if (g === undefined) {
      g = {
        c: { node: e.ev.node, process: e.ev.process, user: e.ev.user, event_ids: [], event_count: 0, syscalls: [], match: l.strength, five_tuple: false },
        side: l.side
      }
      groups.set(e.processKey, g)
    }
    const c = g.c
    if (c.event_ids.length < MAX_EVENT_IDS) c.event_ids.push(e.ev.event_id)
    c.event_count++
    if (e.ev.syscall !== null && !c.syscalls.includes(e.ev.syscall)) c.syscalls.push(e.ev.syscall)
    if (RANK[l.strength] > RANK[c.match]) c.match = l.strength
    if (e.localPort !== null && l.side.hostPort === e.localPort) c.five_tuple = true
  }
  let kept = [...groups.values()]
  if (kept.some(g => g.c.five_tuple)) kept = kept.filter(g => g.c.five_tuple)
  const candidates = kept.map(g => g.c)
  const first = candidates[0] as Candidate
  const weakest = candidates.reduce<Strength>((w, c) => RANK[c.match] < RANK[w] ? c.match : w, first.match)
  const ids: string[] = []
  let count = 0
  for (const c of candidates) {
    count += c.event_count
    for (const id of c.event_ids) if (ids.length < MAX_EVENT_IDS) ids.push(id)
  }
  const side = (kept[0] as { side: Orientation }).side
  const one = candidates.length === 1
  return {
    match: weakest,
    node: one ? first.node : null,
    process: one ? first.process : null,
    user: one ? first.user : null,
    event_ids: ids,
    event_count: count,
    ambiguous: one ? null : candidates,
    side
  }
}

/** "host ip:port|remote ip:port|protocol": the same for both directions of a connection. */
export function fiveTupleKey (side: Orientation, protocol: number | null): string | null {
  if (side.hostIp === null || side.hostPort === null || side.remotePort === null || protocol === null) return null
  return `${side.hostIp}|${side.hostPort}|${side.remoteIp}|${side.remotePort}|${protocol}`
}

/** TCP SYN (2) in the record's OR-ed flags: a connection was opened in this window. */
export function opensConnection (flow: FlowRecord): boolean {
  const flags = flow.fields['tcp_flags']
  return flow.protocol === 6 && typeof flags === 'number' && (flags & 2) !== 0
}

/**
 * Does a flow with no matching event continue an attributed connection? Same 5-tuple, at most
 * `continuationMs` after that connection's last flow ended, and (when tcp-flags are logged) no
 * SYN in this window: a SYN means a new connection reused the ports.
 */
export function continues (flow: FlowRecord, previousEndMs: number, continuationMs: number): boolean {
  if (flow.start === null || opensConnection(flow)) return false
  return flow.start * 1000 - previousEndMs <= continuationMs
}

export type HostOnlyReason = 'not_sent' | 'loopback' | 'self' | 'never_logged' | 'rejected' | 'no_flow'
export type NoFlowDetail = 'nodata' | 'skipdata' | 'not_covered' | 'window'

export interface HostOnly {
  reason: HostOnlyReason
  /** never_logged: which kind of address; no_flow: what the flow logs say about that time. */
  detail: NeverLogged | NoFlowDetail | null
}

/** What the flow logs said about the host's interfaces around an event's time. */
export interface Coverage {
  /** The flow logs hold records from this time on (epoch ms), and up to `lastMs`. */
  firstMs: number | null
  lastMs: number | null
  /** A NODATA / SKIPDATA record of the host covers the event time. */
  nodata: boolean
  skipdata: boolean
}

/**
 * Why an event has no accepted flow, or null when it has one. In order: the call sent nothing;
 * the peer is loopback or one of the host's own addresses (the kernel routes that through lo);
 * the peer is an address VPC never logs; every matching flow was REJECTed; no flow at all (with
 * what the logs say about that time: NODATA, SKIPDATA, outside the logs' time, or simply none).
 */
export function classifyEvent (ev: HostEvent, flows: ReadonlyArray<{ action: FlowRecord['action'] }>, host: HostIdentity, coverage: Coverage): HostOnly | null {
  if (flows.some(f => f.action !== 'REJECT')) return null
  if (ev.notSent) return { reason: 'not_sent', detail: null }
  if (addressClass(ev.remoteIp) === 'loopback') return { reason: 'loopback', detail: null }
  if (host.isHostIp(ev.remoteIp)) return { reason: 'self', detail: null }
  const never = host.neverLogged(ev.remoteIp, ev.remotePort, ev.localPort, ev.protocol)
  if (never !== null) return { reason: 'never_logged', detail: never }
  if (flows.length > 0) return { reason: 'rejected', detail: null }
  let detail: NoFlowDetail = 'window'
  if (coverage.skipdata) detail = 'skipdata'
  else if (coverage.nodata) detail = 'nodata'
  else if (coverage.firstMs === null || coverage.lastMs === null || ev.t < coverage.firstMs || ev.t > coverage.lastMs) detail = 'not_covered'
  return { reason: 'no_flow', detail }
}
