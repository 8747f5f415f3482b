/**
 * Output: a NetworkEvent (native format) → its JSON text as UTF-8, exactly the bytes of
 * JSON.stringify(ev). Every kept event comes through here, and JSON.stringify walks the nested
 * object generically, escapes every string character by character and makes a string that must be
 * encoded again; this writes the fields straight into the batch's bytes (sinks/json-writer.ts).
 * test/formats/native-json.test.ts compares the two on the real captures, every field shape and
 * hostile strings.
 *
 * How it stays exact:
 * - The field order is the order in which buildNetworkEvent and SocketContext insert the fields,
 *   which is the order JSON.stringify follows: the fixed fields, then the optional ones as added
 *   (user names, keys, socketcall, decode_error, transport_hint). Endpoints, whose fields depend on
 *   the address family, are written as any JSON value is (sinks/json-value.ts), in their own key
 *   order.
 * - Strings are written as they are, which is right for printable ASCII without quote or
 *   backslash. Any other string (the kernel hex-encodes such values, so only decoded ones can hold
 *   them) makes the writer start the event over as JSON.stringify's text.
 * - The events of one process carry the same "process" and "user" call after call (the filter's
 *   are one shared frozen pair): their bytes are kept, and reused for the same objects, or for
 *   objects of equal values.
 */
import { lastEventId, type NetworkEvent } from '../events/network-event.js'
import { JsonWriter, KeptBytes, fragment } from '../sinks/json-writer.js'
import { writeJsonValue } from '../sinks/json-value.js'

const F = {
  time: fragment('{"time":'),
  eventId: fragment(',"event_id":'),
  node: fragment(',"node":'),
  syscall: fragment(',"syscall":'),
  arch: fragment(',"arch":'),
  result: fragment(',"result":'),
  exit: fragment(',"exit":'),
  errno: fragment(',"errno":'),
  family: fragment(',"family":'),
  direction: fragment(',"direction":'),
  action: fragment(',"action":'),
  transport: fragment(',"transport":'),
  socketNull: fragment(',"socket":null'),
  socketType: fragment(',"socket":{"type":'),
  protocol: fragment(',"protocol":'),
  remote: fragment('},"remote":'),
  remoteAfterNull: fragment(',"remote":'),
  local: fragment(',"local":'),
  fd: fragment(',"fd":'),
  process: fragment(',"process":{"pid":'),
  ppid: fragment(',"ppid":'),
  exe: fragment(',"exe":'),
  comm: fragment(',"comm":'),
  argv: fragment(',"argv":'),
  user: fragment('},"user":{"uid":'),
  euid: fragment(',"euid":'),
  gid: fragment(',"gid":'),
  auid: fragment(',"auid":'),
  ses: fragment(',"ses":'),
  name: fragment(',"name":'),
  effectiveName: fragment(',"effective_name":'),
  group: fragment(',"group":'),
  auditName: fragment(',"audit_name":'),
  tty: fragment('},"tty":'),
  key: fragment(',"key":'),
  keys: fragment(',"keys":'),
  socketcall: fragment(',"socketcall":true'),
  decodeError: fragment(',"decode_error":'),
  transportHint: fragment(',"transport_hint":'),
  null: fragment('null')
}
const COMMA = 0x2c
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

function writeStrings (w: JsonWriter, a: readonly string[]): boolean {
  w.byte(OPEN_BRACKET)
  for (let i = 0; i < a.length; i++) {
    if (i > 0) w.byte(COMMA)
    if (!w.str(a[i] as string)) return false
  }
  w.byte(CLOSE_BRACKET)
  return true
}

type Process = NetworkEvent['process']
type User = NetworkEvent['user']

