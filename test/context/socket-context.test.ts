/**
 * The context stage (src/context/socket-context.ts) through the filter core: what one audit event
 * cannot know — the socket's transport and type, the address a listening socket was bound to — is
 * recovered from earlier logged calls on the same (node, pid, fd), and transport_hint carries a
 * marked guess when that history is unknown.
 *
 * Input is realistic x86_64 audit text (the layout of examples/audit.log): syscall numbers from
 * arch/x86/entry/syscalls/syscall_64.tbl (socket 41, connect 42, sendto 44, recvfrom 45, sendmsg 46,
 * bind 49, accept4 288; i386 socketcall 102), socket(2) arguments from include/linux/net.h
 * (SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_NONBLOCK 0x800, SOCK_CLOEXEC 0x80000; a1=80001 is
 * SOCK_STREAM|SOCK_CLOEXEC), AF_UNIX 1, AF_INET 2, AF_INET6 10, and struct sockaddr_in/_in6 laid
 * out by hand (ip(7), ipv6(7)): family in host order, port and address in network order.
 * Ports for transport_hint from the IANA registry: 443 https (tcp), 53 domain (udp in practice),
 * 12345 (no well-known single-transport service).
 */
import t from 'tap'
import { runFilter } from '../helpers/filter.js'
import { NO_FILTERS } from '../../src/selection/filters.js'
import type { NetworkEvent } from '../../src/events/network-event.js'


const NR_X86_64 = { socket: 41, connect: 42, sendto: 44, recvfrom: 45, sendmsg: 46, bind: 49, accept4: 288 } as const
type Call = keyof typeof NR_X86_64

const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
const STREAM_CLOEXEC = 0x80001
const DGRAM_CLOEXEC = 0x80002
const EMFILE = 24
const EADDRINUSE = 98

/** struct sockaddr_in as the SOCKADDR record's hex: family (LE), port (BE), address, 8 zero bytes. */
function sin (ip: string, port: number): string {
  const octets = ip.split('.').map(o => Number(o).toString(16).padStart(2, '0')).join('')
  return `0200${port.toString(16).padStart(4, '0')}${octets}0000000000000000`.toUpperCase()
}
/** struct sockaddr_in6: family (LE), port (BE), flowinfo, 16 address bytes (given as hex), scope id. */
function sin6 (addrHex: string, port: number): string {
  if (addrHex.length !== 32) throw new Error('address must be 16 bytes of hex')
  return `0A00${port.toString(16).padStart(4, '0')}00000000${addrHex}00000000`.toUpperCase()
}
/** struct sockaddr_un for "/tmp/app.sock". */
const SUN_APP_SOCK = '01002F746D702F6170702E736F636B00'
const IN6_2001_DB8_1 = '20010DB8000000000000000000000001'

interface CallSpec {
  exit: number
  a0: number
  a1?: number
  a2?: number
  pid?: number
  node?: string
  saddr?: string
  /** Log time step before this event, ms. */
  after?: number
}

/** Builds an audit log, one event (SYSCALL [+ SOCKADDR] + PROCTITLE) per call, serials consecutive per node. */
class AuditLog {
  readonly lines: string[] = []
  #timeMs = 1795640829922
  readonly #serials = new Map<string, number>()

