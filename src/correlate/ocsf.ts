/**
 * Native correlate records → OCSF 1.1.0 Network Activity (class 4001), as
 * schemas/correlate-ocsf.schema.json specifies. In: a FlowOut or HostOnlyOut. Out: a flow as the
 * OCSF project's VPC Flow mapping writes it (Security Lake's shape: activity 6 Traffic / 5 Refuse,
 * action and disposition, traffic, cloud), with the attributed process as `actor`; a host-only event
 * as netfilter's own OCSF event (src/formats/ocsf.ts). The join's verdict is in
 * `unmapped.correlation` in both. Absent data is left out, never null, as in docs/formats.md.
 */
import type { NetworkEvent } from '../events/network-event.js'
import { toOcsf, type OcsfEvent, type OcsfProcess, type OcsfUser } from '../formats/ocsf.js'
import type { CandidateOut, FlowOut, FlowRef, HostOnlyOut } from './records.js'

const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite'
}

/** boundary_id of OCSF = traffic-path + 3 (1 same VPC → 4 Same VPC … 8 IGW → 11 Internet Gateway). */
const BOUNDARY: Readonly<Record<number, string>> = {
  4: 'Same VPC', 5: 'Internet/VPC Gateway', 6: 'Virtual Private Gateway', 7: 'Intra-region VPC',
  8: 'Inter-region VPC', 9: 'Local Gateway', 10: 'Gateway VPC', 11: 'Internet Gateway'
}

export interface OcsfFlowEndpoint {
  ip?: string
  port?: number
  interface_uid?: string
  instance_uid?: string
  vpc_uid?: string
  subnet_uid?: string
  svc_name?: string
  intermediate_ips?: string[]
}

export interface OcsfCandidate {
  node?: string
  pid?: number
  exe?: string
  cmd_line?: string
  uid?: string
  event_ids: string[]
  event_count: number
  match: string
}

export interface OcsfCorrelation {
  status: 'attributed' | 'unattributed' | 'host_only'
  match?: string
  event_ids?: string[]
  event_count?: number
  ambiguous?: OcsfCandidate[]
  reason?: string
  detail?: string
  flows?: Array<Partial<FlowRef>>
}

export interface OcsfFlowEvent {
  activity_id: 0 | 5 | 6
  activity_name: 'Unknown' | 'Refuse' | 'Traffic'
  category_uid: 4
  category_name: 'Network Activity'
  class_uid: 4001
  class_name: 'Network Activity'
  type_uid: 400100 | 400105 | 400106
  type_name: string
  severity_id: 1
  severity: 'Informational'
  time: number
  start_time?: number
  end_time?: number
  status_id: 0 | 1 | 2
  status: 'Unknown' | 'Success' | 'Failure'
  status_code?: string
  action_id: 0 | 1 | 2
  action: 'Unknown' | 'Allowed' | 'Denied'
  disposition_id: 0 | 1 | 2
  disposition: 'Unknown' | 'Allowed' | 'Blocked'
  src_endpoint?: OcsfFlowEndpoint
  dst_endpoint?: OcsfFlowEndpoint
  connection_info: {
    direction_id: 0 | 1 | 2
    direction: 'Unknown' | 'Inbound' | 'Outbound'
    protocol_num?: number
    protocol_name?: string
    protocol_ver_id?: 4 | 6
    protocol_ver?: string
    tcp_flags?: number
    boundary_id?: number
    boundary?: string
  }
  traffic?: { packets?: number, bytes?: number }
  cloud: { provider: 'AWS', account?: { uid: string }, region?: string, zone?: string }
  actor?: { process: OcsfProcess, user?: OcsfUser }
  device?: { hostname: string, type_id: 0 }
  metadata: {
    version: '1.1.0'
    product: { name: 'Amazon VPC', vendor_name: 'AWS', feature: { name: 'Flowlogs' }, version?: string }
    profiles: string[]
  }
  unmapped: { correlation: OcsfCorrelation, flow: Record<string, unknown> }
}

export type OcsfHostOnlyEvent = Omit<OcsfEvent, 'unmapped'> & { unmapped: OcsfEvent['unmapped'] & { correlation: OcsfCorrelation } }

const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
const num = (v: unknown): number | undefined => typeof v === 'number' ? v : undefined

function processOf (p: NetworkEvent['process'], u: NetworkEvent['user']): OcsfProcess | null {
  if (p.pid === null) return null
  const out: OcsfProcess = { pid: p.pid, cmd_line: p.argv === null ? '' : p.argv.join(' ') }
  if (p.comm !== null) out.name = p.comm
  if (p.exe !== null) {
    const name = p.exe.slice(p.exe.lastIndexOf('/') + 1)
    if (name !== '') out.file = { name, path: p.exe, type_id: 1 }
  }
  if (p.ppid !== null) out.parent_process = { pid: p.ppid }
  const user = userOf(u)
  if (user !== null) out.user = user
  return out
}

