/**
 * The hand-written JSON serializer (src/sinks/json-writer.ts, used for the native format) must
 * write exactly what JSON.stringify would, encoded as UTF-8, for any string: quotes, backslashes,
 * every control character, lone surrogate halves, astral characters. And a whole native event must
 * serialize to the same bytes as JSON.stringify, whatever its strings hold.
 */
import t from 'tap'
import fc from 'fast-check'
import { JsonWriter } from '../../src/sinks/json-writer.js'
import { writeNativeJson } from '../../src/formats/native.js'
import { runFilter } from '../helpers/filter.js'
import { readFileSync } from 'node:fs'
import { ROOT } from '../helpers/filter.js'

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('"', '\\', '\u0000', '\u001d', '\u001b[31m', '\u2028\u2029', '\ud800', '\udfff', 'a\ud83d', '\ud83d\ude00', '\u007f', '</script>', '')
)

t.test('a string is written as JSON.stringify writes it, in UTF-8', async t => {
  fc.assert(fc.property(hostile, s => {
    const w = new JsonWriter(16)
    w.string(s)
    const got = w.take()
    const expected = Buffer.from(JSON.stringify(s), 'utf8')
    if (!got.equals(expected)) throw new Error(`${JSON.stringify(s)}: ${got.toString('hex')} != ${expected.toString('hex')}`)
  }), { numRuns: 2000, seed: 7 })
  t.pass('2000 hostile strings')
})

t.test('a whole native event with hostile strings serializes to the bytes JSON.stringify gives', async t => {
  const events = runFilter(readFileSync(`${ROOT}examples/audit.log`)).events
  fc.assert(fc.property(fc.nat(events.length - 1), hostile, hostile, fc.array(hostile, { maxLength: 4 }), (i, exe, key, argv) => {
    const ev = { ...(events[i] as typeof events[number]) }
    ev.process = { ...ev.process, exe, argv, comm: key }
    ev.key = key
    const w = new JsonWriter(8)
    writeNativeJson(w, ev)
    const got = w.take().toString('utf8')
    // Same text as JSON.stringify once both are decoded as UTF-8 (lone surrogates become U+FFFD in both).
    const expected = Buffer.from(JSON.stringify(ev), 'utf8').toString('utf8')
    if (got !== expected) throw new Error(`${got}\n!=\n${expected}`)
  }), { numRuns: 500, seed: 11 })
  t.pass('500 events')
})