  call (name: Call, c: CallSpec): this {
    this.#timeMs += c.after ?? 1
    const node = c.node ?? ''
    const serial = (this.#serials.get(node) ?? 95887) + 1
    this.#serials.set(node, serial)
    const sec = Math.floor(this.#timeMs / 1000)
    const ms = String(this.#timeMs % 1000).padStart(3, '0')
    const prefix = c.node === undefined ? '' : `node=${c.node} `
    const id = `${sec}.${ms}:${serial}`
    const a1 = name === 'socket' ? c.a1 ?? STREAM_CLOEXEC : c.a1 ?? 0x7fff0f885420
    const a2 = name === 'socket' ? c.a2 ?? 0 : c.a2 ?? 0x10
    const hex = (n: number): string => n.toString(16)
    this.lines.push(`${prefix}type=SYSCALL msg=audit(${id}): arch=c000003e syscall=${NR_X86_64[name]} ` +
      `success=${c.exit < 0 ? 'no' : 'yes'} exit=${c.exit} a0=${hex(c.a0)} a1=${hex(a1)} a2=${hex(a2)} a3=0 items=0 ` +
      `ppid=18118 pid=${c.pid ?? 18199} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 ` +
      'tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key="net"')
    if (c.saddr !== undefined) this.lines.push(`${prefix}type=SOCKADDR msg=audit(${id}): saddr=${c.saddr}`)
    this.lines.push(`${prefix}type=PROCTITLE msg=audit(${id}): proctitle=707974686F6E33`)
    return this
  }

  /** socket(domain, type, protocol) returning fd (or -errno). */
  socket (domain: number, type: number, exit: number, more: Partial<CallSpec> = {}): this {
    return this.call('socket', { a0: domain, a1: type, a2: 0, exit, ...more })
  }

  get text (): string {
    return this.lines.join('\n') + '\n'
  }
}

function only (events: NetworkEvent[], syscall: string): NetworkEvent[] {
  return events.filter(e => e.syscall === syscall)
}

t.test('a connect on the fd a stream socket() returned is tcp with the socket type', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, saddr: sin('93.184.216.34', 12345) })
  const { events } = runFilter(log.text)
  t.equal(events.length, 2)
  const [sock, conn] = events as [NetworkEvent, NetworkEvent]
  t.equal(sock.transport, 'tcp', 'the socket() event itself')
  t.same(sock.socket, { type: 'stream', protocol: 0 })
  t.equal(conn.syscall, 'connect')
  t.equal(conn.fd, 3)
  t.equal(conn.transport, 'tcp')
  t.same(conn.socket, { type: 'stream', protocol: 0 })
  t.notOk('transport_hint' in conn, 'no hint when the transport is known')
  t.end()
})

t.test('a socket opened with SOCK_NONBLOCK|SOCK_CLOEXEC (a1=80801) is tcp for its connect', t => {
  const log = new AuditLog()
    .socket(AF_INET, 0x80801, 18)
    .call('connect', { a0: 18, exit: -115, saddr: sin('127.0.0.1', 37000) }) // EINPROGRESS
  const conn = only(runFilter(log.text).events, 'connect')[0]
  t.equal(conn?.result, 'in_progress')
  t.equal(conn?.transport, 'tcp')
  t.same(conn?.socket, { type: 'stream', protocol: 0 })
  t.end()
})

t.test('an inet6 stream socket gives tcp to its connect to an IPv6 address', t => {
  const log = new AuditLog()
    .socket(AF_INET6, STREAM_CLOEXEC, 5)
    .call('connect', { a0: 5, exit: 0, a2: 0x1c, saddr: sin6(IN6_2001_DB8_1, 12345) })
  const conn = only(runFilter(log.text).events, 'connect')[0]
  t.equal(conn?.family, 'inet6')
  t.equal(conn?.transport, 'tcp')
  t.end()
})

t.test('a sendto on a SOCK_DGRAM socket is udp, even to port 443 whose usual service is tcp', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 7)
    .call('sendto', { a0: 7, exit: 1200, saddr: sin('142.250.74.46', 443) }) // QUIC
  const send = only(runFilter(log.text).events, 'sendto')[0]
  t.equal(send?.transport, 'udp')
  t.same(send?.socket, { type: 'dgram', protocol: 0 })
  t.notOk(send !== undefined && 'transport_hint' in send, 'the history wins; no guess from the port')
  t.end()
})

