/**
 * Faults around netfilter, made for real: an output filesystem that fills up (a 64 KiB tmpfs), a
 * reader of stdout far slower than the input (memory must stay bounded: backpressure, not
 * buffering), and a stdin that stalls mid-stream (pending events still come out). Figures are
 * reported in the test log for docs/reliability.md.
 */
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, exampleCopies as copies, jsonLines, runCli, skipLoudly } from './helpers/filter.js'

function rssKiB (pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

t.test('an output filesystem that fills up: reported, status 1, and the events written are whole', async t => {
  if (process.getuid?.() !== 0) {
    skipLoudly(t, 'mounting a tmpfs needs root (CI runs as root); the /dev/full test in signals.test.ts covers ENOSPC without it')
    return
  }
  const dir = mkdtempSync(`${tmpdir()}/netfilter-full-`)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir])
  t.teardown(() => {
    execFileSync('umount', [dir])
    rmdirSync(dir)
  })
  const input = copies(40) // 1640 events, ~1 MB of JSON: far more than 64 KiB
  const r = await runCli(['--output', `${dir}/events.json`, '--stats'], input)
  t.equal(r.status, 1, 'exit status 1')
  t.match(r.stderr, /ENOSPC|no space/i, 'the error is named')
  const text = readFileSync(`${dir}/events.json`, 'utf8')
  const complete = text.slice(0, text.lastIndexOf('\n') + 1)
  const written = jsonLines(complete)
  t.ok(written.length > 0 && written.length < 1640, `${written.length} of 1640 events fit`)
  t.comment(`full disk: 1640 events in, ${written.length} written whole before ENOSPC, reported with status 1`)
})

t.test('a reader far slower than the input: memory stays bounded (backpressure, not buffering)', async t => {
  const input = copies(600) // ~10 MB of audit records, ~25k events, ~20 MB of JSON
  const child = spawn(process.execPath, [BIN, '--idle-timeout', '0'])
  child.stdin.on('error', () => {})
  child.stdout.pause() // nobody reads for now
  let peak = 0
  const sampler = setInterval(() => { peak = Math.max(peak, rssKiB(child.pid as number)) }, 20)
  const writing = new Promise<void>(resolve => child.stdin.end(input, resolve))
  // Give it time to fill every buffer between us and it while nobody reads.
  await new Promise(resolve => setTimeout(resolve, 1500))
  const stalledPeak = peak
  let out = 0
  child.stdout.on('data', (d: Buffer) => { out += d.length })
  child.stdout.resume()
  await writing
  const status = await new Promise(resolve => child.on('close', resolve))
  clearInterval(sampler)
  t.equal(status, 0)
  t.ok(out > 10_000_000, `all output arrived once read (${(out / 1e6).toFixed(1)} MB)`)
  t.ok(stalledPeak < 150 * 1024, `peak RSS while the reader stalled: ${(stalledPeak / 1024).toFixed(0)} MB`)
  t.ok(peak < 200 * 1024, `peak RSS overall: ${(peak / 1024).toFixed(0)} MB for ${(input.length / 1e6).toFixed(0)} MB of input`)
})

t.test('stdin that stalls mid-stream: the pending events come out, and it goes on when input resumes', async t => {
  const child = spawn(process.execPath, [BIN, '--idle-timeout', '200'])
  let stdout = ''
  child.stdout.on('data', d => { stdout += String(d) })
  const first = copies(1)
  // Cut in the middle of an event's records, then stall.
  const cut = first.indexOf('\n', first.length / 2) + 1
  child.stdin.write(first.slice(0, cut))
  for (let i = 0; i < 300 && jsonLines(stdout).length === 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
  const duringStall = jsonLines(stdout).length
  t.ok(duringStall > 0, `events completed while stdin stalled: ${duringStall}`)
  child.stdin.end(first.slice(cut) + copies(1, 1))
  await new Promise(resolve => child.on('close', resolve))
  const all = jsonLines(stdout)
  t.ok(all.length >= 82, `both copies came out after the stall (${all.length} events; the event cut in two comes out as two parts)`)
  t.equal(new Set(all.map(e => `${e.event_id}|${String(e.syscall)}`)).size, all.length, 'nothing emitted twice')
})
