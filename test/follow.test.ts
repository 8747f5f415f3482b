/**
 * --follow through the command (dist/bin.js), on real audit records (examples/audit.log, serials
 * moved so each batch is new events): appended lines are emitted while it runs; it starts at the end
 * (or at the start with --from-start); rotation as auditd does it and truncation as copytruncate
 * does it lose nothing; a file that appears later is read; and a restart with --state after SIGTERM
 * resumes with no loss and no duplicates. Nothing asserts a time: outcomes are awaited by bounded
 * polling.
 */
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, ROOT, jsonLines, runCli, runFilter } from './helpers/filter.js'

const lines = readFileSync(`${ROOT}examples/audit.log`, 'utf8').split('\n').filter(l => l !== '')

/** Lines of the example log with serials moved, so each batch is new events. */
function batch (i: number): string {
  return lines.map(l => l.replace(/:(\d+)\)/, (_m, s: string) => `:${Number(s) + i * 100000})`)).join('\n') + '\n'
}

/** The event ids netfilter gives for batches, as the filter core computes them. */
function expectedIds (...batches: number[]): string[] {
  return batches.flatMap(i => runFilter(batch(i)).events.map(e => e.event_id)).sort()
}
const PER_BATCH = expectedIds(0).length

async function until (what: string | (() => string), check: () => boolean, ms = 10000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > ms) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Fast polling and idle completion, so the tests wait little. */
const FAST = ['--poll-interval', '20', '--idle-timeout', '50']

/** What a test gives to clean up after itself, passed or failed. */
interface Teardown { teardown: (fn: () => void) => void }

class Netfilter {
  readonly child
  #stdout = ''
  #stderr = ''
  readonly #closed: Promise<number | null>

  constructor (t: Teardown, args: string[]) {
    this.child = spawn(process.execPath, [BIN, '--follow', ...FAST, ...args])
    // A failed test leaves no process running behind it.
    t.teardown(() => { if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL') })
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => { this.#stdout += d })
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => { this.#stderr += d })
    this.#closed = new Promise(resolve => this.child.on('close', status => resolve(status)))
  }

  /** The event ids written so far (complete lines only). */
  ids (): string[] {
    return jsonLines(this.#stdout.slice(0, this.#stdout.lastIndexOf('\n') + 1)).map(e => e.event_id)
  }

  get stderr (): string {
    return this.#stderr
  }

  async waitEvents (n: number): Promise<void> {
    await until(() => `${n} events (have ${this.ids().length}; stderr: ${this.#stderr})`, () => this.ids().length >= n)
  }

  /** SIGTERM, as systemd or Fluent Bit stops it; resolves to the exit status. */
  async stop (): Promise<number | null> {
    this.child.kill('SIGTERM')
    return await this.#closed
  }
}

/** Each id exactly once: the sorted lists are equal. */
const sorted = (ids: string[]): string[] => [...ids].sort()

function logDir (): string {
  return mkdtempSync(`${tmpdir()}/netfilter-follow-`)
}

interface SavedState { path: string, dev: number, ino: number, offset: number, saved_at: string }
const readState = (path: string): SavedState | null => existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as SavedState : null

t.test('starts at the end of the file: what was there is not emitted, lines appended while it runs are', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  const state = `${dir}/state.json`
  writeFileSync(log, batch(0))
  const nf = new Netfilter(t, ['--state', state, log])
  // The starting position is saved as soon as the file is open: then it is safe to append.
  await until('the starting position saved', () => readState(state) !== null)
  t.equal(readState(state)?.offset, statSync(log).size, 'the starting position is the end')
  appendFileSync(log, batch(1))
  await nf.waitEvents(PER_BATCH)
  appendFileSync(log, batch(2))
  await nf.waitEvents(2 * PER_BATCH)
  t.equal(await nf.stop(), 0, nf.stderr)
  t.same(sorted(nf.ids()), expectedIds(1, 2), 'the appended batches, each event once; none of the first')
})

t.test('--from-start reads the file from its start, then what is appended', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  writeFileSync(log, batch(0))
  const nf = new Netfilter(t, ['--from-start', log])
  await nf.waitEvents(PER_BATCH)
  appendFileSync(log, batch(1))
  await nf.waitEvents(2 * PER_BATCH)
  t.equal(await nf.stop(), 0, nf.stderr)
  t.same(sorted(nf.ids()), expectedIds(0, 1))
})

t.test('rotation as auditd does it: audit.log renamed to audit.log.1 and a new audit.log; nothing lost', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  writeFileSync(log, batch(0))
  const nf = new Netfilter(t, ['--from-start', '--stats', log])
  await nf.waitEvents(PER_BATCH)
  appendFileSync(log, batch(1)) // written to the old file just before the rename
  renameSync(log, `${log}.1`)
  writeFileSync(log, batch(2))
  appendFileSync(log, batch(3))
  await nf.waitEvents(4 * PER_BATCH)
  t.equal(await nf.stop(), 0, nf.stderr)
  t.same(sorted(nf.ids()), expectedIds(0, 1, 2, 3), 'every event of both files, once')
  const stats = JSON.parse(nf.stderr.trim().split('\n').at(-1) ?? '{}') as { follow?: { rotations: number } }
  t.equal(stats.follow?.rotations, 1, '--stats counts the rotation')
})

t.test('truncation as copytruncate does it: the file is read again from its start', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  writeFileSync(log, batch(0))
  const nf = new Netfilter(t, ['--from-start', log])
  await nf.waitEvents(PER_BATCH)
  copyFileSync(log, `${log}.1`)
  truncateSync(log, 0)
  await until('the truncation reported', () => /truncated/.test(nf.stderr))
  appendFileSync(log, batch(1))
  await nf.waitEvents(2 * PER_BATCH)
  t.equal(await nf.stop(), 0, nf.stderr)
  t.same(sorted(nf.ids()), expectedIds(0, 1))
})

t.test('a file that does not exist yet is waited for and read from its start', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  const nf = new Netfilter(t, [log])
  await until('the waiting reported', () => /does not exist/.test(nf.stderr))
  writeFileSync(log, batch(0))
  await nf.waitEvents(PER_BATCH)
  t.equal(await nf.stop(), 0, nf.stderr)
  t.same(sorted(nf.ids()), expectedIds(0))
})

