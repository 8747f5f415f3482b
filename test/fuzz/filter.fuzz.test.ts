/**
 * Fuzzing the filter core the way trusted parsers are tested: real records, mutated. Properties:
 * it never throws on data, every record it emits is schema-valid, memory stays bounded (in-flight
 * events never exceed the cap), every well-formed network event in the input is still emitted
 * exactly once and unchanged, and malformed input is counted. Seeded and short in `make test`;
 * `make fuzz` runs the same properties long (NETFILTER_FUZZ_RUNS, NETFILTER_FUZZ_SEED).
 */
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { ROOT, runFilter } from '../helpers/filter.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

const RUNS = Number(process.env['NETFILTER_FUZZ_RUNS'] ?? 60)
const SEED = Number(process.env['NETFILTER_FUZZ_SEED'] ?? 20261125)
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true }
t.comment(`fast-check seed ${SEED}, ${RUNS} runs per property (NETFILTER_FUZZ_SEED / NETFILTER_FUZZ_RUNS)`)

/** Real auditd log lines (no EOE): 46 events, 41 of them network events. */
const LOG = readFileSync(`${ROOT}examples/audit.log`, 'latin1').split('\n').filter(l => l !== '')
/** The same capture as an auditd plugin saw it (EOE records, interleaving). */
const STREAM = readFileSync(`${ROOT}examples/plugin-stream.log`, 'latin1').split('\n').filter(l => l !== '')
const baseline = runFilter(LOG.join('\n') + '\n').events
const byId = new Map(baseline.map(e => [e.event_id, e]))

/** An event without the fields the socket context fills from other events. */
function withoutContext (e: NetworkEvent): unknown {
  const { transport: _t, transport_hint: _h, socket: _s, ...rest } = e
  return e.action === 'bind' ? rest : { ...rest, local: null }
}

const idOf = (line: string): string | null => /audit\((\d+\.\d{3}:\d+)\)/.exec(line)?.[1] ?? null

/** The events of a run that belong to the baseline, by id (each id must appear once). */
function goodEvents (events: NetworkEvent[]): Map<string, NetworkEvent[]> {
  const m = new Map<string, NetworkEvent[]>()
  for (const e of events) {
    if (!byId.has(e.event_id)) continue
    const list = m.get(e.event_id) ?? []
    list.push(e)
    m.set(e.event_id, list)
  }
  return m
}

function sameAsBaseline (events: NetworkEvent[], view: (e: NetworkEvent) => unknown = e => e): string | null {
  const good = goodEvents(events)
  for (const [id, expected] of byId) {
    const got = good.get(id)
    if (got === undefined) return `${id} missing`
    if (got.length !== 1) return `${id} emitted ${got.length} times`
    if (JSON.stringify(view(got[0] as NetworkEvent)) !== JSON.stringify(view(expected))) return `${id} changed: ${JSON.stringify(got[0])}`
  }
  return null
}

/** Lines that are not records of the baseline's events: junk, hostile text, foreign ids. */
const junkLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b).toString('latin1').replace(/\n/g, ' ')),
  fc.constantFrom('type=', 'type=SOCKADDR', 'type=SYSCALL msg=audit(', 'msg=audit(1.2:3):', 'type=EOE msg=audit(9999999999.999:99999999999):',
    'type=SOCKADDR msg=audit(1795640829.922:4000000000): saddr=02', 'audit: type=1306 audit(1795640829.922:4000000001): saddr=0200ZZ',
    'node= type=SYSCALL msg=audit(1795640829.922:4000000002): arch=ffffffff syscall=-1 exit=99999999999999999999999',
    'type=SYSCALL msg=audit(1795640829.922:4000000003): a0=' + 'f'.repeat(64), '\x1d\x1d\x1d', '\r', '{"json":true}'),
  // A record of some other event (ids far from the baseline's): any field values.
  fc.tuple(fc.constantFrom('SYSCALL', 'SOCKADDR', 'PROCTITLE', 'SOCKETCALL', 'EOE', 'PATH', '1306', 'UNKNOWN[1306]'),
    fc.integer({ min: 0, max: 2 ** 32 }), fc.string({ maxLength: 120 }))
    .map(([type, serial, body]) => `type=${type} msg=audit(1795640829.950:${4_100_000_000 + serial}): ${body}`)
)

