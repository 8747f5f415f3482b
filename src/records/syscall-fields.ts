/**
 * Stage 2d: the fields of a SYSCALL record body that a kept event's output reads, all at once.
 * The kernel writes them in a fixed order (audit_log_exit, audit_log_task_info, audit_log_key in
 * kernel/auditsc.c), and auditd's ENRICHED part too, so two regular expressions over the body
 * replace a dozen searches for "name=". When a body is not in that layout (another kernel, a
 * hand-made line), each field is searched for on its own (searchedFields). The values are the same
 * either way: the expressions match only when the body is exactly a run of the listed fields, so
 * the token captured for a name is the first token with that name, as findValue's.
 *
 * A body is read in two parts, split at " ppid=": the call's own fields (arch= … items=), which
 * change from call to call, and the caller's (ppid= … exe=, the rule key, the ENRICHED names), one
 * piece of text that the events of one process repeat call after call. Its reader (network-event.ts)
 * decodes that text once per process, so most events only run the short expression over the call.
 */
import { findValue } from './find-field.js'

/** The fields of the call itself; a name absent from the body is undefined. */
export interface CallFields {
  success: string | undefined
  exit: string | undefined
  a0: string | undefined
  a1: string | undefined
  a2: string | undefined
}

/** The fields of the process that made the call, and the key of the rule that logged it. */
export interface CallerFields {
  ppid: string | undefined
  pid: string | undefined
  auid: string | undefined
  uid: string | undefined
  gid: string | undefined
  euid: string | undefined
  tty: string | undefined
  ses: string | undefined
  comm: string | undefined
  exe: string | undefined
  key: string | undefined
  /** ENRICHED names */
  AUID: string | undefined
  UID: string | undefined
  GID: string | undefined
  EUID: string | undefined
}

/** A body in the kernel's layout, up to the caller: the call's fields and the caller's text. */
export interface LaidOutCall extends CallFields {
  /** "ppid=… key=… [ENRICHED names]" to the end of the body: equal texts give equal CallerFields. */
  callerText: string
}

/** A value, captured: everything up to the next separator (space or 0x1D), as findField reads it. */
const V = '([^ \\x1d]*)'
/** A value, not captured. */
const S = '[^ \\x1d]*'

/**
 * The call's fields, from the start of the body through the space before "ppid=". No value holds
 * a space, and no field here is called ppid, so in a laid-out body the first " ppid=" is where the
 * caller's part starts: the two parts match these two expressions exactly when the whole body is
 * in the layout. The expression itself finds that " ppid=" (a lookahead, not consumed): a separate
 * indexOf cost about as much again as the match (a runtime call per body).
 */
const CALL_LAYOUT = new RegExp(
  `^arch=${S} syscall=${S}(?: per=${S})?(?: success=${V} exit=${V})? a0=${V} a1=${V} a2=${V} a3=${S} items=${S} (?=ppid=)`
)
const CALLER_LAYOUT = new RegExp(
  `^ppid=${V} pid=${V} auid=${V} uid=${V} gid=${V} euid=${V} suid=${S} fsuid=${S} egid=${S} sgid=${S} fsgid=${S}` +
  ` tty=${V} ses=${V} comm=${V} exe=${V}(?: subj=${S})? key=${V}` +
  `(?:[ \\x1d]ARCH=${S} SYSCALL=${S} AUID=${V} UID=${V} GID=${V} EUID=${V} SUID=${S} FSUID=${S} EGID=${S} SGID=${S} FSGID=${S})?$`
)

/**
 * The call's fields and the caller's text, or null when the call's part is not in the kernel's
 * layout. The caller's text is checked by callerFields, which returns null when it is not.
 */
export function laidOutCall (body: string): LaidOutCall | null {
  const m = CALL_LAYOUT.exec(body)
  if (m === null) return null
  return { success: m[1], exit: m[2], a0: m[3], a1: m[4], a2: m[5], callerText: body.slice(m[0].length) }
}

/** The caller's fields from the text laidOutCall split off, or null when it is not in the layout. */
export function callerFields (callerText: string): CallerFields | null {
  const m = CALLER_LAYOUT.exec(callerText)
  if (m === null) return null
  return {
    ppid: m[1],
    pid: m[2],
    auid: m[3],
    uid: m[4],
    gid: m[5],
    euid: m[6],
    tty: m[7],
    ses: m[8],
    comm: m[9],
    exe: m[10],
    key: m[11],
    AUID: m[12],
    UID: m[13],
    GID: m[14],
    EUID: m[15]
  }
}

/** Every field, each searched for on its own: for a body in any layout. */
export function searchedFields (body: string): CallFields & CallerFields {
  return {
    success: findValue(body, 'success='),
    exit: findValue(body, 'exit='),
    a0: findValue(body, 'a0='),
    a1: findValue(body, 'a1='),
    a2: findValue(body, 'a2='),
    key: findValue(body, 'key='),
    ppid: findValue(body, 'ppid='),
    pid: findValue(body, 'pid='),
    auid: findValue(body, 'auid='),
    uid: findValue(body, 'uid='),
    gid: findValue(body, 'gid='),
    euid: findValue(body, 'euid='),
    tty: findValue(body, 'tty='),
    ses: findValue(body, 'ses='),
    comm: findValue(body, 'comm='),
    exe: findValue(body, 'exe='),
    AUID: findValue(body, 'AUID='),
    UID: findValue(body, 'UID='),
    GID: findValue(body, 'GID='),
    EUID: findValue(body, 'EUID=')
  }
}

/** Every field of a body in any layout: the laid-out reading when it applies, else searchedFields. */
export function syscallFields (body: string): CallFields & CallerFields {
  const call = laidOutCall(body)
  const caller = call === null ? null : callerFields(call.callerText)
  if (call === null || caller === null) return searchedFields(body)
  return { success: call.success, exit: call.exit, a0: call.a0, a1: call.a1, a2: call.a2, ...caller }
}
