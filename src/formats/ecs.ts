/**
 * Output format: a NetworkEvent → an Elastic Common Schema document (schemas/ecs.schema.json).
 * Pure: the native event is not changed and nothing is shared with it. The field choices follow what
 * Auditbeat's auditd module emits for the same syscalls; docs/formats.md gives the mapping field by
 * field and the reasons for each decision.
 *
 * Rule for absent data: an ECS document leaves out what is not known (no nulls, no empty objects,
 * never undefined). The audit specifics that have no ECS field are under the one namespace auditd.*.
 *
 * Also exported, for the OCSF mapping: which IANA protocol a transport is, which IP version the
 * traffic used, and which endpoint is the source and which the destination.
 */
import type { Endpoint, NetworkEvent } from '../events/network-event.js'

/** The ECS version the documents conform to (the ecs.version field). */
export const ECS_VERSION = '9.4.0'

// ---------------------------------------------------------------------------------------------
// Shared with the OCSF mapping

/** An IANA protocol: its number and, when IANA gives one, its keyword in lower case. */
export interface IanaProtocol { number: number, keyword?: string }

/**
 * netfilter's transport names (src/decoders/socket-type.ts) → IANA protocol number and keyword
 * (lower case, as ECS network.transport and OCSF protocol_name want it: ICMPv6 is "ipv6-icmp").
 * MPTCP is TCP on the wire (protocol 6); Linux's IPPROTO_MPTCP 262 is not an IANA number.
 */
const IANA: ReadonlyMap<string, IanaProtocol> = new Map([
  ['icmp', { number: 1, keyword: 'icmp' }],
  ['igmp', { number: 2, keyword: 'igmp' }],
  ['tcp', { number: 6, keyword: 'tcp' }],
  ['udp', { number: 17, keyword: 'udp' }],
  ['dccp', { number: 33, keyword: 'dccp' }],
  ['ipv6', { number: 41, keyword: 'ipv6' }],
  ['gre', { number: 47, keyword: 'gre' }],
  ['esp', { number: 50, keyword: 'esp' }],
  ['ah', { number: 51, keyword: 'ah' }],
  ['icmpv6', { number: 58, keyword: 'ipv6-icmp' }],
  ['sctp', { number: 132, keyword: 'sctp' }],
  ['udplite', { number: 136, keyword: 'udplite' }],
  ['mptcp', { number: 6, keyword: 'tcp' }]
])

const isIpFamily = (ev: NetworkEvent): boolean => ev.family === 'inet' || ev.family === 'inet6'

/**
 * The IANA protocol of an inet/inet6 event's transport, or null when it is not known. Only the
 * transport recovered from socket() counts: transport_hint is a guess and is never used here.
 * "ipproto-N" gives N with no keyword; "raw" gives socket()'s protocol when it is a real IANA
 * number (1–254), else null (IPPROTO_RAW 255 is "reserved" for IANA).
 */
export function ianaProtocol (ev: NetworkEvent): IanaProtocol | null {
  if (!isIpFamily(ev) || ev.transport === null) return null
  const known = IANA.get(ev.transport)
  if (known !== undefined) return known
  const numbered = /^ipproto-(\d+)$/.exec(ev.transport)
  if (numbered !== null) return { number: Number(numbered[1]) }
  if (ev.transport === 'raw' && ev.socket !== null && ev.socket.protocol >= 1 && ev.socket.protocol <= 254) {
    return { number: ev.socket.protocol }
  }
  return null
}

const isIpEndpoint = (ep: Endpoint | null): ep is Endpoint & { ip: string, port: number } =>
  ep !== null && typeof ep.ip === 'string' && typeof ep.port === 'number'

/**
 * The IP version of the traffic: 4 for inet; for inet6, 4 when the address the call used is
 * IPv4-mapped (::ffff:a.b.c.d: the packets are IPv4), else 6. The address is the remote one, or the
 * local one when there is no remote (bind); a socket() with no address keeps its family's version.
 * null for families other than inet and inet6.
 */
export function ipVersion (ev: NetworkEvent): 4 | 6 | null {
  if (ev.family === 'inet') return 4
  if (ev.family !== 'inet6') return null
  const used = isIpEndpoint(ev.remote) ? ev.remote : isIpEndpoint(ev.local) ? ev.local : null
  return used !== null && used.ipv4_mapped === true ? 4 : 6
}

