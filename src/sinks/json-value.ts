/**
 * Output: any record (the ECS and OCSF documents) → its JSON text as UTF-8, exactly the bytes of
 * JSON.stringify(record), written straight into the batch (json-writer.ts). JSON.stringify made
 * about 1 KB per microsecond of these documents; this writes what it can as bytes, and writes the
 * bytes of a deeply frozen object it has written before again by identity: the formats share one
 * frozen object among the events of a process (its process and user parts, its addresses).
 *
 * Whatever it cannot write exactly as JSON.stringify would — a string that needs escaping or is not
 * printable ASCII, an object with toJSON (a Date), a class instance, a BigInt, very deep nesting —
 * makes writeJsonRecord start the record over with JSON.stringify itself, so the bytes are always
 * JSON.stringify's (test/sinks/json-value.test.ts compares the two).
 */
import { JsonWriter, KeptBytes, fragment } from './json-writer.js'

const NULL = fragment('null')
const TRUE = fragment('true')
const FALSE = fragment('false')
const COMMA = 0x2c
const COLON = 0x3a

/** What writing a value gave: not written exactly, written, or written and frozen all through. */
const FAILED = 0
const WRITTEN = 1
const IMMUTABLE = 2
type Outcome = typeof FAILED | typeof WRITTEN | typeof IMMUTABLE

/** Deeper than this, JSON.stringify's own text is used (and its error for a cycle). */
const MAX_DEPTH = 32

/**
 * The bytes of objects written before, by object: only objects frozen all the way down, which
 * cannot have changed since. Weak, so the bytes go when the object does.
 */
const frozenBytes = new WeakMap<object, KeptBytes>()

/** Writes record as JSON (no newline) to w: JSON.stringify's bytes, fast where it can be. */
export function writeJsonRecord (w: JsonWriter, record: unknown): void {
  const start = w.length
  if (typeof record !== 'object' || record === null || writeObject(w, record, 0) === FAILED) {
    w.truncate(start)
    w.text(JSON.stringify(record))
  }
}

/**
 * Writes value as JSON.stringify would inside a record; false (having written bytes that do not
 * count) when it cannot be exact, and then the caller starts its record over as JSON.stringify's
 * text. For writers made for one record shape, for their parts of any shape (formats/native.ts).
 */
export function writeJsonValue (w: JsonWriter, value: unknown): boolean {
  return writeValue(w, value, 0) !== FAILED
}

/**
 * A value in an object or array. Absent values (undefined, functions, symbols) are the caller's
 * to skip (in an object) or write as null (in an array), as JSON.stringify does.
 */
function writeValue (w: JsonWriter, v: unknown, depth: number): Outcome {
  switch (typeof v) {
    case 'string':
      return w.str(v) ? IMMUTABLE : FAILED
    case 'number':
      w.num(v)
      return IMMUTABLE
    case 'boolean':
      w.fragment(v ? TRUE : FALSE)
      return IMMUTABLE
    case 'object':
      if (v === null) {
        w.fragment(NULL)
        return IMMUTABLE
      }
      return writeObject(w, v, depth + 1)
    default:
      return FAILED // bigint (JSON.stringify throws for it), or a value the caller should have skipped
  }
}

const isAbsent = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol'

function writeObject (w: JsonWriter, o: object, depth: number): Outcome {
  const frozen = Object.isFrozen(o)
  if (frozen) {
    const kept = frozenBytes.get(o)
    if (kept !== undefined) {
      w.kept(kept)
      return IMMUTABLE
    }
  }
  if (depth > MAX_DEPTH) return FAILED
  const start = w.length
  let outcome: Outcome = frozen ? IMMUTABLE : WRITTEN
  if (Array.isArray(o)) {
    w.byte(0x5b) // [
    for (let i = 0; i < o.length; i++) {
      if (i > 0) w.byte(COMMA)
      const v: unknown = o[i]
      if (isAbsent(v)) {
        w.fragment(NULL)
        continue
      }
      const r = writeValue(w, v, depth)
      if (r === FAILED) return FAILED
      if (r === WRITTEN) outcome = WRITTEN
    }
    w.byte(0x5d) // ]
  } else {
    // Plain objects only: toJSON, boxed primitives and other classes are JSON.stringify's to write.
    const proto: unknown = Object.getPrototypeOf(o)
    if ((proto !== Object.prototype && proto !== null) || typeof (o as { toJSON?: unknown }).toJSON === 'function') return FAILED
    w.byte(0x7b) // {
    let first = true
    const record = o as Record<string, unknown>
    const keys = Object.keys(record) // JSON.stringify's keys, in its order
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string
      const v = record[k]
      if (isAbsent(v)) continue
      if (!first) w.byte(COMMA)
      first = false
      if (!w.str(k)) return FAILED
      w.byte(COLON)
      const r = writeValue(w, v, depth)
      if (r === FAILED) return FAILED
      if (r === WRITTEN) outcome = WRITTEN
    }
    w.byte(0x7d) // }
  }
  if (outcome === IMMUTABLE) {
    const bytes = new KeptBytes(w.length - start)
    w.keepSince(start, bytes)
    frozenBytes.set(o, bytes)
  }
  return outcome
}
