/**
 * Stage 2b: a SYSCALL record's arch and syscall number, read in place from the line's bytes.
 * In: the bytes of the record's body. Out: the AUDIT_ARCH_* value and the syscall number in a
 * reused SyscallId, or false when the body does not begin as the kernel writes it
 * ("arch=c000003e syscall=42 …"); the caller then leaves the fields to the general field search.
 * This runs for every SYSCALL record, before any string is made: it is what lets the filter set
 * aside, as bytes, the events of calls that can never be network events.
 */
import { hexDigitValue } from '../decoders/hex.js'
import { viewOf, word } from '../lines/words.js'

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

const W_ARCH = word('arch'); const W_SYSC = word('sysc'); const W_ALL_EQ = word('all=')

/** Hex digit values by character code (either case), -1 for any other byte. */
const HEX = new Int8Array(256).fill(-1)
for (let c = 0; c < 256; c++) HEX[c] = hexDigitValue(c)

/**
 * Reads "arch=<1-8 hex digits> syscall=<1-9 decimal digits>" at buf[start], followed by a separator
 * (space or 0x1D) or the end. Values the field search would read differently (a 0x prefix, a sign,
 * longer numbers) are not taken: false. view is a DataView of all of buf, made here when not given.
 *
 * The kernel writes the arch of every 64-bit or little-endian ABI as eight hex digits (AUDIT_ARCH_*
 * carry those flags in their top bits): "arch=XXXXXXXX syscall=" is read in words and a table,
 * rather than byte by byte; any other layout (a 32-bit big-endian arch such as ppc's 14) takes the
 * byte loop.
 */
export function readSyscallId (buf: Uint8Array, start: number, end: number, out: SyscallId,
  view?: DataView): boolean {
  if (start + 23 > end) return readSyscallIdBytes(buf, start, end, out)
  const dv = view ?? viewOf(buf)
  if (dv.getUint32(start, true) !== W_ARCH || buf[start + 4] !== 0x3d || buf[start + 13] !== 0x20 ||
      dv.getUint32(start + 14, true) !== W_SYSC || dv.getUint32(start + 18, true) !== W_ALL_EQ) {
    return readSyscallIdBytes(buf, start, end, out)
  }
  const h0 = HEX[buf[start + 5] as number] as number; const h1 = HEX[buf[start + 6] as number] as number
  const h2 = HEX[buf[start + 7] as number] as number; const h3 = HEX[buf[start + 8] as number] as number
  const h4 = HEX[buf[start + 9] as number] as number; const h5 = HEX[buf[start + 10] as number] as number
  const h6 = HEX[buf[start + 11] as number] as number; const h7 = HEX[buf[start + 12] as number] as number
  if ((h0 | h1 | h2 | h3 | h4 | h5 | h6 | h7) < 0) return readSyscallIdBytes(buf, start, end, out)
  const arch = (h0 << 12 | h1 << 8 | h2 << 4 | h3) * 65536 + (h4 << 12 | h5 << 8 | h6 << 4 | h7)
  return readCallNumber(buf, start + 22, end, arch, out)
}

/** readSyscallId byte by byte: any arch of 1 to 8 hex digits. */
function readSyscallIdBytes (buf: Uint8Array, start: number, end: number, out: SyscallId): boolean {
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
  return readCallNumber(buf, i + 1 + SYSCALL_NEXT.length, end, arch, out)
}

/**
 * The syscall number, 1 to 9 decimal digits at buf[from] followed by a separator (space or 0x1D)
 * or the end, into out with arch; false when it is not there.
 */
function readCallNumber (buf: Uint8Array, from: number, end: number, arch: number, out: SyscallId): boolean {
  let i = from
  let num = 0
  for (; i < end && i < from + 9; i++) {
    const c = buf[i] as number
    if (c < 0x30 || c > 0x39) break
    num = num * 10 + (c - 0x30)
  }
  if (i === from || (i < end && buf[i] !== 0x20 && buf[i] !== 0x1d)) return false
  out.arch = arch
  out.number = num
  return true
}
