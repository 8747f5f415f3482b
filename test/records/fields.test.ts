/**
 * Stage 2b: a record body → all its fields. Bodies are the text after "): " of real records (the
 * x86_64 capture in ../shared/corpus/real and the coreos sosreport in ../shared/corpus/public).
 */
import t from 'tap'
import { parseFields } from '../../src/records/fields.js'

const GS = '\x1d'

// curl's non-blocking connect, log_format = ENRICHED (x86_64-enriched-plugin-stream.log).
const RAW_SYSCALL = 'arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=55db3545e548 a2=10 a3=7ffe49611b04 items=0 ppid=16744 pid=16791 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" key="net_connect"'
const ENRICHMENT = 'ARCH=x86_64 SYSCALL=connect AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"'
const ENRICHED_SYSCALL = RAW_SYSCALL + GS + ENRICHMENT

t.test('bare values are kept as written', async t => {
  const f = parseFields(RAW_SYSCALL)
  t.equal(f.get('arch'), 'c000003e')
  t.equal(f.get('syscall'), '42')
  t.equal(f.get('success'), 'no')
  t.equal(f.get('exit'), '-115')
  t.equal(f.get('a0'), '5')
  t.equal(f.get('a3'), '7ffe49611b04')
  t.equal(f.get('auid'), '4294967295')
  t.equal(f.get('ppid'), '16744')
  t.equal(f.get('pid'), '16791')
})

t.test('quoted values keep their quotes', async t => {
  const f = parseFields(RAW_SYSCALL)
  t.equal(f.get('comm'), '"curl"')
  t.equal(f.get('exe'), '"/usr/bin/curl"')
  t.equal(f.get('key'), '"net_connect"')
})

t.test('(null) and (none) are kept as written', async t => {
  const f = parseFields('tty=(none) ses=4294967295 comm="auditd" exe="/usr/sbin/auditd" key=(null)')
  t.equal(f.get('tty'), '(none)')
  t.equal(f.get('key'), '(null)')
})

t.test('hex-encoded values are kept as hex', async t => {
  const f = parseFields('proctitle=2F7573722F62696E2F656E760062617368')
  t.equal(f.get('proctitle'), '2F7573722F62696E2F656E760062617368')
  const g = parseFields('comm=6D792070726F67 exe=2F746D702F6D792070726F6772616D key=6E65745F636F6E6E656374016F7574626F756E64')
  t.equal(g.get('comm'), '6D792070726F67')
  t.equal(g.get('exe'), '2F746D702F6D792070726F6772616D')
  t.equal(g.get('key'), '6E65745F636F6E6E656374016F7574626F756E64')
})

t.test('every field of a RAW SYSCALL record is found, and nothing else', async t => {
  const f = parseFields(RAW_SYSCALL)
  t.same([...f.keys()], ['arch', 'syscall', 'success', 'exit', 'a0', 'a1', 'a2', 'a3', 'items', 'ppid', 'pid', 'auid',
    'uid', 'gid', 'euid', 'suid', 'fsuid', 'egid', 'sgid', 'fsgid', 'tty', 'ses', 'comm', 'exe', 'key'])
})

t.test('ENRICHED: fields after 0x1D arrive under their upper-case names, beside the raw ones', async t => {
  const f = parseFields(ENRICHED_SYSCALL)
  t.equal(f.get('key'), '"net_connect"', 'the last raw value ends at 0x1D')
  t.equal(f.get('ARCH'), 'x86_64')
  t.equal(f.get('SYSCALL'), 'connect')
  t.equal(f.get('AUID'), '"unset"')
  t.equal(f.get('UID'), '"root"')
  t.equal(f.get('FSGID'), '"root"')
  t.equal(f.get('arch'), 'c000003e', 'the raw arch is not replaced by ARCH')
  t.equal(f.get('auid'), '4294967295', 'the raw auid is not replaced by AUID')
  t.equal(f.size, 25 + 11)
})

t.test('ENRICHED with the 0x1D turned into a space (syslog) gives the same fields', async t => {
  t.same([...parseFields(RAW_SYSCALL + ' ' + ENRICHMENT)], [...parseFields(ENRICHED_SYSCALL)])
})

t.test('SADDR={ … } is one value, and the names inside it are not fields', async t => {
  const body = 'saddr=020096707F0000010000000000000000' + GS + 'SADDR={ saddr_fam=inet laddr=127.0.0.1 lport=38512 }'
  const f = parseFields(body)
  t.equal(f.get('saddr'), '020096707F0000010000000000000000')
  t.equal(f.get('SADDR'), '{ saddr_fam=inet laddr=127.0.0.1 lport=38512 }')
  t.notOk(f.has('saddr_fam'))
  t.notOk(f.has('laddr'))
  t.notOk(f.has('lport'))
  t.equal(f.size, 2)
})

t.test('SADDR={ … } in the syslog form (space for 0x1D) is still one value', async t => {
  const f = parseFields('saddr=01002F72756E2F73797374656D642F6E6F74696679 SADDR={ saddr_fam=local path=/run/systemd/notify }')
  t.equal(f.get('SADDR'), '{ saddr_fam=local path=/run/systemd/notify }')
  t.notOk(f.has('path'))
})

