/**
 * Stage 5a: what a system call can log, by (arch, syscall number).
 * In: the numbers read in place from a SYSCALL record (records/syscall-id.ts). Out: whether the
 * call can make a network event at all — one that never can is set aside without its record
 * bodies ever being made into strings (filter.ts) — and which records make its event whole, so the
 * assembler can complete it as soon as they are in (events/assembler.ts).
 *
 * The kernel logs a SOCKADDR only where net/socket.c copies an address between user and kernel
 * (move_addr_to_kernel / move_addr_to_user: bind, connect, accept, sendto, recvfrom, sendmsg,
 * recvmsg, getsockname, getpeername and their siblings), or where io_uring does so within
 * io_uring_enter; and socket() is kept for its domain. So: every socket call (the names socketcall(2)
 * multiplexes), socketcall itself and io_uring_enter may; any number this arch's table does not name,
 * and any arch without a table, may too (nothing known, nothing set aside).
 *
 * A syscall event ends with its PROCTITLE record: audit_log_exit (kernel/auditsc.c) writes the
 * SYSCALL record, then every auxiliary record (SOCKADDR, PATH, CWD, EXECVE…), then PROCTITLE, then
 * EOE. libauparse ends events there too (audit_is_last_record), and so does the assembler when the
 * PROCTITLE follows its SYSCALL. Records in another order are taken all the same: such an event is
 * whole once it has its SYSCALL and PROCTITLE, plus a SOCKADDR for a socket call other than socket()
 * — which may also log none (accept4 without an address buffer, send on a connected socket): those,
 * socketcall(2) and whatever is not known then wait for EOE or the timeouts.
 */
import { SOCKETCALL_CALLS } from '../tables/syscalls.js'
import { archOfValue } from '../decoders/arch.js'
import { syscallName } from '../decoders/syscall.js'
import { KIND_PROCTITLE, KIND_SOCKADDR, KIND_SYSCALL } from '../records/header.js'

/** What a call is, as far as its records go. */
const NEVER_NETWORK = 0
/** May log anything: nothing is known of when its event is whole. */
const UNKNOWN = 1
const SOCKET = 2
/** A socket call that logs the address it was given or got, when it had one. */
const ADDRESS_CALL = 3

const SOCKET_CALLS: ReadonlySet<string> = new Set(SOCKETCALL_CALLS.filter(n => n !== ''))

/** The records (as a bit set of record kinds, 1 << kind) that make an event whole, by class. */
const WHOLE: readonly number[] = [
  (1 << KIND_SYSCALL) | (1 << KIND_PROCTITLE),
  0,
  (1 << KIND_SYSCALL) | (1 << KIND_PROCTITLE),
  (1 << KIND_SYSCALL) | (1 << KIND_SOCKADDR) | (1 << KIND_PROCTITLE)
]

function classOf (call: string | null): number {
  if (call === null || call === 'socketcall' || call === 'io_uring_enter') return UNKNOWN
  if (call === 'socket') return SOCKET
  return SOCKET_CALLS.has(call) ? ADDRESS_CALL : NEVER_NETWORK
}

/** Per arch value: the class of each syscall number; null = no table. */
const byArch = new Map<number, Uint8Array | null>()
let lastArch = -1
let lastClasses: Uint8Array | null = null

function classesOf (arch: number): Uint8Array | null {
  let classes = byArch.get(arch)
  if (classes === undefined) {
    const name = archOfValue(arch).name
    if (name.startsWith('unknown(')) return null // not cached: nothing to compute for it
    const table = new Uint8Array(1024)
    let named = 0
    for (let n = 0; n < table.length; n++) {
      const call = syscallName(name, n)
      if (call !== null) named++
      table[n] = classOf(call)
    }
    classes = named > 0 ? table : null
    // A log holds a handful of arch values; the bound only guards against hostile input.
    if (byArch.size < 64) byArch.set(arch, classes)
  }
  return classes
}

/**
 * What a call is, as far as its records go (one table lookup per SYSCALL record); mayBeNetwork and
 * wholeWith read it.
 */
export function callClass (arch: number, syscallNumber: number): number {
  const classes = arch === lastArch ? lastClasses : classesOf(arch)
  lastArch = arch
  lastClasses = classes
  if (classes === null || syscallNumber < 0 || syscallNumber >= classes.length) return UNKNOWN
  return classes[syscallNumber] as number
}

/** False only for a call known never to make a network event. */
export function mayBeNetwork (callClass: number): boolean {
  return callClass !== NEVER_NETWORK
}

/**
 * The record kinds (a bit set, 1 << kind) with which an event of a call of this class is whole,
 * whatever their order; 0 when it must wait for EOE or a timeout.
 */
export function wholeWith (callClass: number): number {
  return WHOLE[callClass] ?? 0
}
