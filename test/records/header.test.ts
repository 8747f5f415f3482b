/**
 * Stage 2a: the record header in every form real logs carry it. Record type numbers are the kernel's
 * (include/uapi/linux/audit.h: AUDIT_SYSCALL 1300, AUDIT_SOCKETCALL 1304, AUDIT_SOCKADDR 1306,
 * AUDIT_EOE 1320, AUDIT_PROCTITLE 1327); the id is msg=audit(SECONDS.MILLIS:SERIAL) with exactly
 * three digits of milliseconds (audit_log_start: "audit(%llu.%03lu:%u): ").
 */
import t from 'tap'
import fc from 'fast-check'
import {
  HEADER_FOREIGN, HEADER_MALFORMED, HEADER_OK, KIND_DAEMON, KIND_EOE, KIND_OTHER, KIND_PROCTITLE, KIND_SOCKADDR,
  KIND_SOCKETCALL, KIND_SYSCALL, RecordHeader, scanAnyHeader, scanHeader
} from '../../src/records/header.js'
import { viewOf } from '../../src/lines/words.js'

interface Scan {
  status: number
  kind: number
  type: string
  typeNumber: number
  sec: number
  ms: number
  serial: number
  node: string | null
  body: string
}

/**
 * Scans line as it sits inside a larger buffer (a previous line before it, a newline after it), the
 * way the line splitter hands it over, and returns what the header says in text form.
 */
function scan (line: string, h = new RecordHeader()): Scan & { h: RecordHeader, start: number, end: number, buf: Buffer } {
  const before = 'type=EOE msg=audit(1795640829.926:95899): \n'
  const buf = Buffer.from(before + line + '\n', 'utf8')
  const start = Buffer.byteLength(before)
  const end = buf.length - 1
  const status = scanHeader(buf, start, end, h)
  return {
    status,
    kind: h.kind,
    type: buf.toString('utf8', h.typeStart, h.typeEnd),
    typeNumber: h.typeNumber,
    sec: h.sec,
    ms: h.ms,
    serial: h.serial,
    node: h.nodeStart < 0 ? null : buf.toString('utf8', h.nodeStart, h.nodeEnd),
    body: buf.toString('utf8', h.bodyStart, end),
    h, start, end, buf
  }
}

const SYSCALL_BODY = 'arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11" key="net_connect"'
const SADDR_BODY = 'saddr=0200E3B17F0000010000000000000000'

t.test('auditd log form: type, id and body of a SYSCALL record', async t => {
  const r = scan(`type=SYSCALL msg=audit(1795640829.926:95900): ${SYSCALL_BODY}`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_SYSCALL)
  t.equal(r.type, 'SYSCALL')
  t.equal(r.typeNumber, 0, 'a named type has no number')
  t.equal(r.sec, 1795640829)
  t.equal(r.ms, 926)
  t.equal(r.serial, 95900)
  t.equal(r.node, null)
  t.equal(r.h.nodeStart, -1)
  t.equal(r.h.nodeEnd, -1)
  t.equal(r.body, SYSCALL_BODY, 'the body starts right after "): "')
  t.equal(r.h.bodyStart, r.start + 'type=SYSCALL msg=audit(1795640829.926:95900): '.length)
})

t.test('positions are offsets into the buffer, not into the line', async t => {
  const line = `node=web1 type=SOCKADDR msg=audit(1795640829.926:95900): ${SADDR_BODY}`
  const r = scan(line)
  t.ok(r.start > 0, 'the line does not start the buffer')
  t.equal(r.h.nodeStart, r.start + 5)
  t.equal(r.h.nodeEnd, r.start + 9)
  t.equal(r.h.typeStart, r.start + 'node=web1 type='.length)
  t.equal(r.h.typeEnd, r.start + 'node=web1 type=SOCKADDR'.length)
  t.equal(r.h.bodyStart, r.start + line.indexOf('saddr='))
})

t.test('node= prefix (auditd name_format): node name and record', async t => {
  const r = scan(`node=web1 type=SOCKADDR msg=audit(1795640829.926:95900): ${SADDR_BODY}`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.node, 'web1')
  t.equal(r.kind, KIND_SOCKADDR)
  t.equal(r.serial, 95900)
  t.equal(r.body, SADDR_BODY)
})

