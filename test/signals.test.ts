/**
 * Signals as auditd, rsyslog, logrotate and operators send them: SIGHUP reopens --output after a
 * rotation (nothing lost, nothing written to the old file afterwards), SIGUSR1 prints the
 * statistics without stopping, SIGTERM mid-event completes and writes the pending event. And an
 * output that fails (a full disk) is reported with status 1, not silently.
 */
import t, { type Test } from 'tap'
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { gzipSync } from 'node:zlib'
import { BIN, ROOT, exampleCopies, jsonLines, runCli } from './helpers/filter.js'
import { ForwardPeer } from './helpers/forward-peer.js'

const EXAMPLE = `${ROOT}examples/audit.log`
const lines = readFileSync(EXAMPLE, 'utf8').split('\n').filter(l => l !== '')

/** Copy i of the example log, new events (exampleCopies). */
const batch = (i: number): string => exampleCopies(1, i)

async function until (what: string, check: () => boolean, ms = 10000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * Starts netfilter, collecting what it writes; a test that fails before it stops it still leaves no
 * process behind.
 */
function start (t: Test, args: string[]): { child: ChildProcessWithoutNullStreams, stdout: () => string, stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args])
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let out = ''
  let err = ''
  child.stdout.on('data', d => { out += String(d) })
  child.stderr.on('data', d => { err += String(d) })
  return { child, stdout: () => out, stderr: () => err }
}

/** A FIFO in a new directory, for one test. */
function mkfifo (name: string): string {
  const fifo = `${mkdtempSync(`${tmpdir()}/netfilter-${name}-`)}/audit.fifo`
  execFileSync('mkfifo', [fifo])
  return fifo
}

const count = (path: string): number => existsSync(path) ? jsonLines(readFileSync(path, 'utf8')).length : 0

t.test('SIGHUP after logrotate renamed --output: later events go to the new file, none lost', async t => {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-hup-`)
  const out = `${dir}/events.json`
  const { child, stderr } = start(t, ['--output', out, '--idle-timeout', '50'])
  child.stdin.write(batch(0))
  await until('the first batch in the file', () => count(out) === 41)
  renameSync(out, `${out}.1`) // what logrotate does before postrotate's kill -HUP
  child.kill('SIGHUP')
  await until('the new file', () => existsSync(out))
  child.stdin.write(batch(1))
  await until('the second batch in the new file', () => count(out) === 41)
  child.stdin.end()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(count(`${out}.1`), 41, 'the rotated file kept the first batch only')
  t.equal(count(out), 41, 'the new file has the second batch')
  const ids = [...jsonLines(readFileSync(`${out}.1`, 'utf8')), ...jsonLines(readFileSync(out, 'utf8'))].map(e => e.event_id)
  t.equal(new Set(ids).size, 82, 'every event once')
})

t.test('SIGUSR1 prints the statistics to stderr and netfilter goes on', async t => {
  const { child, stderr, stdout } = start(t, ['--idle-timeout', '50'])
  child.stdin.write(batch(0))
  await until('events on stdout', () => jsonLines(stdout()).length === 41)
  child.kill('SIGUSR1')
  await until('statistics on stderr', () => stderr().includes('"kept"'))
  const stats = JSON.parse(stderr().slice(stderr().indexOf('{'))) as { kept: number, lines: number }
  t.equal(stats.kept, 41)
  t.equal(stats.lines, lines.length)
  t.equal(child.exitCode, null, 'still running')
  child.stdin.write(batch(1))
  await until('more events after the signal', () => jsonLines(stdout()).length === 82)
  child.stdin.end()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0)
})

t.test('a FIFO named as the input: SIGUSR1 is answered while its writer is idle, and its end ends the run', async t => {
  // A regular file is read synchronously (src/pipeline.ts); a FIFO, or the /dev/fd/N of a shell's
  // <(…), may make a read wait for its writer, and the event loop, with the signal handlers, must
  // not wait with it.
  const fifo = mkfifo('fifo')
  const { child, stderr, stdout } = start(t, [fifo])
  const writer = await open(fifo, 'w') // opens once netfilter has opened the other end
  await writer.write(batch(0))
  await until('events on stdout', () => jsonLines(stdout()).length === 41)
  child.kill('SIGUSR1')
  await until('statistics on stderr while the FIFO is idle', () => stderr().includes('"kept"'), 3000)
  t.equal((JSON.parse(stderr().slice(stderr().indexOf('{'))) as { kept: number }).kept, 41)
  await writer.write(batch(1))
  await writer.close()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(jsonLines(stdout()).length, 82, 'both batches, the second written after the signal')
})

/** True once process pid holds path open: netfilter opens its input after installing its signal handlers. */
function holds (pid: number | undefined, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid ?? 0}/fd`).some(fd => {
      try {
        return readlinkSync(`/proc/${pid ?? 0}/fd/${fd}`) === path
      } catch {
        return false
      }
    })
  } catch {
    return false
  }
}

