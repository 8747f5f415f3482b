/**
 * The user's filters (src/selection/filters.ts): --exclude-loopback, --include-cidr, --exclude-cidr,
 * --result, --key, --exe, --syscall. Documented behaviour (module header, --help): the predicate
 * names the filter that rejects an event or returns null to keep it; address filters look at the
 * remote address, or the local one for bind(); an IPv4-mapped address is matched as the IPv4 it
 * carries; --include-cidr drops events without an address (socket()); --exe takes globs ("*" stops
 * at "/", "**" does not) or re:EXPRESSION regular expressions (unanchored, as grep); bad CIDRs and
 * regular expressions raise FilterError naming the text.
 * Address ranges: loopback 127.0.0.0/8 and ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3), IPv4-mapped
 * ::ffff:0:0/96 (RFC 4291 §2.5.5.2), documentation prefixes 192.0.2.0/24 and 2001:db8::/32.
 */
import t from 'tap'
import {
  FilterError, NO_FILTERS, compileExePattern, compileFilters, parseCidr, type EventFilter, type FilterSettings
} from '../../src/selection/filters.js'
import type { Endpoint, NetworkEvent } from '../../src/events/network-event.js'
import { runFilter } from '../helpers/filter.js'


/** A kept connect event as the filter core builds it; fields overridden per test. */
function event (over: Partial<NetworkEvent> = {}, exe: string | null = '/usr/bin/curl'): NetworkEvent {
  return {
    time: '2026-11-26T19:07:09.926Z',
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
    transport: 'tcp',
    socket: { type: 'stream', protocol: 0 },
    remote: { ip: '10.0.0.1', port: 443 },
    local: null,
    fd: 3,
    process: { pid: 18244, ppid: 18199, exe, comm: 'curl', argv: null },
    user: { uid: 0, euid: 0, gid: 0, auid: null, ses: null },
    tty: null,
    key: 'net_connect',
    ...over
  }
}
function to (ip: string, more: Partial<Endpoint> = {}): NetworkEvent {
  return event({ remote: { ip, port: 443, ...more }, family: ip.includes(':') ? 'inet6' : 'inet' })
}
function bindTo (ip: string): NetworkEvent {
  return event({ syscall: 'bind', direction: 'listen', action: 'bind', remote: null, local: { ip, port: 8080 } })
}
function socketCall (): NetworkEvent {
  return event({ syscall: 'socket', direction: 'intent', action: 'socket', remote: null, local: null })
}
function errorOf (fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}
function filter (s: Partial<FilterSettings>): EventFilter {
  const f = compileFilters({ ...NO_FILTERS, ...s })
  if (f === null) throw new Error('expected a filter')
  return f
}

t.test('without any filter setting every event is kept', t => {
  const f = compileFilters(NO_FILTERS)
  for (const ev of [to('127.0.0.1'), socketCall(), event({ result: 'failed' }), event({ key: null })]) {
    t.ok(f === null || f(ev) === null, `${ev.syscall ?? ''} ${ev.remote?.ip ?? ''}`)
  }
  t.end()
})

t.test('--exclude-loopback drops 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.1', t => {
  const f = filter({ excludeLoopback: true })
  t.equal(f(to('127.0.0.1')), 'loopback')
  t.equal(f(to('127.5.5.5')), 'loopback', 'all of 127.0.0.0/8')
  t.equal(f(to('127.255.255.254')), 'loopback')
  t.equal(f(to('::1')), 'loopback')
  t.equal(f(event({ family: 'inet6', remote: { ip: '127.0.0.1', port: 443, flowinfo: 0, scope_id: 0, ipv4_mapped: true } })), 'loopback', 'decoded IPv4-mapped')
  t.equal(f(to('::ffff:127.0.0.1')), 'loopback', 'IPv4-mapped written as IPv6')
  t.end()
})

t.test('--exclude-loopback keeps addresses next to the loopback ranges', t => {
  const f = filter({ excludeLoopback: true })
  for (const ip of ['10.0.0.1', '126.255.255.255', '128.0.0.1', '0.0.0.0', '::', '::2', '2001:db8::1', '::ffff:10.0.0.1']) {
    t.equal(f(to(ip)), null, ip)
  }
  t.end()
})

