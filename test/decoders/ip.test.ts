/**
 * Unit tests for src/decoders/ip.ts: IPv4/IPv6 address bytes → text.
 * Expected IPv6 text comes from RFC 5952 (inline examples) and from Python's ipaddress module
 * (a few hundred generated addresses), never from the code under test.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { formatIPv4, formatIPv6, isIPv4Mapped } from '../../src/decoders/ip.js'

const hex = (s: string): Buffer => Buffer.from(s, 'hex')

t.test('formatIPv4 gives dotted decimal of the four bytes at the offset', t => {
  t.equal(formatIPv4(hex('7F000001'), 0), '127.0.0.1')
  t.equal(formatIPv4(hex('00000000'), 0), '0.0.0.0')
  t.equal(formatIPv4(hex('FFFFFFFF'), 0), '255.255.255.255')
  t.equal(formatIPv4(hex('C0000201'), 0), '192.0.2.1')
  // sockaddr_in: the address sits at offset 4, after sa_family and the port.
  t.equal(formatIPv4(hex('02002BCB0A0000010000000000000000'), 4), '10.0.0.1')
  t.end()
})

t.test('isIPv4Mapped is true exactly for ::ffff:0:0/96 (RFC 4291 §2.5.5.2)', t => {
  t.equal(isIPv4Mapped(hex('00000000000000000000FFFF0A000001'), 0), true)
  t.equal(isIPv4Mapped(hex('00000000000000000000FFFF00000000'), 0), true)
  t.equal(isIPv4Mapped(hex('00000000000000000000000000000001'), 0), false, '::1')
  t.equal(isIPv4Mapped(hex('00000000000000000000000001020304'), 0), false, 'IPv4-compatible ::1.2.3.4')
  t.equal(isIPv4Mapped(hex('00000000000000000000FFFE0A000001'), 0), false, '::fffe:…')
  t.equal(isIPv4Mapped(hex('00000000000000000000FF000A000001'), 0), false, '::ff00:…')
  t.equal(isIPv4Mapped(hex('00000000000000000001FFFF0A000001'), 0), false, '::1:ffff:… (byte 9 set)')
  t.equal(isIPv4Mapped(hex('01000000000000000000FFFF0A000001'), 0), false, '100::ffff:… (byte 0 set)')
  t.equal(isIPv4Mapped(hex('0000000000000000FFFF00000A000001'), 0), false, '::ffff:0:a00:1 (IPv4-translated)')
  // At offset 8, as inside a sockaddr_in6.
  t.equal(isIPv4Mapped(hex('0A0001BB00000000' + '00000000000000000000FFFF0A000001' + '00000000'), 8), true)
  t.equal(isIPv4Mapped(hex('0A0001BBFFFFFFFF' + '00000000000000000000000000000001' + '00000000'), 8), false)
  t.end()
})

// RFC 5952 §4 (and §5 for IPv4-mapped), written out by hand: [address bytes, canonical text, what it shows].
const RFC5952: ReadonlyArray<readonly [string, string, string]> = [
  ['20010db8000000000000000000000001', '2001:db8::1', '§4.1 leading zeros dropped (2001:0db8::0001)'],
  ['20010db8000000000000000000020001', '2001:db8::2:1', '§4.2.1 "::" covers the whole zero run'],
  ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1', '§4.2.2 a single zero group is not shortened'],
  ['20010db8000000000001000000000001', '2001:db8::1:0:0:1', '§4.2.3 tie between equal runs: the first is shortened'],
  ['20010000000000010000000000000001', '2001:0:0:1::1', '§4.2.3 the longest run is shortened'],
  ['20010db800000000000000000000abcd', '2001:db8::abcd', '§4.3 hex digits are lower case'],
  ['00000000000000000000000000000000', '::', 'unspecified address'],
  ['00000000000000000000000000000001', '::1', 'loopback'],
  ['fe800000000000000000000000000001', 'fe80::1', 'link-local'],
  ['00010000000000000000000000000000', '1::', 'run at the end'],
  ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8', 'no zero group'],
  ['00000001000200030004000500060007', '0:1:2:3:4:5:6:7', 'a single leading zero group is not shortened'],
  ['00010002000300040005000600070000', '1:2:3:4:5:6:7:0', 'a single trailing zero group is not shortened'],
  ['00000000000100000000000000010000', '0:0:1::1:0', 'later longer run wins over an earlier shorter one'],
  ['00010000000000010000000000000001', '1:0:0:1::1', 'run of three beats run of two'],
  ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1', '§5 IPv4-mapped address in dotted form']
]

t.test('formatIPv6 follows the RFC 5952 examples', t => {
  for (const [bytes, text, why] of RFC5952) t.equal(formatIPv6(hex(bytes), 0), text, `${text}: ${why}`)
  t.end()
})

t.test('formatIPv6 reads the 16 bytes at the offset, ignoring bytes around them', t => {
  // sockaddr_in6 layout: family, port, flowinfo (8 bytes), then the address, then scope_id.
  const sin6 = hex('0A00ABCDFFFFFFFF' + '20010db8000000000000000000000001' + 'FFFFFFFF')
  t.equal(formatIPv6(sin6, 8), '2001:db8::1')
  t.end()
})

/** mulberry32: a small deterministic PRNG so the generated addresses are the same on every run. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Addresses covering every pattern of zero/non-zero groups (256 masks), random bytes and mapped edge cases. */
function generateAddresses (): Buffer[] {
  const rnd = prng(0x5952)
  const out: Buffer[] = []
  // Non-zero group values, including ones with leading zero nibbles and 0xffff (which can make ::ffff:…).
  const palette = [0x1, 0xa, 0xab, 0xf00, 0x1000, 0xffff, 0xdb8, 0x2001]
  const group = (): number => (rnd() < 0.5 ? palette[Math.floor(rnd() * palette.length)] as number : 1 + Math.floor(rnd() * 0xffff))
  for (let rep = 0; rep < 2; rep++) {
    for (let mask = 0; mask < 256; mask++) {
      const b = Buffer.alloc(16)
      for (let g = 0; g < 8; g++) b.writeUInt16BE((mask >> g) & 1 ? 0 : group(), 2 * g)
      out.push(b)
    }
  }
  for (let i = 0; i < 200; i++) {
    const b = Buffer.alloc(16)
    for (let j = 0; j < 16; j++) b[j] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 256)
    out.push(b)
  }
  for (const s of [
    '00000000000000000000ffff00000000', // ::ffff:0.0.0.0
    '00000000000000000000ffffffffffff', // ::ffff:255.255.255.255
    '00000000000000000000ffff7f000001', // ::ffff:127.0.0.1
    '00000000000000000000fffe7f000001', // not mapped
    '00000000000000000001ffff7f000001', // not mapped
    '0000000000000000ffff00007f000001', // IPv4-translated, not mapped
    '00000000000000000000000001020304', // IPv4-compatible, not mapped
    '000000000000000000000000ffffffff'
  ]) out.push(hex(s))
  return out
}

