/**
 * The assembler's id table (src/events/id-table.ts) must behave exactly as a Map of the same ids:
 * random adds, updates, lookups and deletions (ids of the eventKey shape, above 2^31, and small
 * ones that collide in the low bits), checked against a Map after every step, through many growths.
 */
import t from 'tap'
import fc from 'fast-check'
import { IdTable } from '../../src/events/id-table.js'

const id = fc.oneof(
  fc.integer({ min: 0, max: 4000 }).map(serial => serial * 2097152 + (serial * 7919) % 2097152),
  fc.integer({ min: 0, max: 300 }).map(n => n * 1024),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
)
const op = fc.tuple(fc.constantFrom('set', 'set', 'delete', 'get'), id, fc.integer())

t.test('IdTable behaves as a Map of objects', async t => {
  fc.assert(fc.property(fc.array(op, { maxLength: 1500 }), ops => {
    const table = new IdTable<{ v: number }>()
    const map = new Map<number, { v: number }>()
    for (const [what, key, value] of ops) {
      if (what === 'set') { const o = { v: value }; table.set(key, o); map.set(key, o) }
      if (what === 'delete' && table.delete(key) !== map.delete(key)) throw new Error(`delete ${key}`)
      if (table.get(key) !== map.get(key)) throw new Error(`get ${key}`)
      if (table.size !== map.size) throw new Error('size')
    }
    for (const [key, value] of map) if (table.get(key) !== value) throw new Error(`final ${key}`)
  }), { numRuns: 150, seed: 5 })
  t.pass('150 random runs')
})

t.test('many ids: growth and deletion in insertion order, as the assembler does', async t => {
  const table = new IdTable<{ serial: number }>()
  const live: number[] = []
  for (let serial = 1; serial <= 200000; serial++) {
    const key = serial * 2097152 + (serial * 3) % 2097152
    table.set(key, { serial })
    live.push(key)
    if (live.length > 65536 && !table.delete(live.shift() as number)) throw new Error(`lost ${key}`)
  }
  t.equal(table.size, 65536)
  t.equal(table.get(live[0] as number)?.serial, 200000 - 65535)
  t.equal(table.get(2097152 + 3), undefined)
})
