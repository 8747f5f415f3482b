/**
 * Decoder: the SYSCALL record's arch= (an AUDIT_ARCH_* value in hex) → name and byte order.
 * The byte order matters for sa_family inside saddr: AUDIT_ARCH_* sets __AUDIT_ARCH_LE (0x40000000)
 * on little-endian arches (include/uapi/linux/audit.h), so even an unknown arch tells its order.
 */

export interface ArchInfo {
  /** Name as ausyscall and auparse spell it, or "unknown(0x…)" */
  name: string
  littleEndian: boolean
  /** 64-bit ABI (__AUDIT_ARCH_64BIT, 0x80000000) */
  is64: boolean
}

const AUDIT_ARCH_64BIT = 0x80000000
const AUDIT_ARCH_LE = 0x40000000

/** AUDIT_ARCH_* values from include/uapi/linux/audit.h for the arches with syscall tables. */
const ARCH_NAMES: ReadonlyMap<number, string> = new Map([
  [0xc000003e, 'x86_64'],
  [0x40000003, 'i386'],
  [0xc00000b7, 'aarch64'],
  [0x40000028, 'arm'],
  [0x00000028, 'armeb'],
  [0xc0000015, 'ppc64le'],
  [0x80000015, 'ppc64'],
  [0x00000014, 'ppc'],
  [0x80000016, 's390x'],
  [0x00000016, 's390'],
  [0xc00000f3, 'riscv64'],
  [0x400000f3, 'riscv32']
])

const cache = new Map<string, ArchInfo | null>()
const byValue = new Map<number, ArchInfo>()

/** The ArchInfo of an AUDIT_ARCH_* value (0 to 0xffffffff), for callers that parsed the hex. */
export function archOfValue (v: number): ArchInfo {
  let info = byValue.get(v)
  if (info === undefined) {
    info = {
      name: ARCH_NAMES.get(v) ?? `unknown(0x${v.toString(16)})`,
      littleEndian: (v & AUDIT_ARCH_LE) !== 0,
      is64: (v & AUDIT_ARCH_64BIT) !== 0
    }
    // Logs hold a handful of distinct arch values; the bound only guards against hostile input.
    if (byValue.size < 64) byValue.set(v, info)
  }
  return info
}

/** Parses arch= text such as "c000003e". Returns null for text that is not hex. */
export function decodeArch (text: string): ArchInfo | null {
  let info = cache.get(text)
  if (info !== undefined) return info
  info = null
  if (/^(0x)?[0-9a-fA-F]{1,8}$/.test(text)) {
    info = archOfValue(parseInt(text, 16))
  }
  // Logs hold a handful of distinct arch values; the bound only guards against hostile input.
  if (cache.size < 64) cache.set(text, info)
  return info
}
