/**
 * Follows one file as `tail -F` does, by polling, across rotation, truncation and a missing file.
 * In: a path, where to start (end, start, or a saved position), an AbortSignal. Out: Buffer chunks
 * of what was appended, each ending at a line end, with the position (device, inode, offset) a
 * restart resumes from once the chunk is handled.
 */
import { open, stat, type FileHandle } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

/** A place in a file, by identity (device and inode) rather than by name, which rotation changes. */
export interface FilePosition {
  dev: number
  ino: number
  offset: number
}

/** Where following starts: the end of the file (as tail -F), its start, or a saved position. */
export type FollowStart = 'end' | 'start' | FilePosition

export interface FollowOptions {
  start: FollowStart
  /** How often the file is looked at when nothing new was found. */
  pollIntervalMs: number
  /** Stops following: the generator returns at its next step. */
  signal?: AbortSignal | undefined
  /** Largest read; memory held is about this much. */
  chunkBytes?: number
  /** Where truncation, a missing file and the like are reported. */
  warn?: (message: string) => void
}

export interface FollowChunk {
  /** Bytes read; empty when only the position moved (a file opened, a truncation seen). */
  data: Buffer
  /** The file that data came from is finished (rotated away or removed): its last line ends here. */
  fileEnded: boolean
  /** Where a restart resumes once this chunk is handled. */
  position: FilePosition
}

export interface FollowCounters {
  /** Files left because the path came to name another file (or none). */
  rotations: number
  /** Files found shorter than what was read of them, and read again from their start. */
  truncations: number
}

interface OpenFile {
  fh: FileHandle
  name: string
  dev: number
  ino: number
  offset: number
}

const NEWLINE = 0x0a
const DEFAULT_CHUNK_BYTES = 1 << 20
/** How far back from the end a start at the end looks for the last line end. */
const TAIL_SCAN_BYTES = 64 * 1024
/** auditd's num_logs may not exceed 999: rotated files are PATH.1 … PATH.999. */
const MAX_ROTATED = 999
const EMPTY = Buffer.alloc(0)
/** What a stat of the path gives when it failed other than by the file not being there. */
const UNKNOWN = Symbol('unknown')

const sameFile = (a: { dev: number, ino: number }, b: { dev: number, ino: number }): boolean => a.dev === b.dev && a.ino === b.ino

/**
 * Polls rather than using fs.watch: inotify watches an inode, not a name, so it misses the new file
 * after a rename, and it does not work at all on NFS and some overlay filesystems. A stat every
 * poll interval costs nothing next to auditd's own writes.
 */
export class FileFollower {
  readonly counters: FollowCounters = { rotations: 0, truncations: 0 }
  readonly #path: string
  readonly #opts: FollowOptions
  readonly #chunkBytes: number
  /** The file the path named when last looked at, or null while there is none. */
  #current: OpenFile | null = null
  /** Rotated files to finish before the current one, oldest first (found when resuming). */
  #backlog: OpenFile[] = []
  /** Problems already reported, so a file that stays missing or unreadable is reported once. */
  readonly #reported = new Set<string>()
  /** Polls in a row that found no file at the path. */
  #missing = 0
  /** The file last finished, and where: if the path names it again, reading goes on from there. */
  #finished: FilePosition | null = null

  constructor (path: string, opts: FollowOptions) {
    this.#path = path
    this.#opts = opts
    this.#chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES
  }

