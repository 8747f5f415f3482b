/**
 * Stage 4: a kept event → the output record of schemas/event.schema.json. Events are built from real
 * audit lines (x86_64 capture, laurel, qiangwang) through the header scanner, assembler and
 * selection. Expected values come from the kernel ABI: ports and IPv4 addresses in network order,
 * errno numbers from asm-generic/errno.h (111 ECONNREFUSED, 114 EALREADY, 115 EINPROGRESS,
 * 97 EAFNOSUPPORT), unset ids are (u32)-1, untrusted strings are hex when they hold a space.
 */
import t, { type Test } from 'tap'
import { buildNetworkEvent, eventId, type NetworkEvent } from '../../src/events/network-event.js'
import { EventAssembler, type PendingEvent } from '../../src/events/assembler.js'
import { selectEvent } from '../../src/selection/select.js'
import { HEADER_OK, KIND_EOE, KIND_OTHER, RecordHeader, scanHeader } from '../../src/records/header.js'
import { schemaErrors } from '../helpers/filter.js'

function events (text: string): PendingEvent[] {
  const out: PendingEvent[] = []
  const a = new EventAssembler(ev => out.push(ev))
  const h = new RecordHeader()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const buf = Buffer.from(line, 'latin1')
    if (scanHeader(buf, 0, buf.length, h) !== HEADER_OK) throw new Error(`not a record: ${line}`)
    const node = h.nodeStart < 0 ? null : buf.toString('utf8', h.nodeStart, h.nodeEnd)
    const body = h.kind === KIND_OTHER || h.kind === KIND_EOE ? null : buf.toString('latin1', h.bodyStart, buf.length)
    a.push(node, h.sec, h.ms, h.serial, h.kind, body, 0)
  }
  a.flush()
  return out
}

/** The output record of the one event in text; fails the test if it is dropped or not schema-valid. */
function build (t: Test, text: string): NetworkEvent {
  const evs = events(text)
  if (evs.length !== 1) throw new Error(`expected one event, got ${evs.length}`)
  const ev = evs[0] as PendingEvent
  const v = selectEvent(ev)
  if (!v.keep) throw new Error(`event dropped as ${String(v.reason)}`)
  const out = buildNetworkEvent(ev, v)
  t.same(schemaErrors(out), [], 'valid against schemas/event.schema.json')
  return out
}

const PY = 'items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11"'
const PROCTITLE = 'proctitle=2F7573722F62696E2F656E760062617368002F726F6F742F2E7079656E762F7368696D732F707974686F6E33002F746D702F636170747572652F747261666669632E707900323030300032'
const ARGV = ['/usr/bin/env', 'bash', '/root/.pyenv/shims/python3', '/tmp/capture/traffic.py', '2000', '2']

const CONNECT = `type=SYSCALL msg=audit(1795640829.926:95900): arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY} key="net_connect"
type=SOCKADDR msg=audit(1795640829.926:95900): saddr=0200E3B17F0000010000000000000000
type=PROCTITLE msg=audit(1795640829.926:95900): ${PROCTITLE}
`
const CURL = (exit: string): string => `type=SYSCALL msg=audit(1795640802.982:80416): arch=c000003e syscall=42 success=no exit=${exit} a0=5 a1=55db3545e548 a2=10 a3=7ffe49611b04 items=0 ppid=16744 pid=16791 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" key="net_connect"
type=SOCKADDR msg=audit(1795640802.982:80416): saddr=0200B16B7F0000010000000000000000
type=PROCTITLE msg=audit(1795640802.982:80416): proctitle=2F726F6F742F2E7079656E762F76657273696F6E732F332E31312E372F62696E2F707974686F6E33002F746D702F636170747572652F747261666669632E707900333030300031
type=EOE msg=audit(1795640802.982:80416): 
`
const connectWith = (saddr: string, exit = '0'): string =>
  `type=SYSCALL msg=audit(1795640829.926:95909): arch=c000003e syscall=42 success=${exit === '0' ? 'yes' : 'no'} exit=${exit} a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY} key="net_connect"
type=SOCKADDR msg=audit(1795640829.926:95909): saddr=${saddr}
`
const I386 = 'items=0 ppid=2819 pid=2840 auid=4294967295 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=4294967295 comm="ps" exe="/bin/ps" key=(null)'

