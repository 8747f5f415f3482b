/**
 * Output bytes: JSON text written straight into a growing Buffer, UTF-8 encoded, so an output line
 * is never a JavaScript string (no string pieces to join, flatten, encode and collect afterwards).
 * Strings are written exactly as JSON.stringify writes them and then encodes them to UTF-8: the
 * same escapes (\" \\ \b \f \n \r \t, \u00XX in lower case for the other control characters, \uXXXX
 * for a lone surrogate half), everything else as its UTF-8 bytes. test/sinks/json-writer.test.ts
 * compares the two on hostile strings.
 */

/** Escapes for the control characters JSON.stringify writes in short form; 0 = use \u00XX. */
const SHORT_ESCAPE = new Uint8Array(32)
SHORT_ESCAPE[0x08] = 0x62 // \b
SHORT_ESCAPE[0x09] = 0x74 // \t
SHORT_ESCAPE[0x0a] = 0x6e // \n
SHORT_ESCAPE[0x0c] = 0x66 // \f
SHORT_ESCAPE[0x0d] = 0x72 // \r
const HEX = Buffer.from('0123456789abcdef', 'latin1')

export class JsonWriter {
  #buf: Buffer
  #pos = 0

  constructor (initialSize = 1 << 16) {
    this.#buf = Buffer.allocUnsafe(initialSize)
  }

  get length (): number {
    return this.#pos
  }

  /**
   * The bytes written so far; the writer starts a new buffer, so the caller may keep the returned
   * one (a stream holds it until written).
   */
  take (): Buffer {
    const out = this.#buf.subarray(0, this.#pos)
    this.#buf = Buffer.allocUnsafe(Math.max(1 << 16, this.#buf.length))
    this.#pos = 0
    return out
  }

  /** Forgets the bytes written so far. */
  clear (): void {
    this.#pos = 0
  }

  /** Room for n more bytes. */
  #reserve (n: number): Buffer {
    if (this.#pos + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n))
      this.#buf.copy(bigger, 0, 0, this.#pos)
      this.#buf = bigger
    }
    return this.#buf
  }

  /** Text known to be plain ASCII that needs no escape: keys, punctuation, numbers, literals. */
  ascii (s: string): void {
    const n = s.length
    const buf = this.#reserve(n)
    let p = this.#pos
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i)
    this.#pos = p
  }

  /** A JavaScript string as a JSON string (quotes included), UTF-8 encoded. */
  string (s: string): void {
    const n = s.length
    // Worst case: every UTF-16 unit becomes a six-byte \uXXXX escape.
    const buf = this.#reserve(n * 6 + 2)
    let p = this.#pos
    buf[p++] = 0x22
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
          buf[p++] = c
        } else {
          buf[p++] = 0x5c
          if (c === 0x22 || c === 0x5c) {
            buf[p++] = c
          } else if (SHORT_ESCAPE[c] !== 0) {
            buf[p++] = SHORT_ESCAPE[c] as number
          } else {
            p = unicodeEscape(buf, p, c)
          }
        }
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6)
        buf[p++] = 0x80 | (c & 0x3f)
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[p++] = 0xe0 | (c >> 12)
        buf[p++] = 0x80 | ((c >> 6) & 0x3f)
        buf[p++] = 0x80 | (c & 0x3f)
      } else {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          // A surrogate pair: one code point above U+FFFF, four UTF-8 bytes.
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
          buf[p++] = 0xf0 | (cp >> 18)
          buf[p++] = 0x80 | ((cp >> 12) & 0x3f)
          buf[p++] = 0x80 | ((cp >> 6) & 0x3f)
          buf[p++] = 0x80 | (cp & 0x3f)
          i++
        } else {
          // A lone surrogate half: JSON.stringify writes it as an escape (well-formed JSON).
          buf[p++] = 0x5c
          p = unicodeEscape(buf, p, c)
        }
      }
    }
    buf[p++] = 0x22
    this.#pos = p
  }

  /** A string or null. */
  stringOrNull (s: string | null): void {
    if (s === null) this.ascii('null')
    else this.string(s)
  }

  /** A number as JSON.stringify writes it (NaN and ±Infinity as null). */
  number (n: number): void {
    this.ascii(Number.isFinite(n) ? String(n) : 'null')
  }

  numberOrNull (n: number | null): void {
    if (n === null) this.ascii('null')
    else this.number(n)
  }

  /** Text that is already JSON (from JSON.stringify), UTF-8 encoded. */
  json (text: string): void {
    const buf = this.#reserve(text.length * 3)
    this.#pos += buf.write(text, this.#pos, 'utf8')
  }
}

/** Writes "uXXXX" (the backslash is already written) in lower-case hex, as JSON.stringify does. */
function unicodeEscape (buf: Buffer, p: number, c: number): number {
  buf[p++] = 0x75
  buf[p++] = HEX[(c >> 12) & 0xf] as number
  buf[p++] = HEX[(c >> 8) & 0xf] as number
  buf[p++] = HEX[(c >> 4) & 0xf] as number
  buf[p++] = HEX[c & 0xf] as number
  return p
}
