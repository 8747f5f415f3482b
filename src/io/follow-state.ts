/**
 * --state FILE: where --follow was in its file, kept across restarts.
 * In: the followed path and positions (device, inode, offset) to save. Out: the JSON file
 * {path, dev, ino, offset, saved_at}, replaced atomically (temporary file, fsync, rename) so a crash
 * leaves the old position or the new one, never a torn file; and the position read back at start.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { open, readFile, rename } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { FilePosition } from './follow.js'

export interface SavedState extends FilePosition {
  /** The followed path, absolute: a state file kept for another file is not used. */
  path: string
  /** ISO 8601 time of the save, for people reading the file. */
  saved_at: string
}

/** The state file cannot be used at all (a directory, no permission): the caller exits 2. */
export class StateError extends Error {
  override name = 'StateError'
}

/**
 * Checks at start that the state file can be read and replaced, so a bad path fails at once rather
 * than at the first save. A file that does not exist yet is fine if its directory is writable.
 */
export function checkStatePath (path: string): void {
  const dir = dirname(resolve(path))
  let st
  try {
    st = statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateError(`cannot use ${path}: ${code(err)}`)
  }
  if (st !== undefined && !st.isFile()) throw new StateError(`${path} is not a regular file`)
  try {
    // Replacing the file means creating a temporary file beside it and renaming it over.
    accessSync(dir, constants.W_OK | constants.X_OK)
    if (st !== undefined) accessSync(path, constants.R_OK)
  } catch (err) {
    throw new StateError(`cannot write ${path}: ${code(err)} (${st === undefined ? dir : path})`)
  }
}

const isPosition = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

export class StateFile {
  readonly #path: string
  readonly #followed: string
  /** Saves run one after another; the last one started wins. */
  #queue: Promise<void> = Promise.resolve()
  #last: FilePosition | null = null
  #closed = false
  /** Error codes already reported, so a failing disk is reported once per kind of failure. */
  readonly #reported = new Set<string>()
  readonly #warn: (message: string) => void

  constructor (path: string, followed: string, warn: (message: string) => void) {
    this.#path = path
    this.#followed = resolve(followed)
    this.#warn = warn
  }

  /**
   * The saved position, or null with the reason it cannot be used (none yet, not valid JSON, kept
   * for another file). A file that cannot be read at all throws StateError.
   */
  async load (): Promise<{ position: FilePosition, problem: null } | { position: null, problem: string }> {
    let text: string
    try {
      text = await readFile(this.#path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { position: null, problem: 'no saved position yet' }
      throw new StateError(`cannot read ${this.#path}: ${code(err)}`)
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      return { position: null, problem: `not valid JSON (${(err as Error).message})` }
    }
    const s = (typeof data === 'object' && data !== null ? data : {}) as Partial<Record<keyof SavedState, unknown>>
    if (typeof s.path !== 'string' || !isPosition(s.dev) || !isPosition(s.ino) || !isPosition(s.offset)) {
      return { position: null, problem: 'not a saved position (expected path, dev, ino, offset)' }
    }
    if (s.path !== this.#followed) return { position: null, problem: `it is for ${s.path}` }
    this.#last = { dev: s.dev, ino: s.ino, offset: s.offset }
    return { position: this.#last, problem: null }
  }

  /** Saves a position unless it is the one saved last; a failure is reported, not thrown. */
  async save (at: FilePosition): Promise<void> {
    if (this.#closed) return
    await this.#enqueue(at)
  }

  /** The final save at a clean stop; saves asked for after it (a late checkpoint) are ignored. */
  async close (at: FilePosition): Promise<void> {
    this.#closed = true
    await this.#enqueue(at)
  }

  async #enqueue (at: FilePosition): Promise<void> {
    this.#queue = this.#queue.then(async () => await this.#write(at))
    await this.#queue
  }

  async #write (at: FilePosition): Promise<void> {
    const last = this.#last
    if (last !== null && last.dev === at.dev && last.ino === at.ino && last.offset === at.offset) return
    const state: SavedState = { path: this.#followed, dev: at.dev, ino: at.ino, offset: at.offset, saved_at: new Date().toISOString() }
    const tmp = `${this.#path}.tmp`
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(JSON.stringify(state) + '\n')
        // Durable before the rename: after a power loss the name holds the old state or the new, whole.
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, this.#path)
      this.#last = { ...at }
    } catch (err) {
      const c = code(err)
      if (!this.#reported.has(c)) {
        this.#reported.add(c)
        this.#warn(`cannot save the position to ${this.#path}: ${c}; a restart may read some lines again`)
      }
    }
  }
}

function code (err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message
}
