/**
 * Stage 5a: which system calls can make a network event at all, by (arch, syscall number).
 * In: the numbers read in place from a SYSCALL record (records/syscall-id.ts). Out: true for a call
 * that may, false for one that never can — its event is then set aside without its record bodies
 * ever being made into strings (filter.ts).
 *
 * The kernel logs a SOCKADDR only where net/socket.c copies an address between user and kernel
 * (move_addr_to_kernel / move_addr_to_user: bind, connect, accept, sendto, recvfrom, sendmsg,
 * recvmsg, getsockname, getpeername and their siblings), or where io_uring does so within
 * io_uring_enter; and socket() is kept for its domain. So: every socket call (the names socketcall(2)
 * multiplexes), socketcall itself and io_uring_enter may; any number this arch's table does not name,
 * and any arch without a table, may too (nothing known, nothing set aside).
 */
import { SOCKETCALL_CALLS } from '../tables/syscalls.js'
import { archOfValue } from '../decoders/arch.js'
import { syscallName } from '../decoders/syscall.js'

const MAY_BE_NETWORK: ReadonlySet<string> = new Set([...SOCKETCALL_CALLS.filter(n => n !== ''), 'socketcall', 'io_uring_enter'])

/** Per arch value: flags by syscall number (1 = may be a network call); null = no table. */
const byArch = new Map<number, Uint8Array | null>()
let lastArch = -1
let lastFlags: Uint8Array | null = null

function flagsOf (arch: number): Uint8Array | null {
  let flags = byArch.get(arch)
  if (flags === undefined) {
    const name = archOfValue(arch).name
    if (name.startsWith('unknown(')) return null // not cached: nothing to compute for it
    const table = new Uint8Array(1024)
    let named = 0
    for (let n = 0; n < table.length; n++) {
      const call = syscallName(name, n)
      if (call !== null) named++
      table[n] = call === null || MAY_BE_NETWORK.has(call) ? 1 : 0
    }
    flags = named > 0 ? table : null
    // A log holds a handful of arch values; the bound only guards against hostile input.
    if (byArch.size < 64) byArch.set(arch, flags)
  }
  return flags
}

/** False only for a call known never to make a network event. */
export function mayBeNetworkCall (arch: number, syscallNumber: number): boolean {
  const flags = arch === lastArch ? lastFlags : flagsOf(arch)
  lastArch = arch
  lastFlags = flags
  if (flags === null || syscallNumber >= flags.length) return true
  return flags[syscallNumber] === 1
}
