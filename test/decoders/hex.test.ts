/**
 * Unit tests for src/decoders/hex.ts: hex text → bytes, strict (no silent truncation).
 * Expected bytes are written out by hand or derived from the hex alphabet, never from the code under test.
 */
import t from 'tap'
import { decodeHex, isHex } from '../../src/decoders/hex.js'

const bytes = (b: Buffer | null): number[] | null => (b === null ? null : Array.from(b))

t.test('upper-case hex decodes to the bytes it spells', t => {
  t.ok(isHex('DEADBEEF'))
  t.strictSame(bytes(decodeHex('DEADBEEF')), [0xde, 0xad, 0xbe, 0xef])
  // A real SOCKADDR: AF_INET (LE), port 11211, 127.0.0.1, 8 bytes of sin_zero.
  t.strictSame(bytes(decodeHex('02002BCB7F0000010000000000000000')),
    [0x02, 0x00, 0x2b, 0xcb, 0x7f, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0])
  t.end()
})

t.test('lower-case and mixed-case hex decode to the same bytes as upper-case', t => {
  t.ok(isHex('deadbeef'))
  t.strictSame(bytes(decodeHex('deadbeef')), [0xde, 0xad, 0xbe, 0xef])
  t.ok(isHex('DeAdBeEf'))
  t.strictSame(bytes(decodeHex('DeAdBeEf')), [0xde, 0xad, 0xbe, 0xef])
  t.end()
})

t.test('every byte value 00..FF round-trips in both cases', t => {
  const digits = '0123456789ABCDEF'
  let upper = ''
  const expected: number[] = []
  for (let v = 0; v < 256; v++) {
    upper += (digits[v >> 4] as string) + (digits[v & 15] as string)
    expected.push(v)
  }
  t.ok(isHex(upper))
  t.strictSame(bytes(decodeHex(upper)), expected)
  t.strictSame(bytes(decodeHex(upper.toLowerCase())), expected)
  t.end()
})

t.test('empty text is not hex and decodes to null', t => {
  t.equal(isHex(''), false)
  t.equal(decodeHex(''), null)
  t.end()
})

t.test('odd-length text is not hex and decodes to null', t => {
  for (const s of ['0', 'A', '020', '02002BCB7F00000']) {
    t.equal(isHex(s), false, `isHex(${JSON.stringify(s)})`)
    t.equal(decodeHex(s), null, `decodeHex(${JSON.stringify(s)})`)
  }
  t.end()
})

t.test('a single byte (two digits) is valid hex', t => {
  t.ok(isHex('02'))
  t.strictSame(bytes(decodeHex('02')), [0x02])
  t.strictSame(bytes(decodeHex('ff')), [0xff])
  t.end()
})

t.test('characters just outside the hex ranges are rejected', t => {
  // '/' and ':' bracket '0'-'9'; '@' and 'G' bracket 'A'-'F'; '`' and 'g' bracket 'a'-'f'.
  for (const c of ['/', ':', '@', 'G', '`', 'g', ' ', 'x', 'Z', '\0', 'é', '０']) {
    t.equal(isHex('0' + c), false, `isHex(${JSON.stringify('0' + c)})`)
    t.equal(isHex(c + '0'), false, `isHex(${JSON.stringify(c + '0')})`)
    t.equal(decodeHex('00' + c + '0'), null, `decodeHex(${JSON.stringify('00' + c + '0')})`)
  }
  t.end()
})

t.test('a bad character after valid digits makes the whole text null instead of a shorter buffer', t => {
  // Buffer.from('0200ZZ', 'hex') returns the 2 bytes before ZZ; a decoder must not do that.
  t.equal(decodeHex('0200ZZ'), null)
  t.equal(decodeHex('02002BCB7F00000G'), null)
  t.equal(decodeHex('0x02'), null)
  t.equal(decodeHex('02 00'), null)
  t.end()
})