  /**
   * The chunks, until the signal aborts. The first chunk (empty) gives the starting position as
   * soon as a file is open. Files are closed when the generator ends, however it ends.
   */
  async * chunks (): AsyncGenerator<FollowChunk, void, undefined> {
    try {
      await this.#begin(this.#opts.start)
      const first = this.#backlog[0] ?? this.#current
      if (first !== null) yield this.#chunk(first, EMPTY, false)
      while (!this.#aborted()) {
        const progressed = yield * this.#step()
        if (!progressed && !await this.#pause()) break
      }
    } finally {
      for (const f of [...this.#backlog, this.#current]) await f?.fh.close().catch(() => {})
      this.#backlog = []
      this.#current = null
    }
  }

  /** One look at the files; true when something happened, so the next look comes at once. */
  async * #step (): AsyncGenerator<FollowChunk, boolean, undefined> {
    const rotated = this.#backlog[0]
    if (rotated !== undefined) {
      if (!(yield * this.#finish(rotated))) return true
      this.#backlog.shift()
      const next = this.#backlog[0] ?? this.#current
      if (next !== null) yield this.#chunk(next, EMPTY, false)
      return true
    }
    // Asked before reading: whatever reached the old file before it was renamed is read below.
    const named = await this.#statPath()
    const current = this.#current
    if (current === null) {
      if (named === null || named === UNKNOWN) return false
      const file = await this.#openPath()
      if (file === null) return false
      if (this.#reported.has('missing')) this.#warn(`${this.#path} appeared; following it from its start`)
      this.#reported.clear()
      // The file finished last, back at the path (renamed away and back): no line is read twice.
      if (this.#finished !== null && sameFile(file, this.#finished)) file.offset = this.#finished.offset
      this.#current = file
      yield this.#chunk(file, EMPTY, false)
      return true
    }
    // A path that cannot be looked at just now is not a rotation: the open file is read on.
    if (named === UNKNOWN || (named !== null && sameFile(named, current))) return yield * this.#readLines(current)
    // The path names another file, or none: this one was rotated or removed and gets no more lines.
    if (!(yield * this.#finish(current))) return true
    this.#finished = { dev: current.dev, ino: current.ino, offset: current.offset }
    this.#current = null
    this.counters.rotations++
    return true
  }

  /** Reads the complete lines appended to a file that may still grow; true if there were any. */
  async * #readLines (file: OpenFile): AsyncGenerator<FollowChunk, boolean, undefined> {
    let progressed = false
    if (await this.#truncated(file)) {
      progressed = true
      yield this.#chunk(file, EMPTY, false)
    }
    for (;;) {
      const data = await this.#read(file, false)
      if (data === null) return progressed
      progressed = true
      yield this.#chunk(file, data, false)
      if (this.#aborted()) return progressed
    }
  }

  /**
   * Reads a file that will not grow any more to its very end and closes it; false when the signal
   * stopped it first (the file stays open and listed, and the position stays inside it).
   */
  async * #finish (file: OpenFile): AsyncGenerator<FollowChunk, boolean, undefined> {
    await this.#truncated(file)
    for (;;) {
      const data = await this.#read(file, true)
      if (data === null) break
      yield this.#chunk(file, data, false)
      if (this.#aborted()) return false
    }
    await file.fh.close()
    yield this.#chunk(file, EMPTY, true)
    return true
  }

  /**
   * The next piece of a file from its offset, at most chunkBytes. Unless whole, it is cut after its
   * last line end and null is returned while only a partial line was appended (a line being
   * written is read once it is complete, and a saved position is always at a line start); a line
   * longer than chunkBytes is returned in pieces.
   */
  async #read (file: OpenFile, whole: boolean): Promise<Buffer | null> {
    const { size } = await file.fh.stat()
    const length = Math.min(size - file.offset, this.#chunkBytes)
    if (length <= 0) return null
    const buf = Buffer.allocUnsafe(length)
    const { bytesRead } = await file.fh.read(buf, 0, length, file.offset)
    if (bytesRead === 0) return null
    let data = buf.subarray(0, bytesRead)
    if (!whole) {
      const nl = data.lastIndexOf(NEWLINE)
      if (nl >= 0) data = data.subarray(0, nl + 1)
      else if (bytesRead < this.#chunkBytes) return null
    }
    file.offset += data.length
    return data
  }

  /** A file now shorter than what was read of it was truncated (copytruncate): read it again from 0. */
  async #truncated (file: OpenFile): Promise<boolean> {
    const { size } = await file.fh.stat()
    if (size >= file.offset) return false
    this.counters.truncations++
    this.#warn(`${file.name} was truncated (${size} bytes, ${file.offset} read); reading it from its start`)
    file.offset = 0
    return true
  }

  async #begin (start: FollowStart): Promise<void> {
    if (typeof start === 'object') {
      await this.#resume(start)
      return
    }
    const file = await this.#openPath()
    if (file === null) {
      this.#warn(`${this.#path} does not exist (yet); waiting for it`)
      this.#reported.add('missing')
      return
    }
    if (start === 'end') file.offset = await lineStartBeforeEnd(file.fh)
    this.#current = file
  }

  /**
   * Resumes at a saved position: in the same file if the path still names it, else in the rotated
   * file that has its identity (auditd renames PATH to PATH.1, PATH.1 to PATH.2, …), which is
   * finished first, with the files rotated after it; then the path is read from its start.
   */
  async #resume (at: FilePosition): Promise<void> {
    const named = await this.#statPath()
    if (named !== null && named !== UNKNOWN && sameFile(named, at)) {
      const file = await this.#openPath()
      if (file !== null && sameFile(file, at)) {
        file.offset = at.offset
        this.#current = file
        return
      }
      await file?.fh.close()
    }
    const rotated = await this.#openRotated(at)
    if (rotated !== null) {
      this.#backlog = rotated
      return
    }
    this.#warn(`${this.#path}: the file read before (inode ${at.ino}) is neither there nor at ${this.#path}.1…; ` +
      'reading from the start of what the path names now (lines written to the old file after the saved position are lost)')
  }

  /** The rotated files from the one with the saved position's identity to PATH.1, or null if none has it. */
  async #openRotated (at: FilePosition): Promise<OpenFile[] | null> {
    let found = 0
    for (let k = 1; k <= MAX_ROTATED && found === 0; k++) {
      const st = await stat(`${this.#path}.${k}`).catch(() => null)
      if (st === null) break
      if (sameFile(st, at)) found = k
    }
    if (found === 0) return null
    const files: OpenFile[] = []
    for (let k = found; k >= 1; k--) {
      const file = await openFile(`${this.#path}.${k}`).catch(() => null)
      if (file === null) continue
      if (k === found) {
        // Rotated again between the stat and the open: the name now holds another file.
        if (!sameFile(file, at)) {
          await file.fh.close()
          for (const f of files) await f.fh.close()
          return null
        }
        file.offset = at.offset
      }
      files.push(file)
    }
    return files
  }

  /** The path's identity now; null while it names nothing, UNKNOWN when it cannot be looked at. */
  async #statPath (): Promise<Stats | null | typeof UNKNOWN> {
    try {
      const st = await stat(this.#path)
      this.#missing = 0
      return st
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        if (!this.#reported.has(code)) {
          this.#reported.add(code)
          this.#warn(`cannot look at ${this.#path}: ${code}; retrying`)
        }
        return UNKNOWN
      }
      this.#missing++
      // One poll without the file is a rotation in progress (renamed, not yet created); more is worth saying.
      if (this.#missing > 1 && !this.#reported.has('missing')) {
        this.#reported.add('missing')
        this.#warn(`${this.#path} does not exist; waiting for it`)
      }
      return null
    }
  }

  async #openPath (): Promise<OpenFile | null> {
    try {
      return await openFile(this.#path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      // A new file auditd has not yet given its group may be unreadable for a moment: retry, report once.
      if (code !== 'ENOENT' && !this.#reported.has(code)) {
        this.#reported.add(code)
        this.#warn(`cannot open ${this.#path}: ${code}; retrying`)
      }
      return null
    }
  }

  #chunk (file: OpenFile, data: Buffer, fileEnded: boolean): FollowChunk {
    return { data, fileEnded, position: { dev: file.dev, ino: file.ino, offset: file.offset } }
  }

  #aborted (): boolean {
    return this.#opts.signal?.aborted === true
  }

  /** Waits a poll interval; false when the signal aborted the wait. */
  async #pause (): Promise<boolean> {
    const signal = this.#opts.signal
    try {
      await sleep(this.#opts.pollIntervalMs, undefined, signal === undefined ? {} : { signal })
      return true
    } catch (err) {
      if (this.#aborted()) return false
      throw err
    }
  }

  #warn (message: string): void {
    this.#opts.warn?.(message)
  }
}

async function openFile (name: string): Promise<OpenFile> {
  const fh = await open(name, 'r')
  try {
    const st = await fh.stat()
    return { fh, name, dev: st.dev, ino: st.ino, offset: 0 }
  } catch (err) {
    await fh.close()
    throw err
  }
}

/**
 * Where a start at the end begins: after the last line end, so that a line auditd is in the middle
 * of writing is read whole rather than from its middle.
 */
async function lineStartBeforeEnd (fh: FileHandle): Promise<number> {
  const { size } = await fh.stat()
  const length = Math.min(size, TAIL_SCAN_BYTES)
  if (length === 0) return size
  const buf = Buffer.allocUnsafe(length)
  const { bytesRead } = await fh.read(buf, 0, length, size - length)
  const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE)
  return nl < 0 ? size : size - length + nl + 1
}