t.test('node= prefix with a fully qualified name (audit-userspace test3.log)', async t => {
  const r = scan('node=auditdtest.a1959.org type=PROCTITLE msg=audit(1428694741.563:1039): proctitle=2F7573722F62696E2F7065726C')
  t.equal(r.status, HEADER_OK)
  t.equal(r.node, 'auditdtest.a1959.org')
  t.equal(r.kind, KIND_PROCTITLE)
  t.equal(r.body, 'proctitle=2F7573722F62696E2F7065726C')
})

t.test('syslog prefix with an RFC 3339 time (audisp-syslog)', async t => {
  const r = scan(`2026-11-25T21:08:21.414680+00:00 vm audisp-syslog: type=SOCKADDR msg=audit(1795640901.414:152733): ${SADDR_BODY}`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_SOCKADDR)
  t.equal(r.sec, 1795640901)
  t.equal(r.ms, 414)
  t.equal(r.serial, 152733)
  t.equal(r.node, null, 'the syslog host name is not an audit node name')
  t.equal(r.body, SADDR_BODY)
})

t.test('syslog prefix with a BSD time (two spaces before a one-digit day)', async t => {
  const r = scan(`Jul  1 00:45:31 vm audisp-syslog: type=SYSCALL msg=audit(1593535531.190:204484613): ${SYSCALL_BODY}`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_SYSCALL)
  t.equal(r.serial, 204484613)
  t.equal(r.body, SYSCALL_BODY)
})

t.test('syslog prefix followed by node=: the node name is taken', async t => {
  const r = scan(`2026-11-25T21:08:21.414680+00:00 vm audisp-syslog: node=web1 type=SOCKADDR msg=audit(1795640901.414:152733): ${SADDR_BODY}`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.node, 'web1')
  t.equal(r.kind, KIND_SOCKADDR)
  t.equal(r.serial, 152733)
  t.equal(r.body, SADDR_BODY)
  const line = `2026-11-25T21:08:21.414680+00:00 vm audisp-syslog: node=web1 type=SOCKADDR msg=audit(1795640901.414:152733): ${SADDR_BODY}`
  t.equal(r.h.nodeStart, r.start + line.indexOf('web1'))
  t.equal(r.h.nodeEnd, r.start + line.indexOf('web1') + 4)
})

t.test('journald/kernel numeric form: "audit: type=1306 audit(…)"', async t => {
  const r = scan('audit: type=1306 audit(1795641236.138:152733): saddr=0A00D9030000000000000000000000000000000000000001000000')
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_SOCKADDR)
  t.equal(r.typeNumber, 1306)
  t.equal(r.type, '1306')
  t.equal(r.sec, 1795641236)
  t.equal(r.ms, 138)
  t.equal(r.serial, 152733)
  t.equal(r.body, 'saddr=0A00D9030000000000000000000000000000000000000001000000')
})

t.test('kernel messages in syslog: "host kernel: type=1306 audit(…)"', async t => {
  const r = scan('Jul  1 00:45:31 prod-k8s-node kernel: type=1306 audit(1593535531.190:204484613): saddr=01002F7661722F72756E2F6E7363642F736F636B6574')
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_SOCKADDR)
  t.equal(r.typeNumber, 1306)
  t.equal(r.serial, 204484613)
  t.equal(r.node, null)
  t.equal(r.body, 'saddr=01002F7661722F72756E2F6E7363642F736F636B6574')
})

t.test('journalctl text with both prefixes: "host kernel: audit: type=1131 audit(…)"', async t => {
  const r = scan("Oct 02 02:19:23 localhost kernel: audit: type=1131 audit(1569982763.442:80): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=systemd-tmpfiles-setup comm=\"systemd\" res=success'")
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_OTHER, '1131 is SERVICE_STOP')
  t.equal(r.typeNumber, 1131)
  t.equal(r.serial, 80)
  t.ok(r.body.startsWith('pid=1 uid=0'))
})