/**
 * A first event closed by its EOE, written at once: once it is out, the batch sent in the same write
 * has been read too. Then a batch without EOE and without its PROCTITLE records (which the kernel
 * writes last), so none of its 41 events is whole: they stay in flight until a timeout or a stop.
 */
function markerThenInFlight (): string {
  const marker = lines.slice(0, 3).map(l => l.replace(/:(\d+)\)/, ':1)')).join('\n') + '\ntype=EOE msg=audit(1795640829.922:1): \n'
  return marker + batch(0).split('\n').filter(l => !l.startsWith('type=PROCTITLE ')).join('\n')
}

t.test('SIGTERM while the writer of a FIFO named as the input is idle: the pending events are written, exit 0', async t => {
  // A read of a FIFO that waits for its writer cannot be cancelled in libuv's thread pool, and Node
  // cannot exit while one is under way: the FIFO is read as a stream of the event loop instead.
  const fifo = mkfifo('fifo-term')
  const dir = mkdtempSync(`${tmpdir()}/netfilter-fifo-term-out-`)
  const out = `${dir}/events.json`
  // No idle timeout: the events stay in flight until the signal.
  const { child, stderr } = start(t, ['--output', out, '--idle-timeout', '0', fifo])
  const writer = await open(fifo, 'w')
  t.teardown(async () => await writer.close())
  await writer.write(markerThenInFlight())
  await until('the marker event in the file', () => count(out) === 1)
  child.kill('SIGTERM')
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, `exits with the writer still open; ${stderr()}`)
  t.equal(count(out), 42, 'every pending event completed and written')
})

t.test('SIGTERM before any writer opened the FIFO named as the input: exit 0, nothing written', async t => {
  // Opening a FIFO for reading blocks until a writer comes; netfilter opens it without blocking,
  // so the signal is handled while it waits.
  const fifo = mkfifo('fifo-nowriter')
  const { child, stderr, stdout } = start(t, ['--stats', fifo])
  await until('netfilter holding the FIFO open', () => holds(child.pid, fifo))
  child.kill('SIGTERM')
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(stdout(), '', 'no output')
  t.match(stderr(), /"lines":0/, 'statistics of an empty input')
})

t.test('SIGTERM while stdin is a pipe whose writer never wrote: exit 0', async t => {
  // Before the first bytes (which say whether the input is gzip), the stop must not wait for them.
  // --confirm's first OK is written just before the input is first read: the signal then lands
  // while netfilter waits for those bytes, or just before.
  const dir = mkdtempSync(`${tmpdir()}/netfilter-silent-`)
  const { child, stderr, stdout } = start(t, ['--confirm', '--output', `${dir}/events.json`])
  await until('the first OK', () => stdout() === 'OK\n')
  child.kill('SIGTERM')
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, `exits with stdin still open; ${stderr()}`)
})

t.test('a FIFO named as the input is live: events that are never whole come out after the idle timeout, the writer still open', async t => {
  const fifo = mkfifo('fifo-live')
  const { child, stderr, stdout } = start(t, ['--idle-timeout', '50', fifo])
  const writer = await open(fifo, 'w')
  await writer.write(markerThenInFlight())
  await until('every event out while the writer is open', () => jsonLines(stdout()).length === 42)
  t.equal(child.exitCode, null, 'still reading')
  await writer.close()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(jsonLines(stdout()).length, 42, 'nothing more at the end')
})

