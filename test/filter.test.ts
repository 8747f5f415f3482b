/**
 * The filter core end to end, in-process: bytes in, output records and --stats counters out. Inputs
 * are real audit lines (the x86_64 capture in ../shared/corpus/real; test/fixtures holds a slice of
 * its plugin stream). runFilter validates every output record against schemas/event.schema.json.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { NetFilter, type Stats } from '../src/filter.js'
import { MAX_NODES } from '../src/events/assembler.js'
import type { NetworkEvent } from '../src/events/network-event.js'
import { ROOT, runFilter } from './helpers/filter.js'

const PY = (pid: number): string => `items=0 ppid=18118 pid=${pid} auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11"`
const PROCTITLE = 'proctitle=2F7573722F62696E2F656E760062617368002F726F6F742F2E7079656E762F7368696D732F707974686F6E33002D75002D6D00687474702E7365727665720030002D2D62696E64003A3A'
const id = (serial: number, ms = '922'): string => `msg=audit(1795640828.${ms}:${serial}):`

// Every kind of line and every drop reason once, as auditd writes them to its log (no EOE but one).
const MIXED = [
  'Nov 25 21:07:08 vm systemd[1]: Starting auditd.service - Security Auditing Service...',
  `type=SYSCALL ${id(95644, '918')} arch=c000003e syscall=41 success=yes exit=3 a0=a a1=80001 a2=0 a3=5605b0c4cf60 ${PY(18153)} key="net_socket"`,
  `type=PROCTITLE ${id(95644, '918')} ${PROCTITLE}`,
  `type=SYSCALL ${id(95645)} arch=c000003e syscall=49 success=yes exit=0 a0=3 a1=7ffca687f840 a2=1c a3=7f3353fc4f22 ${PY(18153)} key="net_bind"`,
  `type=SOCKADDR ${id(95645)} saddr=0A000000000000000000000000000000000000000000000000000000`,
  `type=EOE ${id(95645)} `,
  // rsyslog re-sends two records of the completed bind
  `type=SYSCALL ${id(95645)} arch=c000003e syscall=49 success=yes exit=0 a0=3 a1=7ffca687f840 a2=1c a3=7f3353fc4f22 ${PY(18153)} key="net_bind"`,
  `type=SOCKADDR ${id(95645)} saddr=0A000000000000000000000000000000000000000000000000000000`,
  '',
  `type=SYSCALL ${id(95646)} arch=c000003e syscall=42 success=no exit=-2 a0=4 a1=7ffca687ac80 a2=6e a3=7f3354464950 ${PY(18153)} key="net_connect"`,
  `type=SOCKADDR ${id(95646)} saddr=01002F7661722F72756E2F6E7363642F736F636B65740000200000000300000080AC87A6FC7F000000000000000000001801E054337F0000000000000000000003000000FF0F0000B8AE87A6FC7F000018E002000000000080F1B4B00556000089E01154337F000018C01154337F`,
  `type=CWD ${id(95646)} cwd="/tmp"`,
  `type=SYSCALL ${id(95647)} arch=c000003e syscall=44 success=yes exit=1068 a0=4 a1=7fffb99da7b0 a2=42c a3=0 items=0 ppid=18118 pid=18141 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="auditctl" exe="/usr/sbin/auditctl" key=(null)`,
  `type=SOCKADDR ${id(95647)} saddr=100000000000000000000000`,
  `type=SYSCALL ${id(95648)} arch=c000003e syscall=49 success=yes exit=0 a0=9 a1=7fff0f885410 a2=14 a3=7f3265dfea98 ${PY(18199)} key="net_bind"`,
  `type=SOCKADDR ${id(95648)} saddr=110000000100000000000000327F00008C8EA264`,
  'Nov 25 21:07:08 vm kernel: audit: initializing netlink subsys (disabled)',
  `type=SYSCALL ${id(95649)} arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY(18199)} key="net_connect"`,
  `type=SOCKADDR ${id(95649)} saddr=00000000000000000000000000000000`,
  `type=SYSCALL ${id(95650)} arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY(18199)} key="net_connect"`,
  `type=SOCKADDR ${id(95650)} saddr=ZZ00E3B17F0000010000000000000000`,
  `type=SYSCALL ${id(95651)} arch=c000003e syscall=59 success=no exit=-2 a0=7f3265e09110 a1=7f3265c52ed0 a2=7fff0f885a80 a3=8 items=1 ppid=18199 pid=18499 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11" key="exec"`,
  `type=CWD ${id(95651)} cwd="/tmp"`,
  `type=PATH ${id(95651)} item=0 name="/root/.cargo/bin/ls" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`,
  `type=PROCTITLE ${id(95651)} ${PROCTITLE}`,
  'type=SYSCALL msg=audit(1795640828.92:95652): arch=c000003e syscall=42 success=yes exit=0' // 2-digit millis
].join('\n') + '\n'

const FIXTURE = readFileSync(`${ROOT}test/fixtures/record-plugin-interleaved.log`, 'latin1')
const EXAMPLE_LOG = readFileSync(`${ROOT}examples/audit.log`, 'latin1')
const EXAMPLE_PLUGIN = readFileSync(`${ROOT}examples/plugin-stream.log`, 'latin1')

const withoutEoe = (text: string): string => text.split('\n').filter(l => !l.includes('type=EOE ')).join('\n')
const byId = (events: NetworkEvent[]): NetworkEvent[] => [...events].sort((a, b) => a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0)

t.test('stats count lines, records, events, kept, drops by reason, malformed, foreign and duplicates', async t => {
  const { events, stats } = runFilter(MIXED)
  t.same(events.map(e => e.event_id), ['1795640828.918:95644', '1795640828.922:95645'],
    'the socket is emitted at its PROCTITLE (it is then whole), the bind at its EOE')
  t.equal(stats.lines, 26, 'every line, the empty one included')
  t.equal(stats.records, 22, 'lines with an audit header, EOE included')
  t.equal(stats.events, 8, 'serials 95644-95651')
  t.equal(stats.kept, 2)
  t.same(stats.dropped, { unix: 1, netlink: 1, packet: 1, other_family: 1, not_network: 1, malformed: 1 })
  t.equal(stats.malformed, 1)
  t.equal(stats.foreign, 2)
  t.equal(stats.duplicates, 2)
  t.equal(stats.late, 0)
  t.equal(stats.evicted, 0)
  t.equal(stats.decode_errors, 0)
  t.equal(stats.inflight, 0)
  t.equal(stats.sequence.lost, 0, 'serials 95644-95651 all arrived')
  t.ok(Object.values(stats.filtered).every(n => n === 0), 'no user filters, nothing filtered')
})

t.test('every record line is accounted for: lines = records + malformed + foreign + empty', async t => {
  const { stats } = runFilter(MIXED)
  t.equal(stats.lines, stats.records + stats.malformed + stats.foreign + 1)
})

t.test('an overlong line counts as malformed and the records after it are read', async t => {
  const long = `type=EXECVE ${id(95651)} argc=3 a0="python3" a1="-c" a2=${'41'.repeat(600)}`
  const input = MIXED.replace(`type=CWD ${id(95651)} cwd="/tmp"\n`, `type=CWD ${id(95651)} cwd="/tmp"\n${long}\n`)
  const base = runFilter(MIXED, { maxLineBytes: 1000 })
  const r = runFilter(input, { maxLineBytes: 1000 })
  t.equal(r.stats.malformed, base.stats.malformed + 1)
  t.same(r.events, base.events)
  t.same(r.stats.dropped, base.stats.dropped)
  t.equal(r.stats.lines, base.stats.lines + 1, 'the overlong line is a line too')
})

t.test('the same input in 1-byte chunks gives identical output and stats', async t => {
  for (const [name, text] of [['mixed', MIXED], ['plugin stream slice', FIXTURE], ['examples/audit.log', EXAMPLE_LOG]] as const) {
    const whole = runFilter(text)
    t.ok(whole.events.length > 0, `${name}: something is kept`)
    const bytes = runFilter(text, {}, 1)
    t.same(bytes.events, whole.events, `${name}: events`)
    t.same(bytes.stats, whole.stats, `${name}: stats`)
  }
})

t.test('chunk sizes that cut lines anywhere give identical output', async t => {
  const whole = runFilter(EXAMPLE_PLUGIN)
  for (const size of [2, 3, 7, 64, 113, 4096]) {
    const r = runFilter(EXAMPLE_PLUGIN, {}, size)
    t.same(r.events, whole.events, `chunks of ${size}`)
    t.equal(r.stats.records, whole.stats.records)
  }
})

t.test('CRLF input gives identical output and stats to LF input', async t => {
  for (const [name, text] of [['mixed', MIXED], ['plugin stream slice', FIXTURE], ['examples/plugin-stream.log', EXAMPLE_PLUGIN]] as const) {
    const lf = runFilter(text)
    const crlf = runFilter(text.replace(/\n/g, '\r\n'))
    t.same(crlf.events, lf.events, `${name}: events`)
    t.same(crlf.stats, lf.stats, `${name}: stats`)
    t.same(runFilter(text.replace(/\n/g, '\r\n'), {}, 1).events, lf.events, `${name}: CRLF in 1-byte chunks`)
  }
})

t.test('a last line without a newline is read at the end', async t => {
  const text = FIXTURE.replace(/\n$/, '')
  t.not(text, FIXTURE)
  t.same(runFilter(text).events, runFilter(FIXTURE).events)
})

t.test('a real interleaved plugin stream slice gives the expected events', async t => {
  // Serials 102500-102507 of the raw plugin stream: a unix connect, curl's socket + connect on fd 5,
  // an accept4 interleaved with a sendto, more sendtos without address, a python socket.
  const { events, stats } = runFilter(FIXTURE)
  t.same(events.map(e => [e.event_id, e.syscall, e.family]), [
    ['1795640834.706:102501', 'socket', 'inet6'],
    ['1795640834.706:102502', 'connect', 'inet6'],
    ['1795640834.706:102503', 'accept4', 'inet6'],
    ['1795640834.710:102507', 'socket', 'inet6']
  ])
  t.same(stats.dropped, { unix: 1, netlink: 0, packet: 0, other_family: 0, not_network: 3, malformed: 0 })
  t.equal(stats.events, 8)
  const [socket, connect, accept] = events
  t.same(socket?.socket, { type: 'stream', protocol: 6 }, 'socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP)')
  t.equal(socket?.fd, 5)
  t.same(connect?.remote, { ip: '::1', port: 36999, flowinfo: 0, scope_id: 0 })
  t.equal(connect?.result, 'in_progress')
  t.equal(connect?.transport, 'tcp', "connect on fd 5 of pid 18690 gets the socket()'s transport")
  t.same(connect?.socket, { type: 'stream', protocol: 6 })
  t.same(accept?.remote, { ip: '::1', port: 56180, flowinfo: 0, scope_id: 0 })
  t.equal(accept?.transport, null, "the listening socket's socket() is not in the slice")
  t.equal(accept?.transport_hint, 'tcp')
})

t.test('a plugin stream (EOE, interleaved) and the same records without EOE give the same kept events', async t => {
  for (const [name, text] of [['plugin stream slice', FIXTURE], ['examples/plugin-stream.log', EXAMPLE_PLUGIN]] as const) {
    const plugin = runFilter(text)
    const log = runFilter(withoutEoe(text))
    t.ok(plugin.events.length > 0, `${name}: something is kept`)
    t.same(byId(log.events), byId(plugin.events), `${name}: same events`)
    t.same(log.stats.dropped, plugin.stats.dropped, `${name}: same drops`)
    t.equal(log.stats.events, plugin.stats.events, `${name}: same event count`)
    t.equal(log.stats.records, plugin.stats.records - (text.match(/type=EOE /g) ?? []).length, `${name}: the EOE lines are the only difference`)
  }
})

t.test('examples/audit.log (auditd) and examples/plugin-stream.log (plugin) give the same events', async t => {
  const log = runFilter(EXAMPLE_LOG)
  const plugin = runFilter(EXAMPLE_PLUGIN)
  t.ok(log.events.length > 0)
  t.same(byId(log.events), byId(plugin.events))
})

t.test('a log delivered twice gives each event once', async t => {
  const once = runFilter(EXAMPLE_LOG)
  const twice = runFilter(EXAMPLE_LOG + EXAMPLE_LOG)
  t.same(byId(twice.events), byId(once.events))
  t.equal(twice.stats.kept, once.stats.kept)
  t.equal(twice.stats.events, once.stats.events, 'no event is counted twice')
})

t.test('a plugin stream delivered twice gives each event once, and every repeated record is a duplicate', async t => {
  const once = runFilter(FIXTURE)
  const twice = runFilter(FIXTURE + FIXTURE)
  t.same(byId(twice.events), byId(once.events))
  t.equal(twice.stats.duplicates, once.stats.records - (FIXTURE.match(/type=EOE /g) ?? []).length)
})

t.test('maxInflight 1 on sequential events gives the same events, counting evictions', async t => {
  const base = runFilter(withoutEoe(FIXTURE).replace(/\n(type=SYSCALL msg=audit\(1795640834\.706:102504\)[^\n]*)/, ''))
  const one = runFilter(withoutEoe(FIXTURE).replace(/\n(type=SYSCALL msg=audit\(1795640834\.706:102504\)[^\n]*)/, ''), { maxInflight: 1 })
  t.ok(one.stats.evicted > 0, `evictions counted (${one.stats.evicted})`)
  t.same(one.events, base.events)
  t.equal(one.stats.inflight, 0)
})

t.test('a truncated inet address is emitted with decode_error and counted', async t => {
  const text = `type=SYSCALL ${id(95909)} arch=c000003e syscall=42 success=no exit=-111 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY(18199)} key="net_connect"
type=SOCKADDR ${id(95909)} saddr=020000017F00
`
  const { events, stats } = runFilter(text)
  t.equal(events.length, 1)
  t.type(events[0]?.decode_error, 'string')
  t.equal(events[0]?.remote, null)
  t.equal(stats.decode_errors, 1)
  t.equal(stats.kept, 1)
})

t.test('node names keep the same serial on two hosts apart and reach the output', async t => {
  const lines = FIXTURE.split('\n').filter(l => l !== '')
  const text = lines.map(l => `node=web1 ${l}`).join('\n') + '\n' + lines.map(l => `node=web2 ${l}`).join('\n') + '\n'
  const { events, stats } = runFilter(text)
  const plain = runFilter(FIXTURE)
  t.equal(events.length, 2 * plain.events.length)
  t.equal(stats.duplicates, 0)
  t.same(events.filter(e => e.node === 'web1').map(e => ({ ...e, node: null })), plain.events)
  t.same(events.filter(e => e.node === 'web2').map(e => ({ ...e, node: null })), plain.events)
})

t.test('foreign lines between records do not split or drop events', async t => {
  const noisy = FIXTURE.split('\n').map((l, i) => i % 2 === 0 && l !== '' ? `Nov 25 21:07:14 vm sshd[812]: Accepted publickey for root\n${l}` : l).join('\n')
  const r = runFilter(noisy)
  const plain = runFilter(FIXTURE)
  t.same(r.events, plain.events)
  t.equal(r.stats.foreign, 15)
})

t.test('i386 socketcall: a dropped unix connect does not erase the state of another fd', async t => {
  // qiangwang-style i386 process: an inet socket on fd 3 (socketcall SYS_SOCKET), then an nscd
  // lookup on fd 6 (socketcall SYS_CONNECT: SYSCALL a0=3, SOCKETCALL a0=6), then a connect on fd 3.
  const I386 = 'items=0 ppid=2819 pid=2840 auid=4294967295 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=4294967295 comm="ps" exe="/bin/ps" key=(null)'
  const text = `type=SYSCALL msg=audit(1332418176.249:12367): arch=40000003 syscall=102 success=yes exit=3 a0=1 a1=bff3c0ec a2=855ff4 a3=0 ${I386}
type=SOCKETCALL msg=audit(1332418176.249:12367): nargs=3 a0=2 a1=1 a2=0
type=SYSCALL msg=audit(1332418176.249:12368): arch=40000003 syscall=102 success=no exit=-2 a0=3 a1=bff3c0c8 a2=855ff4 a3=bff3c0e0 ${I386}
type=SOCKETCALL msg=audit(1332418176.249:12368): nargs=3 a0=6 a1=bff3c112 a2=6e
type=SOCKADDR msg=audit(1332418176.249:12368): saddr=01002F7661722F72756E2F6E7363642F736F636B6574
type=SYSCALL msg=audit(1332418176.253:12369): arch=40000003 syscall=102 success=yes exit=0 a0=3 a1=bff3c0c8 a2=855ff4 a3=bff3c0e0 ${I386}
type=SOCKETCALL msg=audit(1332418176.253:12369): nargs=3 a0=3 a1=bff3c112 a2=10
type=SOCKADDR msg=audit(1332418176.253:12369): saddr=02000050C0A800010000000000000000
`
  const withoutLookup = runFilter(text.split('\n').filter(l => !l.includes(':12368)')).join('\n'))
  t.equal(withoutLookup.events[1]?.transport, 'tcp', 'control: without the unix lookup the connect gets tcp')
  const { events, stats } = runFilter(text)
  t.same(events.map(e => [e.syscall, e.fd, e.socketcall]), [['socket', 3, true], ['connect', 3, true]])
  t.equal(stats.dropped.unix, 1)
  t.equal(events[1]?.transport, 'tcp', "the connect on fd 3 gets fd 3's transport")
})

t.test('a log merged from more hosts than MAX_NODES: every event out, node state bounded, the forgotten nodes\' losses still counted', async t => {
  // Each host logs two socket() calls, whole at their PROCTITLE; its serials skip one (a lost
  // event) between them, so every host has exactly one lost serial.
  const hosts = MAX_NODES + 2000
  const lines: string[] = []
  for (let h = 0; h < hosts; h++) {
    for (const serial of [10, 12]) {
      lines.push(`node=h${h} type=SYSCALL ${id(serial)} arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=0 a3=0 ${PY(1000)} key="net_socket"`)
      lines.push(`node=h${h} type=PROCTITLE ${id(serial)} ${PROCTITLE}`)
    }
  }
  const { events, stats } = runFilter(lines.join('\n') + '\n')
  t.equal(events.length, 2 * hosts, 'every event out')
  t.equal(new Set(events.map(e => `${e.node ?? ''} ${e.event_id}`)).size, 2 * hosts, 'each once')
  t.equal(stats.sequence.nodes.length, MAX_NODES, `state kept for ${MAX_NODES} nodes`)
  t.equal(stats.sequence.forgotten_nodes, hosts - MAX_NODES, 'the rest forgotten, and said so')
  t.equal(stats.sequence.lost, hosts, 'one lost serial per host, the forgotten ones included')
  t.equal(runFilter(lines.slice(0, 8).join('\n') + '\n').stats.sequence.forgotten_nodes, undefined, 'no forgotten_nodes while none is')
})

t.test('with more nodes than events allowed in flight, each eviction takes the nodes in turn and every event comes out once', async t => {
  // Never whole (no PROCTITLE), so every event waits; --max-inflight 64 evicts them, across nodes.
  const lines: string[] = []
  for (let h = 0; h < 5000; h++) {
    lines.push(`node=n${h} type=SYSCALL ${id(7)} arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=0 a3=0 ${PY(1000)} key="net_socket"`)
  }
  const { events, stats } = runFilter(lines.join('\n') + '\n', { maxInflight: 64 })
  t.equal(events.length, 5000, 'every event out')
  t.equal(new Set(events.map(e => e.node)).size, 5000, 'each node\'s once')
  t.equal(stats.evicted, 5000 - 64, 'all but the last 64 evicted to make room, the rest at the end')
})

t.test("auditd's own records (DAEMON_START, DAEMON_END) are not counted as lost kernel serials", async t => {
  // After a reboot the kernel's serials are small; auditd numbers its DAEMON_* records itself.
  const dig = 'items=0 ppid=1 pid=700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="dig" exe="/usr/bin/dig" key="net_socket"'
  let text = 'type=DAEMON_START msg=audit(1795640827.466:2694): op=start ver=3.0.9 format=raw kernel=6.18.44-fc-v782 auid=4294967295 pid=18130 uid=0 ses=4294967295 res=success\n'
  for (let serial = 100; serial < 105; serial++) {
    text += `type=SYSCALL msg=audit(1795640828.100:${serial}): arch=c000003e syscall=41 success=yes exit=4 a0=2 a1=80802 a2=0 a3=0 ${dig}\n`
  }
  t.equal(runFilter(text).stats.sequence.lost, 0, 'kernel serials 100-104, DAEMON_START ignored')
  const abort = runFilter(text + 'type=DAEMON_ABORT msg=audit(1795640840.681:2695): op=abort auid=0 uid=0 ses=4294967295 pid=18118 res=failed\n')
  t.equal(abort.stats.sequence.lost, 0, 'DAEMON_ABORT ignored')
  const end = runFilter(text + 'type=DAEMON_END msg=audit(1795640840.681:2695): op=terminate auid=0 uid=0 ses=4294967295 pid=18118 res=success\n')
  t.equal(end.stats.sequence.lost, 0, 'DAEMON_END ignored')
})

t.test('connect(AF_UNSPEC), which dissolves a UDP association, keeps what is known of the socket', async t => {
  // BIND-style resolvers disconnect a UDP socket with an AF_UNSPEC connect before using it again.
  const dig = 'items=0 ppid=1 pid=700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="dig" exe="/usr/bin/dig" key="net"'
  const text = `type=SYSCALL msg=audit(1795640828.100:1): arch=c000003e syscall=41 success=yes exit=4 a0=2 a1=80802 a2=0 a3=0 ${dig}
type=SYSCALL msg=audit(1795640828.101:2): arch=c000003e syscall=42 success=yes exit=0 a0=4 a1=7ffd5e8c a2=10 a3=0 ${dig}
type=SOCKADDR msg=audit(1795640828.101:2): saddr=020000350A0002030000000000000000
type=SYSCALL msg=audit(1795640828.102:3): arch=c000003e syscall=42 success=yes exit=0 a0=4 a1=7ffd5e8c a2=10 a3=0 ${dig}
type=SOCKADDR msg=audit(1795640828.102:3): saddr=00000000000000000000000000000000
type=SYSCALL msg=audit(1795640828.103:4): arch=c000003e syscall=44 success=yes exit=30 a0=4 a1=7ffd5e8c a2=1e a3=0 ${dig}
type=SOCKADDR msg=audit(1795640828.103:4): saddr=020000350A0002040000000000000000
`
  const { events, stats } = runFilter(text)
  t.same(events.map(e => [e.syscall, e.fd]), [['socket', 4], ['connect', 4], ['sendto', 4]])
  t.equal(stats.dropped.other_family, 1, 'the AF_UNSPEC connect is dropped')
  t.equal(events[1]?.transport, 'udp', 'the connect on fd 4 is udp')
  t.equal(events[2]?.transport, 'udp', 'so is the sendto after the disconnect')
})

t.test('stats() can be read while input is still arriving', async t => {
  const lines: NetworkEvent[] = []
  const f = new NetFilter(e => lines.push(e))
  f.push(Buffer.from(FIXTURE.slice(0, 2000), 'latin1'))
  const mid: Stats = f.stats()
  t.equal(mid.lines, FIXTURE.slice(0, 2000).split('\n').length - 1, 'the complete lines so far')
  t.ok(mid.inflight > 0, 'the event of the cut line is in flight')
  f.push(Buffer.from(FIXTURE.slice(2000), 'latin1'))
  f.end()
  const end = f.stats()
  t.equal(end.inflight, 0, 'nothing in flight after end()')
  t.same(lines, runFilter(FIXTURE).events)
})

t.test('with --accept-without-address, an accept with no address (libuv\'s accept4(fd, NULL, NULL)) on a known inet listener is kept with the listener\'s local address', async t => {
  const sys = (serial: number, call: number, exit: number, a0: string, a1 = '0', a2 = '0'): string =>
    `type=SYSCALL msg=audit(1795640829.926:${serial}): arch=c000003e syscall=${call} success=${exit < 0 ? 'no' : 'yes'} exit=${exit} a0=${a0} a1=${a1} a2=${a2} a3=0 items=0 ppid=1 pid=4242 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="node" exe="/usr/bin/node" key="net"\n`
  const input =
    sys(1, 41, 21, '2', '80801', '0') + // socket(AF_INET, SOCK_STREAM|NONBLOCK|CLOEXEC) = 21
    sys(2, 49, 0, '15', '7ffd0000', '10') + 'type=SOCKADDR msg=audit(1795640829.926:2): saddr=02001F90000000000000000000000000\n' + // bind(21, 0.0.0.0:8080)
    sys(3, 288, 22, '15', '0', '0') + // accept4(21, NULL, NULL) = 22: no SOCKADDR record
    sys(4, 288, -11, '15', '0', '0') + // accept4 → EAGAIN: the poll that ends a batch
    sys(5, 288, 23, '30', '0', '0') // accept4 on an fd netfilter knows nothing of
  t.equal(runFilter(input).events.filter(e => e.syscall === 'accept4').length, 0, 'by default: the selection keeps only events with an address')
  const r = runFilter(input, { acceptWithoutAddress: true })
  const accepts = r.events.filter(e => e.syscall === 'accept4')
  t.equal(accepts.length, 1, 'with --accept-without-address: only the successful accept on the known listener')
  t.match(accepts[0], { remote: null, local: { ip: '0.0.0.0', port: 8080 }, transport: 'tcp', family: 'inet', direction: 'inbound', fd: 21, exit: 22 })
  t.equal(r.stats.dropped.not_network, 2, 'the EAGAIN poll and the accept on an unknown fd are dropped')
})

t.test('calls that are never network events are set aside unread, and nothing a socket call logs is lost with them', async t => {
  const EXEC = (serial: number): string => `type=SYSCALL ${id(serial)} arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=8 items=2 ppid=1 pid=777 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="sh" exe="/bin/sh" key="exec"`
  const INET = `saddr=020000357F0000350000000000000000`
  const lines = [
    // An execve as the kernel logs it: dropped as not_network, counted like any other event.
    EXEC(1), `type=CWD ${id(1)} cwd="/"`, `type=PROCTITLE ${id(1)} ${PROCTITLE}`,
    // The kernel never logs a SOCKADDR for execve; if a line says so anyway, the event is not lost:
    // it is kept for its address, with the call it names (its other fields were not kept).
    EXEC(2), `type=SOCKADDR ${id(2)} ${INET}`, `type=PROCTITLE ${id(2)} ${PROCTITLE}`,
    // The SOCKADDR before the SYSCALL (records out of order): the SYSCALL body is kept whole.
    `type=SOCKADDR ${id(3)} ${INET}`, EXEC(3), `type=PROCTITLE ${id(3)} ${PROCTITLE}`,
    // A socket call between them is read whole as always.
    `type=SYSCALL ${id(4)} arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=1 a2=10 a3=0 ${PY(18199)} key="net_connect"`,
    `type=SOCKADDR ${id(4)} ${INET}`, `type=PROCTITLE ${id(4)} ${PROCTITLE}`,
    // The SOCKADDR first again, with another event between it and its SYSCALL: found in flight.
    `type=SOCKADDR ${id(5)} ${INET}`, EXEC(6), `type=PROCTITLE ${id(6)} ${PROCTITLE}`, EXEC(5), `type=PROCTITLE ${id(5)} ${PROCTITLE}`
  ]
  const { events, stats } = runFilter(lines.join('\n') + '\n')
  t.equal(stats.events, 6)
  t.equal(stats.dropped.not_network, 2, 'the plain execves')
  t.same(events.map(e => [e.event_id.split(':')[1], e.syscall, e.remote?.port]), [['2', 'execve', 53], ['3', 'execve', 53], ['4', 'connect', 53], ['5', 'execve', 53]])
  const [odd, reordered, connect, apart] = events as [NetworkEvent, NetworkEvent, NetworkEvent, NetworkEvent]
  t.equal(apart.process.exe, '/bin/sh', 'SOCKADDR first, another event between: nothing set aside')
  t.equal(odd.process.exe, null, 'set aside before its SOCKADDR came: its SYSCALL fields are unknown')
  t.same(odd.process.argv, ['/usr/bin/env', 'bash', '/root/.pyenv/shims/python3', '-u', '-m', 'http.server', '0', '--bind', '::'], 'its PROCTITLE, after the SOCKADDR, is kept')
  t.equal(reordered.process.exe, '/bin/sh', 'SOCKADDR first: nothing set aside')
  t.equal(connect.process.pid, 18199)
})

t.test('live input without EOE: a call is out at its PROCTITLE, with no idle sweep, with or without an address; one without PROCTITLE waits for the idle timeout', async t => {
  const out: NetworkEvent[] = []
  const filter = new NetFilter(ev => out.push(ev), { acceptWithoutAddress: true })
  const now = 1000
  filter.push(Buffer.from([
    // The listening socket, known from its socket() (an accept without an address needs it).
    `type=SYSCALL ${id(95699)} arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=0 a3=0 ${PY(18199)} key="net_socket"`,
    `type=PROCTITLE ${id(95699)} ${PROCTITLE}`,
    `type=SYSCALL ${id(95700)} arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY(18199)} key="net_connect"`,
    `type=SOCKADDR ${id(95700)} saddr=0200E3B17F0000010000000000000000`,
    `type=PROCTITLE ${id(95700)} ${PROCTITLE}`,
    // accept4(3, NULL, NULL): no SOCKADDR, and none can follow its PROCTITLE.
    `type=SYSCALL ${id(95701)} arch=c000003e syscall=288 success=yes exit=11 a0=3 a1=0 a2=0 a3=80000 ${PY(18199)} key="net_accept"`,
    `type=PROCTITLE ${id(95701)} ${PROCTITLE}`,
    // send on a connected socket: no SOCKADDR either.
    `type=SYSCALL ${id(95702)} arch=c000003e syscall=44 success=yes exit=5 a0=9 a1=7fff0f885420 a2=5 a3=0 ${PY(18199)} key="net_send"`,
    `type=PROCTITLE ${id(95702)} ${PROCTITLE}`,
    // A connect whose PROCTITLE never comes.
    `type=SYSCALL ${id(95703)} arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 ${PY(18199)} key="net_connect"`,
    `type=SOCKADDR ${id(95703)} saddr=0200E3B17F0000010000000000000000`
  ].join('\n') + '\n'), now)
  t.same(out.map(e => e.event_id.split(':')[1]), ['95699', '95700', '95701'], 'the socket, the connect and the accept are out at once')
  t.equal(out[2]?.local?.port, undefined, 'the accept, with no address of its own')
  t.equal(out[2]?.transport, 'tcp', 'takes what its listening socket says')
  t.equal(filter.inflight, 1, 'only the connect without PROCTITLE waits')
  t.equal(filter.stats().dropped.not_network, 1, 'the send without an address is not a network event, and is not held either')
  t.equal(filter.sweepIdle(now + 500, 500), -1, 'the idle timeout completes the connect')
  t.equal(filter.inflight, 0)
  t.same(out.map(e => e.event_id.split(':')[1]), ['95699', '95700', '95701', '95703'])
})
