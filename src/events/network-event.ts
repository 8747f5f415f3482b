/**
 * Stage 4: a kept event's records → the output record (native format, schemas/event.schema.json).
 * In: the PendingEvent and the selection's Verdict. Out: a NetworkEvent, a plain object ready for
 * JSON. Only kept events get here, so this is where records are fully parsed and decoded.
 */
import type { PendingEvent } from './assembler.js'
import type { Verdict } from '../selection/select.js'
import { findField, findValue } from '../records/find-field.js'
import { callerFields, laidOutCall, searchedFields, type CallFields, type CallerFields } from '../records/syscall-fields.js'
import { decodeSockaddr, familyName, isSockaddrError } from '../decoders/sockaddr.js'
import { decodeProctitle } from '../decoders/proctitle.js'
import { errnoName } from '../decoders/syscall.js'
import { decodeEnrichedName, decodeHexInt, decodeId, decodeInt, decodeKeys, decodeString } from '../decoders/values.js'
import { socketTypeName, transportOf } from '../decoders/socket-type.js'
import { latin1 } from '../lines/latin1.js'
import { writeDecimal } from '../sinks/json-writer.js'

/** An address with its family left out, e.g. { ip, port } or { ip, port, flowinfo, scope_id }. */
export interface Endpoint {
  ip?: string
  port?: number
  flowinfo?: number
  scope_id?: number
  ipv4_mapped?: true
  [field: string]: unknown
}

export type Result = 'success' | 'in_progress' | 'failed' | 'unknown'
export type Direction = 'outbound' | 'inbound' | 'listen' | 'intent'
export type Action = 'connect' | 'accept' | 'bind' | 'send' | 'receive' | 'socket'

/** The socket a call used: socket()'s type (stream, dgram, raw, …) and protocol number. */
export interface SocketInfo { type: string | null, protocol: number }

export interface User {
  uid: number | null
  euid: number | null
  gid: number | null
  auid: number | null
  ses: number | null
  /** Names auditd resolved on the logging host (ENRICHED logs only); never looked up here. */
  name?: string
  effective_name?: string
  group?: string
  audit_name?: string
}

export interface NetworkEvent {
  time: string
  event_id: string
  node: string | null
  syscall: string | null
  arch: string | null
  result: Result
  exit: number | null
  errno: string | null
  family: string
  direction: Direction | null
  action: Action | null
  transport: string | null
  /** A guess from the port or the call, present only when transport is null. */
  transport_hint?: string
  socket: SocketInfo | null
  remote: Readonly<Endpoint> | null
  local: Readonly<Endpoint> | null
  fd: number | null
  /** process and user are shared by the events of one process and frozen: copy them to change them. */
  process: Readonly<{ pid: number | null, ppid: number | null, exe: string | null, comm: string | null, argv: readonly string[] | null }>
  user: Readonly<User>
  tty: string | null
  key: string | null
  keys?: readonly string[]
  socketcall?: true
  decode_error?: string
}

/** Calls whose sockaddr is the local end; every other call's sockaddr is the peer. */
const LOCAL_ADDRESS_CALLS: ReadonlySet<string> = new Set(['bind', 'getsockname'])

/** Direction and action by syscall; calls not listed have neither. */
const ROLES: ReadonlyMap<string, [Direction, Action]> = new Map([
  ['connect', ['outbound', 'connect']],
  ['sendto', ['outbound', 'send']],
  ['sendmsg', ['outbound', 'send']],
  ['sendmmsg', ['outbound', 'send']],
  ['accept', ['inbound', 'accept']],
  ['accept4', ['inbound', 'accept']],
  ['recvfrom', ['inbound', 'receive']],
  ['recvmsg', ['inbound', 'receive']],
  ['recvmmsg', ['inbound', 'receive']],
  ['bind', ['listen', 'bind']],
  ['socket', ['intent', 'socket']]
])

/** An argument (a0, a1, …) of the socket call an event made, or null when unknown. */
export function callArgument (ev: PendingEvent, v: Pick<Verdict, 'viaSocketcall'>, name: string): number | null {
  if (v.viaSocketcall) return ev.socketcall === null ? null : decodeHexInt(findField(ev.socketcall, name))
  return ev.syscall === null ? null : decodeHexInt(findField(ev.syscall, name))
}

/**
 * The event id and time texts are written as bytes and read back as one latin1 string. Built with
 * + or a template, a string of 13 characters or more is a rope (V8's ConsString), and the native
 * JSON writer, reading it character by character, has V8 flatten it in its runtime first: that cost
 * more than writing the digits (about 70 ms for the 101,570 events of the bench corpus). These are
 * flat from the start.
 */