/**
 * Batch i with its serials moved and its time 10 s later than batch i-1: reading a batch completes
 * the one before by the log's own clock (--event-timeout), even with no idle timeout. Without their
 * PROCTITLE records (which the kernel writes last) none of its events is whole before that, so each
 * batch stays in flight until the next is read.
 */
function laterBatch (i: number): string {
  return batch(i).split('\n').filter(l => !l.startsWith('type=PROCTITLE ')).join('\n')
    .replace(/audit\((\d+)\./g, (_m, sec: string) => `audit(${Number(sec) + i * 10}.`)
}
function laterIds (...batches: number[]): string[] {
  return batches.flatMap(i => runFilter(laterBatch(i)).events.map(e => e.event_id)).sort()
}
const holds = (ids: string[], wanted: string[]): boolean => { const have = new Set(ids); return wanted.every(id => have.has(id)) }

t.test('restart with --state: after SIGTERM with events in flight, after a rotation while down, after a crash', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  const state = `${dir}/state.json`
  const args = ['--from-start', '--state', state, log]
  writeFileSync(log, laterBatch(0))

  // No idle timeout: events complete only by the log clock, so after every chunk some are in flight
  // and no position is saved until the clean stop.
  const first = new Netfilter(t, [...args, '--idle-timeout', '0'])
  appendFileSync(log, laterBatch(1))
  await until('batch 0 completed by batch 1\'s clock', () => holds(first.ids(), laterIds(0)))
  const before = statSync(log).size
  appendFileSync(log, laterBatch(2))
  await until('batch 1 completed: batch 2 was read', () => holds(first.ids(), laterIds(1)))
  t.equal(await first.stop(), 0, first.stderr)
  const firstIds = new Set(first.ids())
  t.ok(laterIds(2).some(id => firstIds.has(id)), 'SIGTERM completed and wrote the events in flight (batch 2)')
  t.ok((readState(state)?.offset ?? 0) > before, 'and saved the final position, in batch 2')

  // While netfilter is down auditd goes on writing, and rotates.
  appendFileSync(log, laterBatch(3))
  renameSync(log, `${log}.1`)
  writeFileSync(log, laterBatch(4))

  const second = new Netfilter(t, args)
  await until('batches 3 and 4', () => holds(second.ids(), laterIds(3, 4)))
  t.notMatch(second.stderr, /no saved position|not valid/, 'the saved position was used')
  // Once every event is written (idle), the position is saved: a crash then loses and repeats nothing.
  const { ino, size } = statSync(log)
  await until('the position saved at a quiet moment', () => readState(state)?.ino === ino && readState(state)?.offset === size)
  const killed = new Promise(resolve => second.child.on('close', resolve))
  second.child.kill('SIGKILL')
  await killed

  const third = new Netfilter(t, args)
  appendFileSync(log, laterBatch(5))
  await until('batch 5', () => holds(third.ids(), laterIds(5)))
  t.equal(await third.stop(), 0, third.stderr)
  t.same(sorted([...first.ids(), ...second.ids(), ...third.ids()]), laterIds(0, 1, 2, 3, 4, 5), 'every event exactly once over the three runs')

  // A fourth run, with nothing new written, emits nothing and resumes where the third stopped.
  const fourth = new Netfilter(t, args)
  appendFileSync(log, laterBatch(6))
  await until('batch 6', () => holds(fourth.ids(), laterIds(6)))
  t.equal(await fourth.stop(), 0, fourth.stderr)
  t.same(sorted(fourth.ids()), laterIds(6), 'only the new batch')
})

