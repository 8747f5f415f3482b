/**
 * Context stage: what the kernel does not say per call, recovered from earlier calls on the same
 * socket. In: kept and dropped events in completion order. Out: for a (node, pid, fd), the socket's
 * type, protocol and transport (from socket()) and its local address (from bind(), passed on to the
 * fds accept() returns).
 *
 * Limits: audit rules rarely log close(), so an fd that is closed and reused by a call the rules do
 * not log (dup2, socketpair, an fd inherited across exec) keeps the old state until a logged call
 * replaces it; fds opened before logging started are unknown. Memory is bounded: at most maxEntries
 * sockets (least recently used go first) and none older than maxAgeMs of log time.
 */
import type { Endpoint, SocketInfo } from '../events/network-event.js'

export interface SocketState {
  family: number
  /** socket()'s type and protocol, null when only a bind() was seen. */
  socket: SocketInfo | null
  transport: string | null
  /** Address the socket was bound to, if a bind() was seen. */
  local: Endpoint | null
  /** Log time (ms) of the last call that touched it. */
  seen: number
}

export interface SocketTableOptions {
  maxEntries: number
  maxAgeMs: number
}

export const DEFAULT_SOCKET_TABLE_OPTIONS: SocketTableOptions = {
  maxEntries: 65536,
  maxAgeMs: 24 * 3600 * 1000
}

const PID_LIMIT = 2 ** 22
const FD_LIMIT = 2 ** 31
/** fds below this (nearly all of them) make a small-integer key with any pid below PID_LIMIT. */
const SMALL_FD_LIMIT = 2 ** 8

/**
 * The map key of a socket. For the usual socket (no node name, pid below 2^22 - 1) a number: below 2^30
 * pid * 2^8 + fd when fd is below 2^8, which V8 keeps as a small integer (hashed and compared
 * without a heap number per lookup: this runs for every kept event); else 2^31 * (pid + 1) + fd,
 * exact below 2^53 and never below 2^31, so the two forms never meet. Anything else gets a string
 * key; a number and a string never collide as Map keys.
 */
function key (node: string | null, pid: number, fd: number): string | number {
  if (node === null && pid >= 0 && pid < PID_LIMIT - 1 && fd >= 0 && fd < FD_LIMIT && Number.isInteger(pid) && Number.isInteger(fd)) {
    return fd < SMALL_FD_LIMIT ? pid * SMALL_FD_LIMIT + fd : (pid + 1) * FD_LIMIT + fd
  }
  return `${node ?? ''}\0${pid}\0${fd}`
}

/**
 * A socket in the table, linked in order of use (least recently set first). The order is kept in
 * these links rather than in the Map's insertion order: re-inserting a socket into the Map on each
 * use left a deleted slot behind every time, and V8 rebuilt the Map to reclaim them — directly in
 * the old generation, where it lives — which was a steady share of the peak memory on a long
 * input (99–101 against 93–95 MB on the 871 MB bench corpus).
 */
interface Entry {
  key: string | number
  state: SocketState
  older: Entry | null
  newer: Entry | null
}

export class SocketTable {
  readonly #opts: SocketTableOptions
  readonly #map = new Map<string | number, Entry>()
  /** Least and most recently set. */
  #oldest: Entry | null = null
  #newest: Entry | null = null
  evicted = 0

  constructor (opts: Partial<SocketTableOptions> = {}) {
    this.#opts = { ...DEFAULT_SOCKET_TABLE_OPTIONS, ...opts }
  }

  get size (): number {
    return this.#map.size
  }

  /** The state of a socket, or null; an entry older than maxAgeMs at time now is forgotten. */
  get (node: string | null, pid: number, fd: number, now: number): SocketState | null {
    const k = key(node, pid, fd)
    const e = this.#map.get(k)
    if (e === undefined) return null
    if (now - e.state.seen > this.#opts.maxAgeMs) {
      this.#remove(e)
      return null
    }
    return e.state
  }

  /** Records (or replaces) the state of a socket and marks it most recently used. */
  set (node: string | null, pid: number, fd: number, state: SocketState): void {
    const k = key(node, pid, fd)
    let e = this.#map.get(k)
    if (e !== undefined) {
      e.state = state
      if (e !== this.#newest) {
        this.#unlink(e)
        this.#append(e)
      }
      return
    }
    e = { key: k, state, older: null, newer: null }
    this.#map.set(k, e)
    this.#append(e)
    if (this.#map.size > this.#opts.maxEntries && this.#oldest !== null) {
      this.#remove(this.#oldest)
      this.evicted++
    }
  }

  /** Forgets a socket: its fd now names something else (e.g. a socket of another family). */
  delete (node: string | null, pid: number, fd: number): void {
    const e = this.#map.get(key(node, pid, fd))
    if (e !== undefined) this.#remove(e)
  }

  #remove (e: Entry): void {
    this.#map.delete(e.key)
    this.#unlink(e)
  }

  #unlink (e: Entry): void {
    if (e.older === null) this.#oldest = e.newer
    else e.older.newer = e.newer
    if (e.newer === null) this.#newest = e.older
    else e.newer.older = e.older
    e.older = null
    e.newer = null
  }

  #append (e: Entry): void {
    e.older = this.#newest
    e.newer = null
    if (this.#newest === null) this.#oldest = e
    else this.#newest.newer = e
    this.#newest = e
  }
}
