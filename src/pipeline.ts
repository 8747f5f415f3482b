/**
 * The I/O edge: input files and stdin → NetFilter → a format → a sink (stdout, --output file or
 * --forward peer). Opens each input in turn (gzip recognised by its magic bytes), passes chunks to
 * the filter, waits when the output pushes back, runs the idle timer on live input, answers rsyslog's
 * omprog with OK per input line once it is durably handled (--confirm), follows one file as tail -F
 * does (--follow, saving the position in --state whenever nothing read is still pending), and stops
 * cleanly on a signal: whatever was read is completed and delivered before run() resolves.
 */
import { closeSync, constants as fsConstants, createReadStream, fstatSync, openSync, read, readSync, type Stats as FileStats } from 'node:fs'
import { Socket } from 'node:net'
import { promisify } from 'node:util'
import { Readable, addAbortSignal, type Writable } from 'node:stream'
import type { EventEmitter } from 'node:events'
import { NetFilter, type FilterOptions, type Stats } from './filter.js'
import { JsonLinesSink } from './sinks/json-lines.js'
import type { Sink } from './sinks/sink.js'
import type { NetworkEvent } from './events/network-event.js'
import { writeNativeJson } from './formats/native.js'
import type { JsonWriter } from './sinks/json-writer.js'
import { FileFollower, type FilePosition, type FollowCounters, type FollowStart } from './io/follow.js'
import { StateFile } from './io/follow-state.js'

/**
 * Milliseconds for the idle timeout: monotonic (a wall clock set back would hold events for as long
 * as it jumped), and never 0, which tells the filter the input is not live.
 */
const clock = (): number => Math.floor(performance.now()) + 1

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b
const NEWLINE = 0x0a

/**
 * Waits for the first bytes of a stream and puts them back, so they can be looked at. A signal ends
 * the wait with null, as an empty stream would: a stop must not wait for a writer that is silent.
 */
async function peek (stream: Readable, signal?: AbortSignal): Promise<Buffer | null> {
  return await new Promise((resolve, reject) => {
    const done = (chunk: Buffer | null): void => {
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('error', reject)
      signal?.removeEventListener('abort', onEnd)
      if (chunk !== null) stream.unshift(chunk)
      resolve(chunk)
    }
    const onReadable = (): void => done(stream.read() as Buffer | null)
    const onEnd = (): void => done(null)
    if (signal?.aborted === true) return onEnd()
    stream.once('readable', onReadable)
    stream.once('end', onEnd)
    stream.once('error', reject)
    signal?.addEventListener('abort', onEnd)
  })
}

/**
 * Reads of 256 KiB. A regular file is read on the main thread (readInPlace), where the kernel copies
 * each piece into a buffer this core has just read: the bench's 217 MB cost 0.12 s of system time
 * so, against 0.22–0.27 s in reads of 512 KiB through libuv's thread pool (which copies on the other
 * core and wakes two threads per read). Smaller reads cost no less system time and more per chunk
 * (the loop's turns, the line carried over); larger ones cost more system time again.
 */
const READ_SIZE = 1 << 18

const readAsync = promisify(read)

/** An input: its chunks, each valid only until the next is asked for, and how to let it go. */
interface Input {
  chunks: AsyncIterable<Buffer>
  close: () => void
  /** A pipe, socket or terminal: more may come at any time, so events also end on the idle timeout. */
  live: boolean
}

/**
 * Opens a file (or stdin) for reading once through. A regular file is read in place (readInPlace);
 * stdin that is a pipe, socket or terminal, and a named pipe (a FIFO, the /dev/fd/N of a shell's
 * <(…)), are read as streams (readStream); any other device is read ahead in two buffers
 * (readAhead); gzip, recognised by its magic bytes, is inflated.
 */
