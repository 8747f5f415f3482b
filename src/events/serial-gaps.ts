/**
 * Lost-event detection: gaps in one node's kernel serial numbers.
 * In: the serial of each new event, in arrival order. Out: how many serials never arrived. The
 * kernel numbers every event it sends; a serial that never shows up was lost on the way (kernel
 * backlog overflow, auditd queue overflow, a dropped syslog message). Records may arrive out of
 * order, so a gap stays open for a window of later serials before it counts as lost. A jump of
 * more than RESET_JUMP (either way) is a new numbering (reboot, another log), not a loss.
 */

const RESET_JUMP = 1_000_000
/** A gap is final once serials this far past it have arrived. */
const REORDER_WINDOW = 10_000
/** At most this many open gaps are tracked; the oldest is finalised first. */
const MAX_OPEN = 1024

export class SerialGaps {
  lost = 0
  resets = 0
  #max = -1
  /**
   * Open gaps as [first, last] pairs, oldest first. Made holding one pair and emptied, so the array
   * is one of objects from the start: an empty literal is an array of small integers until its
   * first push, and that change of kind, at the first gap, threw away the assembler's optimised
   * code (see() is inlined there) and had it compiled again.
   */
  readonly #open: Array<[number, number]> = [[0, 0]]

  constructor () {
    this.#open.length = 0
  }

  see (serial: number): void {
    const max = this.#max
    if (max < 0) {
      this.#max = serial
      return
    }
    if (serial === max + 1) {
      this.#max = serial
    } else if (serial > max + 1) {
      if (serial - max > RESET_JUMP) {
        this.#reset(serial)
        return
      }
      this.#open.push([max + 1, serial - 1])
      this.#max = serial
      if (this.#open.length > MAX_OPEN) this.#finalise(1)
    } else if (max - serial > RESET_JUMP) {
      this.#reset(serial)
      return
    } else {
      this.#fill(serial)
    }
    const open = this.#open
    let final = 0
    while (final < open.length && (open[final] as [number, number])[1] < this.#max - REORDER_WINDOW) final++
    if (final > 0) this.#finalise(final)
  }

  /** End of input: whatever is still missing is lost. */
  finish (): void {
    this.#finalise(this.#open.length)
  }

  /** Serials still missing but possibly on their way. */
  get pending (): number {
    let n = 0
    for (const [a, b] of this.#open) n += b - a + 1
    return n
  }

  #reset (serial: number): void {
    this.resets++
    this.#finalise(this.#open.length)
    this.#max = serial
  }

  /** A late serial arrived: remove it from the gap that holds it, if any. */
  #fill (serial: number): void {
    const open = this.#open
    for (let i = open.length - 1; i >= 0; i--) {
      const gap = open[i] as [number, number]
      const [a, b] = gap
      if (serial < a || serial > b) continue
      if (a === b) open.splice(i, 1)
      else if (serial === a) gap[0] = a + 1
      else if (serial === b) gap[1] = b - 1
      else open.splice(i, 1, [a, serial - 1], [serial + 1, b])
      return
    }
  }

  #finalise (count: number): void {
    for (const [a, b] of this.#open.splice(0, count)) this.lost += b - a + 1
  }
}