function userOf (u: NetworkEvent['user']): OcsfUser | null {
  const out: OcsfUser = {}
  if (u.uid !== null) out.uid = String(u.uid)
  if (u.name !== undefined) out.name = u.name
  return out.uid === undefined && out.name === undefined ? null : out
}

function candidate (c: CandidateOut): OcsfCandidate {
  const out: OcsfCandidate = { event_ids: [...c.event_ids], event_count: c.event_count, match: c.match }
  if (c.node !== null) out.node = c.node
  if (c.process.pid !== null) out.pid = c.process.pid
  if (c.process.exe !== null) out.exe = c.process.exe
  if (c.process.argv !== null) out.cmd_line = c.process.argv.join(' ')
  if (c.user.uid !== null) out.uid = String(c.user.uid)
  return out
}

/**
 * One endpoint of the flow. The packet-level address (pkt-srcaddr/pkt-dstaddr) is the endpoint's
 * ip when it differs from the ENI's, which then goes to intermediate_ips, as the OCSF mapping does.
 * The ENI's own ids go on the side that is the ENI (the source of an egress record).
 */
function endpoint (f: FlowOut['flow'], source: boolean, isEni: boolean): OcsfFlowEndpoint | undefined {
  const eniAddr = str(f[source ? 'srcaddr' : 'dstaddr'])
  const pktAddr = str(f[source ? 'pkt_srcaddr' : 'pkt_dstaddr'])
  const out: OcsfFlowEndpoint = {}
  const ip = pktAddr ?? eniAddr
  if (ip !== undefined) out.ip = ip
  if (pktAddr !== undefined && eniAddr !== undefined && pktAddr !== eniAddr) out.intermediate_ips = [eniAddr]
  const port = num(f[source ? 'srcport' : 'dstport'])
  if (port !== undefined) out.port = port
  const service = str(f[source ? 'pkt_src_aws_service' : 'pkt_dst_aws_service'])
  if (service !== undefined) out.svc_name = service
  if (isEni) {
    const ids: Array<[keyof OcsfFlowEndpoint, string]> = [['interface_uid', 'interface_id'], ['instance_uid', 'instance_id'], ['vpc_uid', 'vpc_id'], ['subnet_uid', 'subnet_id']]
    for (const [to, from] of ids) {
      const v = str(f[from])
      if (v !== undefined) (out as Record<string, unknown>)[to] = v
    }
  }
  return Object.keys(out).length === 0 ? undefined : out
}

/** Flow fields that have an OCSF attribute above; the rest stay in unmapped.flow. */
const MAPPED: ReadonlySet<string> = new Set([
  'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log_status',
  'account_id', 'region', 'az_id', 'tcp_flags', 'traffic_path', 'pkt_srcaddr', 'pkt_dstaddr', 'pkt_src_aws_service',
  'pkt_dst_aws_service', 'interface_id', 'instance_id', 'vpc_id', 'subnet_id', 'version'
])

