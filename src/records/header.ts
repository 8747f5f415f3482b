/**
 * Stage 2a: line → record header, on the hot path.
 * In: the bytes of one line. Out: a reused RecordHeader holding the record kind, the event id
 * (seconds, milliseconds, serial), the node name position and where the fields start.
 * Reads bytes only; no string is made unless the line carries a node name. Lines as auditd writes
 * them take a fast path that reads the header four bytes at a time (scanHeader); every other
 * form, and anything that path does not take, goes through the general scan (scanAnyHeader).
 *
 * Accepted forms (anything may precede "type=", e.g. a syslog prefix):
 *   type=SYSCALL msg=audit(1795640802.866:80291): arch=…
 *   node=web1 type=SOCKADDR msg=audit(…): saddr=…
 *   Nov 25 21:08:21 vm audisp-syslog: type=SOCKADDR msg=audit(…): saddr=…
 *   audit: type=1306 audit(1795641236.138:152733): saddr=…
 *   type=UNKNOWN[1306] msg=audit(…): saddr=…
 */

import { viewOf, word } from '../lines/words.js'

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
const ZERO = 0x30; const NINE = 0x39; const E_UPPER = 0x45

function isTypeEq (buf: Uint8Array, i: number): boolean {
  return buf[i] === T && buf[i + 1] === Y && buf[i + 2] === P && buf[i + 3] === E && buf[i + 4] === EQ
}

function isNodeEq (buf: Uint8Array, i: number): boolean {
  return buf[i] === 0x6e && buf[i + 1] === 0x6f && buf[i + 2] === 0x64 && buf[i + 3] === 0x65 && buf[i + 4] === EQ
}

const NAME_SYSCALL = Buffer.from('SYSCALL')
const NAME_SOCKADDR = Buffer.from('SOCKADDR')
const NAME_PROCTITLE = Buffer.from('PROCTITLE')
const NAME_EOE = Buffer.from('EOE')
const NAME_SOCKETCALL = Buffer.from('SOCKETCALL')
const NAME_DAEMON_ = Buffer.from('DAEMON_')