t.test('a field after SADDR={ … } is read', async t => {
  const f = parseFields('saddr=100000000000000000000000 SADDR={ fam=netlink nlnk-fam=16 nlnk-pid=0 } extra=1')
  t.equal(f.get('SADDR'), '{ fam=netlink nlnk-fam=16 nlnk-pid=0 }')
  t.equal(f.get('extra'), '1')
})

t.test("a user-space msg='…' is opened and its inner fields added", async t => {
  // coreos-sosreport/audit.log: SERVICE_START from systemd, ENRICHED.
  const body = "pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=auditd comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'" + GS + 'UID="root" AUID="unset"'
  const f = parseFields(body)
  t.equal(f.get('pid'), '1')
  t.equal(f.get('subj'), 'system_u:system_r:init_t:s0')
  t.equal(f.get('unit'), 'auditd')
  t.equal(f.get('comm'), '"systemd"')
  t.equal(f.get('exe'), '"/usr/lib/systemd/systemd"')
  t.equal(f.get('hostname'), '?')
  t.equal(f.get('addr'), '?')
  t.equal(f.get('terminal'), '?')
  t.equal(f.get('res'), 'success')
  t.equal(f.get('msg'), "'unit=auditd comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'",
    'msg itself is kept, quotes included')
  t.equal(f.get('UID'), '"root"', 'ENRICHED fields after the closing quote are read')
  t.equal(f.get('AUID'), '"unset"')
})

t.test("msg='…' starting with a space (SYSTEM_BOOT) is opened", async t => {
  const f = parseFields("pid=1138 uid=0 auid=4294967295 ses=4294967295 msg=' comm=\"systemd-update-utmp\" exe=\"/usr/lib/systemd/systemd-update-utmp\" hostname=? addr=? terminal=? res=success'")
  t.equal(f.get('comm'), '"systemd-update-utmp"')
  t.equal(f.get('res'), 'success')
})

t.test("an inner field of msg='…' does not replace an outer field of the same name", async t => {
  // USER_LOGIN from sshd: uid= outside, and id=/acct= inside; auid= appears only outside.
  const f = parseFields("pid=812 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/0 res=success uid=7'")
  t.equal(f.get('uid'), '0')
  t.equal(f.get('id'), '1000')
  t.equal(f.get('addr'), '10.0.0.5')
})

t.test('the first occurrence of a name wins', async t => {
  const f = parseFields('a0=5 a1=55db3545e548 a0=6 a0=7')
  t.equal(f.get('a0'), '5')
  t.equal(f.get('a1'), '55db3545e548')
  t.equal(f.size, 2)
})

t.test('__proto__ and constructor are ordinary keys', async t => {
  const f = parseFields('__proto__=x constructor=y toString=z hasOwnProperty=w')
  t.equal(f.get('__proto__'), 'x')
  t.equal(f.get('constructor'), 'y')
  t.equal(f.get('toString'), 'z')
  t.equal(f.get('hasOwnProperty'), 'w')
  t.equal(f.size, 4)
  t.same([...f.keys()], ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
})

t.test('words without "=" (AVC text) are skipped', async t => {
  const f = parseFields('avc:  denied  { connectto } for  pid=1234 comm="nscd" path="/run/nscd/socket" scontext=system_u:system_r:nscd_t:s0 tclass=unix_stream_socket permissive=0')
  t.equal(f.get('pid'), '1234')
  t.equal(f.get('comm'), '"nscd"')
  t.equal(f.get('tclass'), 'unix_stream_socket')
  t.equal(f.get('permissive'), '0')
  t.notOk(f.has('avc:'))
  t.notOk(f.has('for'))
})

t.test('an empty value is an empty string, and the next field is still read', async t => {
  const f = parseFields('op=set audit_pid= old=0 res=1')
  t.equal(f.get('audit_pid'), '')
  t.equal(f.get('old'), '0')
  t.equal(f.get('res'), '1')
  t.equal(parseFields('res=').get('res'), '', 'also at the very end')
})

t.test('an unterminated quote runs to the end of the body', async t => {
  const f = parseFields('pid=1 comm="trunc')
  t.equal(f.get('pid'), '1')
  t.equal(f.get('comm'), '"trunc')
})

t.test('runs of separators (spaces, 0x1D, tabs) between fields are skipped', async t => {
  const f = parseFields('  a=1' + GS + GS + 'B=2 \t c=3  ')
  t.same([...f], [['a', '1'], ['B', '2'], ['c', '3']])
})

t.test('an empty body has no fields', async t => {
  t.equal(parseFields('').size, 0)
  t.equal(parseFields('   ').size, 0)
})

t.test('fields are added to a given map without replacing what it holds', async t => {
  const into = new Map([['pid', '1']])
  const out = parseFields('pid=2 ppid=3', into)
  t.equal(out, into, 'the same map is returned')
  t.equal(into.get('pid'), '1')
  t.equal(into.get('ppid'), '3')
})