t.test('type=UNKNOWN[n] (a type auditd has no name for) is read by its number', async t => {
  const sock = scan(`type=UNKNOWN[1306] msg=audit(1795640829.926:95900): ${SADDR_BODY}`)
  t.equal(sock.status, HEADER_OK)
  t.equal(sock.typeNumber, 1306)
  t.equal(sock.kind, KIND_SOCKADDR)
  t.equal(sock.body, SADDR_BODY)
  const mmap = scan('type=UNKNOWN[1323] msg=audit(1332418176.249:12370): fd=3 flags=0x2')
  t.equal(mmap.status, HEADER_OK)
  t.equal(mmap.typeNumber, 1323)
  t.equal(mmap.kind, KIND_OTHER)
})

t.test('EOE with a trailing space has an empty body', async t => {
  const r = scan('type=EOE msg=audit(1795640802.982:80416): ')
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_EOE)
  t.equal(r.serial, 80416)
  t.equal(r.h.bodyStart, r.end)
  t.equal(r.body, '')
})

t.test('EOE without a trailing space has an empty body', async t => {
  const r = scan('type=EOE msg=audit(1795640802.982:80416):')
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_EOE)
  t.equal(r.serial, 80416)
  t.equal(r.h.bodyStart, r.end, 'bodyStart does not run past the line end')
  t.equal(r.body, '')
})

t.test('EOE at the very end of a buffer (an unterminated last line) is read', async t => {
  const buf = Buffer.from('type=EOE msg=audit(1795640802.982:80416):')
  const h = new RecordHeader()
  t.equal(scanHeader(buf, 0, buf.length, h), HEADER_OK)
  t.equal(h.kind, KIND_EOE)
  t.equal(h.bodyStart, buf.length)
})

t.test('each record kind by name and by kernel number', async t => {
  const kinds: Array<[string, number, number]> = [
    ['SYSCALL', 1300, KIND_SYSCALL],
    ['SOCKETCALL', 1304, KIND_SOCKETCALL],
    ['SOCKADDR', 1306, KIND_SOCKADDR],
    ['EOE', 1320, KIND_EOE],
    ['PROCTITLE', 1327, KIND_PROCTITLE],
    ['CWD', 1307, KIND_OTHER],
    ['PATH', 1302, KIND_OTHER],
    ['EXECVE', 1309, KIND_OTHER],
    ['CONFIG_CHANGE', 1305, KIND_OTHER],
    ['SECCOMP', 1326, KIND_OTHER],
    ['USER_START', 1105, KIND_OTHER]
  ]
  for (const [name, num, kind] of kinds) {
    const byName = scan(`type=${name} msg=audit(1795640829.926:95900): x=1`)
    t.equal(byName.status, HEADER_OK, `${name} parses`)
    t.equal(byName.kind, kind, `${name} by name`)
    const byNumber = scan(`audit: type=${num} audit(1795640829.926:95900): x=1`)
    t.equal(byNumber.status, HEADER_OK, `${num} parses`)
    t.equal(byNumber.kind, kind, `${name} as ${num}`)
    const unknown = scan(`type=UNKNOWN[${num}] msg=audit(1795640829.926:95900): x=1`)
    t.equal(unknown.kind, kind, `${name} as UNKNOWN[${num}]`)
  }
})

t.test("auditd's own records (1200-1299) are daemon records, by number and by name", async t => {
  // libaudit.h: DAEMON_START 1200, END 1201, ABORT 1202, CONFIG 1203, ROTATE 1205, RESUME 1206,
  // ACCEPT 1207, CLOSE 1208, ERR 1209. Their serials are auditd's own, not the kernel's.
  const daemons: Array<[string, number]> = [['DAEMON_START', 1200], ['DAEMON_END', 1201], ['DAEMON_ABORT', 1202],
    ['DAEMON_CONFIG', 1203], ['DAEMON_ROTATE', 1205], ['DAEMON_RESUME', 1206], ['DAEMON_ACCEPT', 1207],
    ['DAEMON_CLOSE', 1208], ['DAEMON_ERR', 1209]]
  for (const [name, num] of daemons) {
    t.equal(scan(`audit: type=${num} audit(1795640840.681:2695): op=terminate auid=0 pid=18118 res=success`).kind, KIND_DAEMON, `${num}`)
    t.equal(scan(`type=UNKNOWN[${num}] msg=audit(1795640840.681:2695): op=terminate`).kind, KIND_DAEMON, `UNKNOWN[${num}]`)
    const byName = scan(`type=${name} msg=audit(1795640840.681:2695): op=terminate auid=0 uid=0 ses=4294967295 pid=18118 res=success`)
    t.equal(byName.status, HEADER_OK)
    t.equal(byName.kind, KIND_DAEMON, name)
  }
})

