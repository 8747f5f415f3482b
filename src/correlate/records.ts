/**
 * Join results → the native output records (schemas/correlate.schema.json). In: a FlowResult or a
 * HostOnlyResult. Out: a plain object ready for JSON: a `flow` record (the flow, the host's side,
 * and its attribution or why it has none) or a `host_only` record (the event verbatim and why no
 * flow has it). Pure. The event is the object parsed from the input line, given back as it was read.
 */
import type { NetworkEvent } from '../events/network-event.js'
import type { FlowRecord } from './flow-log.js'
import type { FlowResult, HostOnlyResult, UnattributedReason } from './join.js'
import type { Attribution, Candidate, HostOnlyReason, Strength } from './match.js'

/** The flow as logged: the v2 fields, the format's other fields by snake_case name, and where it was read. */
export interface FlowFields {
  source: { file: string, line: number }
  [field: string]: string | number | null | { file: string, line: number }
}

export interface Endpoint { ip: string | null, port: number | null }

export interface CandidateOut {
  node: string | null
  process: NetworkEvent['process']
  user: NetworkEvent['user']
  event_ids: string[]
  event_count: number
  syscalls: string[]
  match: Strength
  five_tuple: boolean
}

export interface AttributionOut {
  match: Strength | 'continuation'
  node: string | null
  process: NetworkEvent['process'] | null
  user: NetworkEvent['user'] | null
  event_ids: string[]
  event_count: number
  ambiguous: CandidateOut[] | null
}

export interface FlowOut {
  record: 'flow'
  /** The flow's start, ISO 8601 UTC; null when the format has no start. */
  time: string | null
  /** outbound: the host sent this record's packets; inbound: it received them; unknown: the record cannot tell. */
  direction: 'outbound' | 'inbound' | 'unknown'
  host: Endpoint | null
  remote: Endpoint | null
  flow: FlowFields
  attribution: AttributionOut | null
  unattributed: { reason: UnattributedReason } | null
}

export interface FlowRef {
  file: string
  line: number
  start: number | null
  end: number | null
  action: FlowRecord['action']
  srcaddr: string | null
  srcport: number | null
  dstaddr: string | null
  dstport: number | null
  protocol: number | null
}

export interface HostOnlyOut {
  record: 'host_only'
  time: string
  reason: HostOnlyReason
  detail: string | null
  event: NetworkEvent
  /** The REJECT flows, for reason `rejected`; else empty. */
  flows: FlowRef[]
}

export function flowFields (f: FlowRecord): FlowFields {
  const out: FlowFields = {
    version: f.version,
    account_id: f.account_id,
    interface_id: f.interface_id,
    srcaddr: f.srcaddr,
    dstaddr: f.dstaddr,
    srcport: f.srcport,
    dstport: f.dstport,
    protocol: f.protocol,
    packets: f.packets,
    bytes: f.bytes,
    start: f.start,
    end: f.end,
    action: f.action,
    log_status: f.log_status,
    ...f.fields,
    source: { file: f.source.file, line: f.source.line }
  }
  if (f.ingest_time !== undefined) out['ingest_time'] = f.ingest_time
  return out
}

const copyProcess = (p: NetworkEvent['process']): NetworkEvent['process'] => ({ ...p, argv: p.argv === null ? null : [...p.argv] })
const copyUser = (u: NetworkEvent['user']): NetworkEvent['user'] => ({ ...u })

function candidateOut (c: Candidate): CandidateOut {
  return {
    node: c.node,
    process: copyProcess(c.process),
    user: copyUser(c.user),
    event_ids: [...c.event_ids],
    event_count: c.event_count,
    syscalls: [...c.syscalls],
    match: c.match,
    five_tuple: c.five_tuple
  }
}

function attributionOut (a: Attribution): AttributionOut {
  return {
    match: a.match,
    node: a.node,
    process: a.process === null ? null : copyProcess(a.process),
    user: a.user === null ? null : copyUser(a.user),
    event_ids: [...a.event_ids],
    event_count: a.event_count,
    ambiguous: a.ambiguous === null ? null : a.ambiguous.map(candidateOut)
  }
}

export function flowOut (r: FlowResult): FlowOut {
  // The attributed side decides; a record with one possible side has it; else it is unknown.
  const side = r.attribution !== null ? r.attribution.side : r.sides.length === 1 ? r.sides[0] ?? null : null
  return {
    record: 'flow',
    time: r.flow.start === null ? null : new Date(r.flow.start * 1000).toISOString(),
    direction: side === null ? 'unknown' : side.hostIsSource ? 'outbound' : 'inbound',
    host: side === null ? null : { ip: side.hostIp, port: side.hostPort },
    remote: side === null ? null : { ip: side.remoteIp, port: side.remotePort },
    flow: flowFields(r.flow),
    attribution: r.attribution === null ? null : attributionOut(r.attribution),
    unattributed: r.unattributed === null ? null : { reason: r.unattributed.reason }
  }
}

export function flowRef (f: FlowRecord): FlowRef {
  return {
    file: f.source.file,
    line: f.source.line,
    start: f.start,
    end: f.end,
    action: f.action,
    srcaddr: f.srcaddr,
    srcport: f.srcport,
    dstaddr: f.dstaddr,
    dstport: f.dstport,
    protocol: f.protocol
  }
}

export function hostOnlyOut (r: HostOnlyResult): HostOnlyOut {
  return {
    record: 'host_only',
    time: r.event.ev.time,
    reason: r.hostOnly.reason,
    detail: r.hostOnly.detail,
    event: r.event.ev,
    flows: r.rejectedBy.map(flowRef)
  }
}