/** One side of the traffic as the standard formats carry it. At least one property is present. */
export interface TrafficEndpoint {
  ip?: string
  port?: number
  /** The raw address: the IP as the socket had it (::ffff:a.b.c.d when mapped), or a unix path. */
  address?: string
}

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::'])

/**
 * An address given to or returned by the call itself (the peer), as is: an IP endpoint gives ip,
 * port and address; a unix socket path gives address only; other families give nothing.
 */
function fromCall (ep: Endpoint | null): TrafficEndpoint | null {
  if (ep === null) return null
  if (isIpEndpoint(ep)) {
    return { ip: ep.ip, port: ep.port, address: ep.ipv4_mapped === true ? `::ffff:${ep.ip}` : ep.ip }
  }
  const path = ep['path']
  return typeof path === 'string' ? { address: path } : null
}

/**
 * The local address recalled from an earlier bind() (socket context). A wildcard address (0.0.0.0,
 * ::) and port 0 are what was asked of bind, not what this traffic used (the kernel picked the real
 * ones), so they are left out; null when nothing is left.
 */
function fromContext (ep: Endpoint | null): TrafficEndpoint | null {
  if (ep === null) return null
  if (isIpEndpoint(ep)) {
    const out: TrafficEndpoint = {}
    if (!WILDCARDS.has(ep.ip)) {
      out.ip = ep.ip
      out.address = ep.ipv4_mapped === true ? `::ffff:${ep.ip}` : ep.ip
    }
    if (ep.port !== 0) out.port = ep.port
    return out.ip === undefined && out.port === undefined ? null : out
  }
  return fromCall(ep)
}

/**
 * Source and destination of the traffic, by direction (host view):
 * - outbound (connect, sendto, sendmsg, sendmmsg): destination = the peer, source = the local
 *   address when a bind() on the socket was seen;
 * - inbound (accept, accept4, recvfrom, recvmsg, recvmmsg): source = the peer, destination = the
 *   local address (for accept: the listening socket's bound address and port);
 * - bind, socket and other calls: neither; a bind says which address the socket has, not whether it
 *   will send from it or be connected to (the same reason Auditbeat gives for leaving it out).
 */
export function trafficEndpoints (ev: NetworkEvent, share = false): { source: TrafficEndpoint | null, destination: TrafficEndpoint | null } {
  const call = share ? sharedFromCall : fromCall
  const context = share ? sharedFromContext : fromContext
  if (ev.direction === 'outbound') return { source: context(ev.local), destination: call(ev.remote) }
  if (ev.direction === 'inbound') return { source: call(ev.remote), destination: context(ev.local) }
  return { source: null, destination: null }
}

/**
 * Shared documents (toEcsShared): what is made from one of the filter's frozen objects — an address
 * (decoded once per distinct saddr), a process or a user (one per process; see NetworkEvent) — is
 * made once, frozen all through and shared in turn, so the JSON writer writes its bytes again by
 * identity (sinks/json-value.ts). What is made of an object that is not frozen through, which
 * could change, is made anew.
 */
function madeOnce<K extends object, V extends object> (made: WeakMap<K, V | null>, from: K, make: (from: K) => V | null): V | null {
  if (!frozenThrough(from)) return make(from)
  let out = made.get(from)
  if (out === undefined) {
    out = make(from)
    if (out !== null) freezeThrough(out)
    made.set(from, out)
  }
  return out
}

function frozenThrough (o: object): boolean {
  if (!Object.isFrozen(o)) return false
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null && !frozenThrough(v)) return false
  return true
}

function freezeThrough (o: object): void {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) freezeThrough(v)
  Object.freeze(o)
}

const viaCall = new WeakMap<Endpoint, TrafficEndpoint | null>()
const viaContext = new WeakMap<Endpoint, TrafficEndpoint | null>()
const sharedFromCall = (ep: Endpoint | null): TrafficEndpoint | null => ep === null ? null : madeOnce(viaCall, ep, fromCall)
const sharedFromContext = (ep: Endpoint | null): TrafficEndpoint | null => ep === null ? null : madeOnce(viaContext, ep, fromContext)

/** An address for a shared document: the filter's own (frozen, shared) as it is, any other copied. */
const asGiven = (ep: Endpoint): Endpoint => frozenThrough(ep) ? ep : copyEndpoint(ep)

/** The serial number of SECONDS.MILLIS:SERIAL. */
export function auditSerial (eventId: string): number {
  return Number(eventId.slice(eventId.indexOf(':') + 1))
}