async function open (file: string, stdin: Readable & { fd?: number }, signal?: AbortSignal): Promise<Input> {
  if (file === '-' && isLive(stdin)) return await readStream(stdin, () => {}, signal)
  // O_NONBLOCK: opening a FIFO for reading otherwise waits, on the main thread, until some process
  // opens it for writing, and no signal could stop that wait. A regular file ignores the flag.
  const fd = file === '-' ? stdin.fd ?? 0 : openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  const type = fileType(fd)
  if (file !== '-' && type?.isFIFO() === true) {
    // Read through libuv's event loop, as stdin is, not by blocking reads in its thread pool: a
    // read there waits for the writer's next bytes, a signal cannot cancel it, and Node cannot even
    // exit until it returns. Until a first writer opens the FIFO the stream just waits (the kernel
    // reports no hang-up for a writer that never came); it ends when the last writer closes.
    const pipe = new Socket({ fd, readable: true, writable: false })
    return await readStream(pipe, () => pipe.destroy(), signal)
  }
  const close = file === '-' ? () => {} : () => closeSync(fd)
  const buf = Buffer.allocUnsafe(READ_SIZE)
  const n = await readChunk(fd, buf, signal)
  if (!isGzip(buf.subarray(0, n))) {
    const regular = type?.isFile() === true
    return { chunks: regular ? readInPlace(fd, buf, n, signal) : readAhead(fd, buf, n, signal), close, live: !regular }
  }
  // The bytes already read go first, then the rest of the file from where the read stopped.
  const rest = createReadStream('', { fd, autoClose: false, highWaterMark: READ_SIZE })
  const source = await gunzipped(Readable.from(prepend(Buffer.from(buf.subarray(0, n)), rest)))
  if (signal !== undefined) addAbortSignal(signal, source)
  // Destroying the stream closes fd (autoClose only says whether the end of the stream does).
  return { chunks: source, close: file === '-' ? () => {} : () => rest.destroy(), live: false }
}

/** A live stream's chunks, inflated if its first bytes are gzip's; a signal destroys it. */
async function readStream (stream: Readable, close: () => void, signal?: AbortSignal): Promise<Input> {
  const head = await peek(stream, signal)
  const source = isGzip(head) ? await gunzipped(stream) : stream
  if (signal !== undefined) addAbortSignal(signal, source)
  return { chunks: source, close, live: true }
}

const isGzip = (head: Buffer | null): boolean =>
  head !== null && head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1

/**
 * A gzip stream's inflated bytes. zlib is loaded only when an input is gzip, not by every start
 * (rsyslog's omprog restarts the command, and most inputs are not compressed): with node:v8 also
 * loaded only when used (bin.ts), a start takes ≈ 8 M fewer instructions, --version's and an empty
 * input's alike (cachegrind: 656 against 664 M, 682 against 690 M).
 */
async function gunzipped (raw: Readable): Promise<Readable> {
  const { createGunzip } = await import('node:zlib')
  const gunzip = createGunzip()
  raw.on('error', (err: Error) => gunzip.destroy(err))
  return raw.pipe(gunzip)
}

async function * prepend (head: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield head
  yield * rest
}

