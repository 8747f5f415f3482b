/**
 * The assembler's memory of completed events (src/events/completed-events.ts): within its capacity
 * it must answer exactly as a Map from serial to the last (time, kinds) added, merging the kinds of
 * one id, whatever the order of the serials and through every doubling of the ring; beyond it,
 * events that many serials back are forgotten.
 */
import t from 'tap'
import fc from 'fast-check'
import { CompletedEvents } from '../../src/events/completed-events.js'

t.test('within capacity it answers as a Map of serial → (time, kinds)', async t => {
  const capacity = 4096
  const add = fc.tuple(
    fc.integer({ min: 0, max: capacity - 1 }), // serial, relative to the run's base
    fc.constantFrom(1000, 1001, 5000), // a few times, so ids repeat and serials get reused
    fc.integer({ min: 1, max: 127 }) // kinds
  )
  fc.assert(fc.property(fc.constantFrom(0, 7, 2 ** 31 - 100, 2 ** 32 - 2000), fc.array(add, { maxLength: 3000 }), (base, adds) => {
    const ring = new CompletedEvents(capacity)
    const model = new Map<number, { time: number, kinds: number }>()
    for (const [s, time, kinds] of adds) {
      const serial = base + s
      ring.add(serial, time, kinds)
      const m = model.get(serial)
      model.set(serial, m !== undefined && m.time === time ? { time, kinds: m.kinds | kinds } : { time, kinds })
      for (const [ms, mv] of [[serial, model.get(serial)]] as const) {
        if (ring.kinds(ms, (mv as { time: number }).time) !== (mv as { kinds: number }).kinds) throw new Error(`after add ${ms}`)
      }
    }
    for (const [serial, m] of model) {
      if (ring.kinds(serial, m.time) !== m.kinds) throw new Error(`lost ${serial}`)
      if (ring.kinds(serial, m.time + 1) !== -1) throw new Error(`another time of ${serial}`)
    }
    if (ring.kinds(base + capacity + 5, 1000) !== -1) throw new Error('never added')
  }), { numRuns: 100, seed: 11 })
  t.pass('100 random runs')
})

t.test('consecutive serials: the last capacity of them are remembered, older ones forgotten', async t => {
  const ring = new CompletedEvents(65536)
  for (let serial = 1; serial <= 200000; serial++) ring.add(serial, serial * 3, serial % 100 + 1)
  t.equal(ring.kinds(200000, 600000), 200000 % 100 + 1)
  t.equal(ring.kinds(200000 - 65535, (200000 - 65535) * 3), (200000 - 65535) % 100 + 1, 'capacity serials back')
  t.equal(ring.kinds(200000 - 65536, (200000 - 65536) * 3), -1, 'beyond capacity')
  t.equal(ring.kinds(1, 3), -1)
})

t.test('a serial reused with another time replaces the older event', async t => {
  const ring = new CompletedEvents(1024)
  ring.add(42, 1000, 0b10)
  ring.add(42, 1000, 0b100)
  t.equal(ring.kinds(42, 1000), 0b110, 'kinds of one id are merged')
  ring.add(42, 9000, 0b1)
  t.equal(ring.kinds(42, 9000), 0b1)
  t.equal(ring.kinds(42, 1000), -1)
})