t.test('names that only resemble a wanted kind are other records', async t => {
  for (const name of ['SYSCALLS', 'SOCKADDR_X', 'EOEX', 'PROCTITLEX', 'syscall', 'SOCKETCALX', 'DAEMON']) {
    const r = scan(`type=${name} msg=audit(1795640829.926:95900): x=1`)
    t.equal(r.status, HEADER_OK, name)
    t.equal(r.kind, KIND_OTHER, name)
  }
})

t.test('a line without "type=" is foreign', async t => {
  const foreign = [
    'Nov 25 21:08:21 vm systemd[1]: Started session-3.scope - Session 3 of User root.',
    'Feb 22 18:43:41 ip-172-31-92-21 kernel: audit: initializing netlink subsys (disabled)',
    '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    '    audit.log:'
  ]
  for (const line of foreign) t.equal(scan(line).status, HEADER_FOREIGN, line)
})

t.test('"type=" inside a word (prototype=, subtype=) does not start a record', async t => {
  t.equal(scan('kernel: prototype=1306 audit(1795641236.138:152733): saddr=0200').status, HEADER_FOREIGN)
  t.equal(scan('dhclient: subtype=SOCKADDR msg=audit(1795641236.138:152733): x').status, HEADER_FOREIGN)
})

t.test('an empty line is foreign', async t => {
  const buf = Buffer.from('\n')
  t.equal(scanHeader(buf, 0, 0, new RecordHeader()), HEADER_FOREIGN)
})

t.test('broken headers are malformed', async t => {
  const broken: Array<[string, string]> = [
    ['missing ")"', 'type=SYSCALL msg=audit(1795640829.926:95900: arch=c000003e'],
    ['missing ")" at the line end', 'type=EOE msg=audit(1795640829.926:95900'],
    ['non-digit serial', 'type=SYSCALL msg=audit(1795640829.926:95x00): arch=c000003e'],
    ['empty serial', 'type=SYSCALL msg=audit(1795640829.926:): arch=c000003e'],
    ['2-digit millis', 'type=SYSCALL msg=audit(1795640829.92:95900): arch=c000003e'],
    ['4-digit millis', 'type=SYSCALL msg=audit(1795640829.9260:95900): arch=c000003e'],
    ['no millis', 'type=SYSCALL msg=audit(1795640829:95900): arch=c000003e'],
    ['no seconds', 'type=SYSCALL msg=audit(.926:95900): arch=c000003e'],
    ['13-digit seconds', 'type=SYSCALL msg=audit(1795640829000.926:95900): arch=c000003e'],
    ['16-digit serial', 'type=SYSCALL msg=audit(1795640829.926:1234567890123456): arch=c000003e'],
    ['10-digit type number', 'audit: type=1306000000 audit(1795641236.138:152733): saddr=0200'],
    ['non-digit UNKNOWN[…]', 'type=UNKNOWN[13x6] msg=audit(1795640829.926:95900): x=1'],
    ['empty type', 'type= msg=audit(1795640829.926:95900): x=1'],
    ['no audit(…) at all', 'type=SYSCALL msg=something else'],
    ['msg= without audit(', 'type=SYSCALL msg=(1795640829.926:95900): arch=c000003e'],
    ['node= without anything after it', 'node=web1'],
    ['type= with nothing after it', 'type=']
  ]
  for (const [why, line] of broken) t.equal(scan(line).status, HEADER_MALFORMED, why)
})

t.test('a header without the colon after ")" (old auditd daemon records) is read', async t => {
  const r = scan('type=DAEMON_START msg=audit(1332418170.001:1234) auditd start, ver=1.7.13 format=raw auid=4294967295 pid=1 res=success')
  t.equal(r.status, HEADER_OK)
  t.equal(r.kind, KIND_DAEMON)
  t.equal(r.serial, 1234)
  t.equal(r.body, 'auditd start, ver=1.7.13 format=raw auid=4294967295 pid=1 res=success')
})

