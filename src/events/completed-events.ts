/**
 * What the assembler remembers of completed events, to tell a re-delivered record (dropped) from a
 * late one (kept as a new, partial event). In: (serial, time, record kinds) of each completed event.
 * Out: for a (serial, time), the kinds that event had, or -1 when it is not remembered.
 *
 * A ring indexed by the serial's low bits, not a hash table: the kernel numbers events one after
 * another, so consecutive events land in consecutive slots and a lookup touches memory the last one
 * warmed. A hash table of the last 65,536 ids spread them over 2 MB and missed the cache on nearly
 * every one of the 3 or 4 lookups an event costs (a tenth of the whole filter's time). What is
 * remembered: every completed event up to `capacity` serials behind the others. The ring starts
 * small and doubles, up to its capacity, only when two events that must both be remembered would
 * share a slot, so a node that logs little costs little.
 */

/** 64 slots, 1 KB: a log merged from thousands of hosts keeps this per node (it was 17 KB at 1,024). */
const FIRST_SIZE = 64
/** A slot never written. Serials are unsigned 32-bit numbers, so no event has it. */
const NO_SERIAL = -1

export class CompletedEvents {
  #serials = new Float64Array(FIRST_SIZE).fill(NO_SERIAL)
  #times = new Float64Array(FIRST_SIZE)
  #kinds = new Uint8Array(FIRST_SIZE)
  #mask = FIRST_SIZE - 1
  readonly #capacity: number

  /** capacity: how many serials back events are remembered (rounded up to a power of two). */
  constructor (capacity: number) {
    let c = FIRST_SIZE
    while (c < capacity) c *= 2
    this.#capacity = c
  }

  /** The kinds (bit set) of the completed event (serial, timeMs), or -1 when not remembered. */
  kinds (serial: number, timeMs: number): number {
    const slot = serial & this.#mask
    return this.#serials[slot] === serial && this.#times[slot] === timeMs ? this.#kinds[slot] as number : -1
  }

  /**
   * Remembers a completed event, merging its kinds with those of the event of the same id completed
   * before. The event of the same serial and another time (a serial reused after a reboot) is
   * forgotten; so is one of another serial in the same slot when it is capacity serials back or more.
   */
  add (serial: number, timeMs: number, kinds: number): void {
    let slot = serial & this.#mask
    let held = this.#serials[slot] as number
    if (held === serial && this.#times[slot] === timeMs) {
      this.#kinds[slot] = (this.#kinds[slot] as number) | kinds
      return
    }
    // A slot holding an event less than capacity serials back: the ring is too small to keep what
    // it promises, and doubles until the two fit apart.
    while (held !== NO_SERIAL && held !== serial && Math.abs(held - serial) < this.#capacity && this.#mask + 1 < this.#capacity) {
      this.#double()
      slot = serial & this.#mask
      held = this.#serials[slot] as number
    }
    this.#serials[slot] = serial
    this.#times[slot] = timeMs
    this.#kinds[slot] = kinds
  }

  #double (): void {
    const serials = this.#serials
    const times = this.#times
    const kinds = this.#kinds
    const size = serials.length * 2
    this.#serials = new Float64Array(size).fill(NO_SERIAL)
    this.#times = new Float64Array(size)
    this.#kinds = new Uint8Array(size)
    this.#mask = size - 1
    for (let i = 0; i < serials.length; i++) {
      const serial = serials[i] as number
      if (serial === NO_SERIAL) continue
      const slot = serial & this.#mask
      this.#serials[slot] = serial
      this.#times[slot] = times[i] as number
      this.#kinds[slot] = kinds[i] as number
    }
  }
}