/** "process" and "user" (from ',"process":' to the user's last field), or false. */
function writeProcessAndUser (w: JsonWriter, p: Process, u: User): boolean {
  w.fragment(F.process)
  w.numOrNull(p.pid)
  w.fragment(F.ppid)
  w.numOrNull(p.ppid)
  w.fragment(F.exe)
  if (!w.strOrNull(p.exe)) return false
  w.fragment(F.comm)
  if (!w.strOrNull(p.comm)) return false
  w.fragment(F.argv)
  if (p.argv === null) w.fragment(F.null)
  else if (!writeStrings(w, p.argv)) return false
  w.fragment(F.user)
  w.numOrNull(u.uid)
  w.fragment(F.euid)
  w.numOrNull(u.euid)
  w.fragment(F.gid)
  w.numOrNull(u.gid)
  w.fragment(F.auid)
  w.numOrNull(u.auid)
  w.fragment(F.ses)
  w.numOrNull(u.ses)
  if (u.name !== undefined) {
    w.fragment(F.name)
    if (!w.str(u.name)) return false
  }
  if (u.effective_name !== undefined) {
    w.fragment(F.effectiveName)
    if (!w.str(u.effective_name)) return false
  }
  if (u.group !== undefined) {
    w.fragment(F.group)
    if (!w.str(u.group)) return false
  }
  if (u.audit_name !== undefined) {
    w.fragment(F.auditName)
    if (!w.str(u.audit_name)) return false
  }
  return true
}