t.test('a successful inet connect, field by field', async t => {
  const e = build(t, CONNECT)
  t.same(e, {
    time: '2026-11-25T21:07:09.926Z',
    event_id: '1795640829.926:95900',
    node: null,
    syscall: 'connect',
    arch: 'x86_64',
    result: 'success',
    exit: 0,
    errno: null,
    family: 'inet',
    direction: 'outbound',
    action: 'connect',
    transport: null,
    socket: null,
    remote: { ip: '127.0.0.1', port: 58289 },
    local: null,
    fd: 9,
    process: { pid: 18199, ppid: 18118, exe: '/root/.pyenv/versions/3.11.7/bin/python3.11', comm: 'python3', argv: ARGV },
    user: { uid: 0, euid: 0, gid: 0, auid: null, ses: null },
    tty: null,
    key: 'net_connect'
  })
  t.notOk('keys' in e, 'no keys for a single key')
  t.notOk('socketcall' in e)
  t.notOk('decode_error' in e)
  t.notOk('transport_hint' in e, 'a guess is not made here')
})

t.test('connect returning EINPROGRESS (-115) is in progress, not failed', async t => {
  const e = build(t, CURL('-115'))
  t.equal(e.result, 'in_progress')
  t.equal(e.exit, -115)
  t.equal(e.errno, 'EINPROGRESS')
  t.same(e.remote, { ip: '127.0.0.1', port: 45419 })
  t.equal(e.fd, 5)
  t.equal(e.process.exe, '/usr/bin/curl')
  t.equal(e.process.comm, 'curl')
})

t.test('connect returning EALREADY (-114) is in progress', async t => {
  const e = build(t, CURL('-114'))
  t.equal(e.result, 'in_progress')
  t.equal(e.errno, 'EALREADY')
})

t.test('connect returning ECONNREFUSED (-111) is failed, with the errno name', async t => {
  const e = build(t, connectWith('020000017F0000010000000000000000', '-111'))
  t.equal(e.result, 'failed')
  t.equal(e.exit, -111)
  t.equal(e.errno, 'ECONNREFUSED')
  t.same(e.remote, { ip: '127.0.0.1', port: 1 })
})

t.test('EINPROGRESS means in progress only for connect', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640829.926:95910): arch=c000003e syscall=44 success=no exit=-115 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY} key="net_send"
type=SOCKADDR msg=audit(1795640829.926:95910): saddr=020000357F0000010000000000000000
`)
  t.equal(e.syscall, 'sendto')
  t.equal(e.result, 'failed')
})

t.test('accept4 fills remote with the peer, fd is the listening socket (a0)', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640829.926:95901): arch=c000003e syscall=288 success=yes exit=11 a0=3 a1=7fff0f885400 a2=7fff0f8853f4 a3=80000 ${PY} key="net_accept"
type=SOCKADDR msg=audit(1795640829.926:95901): saddr=0200DC567F0000010000000000000000
type=PROCTITLE msg=audit(1795640829.926:95901): ${PROCTITLE}
`)
  t.equal(e.syscall, 'accept4')
  t.equal(e.direction, 'inbound')
  t.equal(e.action, 'accept')
  t.same(e.remote, { ip: '127.0.0.1', port: 56406 })
  t.equal(e.local, null)
  t.equal(e.exit, 11)
  t.equal(e.fd, 3)
  t.equal(e.result, 'success')
})

