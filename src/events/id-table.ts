/**
 * Event ids → events in flight, for the assembler's per-node tables. An id is the number eventKey
 * makes: an integer below 2^53, usually above 2^31. A Map boxes every such key into a heap number;
 * this is an open-addressing hash table (linear probing, deletion by backward shift) over a typed
 * array. It keeps no order: the assembler keeps its own queues for that.
 */

const EMPTY = -1
const MIN_SLOTS = 64

/**
 * Mixes an id's 53 bits into 32 (MurmurHash3's finalizer over its two words), so that every bit
 * reaches the low bits that pick the slot: ids of events in the same millisecond differ only in
 * their high bits. Left signed (not made unsigned by >>> 0), so that V8 always has a small
 * integer: half the unsigned values are 2^31 or more, which it holds as heap numbers, and the first
 * such value met on a path compiled for small integers alone (delete's backward shift, at the first
 * gap in a probe run) threw away the optimised code of the assembler's functions that inline delete.
 * The slot, its low bits, is the same.
 */
function hash (id: number): number {
  let h = (id >>> 0) ^ Math.imul((id / 4294967296) | 0, 0x9e3779b1)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Ids → objects (events in flight). */
export class IdTable<V extends object> {
  #ids = new Float64Array(MIN_SLOTS).fill(EMPTY)
  /** The value of the id in the same slot of #ids. */
  #values: Array<V | null> = new Array<V | null>(MIN_SLOTS).fill(null)
  #mask = MIN_SLOTS - 1
  #size = 0

  get size (): number {
    return this.#size
  }

  get (id: number): V | undefined {
    // The value is read whether or not the id is there (an empty slot holds null): a lookup that
    // finds nothing for a long time (events mostly come one after another, found without it) must
    // not leave the read untried, or the first hit throws away the optimised code.
    return this.#values[this.#probe(id)] ?? undefined
  }

  set (id: number, value: V): void {
    let slot = this.#probe(id)
    if (this.#ids[slot] !== id) {
      // A new id goes where its probe ended, unless the table must grow first (half full).
      if ((this.#size + 1) * 2 > this.#ids.length) {
        this.#grow()
        slot = this.#freeSlot(id)
      }
      this.#ids[slot] = id
      this.#size++
    }
    this.#values[slot] = value
  }

  /** Removes an id; false when it was not there. */
  delete (id: number): boolean {
    let hole = this.#probe(id)
    if (this.#ids[hole] !== id) return false
    const ids = this.#ids
    const values = this.#values
    const mask = this.#mask
    // Backward shift: each later entry of the probe run moves into the hole unless its home slot
    // lies (cyclically) after the hole, where a lookup would no longer pass the hole to reach it.
    for (let next = (hole + 1) & mask; ids[next] !== EMPTY; next = (next + 1) & mask) {
      const home = hash(ids[next] as number) & mask
      const reachable = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
      if (reachable) continue
      ids[hole] = ids[next] as number
      values[hole] = values[next] as V
      hole = next
    }
    ids[hole] = EMPTY
    values[hole] = null
    this.#size--
    return true
  }

  /** The slot of id, or, when it is not there, the empty slot that ends its probe run. */
  #probe (id: number): number {
    const ids = this.#ids
    const mask = this.#mask
    for (let slot = hash(id) & mask; ; slot = (slot + 1) & mask) {
      const here = ids[slot] as number
      if (here === id || here === EMPTY) return slot
    }
  }

  /** The first empty slot of id's probe run. */
  #freeSlot (id: number): number {
    const ids = this.#ids
    const mask = this.#mask
    let slot = hash(id) & mask
    while (ids[slot] !== EMPTY) slot = (slot + 1) & mask
    return slot
  }

  #grow (): void {
    const oldIds = this.#ids
    const oldValues = this.#values
    const slots = oldIds.length * 2
    this.#ids = new Float64Array(slots).fill(EMPTY)
    this.#values = new Array<V | null>(slots).fill(null)
    this.#mask = slots - 1
    for (let i = 0; i < oldIds.length; i++) {
      const id = oldIds[i] as number
      if (id === EMPTY) continue
      const slot = this.#freeSlot(id)
      this.#ids[slot] = id
      this.#values[slot] = oldValues[i] as V
    }
  }
}