t.test('after a crash (SIGKILL) with events in flight, a restart loses nothing (events may be emitted again)', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  const state = `${dir}/state.json`
  writeFileSync(log, laterBatch(0) + laterBatch(1))
  const first = new Netfilter(t, ['--from-start', '--state', state, log, '--idle-timeout', '0'])
  await until('batch 0 completed: batch 1 read, in flight', () => holds(first.ids(), laterIds(0)))
  // While batch 1 is in flight no position past its start may be saved: watched for a while (50
  // looks), never seen. A wrong save would come within milliseconds; a right run never makes one.
  let furthest = 0
  for (let look = 0; look < 50; look++) {
    furthest = Math.max(furthest, readState(state)?.offset ?? 0)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  t.ok(furthest <= Buffer.byteLength(laterBatch(0)), `no position saved inside or after batch 1 (furthest ${furthest})`)
  const killed = new Promise(resolve => first.child.on('close', resolve))
  first.child.kill('SIGKILL')
  await killed
  t.notOk(holds(first.ids(), laterIds(1)), 'batch 1 was still in flight')

  const second = new Netfilter(t, ['--state', state, log])
  await until('batch 1 after the restart', () => holds(second.ids(), laterIds(1)))
  t.equal(await second.stop(), 0, second.stderr)
  t.ok(holds([...first.ids(), ...second.ids()], laterIds(0, 1)), 'every event at least once')
  t.same(sorted([...new Set([...first.ids(), ...second.ids()])]), laterIds(0, 1), 'and nothing else')
})

t.test('a state file that is not JSON is reported and --from-start applies', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  const state = `${dir}/state.json`
  writeFileSync(log, batch(0))
  writeFileSync(state, '{"path": ')
  const nf = new Netfilter(t, ['--from-start', '--state', state, log])
  await nf.waitEvents(PER_BATCH)
  t.equal(await nf.stop(), 0)
  t.match(nf.stderr, /state\.json: not valid JSON.*starting at the start/)
  t.same(sorted(nf.ids()), expectedIds(0))
  t.equal(readState(state)?.offset, statSync(log).size, 'then replaced by a good position')
})

t.test('bad uses of --follow exit 2 with a message', async t => {
  const dir = logDir()
  const log = `${dir}/audit.log`
  writeFileSync(log, batch(0))
  const fifo = `${dir}/audit.fifo`
  execFileSync('mkfifo', [fifo])
  const cases: ReadonlyArray<readonly [string[], RegExp]> = [
    [['--follow'], /--follow: give exactly one FILE/],
    [['--follow', '-'], /--follow: give exactly one FILE/],
    [['--follow', log, log], /--follow: give exactly one FILE/],
    [['--follow', '--confirm', '--output', `${dir}/out.json`, log], /--follow and --confirm/],
    [['--from-start', log], /--from-start: only with --follow/],
    [['--state', `${dir}/s.json`, log], /--state: only with --follow/],
    [['--follow', '--poll-interval', '0', log], /--poll-interval/],
    [['--follow', '--state', `${dir}/no-such-dir/s.json`, log], /--state: cannot write .*no-such-dir.*ENOENT/],
    [['--follow', '--state', dir, log], /--state: .* is not a regular file/],
    [['--follow', dir], /cannot follow .*: a directory/],
    [['--follow', fifo], /cannot follow .*: not a regular file \(a named pipe is read as it comes without --follow\)/]
  ]
  for (const [args, message] of cases) {
    const r = await runCli(args)
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
    t.equal(r.stdout, '', 'nothing on stdout')
  }
})