t.test('accept4 on a bound socket reports the bound address as local, and its fd inherits the socket', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('bind', { a0: 3, exit: 0, saddr: sin('0.0.0.0', 8080) })
    .call('accept4', { a0: 3, exit: 11, a2: 0x7fff0f8853f4, saddr: sin('127.0.0.1', 56406) })
    .call('sendmsg', { a0: 11, exit: 5, saddr: sin('127.0.0.1', 56406) })
    .call('recvfrom', { a0: 11, exit: 5, saddr: sin('127.0.0.1', 56406) })
  const { events } = runFilter(log.text)
  const bind = only(events, 'bind')[0]
  t.same(bind?.local, { ip: '0.0.0.0', port: 8080 })
  t.equal(bind?.transport, 'tcp')

  const acc = only(events, 'accept4')[0]
  t.same(acc?.remote, { ip: '127.0.0.1', port: 56406 })
  t.same(acc?.local, { ip: '0.0.0.0', port: 8080 }, 'local = the listener\'s bound address')
  t.equal(acc?.transport, 'tcp')
  t.same(acc?.socket, { type: 'stream', protocol: 0 })

  for (const name of ['sendmsg', 'recvfrom']) {
    const ev = only(events, name)[0]
    t.equal(ev?.fd, 11, `${name} is on the accepted fd`)
    t.equal(ev?.transport, 'tcp', `${name} on the accepted fd inherits tcp`)
    t.same(ev?.socket, { type: 'stream', protocol: 0 }, `${name} inherits the socket type`)
    t.same(ev?.local, { ip: '0.0.0.0', port: 8080 }, `${name} inherits the local address`)
  }
  t.end()
})

t.test('a bind without a logged socket() still gives accept4 its local address, with transport null and hint tcp', t => {
  const log = new AuditLog()
    .call('bind', { a0: 4, exit: 0, saddr: sin('10.0.0.5', 12345) })
    .call('accept4', { a0: 4, exit: 9, saddr: sin('10.0.0.7', 40000) })
  const acc = only(runFilter(log.text).events, 'accept4')[0]
  t.same(acc?.local, { ip: '10.0.0.5', port: 12345 })
  t.equal(acc?.transport, null)
  t.equal(acc?.transport_hint, 'tcp')
  t.end()
})

t.test('the state of one pid does not leak to another pid with the same fd number', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3, { pid: 1000 })
    .call('bind', { a0: 3, exit: 0, pid: 1000, saddr: sin('0.0.0.0', 5000) })
    .call('connect', { a0: 3, exit: 0, pid: 2000, saddr: sin('10.0.0.1', 12345) })
  const conn = only(runFilter(log.text).events, 'connect')[0]
  t.equal(conn?.process.pid, 2000)
  t.equal(conn?.transport, null)
  t.equal(conn?.socket, null)
  t.equal(conn?.local, null, 'pid 1000\'s bound address is not pid 2000\'s')
  t.end()
})

t.test('the state of one node does not leak to another node with the same pid and fd', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3, { node: 'web1' })
    .call('connect', { a0: 3, exit: 0, node: 'web2', saddr: sin('10.0.0.1', 12345) })
    .call('connect', { a0: 3, exit: 0, node: 'web1', saddr: sin('10.0.0.1', 12345) })
  const conns = only(runFilter(log.text).events, 'connect')
  t.equal(conns.length, 2)
  const web2 = conns.find(e => e.node === 'web2')
  const web1 = conns.find(e => e.node === 'web1')
  t.equal(web2?.transport, null, 'web2 never logged a socket() for pid 18199 fd 3')
  t.equal(web1?.transport, 'udp', 'web1 did')
  t.end()
})

t.test('a connect on an fd with no socket() seen has transport null and a hint from the port', t => {
  const log = new AuditLog()
    .call('connect', { a0: 3, exit: 0, saddr: sin('93.184.216.34', 443) })
    .call('connect', { a0: 4, exit: 0, saddr: sin('8.8.8.8', 53) })
    .call('connect', { a0: 5, exit: 0, saddr: sin('10.0.0.1', 12345) })
    .call('connect', { a0: 6, exit: 0, a2: 0x1c, saddr: sin6(IN6_2001_DB8_1, 443) })
  const conns = only(runFilter(log.text).events, 'connect')
  t.same(conns.map(e => e.fd), [3, 4, 5, 6])
  for (const e of conns) t.equal(e.transport, null, `fd ${String(e.fd)}: transport unknown`)
  t.equal(conns[0]?.transport_hint, 'tcp', 'port 443 (https)')
  t.equal(conns[1]?.transport_hint, 'udp', 'port 53 (domain)')
  t.notOk(conns[2] !== undefined && 'transport_hint' in conns[2], 'port 12345: no hint at all')
  t.equal(conns[3]?.transport_hint, 'tcp', 'port 443 over IPv6')
  t.end()
})

