/**
 * Decoder: hexadecimal text → bytes.
 * In: a string of hex digits (either case). Out: a Buffer, or null when the text is empty,
 * of odd length or holds a non-hex character. Buffer.from(s, 'hex') alone would silently stop at
 * the first bad character, which would turn a corrupted saddr into a plausible short address.
 */

/** The value of a hex digit (either case) given its character code, or -1 for any other character. */
export function hexDigitValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

export function isHex (s: string): boolean {
  if (s.length === 0 || (s.length & 1) !== 0) return false
  for (let i = 0; i < s.length; i++) if (hexDigitValue(s.charCodeAt(i)) < 0) return false
  return true
}

export function decodeHex (s: string): Buffer | null {
  return isHex(s) ? Buffer.from(s, 'hex') : null
}