t.test('bind fills local, not remote', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640829.922:95889): arch=c000003e syscall=49 success=yes exit=0 a0=3 a1=7fff0f885410 a2=10 a3=0 ${PY} key="net_bind"
type=SOCKADDR msg=audit(1795640829.922:95889): saddr=020000007F0000010000000000000000
`)
  t.equal(e.syscall, 'bind')
  t.equal(e.direction, 'listen')
  t.equal(e.action, 'bind')
  t.same(e.local, { ip: '127.0.0.1', port: 0 })
  t.equal(e.remote, null)
  t.equal(e.fd, 3)
})

t.test('bind to [::]:0 fills local with the inet6 fields', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640828.922:95645): arch=c000003e syscall=49 success=yes exit=0 a0=3 a1=7ffca687f840 a2=1c a3=7f3353fc4f22 ${PY} key="net_bind"
type=SOCKADDR msg=audit(1795640828.922:95645): saddr=0A000000000000000000000000000000000000000000000000000000
`)
  t.equal(e.family, 'inet6')
  t.same(e.local, { ip: '::', port: 0, flowinfo: 0, scope_id: 0 })
})

t.test('sendmsg to [::1]:9 fills remote', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640830.010:96023): arch=c000003e syscall=46 success=yes exit=1 a0=9 a1=7fff0f8853b0 a2=0 a3=0 ${PY} key="net_send"
type=SOCKADDR msg=audit(1795640830.010:96023): saddr=0A000009000000000000000000000000000000000000000100000000
`)
  t.equal(e.syscall, 'sendmsg')
  t.equal(e.direction, 'outbound')
  t.equal(e.action, 'send')
  t.equal(e.family, 'inet6')
  t.same(e.remote, { ip: '::1', port: 9, flowinfo: 0, scope_id: 0 })
  t.equal(e.exit, 1)
})

t.test('an IPv4-mapped address on an inet6 socket is given as IPv4 with ipv4_mapped', async t => {
  const e = build(t, connectWith('0A000050' + '00000000' + '00000000000000000000FFFF0A000001' + '00000000'))
  t.equal(e.family, 'inet6', 'the socket family stays inet6')
  t.same(e.remote, { ip: '10.0.0.1', port: 80, flowinfo: 0, scope_id: 0, ipv4_mapped: true })
})

t.test('socket() with a0=2 is kept as inet, fd = the returned descriptor', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640829.922:95888): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=80001 a2=0 a3=5618ddfabea0 ${PY} key="net_socket"
type=PROCTITLE msg=audit(1795640829.922:95888): ${PROCTITLE}
`)
  t.equal(e.syscall, 'socket')
  t.equal(e.family, 'inet')
  t.equal(e.fd, 3)
  t.equal(e.exit, 3)
  t.equal(e.remote, null)
  t.equal(e.local, null)
  t.equal(e.key, 'net_socket')
  t.equal(e.direction, 'intent')
  t.equal(e.action, 'socket')
  t.same(e.socket, { type: 'stream', protocol: 0 }, 'a1=80001 is SOCK_STREAM | SOCK_CLOEXEC')
  t.equal(e.transport, 'tcp')
})

t.test('socket() type and protocol give the transport: dgram is udp, raw ICMP is icmp, dgram ICMPv6 is a ping socket', async t => {
  const sock = (a0: string, a1: string, a2: string): NetworkEvent => build(t,
    `type=SYSCALL msg=audit(1795640829.922:95888): arch=c000003e syscall=41 success=yes exit=4 a0=${a0} a1=${a1} a2=${a2} a3=0 ${PY} key="net_socket"\n`)
  const udp = sock('2', '80802', '0') // SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK
  t.same(udp.socket, { type: 'dgram', protocol: 0 })
  t.equal(udp.transport, 'udp')
  const raw = sock('2', '3', '1') // SOCK_RAW, IPPROTO_ICMP
  t.same(raw.socket, { type: 'raw', protocol: 1 })
  t.equal(raw.transport, 'icmp')
  const ping6 = sock('a', '2', '3a') // SOCK_DGRAM, IPPROTO_ICMPV6 (58)
  t.same(ping6.socket, { type: 'dgram', protocol: 58 })
  t.equal(ping6.transport, 'icmpv6')
  const sctp = sock('2', '5', '0') // SOCK_SEQPACKET
  t.equal(sctp.transport, 'sctp')
})