t.test('numbers at the limits are exact', async t => {
  const r = scan('type=SYSCALL msg=audit(999999999999.999:999999999999999): arch=c000003e')
  t.equal(r.status, HEADER_OK)
  t.equal(r.sec, 999999999999)
  t.equal(r.ms, 999)
  t.equal(r.serial, 999999999999999)
  const z = scan('type=SYSCALL msg=audit(1795640829.005:4294967295): arch=c000003e')
  t.equal(z.ms, 5, 'leading zeros of the millis')
  t.equal(z.serial, 4294967295, 'the largest 32-bit serial')
})

t.test('a header reused for a line without a node forgets the previous node', async t => {
  const h = new RecordHeader()
  t.equal(scan(`node=web1 type=SOCKADDR msg=audit(1795640829.926:95900): ${SADDR_BODY}`, h).node, 'web1')
  const r = scan(`type=SOCKADDR msg=audit(1795640829.926:95901): ${SADDR_BODY}`, h)
  t.equal(r.node, null)
  t.equal(h.nodeStart, -1)
  t.equal(r.serial, 95901)
})

t.test('a header reused after a numeric type reads a named type as unnumbered', async t => {
  const h = new RecordHeader()
  t.equal(scan('audit: type=1306 audit(1795641236.138:152733): saddr=0200', h).typeNumber, 1306)
  const r = scan('type=PROCTITLE msg=audit(1795641236.138:152733): proctitle="nc"', h)
  t.equal(r.typeNumber, 0)
  t.equal(r.kind, KIND_PROCTITLE)
})

t.test('the ENRICHED separator and fields after it stay in the body', async t => {
  const r = scan(`type=SOCKADDR msg=audit(1795640802.982:80416): saddr=0200B16B7F0000010000000000000000\x1dSADDR={ saddr_fam=inet laddr=127.0.0.1 lport=45419 }`)
  t.equal(r.status, HEADER_OK)
  t.equal(r.body, 'saddr=0200B16B7F0000010000000000000000\x1dSADDR={ saddr_fam=inet laddr=127.0.0.1 lport=45419 }')
})

t.test('a user-space record whose body holds "type=" is read by its own header', async t => {
  const r = scan("type=USER_AVC msg=audit(1795640829.926:95900): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='avc:  received policyload notice (seqno=2) exe=\"/usr/lib/systemd/systemd\" sauid=0 hostname=? addr=? terminal=? type=1400'")
  t.equal(r.status, HEADER_OK)
  t.equal(r.type, 'USER_AVC')
  t.equal(r.kind, KIND_OTHER)
  t.equal(r.serial, 95900)
})

// scanHeader reads auditd's own form in words and hands everything else to the general scan
// (scanAnyHeader). Whatever the line, both must say the same.

let scans = 0
/** Everything a scan leaves in h, with its result. */
function scanned (scanner: typeof scanHeader, buf: Buffer, start: number, end: number): string {
  const h = new RecordHeader()
  // A header reused from an earlier line: nothing of it may show through.
  h.nodeStart = 3; h.nodeEnd = 4; h.typeNumber = 1300; h.kind = KIND_EOE
  // scanHeader is given a view as the line splitter gives it, or (every other time) makes its own.
  const status = scanner === scanHeader && ++scans % 2 === 0
    ? scanHeader(buf, start, end, h, viewOf(buf))
    : scanner(buf, start, end, h)
  return JSON.stringify(status === HEADER_OK ? { status, ...h } : { status })
}

const typeNames = ['SYSCALL', 'SOCKADDR', 'PROCTITLE', 'EOE', 'SOCKETCALL', 'PATH', 'CWD', 'EXECVE', 'DAEMON_START', 'DAEMON_', 'DAEMON_X', 'DAEMONS_X', 'DAEMO',
  'UNKNOWN[1306]', '1306', 'SYSCALLS', 'SOCKADDRX', 'PROCTITLES', 'EOEX', 'EO', 'SOCKETCAL', 'SOCKETCALLS', 'USER_AVC',
  'syscall', 'X', 'SYSC', 'SOCK', 'PROC']
