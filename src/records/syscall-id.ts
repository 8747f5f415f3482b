/**
 * Stage 2b: a SYSCALL record's arch and syscall number, read in place from the line's bytes.
 * In: the bytes of the record's body. Out: the AUDIT_ARCH_* value and the syscall number in a
 * reused SyscallId, or false when the body does not begin as the kernel writes it
 * ("arch=c000003e syscall=42 …"); the caller then leaves the fields to the general field search.
 * This runs for every SYSCALL record, before any string is made: it is what lets the filter set
 * aside, as bytes, the events of calls that can never be network events.
 */
import { hexDigitValue } from '../decoders/hex.js'

export class SyscallId {
  /** AUDIT_ARCH_* value, 0 to 0xffffffff */
  arch = 0
  number = 0
}

const ARCH_AT_START = [0x61, 0x72, 0x63, 0x68, 0x3d] // "arch="
const SYSCALL_NEXT = [0x73, 0x79, 0x73, 0x63, 0x61, 0x6c, 0x6c, 0x3d] // "syscall="

function bytesAre (buf: Uint8Array, at: number, end: number, bytes: readonly number[]): boolean {
  if (at + bytes.length > end) return false
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false
  return true
}

/**
 * Reads "arch=<1-8 hex digits> syscall=<1-9 decimal digits>" at buf[start], followed by a separator
 * (space or 0x1D) or the end. Values the field search would read differently (a 0x prefix, a sign,
 * longer numbers) are not taken: false.
 */
export function readSyscallId (buf: Uint8Array, start: number, end: number, out: SyscallId): boolean {
  if (!bytesAre(buf, start, end, ARCH_AT_START)) return false
  let i = start + ARCH_AT_START.length
  const archFrom = i
  let arch = 0
  for (; i < end && i < archFrom + 8; i++) {
    const d = hexDigitValue(buf[i] as number)
    if (d < 0) break
    arch = arch * 16 + d
  }
  if (i === archFrom || i >= end || buf[i] !== 0x20 || !bytesAre(buf, i + 1, end, SYSCALL_NEXT)) return false
  i += 1 + SYSCALL_NEXT.length
  const digitsFrom = i
  let num = 0
  for (; i < end && i < digitsFrom + 9; i++) {
    const c = buf[i] as number
    if (c < 0x30 || c > 0x39) break
    num = num * 10 + (c - 0x30)
  }
  if (i === digitsFrom || (i < end && buf[i] !== 0x20 && buf[i] !== 0x1d)) return false
  out.arch = arch
  out.number = num
  return true
}