t.test('gzip through a FIFO named as the input is decompressed', async t => {
  const fifo = mkfifo('fifo-gzip')
  const { child, stderr, stdout } = start(t, [fifo])
  const writer = await open(fifo, 'w')
  await writer.write(gzipSync(batch(0)))
  await writer.close()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(stdout(), (await runCli([], Buffer.from(batch(0)))).stdout, 'the same events as the plain text gives')
})

t.test('SIGTERM with events in flight and the reader still open: all are written, exit 0', async t => {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-term-`)
  const out = `${dir}/events.json`
  // No idle timeout: the events stay in flight until the signal.
  const { child, stderr } = start(t, ['--output', out, '--idle-timeout', '0'])
  child.stdin.write(markerThenInFlight())
  await until('the marker event in the file', () => count(out) === 1)
  child.kill('SIGTERM')
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(count(out), 42, 'every pending event completed and written')
})

t.test('a second SIGTERM while the stop waits for a forward peer does not cut it short: the peer comes back, every event arrives, exit 0', async t => {
  const fluent = new ForwardPeer()
  const port = await fluent.start({ port: 0 })
  await fluent.stop() // the port is known, the peer is down
  t.teardown(async () => await fluent.stop())
  const { child, stderr } = start(t, ['--forward', `127.0.0.1:${port}`, '--forward-timeout', '30000', '--idle-timeout', '50'])
  child.stdin.write(batch(0))
  await until('the peer reported down', () => /retrying/.test(stderr()))
  child.kill('SIGTERM')
  await new Promise(resolve => setTimeout(resolve, 200))
  child.kill('SIGTERM') // a supervisor's repeat, or an impatient operator
  await new Promise(resolve => setTimeout(resolve, 200))
  t.equal(child.exitCode ?? child.signalCode, null, 'still delivering after the second SIGTERM')
  await fluent.start({ port })
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  t.equal(new Set(fluent.entries.map(e => e.record['event_id'])).size, 41, 'every event delivered')
})

t.test('SIGTERM while a large file is read: reading stops, what was read is completed and written, exit 0', async t => {
  // A regular file is read in place (one reused buffer, read synchronously), not through a stream:
  // the signal must still stop the reading between reads and lose nothing that was read.
  const dir = mkdtempSync(`${tmpdir()}/netfilter-term-file-`)
  const file = `${dir}/audit.log`
  const copies = 2500 // ~90 MB: far more than is read before the signal lands
  const fd = openSync(file, 'w')
  for (let i = 1; i <= copies; i++) writeSync(fd, batch(i))
  closeSync(fd)
  const out = `${dir}/events.json`
  const { child, stderr } = start(t, ['--output', out, '--stats', file])
  await until('the first events in the file', () => count(out) > 0, 30000)
  child.kill('SIGTERM')
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0, stderr())
  const stats = JSON.parse(stderr().trim().split('\n').pop() as string) as { lines: number, kept: number, inflight: number }
  t.ok(stats.lines < copies * lines.length, `stopped early: ${stats.lines} of ${copies * lines.length} lines read`)
  t.equal(stats.inflight, 0, 'nothing left in flight')
  t.equal(count(out), stats.kept, 'every kept event of what was read is in the file')
  // The same lines read whole give the same events: the line the stop cut in two was not read as a
  // record cut short, and nothing read before it was lost.
  const read = readFileSync(file, 'latin1').split('\n').slice(0, stats.lines).join('\n') + '\n'
  const whole = await runCli(['--stats'], Buffer.from(read, 'latin1'))
  t.equal(count(out), jsonLines(whole.stdout).length, 'as many events as the lines read give when read on their own')
  t.same(readFileSync(out, 'utf8'), whole.stdout, 'and the same ones, byte for byte')
})

t.test('a full disk (--output /dev/full) is reported and exits 1', async t => {
  const r = await runCli(['--output', '/dev/full', EXAMPLE])
  t.equal(r.status, 1)
  t.match(r.stderr, /ENOSPC|no space/i)
})

t.test('an --output in a directory that does not exist is reported and exits 1', async t => {
  const r = await runCli(['--output', `${tmpdir()}/no-such-dir-netfilter/x.json`, EXAMPLE])
  t.equal(r.status, 1)
  t.match(r.stderr, /ENOENT/)
})
