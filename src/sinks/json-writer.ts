/**
 * Output bytes: JSON text written straight into a growing Buffer as UTF-8, for the lines of one
 * batch. Writing bytes avoids what building each line as a string costs in V8: dozens of small
 * string pieces per line, then flattening and encoding them again.
 *
 * The writer takes only what it can write exactly as JSON.stringify would: printable ASCII
 * strings without quote or backslash (str returns false for any other string, and the caller
 * starts the record over with text()), integers, and bytes prepared in advance (fragment).
 */

/**
 * Copies src[from, from + n) to dst[at…]. Runs of up to 16 bytes by a loop, which beats a call into
 * set() there; longer ones by set() (a memcpy). On the bench machine the loop costs about 3 ns a
 * byte and set() 30–45 ns whatever the length.
 */
function copyBytes (dst: Buffer, at: number, src: Buffer, from: number, n: number): void {
  if (n > 16) dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at)
  else for (let i = 0; i < n; i++) dst[at + i] = src[from + i] as number
}

/**
 * Writes the decimal digits of n (a non-negative safe integer) at buf[at…]; returns where they end.
 * For the writer's numbers and for texts made of numbers (network-event.ts's event ids).
 */
export function writeDecimal (buf: Uint8Array, at: number, n: number): number {
  let end = at + 1
  for (let x = n; x >= 10; x = Math.floor(x / 10)) end++
  for (let x = n, p = end; p > at; x = Math.floor(x / 10)) buf[--p] = 0x30 + (x % 10)
  return end
}

/**
 * Bytes written once and kept to be written again (JsonWriter.keepSince). Refilled in place: a new
 * typed array per copy meant a malloc'd backing store each time a run of fields changed, which cost
 * more than writing the fields.
 */
export class KeptBytes {
  // Buffers, like the writer's own and the fragments: the copy loops then see one kind of array.
  #store: Buffer
  /** The bytes kept, as a view of their own (copied out whole by kept()); null until filled. */
  view: Buffer | null = null

  constructor (size = 256) {
    this.#store = Buffer.allocUnsafe(size)
  }

  /** Keeps src[from, from + n) instead of what was kept before. */
  fill (src: Buffer, from: number, n: number): void {
    if (this.#store.length < n) this.#store = Buffer.allocUnsafe(Math.max(n, this.#store.length * 2))
    copyBytes(this.#store, 0, src, from, n)
    this.view = this.#store.subarray(0, n)
  }
}

/** Prepared bytes: a piece of JSON text that never changes (a key, punctuation), encoded once. */
export function fragment (text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

/**
 * 1 for the characters JSON.stringify writes as they are (printable ASCII but quote and backslash):
 * one load per character instead of four comparisons, about a quarter less time for str().
 */
const PLAIN = new Uint8Array(0x7f)
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1

export class JsonWriter {
  #buf: Buffer
  #pos = 0
  /** A buffer given back by recycle(), for the next take(). */
  #spare: Buffer | null = null

  constructor (initialSize = 1 << 16) {
    this.#buf = Buffer.allocUnsafe(initialSize)
  }

  /** Bytes written so far. */
  get length (): number {
    return this.#pos
  }

  /**
   * The bytes written so far. The writer starts a new buffer, so the caller may keep the returned
   * one (a stream holds it until written).
   */
  take (): Buffer {
    const out = this.#buf.subarray(0, this.#pos)
    const size = Math.max(1 << 16, Math.min(this.#buf.length, 1 << 22))
    const reused = this.#spare
    this.#spare = null
    this.#buf = reused !== null && reused.length >= size ? reused : Buffer.allocUnsafe(size)
    this.#pos = 0
    return out
  }

  /**
   * Gives back a buffer take() returned, once the output is done with it, for the next take() to
   * reuse: a batch per input chunk would otherwise be a fresh buffer each time, and the dead ones
   * wait for the garbage collector (MBs of resident memory on a large input).
   */
  recycle (taken: Buffer): void {
    // Only a buffer that is a whole allocation of its own (as take() hands out, 64 KiB and up, never
    // a slice of Node's shared pool) can be reused whole.
    if (this.#spare === null && taken.byteOffset === 0 && taken.buffer.byteLength >= 1 << 16) {
      this.#spare = Buffer.from(taken.buffer, 0, taken.buffer.byteLength)
    }
  }

  /**
   * Copies the bytes written since position into kept, to be written again by kept(). The copy is
   * kept's own: the writer's buffers are reused once written out.
   */
  keepSince (position: number, kept: KeptBytes): void {
    kept.fill(this.#buf, position, this.#pos - position)
  }

  /** Writes bytes kept by keepSince() again (kept must have been filled). */
  kept (k: KeptBytes): void {
    this.#copy(k.view as Buffer)
  }

  /** Forgets what was written after position (a record abandoned half way). */
  truncate (position: number): void {
    this.#pos = position
  }

  /** Room for n more bytes. */
  #room (n: number): Buffer {
    if (this.#pos + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n))
      this.#buf.copy(bigger, 0, 0, this.#pos)
      this.#buf = bigger
    }
    return this.#buf
  }

  /** Prepared bytes (fragment). */
  fragment (bytes: Buffer): void {
    this.#copy(bytes)
  }

  #copy (src: Buffer): void {
    const n = src.length
    copyBytes(this.#room(n), this.#pos, src, 0, n)
    this.#pos += n
  }

  /**
   * src[0, n) in quotes, as it is: for bytes the caller knows to be printable ASCII without quote or
   * backslash (a text it made itself from digits).
   */
  quoted (src: Buffer, n: number): void {
    const buf = this.#room(n + 2)
    let p = this.#pos
    buf[p++] = 0x22
    copyBytes(buf, p, src, 0, n)
    p += n
    buf[p++] = 0x22
    this.#pos = p
  }

  byte (b: number): void {
    this.#room(1)[this.#pos++] = b
  }

  /**
   * A string in quotes, when it is printable ASCII without quote or backslash: then JSON.stringify
   * writes it as it is. Returns false, having written nothing that counts, for any other string.
   */
  str (s: string): boolean {
    const n = s.length
    const buf = this.#room(n + 2)
    let p = this.#pos
    buf[p++] = 0x22
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c > 0x7e || PLAIN[c] === 0) return false
      buf[p++] = c
    }
    buf[p++] = 0x22
    this.#pos = p
    return true
  }

  /** A string, or null. */
  strOrNull (s: string | null): boolean {
    if (s === null) {
      this.fragment(NULL)
      return true
    }
    return this.str(s)
  }

  /** A number as JSON.stringify writes it: integers digit by digit, NaN and ±Infinity as null. */
  num (v: number): void {
    if (Number.isSafeInteger(v) && v >= 0) {
      if (v < 10) {
        this.byte(0x30 + v)
        return
      }
      this.#pos = writeDecimal(this.#room(16), this.#pos, v)
      return
    }
    this.text(Number.isFinite(v) ? String(v) : 'null')
  }

  numOrNull (v: number | null): void {
    if (v === null) this.fragment(NULL)
    else this.num(v)
  }

  /** Any text, encoded to UTF-8 as it is (JSON from JSON.stringify, or a number's digits). */
  text (s: string): void {
    const buf = this.#room(s.length * 3)
    this.#pos += buf.write(s, this.#pos)
  }
}

const NULL = fragment('null')
