/**
 * The native format's hand-written serializer (src/formats/native.ts, writing through
 * src/sinks/json-writer.ts) must give exactly what JSON.stringify gives, encoded as UTF-8, for any
 * event: every field shape (the real captures, every address family, decode errors, several keys,
 * socketcall, transport hints, ENRICHED names), and hostile strings in every string field (quotes,
 * backslashes, every control character, lone and paired surrogate halves, astral characters).
 */
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { writeNativeJson } from '../../src/formats/native.js'
import { JsonWriter } from '../../src/sinks/json-writer.js'
import type { NetworkEvent } from '../../src/events/network-event.js'
import { NetFilter } from '../../src/filter.js'
import { ROOT, readShared, runFilter, skipLoudly } from '../helpers/filter.js'

/** The bytes the sink writes for these events, one line each. */
function written (events: readonly NetworkEvent[]): Buffer {
  const w = new JsonWriter(8)
  for (const ev of events) {
    writeNativeJson(w, ev)
    w.byte(0x0a)
  }
  return w.take()
}

/** The bytes JSON.stringify gives for them, one line each. */
function expected (events: readonly NetworkEvent[]): Buffer {
  return Buffer.from(events.map(ev => JSON.stringify(ev) + '\n').join(''), 'utf8')
}

function sameBytes (t: Test, events: readonly NetworkEvent[], what: string): void {
  const got = written(events)
  const want = expected(events)
  if (got.equals(want)) {
    t.pass(`${what}: ${events.length} events, ${got.length} bytes identical`)
    return
  }
  const lines = got.toString('utf8').split('\n')
  const wantLines = want.toString('utf8').split('\n')
  const i = lines.findIndex((l, k) => l !== wantLines[k])
  t.equal(lines[i], wantLines[i], `${what}: first differing line ${i}`)
}

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map(c => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom('"', '\\', '\\"', '\u0000', '\u0008\u0009\u000a\u000c\u000d', '\u001d', '\u001f', '\u001b[31m',
    '\u007f', '\u0080\u00ff', '\u2028\u2029', '\ud800', '\udfff', 'a\ud83d', '\ude00b', '\ud83d\ude00', '</script>', '')
)

const example = runFilter(readFileSync(`${ROOT}examples/audit.log`)).events

t.test('the real captures serialize to the bytes JSON.stringify gives', async t => {
  let any = false
  for (const name of ['x86_64-enriched-auditd', 'x86_64-raw-plugin-stream']) {
    const data = readShared(`corpus/real/${name}.log.gz`)
    if (data === null) continue
    any = true
    sameBytes(t, runFilter(data).events, name)
    sameBytes(t, runFilter(data, { keepFamilies: new Set([1, 2, 10, 16, 17, 40]) }).events, `${name}, all families`)
  }
  if (!any) skipLoudly(t, '../shared/corpus/real is absent')
  sameBytes(t, example, 'examples/audit.log')
})

t.test('events written as the filter hands them out, and again with their time or id changed, serialize to the bytes JSON.stringify gives', async t => {
  // The writer copies the bytes of the event id the filter made just before, and of a time the
  // event before had: an event written later, or changed, must not get them.
  const w = new JsonWriter(8)
  const want: string[] = []
  let sameTime = 0
  let lastTime = ''
  const filter = new NetFilter(ev => {
    if (ev.time === lastTime) sameTime++
    lastTime = ev.time
    const changed = [ev, { ...ev, event_id: `${ev.event_id}0` }, { ...ev, time: ev.time.replace('Z', '+00:00') }, ev]
    for (const e of changed) {
      writeNativeJson(w, e)
      w.byte(0x0a)
      want.push(JSON.stringify(e) + '\n')
    }
  })
  filter.push(readFileSync(`${ROOT}examples/audit.log`))
  filter.end()
  t.ok(sameTime > 0, `${sameTime} events have the time of the event before`)
  t.equal(w.take().toString('utf8'), want.join(''), `${want.length} lines identical`)
})