export function flowToOcsf (r: FlowOut): OcsfFlowEvent {
  const f = r.flow
  const action = f['action']
  const [activityId, activityName] = action === 'ACCEPT' ? [6, 'Traffic'] as const : action === 'REJECT' ? [5, 'Refuse'] as const : [0, 'Unknown'] as const
  const verdict = action === 'ACCEPT' ? 1 : action === 'REJECT' ? 2 : 0
  // Which side is the ENI: the host's side when known, else the flow-direction field.
  const flowDirection = str(f['flow_direction'])
  const eniIsSource = r.direction === 'outbound' || (r.direction === 'unknown' && flowDirection === 'egress')
  const eniIsDestination = r.direction === 'inbound' || (r.direction === 'unknown' && flowDirection === 'ingress')

  const connection: OcsfFlowEvent['connection_info'] = r.direction === 'outbound'
    ? { direction_id: 2, direction: 'Outbound' }
    : r.direction === 'inbound' ? { direction_id: 1, direction: 'Inbound' } : { direction_id: 0, direction: 'Unknown' }
  const protocol = num(f['protocol'])
  if (protocol !== undefined) {
    connection.protocol_num = protocol
    const name = PROTOCOL_NAMES[protocol]
    if (name !== undefined) connection.protocol_name = name
  }
  const type = str(f['type'])
  const someIp = str(f['srcaddr']) ?? str(f['dstaddr'])
  const ver = type === 'IPv4' ? 4 : type === 'IPv6' ? 6 : someIp === undefined ? null : someIp.includes(':') ? 6 : 4
  if (ver !== null) {
    connection.protocol_ver_id = ver
    connection.protocol_ver = ver === 4 ? 'Internet Protocol version 4 (IPv4)' : 'Internet Protocol version 6 (IPv6)'
  }
  const flags = num(f['tcp_flags'])
  if (flags !== undefined) connection.tcp_flags = flags
  const path = num(f['traffic_path'])
  if (path !== undefined && BOUNDARY[path + 3] !== undefined) {
    connection.boundary_id = path + 3
    connection.boundary = BOUNDARY[path + 3] as string
  }

  const traffic: NonNullable<OcsfFlowEvent['traffic']> = {}
  const packets = num(f['packets'])
  const bytes = num(f['bytes'])
  if (packets !== undefined) traffic.packets = packets
  if (bytes !== undefined) traffic.bytes = bytes

  const cloud: OcsfFlowEvent['cloud'] = { provider: 'AWS' }
  const account = str(f['account_id'])
  if (account !== undefined) cloud.account = { uid: account }
  const region = str(f['region'])
  if (region !== undefined) cloud.region = region
  const zone = str(f['az_id'])
  if (zone !== undefined) cloud.zone = zone

  const a = r.attribution
  const correlation: OcsfCorrelation = { status: a === null ? 'unattributed' : 'attributed' }
  if (a !== null) {
    correlation.match = a.match
    correlation.event_ids = [...a.event_ids]
    correlation.event_count = a.event_count
    if (a.ambiguous !== null) correlation.ambiguous = a.ambiguous.map(candidate)
  } else if (r.unattributed !== null) {
    correlation.reason = r.unattributed.reason
  }
  const rest: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(f)) if (!MAPPED.has(k) && v !== null) rest[k] = v

  const start = num(f['start'])
  const end = num(f['end'])
  const version = num(f['version'])
  const process = a !== null && a.process !== null && a.user !== null ? processOf(a.process, a.user) : null
  const actorUser = a !== null && a.user !== null ? userOf(a.user) : null
  const out: OcsfFlowEvent = {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: 4,
    category_name: 'Network Activity',
    class_uid: 4001,
    class_name: 'Network Activity',
    type_uid: (400100 + activityId) as OcsfFlowEvent['type_uid'],
    type_name: `Network Activity: ${activityName}`,
    severity_id: 1,
    severity: 'Informational',
    time: (start ?? 0) * 1000,
    status_id: verdict,
    status: verdict === 1 ? 'Success' : verdict === 2 ? 'Failure' : 'Unknown',
    action_id: verdict,
    action: verdict === 1 ? 'Allowed' : verdict === 2 ? 'Denied' : 'Unknown',
    disposition_id: verdict,
    disposition: verdict === 1 ? 'Allowed' : verdict === 2 ? 'Blocked' : 'Unknown',
    connection_info: connection,
    cloud,
    metadata: {
      version: '1.1.0',
      product: { name: 'Amazon VPC', vendor_name: 'AWS', feature: { name: 'Flowlogs' }, ...(version !== undefined ? { version: String(version) } : {}) },
      profiles: process !== null ? ['cloud', 'security_control', 'host'] : ['cloud', 'security_control']
    },
    unmapped: { correlation, flow: rest }
  }
  if (start !== undefined) out.start_time = start * 1000
  if (end !== undefined) out.end_time = end * 1000
  const status = str(f['log_status'])
  if (status !== undefined) out.status_code = status
  const src = endpoint(f, true, eniIsSource)
  const dst = endpoint(f, false, eniIsDestination)
  if (src !== undefined) out.src_endpoint = src
  if (dst !== undefined) out.dst_endpoint = dst
  if (Object.keys(traffic).length > 0) out.traffic = traffic
  if (process !== null) out.actor = actorUser !== null ? { process, user: actorUser } : { process }
  if (a !== null && a.node !== null && process !== null) out.device = { hostname: a.node, type_id: 0 }
  return out
}

export function hostOnlyToOcsf (r: HostOnlyOut): OcsfHostOnlyEvent {
  const base = toOcsf(r.event)
  const correlation: OcsfCorrelation = { status: 'host_only', reason: r.reason }
  if (r.detail !== null) correlation.detail = r.detail
  // OCSF leaves out what is unknown: a flow's null fields are dropped.
  if (r.flows.length > 0) correlation.flows = r.flows.map(f => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== null)) as Partial<FlowRef>)
  return { ...base, unmapped: { ...base.unmapped, correlation } }
}
