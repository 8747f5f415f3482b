/**
 * Stage 2c: one field's value from a kernel record body. Bodies are real records (the x86_64
 * capture in ../shared/corpus/real, the i386 qiangwang log in ../shared/corpus/public).
 */
import t from 'tap'
import { findField } from '../../src/records/find-field.js'
import { parseFields } from '../../src/records/fields.js'
import { readShared } from '../helpers/filter.js'

const GS = '\x1d'
const SYSCALL = 'arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=55db3545e548 a2=10 a3=7ffe49611b04 items=0 ppid=16744 pid=16791 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" key="net_connect"'
const ENRICHMENT = 'ARCH=x86_64 SYSCALL=connect AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"'

t.test('a field at the start of the body is found', async t => {
  t.equal(findField(SYSCALL, 'arch'), 'c000003e')
  t.equal(findField('saddr=0200B16B7F0000010000000000000000', 'saddr'), '0200B16B7F0000010000000000000000')
})

t.test('fields in the middle and at the end are found', async t => {
  t.equal(findField(SYSCALL, 'syscall'), '42')
  t.equal(findField(SYSCALL, 'exit'), '-115')
  t.equal(findField(SYSCALL, 'a0'), '5')
  t.equal(findField(SYSCALL, 'tty'), '(none)')
  t.equal(findField(SYSCALL, 'comm'), '"curl"')
  t.equal(findField(SYSCALL, 'key'), '"net_connect"')
})

t.test('a missing field is undefined', async t => {
  t.equal(findField(SYSCALL, 'saddr'), undefined)
  t.equal(findField(SYSCALL, 'proctitle'), undefined)
  t.equal(findField('', 'arch'), undefined)
})

t.test('a name that ends another name is not matched inside it (pid vs ppid, uid vs auid/euid/suid/fsuid)', async t => {
  t.equal(findField(SYSCALL, 'pid'), '16791')
  t.equal(findField(SYSCALL, 'ppid'), '16744')
  t.equal(findField(SYSCALL, 'uid'), '0')
  t.equal(findField(SYSCALL, 'auid'), '4294967295')
  t.equal(findField('auid=4294967295 uid=1000', 'uid'), '1000', 'the longer name first in the body')
  t.equal(findField('fsgid=5 gid=7', 'gid'), '7')
})

t.test('a name that starts another name does not match it', async t => {
  t.equal(findField(SYSCALL, 'a'), undefined)
  t.equal(findField(SYSCALL, 'arc'), undefined)
  t.equal(findField('a0x=1 a0=5', 'a0'), '5')
  t.equal(findField('archive=1 arch=40000003', 'arch'), '40000003')
})

t.test('the value ends at 0x1D: ENRICHED fields are not part of it', async t => {
  const body = SYSCALL + GS + ENRICHMENT
  t.equal(findField(body, 'key'), '"net_connect"')
  t.equal(findField('saddr=0200B16B7F0000010000000000000000' + GS + 'SADDR={ saddr_fam=inet laddr=127.0.0.1 lport=45419 }', 'saddr'),
    '0200B16B7F0000010000000000000000')
})

t.test('lower-case names never match the upper-case ENRICHED fields', async t => {
  // In the syslog form the 0x1D is a space, so " SYSCALL=" and " AUID=" are ordinary words.
  const body = SYSCALL + ' ' + ENRICHMENT
  t.equal(findField(body, 'syscall'), '42')
  t.equal(findField(body, 'auid'), '4294967295')
  t.equal(findField(body, 'uid'), '0')
  t.equal(findField(body, 'arch'), 'c000003e')
})

t.test('an ENRICHED field right after 0x1D is found', async t => {
  const body = SYSCALL + GS + ENRICHMENT
  t.equal(findField(body, 'ARCH'), 'x86_64')
  t.equal(findField(body, 'SYSCALL'), 'connect')
  t.equal(findField(body, 'AUID'), '"unset"')
  t.equal(findField(body, 'UID'), '"root"', 'UID is not matched inside AUID="unset" or EUID=')
  t.equal(findField(body, 'GID'), '"root"')
})

t.test('the first occurrence wins', async t => {
  t.equal(findField('a0=5 a1=bff3c112 a0=6', 'a0'), '5')
})

t.test('SOCKETCALL arguments (i386) are found', async t => {
  const body = 'nargs=3 a0=6 a1=bff3c112 a2=6e'
  t.equal(findField(body, 'nargs'), '3')
  t.equal(findField(body, 'a0'), '6')
  t.equal(findField(body, 'a2'), '6e')
})

t.test('an empty value is an empty string', async t => {
  t.equal(findField('op=set audit_pid= old=0', 'audit_pid'), '')
  t.equal(findField('res=', 'res'), '')
})

t.test('on kernel records findField agrees with parseFields for every raw field', async t => {
  const bodies = [
    SYSCALL,
    SYSCALL + GS + ENRICHMENT,
    'arch=40000003 syscall=102 success=no exit=-2 a0=3 a1=bff3c0c8 a2=855ff4 a3=bff3c0e0 items=0 ppid=2819 pid=2840 auid=4294967295 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=(none) ses=4294967295 comm="ps" exe="/bin/ps" key=(null)',
    'arch=80000015 syscall=327 success=yes exit=0 a0=3 a1=33ee202d0 a2=10 a3=7fffe9628078 items=0 ppid=2649 pid=2650 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=1 comm="nc" exe="/usr/bin/nc.openbsd" key=(null)'
  ]
  // Plus every SYSCALL body of the real ENRICHED capture, when ../shared is there.
  const real = readShared('corpus/real/x86_64-enriched-auditd.log.gz')
  if (real !== null) {
    for (const line of real.toString('latin1').split('\n')) {
      const m = /^type=(?:SYSCALL|SOCKADDR|SOCKETCALL) msg=audit\([0-9.:]+\): /.exec(line)
      if (m !== null) bodies.push(line.slice(m[0].length))
    }
  }
  let checked = 0
  for (const body of bodies) {
    for (const [name, value] of parseFields(body)) {
      if (value.startsWith('{')) continue // SADDR={ … } holds spaces: findField is for single words
      if (findField(body, name) !== value) {
        t.fail(`${name}: findField ${JSON.stringify(findField(body, name))} vs parseFields ${JSON.stringify(value)} in ${body.slice(0, 80)}…`)
        return
      }
      checked++
    }
  }
  t.ok(checked > 50, `${checked} fields agree`)
})