t.test('--exclude-loopback looks at the local address of a bind()', t => {
  const f = filter({ excludeLoopback: true })
  t.equal(f(bindTo('127.0.0.1')), 'loopback')
  t.equal(f(bindTo('0.0.0.0')), null)
  t.end()
})

t.test('--exclude-loopback drops an IPv4-mapped loopback connect decoded from a real sockaddr_in6', t => {
  // sockaddr_in6 to [::ffff:127.0.0.1]:58099 from examples/audit.log (Python's dual-stack socket)
  const input = 'type=SYSCALL msg=audit(1795640829.946:95940): arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=1c a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key="net_connect"\n' +
    'type=SOCKADDR msg=audit(1795640829.946:95940): saddr=0A00E2F30000000000000000000000000000FFFF7F00000100000000\n'
  const plain = runFilter(input)
  t.equal(plain.events.length, 1)
  t.equal(plain.events[0]?.remote?.ip, '127.0.0.1')
  t.equal(plain.events[0]?.remote?.ipv4_mapped, true)
  const filtered = runFilter(input, { filters: { ...NO_FILTERS, excludeLoopback: true } })
  t.equal(filtered.events.length, 0)
  t.equal(filtered.stats.filtered.loopback, 1)
  t.end()
})

t.test('--include-cidr with an IPv4 range keeps addresses in it and drops the rest, IPv6 included', t => {
  const f = filter({ includeCidr: ['10.0.0.0/8'] })
  t.equal(f(to('10.1.2.3')), null)
  t.equal(f(to('10.255.255.255')), null)
  t.equal(f(to('11.0.0.0')), 'include_cidr')
  t.equal(f(to('192.168.1.1')), 'include_cidr')
  t.equal(f(to('2001:db8::1')), 'include_cidr', 'an IPv6 address is in no IPv4 range')
  t.end()
})

t.test('--include-cidr with an IPv6 range keeps addresses in it and drops the rest, IPv4 included', t => {
  const f = filter({ includeCidr: ['2001:db8::/32'] })
  t.equal(f(to('2001:db8::1')), null)
  t.equal(f(to('2001:db8:ffff:ffff::1')), null)
  t.equal(f(to('2001:db9::1')), 'include_cidr')
  t.equal(f(to('10.0.0.1')), 'include_cidr')
  t.end()
})

