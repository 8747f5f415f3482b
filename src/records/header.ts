/**
 * Stage 2a: line → record header, on the hot path.
 * In: the bytes of one line. Out: a reused RecordHeader holding the record kind, the event id
 * (seconds, milliseconds, serial), the node name position and where the fields start.
 * Reads bytes only; no string is made unless the line carries a node name.
 *
 * Accepted forms (anything may precede "type=", e.g. a syslog prefix):
 *   type=SYSCALL msg=audit(1795640802.866:80291): arch=…
 *   node=web1 type=SOCKADDR msg=audit(…): saddr=…
 *   Nov 25 21:08:21 vm audisp-syslog: type=SOCKADDR msg=audit(…): saddr=…
 *   audit: type=1306 audit(1795641236.138:152733): saddr=…
 *   type=UNKNOWN[1306] msg=audit(…): saddr=…
 */

/** Record kinds the selection looks at; every other type is KIND_OTHER. */
export const KIND_OTHER = 0
export const KIND_SYSCALL = 1
export const KIND_SOCKADDR = 2
export const KIND_PROCTITLE = 3
export const KIND_EOE = 4
export const KIND_SOCKETCALL = 5
/** auditd's own records (DAEMON_START, …): numbered by auditd, not by the kernel. */
export const KIND_DAEMON = 6

/** scanHeader results. */
export const HEADER_OK = 1
/** No "type=" at all: a line from some other program. */
export const HEADER_FOREIGN = 0
/** "type=" found but the rest of the header is broken. */
export const HEADER_MALFORMED = -1

export class RecordHeader {
  kind = KIND_OTHER
  /** Record type as text is buf[typeStart, typeEnd); numeric when typeNumber > 0. */
  typeStart = 0
  typeEnd = 0
  typeNumber = 0
  sec = 0
  ms = 0
  serial = 0
  /** Node name position, -1 when the line has none. */
  nodeStart = -1
  nodeEnd = -1
  /** First byte of the fields, after "): ". */
  bodyStart = 0
}

const T = 0x74; const Y = 0x79; const P = 0x70; const E = 0x65; const EQ = 0x3d
const SPACE = 0x20; const COLON = 0x3a; const DOT = 0x2e; const LPAREN = 0x28; const RPAREN = 0x29
const ZERO = 0x30; const NINE = 0x39

function isTypeEq (buf: Buffer, i: number): boolean {
  return buf[i] === T && buf[i + 1] === Y && buf[i + 2] === P && buf[i + 3] === E && buf[i + 4] === EQ
}

function isNodeEq (buf: Buffer, i: number): boolean {
  return buf[i] === 0x6e && buf[i + 1] === 0x6f && buf[i + 2] === 0x64 && buf[i + 3] === 0x65 && buf[i + 4] === EQ
}

const NAME_SYSCALL = Buffer.from('SYSCALL')
const NAME_SOCKADDR = Buffer.from('SOCKADDR')
const NAME_PROCTITLE = Buffer.from('PROCTITLE')
const NAME_EOE = Buffer.from('EOE')
const NAME_SOCKETCALL = Buffer.from('SOCKETCALL')
const NAME_DAEMON_ = Buffer.from('DAEMON_')

function sameBytes (buf: Buffer, s: number, name: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (buf[s + i] !== name[i]) return false
  return true
}

/**
 * Kind of a textual record type, compared byte by byte (no string is made): the one name of its
 * length (or, from a "D", auditd's DAEMON_ prefix) that it may be, then one comparison. A single
 * comparison for all of them, rather than one per name, keeps a rare name (DAEMON_START, met once
 * per log file) from reaching a call the optimised code has never seen made, which would throw
 * that code away and have it compiled again.
 */
function kindOfName (buf: Buffer, s: number, e: number): number {
  let name: Buffer
  let kind: number
  if (e - s > 7 && buf[s] === 0x44) {
    name = NAME_DAEMON_
    kind = KIND_DAEMON
  } else {
    switch (e - s) {
      case 7: name = NAME_SYSCALL; kind = KIND_SYSCALL; break
      case 8: name = NAME_SOCKADDR; kind = KIND_SOCKADDR; break
      case 9: name = NAME_PROCTITLE; kind = KIND_PROCTITLE; break
      case 3: name = NAME_EOE; kind = KIND_EOE; break
      case 10: name = NAME_SOCKETCALL; kind = KIND_SOCKETCALL; break
      default: return KIND_OTHER
    }
  }
  return sameBytes(buf, s, name) ? kind : KIND_OTHER
}

function kindOfNumber (n: number): number {
  switch (n) {
    case 1300: return KIND_SYSCALL
    case 1306: return KIND_SOCKADDR
    case 1327: return KIND_PROCTITLE
    case 1320: return KIND_EOE
    case 1304: return KIND_SOCKETCALL
    default: return n >= 1200 && n <= 1299 ? KIND_DAEMON : KIND_OTHER
  }
}