/** A copy of a native endpoint (its values are all scalars), so no output shares the input's objects. */
export function copyEndpoint (ep: Endpoint): Endpoint {
  return { ...ep }
}

// ---------------------------------------------------------------------------------------------
// The ECS document

export type EcsEventType = 'connection' | 'start' | 'info'
export type EcsOutcome = 'success' | 'failure' | 'unknown'

export interface EcsEndpoint { ip?: string, port?: number, address?: string }
export interface EcsEntity { id?: string, name?: string }

export interface EcsAuditd {
  /** SECONDS.MILLIS:SERIAL verbatim. */
  event_id: string
  /** The serial, as Auditbeat's auditd.sequence. */
  sequence: number
  syscall?: string
  arch?: string
  result: NetworkEvent['result']
  exit?: number
  errno?: string
  fd?: number
  family: string
  /** netfilter's direction, which also names bind (listen) and socket (intent). */
  direction?: 'outbound' | 'inbound' | 'listen' | 'intent'
  /** The transport as netfilter names it (mptcp, raw, ipproto-N included). */
  transport?: string
  transport_hint?: string
  socket?: { type?: string, protocol: number }
  /** The audit session id, a string as in Auditbeat. */
  session?: string
  tty?: string
  /** The decoded sockaddrs verbatim (wildcards, port 0, flowinfo, scope_id, non-IP families). */
  local?: Endpoint
  remote?: Endpoint
  socketcall?: true
  decode_error?: string
}

export interface EcsEvent {
  '@timestamp': string
  ecs: { version: string }
  event: {
    kind: 'event'
    category: ['network']
    type: EcsEventType[]
    action: string
    outcome: EcsOutcome
    id: string
  }
  source?: EcsEndpoint
  destination?: EcsEndpoint
  network?: {
    transport?: string
    iana_number?: string
    type?: 'ipv4' | 'ipv6'
    direction?: 'ingress' | 'egress'
  }
  process?: {
    pid?: number
    parent?: { pid: number }
    name?: string
    executable?: string
    args?: string[]
    args_count?: number
    title?: string
  }
  user?: {
    id?: string
    name?: string
    effective?: EcsEntity
    group?: EcsEntity
    /** Auditbeat's field for the login user (auid); not in ECS itself. */
    audit?: EcsEntity
  }
  host?: { name: string }
  tags?: string[]
  auditd: EcsAuditd
}

/** Auditbeat's verbs (go-libaudit normalizations); socket() has none there, so netfilter names it. */
const ACTIONS: Readonly<Record<NonNullable<NetworkEvent['action']>, string>> = {
  connect: 'connected-to',
  accept: 'accepted-connection-from',
  bind: 'bound-socket',
  send: 'sent-to',
  receive: 'received-from',
  socket: 'created-socket'
}

/** event.type by call, as Auditbeat's normalizations give it (socket and other calls: info). */
const TYPES: Readonly<Record<NonNullable<NetworkEvent['action']>, EcsEventType[]>> = {
  connect: ['connection', 'start'],
  accept: ['connection', 'start'],
  bind: ['start'],
  send: ['connection', 'info'],
  receive: ['connection', 'info'],
  socket: ['info']
}

/** in_progress is an attempt whose result the call did not give: ECS's own case for "unknown". */
const OUTCOMES: Readonly<Record<NetworkEvent['result'], EcsOutcome>> = {
  success: 'success',
  failed: 'failure',
  in_progress: 'unknown',
  unknown: 'unknown'
}

function entity (id: number | null, name: string | undefined): EcsEntity | null {
  const out: EcsEntity = {}
  if (id !== null) out.id = String(id)
  if (name !== undefined) out.name = name
  return out.id === undefined && out.name === undefined ? null : out
}

const ecsProcesses = new WeakMap<NetworkEvent['process'], NonNullable<EcsEvent['process']> | null>()
const ecsUsers = new WeakMap<NetworkEvent['user'], NonNullable<EcsEvent['user']> | null>()

function ecsProcess (p: NetworkEvent['process']): NonNullable<EcsEvent['process']> | null {
  const out: NonNullable<EcsEvent['process']> = {}
  if (p.pid !== null) out.pid = p.pid
  if (p.ppid !== null) out.parent = { pid: p.ppid }
  if (p.comm !== null) out.name = p.comm
  if (p.exe !== null) out.executable = p.exe
  if (p.argv !== null && p.argv.length > 0) {
    out.args = [...p.argv]
    out.args_count = p.argv.length
    out.title = p.argv.join(' ')
  }
  return Object.keys(out).length === 0 ? null : out
}

