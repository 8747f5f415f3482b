/**
 * Unit tests for src/decoders/values.ts: single field values as the kernel writes them.
 * Untrusted strings are quoted, or upper-case hex when they hold a space, quote or control byte
 * (audit_log_n_untrustedstring), or (null)/(none) when absent; unset ids are 4294967295 ((u32)-1).
 */
import t from 'tap'
import { decodeEnrichedName, decodeHexInt, decodeId, decodeInt, decodeKeys, decodeString } from '../../src/decoders/values.js'

t.test('decodeString drops the quotes of a quoted string', t => {
  t.equal(decodeString('"/usr/bin/curl"'), '/usr/bin/curl')
  t.equal(decodeString('"ls"'), 'ls')
  t.equal(decodeString('""'), '')
  t.equal(decodeString("'single'"), 'single')
  t.end()
})

t.test('decodeString decodes hex, including spaces and quotes that forced the hex form', t => {
  // "my prog"
  t.equal(decodeString('6D792070726F67'), 'my prog')
  // say "hi"
  t.equal(decodeString('7361792022686922'), 'say "hi"')
  // /tmp/a b\n (control byte)
  t.equal(decodeString('2F746D702F6120620A'), '/tmp/a b\n')
  // lower-case hex
  t.equal(decodeString('6d792070726f67'), 'my prog')
  // UTF-8 bytes: "café"
  t.equal(decodeString('636166C3A9'), 'café')
  t.end()
})

t.test('decodeString gives null for (null), (none), ? and an absent field', t => {
  t.equal(decodeString('(null)'), null)
  t.equal(decodeString('(none)'), null)
  t.equal(decodeString('?'), null)
  t.equal(decodeString(undefined), null)
  t.end()
})

t.test('decodeString returns bare text that is not hex unchanged', t => {
  t.equal(decodeString('pts0'), 'pts0')
  t.equal(decodeString('unconfined'), 'unconfined')
  t.equal(decodeString('abc'), 'abc', 'odd-length hex-looking text is not hex')
  t.equal(decodeString('"unterminated'), '"unterminated')
  t.equal(decodeString('"'), '"')
  t.end()
})

t.test('decodeKeys splits hex-encoded keys joined by 0x01', t => {
  // "net-connect" 0x01 "egress": the 0x01 separator makes the kernel hex-encode the whole field.
  t.strictSame(decodeKeys('6E65742D636F6E6E65637401656772657373'), ['net-connect', 'egress'])
  t.strictSame(decodeKeys('6101620163'), ['a', 'b', 'c'])
  t.end()
})

t.test('decodeKeys gives one key for a quoted key and none for (null)', t => {
  t.strictSame(decodeKeys('"net-connect"'), ['net-connect'])
  t.strictSame(decodeKeys('(null)'), [])
  t.strictSame(decodeKeys(undefined), [])
  t.end()
})

t.test('decodeInt reads decimal integers, negative ones included', t => {
  t.equal(decodeInt('0'), 0)
  t.equal(decodeInt('42'), 42)
  t.equal(decodeInt('-115'), -115)
  t.equal(decodeInt('4294967295'), 4294967295)
  t.equal(decodeInt('9007199254740991'), 9007199254740991, '2^53 - 1 is still exact')
  t.equal(decodeInt('-9007199254740991'), -9007199254740991)
  t.end()
})

t.test('decodeInt gives null for integers too large to be exact and for garbage', t => {
  t.equal(decodeInt('9007199254740992'), null, '2^53 is not a safe integer')
  t.equal(decodeInt('18446744073709551615'), null, 'u64 max')
  t.equal(decodeInt('123456789012345678901'), null, '21 digits')
  for (const s of ['', '-', 'abc', '12abc', '0x10', '1e3', '1.5', '1.0', '5.', ' 5', '5 ', '+5', '(null)', '--1', '1-']) {
    t.equal(decodeInt(s), null, JSON.stringify(s))
  }
  t.equal(decodeInt(undefined), null)
  t.end()
})

t.test('decodeId turns the unset id 4294967295 (and -1) into null and keeps real ids', t => {
  t.equal(decodeId('4294967295'), null)
  t.equal(decodeId('-1'), null)
  t.equal(decodeId('0'), 0, 'root is a real id')
  t.equal(decodeId('1000'), 1000)
  t.equal(decodeId('4294967294'), 4294967294)
  t.equal(decodeId('unset'), null)
  t.equal(decodeId(undefined), null)
  t.end()
})

t.test('decodeHexInt reads syscall arguments as hex', t => {
  t.equal(decodeHexInt('0'), 0)
  t.equal(decodeHexInt('a'), 10)
  t.equal(decodeHexInt('A'), 10)
  t.equal(decodeHexInt('7ffeabb1aa00'), 0x7ffeabb1aa00)
  t.equal(decodeHexInt('ffffffff'), 4294967295)
  for (const s of ['', 'g', '0x10', '-1', '12345678901234567']) t.equal(decodeHexInt(s), null, JSON.stringify(s))
  t.equal(decodeHexInt(undefined), null)
  t.end()
})

// ENRICHED logs (log_format=ENRICHED) append UID="alice" AUID="unset" …; auditd writes "unset" for an unset id
// and unknown(N) when the id has no name. The filter reads record bodies as latin1 (a byte copy).
t.test('decodeEnrichedName gives the name without quotes', t => {
  t.equal(decodeEnrichedName('"alice"'), 'alice')
  t.equal(decodeEnrichedName('root'), 'root')
  t.end()
})

t.test('decodeEnrichedName gives null for unset, unknown(N), empty and absent names', t => {
  for (const s of ['"unset"', 'unset', '"unknown(1234)"', 'unknown(4294967295)', '""', '']) {
    t.equal(decodeEnrichedName(s), null, JSON.stringify(s))
  }
  t.equal(decodeEnrichedName(undefined), null)
  t.end()
})

t.test('decodeEnrichedName turns a UTF-8 name read as latin1 back into its characters', t => {
  // "josé" in UTF-8 is 6A 6F 73 C3 A9; read byte-per-char (latin1) that is "jos\u00C3\u00A9".
  t.equal(decodeEnrichedName('"jos\u00C3\u00A9"'), 'jos\u00E9')
  t.end()
})
