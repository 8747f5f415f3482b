/**
 * Context stage: fills what one audit event cannot know from the calls before it on the same socket.
 * In: each completed event in order — kept ones as NetworkEvents, dropped ones as (node, pid, fd).
 * Out: kept events with transport, socket type and, where a bind() was seen, the local address; and
 * transport_hint, a clearly marked guess, where the socket's own history is unknown.
 */
import type { NetworkEvent } from '../events/network-event.js'
import { SocketTable, type SocketState, type SocketTableOptions } from './socket-table.js'
import { AF_INET, AF_INET6 } from '../decoders/sockaddr.js'

/**
 * Ports whose service runs over one transport nearly always (IANA registry, common practice).
 * Used only for transport_hint, never for transport.
 */
const TCP_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 80, 110, 143, 389, 443, 465, 587, 636, 993, 995, 1433, 2049, 2379, 3306, 3389, 5432,
  5672, 6379, 6443, 8080, 8443, 9092, 9200, 11211, 27017
])
const UDP_PORTS: ReadonlySet<number> = new Set([53, 67, 68, 69, 123, 137, 161, 162, 500, 514, 1900, 4500, 5353])

/**
 * A guess at the transport when the socket's history is unknown: accept() exists only for
 * connection-oriented sockets (tcp, or the rarer sctp); otherwise the remote (or bound) port's
 * usual service. Null when neither says anything.
 */
export function transportHint (ev: NetworkEvent): string | null {
  if (ev.action === 'accept') return 'tcp'
  const port = ev.remote?.port ?? ev.local?.port
  if (typeof port !== 'number') return null
  if (TCP_PORTS.has(port)) return 'tcp'
  if (UDP_PORTS.has(port)) return 'udp'
  return null
}

const FAMILY_NUMBERS: Readonly<Record<string, number>> = { inet: AF_INET, inet6: AF_INET6 }

export class SocketContext {
  readonly table: SocketTable

  constructor (opts: Partial<SocketTableOptions> = {}) {
    this.table = new SocketTable(opts)
  }

  /** Applies and updates the socket state for one kept event (in place). timeMs is its log time. */
  apply (ev: NetworkEvent, timeMs: number): void {
    const pid = ev.process.pid
    const fd = ev.fd
    if (pid !== null && fd !== null) this.#applyState(ev, pid, fd, timeMs)
    if (ev.transport === null) {
      const hint = transportHint(ev)
      if (hint !== null) ev.transport_hint = hint
    }
  }

  /** A dropped event used fd for another family (unix, netlink…): forget what it held before. */
  forget (node: string | null, pid: number, fd: number): void {
    this.table.delete(node, pid, fd)
  }

  #applyState (ev: NetworkEvent, pid: number, fd: number, timeMs: number): void {
    const node = ev.node
    const family = FAMILY_NUMBERS[ev.family] ?? -1
    if (ev.action === 'socket') {
      if (ev.result !== 'success') return
      this.table.set(node, pid, fd, { family, socket: ev.socket, transport: ev.transport, local: null, seen: timeMs })
      return
    }
    let state = this.table.get(node, pid, fd, timeMs)
    if (state !== null && state.family === AF_INET && family === AF_INET6) {
      // An inet socket cannot take an inet6 address: the fd was closed and reused for an inet6
      // socket without a logged socket(). (The reverse is normal: a dual-stack inet6 socket may
      // be given IPv4 addresses.)
      this.table.delete(node, pid, fd)
      state = null
    }
    if (ev.action === 'bind' && ev.result === 'success' && ev.local !== null) {
      if (state === null) state = { family, socket: null, transport: null, local: ev.local, seen: timeMs }
      else state.local = ev.local
    }
    if (state === null) return
    state.seen = timeMs
    this.table.set(node, pid, fd, state)
    ev.transport = state.transport
    if (state.socket !== null) ev.socket = state.socket
    if (ev.local === null && state.local !== null) ev.local = state.local
    if (ev.action === 'accept' && ev.result === 'success' && ev.exit !== null && ev.exit >= 0) {
      // The connection's own fd: same family and transport, same local address as the listener.
      const child: SocketState = { ...state, seen: timeMs }
      this.table.set(node, pid, ev.exit, child)
    }
  }
}
