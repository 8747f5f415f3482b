/**
 * Decoder: hexadecimal text → bytes.
 * In: a string of hex digits (either case). Out: a Buffer, or null when the text is empty,
 * of odd length or holds a non-hex character. Buffer.from(s, 'hex') alone would silently stop at
 * the first bad character, which would turn a corrupted saddr into a plausible short address.
 */

export function isHex (s: string): boolean {
  if (s.length === 0 || (s.length & 1) !== 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) return false
  }
  return true
}

export function decodeHex (s: string): Buffer | null {
  return isHex(s) ? Buffer.from(s, 'hex') : null
}
