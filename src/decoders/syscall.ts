/**
 * Decoder: (arch, syscall number) → syscall name, and errno numbers → names.
 * Tables are generated from Debian auditd's `ausyscall ARCH --dump` (src/tables/syscalls.ts).
 * i386, arm, ppc and s390 reach the socket calls through socketcall(2), whose a0 names the call;
 * resolveSocketcall gives that call's name.
 */
import { SOCKETCALL_CALLS, SYSCALL_TABLES, type SyscallTable } from '../tables/syscalls.js'
import { ERRNO_NAMES } from '../tables/errno.js'

const TABLES: ReadonlyMap<string, SyscallTable> = new Map(Object.entries(SYSCALL_TABLES))

/** Name of syscall n on arch, or null when the arch or the number is unknown. */
export function syscallName (arch: string, n: number): string | null {
  const table = arch === 'armeb' ? TABLES.get('arm') : TABLES.get(arch)
  if (table === undefined) return null
  return table[n] || null
}

/** socketcall(2) sub-call number (its a0) → name, e.g. 3 → "connect"; null if out of range. */
export function resolveSocketcall (call: number): string | null {
  return SOCKETCALL_CALLS[call] || null
}

/** errno number (positive) → name, e.g. 115 → "EINPROGRESS"; null when unknown. */
export function errnoName (errno: number): string | null {
  return ERRNO_NAMES[errno] || null
}
