/**
 * Sink: output records → JSON lines on a Writable (stdout or a file).
 * In: one object per kept event. Out: batched writes, one per input chunk rather than one per
 * event, with the Writable's backpressure passed back to the caller. A reader that goes away
 * (EPIPE, e.g. `netfilter … | head`) marks the sink closed instead of throwing.
 */
import type { Writable } from 'node:stream'

export class JsonLinesSink {
  /** True once the destination refused more data (EPIPE or closed). */
  closed = false
  /** First write error other than a closed reader, e.g. ENOSPC. */
  error: Error | null = null
  written = 0
  readonly #out: Writable
  #batch = ''

  constructor (out: Writable) {
    this.#out = out
    out.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = true
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED' && this.error === null) this.error = err
    })
  }

  write (record: unknown): void {
    this.#batch += JSON.stringify(record) + '\n'
    this.written++
  }

  /** Hands the batch to the Writable. Returns false when the caller should wait for drain(). */
  flush (): boolean {
    if (this.#batch.length === 0 || this.closed) {
      this.#batch = ''
      return !this.closed
    }
    const batch = this.#batch
    this.#batch = ''
    return this.#out.write(batch)
  }

  /** Resolves when the Writable wants more data again (or has failed). */
  async drain (): Promise<void> {
    const out = this.#out
    if (this.closed || !out.writableNeedDrain) return
    await new Promise<void>(resolve => {
      const done = (): void => {
        out.off('drain', done)
        out.off('close', done)
        out.off('error', done)
        resolve()
      }
      out.on('drain', done)
      out.on('close', done)
      out.on('error', done)
    })
  }

  /** Flushes, then ends the Writable (unless it is stdout, which Node must keep open). */
  async end (endStream: boolean): Promise<void> {
    this.flush()
    if (this.closed) return
    if (endStream) {
      await new Promise<void>(resolve => this.#out.end(resolve))
    } else if (this.#out.writableNeedDrain) {
      await this.drain()
    }
  }
}
