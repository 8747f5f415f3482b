/**
 * The input edge: a file (or "-" for stdin) → its text lines, gunzipped when the bytes start with
 * the gzip magic (whatever the name says). In: a path or a readable stream. Out: an async iterable
 * of lines without their line ends, with 1-based numbers. The only I/O for reading in correlate.
 */
import { createReadStream } from 'node:fs'
import { Readable, pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import split2 from 'split2'

export interface NumberedLine { text: string, line: number }

/** Bytes of a stream, gunzipped when they start with 1f 8b (checked on the first chunk). */
async function * maybeGunzip (source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done === true) return
  const head = typeof first.value === 'string' ? Buffer.from(first.value) : first.value
  async function * rest (): AsyncGenerator<Buffer> {
    yield head
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value
    }
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    // Concatenated gzip members (zcat a.gz b.gz, rotated logs glued together) are all read.
    const gunzip = createGunzip()
    pipeline(Readable.from(rest()), gunzip, () => {})
    yield * gunzip
  } else {
    yield * rest()
  }
}

/** The lines of a file or of a stream ("-" means the given stdin). */
export async function * readLines (file: string, stdin: NodeJS.ReadableStream): AsyncGenerator<NumberedLine> {
  const source = file === '-' ? stdin : createReadStream(file)
  // split2 splits on \n; a CRLF file leaves \r, which the parsers strip.
  const lines = split2({ maxLength: 1 << 20 })
  // pipeline, not pipe: a read or gunzip error destroys `lines` with it, so the loop below throws.
  pipeline(Readable.from(maybeGunzip(source as AsyncIterable<Buffer>)), lines, () => {})
  let n = 0
  for await (const text of lines as AsyncIterable<string>) {
    n++
    yield { text, line: n }
  }
}
