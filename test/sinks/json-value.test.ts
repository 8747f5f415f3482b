/**
 * The JSON writer for any record (ECS, OCSF): the bytes are JSON.stringify's, for every kind of
 * value, with strings it must escape, values it must leave out, and frozen objects whose bytes it
 * writes again by identity.
 */
import t from 'tap'
import fc from 'fast-check'
import { writeJsonRecord } from '../../src/sinks/json-value.js'
import { JsonWriter } from '../../src/sinks/json-writer.js'

/** The bytes writeJsonRecord writes for each record in turn, one line each. */
function written (records: unknown[]): string {
  const w = new JsonWriter(16)
  for (const r of records) {
    writeJsonRecord(w, r)
    w.byte(0x0a)
  }
  return w.take().toString('utf8')
}
const stringified = (records: unknown[]): string => records.map(r => JSON.stringify(r) + '\n').join('')

t.test('plain records come out as JSON.stringify writes them', async t => {
  const records = [
    { a: 1, b: 'x', c: null, d: true, e: false, f: [1, 'two', null], g: { h: { i: [] } }, j: {} },
    { neg: -115, float: 0.5, big: 2 ** 60, zero: -0, nan: NaN, inf: -Infinity, exp: 1e21 },
    { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: 'yes', inArray: [undefined, () => 1, Symbol('t')] },
    { 2: 'integer keys first', b: 1, 1: 'in order', '@timestamp': 'as written' },
    { quote: 'a"b', backslash: 'a\\b', newline: 'a\nb', control: '\u0001', unicode: 'café', emoji: '😀', lone: '\ud800' },
    { date: new Date(0), nested: { date: new Date(1000) } },
    { map: new Map([[1, 2]]), set: new Set([1]), boxed: [Object('s'), Object(1), Object(true)] },
    Object.assign(Object.create(null) as object, { nullProto: 1 }),
    { toJSON: () => ({ replaced: true }) },
    [1, { a: 2 }],
    { 'key"quote': 1, 'key\nnewline': 2 }
  ]
  t.equal(written(records), stringified(records))
})

t.test('a BigInt throws as in JSON.stringify', async t => {
  t.throws(() => written([{ a: 1n }]), TypeError)
})

t.test('a frozen object is written again by identity; one holding something unfrozen is written anew', async t => {
  const frozen = Object.freeze({ ip: '10.0.0.1', port: 443, inner: Object.freeze({ list: Object.freeze(['a']) }) })
  const open = ['x']
  const halfFrozen = Object.freeze({ list: open })
  const first = [{ a: frozen, b: halfFrozen }, { b: halfFrozen, a: frozen }]
  t.equal(written(first), stringified(first))
  open.push('y') // changes what halfFrozen writes: its bytes must not have been kept
  const again = [{ a: frozen, b: halfFrozen }]
  t.equal(written(again), stringified(again))
  t.match(written(again), /"list":\["x","y"\]/)
})

t.test('any JSON-like value comes out as JSON.stringify writes it (property)', async t => {
  const frozenOrNot = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    fc.tuple(arb, fc.boolean()).map(([v, freeze]) => (freeze && typeof v === 'object' && v !== null ? Object.freeze(v) : v))
  const { value } = fc.letrec(tie => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string({ unit: 'binary' }), fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined),
      frozenOrNot(fc.array(tie('value'), { maxLength: 4 })),
      frozenOrNot(fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }))
    )
  }))
  const shared = fc.array(value, { minLength: 1, maxLength: 3 })
  fc.assert(fc.property(shared, fc.array(fc.nat(2), { maxLength: 6 }), (pool, picks) => {
    // The same values several times, so frozen ones are also written from their kept bytes.
    const records = picks.map(i => ({ v: pool[i % pool.length] }))
    return written(records) === stringified(records)
  }), { numRuns: 2000 })
  t.pass('2000 random lists of records written as JSON.stringify writes them')
})
