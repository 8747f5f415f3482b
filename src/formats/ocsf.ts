/**
 * Output format: a NetworkEvent → an OCSF 1.1.0 Network Activity event (class_uid 4001), as
 * specified by schemas/ocsf.schema.json. Pure: the native event is not changed and nothing is
 * shared with it. docs/formats.md gives the mapping field by field and the reasons.
 *
 * Only attributes and enum values that exist in OCSF 1.1.0 are used (no 7 "Listen", which came
 * later). Absent data is left out, never null. The audit specifics with no OCSF attribute are in
 * `unmapped`. Endpoints follow the same direction rules as the ECS format (trafficEndpoints).
 */
import type { Endpoint, NetworkEvent } from '../events/network-event.js'
import { auditSerial, copyEndpoint, ianaProtocol, ipVersion, trafficEndpoints, type TrafficEndpoint } from './ecs.js'

/** The OCSF schema version every event declares (metadata.version). */
export const OCSF_VERSION = '1.1.0'
/** netfilter's version, reported as metadata.product.version (the test keeps it equal to package.json's). */
export const NETFILTER_VERSION = '0.1.0'

const CLASS_UID = 4001
const CLASS_NAME = 'Network Activity'

/** Network Activity activity_id values of OCSF 1.1.0 that netfilter uses. */
export type OcsfActivityId = 0 | 1 | 3 | 4 | 5 | 6 | 99
const ACTIVITY_CAPTIONS: Readonly<Record<OcsfActivityId, string>> = {
  0: 'Unknown', 1: 'Open', 3: 'Reset', 4: 'Fail', 5: 'Refuse', 6: 'Traffic', 99: 'Other'
}

export interface OcsfEndpoint { ip?: string, port?: number }
export interface OcsfUser { uid?: string, name?: string }
export interface OcsfProcess {
  pid: number
  name?: string
  file?: { name: string, path: string, type_id: 1 }
  /** argv joined by spaces; '' when the PROCTITLE record was missing, as OCSF asks. */
  cmd_line: string
  parent_process?: { pid: number }
  user?: OcsfUser
}

export interface OcsfUnmapped {
  event_id: string
  syscall?: string
  arch?: string
  result: NetworkEvent['result']
  exit?: number
  errno?: string
  fd?: number
  family: string
  transport?: string
  transport_hint?: string
  socket?: { type?: string, protocol: number }
  local?: Endpoint
  remote?: Endpoint
  euid?: number
  gid?: number
  auid?: number
  effective_name?: string
  group?: string
  audit_name?: string
  key?: string
  keys?: string[]
  socketcall?: true
  decode_error?: string
}

export interface OcsfEvent {
  activity_id: OcsfActivityId
  activity_name: string
  category_uid: 4
  category_name: 'Network Activity'
  class_uid: 4001
  class_name: 'Network Activity'
  type_uid: number
  type_name: string
  severity_id: 1
  severity: 'Informational'
  /** Epoch milliseconds. */
  time: number
  status_id: 0 | 1 | 2 | 99
  status: 'Unknown' | 'Success' | 'Failure' | 'In Progress'
  /** The errno name of a failed (or in-progress) call. */
  status_code?: string
  actor?: {
    process?: OcsfProcess
    user?: OcsfUser
    session?: { uid?: string, terminal?: string }
  }
  src_endpoint?: OcsfEndpoint
  dst_endpoint?: OcsfEndpoint
  connection_info: {
    direction_id: 0 | 1 | 2
    direction: 'Unknown' | 'Inbound' | 'Outbound'
    protocol_num?: number
    protocol_name?: string
    protocol_ver_id?: 4 | 6
    protocol_ver?: string
  }
  device?: { hostname: string, type_id: 0 }
  metadata: {
    version: '1.1.0'
    product: { name: 'netfilter', vendor_name: 'netfilter', version: string }
    /** The audit event id SECONDS.MILLIS:SERIAL. */
    uid: string
    /** SECONDS.MILLIS as in msg=audit(…). */
    original_time: string
    /** The audit serial. */
    sequence: number
    profiles: ['host']
  }
  unmapped: OcsfUnmapped
}