t.test('every optional field and endpoint shape', async t => {
  const base = example[0] as NetworkEvent
  const variants: NetworkEvent[] = [
    { ...base, remote: { path: '/run/nscd/socket' }, local: null },
    { ...base, remote: { path: null } },
    { ...base, remote: { pid: 0, groups: 0 } },
    { ...base, remote: { ifindex: 2, protocol: 768 } },
    { ...base, remote: { port: 1024, cid: 2 } },
    { ...base, remote: { family_number: 44, raw: '2C00' } },
    { ...base, remote: { ip: '::ffff:10.0.0.1', port: 0, flowinfo: 0, scope_id: 0, ipv4_mapped: true } },
    { ...base, remote: {}, local: { ip: '10.0.0.1', port: 53, extra: undefined } },
    { ...base, remote: { ip: '10.0.0.1', port: Number.NaN, flowinfo: Infinity, scope_id: -0 } },
    { ...base, remote: { nested: { a: 1 } } as unknown as NetworkEvent['remote'] },
    { ...base, socket: { type: null, protocol: 6 }, transport: null, transport_hint: 'tcp' },
    { ...base, keys: ['a', 'b'], key: 'a', socketcall: true, decode_error: 'saddr shorter than sa_family' },
    { ...base, exit: null, fd: null, errno: null, process: { pid: null, ppid: null, exe: null, comm: null, argv: null } },
    { ...base, process: { ...base.process, argv: [] } },
    { ...base, user: { uid: 1, euid: 2, gid: 3, auid: null, ses: null, name: 'a', effective_name: 'b', group: 'c', audit_name: 'd' } },
    { ...base, user: { uid: null, euid: null, gid: null, auid: 7, ses: 9, audit_name: 'd' } }
  ]
  sameBytes(t, variants, 'variants')
})

t.test('hostile strings in any string field serialize to the bytes JSON.stringify gives', async t => {
  const fields = fc.record({
    node: fc.option(hostile), exe: fc.option(hostile), comm: fc.option(hostile), argv: fc.option(fc.array(hostile, { maxLength: 4 })),
    tty: fc.option(hostile), key: fc.option(hostile), keys: fc.option(fc.array(hostile, { maxLength: 3 })), name: fc.option(hostile),
    path: hostile, endpointKey: hostile, syscall: fc.option(hostile), arch: fc.option(hostile), errno: fc.option(hostile),
    time: hostile, decodeError: fc.option(hostile)
  })
  fc.assert(fc.property(fc.nat(example.length - 1), fields, (i, f) => {
    const base = example[i] as NetworkEvent
    const ev: NetworkEvent = {
      ...base,
      time: f.time,
      node: f.node,
      syscall: f.syscall,
      arch: f.arch,
      errno: f.errno,
      remote: { path: f.path },
      local: { [f.endpointKey]: 1 },
      process: { ...base.process, exe: f.exe, comm: f.comm, argv: f.argv },
      user: f.name === null ? { ...base.user } : { ...base.user, name: f.name, group: f.name },
      tty: f.tty,
      key: f.key
    }
    if (f.keys !== null) ev.keys = f.keys
    if (f.decodeError !== null) ev.decode_error = f.decodeError
    const got = written([ev])
    const want = expected([ev])
    if (!got.equals(want)) throw new Error(`${got.toString('hex')}\n!=\n${want.toString('hex')}`)
    // And it is valid JSON that reads back as the event (lone surrogates aside, which UTF-8 cannot carry).
    JSON.parse(got.toString('utf8'))
  }), { numRuns: 3000, seed: 11 })
  t.pass('3000 events with hostile strings')
})