function sameBytes (buf: Uint8Array, s: number, name: Uint8Array): boolean {
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
function kindOfName (buf: Uint8Array, s: number, e: number): number {
  let name: Uint8Array
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
function findType (buf: Uint8Array, start: number, end: number): number {
  if (start + 5 <= end && isTypeEq(buf, start)) return start
  for (let i = start + 1; i + 5 <= end; i++) {
    if (buf[i] === T && isTypeEq(buf, i)) {
      const before = buf[i - 1]
      if (before === SPACE || before === COLON) return i
    }
  }
  return -1
}

const W_TYPE = word('type'); const W_SYSC = word('SYSC'); const W_CALL = word('CALL'); const W_SOCK = word('SOCK')
const W_ADDR = word('ADDR'); const W_ETCA = word('ETCA'); const W_ALL_ = word('ALL '); const W_PROC = word('PROC')
const W_TITL = word('TITL'); const W_EOE_ = word('EOE '); const W__MSG = word(' msg'); const W_EAUD = word('=aud')
const W_DAEM = word('DAEM'); const W_MON_ = word('MON_'); const W_DIT_ = word('dit(')

/**
 * Four decimal digits in a word (its first byte the most significant digit), or -1 if any byte is
 * not a digit: every byte's high nibble must be 3, and stay 3 once 6 is added to the low one.
 */
function fourDigits (w: number): number {
  if ((w & 0xf0f0f0f0) >>> 0 !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) >>> 0 !== 0x30303030) return -1
  return (w & 15) * 1000 + (w >>> 8 & 15) * 100 + (w >>> 16 & 15) * 10 + (w >>> 24 & 15)
}

/**
 * Parses the header of one audit record in buf[start, end) into h. view is a DataView of all of
 * buf, made here when not given. Returns HEADER_OK, HEADER_FOREIGN or HEADER_MALFORMED.
 *
 * The header as auditd writes nearly every line of its log, "type=NAME msg=audit(SSSSSSSSSS.mmm:N): "
 * with a ten-digit seconds count (September 2001 to 2286), is read here in whole words where the
 * general scan reads byte by byte: on the bench corpus about 600 instructions a line instead of
 * 1,240, and the header is most of the work done for every line. Anything else (a node= or syslog
 * prefix, a numeric or UNKNOWN[…] type, another spacing or seconds count, a malformed id)
 * goes to the general scan, scanAnyHeader, before h is touched. The two must agree on every line
 * this path takes: test/records/header.test.ts holds them to it.
 */
export function scanHeader (buf: Uint8Array, start: number, end: number, h: RecordHeader,
  view?: DataView): number {
  if (start + 16 > end) return scanAnyHeader(buf, start, end, h)
  const dv = view ?? viewOf(buf)
  if (dv.getUint32(start, true) !== W_TYPE || buf[start + 4] !== EQ) return scanAnyHeader(buf, start, end, h)
  // The record type: the names the selection reads, compared as words; any other name, up to its space.
  const ts = start + 5
  const w = dv.getUint32(ts, true)
  let te: number
  let kind = KIND_OTHER
  if (w === W_SYSC && dv.getUint32(ts + 3, true) === W_CALL && buf[ts + 7] === SPACE) {
    te = ts + 7; kind = KIND_SYSCALL
  } else if (w === W_SOCK && dv.getUint32(ts + 4, true) === W_ADDR && buf[ts + 8] === SPACE) {
    te = ts + 8; kind = KIND_SOCKADDR
  } else if (w === W_PROC && dv.getUint32(ts + 4, true) === W_TITL && buf[ts + 8] === E_UPPER && buf[ts + 9] === SPACE) {
    te = ts + 9; kind = KIND_PROCTITLE
  } else if (w === W_EOE_) {
    te = ts + 3; kind = KIND_EOE
  } else if (w === W_SOCK && dv.getUint32(ts + 4, true) === W_ETCA && dv.getUint32(ts + 7, true) === W_ALL_) {
    te = ts + 10; kind = KIND_SOCKETCALL
  } else {
    // Any other name, up to its space; the kernel's numbered types, UNKNOWN[…] and an empty name go
    // to the general scan. DAEMON_… (auditd's own records, more than the prefix) is told without a
    // branch: one met only after V8 has optimised this (DAEMON_START begins each log file, so the
    // next file's) would throw the optimised code away, as any path first taken then does.
    if ((w & 0xff) <= NINE) return scanAnyHeader(buf, start, end, h)
    te = ts + 1
    while (te < end && buf[te] !== SPACE) te++
    if (buf[te - 1] === 0x5d) return scanAnyHeader(buf, start, end, h)
    const differs = (w ^ W_DAEM) | (dv.getUint32(ts + 3, true) ^ W_MON_)
    const daemon = ~(differs | -differs) >>> 31 // 1 when the name starts with "DAEMON_"
    const longer = (7 - (te - ts)) >>> 31 // 1 when it goes on after it
    kind = KIND_DAEMON * (daemon & longer)
  }
  // " msg=audit(", ten digits, ".", three digits, ":", a serial and ")": 28 bytes at least.
  const p = te + 11
  if (te + 28 > end || dv.getUint32(te, true) !== W__MSG || dv.getUint32(te + 4, true) !== W_EAUD ||
      dv.getUint32(te + 7, true) !== W_DIT_ || buf[p + 10] !== DOT) return scanAnyHeader(buf, start, end, h)
  // The seconds' last two digits and the milliseconds with the ":" after them, checked as the
  // words of fourDigits are.
  const high = fourDigits(dv.getUint32(p, true))
  const middle = fourDigits(dv.getUint32(p + 4, true))
  const low = dv.getUint16(p + 8, true)
  const millis = dv.getUint32(p + 11, true)
  if ((high | middle) < 0 || (low & 0xf0f0) !== 0x3030 || ((low + 0x0606) & 0xf0f0) !== 0x3030 ||
      (millis & 0xfff0f0f0) >>> 0 !== 0x3a303030 || ((millis + 0x060606) & 0xf0f0f0) !== 0x303030) {
    return scanAnyHeader(buf, start, end, h)
  }
  let q = p + 15
  let serial = 0
  for (; q < end; q++) {
    const c = buf[q] as number
    if (c < ZERO || c > NINE) break
    serial = serial * 10 + (c - ZERO)
  }
  if (q === p + 15 || q - (p + 15) > 15 || q >= end || buf[q] !== RPAREN) return scanAnyHeader(buf, start, end, h)
  q++
  if (q < end && buf[q] === COLON) q++
  if (q < end && buf[q] === SPACE) q++
  h.kind = kind
  h.typeStart = ts
  h.typeEnd = te
  h.typeNumber = 0
  h.nodeStart = -1
  h.nodeEnd = -1
  h.sec = (high * 10000 + middle) * 100 + (low & 15) * 10 + (low >>> 8 & 15)
  h.ms = (millis & 15) * 100 + (millis >>> 8 & 15) * 10 + (millis >>> 16 & 15)
  h.serial = serial
  h.bodyStart = q
  return HEADER_OK
}

/**
 * The general scan: every form above (node= and syslog prefixes, the kernel's numbered types,
 * UNKNOWN[…], any seconds count), byte by byte. Exported for the test that holds the fast path to it.
 */
export function scanAnyHeader (buf: Uint8Array, start: number, end: number, h: RecordHeader): number {
  let t: number
  h.nodeStart = -1
  h.nodeEnd = -1
  if (start + 5 <= end && isNodeEq(buf, start)) {
    const sp = buf.indexOf(SPACE, start + 5)
    if (sp < 0 || sp >= end) return HEADER_MALFORMED
    h.nodeStart = start + 5
    h.nodeEnd = sp
    t = findType(buf, sp + 1, end)
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
  // Bounded by end: bytes past it belong to the next line, or to nothing.
  if (digits === 0 || digits > 15 || p >= end || buf[p] !== RPAREN) return HEADER_MALFORMED
  p++
  // "): " normally; old auditd wrote some daemon records as "audit(…) text" without the colon.
  if (p < end && buf[p] === COLON) p++
  if (p < end && buf[p] === SPACE) p++
  h.sec = sec
  h.ms = ms
  h.serial = serial
  h.bodyStart = p > end ? end : p
  return HEADER_OK
}

/** Decimal digits in buf[s, e) as a number; -1 if any byte is not a digit or there are too many. */
function parseDigits (buf: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > 9) return -1
  let n = 0
  for (let i = s; i < e; i++) {
    const c = buf[i] as number
    if (c < ZERO || c > NINE) return -1
    n = n * 10 + (c - ZERO)
  }
  return n
}

/**
 * A record as `ausearch -i` prints it: msg=audit(11/25/26 21:07:09.922:95888), its fields already
 * interpreted (syscall names, decoded addresses, user names). netfilter does not read that form,
 * whose raw values are gone, but recognises it so the command can say what to run instead.
 * For lines the scan found malformed only: it makes a string.
 */
const INTERPRETED_STAMP = /msg=audit\(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4} \d{1,2}:\d\d:\d\d\.\d+:\d+\)/

export function isInterpretedRecord (buf: Buffer, start: number, end: number): boolean {
  return INTERPRETED_STAMP.test(buf.toString('latin1', start, end))
}
