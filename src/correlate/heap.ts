/**
 * A binary min-heap keyed by a number. In: items with their key. Out: the item with the smallest
 * key first. The join keeps its time-ordered buffers in these, since inputs arrive only roughly
 * in time order (within --lateness).
 */
export class MinHeap<T> {
  private readonly keys: number[] = []
  private readonly items: T[] = []

  get size (): number {
    return this.items.length
  }

  push (key: number, item: T): void {
    const keys = this.keys
    const items = this.items
    let i = items.length
    keys.push(key)
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((keys[parent] as number) <= key) break
      keys[i] = keys[parent] as number
      items[i] = items[parent] as T
      i = parent
    }
    keys[i] = key
    items[i] = item
  }

  /** The smallest key, or Infinity when empty. */
  peekKey (): number {
    return this.keys.length === 0 ? Infinity : this.keys[0] as number
  }

  pop (): T | undefined {
    const items = this.items
    const keys = this.keys
    if (items.length === 0) return undefined
    const top = items[0] as T
    const lastItem = items.pop() as T
    const lastKey = keys.pop() as number
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && (keys[r] as number) < (keys[l] as number) ? r : l
        if ((keys[c] as number) >= lastKey) break
        keys[i] = keys[c] as number
        items[i] = items[c] as T
        i = c
      }
      keys[i] = lastKey
      items[i] = lastItem
    }
    return top
  }
}
