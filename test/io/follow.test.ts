/**
 * The follower (src/io/follow.ts). Documented behaviour (module header, FileFollower): chunks of what
 * is appended, each ending at a line end, with the position (dev, inode, offset) after it; start at
 * the end (after the last complete line), at the start, or at a saved position; across rotation
 * (the old file read to its end first, then the new one from its start), truncation (read again
 * from 0, counted) and a missing file (waited for); stops when the signal aborts.
 * Lines are real audit records (examples/audit.log). Nothing here asserts a time: outcomes are
 * awaited by bounded polling.
 */
import t from 'tap'
import { appendFileSync, mkdtempSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { FileFollower, type FilePosition, type FollowChunk, type FollowStart } from '../../src/io/follow.js'
import { ROOT } from '../helpers/filter.js'

const LINES = readFileSync(`${ROOT}examples/audit.log`, 'utf8').split('\n').filter(l => l !== '').map(l => l + '\n')
/** Lines a..b (exclusive) of the example log, as one string. */
const lines = (a: number, b: number): string => LINES.slice(a, b).join('')

async function until (what: string, check: () => boolean, ms = 10000): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** A follower running in the background, collecting its chunks. */
class Following {
  readonly chunks: FollowChunk[] = []
  readonly warnings: string[] = []
  readonly follower: FileFollower
  readonly #abort = new AbortController()
  readonly #done: Promise<void>
  finished = false

  constructor (t: { teardown: (fn: () => Promise<void>) => void }, path: string, start: FollowStart, chunkBytes?: number) {
    // A failed test leaves no follower running behind it.
    t.teardown(async () => await this.stop())
    const follower = new FileFollower(path, {
      start,
      pollIntervalMs: 10,
      signal: this.#abort.signal,
      warn: m => this.warnings.push(m),
      ...(chunkBytes === undefined ? {} : { chunkBytes })
    })
    this.follower = follower
    this.#done = (async () => {
      for await (const c of follower.chunks()) this.chunks.push(c)
      this.finished = true
    })()
  }

  get text (): string {
    return Buffer.concat(this.chunks.map(c => c.data)).toString()
  }

  get position (): FilePosition | undefined {
    return this.chunks.at(-1)?.position
  }

  /** Waits until text holds exactly expected (fails at once if it grows past it or differs). */
  async waitText (expected: string): Promise<void> {
    await until(`${expected.length} bytes (have ${this.text.length})`, () => {
      const text = this.text
      if (text.length > expected.length || !expected.startsWith(text)) throw new Error(`unexpected text: ${JSON.stringify(text.slice(0, 200))}…`)
      return text === expected
    })
  }

  async stop (): Promise<void> {
    this.#abort.abort()
    await this.#done
  }
}

const base = mkdtempSync(`${tmpdir()}/netfilter-follow-`)
/** audit.log in a directory of its own. */
function logPath (): string {
  return `${mkdtempSync(`${base}/t-`)}/audit.log`
}
function identity (path: string): { dev: number, ino: number } {
  const st = statSync(path)
  return { dev: st.dev, ino: st.ino }
}

t.test('starting at the end: what was there is skipped, what is appended is read', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const f = new Following(t, path, 'end')
  await until('the starting position', () => f.position !== undefined)
  t.same(f.position, { ...identity(path), offset: Buffer.byteLength(lines(0, 10)) }, 'the first chunk gives the position: the end')
  t.equal(f.chunks[0]?.data.length, 0, 'the first chunk is empty')
  appendFileSync(path, lines(10, 20))
  await f.waitText(lines(10, 20))
  appendFileSync(path, lines(20, 30))
  await f.waitText(lines(10, 30))
  await f.stop()
  t.same(f.warnings, [])
})

t.test('starting at the start: the whole file, then what is appended', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 10))
  t.same(f.chunks[0], { data: Buffer.alloc(0), fileEnded: false, position: { ...identity(path), offset: 0 } }, 'the first position: the start')
  appendFileSync(path, lines(10, 12))
  await f.waitText(lines(0, 12))
  t.equal(f.text, lines(0, 12))
  await f.stop()
})