t.test('--include-cidr keeps an event in any of several ranges', t => {
  const f = filter({ includeCidr: ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32'] })
  t.equal(f(to('10.0.0.1')), null)
  t.equal(f(to('192.0.2.77')), null)
  t.equal(f(to('2001:db8::5')), null)
  t.equal(f(to('192.0.3.1')), 'include_cidr')
  t.end()
})

t.test('--include-cidr accepts a single address as a /32 or /128', t => {
  const f = filter({ includeCidr: ['192.0.2.7', '2001:db8::7'] })
  t.equal(f(to('192.0.2.7')), null)
  t.equal(f(to('192.0.2.8')), 'include_cidr')
  t.equal(f(to('2001:db8::7')), null)
  t.equal(f(to('2001:db8::8')), 'include_cidr')
  t.end()
})

t.test('--exclude-cidr drops addresses in its IPv4 and IPv6 ranges and keeps the rest', t => {
  const f = filter({ excludeCidr: ['10.0.0.0/8', '2001:db8::/32'] })
  t.equal(f(to('10.1.2.3')), 'exclude_cidr')
  t.equal(f(to('2001:db8::1')), 'exclude_cidr')
  t.equal(f(to('192.168.1.1')), null)
  t.equal(f(to('2001:db9::1')), null)
  t.end()
})

t.test('an IPv4-mapped address is matched as IPv4 by an IPv4 range', t => {
  const include = filter({ includeCidr: ['10.0.0.0/8'] })
  const exclude = filter({ excludeCidr: ['10.0.0.0/8'] })
  const decoded = event({ family: 'inet6', remote: { ip: '10.1.2.3', port: 443, flowinfo: 0, scope_id: 0, ipv4_mapped: true } })
  t.equal(include(decoded), null)
  t.equal(exclude(decoded), 'exclude_cidr')
  t.equal(include(to('::ffff:10.1.2.3')), null, 'written as IPv6 text')
  t.equal(exclude(to('::ffff:10.1.2.3')), 'exclude_cidr', 'written as IPv6 text')
  t.equal(include(to('::ffff:11.1.2.3')), 'include_cidr')
  t.end()
})

t.test('a range written as ::ffff:10.0.0.0/104 is the IPv4 range 10.0.0.0/8', t => {
  t.equal(filter({ includeCidr: ['::ffff:10.0.0.0/104'] })(to('10.1.2.3')), null)
  t.equal(filter({ includeCidr: ['::ffff:10.0.0.0/104'] })(to('11.1.2.3')), 'include_cidr')
  t.equal(filter({ excludeCidr: ['::ffff:10.0.0.0/104'] })(to('10.1.2.3')), 'exclude_cidr')
  t.equal(filter({ excludeCidr: ['::ffff:127.0.0.0/104'] })(to('127.0.0.1')), 'exclude_cidr')
  const [addr, bits] = parseCidr('::ffff:10.0.0.0/104')
  t.equal(addr.kind(), 'ipv4')
  t.equal(addr.toString(), '10.0.0.0')
  t.equal(bits, 8)
  t.end()
})

t.test('--include-cidr drops a socket() event (it has no address); --exclude-cidr keeps it', t => {
  t.equal(filter({ includeCidr: ['0.0.0.0/0'] })(socketCall()), 'include_cidr')
  t.equal(filter({ excludeCidr: ['0.0.0.0/0', '::/0'] })(socketCall()), null)
  t.equal(filter({ excludeLoopback: true })(socketCall()), null, '--exclude-loopback keeps it too')
  t.end()
})

t.test('a bind() is matched on its local address', t => {
  t.equal(filter({ includeCidr: ['10.0.0.0/8'] })(bindTo('10.0.0.5')), null)
  t.equal(filter({ includeCidr: ['10.0.0.0/8'] })(bindTo('192.168.0.5')), 'include_cidr')
  t.equal(filter({ excludeCidr: ['10.0.0.0/8'] })(bindTo('10.0.0.5')), 'exclude_cidr')
  t.end()
})

t.test('an accept with both a remote and a (bound) local address is matched on the remote', t => {
  const acc = event({
    syscall: 'accept4', direction: 'inbound', action: 'accept',
    remote: { ip: '192.168.1.9', port: 40000 }, local: { ip: '10.0.0.5', port: 8080 }
  })
  t.equal(filter({ includeCidr: ['10.0.0.0/8'] })(acc), 'include_cidr')
  t.equal(filter({ includeCidr: ['192.168.0.0/16'] })(acc), null)
  t.equal(filter({ excludeCidr: ['10.0.0.0/8'] })(acc), null)
  t.end()
})

t.test('--result keeps only the listed results', t => {
  const f = filter({ result: ['success', 'in_progress'] })
  t.equal(f(event({ result: 'success' })), null)
  t.equal(f(event({ result: 'in_progress', exit: -115, errno: 'EINPROGRESS' })), null)
  t.equal(f(event({ result: 'failed', exit: -111, errno: 'ECONNREFUSED' })), 'result')
  t.equal(filter({ result: ['failed'] })(event({ result: 'success' })), 'result')
  t.end()
})

t.test('--key keeps an event whose key, or any of its several keys, is listed', t => {
  const f = filter({ key: ['net_connect', 'probe'] })
  t.equal(f(event({ key: 'net_connect' })), null)
  t.equal(f(event({ key: 'probe' })), null)
  t.equal(f(event({ key: 'other', keys: ['other', 'probe'] })), null, 'second of two keys')
  t.equal(f(event({ key: 'net_socket' })), 'key')
  t.equal(f(event({ key: 'a', keys: ['a', 'b'] })), 'key')
  t.equal(f(event({ key: null })), 'key', 'an event logged by a rule without a key')
  t.end()
})

t.test('--key matches the second key of a real multi-key record (keys joined by 0x01, hex-encoded)', t => {
  const input = 'type=SYSCALL msg=audit(1795640829.922:95888): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=80001 a2=0 a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key=6E65745F736F636B65740170726F6265\n'
  t.equal(runFilter(input, { filters: { ...NO_FILTERS, key: ['probe'] } }).events.length, 1)
  t.equal(runFilter(input, { filters: { ...NO_FILTERS, key: ['net_socket'] } }).events.length, 1)
  const other = runFilter(input, { filters: { ...NO_FILTERS, key: ['net_connect'] } })
  t.equal(other.events.length, 0)
  t.equal(other.stats.filtered.key, 1)
  t.end()
})

t.test('--exe "/usr/bin/*" matches a program in /usr/bin but not in a subdirectory or /usr/local/bin', t => {
  const m = compileExePattern('/usr/bin/*')
  t.equal(m('/usr/bin/curl'), true)
  t.equal(m('/usr/bin/wget'), true)
  t.equal(m('/usr/local/bin/curl'), false)
  t.equal(m('/usr/bin/x/curl'), false, '"*" stops at "/"')
  t.end()
})

t.test('--exe "**/python3*" matches python3 at any depth and nothing else', t => {
  const m = compileExePattern('**/python3*')
  t.equal(m('/usr/bin/python3'), true)
  t.equal(m('/usr/bin/python3.11'), true)
  t.equal(m('/root/.pyenv/versions/3.11.7/bin/python3.11'), true, '"**" crosses "/"')
  t.equal(m('/usr/bin/python2.7'), false)
  t.equal(m('/usr/bin/ipython3'), false)
  t.end()
})

t.test('--exe with a plain path matches that program only', t => {
  const m = compileExePattern('/usr/bin/curl')
  t.equal(m('/usr/bin/curl'), true)
  t.equal(m('/usr/bin/curlx'), false)
  t.equal(m('/usr/local/bin/curl'), false)
  t.end()
})

t.test('--exe re:EXPRESSION is a regular expression; anchors make it match the whole path', t => {
  const m = compileExePattern('re:^/usr/bin/(curl|wget)$')
  t.equal(m('/usr/bin/curl'), true)
  t.equal(m('/usr/bin/wget'), true)
  t.equal(m('/usr/bin/curl2'), false)
  t.equal(m('/usr/local/bin/curl'), false)
  t.end()
})

t.test('--exe re:EXPRESSION without anchors matches anywhere in the path, as grep does', t => {
  const m = compileExePattern('re:python3\\.1[0-9]')
  t.equal(m('/usr/bin/python3.11'), true)
  t.equal(m('/root/.pyenv/versions/3.12.1/bin/python3.12'), true)
  t.equal(m('/usr/bin/python3.9'), false)
  t.end()
})

t.test('--exe keeps an event whose executable matches any pattern and drops one without exe', t => {
  const f = filter({ exe: ['/usr/bin/*', '**/python3*'] })
  t.equal(f(event({}, '/usr/bin/curl')), null)
  t.equal(f(event({}, '/opt/py/bin/python3.12')), null)
  t.equal(f(event({}, '/usr/local/bin/curl')), 'exe')
  t.equal(f(event({}, null)), 'exe', 'an event without exe= cannot match')
  t.end()
})

t.test('--exe with a regexp gives the same answer every time for the same program', t => {
  const m = compileExePattern('re:curl')
  t.same([m('/usr/bin/curl'), m('/usr/bin/curl'), m('/usr/bin/curl')], [true, true, true])
  t.end()
})

t.test('--exe with a plain path whose last part is made of regexp flag letters (dig, yum) is that path', t => {
  // Not /usr\/bin/ with flags d, i, g: a path is a glob unless it starts with "re:".
  const dig = compileExePattern('/usr/bin/dig')
  t.equal(dig('/usr/bin/dig'), true, 'dig matches itself')
  t.equal(dig('/usr/bin/dig'), true, 'every time')
  t.equal(dig('/usr/bin/curl'), false, 'and not another program in /usr/bin')
  t.equal(compileExePattern('/usr/bin/yum')('/usr/bin/yum'), true)
  t.equal(compileExePattern('/usr/bin/yum')('/usr/bin/dnf'), false)
  t.end()
})

t.test('--syscall keeps only the listed syscalls', t => {
  const f = filter({ syscall: ['connect', 'accept4'] })
  t.equal(f(event({ syscall: 'connect' })), null)
  t.equal(f(event({ syscall: 'accept4', action: 'accept', direction: 'inbound' })), null)
  t.equal(f(event({ syscall: 'sendto', action: 'send' })), 'syscall')
  t.equal(f(event({ syscall: null })), 'syscall', 'an unknown syscall is not in the list')
  t.end()
})

t.test('an invalid CIDR raises FilterError quoting it', t => {
  for (const text of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', 'not-an-address', '10.0.0.256/8', '']) {
    const e = errorOf(() => parseCidr(text))
    t.ok(e instanceof FilterError, `${JSON.stringify(text)} raises FilterError`)
    t.ok(e instanceof Error && e.message.includes(`'${text}'`), `the message quotes ${JSON.stringify(text)}`)
  }
  t.throws(() => compileFilters({ ...NO_FILTERS, includeCidr: ['10.0.0.0/33'] }), FilterError, 'at compile time (include)')
  t.throws(() => compileFilters({ ...NO_FILTERS, excludeCidr: ['2001:db8::/129'] }), FilterError, 'at compile time (exclude)')
  t.end()
})

t.test('an invalid regexp raises FilterError quoting it', t => {
  for (const text of ['re:(', 're:[a-', 're:a**+', 're:x{2,1}']) {
    const e = errorOf(() => compileExePattern(text))
    t.ok(e instanceof FilterError, `${text} raises FilterError`)
    t.ok(e instanceof Error && e.message.includes(`'${text}'`), `the message quotes ${text}`)
  }
  t.throws(() => compileFilters({ ...NO_FILTERS, exe: ['re:('] }), FilterError, 'at compile time')
  t.end()
})

t.test('FilterError is an Error named FilterError', t => {
  try {
    parseCidr('10.0.0.0/33')
    t.fail('should have thrown')
  } catch (e) {
    t.ok(e instanceof Error)
    t.equal((e as Error).name, 'FilterError')
  }
  t.end()
})

// --- counts through the filter core ---

/** One x86_64 event; each differs from a kept connect in one thing only. */
function line (serial: number, o: { nr?: number, exit?: number, key?: string, exe?: string, saddr?: string, args?: string } = {}): string {
  const id = `1795640829.${String(serial % 1000).padStart(3, '0')}:${serial}`
  const exit = o.exit ?? 0
  let text = `type=SYSCALL msg=audit(${id}): arch=c000003e syscall=${o.nr ?? 42} success=${exit < 0 ? 'no' : 'yes'} exit=${exit} ${o.args ?? 'a0=3 a1=7ffc6604b480 a2=10'} a3=0 items=0 ppid=18199 pid=18244 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="${o.exe ?? '/usr/bin/curl'}" key="${o.key ?? 'net'}"\n`
  if (o.saddr !== '') text += `type=SOCKADDR msg=audit(${id}): saddr=${o.saddr ?? '020001BB0A0000010000000000000000'}\n` // 10.0.0.1:443
  return text
}

t.test('--stats counts each filtered event under the filter that removed it', t => {
  const input = [
    line(100), // kept
    line(101, { nr: 44 }), // sendto: syscall
    line(102, { exit: -111 }), // ECONNREFUSED: result
    line(103, { key: 'other' }), // key
    line(104, { exe: '/usr/local/bin/curl' }), // exe
    line(105, { saddr: '020001BB7F0000010000000000000000' }), // 127.0.0.1: loopback
    line(106, { saddr: '020001BBC0A801010000000000000000' }), // 192.168.1.1: include_cidr
    line(107, { saddr: '020001BB0A0901010000000000000000' }), // 10.9.1.1: exclude_cidr
    line(108, { nr: 41, exit: 3, args: 'a0=2 a1=80001 a2=0', saddr: '' }) // socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0): no address, include_cidr
  ].join('')
  const filters: FilterSettings = {
    excludeLoopback: true,
    includeCidr: ['10.0.0.0/8', '127.0.0.0/8'],
    excludeCidr: ['10.9.0.0/16'],
    result: ['success'],
    key: ['net'],
    exe: ['/usr/bin/*'],
    syscall: ['connect', 'socket']
  }
  const { events, stats } = runFilter(input, { filters })
  t.same(events.map(e => e.event_id), ['1795640829.100:100'])
  t.equal(stats.kept, 1)
  t.same(stats.filtered, { loopback: 1, include_cidr: 2, exclude_cidr: 1, result: 1, key: 1, exe: 1, syscall: 1 })
  t.equal(Object.values(stats.dropped).reduce((a, b) => a + b, 0), 0, 'filtered events are not counted as dropped')
  const unfiltered = runFilter(input)
  t.equal(unfiltered.stats.kept, 9, 'without filters all nine are kept')
  t.same(Object.values(unfiltered.stats.filtered), [0, 0, 0, 0, 0, 0, 0])
  t.end()
})