/** One read into buf, retried on EAGAIN (a non-blocking fd 0); returns the bytes read, 0 at end. */
async function readChunk (fd: number, buf: Buffer, signal?: AbortSignal): Promise<number> {
  for (;;) {
    if (signal?.aborted === true) return 0
    try {
      return (await readAsync(fd, buf, 0, buf.length, null)).bytesRead
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  }
}

/**
 * The chunks of a regular file, read one after another into one buffer. The filter is done with
 * a chunk before it asks for the next (the line splitter copies the partial line it keeps), so
 * nothing is allocated per read; a stream allocates a fresh buffer for each, and on a large file
 * the dead ones waiting for the garbage collector added tens of MB to the resident size. The reads
 * are synchronous (see READ_SIZE): a regular file answers at once, and the event loop is given one
 * turn between chunks, so that signals, timers and the output's write callbacks run. Without that
 * turn the callbacks of a synchronous stdout (a file, /dev/null) waited for the end of the input,
 * each keeping its batch of output alive: 155 MB peak instead of 73 on the bench.
 * Stops early, without an error, once the signal is aborted.
 */
async function * readInPlace (fd: number, first: Buffer, firstLength: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let n = firstLength
  while (n > 0) {
    yield first.subarray(0, n)
    await new Promise(resolve => setImmediate(resolve))
    if (signal?.aborted === true) return
    n = readSync(fd, first, 0, first.length, null)
  }
}

/**
 * The chunks of a device opened by its name (a terminal, a character device; pipes go to
 * readStream), read into two buffers in turn: while the filter works on one, the next read fills the
 * other. Not synchronously, as a regular file is: a read may wait as long as the device likes, and
 * the event loop, and with it the handling of signals, must not wait with it.
 */
async function * readAhead (fd: number, first: Buffer, firstLength: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let current = first
  let spare: Buffer = Buffer.allocUnsafe(first.length)
  let n = firstLength
  let next: Promise<number> | null = null
  try {
    while (n > 0) {
      next = readChunk(fd, spare, signal)
      yield current.subarray(0, n)
      n = await next
      next = null;
      [current, spare] = [spare, current]
    }
  } finally {
    // Stopped early: the read under way must end before its buffer and fd are let go.
    if (next !== null) await next.catch(() => 0)
  }
}

/**
 * fd's file type, or null when fstat refuses the fd. A FIFO and an anonymous pipe are one type to
 * fstat (isFIFO); anything but a regular file (isFile) is read as live input.
 */
function fileType (fd: number): FileStats | null {
  try {
    return fstatSync(fd)
  } catch {
    return null
  }
}

/** stdin is live when it is a pipe, socket or terminal rather than a redirected file. */
function isLive (stdin: Readable & { fd?: number }): boolean {
  return fileType(stdin.fd ?? 0)?.isFile() !== true
}

/**
 * Said once at the end when lines were read and none was an audit record (an empty input says
 * nothing): the output is then empty, and the wrong input (`ausearch -i`'s text, another program's
 * log) must not pass for a quiet host.
 */
function noRecordWarning (s: Stats, interpreted: number): string | null {
  if (s.records > 0 || s.malformed + s.foreign === 0) return null
  const one = s.lines === 1
  const none = one ? 'the one line read is not an audit record' : `none of the ${s.lines} lines read is an audit record`
  if (interpreted > 0) {
    const which = one ? 'it is a record' : `${interpreted} are records`
    return `${none} in auditd's raw form: ${which} as \`ausearch -i\` prints them, with their values interpreted, which netfilter does not read; use \`ausearch --raw\` instead`
  }
  if (s.malformed > 0) {
    const which = one ? 'it is' : `${s.malformed} are`
    return `${none}: ${which} broken or longer than --max-line-bytes (counted as malformed in --stats)`
  }
  return `${none} (type=… msg=audit(…): …): is this an audit log?`
}

export type Format = 'native' | 'ecs' | 'ocsf'

export interface RunOptions extends FilterOptions {
  files: string[]
  idleTimeoutMs: number
  format: Format
  /** Append JSON lines to this file instead of stdout. */
  output: string | null
  /** Send events to this forward-protocol peer instead (HOST:PORT or unix:PATH). */
  forward: string | null
  tag: string
  ack: boolean
  /** Events held for the forward peer before input is paused. */
  forwardMaxPending: number
  /** How long the end of input waits for the forward peer to take pending events. */
  forwardTimeoutMs: number
  /** rsyslog omprog confirmMessages: OK once ready, then one OK per input line once handled. */
  confirm: boolean
  /** Follow files[0] (tail -F) until the signal aborts, instead of reading the files once. */
  follow?: FollowSettings | null
}

export interface FollowSettings {
  /** Begin at the file's start rather than its end, when there is no saved position. */
  fromStart: boolean
  /** Where the read position is saved and resumed from (--state), or null. */
  statePath: string | null
  pollIntervalMs: number
}

export interface RunIO {
  stdin: Readable & { fd?: number }
  stdout: Writable
  /** Aborting stops reading; what was read is still completed and delivered. */
  signal?: AbortSignal
  /** 'reopen' reopens --output (SIGHUP); 'stats' asks for the statistics now (SIGUSR1). */
  control?: EventEmitter
  /** Where warnings and SIGUSR1 statistics go (stderr in the CLI). */
  warn?: (message: string) => void
}

export interface RunResult {
  stats: Stats & { output: Record<string, number>, follow?: FollowCounters }
  /** The reader of stdout went away (EPIPE): not an error for a filter. */
  outputClosed: boolean
  /** An output error (ENOSPC, undelivered events, …): the run failed. */
  outputError: Error | null
  /**
   * The first input that could not be read to its end (a truncated gzip file, EIO): the run failed,
   * but what was read of it and the inputs after it were still completed and written.
   */
  readError: Error | null
}

/**
 * The record shape for a format. ECS, OCSF and the forward client are loaded only when asked for:
 * every run pays for what it loads, and most runs (plugin, omprog, a pipe) use none of them.
 */
async function formatter (format: Format): Promise<(ev: NetworkEvent) => unknown> {
  switch (format) {
    case 'ecs': return (await import('./formats/ecs.js')).toEcsShared
    case 'ocsf': return (await import('./formats/ocsf.js')).toOcsf
    default: return ev => ev
  }
}

async function makeSink (opts: RunOptions, io: RunIO): Promise<Sink> {
  if (opts.forward !== null) {
    const { ForwardSink } = await import('./sinks/forward.js')
    return new ForwardSink({
      target: opts.forward,
      tag: opts.tag,
      ack: opts.ack,
      maxPending: opts.forwardMaxPending,
      endTimeoutMs: opts.forwardTimeoutMs,
      warn: io.warn ?? (() => {})
    })
  }
  // Native events are written by a serializer made for their shape (formats/native.ts): the same
  // bytes as JSON.stringify, faster.
  const encode = opts.format === 'native' ? (w: JsonWriter, r: unknown) => writeNativeJson(w, r as NetworkEvent) : undefined
  if (opts.output !== null) return JsonLinesSink.toFile(opts.output, encode)
  return new JsonLinesSink(io.stdout, encode)
}

export async function run (opts: RunOptions, io: RunIO): Promise<RunResult> {
  const sink = await makeSink(opts, io)
  const format = await formatter(opts.format)
  const filter = new NetFilter((ev, timeMs) => sink.write(format(ev), timeMs), opts)
  const signal = io.signal
  const aborted = (): boolean => signal?.aborted === true
  const failed = (): boolean => sink.closed || sink.error !== null
  let follower: FileFollower | null = null
  const stats = (): RunResult['stats'] => ({
    ...filter.stats(),
    output: sink.stats(),
    ...(follower === null ? {} : { follow: { ...follower.counters } })
  })

  const onReopen = (): void => sink.reopen()
  const onStats = (): void => io.warn?.(JSON.stringify(stats()))
  io.control?.on('reopen', onReopen)
  io.control?.on('stats', onStats)

  // omprog's confirmation protocol: "OK" alone on a line, once at start, then once per message.
  const confirm = opts.confirm ? (n: number): void => { if (n > 0) io.stdout.write('OK\n'.repeat(n)) } : null
  confirm?.(1)

  // --follow --state: a position is saved only when every event read before it is completed and
  // written — nothing in flight, no partial line held, the sink settled — so a restart from it loses
  // nothing. After a chunk that is rare (its last events wait for the idle timeout), so the idle
  // sweep that completes them saves too; a clean stop saves the final position.
  const follow = opts.follow ?? null
  const warn = io.warn ?? (() => {})
  const state = follow?.statePath != null ? new StateFile(follow.statePath, opts.files[0] ?? '', warn) : null
  let position: FilePosition | null = null
  let atLineEnd = true
  let saving: Promise<void> = Promise.resolve()
  const checkpoint = (): void => {
    const at = position
    if (state === null || at === null || !atLineEnd || filter.inflight > 0) return
    saving = saving.then(async () => {
      await sink.settled()
      if (!failed()) await state.save(at)
    })
  }

  // As cat does: an input that cannot be read to its end is reported at once and fails the run, and
  // the inputs after it are still read, so that nothing readable is lost for one bad file.
  let readError: Error | null = null
  const readFailed = (file: string, err: unknown): void => {
    const error = new Error(`${file === '-' ? 'standard input' : file}: ${(err as Error).message}`)
    readError ??= error
    warn(`read error: ${error.message}`)
  }

  let timer: NodeJS.Timeout | null = null
  const idleMs = opts.idleTimeoutMs
  const sweep = (): void => {
    timer = null
    const next = filter.sweepIdle(clock(), idleMs)
    sink.flush()
    if (next >= 0) timer = setTimeout(sweep, Math.max(1, next - clock()))
    else checkpoint()
  }

  /**
   * Hands the chunks of one input to the filter, its output to the sink. Its own function, not a
   * loop in run: V8 optimises a loop that turns often (one turn per chunk) together with the
   * function around it, and run's whole body took it ≈ 27 ms of compilation for nothing.
   */
  const feed = async (chunks: AsyncIterable<Buffer>, live: boolean): Promise<void> => {
    for await (const chunk of chunks) {
      const linesBefore = filter.linesRead
      filter.push(chunk, live ? clock() : 0)
      if (!sink.flush()) await sink.drain()
      if (confirm !== null) {
        // Confirm a line once every event completed so far is written (or acknowledged); the
        // line's own event may still be in flight: see docs/deploy.md on what a crash can lose.
        await sink.settled()
        if (failed()) return
        confirm(filter.linesRead - linesBefore)
      }
      if (failed()) return
      if (live && timer === null && filter.inflight > 0) timer = setTimeout(sweep, idleMs)
    }
  }

  try {
    if (follow !== null) {
      const file = opts.files[0] ?? '-'
      let start: FollowStart = follow.fromStart ? 'start' : 'end'
      if (state !== null) {
        const saved = await state.load()
        if (saved.position !== null) start = saved.position
        else warn(`--state ${follow.statePath ?? ''}: ${saved.problem}; starting at the ${start} of ${file}`)
      }
      follower = new FileFollower(file, { start, pollIntervalMs: follow.pollIntervalMs, signal, warn })
      // A followed file is live input: its events complete after the idle timeout too.
      const live = idleMs > 0
      for await (const chunk of follower.chunks()) {
        if (chunk.data.length > 0) {
          filter.push(chunk.data, live ? clock() : 0)
          if (!sink.flush()) await sink.drain()
          if (failed()) break
          if (live && timer === null && filter.inflight > 0) timer = setTimeout(sweep, idleMs)
          atLineEnd = chunk.data[chunk.data.length - 1] === NEWLINE
        }
        if (chunk.fileEnded) {
          filter.endOfFile()
          atLineEnd = true
        }
        position = chunk.position
        checkpoint()
      }
    } else {
      for (const file of opts.files) {
        if (aborted() || failed()) break
        let input: Input
        try {
          input = await open(file, io.stdin, signal)
        } catch (err) {
          readFailed(file, err)
          continue
        }
        let broken = false
        try {
          await feed(input.chunks, idleMs > 0 && input.live)
        } catch (err) {
          if (!(aborted() && (err as Error).name === 'AbortError')) {
            readFailed(file, err)
            broken = true
          }
        } finally {
          input.close()
        }
        const linesBefore = filter.linesRead
        // A read error cut the input short: its last partial line was never read whole, so it is
        // dropped, not read as a record cut short. Stopped by a signal, it is dropped below.
        if (broken) filter.dropPartialLine()
        else if (!aborted()) filter.endOfFile()
        if (confirm !== null && filter.linesRead > linesBefore) {
          sink.flush()
          await sink.settled()
          if (!failed()) confirm(filter.linesRead - linesBefore)
        }
      }
    }
  } finally {
    if (timer !== null) clearTimeout(timer)
    io.control?.off('reopen', onReopen)
    io.control?.off('stats', onStats)
  }
  // Stopped by a signal, the input did not end: a line the stop cut in two (or, when following, one
  // still being written) is not a record. It is not read cut short; with --state it is read whole
  // after a restart, from a position saved at a line's end.
  if (aborted()) filter.dropPartialLine()
  filter.end()
  const unread = noRecordWarning(filter.stats(), filter.interpretedLines)
  if (unread !== null) warn(unread)
  await sink.end()
  // A clean stop: everything read has been completed and written, so the last position is exact.
  if (state !== null && position !== null && !failed()) await state.close(position)
  return { stats: stats(), outputClosed: sink.closed && sink.error === null, outputError: sink.error, readError }
}