t.test('socket() with a0=a is kept as inet6', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640828.918:95644): arch=c000003e syscall=41 success=yes exit=3 a0=a a1=80001 a2=0 a3=5605b0c4cf60 ${PY} key="net_socket"\n`)
  t.equal(e.family, 'inet6')
  t.equal(e.fd, 3)
})

t.test('a failed socket() has no fd', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1795640828.918:95644): arch=c000003e syscall=41 success=no exit=-97 a0=a a1=80001 a2=0 a3=5605b0c4cf60 ${PY} key="net_socket"\n`)
  t.equal(e.result, 'failed')
  t.equal(e.errno, 'EAFNOSUPPORT')
  t.equal(e.fd, null)
})

t.test('a truncated inet saddr is kept with decode_error and no address', async t => {
  const e = build(t, connectWith('0200E3B1'))
  t.equal(e.family, 'inet')
  t.equal(e.remote, null)
  t.equal(e.local, null)
  t.type(e.decode_error, 'string')
  t.ok((e.decode_error ?? '').length > 0)
})

t.test('a family-only saddr (0200) is kept with decode_error', async t => {
  const e = build(t, connectWith('0200'))
  t.equal(e.remote, null)
  t.type(e.decode_error, 'string')
})

t.test('unset ids (4294967295) are null, root (0) is not', async t => {
  const e = build(t, connectWith('0200E3B17F0000010000000000000000').replace('uid=0 gid=0 euid=0', 'uid=4294967295 gid=0 euid=0'))
  t.equal(e.user.auid, null)
  t.equal(e.user.ses, null)
  t.equal(e.user.uid, null)
  t.equal(e.user.euid, 0)
  t.equal(e.user.gid, 0)
})

t.test('a login session: auid and ses are numbers, tty is the terminal', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1708028025.033:10): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=33ee202d0 a2=10 a3=7fffe9628078 items=0 ppid=2649 pid=2650 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=1 comm="nc" exe="/usr/bin/nc.openbsd" key=(null)
type=SOCKADDR msg=audit(1708028025.033:10): saddr=0200D903C0A800010000000000000000
`)
  t.same(e.user, { uid: 1000, euid: 1000, gid: 1000, auid: 1000, ses: 1 })
  t.equal(e.tty, 'pts1')
  t.same(e.remote, { ip: '192.168.0.1', port: 55555 })
})

t.test('tty (none) is null', async t => {
  t.equal(build(t, CONNECT).tty, null)
})

t.test('hex-encoded exe and comm (they hold a space) are decoded', async t => {
  const e = build(t, CONNECT.replace('comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11"', 'comm=6D792070726F67 exe=2F746D702F6D792070726F6772616D'))
  t.equal(e.process.comm, 'my prog')
  t.equal(e.process.exe, '/tmp/my program')
})

t.test('key=(null) is null, with no keys', async t => {
  const e = build(t, CONNECT.replace('key="net_connect"', 'key=(null)'))
  t.equal(e.key, null)
  t.notOk('keys' in e)
})

t.test('two rule keys (hex, joined by 0x01) give key and keys', async t => {
  const e = build(t, CONNECT.replace('key="net_connect"', 'key=6E65745F636F6E6E656374016F7574626F756E64'))
  t.equal(e.key, 'net_connect')
  t.same(e.keys, ['net_connect', 'outbound'])
})

t.test('no PROCTITLE record: argv is null', async t => {
  const e = build(t, connectWith('0200E3B17F0000010000000000000000'))
  t.equal(e.process.argv, null)
})

t.test('a quoted PROCTITLE (no space or control byte) is one argument', async t => {
  const e = build(t, CONNECT.replace(PROCTITLE, 'proctitle="auditd"'))
  t.same(e.process.argv, ['auditd'])
})

t.test('i386 socketcall connect: named connect, socketcall set, fd from the SOCKETCALL record', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1332418176.249:12368): arch=40000003 syscall=102 success=no exit=-115 a0=3 a1=bff3c0c8 a2=855ff4 a3=bff3c0e0 ${I386}
type=SOCKETCALL msg=audit(1332418176.249:12368): nargs=3 a0=5 a1=bff3c112 a2=10
type=SOCKADDR msg=audit(1332418176.249:12368): saddr=02000050C0A800010000000000000000
`)
  t.equal(e.syscall, 'connect')
  t.equal(e.socketcall, true)
  t.equal(e.arch, 'i386')
  t.equal(e.fd, 5)
  t.equal(e.result, 'in_progress')
  t.equal(e.errno, 'EINPROGRESS')
  t.same(e.remote, { ip: '192.168.0.1', port: 80 })
  t.equal(e.time, '2012-03-22T12:09:36.249Z')
  t.same(e.user, { uid: 1000, euid: 1000, gid: 1000, auid: null, ses: null })
})

