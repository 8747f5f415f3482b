/**
 * Decoder: raw IPv4/IPv6 address bytes (network order) → canonical text.
 * IPv6 text follows RFC 5952: lower case, no leading zeros, the longest run of two or more zero
 * groups (the first, on a tie) shortened to "::". Written by hand because Node has no formatter
 * from bytes, and it is small enough to check against Python's ipaddress in the tests.
 */

export function formatIPv4 (b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
}

/** True for ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export function isIPv4Mapped (b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false
  return b[off + 10] === 0xff && b[off + 11] === 0xff
}

export function formatIPv6 (b: Uint8Array, off: number): string {
  if (isIPv4Mapped(b, off)) return `::ffff:${formatIPv4(b, off + 12)}`
  // Longest run of zero groups, at least two long.
  let bestStart = -1; let bestLen = 0
  for (let i = 0; i < 8;) {
    if (group(b, off, i) !== 0) { i++; continue }
    let j = i
    while (j < 8 && group(b, off, j) === 0) j++
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i }
    i = j
  }
  if (bestStart < 0) return hexGroups(b, off, 0, 8)
  return `${hexGroups(b, off, 0, bestStart)}::${hexGroups(b, off, bestStart + bestLen, 8)}`
}

/** The i-th 16-bit group of the address at off. */
function group (b: Uint8Array, off: number, i: number): number {
  return ((b[off + 2 * i] as number) << 8) | (b[off + 2 * i + 1] as number)
}

/** Groups [from, to) in hex, joined by ":" (no arrays: this runs for every IPv6 event). */
function hexGroups (b: Uint8Array, off: number, from: number, to: number): string {
  let s = ''
  for (let i = from; i < to; i++) s += (i === from ? '' : ':') + group(b, off, i).toString(16)
  return s
}