function ecsUser (u: NetworkEvent['user']): NonNullable<EcsEvent['user']> | null {
  const out: NonNullable<EcsEvent['user']> = {}
  const main = entity(u.uid, u.name)
  if (main?.id !== undefined) out.id = main.id
  if (main?.name !== undefined) out.name = main.name
  const effective = entity(u.euid, u.effective_name)
  if (effective !== null) out.effective = effective
  const group = entity(u.gid, u.group)
  if (group !== null) out.group = group
  const audit = entity(u.auid, u.audit_name)
  if (audit !== null) out.audit = audit
  return Object.keys(out).length === 0 ? null : out
}

function ecsAuditd (ev: NetworkEvent, share: boolean): EcsAuditd {
  const out: EcsAuditd = {
    event_id: ev.event_id,
    sequence: auditSerial(ev.event_id),
    result: ev.result,
    family: ev.family
  }
  if (ev.syscall !== null) out.syscall = ev.syscall
  if (ev.arch !== null) out.arch = ev.arch
  if (ev.exit !== null) out.exit = ev.exit
  if (ev.errno !== null) out.errno = ev.errno
  if (ev.fd !== null) out.fd = ev.fd
  if (ev.direction !== null) out.direction = ev.direction
  if (ev.transport !== null) out.transport = ev.transport
  if (ev.transport_hint !== undefined) out.transport_hint = ev.transport_hint
  if (ev.socket !== null) {
    out.socket = ev.socket.type === null ? { protocol: ev.socket.protocol } : { type: ev.socket.type, protocol: ev.socket.protocol }
  }
  if (ev.user.ses !== null) out.session = String(ev.user.ses)
  if (ev.tty !== null) out.tty = ev.tty
  if (ev.local !== null) out.local = share ? asGiven(ev.local) : copyEndpoint(ev.local)
  if (ev.remote !== null) out.remote = share ? asGiven(ev.remote) : copyEndpoint(ev.remote)
  if (ev.socketcall === true) out.socketcall = true
  if (ev.decode_error !== undefined) out.decode_error = ev.decode_error
  return out
}

export function toEcs (ev: NetworkEvent): EcsEvent {
  return ecsDocument(ev, false)
}

/**
 * toEcs for a writer that only reads the document (the JSON lines and forward sinks): the same
 * document, but its parts made from the filter's shared, frozen objects (process, user, addresses)
 * are made once, frozen and shared among the events that carry them, and so written by identity.
 */
export function toEcsShared (ev: NetworkEvent): EcsEvent {
  return ecsDocument(ev, true)
}

function ecsDocument (ev: NetworkEvent, share: boolean): EcsEvent {
  const { source, destination } = trafficEndpoints(ev, share)

  const network: NonNullable<EcsEvent['network']> = {}
  const protocol = ianaProtocol(ev)
  if (protocol !== null) {
    if (protocol.keyword !== undefined) network.transport = protocol.keyword
    network.iana_number = String(protocol.number)
  }
  const version = ipVersion(ev)
  if (version !== null) network.type = version === 4 ? 'ipv4' : 'ipv6'
  if (ev.direction === 'outbound') network.direction = 'egress'
  else if (ev.direction === 'inbound') network.direction = 'ingress'

  const process = share ? madeOnce(ecsProcesses, ev.process, ecsProcess) : ecsProcess(ev.process)
  const user = share ? madeOnce(ecsUsers, ev.user, ecsUser) : ecsUser(ev.user)
  const tags = ev.keys ?? (ev.key === null ? [] : [ev.key])

  return {
    '@timestamp': ev.time,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      category: ['network'],
      type: ev.action === null ? ['info'] : [...TYPES[ev.action]],
      action: ev.action === null ? (ev.syscall ?? 'unknown') : ACTIONS[ev.action],
      outcome: OUTCOMES[ev.result],
      id: ev.event_id
    },
    ...(source !== null ? { source } : {}),
    ...(destination !== null ? { destination } : {}),
    ...(Object.keys(network).length > 0 ? { network } : {}),
    ...(process !== null ? { process } : {}),
    ...(user !== null ? { user } : {}),
    ...(ev.node !== null ? { host: { name: ev.node } } : {}),
    ...(tags.length > 0 ? { tags: [...tags] } : {}),
    auditd: ecsAuditd(ev, share)
  }
}