t.test('i386 socketcall socket (SYSCALL a0=1, SOCKETCALL a0=2) is kept as socket inet', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1332418176.249:12367): arch=40000003 syscall=102 success=yes exit=6 a0=1 a1=bff3c0ec a2=855ff4 a3=0 ${I386}
type=SOCKETCALL msg=audit(1332418176.249:12367): nargs=3 a0=2 a1=80801 a2=0
`)
  t.equal(e.syscall, 'socket')
  t.equal(e.socketcall, true)
  t.equal(e.family, 'inet')
  t.equal(e.fd, 6)
  t.same(e.socket, { type: 'stream', protocol: 0 }, 'type and protocol from the SOCKETCALL record (a1=80801, a2=0)')
  t.equal(e.transport, 'tcp')
})

t.test('i386 socketcall connect whose SOCKETCALL record is missing has no fd', async t => {
  // SYSCALL a0=3 is SYS_CONNECT, the call number, not a descriptor.
  const e = build(t, `type=SYSCALL msg=audit(1332418176.249:12368): arch=40000003 syscall=102 success=yes exit=0 a0=3 a1=bff3c0c8 a2=855ff4 a3=bff3c0e0 ${I386}
type=SOCKADDR msg=audit(1332418176.249:12368): saddr=02000050C0A800010000000000000000
`)
  t.equal(e.syscall, 'connect')
  t.equal(e.fd, null, 'fd unknown')
})

t.test('big-endian ppc64 bind: local 0.0.0.0:55555', async t => {
  const e = build(t, `type=SYSCALL msg=audit(1708028025.033:10): arch=80000015 syscall=327 success=yes exit=0 a0=3 a1=33ee202d0 a2=10 a3=7fffe9628078 items=0 ppid=2649 pid=2650 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=1 comm="nc" exe="/usr/bin/nc.openbsd" key=(null)