t.test('accept4 on a listener never seen has transport null and hint tcp (accept implies a connection)', t => {
  const log = new AuditLog()
    .call('accept4', { a0: 3, exit: 11, saddr: sin('127.0.0.1', 56406) })
  const acc = only(runFilter(log.text).events, 'accept4')[0]
  t.equal(acc?.transport, null)
  t.equal(acc?.transport_hint, 'tcp')
  t.equal(acc?.local, null)
  t.end()
})

t.test('an AF_UNIX socket() and connect on the fd number of an inet socket make that fd unknown again', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .socket(AF_UNIX, STREAM_CLOEXEC, 3) // fd 3 was closed (not logged) and reused
    .call('connect', { a0: 3, exit: 0, a2: 0x10, saddr: SUN_APP_SOCK })
    .call('connect', { a0: 3, exit: 0, saddr: sin('10.0.0.1', 12345) })
  const { events, stats } = runFilter(log.text)
  t.equal(stats.dropped.unix, 2, 'both unix events are dropped (no --family)')
  const conns = only(events, 'connect')
  t.equal(conns.length, 1)
  t.equal(conns[0]?.transport, null, 'the stale tcp state was forgotten')
  t.equal(conns[0]?.socket, null)
  t.end()
})

t.test('a dropped AF_UNIX socket() alone on the fd number forgets the inet state', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3)
    .socket(AF_UNIX, STREAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, saddr: sin('10.0.0.1', 12345) })
  const conn = only(runFilter(log.text).events, 'connect')[0]
  t.equal(conn?.transport, null)
  t.end()
})

t.test('a dropped AF_UNIX connect alone on the fd number forgets the inet state', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, saddr: SUN_APP_SOCK })
    .call('sendto', { a0: 3, exit: 10, saddr: sin('10.0.0.1', 12345) })
  const send = only(runFilter(log.text).events, 'sendto')[0]
  t.equal(send?.transport, null)
  t.end()
})

t.test('an AF_UNIX call on another fd leaves the inet socket alone', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3)
    .socket(AF_UNIX, STREAM_CLOEXEC, 4)
    .call('connect', { a0: 4, exit: 0, saddr: SUN_APP_SOCK })
    .call('sendto', { a0: 3, exit: 10, saddr: sin('10.0.0.1', 12345) })
  const send = only(runFilter(log.text).events, 'sendto')[0]
  t.equal(send?.transport, 'udp')
  t.end()
})

t.test('a connect to AF_UNSPEC (which dissolves a UDP association, connect(2)) does not forget the socket', t => {
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, saddr: sin('10.0.0.1', 12345) })
    .call('connect', { a0: 3, exit: 0, saddr: '00000000000000000000000000000000' }) // sa_family AF_UNSPEC
    .call('sendto', { a0: 3, exit: 10, saddr: sin('10.0.0.2', 12345) })
  const { events, stats } = runFilter(log.text)
  t.equal(stats.dropped.other_family + stats.dropped.malformed + stats.dropped.not_network, 1, 'the AF_UNSPEC connect is dropped')
  t.same(events.map(e => [e.syscall, e.transport]), [['socket', 'udp'], ['connect', 'udp'], ['sendto', 'udp']])
  t.end()
})

t.test('a failed socket() (EMFILE) records nothing and leaves an earlier socket on its fd alone', t => {
  const alone = runFilter(new AuditLog().socket(AF_INET, DGRAM_CLOEXEC, -EMFILE).text)
  t.equal(alone.events.length, 1)
  t.equal(alone.events[0]?.result, 'failed')
  t.equal(alone.events[0]?.fd, null, 'no fd was returned')
  t.equal(alone.stats.sockets, 0, 'no socket remembered')

  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .socket(AF_INET, DGRAM_CLOEXEC, -EMFILE)
    .call('connect', { a0: 3, exit: 0, saddr: sin('10.0.0.1', 12345) })
  const { events, stats } = runFilter(log.text)
  t.equal(only(events, 'connect')[0]?.transport, 'tcp')
  t.equal(stats.sockets, 1)
  t.end()
})

