/**
 * Stage 2d: a SYSCALL body read in two parts (the call's fields, then the caller's text) gives the
 * same values as searching for each field on its own, for real bodies, ENRICHED ones and bodies
 * that leave the kernel's layout in any way.
 */
import t from 'tap'
import fc from 'fast-check'
import { callerFields, laidOutCall, searchedFields, syscallFields } from '../../src/records/syscall-fields.js'

const CALL = 'arch=c000003e syscall=42 success=no exit=-115 a0=5 a1=55db3545e548 a2=10 a3=7ffe49611b04 items=0'
const CALLER = 'ppid=16744 pid=16791 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="curl" exe="/usr/bin/curl" key="net_connect"'
const NAMES = 'ARCH=x86_64 SYSCALL=connect AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"'
const RAW = `${CALL} ${CALLER}`
const ENRICHED = `${RAW}\x1d${NAMES}`

t.test('a RAW body splits at " ppid=": the call fields, and the caller text to the end', async t => {
  const call = laidOutCall(RAW)
  t.same(call, { success: 'no', exit: '-115', a0: '5', a1: '55db3545e548', a2: '10', callerText: CALLER })
  const caller = callerFields(CALLER)
  t.match(caller, { ppid: '16744', pid: '16791', tty: '(none)', comm: '"curl"', exe: '"/usr/bin/curl"', key: '"net_connect"' })
  t.equal(caller?.UID, undefined, 'no ENRICHED names in a RAW body')
})

t.test('an ENRICHED body keeps its names in the caller text', async t => {
  const call = laidOutCall(ENRICHED)
  t.equal(call?.callerText, `${CALLER}\x1d${NAMES}`)
  t.match(callerFields(call?.callerText ?? ''), { key: '"net_connect"', AUID: '"unset"', UID: '"root"', GID: '"root"', EUID: '"root"' })
})

t.test('a call without success= and exit= (exit_group-like) is still in the layout', async t => {
  const body = 'arch=c000003e syscall=41 per=400000 a0=2 a1=1 a2=6 a3=0 items=0 ' + CALLER
  t.match(laidOutCall(body), { success: undefined, exit: undefined, a0: '2', a1: '1', a2: '6' })
})

t.test('bodies out of the layout are not read as laid out', async t => {
  t.equal(laidOutCall(CALL), null, 'no caller part')
  t.equal(laidOutCall(CALL.replace(' items=0', '') + ' ' + CALLER), null, 'a call field missing')
  t.equal(laidOutCall('syscall=42 arch=c000003e' + RAW.slice(RAW.indexOf(' success='))), null, 'fields in another order')
  t.equal(callerFields(CALLER.replace(' tty=(none)', '')), null, 'a caller field missing')
  t.equal(callerFields(CALLER + ' extra=1'), null, 'a field after the key')
})

/** A token as the kernel writes values: no space, no 0x1D. */
const value = fc.stringMatching(/^[0-9a-zA-Z"()=/._-]{0,12}$/)

t.test('the two-part reading gives the same fields as searching each (property)', async t => {
  const names = [...`${CALL} ${CALLER}`.matchAll(/(\S+?)=/g)].map(m => m[1] as string)
  const enrichedNames = [...NAMES.matchAll(/(\S+?)=/g)].map(m => m[1] as string)
  const body = fc.record({
    values: fc.array(value, { minLength: names.length, maxLength: names.length }),
    names: fc.array(value, { minLength: enrichedNames.length, maxLength: enrichedNames.length }),
    enriched: fc.boolean(),
    // Edits that take a body out of the layout, or keep it in: a field dropped, doubled or renamed.
    // Each edit is left out half the time, so a good share of the bodies stay in the layout.
    drop: fc.oneof(fc.constant(-1), fc.nat(names.length - 1)),
    double: fc.oneof(fc.constant(-1), fc.nat(names.length - 1)),
    rename: fc.option(fc.tuple(fc.nat(names.length - 1), fc.constantFrom('pid', 'ppid', 'key', 'exit', 'a0', 'uid', 'x')), { freq: 1 })
  }).map(b => {
    const fields = names.map((n, i) => `${n}=${b.values[i] ?? ''}`)
    if (b.rename !== null) fields[b.rename[0]] = `${b.rename[1]}=${b.values[b.rename[0]] ?? ''}`
    if (b.double >= 0) fields.splice(b.double, 0, fields[b.double] as string)
    if (b.drop >= 0) fields.splice(b.drop, 1)
    const raw = fields.join(' ')
    return b.enriched ? `${raw}\x1d${enrichedNames.map((n, i) => `${n}=${b.names[i] ?? ''}`).join(' ')}` : raw
  })
  let laidOut = 0
  fc.assert(fc.property(body, b => {
    const call = laidOutCall(b)
    if (call !== null && callerFields(call.callerText) !== null) laidOut++
    t.same(syscallFields(b), searchedFields(b))
    return true
  }), { numRuns: 3000 })
  t.ok(laidOut > 300, `both readings were compared on bodies in the layout (${laidOut} of 3000)`)
  t.same(syscallFields(ENRICHED), searchedFields(ENRICHED), 'the real ENRICHED body')
})