export interface OcsfOptions {
  /** metadata.product.version; defaults to NETFILTER_VERSION. */
  productVersion?: string
}

/**
 * activity_id: what happened to a connection.
 * connect: 1 Open (also in progress: the open was started), or on failure 5 Refuse
 * (ECONNREFUSED), 3 Reset (ECONNRESET), 4 Fail (any other error: timeout, unreachable, denied…);
 * accept: 1 Open, or 99 Other when it failed (no connection was taken: EAGAIN and the like);
 * send/receive: 6 Traffic; bind and socket: 99 Other (1.1.0 has no Listen); another call: 99 Other,
 * or 0 Unknown when even the call is unknown. With 99 and 0, activity_name is the syscall's name.
 */
function activityOf (ev: NetworkEvent): [OcsfActivityId, string] {
  const other = (): [OcsfActivityId, string] => ev.syscall === null ? [0, 'Unknown'] : [99, ev.syscall]
  switch (ev.action) {
    case 'connect':
      if (ev.result !== 'failed') return [1, 'Open']
      if (ev.errno === 'ECONNREFUSED') return [5, 'Refuse']
      if (ev.errno === 'ECONNRESET') return [3, 'Reset']
      return [4, 'Fail']
    case 'accept':
      return ev.result === 'failed' ? other() : [1, 'Open']
    case 'send':
    case 'receive':
      return [6, 'Traffic']
    default:
      return other()
  }
}

const STATUS: Readonly<Record<NetworkEvent['result'], [OcsfEvent['status_id'], OcsfEvent['status']]>> = {
  success: [1, 'Success'],
  failed: [2, 'Failure'],
  // 1.1.0 has Unknown (0), Success, Failure and Other (99, "see status"): the call's own answer is
  // neither success nor failure but a specific state, so Other with status naming it.
  in_progress: [99, 'In Progress'],
  // No SYSCALL record reached netfilter (a lone SOCKADDR): the call's result is not known.
  unknown: [0, 'Unknown']
}

/** An OCSF endpoint needs an address to identify it; a port alone is kept (see docs/formats.md). */
function ocsfEndpoint (ep: TrafficEndpoint | null): OcsfEndpoint | null {
  if (ep === null) return null
  const out: OcsfEndpoint = {}
  if (ep.ip !== undefined) out.ip = ep.ip
  if (ep.port !== undefined) out.port = ep.port
  return out.ip === undefined && out.port === undefined ? null : out
}

function actorOf (ev: NetworkEvent): NonNullable<OcsfEvent['actor']> | null {
  const u = ev.user
  const user: OcsfUser = {}
  if (u.uid !== null) user.uid = String(u.uid)
  if (u.name !== undefined) user.name = u.name
  const hasUser = user.uid !== undefined || user.name !== undefined

  const actor: NonNullable<OcsfEvent['actor']> = {}
  const p = ev.process
  if (p.pid !== null) {
    const process: OcsfProcess = { pid: p.pid, cmd_line: p.argv === null ? '' : p.argv.join(' ') }
    if (p.comm !== null) process.name = p.comm
    if (p.exe !== null) {
      const name = p.exe.slice(p.exe.lastIndexOf('/') + 1)
      if (name !== '') process.file = { name, path: p.exe, type_id: 1 }
    }
    if (p.ppid !== null) process.parent_process = { pid: p.ppid }
    if (hasUser) process.user = { ...user }
    actor.process = process
  }
  if (hasUser) actor.user = { ...user }
  const session: { uid?: string, terminal?: string } = {}
  if (u.ses !== null) session.uid = String(u.ses)
  if (ev.tty !== null) session.terminal = ev.tty
  if (session.uid !== undefined || session.terminal !== undefined) actor.session = session
  return Object.keys(actor).length === 0 ? null : actor
}