t.test('a partial line is read once complete, whole; a start at the end begins at the last line start', async t => {
  const path = logPath()
  const line = LINES[3] as string
  writeFileSync(path, lines(0, 3) + line.slice(0, 40)) // auditd in the middle of writing line 3
  const f = new Following(t, path, 'end')
  await until('the starting position', () => f.position !== undefined)
  t.equal(f.position?.offset, Buffer.byteLength(lines(0, 3)), 'begins after the last complete line')
  appendFileSync(path, line.slice(40, 60))
  appendFileSync(path, line.slice(60))
  await f.waitText(line)
  for (const c of f.chunks) if (c.data.length > 0) t.equal(c.data.at(-1), 0x0a, 'each chunk ends at a line end')
  await f.stop()
})

t.test('every chunk\'s position is the offset just after it; reads are bounded by chunkBytes', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, LINES.length))
  const f = new Following(t, path, 'start', 4096)
  await f.waitText(lines(0, LINES.length))
  let offset = 0
  for (const c of f.chunks) {
    t.ok(c.data.length <= 4096, 'at most chunkBytes')
    offset += c.data.length
    t.equal(c.position.offset, offset, 'position = bytes handed out so far')
  }
  t.ok(f.chunks.filter(c => c.data.length > 0).length > 1, 'the file came in several chunks')
  await f.stop()
})

t.test('a line longer than chunkBytes comes in pieces', async t => {
  const path = logPath()
  const long = LINES.find(l => l.length > 300) as string
  writeFileSync(path, long + (LINES[0] as string))
  const f = new Following(t, path, 'start', 128)
  await f.waitText(long + (LINES[0] as string))
  t.ok(f.chunks.every(c => c.data.length <= 128))
  t.ok(f.chunks.some(c => c.data.length > 0 && c.data.at(-1) !== 0x0a), 'pieces of the long line end mid-line')
  await f.stop()
})

t.test('rotation as auditd does it: lines written just before the rename are read, then the new file from its start', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 10))
  const old = identity(path)
  // Written and renamed at once: the follower has not seen these lines before the rename.
  appendFileSync(path, lines(10, 20))
  renameSync(path, `${path}.1`)
  writeFileSync(path, lines(20, 30))
  appendFileSync(path, lines(30, 40))
  await f.waitText(lines(0, 40))
  t.equal(f.follower.counters.rotations, 1)
  const ended = f.chunks.filter(c => c.fileEnded)
  t.equal(ended.length, 1, 'one file ended')
  t.same(ended[0]?.position, { ...old, offset: Buffer.byteLength(lines(0, 20)) }, 'the old file, at its end')
  t.same(f.position, { ...identity(path), offset: Buffer.byteLength(lines(20, 40)) }, 'now in the new file')
  await f.stop()
})

t.test('rotation with a window where the path names nothing (renamed, not yet created)', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 5))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 5))
  appendFileSync(path, lines(5, 10))
  renameSync(path, `${path}.1`)
  await until('the old file finished', () => f.chunks.some(c => c.fileEnded))
  writeFileSync(path, lines(10, 15))
  await f.waitText(lines(0, 15))
  t.equal(f.follower.counters.rotations, 1)
  await f.stop()
})

t.test('truncation (copytruncate): read again from the start, counted and reported', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 20))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 20))
  writeFileSync(`${path}.1`, readFileSync(path)) // logrotate's copy…
  truncateSync(path, 0) // …then truncate in place: same inode
  await until('the truncation seen', () => f.follower.counters.truncations === 1)
  appendFileSync(path, lines(20, 25))
  await f.waitText(lines(0, 25))
  t.equal(f.follower.counters.rotations, 0, 'not a rotation: the same file')
  t.match(f.warnings.join('\n'), /truncated/)
  t.same(f.position, { ...identity(path), offset: Buffer.byteLength(lines(20, 25)) })
  await f.stop()
})

t.test('a file that does not exist yet is waited for, then read from its start', async t => {
  const path = logPath()
  const f = new Following(t, path, 'end')
  await until('the warning', () => f.warnings.length > 0)
  t.match(f.warnings[0], /does not exist/)
  t.equal(f.chunks.length, 0, 'no position while there is no file')
  writeFileSync(path, lines(0, 10))
  await f.waitText(lines(0, 10))
  t.match(f.warnings.join('\n'), /appeared/)
  await f.stop()
})

