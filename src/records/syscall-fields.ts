/**
 * Stage 2d: the fields of a SYSCALL record body that a kept event's output reads, all at once.
 * The kernel writes them in a fixed order (audit_log_exit, audit_log_task_info, audit_log_key in
 * kernel/auditsc.c), and auditd's ENRICHED part too, so one regular expression over the whole body
 * replaces a dozen searches for "name=". When a body is not in that layout (another kernel, a
 * hand-made line), each field is searched for on its own (searchedFields). The values are the same
 * either way: the expression matches only when the body is exactly a run of the listed fields, so
 * the token it captures for a name is the first token with that name, as findValue's.
 *
 * The process's own fields (ppid= … exe=, and the ENRICHED names) come as one piece of text, read
 * only on demand: the events of one process repeat them call after call, and their reader
 * (network-event.ts) decodes them once per process.
 */
import { findValue } from './find-field.js'

/** The fields of the call itself; a name absent from the body is undefined. */
export interface CallFields {
  success: string | undefined
  exit: string | undefined
  a0: string | undefined
  a1: string | undefined
  a2: string | undefined
  key: string | undefined
}

/** The fields of the process that made the call. */
export interface ProcessFields {
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
  /** ENRICHED names */
  AUID: string | undefined
  UID: string | undefined
  GID: string | undefined
  EUID: string | undefined
}

/** A body in the kernel's layout: the call's fields, and the process's as text. */
export interface LaidOutSyscall extends CallFields {
  /** "ppid=… exe=…": equal texts (with equal namesText) give equal ProcessFields. */
  processText: string
  /** The ENRICHED "AUID=… FSGID=…", undefined in RAW logs. */
  namesText: string | undefined
}

/** A value, captured: everything up to the next separator (space or 0x1D), as findField reads it. */
const V = '([^ \\x1d]*)'
/** A value, not captured. */
const S = '[^ \\x1d]*'

const PROCESS = `ppid=${V} pid=${V} auid=${V} uid=${V} gid=${V} euid=${V} suid=${S} fsuid=${S} egid=${S}` +
  ` sgid=${S} fsgid=${S} tty=${V} ses=${V} comm=${V} exe=${V}`
const NAMES = `AUID=${V} UID=${V} GID=${V} EUID=${V} SUID=${S} FSUID=${S} EGID=${S} SGID=${S} FSGID=${S}`
/** A run of fields captured whole, not field by field. */
const whole = (fields: string): string => `(${fields.replaceAll(V, S)})`

/** A whole SYSCALL body in the kernel's layout (with auditd's ENRICHED part, if any). */
export const SYSCALL_LAYOUT = new RegExp(
  `^arch=${S} syscall=${S}(?: per=${S})?(?: success=${V} exit=${V})? a0=${V} a1=${V} a2=${V} a3=${S}` +
  ` items=${S} ${whole(PROCESS)}(?: subj=${S})? key=${V}(?:[ \\x1d]ARCH=${S} SYSCALL=${S} ${whole(NAMES)})?$`
)
const PROCESS_FIELDS = new RegExp(`^${PROCESS}$`)
const NAMES_FIELDS = new RegExp(`^${NAMES}$`)

/** The call's fields and the process's text, or null when the body is not in the kernel's layout. */
export function laidOutSyscall (body: string): LaidOutSyscall | null {
  const m = SYSCALL_LAYOUT.exec(body)
  if (m === null) return null
  return { success: m[1], exit: m[2], a0: m[3], a1: m[4], a2: m[5], key: m[7], processText: m[6] as string, namesText: m[8] }
}

/** The process's fields from the texts of a laid-out body. */
export function processFields (processText: string, namesText: string | undefined): ProcessFields {
  // Both texts matched these same patterns inside SYSCALL_LAYOUT, so they match here.
  const p = PROCESS_FIELDS.exec(processText) as RegExpExecArray
  const n = namesText === undefined ? null : NAMES_FIELDS.exec(namesText)
  return {
    ppid: p[1],
    pid: p[2],
    auid: p[3],
    uid: p[4],
    gid: p[5],
    euid: p[6],
    tty: p[7],
    ses: p[8],
    comm: p[9],
    exe: p[10],
    AUID: n?.[1],
    UID: n?.[2],
    GID: n?.[3],
    EUID: n?.[4]
  }
}

/** Every field, each searched for on its own: for a body in any layout. */
export function searchedFields (body: string): CallFields & ProcessFields {
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
export function syscallFields (body: string): CallFields & ProcessFields {
  const s = laidOutSyscall(body)
  if (s === null) return searchedFields(body)
  return { ...callOnly(s), ...processFields(s.processText, s.namesText) }
}

function callOnly (s: LaidOutSyscall): CallFields {
  return { success: s.success, exit: s.exit, a0: s.a0, a1: s.a1, a2: s.a2, key: s.key }
}