function unmappedOf (ev: NetworkEvent): OcsfUnmapped {
  const out: OcsfUnmapped = { event_id: ev.event_id, result: ev.result, family: ev.family }
  if (ev.syscall !== null) out.syscall = ev.syscall
  if (ev.arch !== null) out.arch = ev.arch
  if (ev.exit !== null) out.exit = ev.exit
  if (ev.errno !== null) out.errno = ev.errno
  if (ev.fd !== null) out.fd = ev.fd
  if (ev.transport !== null) out.transport = ev.transport
  if (ev.transport_hint !== undefined) out.transport_hint = ev.transport_hint
  if (ev.socket !== null) {
    out.socket = ev.socket.type === null ? { protocol: ev.socket.protocol } : { type: ev.socket.type, protocol: ev.socket.protocol }
  }
  if (ev.local !== null) out.local = copyEndpoint(ev.local)
  if (ev.remote !== null) out.remote = copyEndpoint(ev.remote)
  const u = ev.user
  if (u.euid !== null) out.euid = u.euid
  if (u.gid !== null) out.gid = u.gid
  if (u.auid !== null) out.auid = u.auid
  if (u.effective_name !== undefined) out.effective_name = u.effective_name
  if (u.group !== undefined) out.group = u.group
  if (u.audit_name !== undefined) out.audit_name = u.audit_name
  if (ev.key !== null) out.key = ev.key
  if (ev.keys !== undefined) out.keys = [...ev.keys]
  if (ev.socketcall === true) out.socketcall = true
  if (ev.decode_error !== undefined) out.decode_error = ev.decode_error
  return out
}

export function toOcsf (ev: NetworkEvent, options: OcsfOptions = {}): OcsfEvent {
  const [activityId, activityName] = activityOf(ev)
  const [statusId, status] = STATUS[ev.result]

  const connection: OcsfEvent['connection_info'] = ev.direction === 'outbound'
    ? { direction_id: 2, direction: 'Outbound' }
    : ev.direction === 'inbound' ? { direction_id: 1, direction: 'Inbound' } : { direction_id: 0, direction: 'Unknown' }
  const protocol = ianaProtocol(ev)
  if (protocol !== null) {
    connection.protocol_num = protocol.number
    if (protocol.keyword !== undefined) connection.protocol_name = protocol.keyword
  }
  const version = ipVersion(ev)
  if (version !== null) {
    connection.protocol_ver_id = version
    connection.protocol_ver = version === 4 ? 'Internet Protocol version 4 (IPv4)' : 'Internet Protocol version 6 (IPv6)'
  }

  const actor = actorOf(ev)
  const { source, destination } = trafficEndpoints(ev)
  const src = ocsfEndpoint(source)
  const dst = ocsfEndpoint(destination)

  return {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: 4,
    category_name: CLASS_NAME,
    class_uid: CLASS_UID,
    class_name: CLASS_NAME,
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `${CLASS_NAME}: ${ACTIVITY_CAPTIONS[activityId]}`,
    severity_id: 1,
    severity: 'Informational',
    time: Date.parse(ev.time),
    status_id: statusId,
    status,
    ...(ev.errno !== null ? { status_code: ev.errno } : {}),
    ...(actor !== null ? { actor } : {}),
    ...(src !== null ? { src_endpoint: src } : {}),
    ...(dst !== null ? { dst_endpoint: dst } : {}),
    connection_info: connection,
    ...(ev.node !== null ? { device: { hostname: ev.node, type_id: 0 as const } } : {}),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'netfilter', vendor_name: 'netfilter', version: options.productVersion ?? NETFILTER_VERSION },
      uid: ev.event_id,
      original_time: ev.event_id.slice(0, ev.event_id.indexOf(':')),
      sequence: auditSerial(ev.event_id),
      profiles: ['host']
    },
    unmapped: unmappedOf(ev)
  }
}