t.test('junk lines anywhere never change, lose or duplicate the real events, and never throw', async t => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(LOG.length), junkLine), { maxLength: 40 }), inserts => {
    const lines = [...LOG]
    for (const [at, junk] of [...inserts].sort((a, b) => b[0] - a[0])) lines.splice(at, 0, junk.replace(/[\n]/g, ' '))
    const r = runFilter(lines.join('\n') + '\n') // validates every emitted record against the schema
    const problem = sameAsBaseline(r.events)
    if (problem !== null) throw new Error(problem)
  }), params)
  t.pass('property held')
})

t.test('a line truncated at any offset never throws and every output is schema-valid', async t => {
  let cases = 0
  for (let i = 0; i < LOG.length; i += 3) {
    const line = LOG[i] as string
    for (let cut = 0; cut <= line.length; cut++) {
      const lines = [...LOG]
      lines[i] = line.slice(0, cut)
      const r = runFilter(lines.join('\n') + '\n')
      cases++
      // Events other than the damaged one are untouched, apart from what they learn from it through
      // the socket context (a damaged socket() leaves the calls on its fd without a transport).
      const damaged = idOf(line)
      for (const e of r.events) {
        const expected = byId.get(e.event_id)
        if (e.event_id !== damaged && expected !== undefined && JSON.stringify(withoutContext(e)) !== JSON.stringify(withoutContext(expected))) {
          throw new Error(`cutting line ${i} at ${cut} changed ${e.event_id}`)
        }
      }
    }
  }
  t.ok(cases > 5000, `${cases} truncations`)
})

t.test('hostile field values (huge, negative, non-hex, odd-length saddr) never throw', async t => {
  const hostile = fc.oneof(fc.constantFrom('', '-', '-1', '4294967296', '18446744073709551616', '99999999999999999999999999',
    '0x', 'ZZ', '0200ZZ', '020', '0', '(null)', '"', '""', '"unterminated', "'", '{', '}', '\x00', '\x1d', 'NaN', 'Infinity',
    '__proto__', 'constructor'), fc.string({ maxLength: 40 }).map(s => s.replace(/[ \n]/g, '')), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 80 }))
  fc.assert(fc.property(fc.nat(LOG.length - 1), fc.nat(40), hostile, (lineNo, fieldNo, value) => {
    const lines = [...LOG]
    const fields = (lines[lineNo] as string).split(' ')
    const i = 2 + (fieldNo % Math.max(1, fields.length - 2))
    const eq = (fields[i] ?? '').indexOf('=')
    if (eq > 0) fields[i] = `${(fields[i] as string).slice(0, eq)}=${value}`
    lines[lineNo] = fields.join(' ')
    runFilter(lines.join('\n') + '\n')
  }), params)
  t.pass('property held')
})

t.test('every field of a connect\'s SYSCALL removed in turn: the connect is still emitted, schema-valid', async t => {
  const at = LOG.findIndex(l => l.includes(' syscall=42 ') && l.includes('success=yes'))
  const id = idOf(LOG[at] as string) as string
  const fields = (LOG[at] as string).split(' ')
  for (let i = 2; i < fields.length; i++) {
    const lines = [...LOG]
    lines[at] = [...fields.slice(0, i), ...fields.slice(i + 1)].join(' ')
    const r = runFilter(lines.join('\n') + '\n')
    t.equal(r.events.filter(e => e.event_id === id).length, 1, `without ${(fields[i] as string).split('=')[0] as string}`)
  }
})

/**
 * The lines in the same order, except that each PROCTITLE waits until the other records of its
 * event have come: the kernel writes it last, and an event is whole at a PROCTITLE that follows
 * its SYSCALL (README, "How events are completed").
 */