t.test('a logged socket() on a reused fd number replaces the old state', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('bind', { a0: 3, exit: 0, saddr: sin('0.0.0.0', 8080) })
    .socket(AF_INET, DGRAM_CLOEXEC, 3) // close(3) not logged
    .call('sendto', { a0: 3, exit: 10, saddr: sin('10.0.0.1', 12345) })
  const send = only(runFilter(log.text).events, 'sendto')[0]
  t.equal(send?.transport, 'udp')
  t.equal(send?.local, null, 'the old socket\'s bound address is gone too')
  t.end()
})

t.test('an inet stream socket used with an AF_INET6 address is taken as a new, unknown socket', t => {
  // tcp_v4_connect refuses an AF_INET6 address (EAFNOSUPPORT): a successful inet6 connect on fd 3
  // means fd 3 was closed and reused by a call the rules do not log.
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, a2: 0x1c, saddr: sin6(IN6_2001_DB8_1, 12345) })
  const conn = only(runFilter(log.text).events, 'connect')[0]
  t.equal(conn?.transport, null)
  t.end()
})

t.test('socket state expires after 24 hours of log time', t => {
  const HOUR = 3600 * 1000
  const kept = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, after: 23 * HOUR, saddr: sin('10.0.0.1', 12345) })
  t.equal(only(runFilter(kept.text).events, 'connect')[0]?.transport, 'tcp', '23 h later: remembered')
  const expired = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('connect', { a0: 3, exit: 0, after: 25 * HOUR, saddr: sin('10.0.0.1', 12345) })
  t.equal(only(runFilter(expired.text).events, 'connect')[0]?.transport, null, '25 h later: forgotten')
  t.end()
})

t.test('every call on a socket refreshes its age, so a busy socket does not expire', t => {
  const HOUR = 3600 * 1000
  const log = new AuditLog()
    .socket(AF_INET, DGRAM_CLOEXEC, 3)
    .call('sendto', { a0: 3, exit: 10, after: 20 * HOUR, saddr: sin('10.0.0.1', 12345) })
    .call('sendto', { a0: 3, exit: 10, after: 20 * HOUR, saddr: sin('10.0.0.1', 12345) })
  const sends = only(runFilter(log.text).events, 'sendto')
  t.same(sends.map(e => e.transport), ['udp', 'udp'], '40 h after socket(), 20 h after the last use')
  t.end()
})

t.test('socket state is kept for events the filters hide: a filtered bind still names accept4\'s local address', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('bind', { a0: 3, exit: 0, saddr: sin('0.0.0.0', 8080) })
    .call('accept4', { a0: 3, exit: 11, saddr: sin('127.0.0.1', 56406) })
  const { events, stats } = runFilter(log.text, { filters: { ...NO_FILTERS, syscall: ['accept4'] } })
  t.same(events.map(e => e.syscall), ['accept4'])
  t.equal(stats.filtered.syscall, 2)
  t.same(events[0]?.local, { ip: '0.0.0.0', port: 8080 })
  t.equal(events[0]?.transport, 'tcp')
  t.end()
})

t.test('--stats counts the sockets remembered', t => {
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .socket(AF_INET, DGRAM_CLOEXEC, 4)
    .call('bind', { a0: 3, exit: 0, saddr: sin('0.0.0.0', 8080) })
    .call('accept4', { a0: 3, exit: 11, saddr: sin('127.0.0.1', 56406) })
  t.equal(runFilter(log.text).stats.sockets, 3, 'fds 3, 4 and the accepted 11')
  t.end()
})

t.test('a failed bind (EADDRINUSE) on a known socket keeps its transport', t => {
  // The socket is known from socket(): a bind that fails does not change what it is.
  const log = new AuditLog()
    .socket(AF_INET, STREAM_CLOEXEC, 3)
    .call('bind', { a0: 3, exit: -EADDRINUSE, saddr: sin('0.0.0.0', 8080) })
  const bind = only(runFilter(log.text).events, 'bind')[0]
  t.equal(bind?.result, 'failed')
  t.equal(bind?.transport, 'tcp')
  t.same(bind?.socket, { type: 'stream', protocol: 0 })
  t.end()
})

