/**
 * The I/O edge in process (src/pipeline.ts): a regular file read through, chunk by chunk, into a
 * stdout that writes synchronously and calls back later, as Node's stdout does for a file or
 * /dev/null.
 */
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Readable, Writable } from 'node:stream'
import { run, type RunOptions } from '../src/pipeline.js'
import { DEFAULT_FILTER_OPTIONS } from '../src/filter.js'
import { exampleCopies, runFilter } from './helpers/filter.js'

function options (file: string): RunOptions {
  return {
    ...DEFAULT_FILTER_OPTIONS,
    files: [file],
    idleTimeoutMs: 0,
    format: 'native',
    output: null,
    forward: null,
    tag: 'netfilter',
    ack: false,
    forwardMaxPending: 1000,
    forwardTimeoutMs: 1000,
    confirm: false,
    follow: null
  }
}

/**
 * A stdout like Node's for a file: each write is done at once and its callback comes on a later
 * tick. Counts the writes whose callback has not come yet, and the most there ever were.
 */
class SyncStdout extends Writable {
  readonly chunks: Buffer[] = []
  outstanding = 0
  mostOutstanding = 0
  onChunk: (() => void) | null = null

  override _write (chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk))
    this.onChunk?.()
    done() // at once: Writable defers the writer's callback to the next tick, as for a real file
  }

  override write (chunk: unknown, cb?: unknown): boolean {
    this.outstanding++
    this.mostOutstanding = Math.max(this.mostOutstanding, this.outstanding)
    return super.write(chunk, (err?: Error | null) => {
      this.outstanding--
      if (typeof cb === 'function') (cb as (err?: Error | null) => void)(err)
    })
  }

  text (): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

/** The JSON lines the filter core gives for text: what the command must write. */
function jsonText (text: string): string {
  return runFilter(text).events.map(ev => JSON.stringify(ev)).join('\n') + '\n'
}

function inputFile (t: Test, text: string): string {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-pipeline-`)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = `${dir}/audit.log`
  writeFileSync(file, text, 'latin1')
  return file
}

t.test('a file read through: each batch of output is called back before the next chunk is read, and every event comes out', async t => {
  const text = exampleCopies(80) // ≈ 2.2 MB: several reads
  const stdout = new SyncStdout()
  const result = await run(options(inputFile(t, text)), { stdin: Readable.from([]), stdout })
  const expected = jsonText(text)
  t.ok(stdout.chunks.length >= 5, `the output came in one batch per chunk read (${stdout.chunks.length} batches)`)
  t.equal(stdout.text(), expected, 'the same events, in the same order, as the filter core gives')
  // Were the reads not to give the event loop a turn, every callback would wait for the end of the
  // input, each holding its batch of output (155 MB peak instead of 73 on the bench corpus).
  t.ok(stdout.mostOutstanding <= 2, `at most two writes awaited their callback at once (${stdout.mostOutstanding})`)
  t.equal(result.stats.inflight, 0)
  t.equal(result.outputError, null)
})

t.test('a file read through stops between chunks once the signal is aborted, and delivers every event of the lines it read', async t => {
  const text = exampleCopies(80)
  const stdout = new SyncStdout()
  const stop = new AbortController()
  stdout.onChunk = () => stop.abort()
  const result = await run(options(inputFile(t, text)), { stdin: Readable.from([]), stdout, signal: stop.signal })
  const total = text.split('\n').length - 1
  const lines = result.stats.lines
  t.ok(lines > 0 && lines < total, `stopped early: ${lines} of ${total} lines read`)
  // The lines read, whole: the events they make, completed at the stop, are the ones written.
  const read = text.split('\n').slice(0, lines).join('\n') + '\n'
  const expected = jsonText(read)
  t.equal(stdout.text(), expected, 'every event of the lines read came out, and no other')
  t.equal(result.stats.inflight, 0)
})
