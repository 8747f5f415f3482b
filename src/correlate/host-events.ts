/**
 * netfilter's native JSON lines → the host events the join uses. In: one line of `netfilter`
 * output (schemas/event.schema.json). Out: a traffic event (a call that names a peer: connect,
 * send…, accept, receive), a local address (bind: who the host is), an ignored event with the
 * reason, or a bad line. Pure.
 */
import type { Endpoint, NetworkEvent } from '../events/network-event.js'
import { ianaProtocol } from '../formats/ecs.js'
import { canonicalIp } from './address.js'

export interface HostEvent {
  /** The event as read, given back verbatim in the output. */
  ev: NetworkEvent
  /** Event time, epoch ms: when the call began (the kernel stamps a syscall record at its entry). */
  t: number
  /**
   * Until when the call may have gone on, epoch ms. An outbound call (connect, send) sends at once:
   * over at t. An inbound one (accept, receive) waits for its peer, maybe long after t, and its
   * record is written when it returns: the join moves until on to how far the event stream had
   * come when the event arrived (Correlator.addEvent).
   */
  until: number
  direction: 'outbound' | 'inbound'
  remoteIp: string
  remotePort: number
  /** "ip|port": the key flows are looked up by. */
  key: string
  /** The bound local address when bind() named one (not a wildcard), else null. */
  localIp: string | null
  /** The bound local port when bind() named one (not 0), else null. */
  localPort: number | null
  /** IANA protocol from the socket's transport (socket() was seen), else null. */
  protocol: number | null
  /** IANA protocol of transport_hint (a guess), when transport is null. */
  hintProtocol: number | null
  /** "node|pid|exe": one process. */
  processKey: string
  /** The call failed in a way that sends no packet (EACCES, ENETUNREACH, …). */
  notSent: boolean
  /** Arrival order, for stable output. */
  seq: number
}

export type IgnoredReason = 'no_direction' | 'no_peer' | 'not_ip' | 'failed_receive'

export type ParsedEvent =
  | { kind: 'traffic', event: HostEvent }
  | { kind: 'local', ip: string, ev: NetworkEvent }
  | { kind: 'ignored', reason: IgnoredReason }
  | { kind: 'bad', reason: 'not_json' | 'not_an_event' | 'bad_time' }

const HINT_PROTOCOL: Readonly<Record<string, number>> = { tcp: 6, udp: 17 }
const WILDCARD: ReadonlySet<string> = new Set(['0.0.0.0', '::'])

/**
 * Errors of a call that returns before any packet leaves the host: a local firewall (EPERM,
 * EACCES), no route (ENETUNREACH), a bad argument or socket state, a full buffer. ECONNREFUSED,
 * ETIMEDOUT, ECONNRESET and EHOSTUNREACH are not here: a SYN went out and was answered (or not).
 */
const NOT_SENT: ReadonlySet<string> = new Set([
  'EPERM', 'EACCES', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL', 'EBADF', 'ENOTSOCK',
  'EISCONN', 'EALREADY', 'EADDRINUSE', 'ENOBUFS', 'ENOMEM', 'EMSGSIZE', 'EDESTADDRREQ', 'ENOTCONN',
  'EPIPE', 'EFAULT', 'EPROTOTYPE', 'EOPNOTSUPP', 'EAGAIN', 'ENETDOWN'
])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function ipEndpoint (ep: Endpoint | null): { ip: string, port: number } | null {
  if (ep === null || typeof ep.ip !== 'string' || typeof ep.port !== 'number') return null
  const ip = canonicalIp(ep.ip)
  return ip === null ? null : { ip, port: ep.port }
}

/** The minimal shape the join relies on; the rest of the record is passed through untouched. */
function looksLikeEvent (v: Record<string, unknown>): boolean {
  return typeof v['time'] === 'string' && typeof v['event_id'] === 'string' && isObject(v['process']) &&
    isObject(v['user']) && typeof v['family'] === 'string' && 'remote' in v && 'local' in v && 'direction' in v
}

/** Parses one line of netfilter's native output; `seq` numbers the events in arrival order. */
export function parseEventLine (line: string, seq: number): ParsedEvent {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { kind: 'bad', reason: 'not_json' }
  }
  if (!isObject(value) || !looksLikeEvent(value)) return { kind: 'bad', reason: 'not_an_event' }
  const ev = value as unknown as NetworkEvent
  const t = Date.parse(ev.time)
  if (Number.isNaN(t)) return { kind: 'bad', reason: 'bad_time' }

  if (ev.family !== 'inet' && ev.family !== 'inet6') return { kind: 'ignored', reason: 'not_ip' }
  const local = ipEndpoint(ev.local)
  if (ev.direction === 'listen') {
    return local !== null && !WILDCARD.has(local.ip) ? { kind: 'local', ip: local.ip, ev } : { kind: 'ignored', reason: 'no_peer' }
  }
  if (ev.direction !== 'outbound' && ev.direction !== 'inbound') return { kind: 'ignored', reason: 'no_direction' }
  // A failed accept or receive took no connection and no datagram: nothing to join.
  if (ev.direction === 'inbound' && ev.result === 'failed') return { kind: 'ignored', reason: 'failed_receive' }
  const remote = ipEndpoint(ev.remote)
  if (remote === null) return { kind: 'ignored', reason: 'no_peer' }

  const iana = ianaProtocol(ev)
  const hint = ev.transport === null && ev.transport_hint !== undefined ? HINT_PROTOCOL[ev.transport_hint] ?? null : null
  // UDP reports ECONNREFUSED from an earlier datagram's ICMP error; this call sent nothing.
  const notSent = ev.result === 'failed' && ev.errno !== null &&
    (NOT_SENT.has(ev.errno) || (ev.errno === 'ECONNREFUSED' && iana?.number === 17 && ev.action === 'send'))
  return {
    kind: 'traffic',
    event: {
      ev,
      t,
      until: t,
      direction: ev.direction,
      remoteIp: remote.ip,
      remotePort: remote.port,
      key: `${remote.ip}|${remote.port}`,
      localIp: local !== null && !WILDCARD.has(local.ip) ? local.ip : null,
      localPort: local !== null && local.port !== 0 ? local.port : null,
      protocol: iana === null ? null : iana.number,
      hintProtocol: hint,
      processKey: `${ev.node ?? ''}|${ev.process.pid ?? ''}|${ev.process.exe ?? ''}`,
      notSent,
      seq
    }
  }
}