t.test('a removed file is finished, and a file created later at the path is read from its start', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 5))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 5))
  renameSync(path, `${path}.moved`)
  await until('the missing file reported', () => f.warnings.some(w => /does not exist/.test(w)))
  writeFileSync(path, lines(5, 10))
  await f.waitText(lines(0, 10))
  await f.stop()
})

t.test('a file renamed away and back is read on from where it was, not again', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 5))
  const f = new Following(t, path, 'start')
  await f.waitText(lines(0, 5))
  renameSync(path, `${path}.moved`)
  await until('the file finished', () => f.chunks.some(c => c.fileEnded))
  renameSync(`${path}.moved`, path)
  appendFileSync(path, lines(5, 8))
  await f.waitText(lines(0, 8))
  t.equal(f.text, lines(0, 8))
  await f.stop()
})

t.test('resuming in the same file continues at the saved offset', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 20))
  const f = new Following(t, path, { ...identity(path), offset: Buffer.byteLength(lines(0, 7)) })
  await f.waitText(lines(7, 20))
  t.equal(f.text, lines(7, 20))
  await f.stop()
})

t.test('resuming in a file now shorter than the saved offset: truncated, read from its start', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 5))
  const f = new Following(t, path, { ...identity(path), offset: Buffer.byteLength(lines(0, 20)) })
  await f.waitText(lines(0, 5))
  t.equal(f.follower.counters.truncations, 1)
  await f.stop()
})

t.test('resuming after a rotation: the rest of PATH.1 from the saved offset, then PATH from its start', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const saved = { ...identity(path), offset: Buffer.byteLength(lines(0, 4)) }
  appendFileSync(path, lines(10, 12)) // written after the save, before the rotation
  renameSync(path, `${path}.1`)
  writeFileSync(path, lines(20, 30))
  const f = new Following(t, path, saved)
  await f.waitText(lines(4, 12) + lines(20, 30))
  t.same(f.chunks[0]?.position, saved, 'the first position is the saved one')
  t.equal(f.chunks.filter(c => c.fileEnded).length, 1)
  await f.stop()
})

t.test('resuming after two rotations: PATH.2 from the saved offset, PATH.1 whole, then PATH', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const saved = { ...identity(path), offset: Buffer.byteLength(lines(0, 3)) }
  renameSync(path, `${path}.2`)
  writeFileSync(`${path}.1`, lines(10, 20))
  writeFileSync(path, lines(20, 25))
  writeFileSync(`${path}.3`, lines(40, 50)) // older than the saved file: not read
  const f = new Following(t, path, saved)
  await f.waitText(lines(3, 25))
  t.equal(f.text, lines(3, 25))
  t.equal(f.chunks.filter(c => c.fileEnded).length, 2, 'two rotated files finished')
  await f.stop()
})

t.test('resuming when the saved file is gone: reported, and PATH is read from its start', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const saved = { ...identity(path), offset: 100 }
  renameSync(path, `${path}.moved`)
  writeFileSync(path, lines(10, 15))
  const f = new Following(t, path, saved)
  await f.waitText(lines(10, 15))
  t.match(f.warnings.join('\n'), /neither there nor at/)
  await f.stop()
})

t.test('aborting stops a follower that is waiting, and one whose consumer is busy', async t => {
  const path = logPath()
  writeFileSync(path, lines(0, 10))
  const idle = new Following(t, path, 'start')
  await idle.waitText(lines(0, 10))
  await idle.stop()
  t.ok(idle.finished)

  const abort = new AbortController()
  const follower = new FileFollower(path, { start: 'start', pollIntervalMs: 10, signal: abort.signal, chunkBytes: 64 })
  let chunks = 0
  for await (const c of follower.chunks()) {
    if (c.data.length > 0 && ++chunks === 2) abort.abort()
  }
  t.equal(chunks, 2, 'no chunk after the abort, though the file had more')
})