type=SOCKADDR msg=audit(1708028025.033:10): saddr=0002D903000000000000000000000000
type=PROCTITLE msg=audit(1708028025.033:10): proctitle=6E63002D6C002D70003535353535
type=EOE msg=audit(1708028025.033:10): `)
  t.same(e, {
    time: '2024-02-15T20:13:45.033Z',
    event_id: '1708028025.033:10',
    node: null,
    syscall: 'bind',
    arch: 'ppc64',
    result: 'success',
    exit: 0,
    errno: null,
    family: 'inet',
    direction: 'listen',
    action: 'bind',
    transport: null,
    socket: null,
    remote: null,
    local: { ip: '0.0.0.0', port: 55555 },
    fd: 3,
    process: { pid: 2650, ppid: 2649, exe: '/usr/bin/nc.openbsd', comm: 'nc', argv: ['nc', '-l', '-p', '55555'] },
    user: { uid: 0, euid: 0, gid: 0, auid: 0, ses: 1 },
    tty: 'pts1',
    key: null
  })
})

t.test('event_id keeps the millis zero-padded to three digits', async t => {
  const base = { node: null, syscall: null, sockaddrs: null, proctitle: null, socketcall: null, records: 1, kinds: 0, lastSeen: 0 }
  t.equal(eventId({ ...base, sec: 1795640829, ms: 5, serial: 95900, timeMs: 1795640829005 }), '1795640829.005:95900')
  t.equal(eventId({ ...base, sec: 1795640829, ms: 50, serial: 95900, timeMs: 1795640829050 }), '1795640829.050:95900')
  t.equal(eventId({ ...base, sec: 1795640829, ms: 0, serial: 1, timeMs: 1795640829000 }), '1795640829.000:1')
  const e = build(t, CONNECT.replace(/1795640829\.926/g, '1795640829.005'))
  t.equal(e.event_id, '1795640829.005:95900')
  t.equal(e.time, '2026-11-25T21:07:09.005Z')
})

t.test('time is ISO 8601 UTC with milliseconds', async t => {
  const e = build(t, CONNECT.replace(/1795640829\.926/g, '1795640829.000'))
  t.equal(e.time, '2026-11-25T21:07:09.000Z')
})

t.test('the node name is carried to the output', async t => {
  const e = build(t, CONNECT.split('\n').filter(l => l !== '').map(l => `node=web1 ${l}`).join('\n'))
  t.equal(e.node, 'web1')
})

t.test('ENRICHED records give the same output as RAW ones', async t => {
  const enriched = `type=SYSCALL msg=audit(1795640802.982:80416): arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=55db3545e548 a2=10 a3=7ffe49611b04 items=0 ppid=16744 pid=16791 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" key="net_connect"\x1dARCH=x86_64 SYSCALL=connect AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"