t.test('the same process call after call: its bytes are reused, and follow the values', async t => {
  const base = example[0] as NetworkEvent
  const events: NetworkEvent[] = []
  // The filter shares one frozen argv among a process's events; a caller building events may not.
  const argv = [...(base.process.argv ?? [])]
  for (let i = 0; i < 4; i++) events.push({ ...base, process: { ...base.process, argv }, user: { ...base.user } })
  sameBytes(t, events, 'four events of one process')
  // Changed after it was written: the next event of "the same" process must show the change.
  const changed = events[3] as NetworkEvent
  argv.push('more')
  // Built here unfrozen (the filter's own are frozen), so it can be changed in place.
  const user = changed.user as { name?: string }
  user.name = 'renamed'
  sameBytes(t, [changed, { ...base }, changed], 'a process changed in place')
  sameBytes(t, [{ ...base, process: { ...base.process, exe: 'caf\u00e9' } }, base, { ...base, user: { ...base.user, uid: 7 } }], 'one unsafe, then safe')
})

t.test('calls that alternate (socket, connect, another key, another process): each reuses its own bytes, and more shapes than are remembered still come out right', async t => {
  const base = example[0] as NetworkEvent
  const variants: NetworkEvent[] = []
  for (let i = 0; i < 12; i++) {
    variants.push({
      ...base,
      syscall: i % 2 === 0 ? 'socket' : 'connect',
      result: i % 3 === 0 ? 'failed' : 'success',
      errno: i % 3 === 0 ? 'ECONNREFUSED' : null,
      direction: i % 2 === 0 ? 'intent' : 'outbound',
      key: `key${i % 5}`,
      tty: i % 4 === 0 ? 'pts0' : null,
      process: { ...base.process, pid: 100 + (i % 6), exe: `/usr/bin/p${i % 6}` },
      user: { ...base.user }
    })
  }
  const events: NetworkEvent[] = []
  for (let round = 0; round < 5; round++) for (let i = 0; i < variants.length; i += 1 + (round % 3)) events.push(variants[i] as NetworkEvent)
  sameBytes(t, events, 'variants in turn')
  // A variant changed in place after it was written must not come out with its old bytes.
  const v = variants[1] as NetworkEvent
  v.key = 'changed'
  const process = v.process as { pid: number | null }
  process.pid = 999
  v.result = 'in_progress'
  sameBytes(t, [variants[0] as NetworkEvent, v, variants[3] as NetworkEvent, v], 'a variant changed in place')
})

t.test('batches given back for reuse: bytes remembered from an old batch stay right', async t => {
  // The sink recycles a batch's buffer once it is written; what the serializer remembers of a
  // process must be its own copy, not a view into a buffer that later lines are written over.
  // One process makes every call here (so its bytes are remembered across batches), and each batch
  // starts with a different event (so the reused buffer's old bytes are overwritten, shifted).
  const base = example[0] as NetworkEvent
  const events = example.map(ev => ({ ...ev, process: base.process, user: base.user }))
  const w = new JsonWriter(1 << 16)
  let got = ''
  let want = ''
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < events.length; i++) {
      const ev = events[(i + round * 7) % events.length] as NetworkEvent
      writeNativeJson(w, ev)
      w.byte(0x0a)
      want += JSON.stringify(ev) + '\n'
    }
    const batch = w.take()
    got += batch.toString('utf8')
    w.recycle(batch)
  }
  t.equal(got, want, `${events.length} events of one process in each of 6 batches, the buffers reused`)
})

t.test('the writer: numbers as JSON.stringify writes them, growth, a taken batch is not overwritten', async t => {
  const w = new JsonWriter(4)
  for (const v of [0, -0, 7, 10, 99, 100, 4294967295, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, -1, -115, 1.5, NaN, Infinity, -Infinity]) {
    w.num(v)
    w.byte(0x0a)
  }
  const first = w.take()
  t.equal(first.toString('utf8'), [0, -0, 7, 10, 99, 100, 4294967295, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, -1, -115, 1.5, NaN, Infinity, -Infinity].map(v => JSON.stringify(v) + '\n').join(''))
  t.ok(w.str('x'.repeat(1000)))
  t.equal(first.toString('utf8').split('\n')[0], '0', 'the first batch is intact')
  t.equal(w.take().toString('utf8'), `"${'x'.repeat(1000)}"`)
  for (const s of ['"', '\\', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '\ud800']) t.notOk(w.str(s), JSON.stringify(s))
  t.ok(w.str(' !#[]~'))
})