/** Python prints RFC 5952 text; ipv4_mapped is used so that every Python version gives ::ffff:a.b.c.d. */
const PYTHON_SCRIPT = `
import ipaddress, sys
out = []
for line in sys.stdin.read().split():
    a = ipaddress.IPv6Address(bytes.fromhex(line))
    m = a.ipv4_mapped
    out.append('::ffff:' + str(m) if m is not None else a.compressed)
sys.stdout.write('\\n'.join(out) + '\\n')
`

function findPython (): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
}

t.test('formatIPv6 agrees with Python ipaddress on several hundred generated addresses', t => {
  const addrs = generateAddresses()
  const python = findPython()
  let expected: string[]
  try {
    const stdout = execFileSync(python, ['-c', PYTHON_SCRIPT], {
      input: addrs.map(b => b.toString('hex')).join('\n'),
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024
    })
    expected = stdout.trimEnd().split('\n')
    const version = execFileSync(python, ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).trim()
    t.comment(`oracle: ${python} (Python ${version}), ${addrs.length} addresses`)
  } catch (err) {
    // python3 is a documented requirement of the test machines: a missing oracle is a failure, not a skip.
    t.fail(`cannot run the Python oracle (${python}): ${String(err)}`)
    t.end()
    return
  }
  t.equal(expected.length, addrs.length, 'Python answered once per address')
  const rnd = prng(42)
  let mismatches = 0
  for (let i = 0; i < addrs.length; i++) {
    const b = addrs[i] as Buffer
    const want = expected[i]
    // Once at offset 0 and once inside a 28-byte sockaddr_in6 with random bytes around it.
    const sin6 = Buffer.alloc(28)
    for (let j = 0; j < 28; j++) sin6[j] = 1 + Math.floor(rnd() * 255)
    b.copy(sin6, 8)
    const got0 = formatIPv6(b, 0)
    const got8 = formatIPv6(sin6, 8)
    if (got0 !== want || got8 !== want) {
      mismatches++
      t.equal(got0, want, `formatIPv6(${b.toString('hex')}, 0)`)
      t.equal(got8, want, `formatIPv6(…${b.toString('hex')}…, 8)`)
    }
  }
  t.equal(mismatches, 0, `all ${addrs.length} addresses match Python at offsets 0 and 8`)
  // Sanity-check that the generated set really contains the interesting shapes.
  t.ok(expected.some(s => s.startsWith('::ffff:') && s.includes('.')), 'set contains IPv4-mapped addresses')
  t.ok(expected.some(s => !s.includes('::')), 'set contains addresses without "::"')
  t.ok(expected.some(s => /(^|:)0:0:/.test(s) && s.includes('::')), 'set contains ties / shorter uncompressed runs')
  t.end()
})