/**
 * Finds "type=" at the line start, after "node=NAME ", or anywhere after a space or colon
 * (syslog and journal prefixes). Returns its offset or -1.
 */
function findType (buf: Buffer, start: number, end: number): number {
  if (isTypeEq(buf, start)) return start
  for (let i = start + 1; i + 5 <= end; i++) {
    if (buf[i] === T && isTypeEq(buf, i)) {
      const before = buf[i - 1]
      if (before === SPACE || before === COLON) return i
    }
  }
  return -1
}

/**
 * Parses the header of one audit record in buf[start, end) into h.
 * Returns HEADER_OK, HEADER_FOREIGN or HEADER_MALFORMED.
 */
export function scanHeader (buf: Buffer, start: number, end: number, h: RecordHeader): number {
  let t: number
  h.nodeStart = -1
  h.nodeEnd = -1
  if (isNodeEq(buf, start)) {
    const sp = buf.indexOf(SPACE, start + 5)
    if (sp < 0 || sp >= end) return HEADER_MALFORMED
    h.nodeStart = start + 5
    h.nodeEnd = sp
    t = isTypeEq(buf, sp + 1) ? sp + 1 : findType(buf, sp + 1, end)
  } else {
    t = findType(buf, start, end)
    // A prefix such as "audisp-syslog: node=web1 type=…": the token before "type=" names the node.
    if (t > start + 6 && buf[t - 1] === SPACE) {
      let k = t - 2
      while (k >= start && buf[k] !== SPACE) k--
      if (isNodeEq(buf, k + 1)) {
        h.nodeStart = k + 6
        h.nodeEnd = t - 1
      }
    }
  }
  if (t < 0) return HEADER_FOREIGN

  // Record type: a name, a number (kernel form), or UNKNOWN[number] (type auditd has no name for).
  let p = t + 5
  const ts = p
  while (p < end && buf[p] !== SPACE) p++
  const te = p
  if (te === ts) return HEADER_MALFORMED
  h.typeStart = ts
  h.typeEnd = te
  h.typeNumber = 0
  const c0 = buf[ts] as number
  if (c0 >= ZERO && c0 <= NINE) {
    h.typeNumber = parseDigits(buf, ts, te)
  } else if (c0 === 0x55 && te - ts > 9 && buf[ts + 7] === 0x5b && buf[te - 1] === 0x5d) { // UNKNOWN[n]
    h.typeNumber = parseDigits(buf, ts + 8, te - 1)
  }
  if (h.typeNumber < 0) return HEADER_MALFORMED
  h.kind = h.typeNumber > 0 ? kindOfNumber(h.typeNumber) : kindOfName(buf, ts, te)

  // " msg=audit(" in auditd's form, " audit(" in the kernel's.
  while (p < end && buf[p] === SPACE) p++
  if (buf[p] === 0x6d && buf[p + 1] === 0x73 && buf[p + 2] === 0x67 && buf[p + 3] === EQ) p += 4
  if (!(buf[p] === 0x61 && buf[p + 1] === 0x75 && buf[p + 2] === 0x64 && buf[p + 3] === 0x69 &&
        buf[p + 4] === T && buf[p + 5] === LPAREN)) return HEADER_MALFORMED
  p += 6

  // SECONDS.MILLIS:SERIAL) — parsed in place; limits keep every number an exact double.
  let sec = 0; let digits = 0
  for (; p < end; p++) {
    const c = buf[p] as number
    if (c < ZERO || c > NINE) break
    sec = sec * 10 + (c - ZERO)
    digits++
  }
  if (digits === 0 || digits > 12 || buf[p] !== DOT) return HEADER_MALFORMED
  p++
  let ms = 0; digits = 0
  for (; p < end; p++) {
    const c = buf[p] as number
    if (c < ZERO || c > NINE) break
    ms = ms * 10 + (c - ZERO)
    digits++
  }
  if (digits !== 3 || buf[p] !== COLON) return HEADER_MALFORMED
  p++
  let serial = 0; digits = 0
  for (; p < end; p++) {
    const c = buf[p] as number
    if (c < ZERO || c > NINE) break
    serial = serial * 10 + (c - ZERO)
    digits++
  }
  if (digits === 0 || digits > 15 || buf[p] !== RPAREN) return HEADER_MALFORMED
  p++
  // "): " normally; old auditd wrote some daemon records as "audit(…) text" without the colon.
  if (buf[p] === COLON) p++
  if (buf[p] === SPACE) p++
  h.sec = sec
  h.ms = ms
  h.serial = serial
  h.bodyStart = p > end ? end : p
  return HEADER_OK
}

/** Decimal digits in buf[s, e) as a number; -1 if any byte is not a digit or there are too many. */
function parseDigits (buf: Buffer, s: number, e: number): number {
  if (e <= s || e - s > 9) return -1
  let n = 0
  for (let i = s; i < e; i++) {
    const c = buf[i] as number
    if (c < ZERO || c > NINE) return -1
    n = n * 10 + (c - ZERO)
  }
  return n
}
