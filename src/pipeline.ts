/**
 * The I/O edge: input files and stdin → NetFilter → JSON lines on stdout.
 * Opens each input in turn (gzip recognised by its magic bytes), passes chunks to the filter, waits
 * when the output pushes back, runs the idle timer on live input, and stops cleanly on a signal:
 * whatever was read is completed and written before run() resolves.
 */
import { createReadStream, fstatSync } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { addAbortSignal, type Readable, type Writable } from 'node:stream'
import { NetFilter, type FilterOptions, type Stats } from './filter.js'
import { JsonLinesSink } from './sinks/json-lines.js'

export interface RunOptions extends FilterOptions {
  files: string[]
  idleTimeoutMs: number
}

export interface RunIO {
  stdin: Readable & { fd?: number }
  stdout: Writable
  /** Aborting stops reading; what was read is still completed and written. */
  signal?: AbortSignal
}

export interface RunResult {
  stats: Stats
  /** The reader of stdout went away (EPIPE): not an error for a filter. */
  outputClosed: boolean
  /** A write error other than EPIPE. */
  outputError: Error | null
}

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

/** Waits for the first bytes of a stream and puts them back, so they can be looked at. */
async function peek (stream: Readable): Promise<Buffer | null> {
  return await new Promise((resolve, reject) => {
    const done = (chunk: Buffer | null): void => {
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('error', reject)
      if (chunk !== null) stream.unshift(chunk)
      resolve(chunk)
    }
    const onReadable = (): void => done(stream.read() as Buffer | null)
    const onEnd = (): void => done(null)
    stream.once('readable', onReadable)
    stream.once('end', onEnd)
    stream.once('error', reject)
  })
}

/** Reads of 1 MiB: fewer round trips through libuv's thread pool than the default 64 KiB. */
const READ_SIZE = 1 << 20

async function open (file: string, stdin: Readable & { fd?: number }): Promise<Readable> {
  let raw: Readable
  if (file !== '-') raw = createReadStream(file, { highWaterMark: READ_SIZE })
  else if (!isLive(stdin)) raw = createReadStream('', { fd: stdin.fd ?? 0, autoClose: false, highWaterMark: READ_SIZE })
  else raw = stdin
  const head = await peek(raw)
  if (head !== null && head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
    const gunzip = createGunzip()
    raw.on('error', (err: Error) => gunzip.destroy(err))
    return raw.pipe(gunzip)
  }
  return raw
}

/** stdin is live when it is a pipe, socket or terminal rather than a redirected file. */
function isLive (stdin: Readable & { fd?: number }): boolean {
  try {
    return !fstatSync(stdin.fd ?? 0).isFile()
  } catch {
    return true
  }
}

export async function run (opts: RunOptions, io: RunIO): Promise<RunResult> {
  const sink = new JsonLinesSink(io.stdout)
  const filter = new NetFilter(ev => sink.write(ev), opts)
  const signal = io.signal
  const aborted = (): boolean => signal?.aborted === true

  let timer: NodeJS.Timeout | null = null
  const idleMs = opts.idleTimeoutMs
  const sweep = (): void => {
    timer = null
    const next = filter.sweepIdle(Date.now(), idleMs)
    sink.flush()
    if (next >= 0) timer = setTimeout(sweep, Math.max(1, next - Date.now()))
  }

  for (const file of opts.files) {
    if (aborted() || sink.closed) break
    const live = idleMs > 0 && file === '-' && isLive(io.stdin)
    const source = await open(file, io.stdin)
    if (signal !== undefined) addAbortSignal(signal, source)
    try {
      for await (const chunk of source) {
        filter.push(chunk as Buffer, live ? Date.now() : 0)
        if (!sink.flush()) await sink.drain()
        if (sink.closed) break
        if (live && timer === null && filter.inflight > 0) timer = setTimeout(sweep, idleMs)
      }
    } catch (err) {
      if (!(aborted() && (err as Error).name === 'AbortError')) throw err
    } finally {
      if (file !== '-') source.destroy()
    }
    filter.endOfFile()
  }
  if (timer !== null) clearTimeout(timer)
  filter.end()
  await sink.end(false)
  return { stats: filter.stats(), outputClosed: sink.closed && sink.error === null, outputError: sink.error }
}