const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map(d => d.join(''))
/** Lines near auditd's form: each part as auditd writes it, or something close to it. */
const nearAuditd = fc.record({
  prefix: fc.constantFrom('', '', '', 'node=web1 ', 'audit: ', 'x type='),
  type: fc.oneof(fc.constantFrom(...typeNames), fc.stringMatching(/^[A-Z_]{1,14}$/)),
  gap: fc.constantFrom(' msg=audit(', ' msg=audit(', '  msg=audit(', ' audit(', ' msg=audi(', ' msg=audit['),
  sec: fc.oneof(digits(10, 10), digits(10, 10), digits(0, 13)),
  dot: fc.constantFrom('.', '.', ':'),
  ms: fc.oneof(digits(3, 3), digits(3, 3), digits(0, 4)),
  colon: fc.constantFrom(':', ':', '.'),
  serial: fc.oneof(digits(1, 9), digits(0, 17)),
  close: fc.constantFrom('): ', '): ', ')', '):', ') x', ': ', ''),
  body: fc.constantFrom('', 'arch=c000003e syscall=42', 'saddr=0200E3B17F000001')
}).map(p => p.prefix + 'type=' + p.type + p.gap + p.sec + p.dot + p.ms + p.colon + p.serial + p.close + p.body)

t.test('the word-wise fast path reads every line as the general scan does', async t => {
  let checked = 0
  let auditdForm = 0
  const change = fc.option(fc.tuple(fc.nat(80), fc.nat(255)), { freq: 3 })
  fc.assert(fc.property(nearAuditd, change, fc.nat(60), (line, changed, cut) => {
    // One byte changed anywhere in the header (a third of the time), and the line cut anywhere.
    const bytes = Buffer.from(line, 'latin1')
    if (changed !== null && changed[0] < bytes.length) bytes[changed[0]] = changed[1]
    const before = Buffer.from('type=EOE msg=audit(1795640829.926:95899): \n')
    const buf = Buffer.concat([before, bytes, Buffer.from('):  \n')])
    const start = before.length
    for (const end of [start + bytes.length, Math.max(start, start + bytes.length - cut)]) {
      checked++
      const general = scanned(scanAnyHeader, buf, start, end)
      if (scanned(scanHeader, buf, start, end) !== general) return false
      if (bytes[0] === 0x74 && general.startsWith(`{"status":${HEADER_OK}`)) auditdForm++
    }
    return true
  }), { numRuns: 20000 })
  t.ok(checked >= 40000, `${checked} lines and cut lines compared`)
  t.ok(auditdForm >= 1000, `${auditdForm} of them read, starting with "type="`)
})

t.test('the fast path reads real auditd headers', async t => {
  // The general scan's answer for lines of the kind most logs are made of, which the fast path takes.
  for (const line of [
    `type=SYSCALL msg=audit(1795640829.926:95900): ${SYSCALL_BODY}`,
    `type=SOCKADDR msg=audit(1795640829.926:7): ${SADDR_BODY}`,
    'type=PROCTITLE msg=audit(1000000000.000:123456789012345): proctitle=6E63',
    'type=EOE msg=audit(9999999999.999:1):',
    'type=SOCKETCALL msg=audit(1795640829.926:95900): nargs=3 a0=2 a1=1 a2=6',
    'type=PATH msg=audit(1795640829.926:95900): item=0 name="/usr/bin/nc"',
    'type=CWD msg=audit(1795640829.926:95900): cwd="/"'
  ]) {
    const r = scan(line)
    const buf = r.buf
    t.equal(scanned(scanHeader, buf, r.start, r.end), scanned(scanAnyHeader, buf, r.start, r.end), line)
    t.equal(r.status, HEADER_OK, line)
  }
})

t.test('a line cut inside its id is malformed, whatever follows its end in the buffer', async t => {
  const line = 'type=SYSCALL msg=audit(1795640829.926:95900): arch=c000003e'
  const buf = Buffer.from(line + '\n')
  const close = line.indexOf(')')
  for (let end = line.indexOf('(') + 1; end <= close; end++) {
    t.equal(scanHeader(buf, 0, end, new RecordHeader()), HEADER_MALFORMED, `cut after ${end} bytes`)
  }
  const h = new RecordHeader()
  t.equal(scanHeader(buf, 0, close + 1, h), HEADER_OK, 'cut right after ")"')
  t.equal(h.bodyStart, close + 1, 'the body starts at the cut, not past it')
})