function proctitleLast (lines: string[]): string[] {
  const isProctitle = (l: string): boolean => l.startsWith('type=PROCTITLE ')
  const others = new Map<string | null, number>()
  for (const l of lines) if (!isProctitle(l)) others.set(idOf(l), (others.get(idOf(l)) ?? 0) + 1)
  const held = new Map<string | null, string[]>()
  const out: string[] = []
  for (const l of lines) {
    const id = idOf(l)
    if (isProctitle(l)) {
      if ((others.get(id) ?? 0) > 0) held.set(id, [...(held.get(id) ?? []), l])
      else out.push(l)
      continue
    }
    out.push(l)
    const left = (others.get(id) ?? 0) - 1
    others.set(id, left)
    if (left === 0) out.push(...(held.get(id) ?? []))
  }
  return out
}

t.test('records shuffled within and across events (PROCTITLE after its event\'s other records), duplicated, and EOE storms: each real event still once and unchanged', async t => {
  fc.assert(fc.property(fc.shuffledSubarray(LOG, { minLength: LOG.length, maxLength: LOG.length }),
    fc.array(fc.nat(LOG.length - 1), { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 2 ** 31 }), { maxLength: 50 }),
    (shuffled, dupes, eoes) => {
      const ordered = proctitleLast(shuffled)
      if (ordered.length !== shuffled.length) throw new Error('proctitleLast lost or added lines')
      const lines = [...ordered, ...dupes.map(i => LOG[i] as string)]
      // EOE for events that do not exist (storms): harmless.
      for (const serial of eoes) lines.push(`type=EOE msg=audit(1795640829.960:${3_000_000_000 + serial}): `)
      const r = runFilter(lines.join('\n') + '\n')
      // Shuffled across events, a connect may complete before its socket(): the context fields
      // then differ by design (docs/socket-context.md, "Order"); everything else must not.
      const problem = sameAsBaseline(r.events, withoutContext)
      if (problem !== null) throw new Error(problem)
    }), params)
  t.pass('property held')
})

t.test('the plugin stream split into chunks at random places gives the same events as whole', async t => {
  const text = STREAM.join('\n') + '\n'
  const whole = JSON.stringify(runFilter(text).events)
  fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), size => {
    if (JSON.stringify(runFilter(text, {}, size).events) !== whole) throw new Error(`chunk size ${size} changed the output`)
  }), params)
  t.pass('property held')
})

t.test('100k events in flight at once: memory stays at the cap, every event is still emitted', async t => {
  const n = 100_000
  const cap = 5000
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    lines.push(`type=SYSCALL msg=audit(1795640829.922:${1_000_000 + i}): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=0 a3=0 items=0 ppid=1 pid=${2 + (i % 30000)} auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/x" key=(null)`)
  }
  const r = runFilter(lines.join('\n') + '\n', { maxInflight: cap })
  t.equal(r.events.length, n, 'every socket() emitted')
  t.equal(r.stats.evicted, n - cap, 'the ones beyond the cap completed early and counted')
  t.equal(r.stats.inflight, 0)
})

t.test('two nodes interleaved with the same serials are two sets of events', async t => {
  const lines: string[] = []
  for (const l of LOG) lines.push(`node=a ${l}`, `node=b ${l}`)
  const r = runFilter(lines.join('\n') + '\n')
  t.equal(r.events.length, 2 * baseline.length)
  for (const node of ['a', 'b']) {
    t.same(r.events.filter(e => e.node === node).map(e => ({ ...e, node: null })), baseline, `node ${node}`)
  }
})

t.test('a 2 MB line and invalid UTF-8 are counted, never fatal', async t => {
  const huge = 'type=SOCKADDR msg=audit(1795640829.922:95900): saddr=' + '02'.repeat(1 << 20)
  const badUtf8 = Buffer.concat([Buffer.from('type=SYSCALL msg=audit(1795640829.922:4000000009): comm="'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('" exe=\n')])
  const r = runFilter(Buffer.concat([Buffer.from(LOG.join('\n') + '\n' + huge + '\n'), badUtf8]))
  t.equal(r.stats.malformed, 1, 'the overlong line counted as malformed')
  t.equal(sameAsBaseline(r.events), null, 'real events intact')
})