const idText = Buffer.alloc(48)
/** Holds the time up to the second between calls (isoTime). */
const timeText = Buffer.alloc(48)

/** Writes ms (0 to 999) as three digits at text[at]; returns the end. */
function writeMillis (text: Buffer, ms: number, at: number): number {
  text[at] = 0x30 + Math.floor(ms / 100)
  text[at + 1] = 0x30 + Math.floor(ms / 10) % 10
  text[at + 2] = 0x30 + ms % 10
  return at + 3
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0
const isMillis = (ms: number): boolean => Number.isInteger(ms) && ms >= 0 && ms < 1000

/**
 * The last text eventId made and its bytes, idText[0, length): a writer handed that very text copies
 * the bytes instead of reading the string back character by character (formats/native.ts). Digits,
 * a dot and a colon: nothing JSON must escape.
 */
export const lastEventId = { text: '', bytes: idText, length: 0 }

/** The seconds whose digits and dot idText holds, and where they end: events come many to a second. */
let idSecond = -1
let idSecondLength = 0

/** "SECONDS.MILLIS:SERIAL", as in the records' msg=audit(…). */
export function eventId (ev: PendingEvent): string {
  if (!isCount(ev.sec) || !isMillis(ev.ms) || !isCount(ev.serial)) {
    const ms = ev.ms < 10 ? `00${ev.ms}` : ev.ms < 100 ? `0${ev.ms}` : String(ev.ms)
    return `${ev.sec}.${ms}:${ev.serial}`
  }
  if (ev.sec !== idSecond) {
    idSecondLength = writeDecimal(idText, 0, ev.sec)
    idText[idSecondLength++] = 0x2e // .
    idSecond = ev.sec
  }
  let p = writeMillis(idText, ev.ms, idSecondLength)
  idText[p++] = 0x3a // :
  p = writeDecimal(idText, p, ev.serial)
  const text = latin1(idText, 0, p)
  lastEventId.text = text
  lastEventId.length = p
  return text
}

/**
 * ISO 8601 time of an event. Events come many to a second, so the text up to the second is kept
 * from the last call and only the milliseconds are appended (toISOString always ends in ".mmmZ");
 * and often several to a millisecond (a socket() and its connect(), a burst of accepts: 88 % of the
 * kept events of the bench corpus have the time of the one before), so the last text is reused whole.
 */
let isoSecond = -1
let isoPrefixLength = 0
let isoMillis = -1
let isoText = ''
export function isoTime (sec: number, ms: number): string {
  if (!isMillis(ms)) return new Date(sec * 1000 + ms).toISOString()
  if (sec === isoSecond && ms === isoMillis) return isoText
  if (sec !== isoSecond) {
    const full = new Date(sec * 1000).toISOString()
    isoPrefixLength = timeText.write(full.slice(0, full.length - 4), 0, 'latin1')
    isoSecond = sec
  }
  let p = writeMillis(timeText, ms, isoPrefixLength)
  timeText[p++] = 0x5a // Z
  isoMillis = ms
  isoText = latin1(timeText, 0, p)
  return isoText
}

function resultOf (success: string | undefined, syscall: string | null, errno: string | null, exit: number | null): Result {
  if (success === 'yes') return 'success'
  // A non-blocking connect returns EINPROGRESS (or EALREADY when repeated) and completes later:
  // curl, Node and Go always look like this, so it is not a failure.
  if (syscall === 'connect' && (errno === 'EINPROGRESS' || errno === 'EALREADY')) return 'in_progress'
  if (success === 'no') return 'failed'
  // No success= (exit_group-like records, or an event whose SYSCALL record never arrived): the
  // exit value alone, and without one the result is simply not known.
  if (exit === null) return 'unknown'
  return exit < 0 ? 'failed' : 'success'
}

type Process = NetworkEvent['process']

/**
 * Who made a call: the process and user, decoded from the SYSCALL record's caller fields and the
 * PROCTITLE record, the terminal, and the keys of the rule that logged it. Shared by the events of
 * one process and frozen (NetworkEvent.process and .user are these objects), so a writer may keep
 * what it made of them by identity (formats/native.ts).
 */
interface Caller {
  process: Process
  user: Readonly<User>
  tty: string | null
  keys: readonly string[]
}

function decodeCaller (f: CallerFields, proctitle: string | null): Caller {
  const user: User = { uid: decodeId(f.uid), euid: decodeId(f.euid), gid: decodeId(f.gid), auid: decodeId(f.auid), ses: decodeId(f.ses) }
  // ENRICHED logs carry the names auditd resolved (UID="root"): the ones that name someone.
  const name = decodeEnrichedName(f.UID)
  const effectiveName = decodeEnrichedName(f.EUID)
  const group = decodeEnrichedName(f.GID)
  const auditName = decodeEnrichedName(f.AUID)
  if (name !== null) user.name = name
  if (effectiveName !== null) user.effective_name = effectiveName
  if (group !== null) user.group = group
  if (auditName !== null) user.audit_name = auditName
  const tty = f.tty
  return {
    process: interned(processes, {
      pid: decodeInt(f.pid),
      ppid: decodeInt(f.ppid),
      exe: decodeString(f.exe),
      comm: decodeString(f.comm),
      argv: proctitle === null ? null : Object.freeze(decodeProctitle(findValue(proctitle, 'proctitle=') ?? ''))
    }),
    user: interned(users, user),
    tty: tty === undefined || tty === '(none)' ? null : tty,
    keys: ruleKeys(f.key)
  }
}

/**
 * One frozen object per distinct process and per distinct user, by their values: a process's
 * calls of different kinds and rule keys have different caller texts, so each is decoded on its
 * own, and would otherwise give each kind of call its own copy of the same process. Each map is
 * emptied when it holds CALLER_LIMIT values, which bounds its memory.
 */
const processes = new Map<string, Process>()
const users = new Map<string, Readonly<User>>()

function interned<T extends object> (all: Map<string, T>, value: T): T {
  // Bodies in the kernel's layout are decoded once per caller text, so the values' JSON text is an
  // affordable key; a body searched field by field pays it per event, on top of its decoding.
  const key = JSON.stringify(value)
  const known = all.get(key)
  if (known !== undefined) return known
  if (all.size >= CALLER_LIMIT) all.clear()
  Object.freeze(value)
  all.set(key, value)
  return value
}

/**
 * The callers decoded before, by the texts they were decoded from. A process makes call after call,
 * each logged with the same caller text and command line, so these are compared before anything is
 * decoded again: first the few seen last (string equality, no hashing), then all those remembered,
 * by caller text. A busy host interleaves the calls of more callers than the first can hold (819
 * caller texts of 405 processes, 16,100 misses of 8 for 101,570 events on the bench corpus), and
 * decoding one costs more than many lookups.
 */
interface KnownCaller { text: string, proctitle: string | null, caller: Caller }
const recentCallers: KnownCaller[] = []
const RECENT_CALLERS = 8
let nextRecent = 0
/** Caller text → the callers with that text (several when their command lines differ). */
const knownCallers = new Map<string, KnownCaller[]>()
/** Emptied when it holds this many caller texts, which bounds its memory (about 1 KB each). */
const CALLER_LIMIT = 2048

/** The caller of a laid-out body, or null when its caller text is not in the kernel's layout. */
function knownCaller (text: string, proctitle: string | null): Caller | null {
  for (let i = 0; i < recentCallers.length; i++) {
    const k = recentCallers[i] as KnownCaller
    if (k.text === text && k.proctitle === proctitle) return k.caller
  }
  let same = knownCallers.get(text)
  let entry = same?.find(k => k.proctitle === proctitle)
  if (entry === undefined) {
    const f = callerFields(text)
    if (f === null) return null
    entry = { text, proctitle, caller: decodeCaller(f, proctitle) }
    if (knownCallers.size >= CALLER_LIMIT) knownCallers.clear()
    if (same === undefined || same.length >= RECENT_CALLERS) {
      same = []
      knownCallers.set(text, same)
    }
    same.push(entry)
  }
  if (recentCallers.length < RECENT_CALLERS) recentCallers.push(entry)
  else recentCallers[nextRecent] = entry
  nextRecent = (nextRecent + 1) % RECENT_CALLERS
  return entry.caller
}

/**
 * Decoded values by the text they came from. A host talks to the same few peers and its rules
 * carry the same few keys, so most events repeat a saddr and a key seen just before: these are
 * decoded once and the result shared (frozen, as nothing downstream may change it). Each cache is
 * emptied when it reaches CACHE_LIMIT entries, which bounds its memory.
 */
const CACHE_LIMIT = 4096
const endpoints = new Map<string, Readonly<Endpoint> | string>()
const endpointsBigEndian = new Map<string, Readonly<Endpoint> | string>()
const endpointsUnknownOrder = new Map<string, Readonly<Endpoint> | string>()
const keyLists = new Map<string, readonly string[]>()
const NO_KEYS: readonly string[] = Object.freeze([])

/**
 * The address of a SOCKADDR record body, without its family, or the decode error's text. Cached by
 * the whole body, which holds nothing but the saddr (and in ENRICHED logs auditd's reading of it):
 * equal bodies have equal addresses, and the saddr is searched for only on a miss.
 */
function decodeEndpoint (sockaddr: string, littleEndian: boolean | null): Readonly<Endpoint> | string {
  const cache = littleEndian === null ? endpointsUnknownOrder : littleEndian ? endpoints : endpointsBigEndian
  let e = cache.get(sockaddr)
  if (e === undefined) {
    const addr = decodeSockaddr(findValue(sockaddr, 'saddr=') ?? '', littleEndian)
    if (isSockaddrError(addr)) {
      e = addr.error
    } else {
      const { family: _family, ...endpoint } = addr
      e = Object.freeze(endpoint)
    }
    if (cache.size >= CACHE_LIMIT) cache.clear()
    cache.set(sockaddr, e)
  }
  return e
}

/** The rule keys of a key= value. */
function ruleKeys (raw: string | undefined): readonly string[] {
  if (raw === undefined) return NO_KEYS
  let keys = keyLists.get(raw)
  if (keys === undefined) {
    keys = Object.freeze(decodeKeys(raw))
    if (keyLists.size >= CACHE_LIMIT) keyLists.clear()
    keyLists.set(raw, keys)
  }
  return keys
}

export function buildNetworkEvent (ev: PendingEvent, v: Verdict): NetworkEvent {
  // The SYSCALL fields read below: all at once when the body is in the kernel's layout, with the
  // caller's decoded once per process (see syscall-fields.ts); else searched one by one.
  const body = ev.syscall ?? ''
  const call = laidOutCall(body)
  let caller = call === null ? null : knownCaller(call.callerText, ev.proctitle)
  let f: CallFields
  if (call !== null && caller !== null) {
    f = call
  } else {
    const all = searchedFields(body)
    f = all
    caller = decodeCaller(all, ev.proctitle)
  }
  const exit = decodeInt(f.exit)
  const errno = exit !== null && exit < 0 ? errnoName(-exit) : null
  const keys = caller.keys

  let remote: Readonly<Endpoint> | null = null
  let local: Readonly<Endpoint> | null = null
  let decodeError: string | null = null
  if (v.sockaddrIndex >= 0) {
    const sockaddr = (ev.sockaddrs as string[])[v.sockaddrIndex] as string
    const endpoint = decodeEndpoint(sockaddr, v.arch === null ? null : v.arch.littleEndian)
    if (typeof endpoint === 'string') decodeError = endpoint
    else if (v.syscall !== null && LOCAL_ADDRESS_CALLS.has(v.syscall)) local = endpoint
    else remote = endpoint
  }

  // Arguments of the call itself: the SOCKETCALL record's when made through socketcall(2); without
  // that record they are unknown (the SYSCALL's a0 is then the call number, a1 a pointer).
  const viaSocketcall = v.viaSocketcall
  let fd: number | null
  let socket: SocketInfo | null = null
  let transport: string | null = null
  if (v.syscall === 'socket') {
    fd = exit !== null && exit >= 0 ? exit : null
    const type = viaSocketcall ? callArgument(ev, v, 'a1') : decodeHexInt(f.a1)
    const protocol = viaSocketcall ? callArgument(ev, v, 'a2') : decodeHexInt(f.a2)
    if (type !== null && protocol !== null) {
      socket = { type: socketTypeName(type), protocol }
      transport = transportOf(type, protocol)
    }
  } else {
    fd = viaSocketcall ? callArgument(ev, v, 'a0') : decodeHexInt(f.a0)
  }
  const role = v.syscall === null ? undefined : ROLES.get(v.syscall)

  const out: NetworkEvent = {
    time: isoTime(ev.sec, ev.ms),
    event_id: eventId(ev),
    node: ev.node,
    syscall: v.syscall ?? (v.syscallNumber === null ? null : String(v.syscallNumber)),
    arch: v.arch === null ? null : v.arch.name,
    result: resultOf(f.success, v.syscall, errno, exit),
    exit,
    errno,
    family: familyName(v.family),
    direction: role === undefined ? null : role[0],
    action: role === undefined ? null : role[1],
    transport,
    socket,
    remote,
    local,
    fd,
    process: caller.process,
    user: caller.user,
    tty: caller.tty,
    key: keys[0] ?? null
  }
  if (keys.length > 1) out.keys = keys
  if (v.viaSocketcall) out.socketcall = true
  if (decodeError !== null) out.decode_error = decodeError
  return out
}
