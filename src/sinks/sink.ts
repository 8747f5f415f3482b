/**
 * What every output does, whatever it writes to (stdout, a file, a forward-protocol peer).
 * The pipeline writes records, hands them on once per input chunk (flush), waits when the output
 * pushes back (drain), waits for durability before confirming input (settled) and at the end.
 */
export interface Sink {
  /** Queues one output record; timeMs is the audit event's time (ms since the epoch). */
  write: (record: unknown, timeMs: number) => void
  /** Hands queued records to the output. Returns false when the caller should await drain(). */
  flush: () => boolean
  /** Resolves when the output accepts more (or has failed). */
  drain: () => Promise<void>
  /** Resolves when everything written so far is durable: written to the file or acknowledged. */
  settled: () => Promise<void>
  /** Flushes, waits for durability (bounded by the sink's own timeout) and closes. */
  end: () => Promise<void>
  /** Reopens the output (SIGHUP after log rotation); a no-op where that means nothing. */
  reopen: () => void
  /** A fatal output error: the run stops and exits non-zero. */
  readonly error: Error | null
  /** The reader went away (EPIPE on stdout): stop quietly. */
  readonly closed: boolean
  /** Counters for --stats. */
  stats: () => Record<string, number>
}
