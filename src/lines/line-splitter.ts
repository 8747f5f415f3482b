/**
 * Stage 1: bytes → lines.
 * In: Buffer chunks from a file, pipe or socket. Out: one callback per line as (buffer, start, end),
 * with the trailing "\n" and any "\r" before it removed, so no string is made for lines the later
 * stages skip, and a DataView of that buffer for reading it in words. The view is made here, once
 * a chunk on a path every chunk takes: made in the header scan on the branch taken when the buffer
 * changed, it threw the scan's optimised code away at the second chunk (a path first taken after V8
 * has optimised a function does that). Hand-written instead of split2 for speed: split2 decodes
 * every chunk to a string first.
 */
import { viewOf } from './words.js'

/**
 * Receives one line: the bytes buf[start, end), and view, a DataView of all of buf. Both are only
 * valid during the call.
 */
export type LineHandler = (buf: Buffer, start: number, end: number, view: DataView) => void

const LF = 0x0a
const CR = 0x0d

export class LineSplitter {
  /** Lines dropped because they were longer than maxLength (each counted once). */
  overlong = 0
  readonly #onLine: LineHandler
  readonly #maxLength: number
  /** Start of a line whose end has not arrived yet (copied, since the chunk it came in is not ours). */
  #carry: Buffer | null = null
  /** True while discarding the rest of an overlong line up to its newline. */
  #skipping = false

  constructor (onLine: LineHandler, maxLength = 1 << 20) {
    this.#onLine = onLine
    this.#maxLength = maxLength
  }

  push (chunk: Buffer): void {
    const view = viewOf(chunk)
    let pos = 0
    const len = chunk.length
    if (this.#carry !== null || this.#skipping) {
      const nl = chunk.indexOf(LF)
      if (nl < 0) {
        this.#keepPartial(chunk, 0)
        return
      }
      if (this.#skipping) {
        this.#skipping = false
      } else {
        const carry = this.#carry as Buffer
        this.#carry = null
        const line = Buffer.concat([carry, chunk.subarray(0, nl)])
        this.#emit(line, 0, line.length, viewOf(line))
      }
      pos = nl + 1
    }
    // The common case: whole lines inside one chunk, found with the native memchr of indexOf.
    for (;;) {
      const nl = chunk.indexOf(LF, pos)
      if (nl < 0) break
      this.#emit(chunk, pos, nl, view)
      pos = nl + 1
    }
    if (pos < len) this.#keepPartial(chunk, pos)
  }

  /** End of input: an unterminated last line is still a line. */
  end (): void {
    const carry = this.#carry
    this.#carry = null
    this.#skipping = false
    if (carry !== null && carry.length > 0) this.#emit(carry, 0, carry.length, viewOf(carry))
  }

  /**
   * Input stopped before its end (a signal): the bytes of a line whose end was not read are not a
   * line, so they are dropped rather than handed on cut short. Returns how many bytes that was.
   */
  discard (): number {
    const n = this.#carry === null ? 0 : this.#carry.length
    this.#carry = null
    this.#skipping = false
    return n
  }

  #keepPartial (chunk: Buffer, from: number): void {
    if (this.#skipping) return
    const have = this.#carry === null ? 0 : this.#carry.length
    // One byte of slack: a CR that may end the line is not part of it.
    if (have + chunk.length - from > this.#maxLength + 1) {
      this.#carry = null
      this.#skipping = true
      this.overlong++
      return
    }
    const rest = chunk.subarray(from)
    this.#carry = this.#carry === null ? Buffer.from(rest) : Buffer.concat([this.#carry, rest])
  }

  /** Hands on one line without its CR, or counts it when it is longer than maxLength. */
  #emit (buf: Buffer, start: number, end: number, view: DataView): void {
    if (end > start && buf[end - 1] === CR) end--
    if (end - start > this.#maxLength) this.overlong++
    else this.#onLine(buf, start, end, view)
  }
}