function sameStrings (a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true
  if (a === null || b === null || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function sameProcess (p: Process, q: Process): boolean {
  return p.pid === q.pid && p.ppid === q.ppid && p.exe === q.exe && p.comm === q.comm && sameStrings(p.argv, q.argv)
}

function sameUser (u: User, v: User): boolean {
  return u.uid === v.uid && u.euid === v.euid && u.gid === v.gid && u.auid === v.auid && u.ses === v.ses &&
    u.name === v.name && u.effective_name === v.effective_name && u.group === v.group && u.audit_name === v.audit_name
}

/** Writes ev as JSON (no newline) to w. */
export function writeNativeJson (w: JsonWriter, ev: NetworkEvent): void {
  const start = w.length
  if (!writeFields(w, ev)) {
    w.truncate(start)
    w.text(JSON.stringify(ev))
  }
}

/**
 * Runs of fields that repeat from event to event (the same call by the same process) are written
 * once and their bytes reused while the values they were made from stay the same: "time" (with
 * the key of "event_id", whose value is each event's own), "node" to "result" (before the exit
 * value, which changes more often), "errno" to "socket", "process" and
 * "user", and "tty" to the end. Each run keeps its own copy of those values, so changes
 * made to an event after it was written cannot fool the comparison.
 */
class CallRun {
  node: string | null = null
  syscall: string | null = null
  arch: string | null = null
  result = ''
  readonly bytes = new KeptBytes()

  matches (ev: NetworkEvent): boolean {
    return this.bytes.view !== null && ev.node === this.node && ev.syscall === this.syscall && ev.arch === this.arch &&
      ev.result === this.result
  }

  keep (ev: NetworkEvent): void {
    this.node = ev.node
    this.syscall = ev.syscall
    this.arch = ev.arch
    this.result = ev.result
  }
}

class ResultRun {
  errno: string | null = null
  family = ''
  direction: string | null = null
  action: string | null = null
  transport: string | null = null
  hasSocket = false
  socketType: string | null = null
  protocol = 0
  readonly bytes = new KeptBytes()

  matches (ev: NetworkEvent): boolean {
    const s = ev.socket
    return this.bytes.view !== null && ev.errno === this.errno && ev.family === this.family &&
      ev.direction === this.direction && ev.action === this.action && ev.transport === this.transport &&
      (s === null ? !this.hasSocket : this.hasSocket && s.type === this.socketType && Object.is(s.protocol, this.protocol))
  }

  keep (ev: NetworkEvent): void {
    this.errno = ev.errno
    this.family = ev.family
    this.direction = ev.direction
    this.action = ev.action
    this.transport = ev.transport
    this.hasSocket = ev.socket !== null
    this.socketType = ev.socket === null ? null : ev.socket.type
    this.protocol = ev.socket === null ? 0 : ev.socket.protocol
  }
}

class TailRun {
  tty: string | null = null
  key: string | null = null
  keys: string[] | null = null
  socketcall = false
  decodeError: string | undefined = undefined
  transportHint: string | undefined = undefined
  readonly bytes = new KeptBytes()

  matches (ev: NetworkEvent): boolean {
    return this.bytes.view !== null && ev.tty === this.tty && ev.key === this.key && sameStrings(ev.keys ?? null, this.keys) &&
      (ev.socketcall !== undefined) === this.socketcall && ev.decode_error === this.decodeError &&
      ev.transport_hint === this.transportHint
  }

  keep (ev: NetworkEvent): void {
    this.tty = ev.tty
    this.key = ev.key
    this.keys = ev.keys === undefined ? null : ev.keys.slice()
    this.socketcall = ev.socketcall !== undefined
    this.decodeError = ev.decode_error
    this.transportHint = ev.transport_hint
  }
}

/**
 * "time" and the key of "event_id": events come many to a millisecond (88 % of the kept events of
 * the bench corpus have the time of the one before, and the same string: network-event.ts's
 * isoTime reuses it), and reading the time back character by character, with the checks str()
 * makes, cost more than most of an event's other fields.
 */
class TimeRun {
  time: string | null = null
  readonly bytes = new KeptBytes(64)

  matches (ev: NetworkEvent): boolean {
    return this.bytes.view !== null && ev.time === this.time
  }

  keep (ev: NetworkEvent): void {
    this.time = ev.time
  }
}

/** "process" and "user": the same call after call from one process. */
class ProcessRun {
  process: Process | null = null
  user: User | null = null
  readonly bytes = new KeptBytes()

  matches (ev: NetworkEvent): boolean {
    return this.bytes.view !== null && sameProcess(ev.process, this.process as Process) && sameUser(ev.user, this.user as User)
  }

  keep (ev: NetworkEvent): void {
    const p = ev.process
    // A frozen argv (the filter's, shared by a process's events) cannot change: no copy needed.
    this.process = { ...p, argv: p.argv === null || Object.isFrozen(p.argv) ? p.argv : p.argv.slice() }
    this.user = { ...ev.user }
  }
}

const writeProcess = (w: JsonWriter, ev: NetworkEvent): boolean => writeProcessAndUser(w, ev.process, ev.user)

/**
 * The bytes of "process" and "user" by process object, with the user object they were written
 * with. The filter shares one frozen process and user object among the events of a process, so the
 * bytes are found by identity, without comparing fields; events built some other way (objects not
 * frozen, which could change after they are written) go through the remembered runs instead.
 */
const callerBytes = new WeakMap<Process, { user: User, bytes: KeptBytes }>()

const isFrozenCaller = (p: Process, u: User): boolean =>
  Object.isFrozen(p) && Object.isFrozen(u) && (p.argv === null || Object.isFrozen(p.argv))

function writeCaller (w: JsonWriter, ev: NetworkEvent): boolean {
  const p = ev.process
  const u = ev.user
  const known = callerBytes.get(p)
  if (known !== undefined && known.user === u) {
    w.kept(known.bytes)
    return true
  }
  if (!isFrozenCaller(p, u)) return writeRun(w, ev, processRuns, writeProcess)
  const start = w.length
  if (!writeProcessAndUser(w, p, u)) return false
  const bytes = new KeptBytes(w.length - start)
  w.keepSince(start, bytes)
  callerBytes.set(p, { user: u, bytes })
  return true
}

type Run = TimeRun | CallRun | ResultRun | TailRun | ProcessRun

/**
 * The last few runs of one kind, newest kept in turn (round robin). A host's calls alternate —
 * socket() then connect(), each with its own rule key, one process after another — so a single
 * remembered run would almost never match the next event's; a few cover the pattern.
 */
class Runs<R extends Run> {
  readonly #runs: R[]
  #next = 0

  constructor (make: () => R, count = 8) {
    this.#runs = Array.from({ length: count }, make)
  }

  /** The run whose values ev has, or null. */
  find (ev: NetworkEvent): R | null {
    const runs = this.#runs
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i] as R
      if (run.matches(ev)) return run
    }
    return null
  }

  /** The run to overwrite with a new one. */
  replaceable (): R {
    const run = this.#runs[this.#next] as R
    this.#next = (this.#next + 1) % this.#runs.length
    return run
  }
}

const timeRuns = new Runs(() => new TimeRun(), 1)
const callRuns = new Runs(() => new CallRun())
// 21 kinds of call by family, transport and outcome on the bench corpus, most of them in turn.
const resultRuns = new Runs(() => new ResultRun(), 32)
const tailRuns = new Runs(() => new TailRun())
const processRuns = new Runs(() => new ProcessRun())

