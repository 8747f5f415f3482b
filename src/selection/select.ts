/**
 * Stage 5: the secondary selection — which completed events are network events.
 * In: a PendingEvent (raw record bodies). Out: a Verdict: keep (and which SOCKADDR to report) or
 * the reason for dropping. Reads only arch, syscall, a0 and the first bytes of saddr, so the 90 %
 * of events that are dropped are never fully parsed.
 *
 * Kept: any event with a SOCKADDR whose family is in keepFamilies (AF_INET, AF_INET6 by default),
 * and socket() calls (direct or through socketcall) whose domain a0 is in keepFamilies.
 */
import type { PendingEvent } from '../events/assembler.js'
import { findField, findValue } from '../records/find-field.js'
import { archOfValue, decodeArch, type ArchInfo } from '../decoders/arch.js'
import { resolveSocketcall, syscallName } from '../decoders/syscall.js'
import { decodeHexInt } from '../decoders/values.js'
import { AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX, peekFamily } from '../decoders/sockaddr.js'

export type DropReason = 'unix' | 'netlink' | 'packet' | 'other_family' | 'not_network' | 'malformed'
export const DROP_REASONS: readonly DropReason[] = ['unix', 'netlink', 'packet', 'other_family', 'not_network', 'malformed']

export interface Verdict {
  keep: boolean
  /** Why it was dropped (null when kept). */
  reason: DropReason | null
  /** Index in ev.sockaddrs of the address to report, -1 for a socket() event. */
  sockaddrIndex: number
  /** Address family number of the kept address (or socket() domain). */
  family: number
  arch: ArchInfo | null
  /** Syscall name, socketcall(2) resolved to the call it made; null if unknown. */
  syscall: string | null
  syscallNumber: number | null
  /** True when syscall came from socketcall(2)'s a0. */
  viaSocketcall: boolean
}

export const DEFAULT_KEEP_FAMILIES: ReadonlySet<number> = new Set([AF_INET, AF_INET6])

function reasonForFamily (family: number): DropReason {
  switch (family) {
    case AF_UNIX: return 'unix'
    case AF_NETLINK: return 'netlink'
    case AF_PACKET: return 'packet'
    case -1: return 'malformed'
    default: return 'other_family'
  }
}

type SyscallIdentity = Readonly<Pick<Verdict, 'arch' | 'syscall' | 'syscallNumber' | 'viaSocketcall'>>

/**
 * Identities of calls read in place, by arch value and then call number: a host's events are a
 * handful of calls, and each event's lookups of its arch and its syscall name came to more than
 * the rest of the selection. Bounded like archOfValue's map; socketcall(2) is not kept (its a0
 * names the call).
 */
const knownCalls = new Map<number, SyscallIdentity[]>()
const CALL_NUMBER_LIMIT = 4096

/** arch, syscall name and number of an event's SYSCALL record, socketcall resolved. */
export function identifySyscall (ev: PendingEvent): SyscallIdentity {
  const n = ev.callNumber ?? -1
  const archValue = ev.archValue ?? -1
  // Read in place by the filter (records/syscall-id.ts): the identity follows from the arch value
  // and the number alone, but through socketcall(2), whose a0 names the call.
  let calls = n < 0 ? undefined : knownCalls.get(archValue)
  const known = calls === undefined ? undefined : calls[n]
  if (known !== undefined) return known
  // One call of identify for every event not remembered, those not read in place too: the first
  // such event (a CONFIG_CHANGE, say) comes long after V8 has optimised this function, and a call
  // it had never seen made would throw that code away.
  const id = identify(ev)
  if (n < 0 || id.viaSocketcall || id.syscall === 'socketcall' || n >= CALL_NUMBER_LIMIT) return id
  if (calls === undefined) {
    if (knownCalls.size >= 64) return id
    calls = []
    knownCalls.set(archValue, calls)
  }
  calls[n] = id
  return id
}

/** identifySyscall worked out from the event, without the identities remembered. */
function identify (ev: PendingEvent): SyscallIdentity {
  let arch: ArchInfo | null
  let syscallNumber: number | null
  const body = ev.syscall
  if (ev.callNumber !== undefined && ev.callNumber >= 0) {
    // Read in place by the filter (records/syscall-id.ts): the body need not be searched, and an
    // event set aside has none.
    arch = archOfValue(ev.archValue as number)
    syscallNumber = ev.callNumber
  } else if (body === null) {
    return { arch: null, syscall: null, syscallNumber: null, viaSocketcall: false }
  } else {
    const archText = findField(body, 'arch')
    arch = archText === undefined ? null : decodeArch(archText)
    const numText = findField(body, 'syscall')
    const num = numText === undefined ? NaN : Number(numText)
    syscallNumber = Number.isInteger(num) ? num : null
  }
  let syscall = arch !== null && syscallNumber !== null ? syscallName(arch.name, syscallNumber) : null
  let viaSocketcall = false
  if (syscall === 'socketcall' && body !== null) {
    const a0 = findField(body, 'a0')
    const call = a0 === undefined ? null : resolveSocketcall(parseInt(a0, 16))
    if (call !== null) {
      syscall = call
      viaSocketcall = true
    }
  }
  return { arch, syscall, syscallNumber, viaSocketcall }
}

/** socket()'s domain: a0 of the call, or of the SOCKETCALL record when made through socketcall(2). */
function socketDomain (ev: PendingEvent, viaSocketcall: boolean): number {
  const body = viaSocketcall ? ev.socketcall : ev.syscall
  if (body === null) return -1
  const a0 = findValue(body, 'a0=')
  if (a0 === undefined || a0.length > 8) return -1
  const n = decodeHexInt(a0) // 1 to 8 hex digits, else null
  return n === null ? -1 : n
}

export function selectEvent (ev: PendingEvent, keepFamilies: ReadonlySet<number> = DEFAULT_KEEP_FAMILIES): Verdict {
  const id = identifySyscall(ev)
  const le = id.arch === null ? null : id.arch.littleEndian
  let firstFamily: number | null = null
  const sockaddrs = ev.sockaddrs
  if (sockaddrs !== null) {
    for (let i = 0; i < sockaddrs.length; i++) {
      const hex = findValue(sockaddrs[i] as string, 'saddr=')
      const family = hex === undefined ? -1 : peekFamily(hex, le)
      if (family >= 0 && keepFamilies.has(family)) return verdict(true, null, i, family, id)
      if (firstFamily === null) firstFamily = family
    }
  }
  // The null test first: events without a SYSCALL record (CONFIG_CHANGE, …) have no syscall, and a
  // null met here for the first time after V8 optimised this comparison for strings alone would
  // throw that code away ("wrong instance type").
  if (id.syscall !== null && id.syscall === 'socket') {
    const domain = socketDomain(ev, id.viaSocketcall)
    if (keepFamilies.has(domain)) return verdict(true, null, -1, domain, id)
    if (firstFamily === null) firstFamily = domain
  }
  const reason = firstFamily === null ? 'not_network' : reasonForFamily(firstFamily)
  return verdict(false, reason, -1, firstFamily ?? -1, id)
}

/** A Verdict built field by field: one object shape, no spread (this runs for every event). */
function verdict (keep: boolean, reason: DropReason | null, sockaddrIndex: number, family: number, id: SyscallIdentity): Verdict {
  return {
    keep,
    reason,
    sockaddrIndex,
    family,
    arch: id.arch,
    syscall: id.syscall,
    syscallNumber: id.syscallNumber,
    viaSocketcall: id.viaSocketcall
  }
}
