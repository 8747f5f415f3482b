/**
 * --forward against a real forward-protocol peer on loopback (test/helpers/forward-peer.ts, written
 * from the protocol specification, speaking what Fluentd's in_forward and Fluent Bit's forward input
 * speak): every event arrives with its tag, its audit time and its record intact; with --ack, a
 * peer that is stopped abruptly and restarted mid-stream still ends with every event.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, ROOT, exampleCopies, jsonLines, runCli } from '../helpers/filter.js'
import { ForwardPeer } from '../helpers/forward-peer.js'

const EXAMPLE = `${ROOT}examples/audit.log`

async function peer (where: { port: number } | { path: string }): Promise<{ p: ForwardPeer, port: number }> {
  const p = new ForwardPeer()
  const port = await p.start(where)
  return { p, port }
}

t.test('every event reaches a forward peer over TCP with its tag, audit time and record', async t => {
  const { p, port } = await peer({ port: 0 })
  t.teardown(() => p.stop())
  const entries = p.entries
  const native = jsonLines((await runCli([EXAMPLE])).stdout)
  const r = await runCli(['--forward', `127.0.0.1:${port}`, '--tag', 'audit.net', EXAMPLE])
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, '', 'nothing on stdout')
  t.equal(entries.length, native.length, `all ${native.length} events arrived`)
  t.same(entries.map(e => e.record), native, 'records intact and in order')
  t.ok(entries.every(e => e.tag === 'audit.net'), 'tag')
  t.ok(entries.every(e => typeof e.time === 'object'), 'every time is an EventTime (sub-second precision)')
  const wrongTimes = entries.filter(e => {
    const [sec, ms] = String(e.record['event_id']).split(/[.:]/).map(Number) as [number, number]
    return typeof e.time !== 'object' || e.time.sec !== sec || e.time.nsec !== ms * 1e6
  })
  t.same(wrongTimes, [], 'each EventTime is the audit event\'s own time')
})

t.test('a forward peer on a unix socket gets the ECS records', async t => {
  const path = `${mkdtempSync(`${tmpdir()}/netfilter-fwd-`)}/fluent.sock`
  const { p } = await peer({ path })
  t.teardown(() => p.stop())
  const entries = p.entries
  const ecs = jsonLines((await runCli(['--format', 'ecs', EXAMPLE])).stdout)
  const r = await runCli(['--format', 'ecs', '--forward', `unix:${path}`, EXAMPLE])
  t.equal(r.status, 0, r.stderr)
  t.same(entries.map(e => e.record), ecs)
  t.ok(entries.every(e => e.tag === 'netfilter'), 'default tag')
})

t.test('with --ack, a peer stopped and restarted mid-stream still ends with every event', async t => {
  const fluent = new ForwardPeer()
  const port = await fluent.start({ port: 0 })
  const input = Buffer.from(exampleCopies(60), 'latin1')
  const expected = jsonLines((await runCli([], input)).stdout).map(e => e.event_id)
  t.ok(expected.length > 2000, `${expected.length} events to deliver`)

  const child = spawn(process.execPath, [BIN, '--forward', `127.0.0.1:${port}`, '--ack', '--stats',
    '--forward-timeout', '30000', '--forward-max-pending', '200'])
  let stderr = ''
  child.stderr.on('data', d => { stderr += String(d) })
  child.stdin.on('error', () => {})
  const pieces = 40
  const size = Math.ceil(input.length / pieces)
  let beforeStop = 0
  for (let i = 0; i < pieces; i++) {
    child.stdin.write(input.subarray(i * size, (i + 1) * size))
    await new Promise(resolve => setTimeout(resolve, 25))
    // Stop the peer once it has taken events, and with a chunk of this piece's events received
    // but not acknowledged: the stop then really is mid-stream, and that chunk's ack lost for certain.
    if (i === 9) fluent.withholdAcks = true
    if (i === 10) {
      for (let wait = 0; (fluent.entries.length === 0 || fluent.unacked === 0) && wait < 200; wait++) await new Promise(resolve => setTimeout(resolve, 50))
      beforeStop = fluent.entries.length
      await fluent.stop()
      fluent.withholdAcks = false
    }
    if (i === 20) await fluent.start({ port })
  }
  child.stdin.end()
  const status = await new Promise(resolve => child.on('close', resolve))
  await fluent.stop()
  t.equal(status, 0, stderr)
  const got = fluent.entries.map(e => String(e.record['event_id']))
  const unique = new Set(got)
  t.same(expected.filter(id => !unique.has(id)), [], 'no event lost')
  t.ok(beforeStop > 0 && got.length > beforeStop, `events before the stop (${beforeStop}) and after the restart (${got.length - beforeStop})`)
  t.match(stderr, /retrying/, 'the outage was reported')
  t.comment(`duplicates (sent again after a lost ack): ${got.length - unique.size}`)
  const stats = JSON.parse(stderr.trim().split('\n').pop() as string) as { output: { delivered: number, retries: number } }
  t.equal(stats.output.delivered, expected.length, 'every event counted delivered once by netfilter')
  t.ok(fluent.unacked > 0, `the peer left ${fluent.unacked} chunks unacknowledged at its stop`)
  t.ok(stats.output.retries > 0, `retries counted (${stats.output.retries})`)
})

t.test('events the peer never takes are reported and make the exit status 1', async t => {
  // A port with nothing listening: connect is refused, retried until --forward-timeout.
  const { p, port } = await peer({ port: 0 })
  await p.stop()
  const r = await runCli(['--forward', `127.0.0.1:${port}`, '--forward-timeout', '500', EXAMPLE])
  t.equal(r.status, 1)
  t.match(r.stderr, /41 events not delivered/)
})

t.test('a bad --forward target exits 2 naming it', async t => {
  for (const target of ['localhost', 'host:0', 'host:99999', 'unix:']) {
    const r = await runCli(['--forward', target, EXAMPLE])
    t.equal(r.status, 2, target)
    t.match(r.stderr, target)
  }
})
