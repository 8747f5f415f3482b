/**
 * Decoders for single field values as the kernel writes them.
 * Untrusted strings (comm, exe, cwd, key, proctitle…) come quoted when plain, hex-encoded when they
 * hold a space, quote or control byte, or "(null)" when absent. Ids use 4294967295 (-1) for "unset".
 */
import { decodeHex, hexDigitValue } from './hex.js'

/** A string field: "text" → text, (null) or (none) → null, hex → decoded UTF-8, else the raw text. */
export function decodeString (raw: string | undefined): string | null {
  if (raw === undefined || raw === '(null)' || raw === '(none)' || raw === '?') return null
  const c = raw.charCodeAt(0)
  if ((c === 0x22 || c === 0x27) && raw.length >= 2 && raw.charCodeAt(raw.length - 1) === c) return raw.slice(1, -1)
  const b = decodeHex(raw)
  return b === null ? raw : b.toString('utf8')
}

/** The key field: several rule keys arrive hex-encoded, joined by 0x01. */
export function decodeKeys (raw: string | undefined): string[] {
  const s = decodeString(raw)
  return s === null ? [] : s.split('\x01')
}

/** A decimal integer field, or null if absent or not a number. */
export function decodeInt (raw: string | undefined): number | null {
  if (raw === undefined) return null
  // A character loop, not a regex: this runs for a dozen fields of every emitted event.
  const n = raw.length
  if (n === 0 || n > 20) return null
  for (let i = raw.charCodeAt(0) === 0x2d && n > 1 ? 1 : 0; i < n; i++) {
    const c = raw.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return null
  }
  const v = Number(raw)
  return Number.isSafeInteger(v) ? v : null
}

/** A hex integer field (syscall arguments a0…a3), or null. Values above 2^53 lose precision. */
export function decodeHexInt (raw: string | undefined): number | null {
  // A character loop for /^[0-9a-fA-F]{1,16}$/: this runs for the arguments of every emitted event.
  if (raw === undefined || raw.length === 0 || raw.length > 16) return null
  for (let i = 0; i < raw.length; i++) if (hexDigitValue(raw.charCodeAt(i)) < 0) return null
  return parseInt(raw, 16)
}

/** A user, group or session id: 4294967295 and -1 mean "unset" and become null. */
export function decodeId (raw: string | undefined): number | null {
  const n = decodeInt(raw)
  return n === null || n === 4294967295 || n === -1 ? null : n
}

const NON_ASCII = /[^\u0000-\u007f]/

/**
 * An ENRICHED name field (UID="alice", AUID="unset"): the name, or null for "unset",
 * "unknown(1234)" and absent fields. Bodies are read as latin1, so UTF-8 names are re-decoded.
 */
export function decodeEnrichedName (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const s = raw.length >= 2 && raw.charCodeAt(0) === 0x22 && raw.charCodeAt(raw.length - 1) === 0x22 ? raw.slice(1, -1) : raw
  if (s === '' || s === 'unset' || s.startsWith('unknown(')) return null
  // Plain ASCII reads the same in latin1 and UTF-8: no Buffer needed for the common names.
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s
}