t.test('a dual-stack inet6 UDP socket sending to an AF_INET address stays udp', t => {
  // net/ipv6/udp.c udpv6_sendmsg: "case AF_INET: goto do_udp_sendmsg;" — an AF_INET6 UDP socket
  // (not IPV6_V6ONLY) may send to a sockaddr_in. Nothing was closed or reused.
  const log = new AuditLog()
    .socket(AF_INET6, DGRAM_CLOEXEC, 4)
    .call('sendto', { a0: 4, exit: 10, saddr: sin('10.0.0.1', 12345) })
    .call('sendto', { a0: 4, exit: 10, a2: 0x1c, saddr: sin6(IN6_2001_DB8_1, 12345) })
  const sends = only(runFilter(log.text).events, 'sendto')
  t.same(sends.map(e => e.transport), ['udp', 'udp'])
  t.end()
})

/** An i386 socketcall(2) event: SYSCALL a0 = the SYS_* call number, the call's own arguments in SOCKETCALL. */
function socketcall (serial: number, call: number, exit: number, args: string, saddr?: string): string {
  const id = `1795640830.${String(serial % 1000).padStart(3, '0')}:${serial}`
  const lines = [
    `type=SYSCALL msg=audit(${id}): arch=40000003 syscall=102 success=${exit < 0 ? 'no' : 'yes'} exit=${exit} a0=${call.toString(16)} a1=bfd9c2e0 a2=0 a3=0 items=0 ppid=1 pid=704 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="php5-fpm" exe="/usr/sbin/php5-fpm" key=(null)`,
    `type=SOCKETCALL msg=audit(${id}): ${args}`
  ]
  if (saddr !== undefined) lines.push(`type=SOCKADDR msg=audit(${id}): saddr=${saddr}`)
  return lines.join('\n') + '\n'
}
// include/uapi/linux/net.h: SYS_SOCKET 1, SYS_CONNECT 3
const SYS_SOCKET = 1
const SYS_CONNECT = 3

t.test('socket() and connect() made through i386 socketcall(2) share state by the fd in SOCKETCALL', t => {
  const text = socketcall(501, SYS_SOCKET, 5, 'nargs=3 a0=2 a1=1 a2=0') +
    socketcall(502, SYS_CONNECT, 0, 'nargs=3 a0=5 a1=bfd9c300 a2=10', sin('10.0.0.1', 12345))
  const { events } = runFilter(text)
  const conn = only(events, 'connect')[0]
  t.equal(conn?.arch, 'i386')
  t.equal(conn?.fd, 5)
  t.equal(conn?.transport, 'tcp')
  t.end()
})

t.test('a dropped AF_UNIX connect through socketcall(2) forgets its own fd, not the fd numbered like SYS_CONNECT', t => {
  const text = socketcall(501, SYS_SOCKET, 5, 'nargs=3 a0=2 a1=1 a2=0') + // fd 5: inet stream
    socketcall(502, SYS_SOCKET, 3, 'nargs=3 a0=2 a1=2 a2=0') + // fd 3: inet dgram
    socketcall(503, SYS_CONNECT, 0, 'nargs=3 a0=5 a1=bfd9c300 a2=6e', SUN_APP_SOCK) + // fd 5 reused: unix
    socketcall(504, SYS_CONNECT, 0, 'nargs=3 a0=3 a1=bfd9c300 a2=10', sin('10.0.0.1', 12345)) +
    socketcall(505, SYS_CONNECT, 0, 'nargs=3 a0=5 a1=bfd9c300 a2=10', sin('10.0.0.2', 12345))
  const conns = only(runFilter(text).events, 'connect')
  t.same(conns.map(e => e.fd), [3, 5])
  t.equal(conns[0]?.transport, 'udp', 'fd 3 was untouched by the unix connect on fd 5')
  t.equal(conns[1]?.transport, null, 'fd 5 was reused by a unix socket: its tcp state is stale')
  t.end()
})