function writeCall (w: JsonWriter, ev: NetworkEvent): boolean {
  w.fragment(F.node)
  if (!w.strOrNull(ev.node)) return false
  w.fragment(F.syscall)
  if (!w.strOrNull(ev.syscall)) return false
  w.fragment(F.arch)
  if (!w.strOrNull(ev.arch)) return false
  w.fragment(F.result)
  if (!w.str(ev.result)) return false
  w.fragment(F.exit)
  return true
}

function writeResult (w: JsonWriter, ev: NetworkEvent): boolean {
  w.fragment(F.errno)
  if (!w.strOrNull(ev.errno)) return false
  w.fragment(F.family)
  if (!w.str(ev.family)) return false
  w.fragment(F.direction)
  if (!w.strOrNull(ev.direction)) return false
  w.fragment(F.action)
  if (!w.strOrNull(ev.action)) return false
  w.fragment(F.transport)
  if (!w.strOrNull(ev.transport)) return false
  if (ev.socket === null) {
    w.fragment(F.socketNull)
    w.fragment(F.remoteAfterNull)
  } else {
    w.fragment(F.socketType)
    if (!w.strOrNull(ev.socket.type)) return false
    w.fragment(F.protocol)
    w.num(ev.socket.protocol)
    w.fragment(F.remote)
  }
  return true
}

function writeTail (w: JsonWriter, ev: NetworkEvent): boolean {
  w.fragment(F.tty)
  if (!w.strOrNull(ev.tty)) return false
  w.fragment(F.key)
  if (!w.strOrNull(ev.key)) return false
  if (ev.keys !== undefined) {
    w.fragment(F.keys)
    if (!writeStrings(w, ev.keys)) return false
  }
  if (ev.socketcall !== undefined) w.fragment(F.socketcall)
  if (ev.decode_error !== undefined) {
    w.fragment(F.decodeError)
    if (!w.str(ev.decode_error)) return false
  }
  if (ev.transport_hint !== undefined) {
    w.fragment(F.transportHint)
    if (!w.str(ev.transport_hint)) return false
  }
  w.byte(CLOSE_BRACE)
  return true
}

/** Writes a run from its kept bytes when ev has the same values as one kept, else anew (and keeps it). */
function writeRun<R extends Run> (w: JsonWriter, ev: NetworkEvent, runs: Runs<R>,
  write: (w: JsonWriter, ev: NetworkEvent) => boolean): boolean {
  const hit = runs.find(ev)
  if (hit !== null) {
    w.kept(hit.bytes)
    return true
  }
  const start = w.length
  if (!write(w, ev)) return false
  const run = runs.replaceable()
  w.keepSince(start, run.bytes)
  run.keep(ev)
  return true
}

function writeTime (w: JsonWriter, ev: NetworkEvent): boolean {
  if (!w.str(ev.time)) return false
  w.fragment(F.eventId)
  return true
}

/**
 * The event id, unique to each event: when it is the text eventId made for this event just before
 * (network-event.ts), the bytes it was made from are copied rather than the string read back.
 */
function writeEventId (w: JsonWriter, ev: NetworkEvent): boolean {
  if (ev.event_id !== lastEventId.text) return w.str(ev.event_id)
  w.quoted(lastEventId.bytes, lastEventId.length)
  return true
}

function writeFields (w: JsonWriter, ev: NetworkEvent): boolean {
  w.fragment(F.time)
  if (!writeRun(w, ev, timeRuns, writeTime)) return false
  if (!writeEventId(w, ev)) return false
  if (!writeRun(w, ev, callRuns, writeCall)) return false
  w.numOrNull(ev.exit)
  if (!writeRun(w, ev, resultRuns, writeResult)) return false
  // Endpoints (flat, their fields by address family) are written by the writer for any value, which
  // writes the bytes of a frozen one again by identity: the filter decodes each distinct saddr once
  // and shares the frozen result, so most endpoints are written again and again.
  if (!writeJsonValue(w, ev.remote)) return false
  w.fragment(F.local)
  if (!writeJsonValue(w, ev.local)) return false
  w.fragment(F.fd)
  w.numOrNull(ev.fd)
  if (!writeCaller(w, ev)) return false
  return writeRun(w, ev, tailRuns, writeTail)
}
