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
 * their high bits.
 */
function hash (id: number): number {
  let h = (id >>> 0) ^ Math.imul((id / 4294967296) | 0, 0x9e3779b1)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The slots and probing; the values live in the subclass (IdTable). */
abstract class IdSlots {
  protected ids = new Float64Array(MIN_SLOTS).fill(EMPTY)
  protected mask = MIN_SLOTS - 1
  #size = 0

  get size (): number {
    return this.#size
  }

  has (id: number): boolean {
    return this.find(id) >= 0
  }

  /** Removes an id; false when it was not there. */
  delete (id: number): boolean {
    let hole = this.find(id)
    if (hole < 0) return false
    const ids = this.ids
    const mask = this.mask
    // Backward shift: each later entry of the probe run moves into the hole unless its home slot
    // lies (cyclically) after the hole, where a lookup would no longer pass the hole to reach it.
    for (let next = (hole + 1) & mask; ids[next] !== EMPTY; next = (next + 1) & mask) {
      const home = hash(ids[next] as number) & mask
      const reachable = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
      if (reachable) continue
      ids[hole] = ids[next] as number
      this.moveValue(next, hole)
      hole = next
    }
    ids[hole] = EMPTY
    this.clearValue(hole)
    this.#size--
    return true
  }

  /** The slot of id, or -1. */
  protected find (id: number): number {
    const ids = this.ids
    const mask = this.mask
    for (let slot = hash(id) & mask; ; slot = (slot + 1) & mask) {
      const here = ids[slot] as number
      if (here === id) return slot
      if (here === EMPTY) return -1
    }
  }

  /** A slot for a new id (growing the table first when half full). */
  protected claim (id: number): number {
    if ((this.#size + 1) * 2 > this.ids.length) this.#grow()
    const ids = this.ids
    const mask = this.mask
    let slot = hash(id) & mask
    while (ids[slot] !== EMPTY) slot = (slot + 1) & mask
    ids[slot] = id
    this.#size++
    return slot
  }

  #grow (): void {
    const old = this.ids
    const slots = old.length * 2
    this.ids = new Float64Array(slots).fill(EMPTY)
    this.mask = slots - 1
    this.resizeValues(slots)
    for (let i = 0; i < old.length; i++) {
      const id = old[i] as number
      if (id === EMPTY) continue
      let slot = hash(id) & this.mask
      while (this.ids[slot] !== EMPTY) slot = (slot + 1) & this.mask
      this.ids[slot] = id
      this.copyOldValue(i, slot)
    }
    this.dropOldValues()
  }

  protected abstract moveValue (from: number, to: number): void
  protected abstract clearValue (slot: number): void
  /** Allocates values for slots, keeping the old ones readable by copyOldValue until dropOldValues. */
  protected abstract resizeValues (slots: number): void
  protected abstract copyOldValue (oldSlot: number, slot: number): void
  protected abstract dropOldValues (): void
}

/** Ids → objects (events in flight). */
export class IdTable<V extends object> extends IdSlots {
  #values: Array<V | null> = new Array<V | null>(MIN_SLOTS).fill(null)
  #old: Array<V | null> = []

  get (id: number): V | undefined {
    const slot = this.find(id)
    return slot < 0 ? undefined : this.#values[slot] as V
  }

  set (id: number, value: V): void {
    const found = this.find(id)
    const slot = found < 0 ? this.claim(id) : found // claim may grow #values: read it after
    this.#values[slot] = value
  }

  protected moveValue (from: number, to: number): void { this.#values[to] = this.#values[from] as V }
  protected clearValue (slot: number): void { this.#values[slot] = null }
  protected resizeValues (slots: number): void {
    this.#old = this.#values
    this.#values = new Array<V | null>(slots).fill(null)
  }

  protected copyOldValue (oldSlot: number, slot: number): void { this.#values[slot] = this.#old[oldSlot] as V }
  protected dropOldValues (): void { this.#old = [] }
}