type=SOCKADDR msg=audit(1795640802.982:80416): saddr=0200B16B7F0000010000000000000000\x1dSADDR={ saddr_fam=inet laddr=127.0.0.1 lport=45419 }
type=PROCTITLE msg=audit(1795640802.982:80416): proctitle=2F726F6F742F2E7079656E762F76657273696F6E732F332E31312E372F62696E2F707974686F6E33002F746D702F636170747572652F747261666669632E707900333030300031
type=EOE msg=audit(1795640802.982:80416):`
  // The only difference: the user names auditd resolved (UID="root"…); AUID="unset" names nobody.
  const raw = build(t, CURL('-115'))
  const expected = { ...raw, user: { ...raw.user, name: 'root', effective_name: 'root', group: 'root' } }
  t.same(build(t, enriched), expected)
  t.same(build(t, enriched.replace(/\x1d/g, ' ')), expected, 'also with 0x1D turned into a space (syslog)')
})

t.test('an unknown syscall number is given as text', async t => {
  const e = build(t, CONNECT.replace('syscall=42', 'syscall=999'))
  t.equal(e.syscall, '999')
  t.equal(e.arch, 'x86_64')
})

t.test('a SOCKADDR without its SYSCALL is reported with what is known', async t => {
  const e = build(t, 'type=SOCKADDR msg=audit(1464893432.960:3044): saddr=0200DC567F0000010000000000000000\n')
  t.equal(e.syscall, null)
  t.equal(e.arch, null)
  t.same(e.remote, { ip: '127.0.0.1', port: 56406 })
  t.same(e.process, { pid: null, ppid: null, exe: null, comm: null, argv: null })
  t.same(e.user, { uid: null, euid: null, gid: null, auid: null, ses: null })
  t.equal(e.exit, null)
  t.equal(e.fd, null)
})

t.test('calls of many processes interleaved (more than the few remembered last): each event gets its own process', async t => {
  const lines: string[] = []
  let serial = 1000
  for (let round = 0; round < 3; round++) {
    for (let p = 0; p < 20; p++) {
      const id = `msg=audit(1795640828.${100 + round}:${serial++}):`
      lines.push(`type=SYSCALL ${id} arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=1 a2=10 a3=0 items=0 ppid=1 pid=${5000 + p} auid=0 uid=${p} gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="p${p}" exe="/usr/bin/p${p}" key="net"`)
      lines.push(`type=SOCKADDR ${id} saddr=020000357F0000350000000000000000`)
      // Two processes share the process text and differ only in their command line.
      lines.push(`type=PROCTITLE ${id} proctitle="p${p}-${p === 7 && round === 2 ? 'changed' : 'same'}"`)
    }
  }
  const out = events(lines.join('\n')).map(ev => buildNetworkEvent(ev, selectEvent(ev)))
  t.equal(out.length, 60)
  const wrong = out.filter((e, i) => {
    const p = i % 20
    const argv = `p${p}-${p === 7 && i >= 40 ? 'changed' : 'same'}`
    return e.process.pid !== 5000 + p || e.process.exe !== `/usr/bin/p${p}` || e.user.uid !== p || e.process.argv?.[0] !== argv
  })
  t.same(wrong.map(e => e.event_id), [], 'every event carries its own process, user and command line')
})

t.test('event ids and times, written as bytes, read as the template and toISOString write them', async t => {
  const { default: fc } = await import('fast-check')
  const { isoTime } = await import('../../src/events/network-event.js')
  const ev = (sec: number, ms: number, serial: number): PendingEvent => ({
    node: null, sec, ms, serial, timeMs: sec * 1000 + ms, syscall: null, sockaddrs: null, proctitle: null,
    socketcall: null, records: 1, kinds: 0, lastSeen: 0
  })
  fc.assert(fc.property(
    fc.oneof(fc.integer({ min: 0, max: 999_999_999_999 }), fc.constantFrom(0, 9, 10, 1795640801, 253402300799, 253402300800)),
    fc.integer({ min: 0, max: 999 }),
    fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.constantFrom(0, 1, 999_999_999_999_999)),
    (sec, ms, serial) => {
      const pad = String(ms).padStart(3, '0')
      return eventId(ev(sec, ms, serial)) === `${sec}.${pad}:${serial}` &&
        isoTime(sec, ms) === new Date(sec * 1000 + ms).toISOString()
    }), { numRuns: 2000, seed: 7 })
  // One second, many events: the text kept for the second must not leak into the next id.
  t.equal(isoTime(1795640801, 5), '2026-11-25T21:06:41.005Z')
  t.equal(eventId(ev(1795640801, 5, 80009)), '1795640801.005:80009')
  t.equal(isoTime(1795640801, 999), '2026-11-25T21:06:41.999Z')
  t.equal(eventId(ev(-1, 5, 1)), '-1.005:1', 'numbers outside the header\'s range keep the template\'s text')
  // Runs of events in one millisecond, then another, then back: the text reused for a repeated
  // time must be that time's, whatever came between.
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom(0, 1795640801, 1795640802, 253402300799), fc.constantFrom(0, 5, 999)), { maxLength: 40 }),
    times => times.every(([sec, ms]) => isoTime(sec, ms) === new Date(sec * 1000 + ms).toISOString())
  ), { numRuns: 500, seed: 11 })
})

t.test('the events of one process share one frozen process and user; another command line gets its own', async t => {
  const a = build(t, CURL('-111'))
  const b = build(t, CURL('-115'))
  t.equal(a.process, b.process, 'one process object for both calls')
  t.equal(a.user, b.user, 'one user object for both calls')
  t.ok(Object.isFrozen(a.process) && Object.isFrozen(a.user) && Object.isFrozen(a.process.argv), 'frozen, argv too')
  t.throws(() => { (a.process as { pid: number | null }).pid = 1 }, TypeError, 'cannot be changed by one event for the others')
  const other = build(t, CURL('-111').replace(/proctitle=[0-9A-F]+/, 'proctitle="curl"'))
  t.not(other.process, a.process, 'another PROCTITLE, another process object')
  t.same(other.process.argv, ['curl'])
  t.same(other.user, a.user, 'with equal user fields')
  t.equal(other.user, a.user, 'and the same user object')
  const connect = build(t, CONNECT)
  const bind = build(t, CONNECT.replace('syscall=42', 'syscall=49').replace('key="net_connect"', 'key="net_bind"'))
  t.equal(bind.syscall, 'bind')
  t.equal(bind.process, connect.process, 'another call and rule key of the process: still its one process object')
})
