/**
 * Decoder: PROCTITLE's proctitle= → argv.
 * The kernel writes the command line as hex with NUL bytes between arguments, or as a quoted
 * string when it holds no space, quote or control byte. The kernel truncates it (128 bytes by
 * default), so the last argument may be cut short. Returns null for undecodable text.
 */
import { decodeHex } from './hex.js'

export function decodeProctitle (raw: string): string[] | null {
  if (raw === '(null)') return null // the kernel could not read the command line
  if (raw.length >= 2 && raw.charCodeAt(0) === 0x22 && raw.charCodeAt(raw.length - 1) === 0x22) {
    return [raw.slice(1, -1)]
  }
  const b = decodeHex(raw)
  if (b === null) return null
  const argv = b.toString('utf8').split('\0')
  if (argv.length > 1 && argv[argv.length - 1] === '') argv.pop()
  return argv
}
