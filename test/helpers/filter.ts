/**
 * Test helpers: run the filter core in-process or the built CLI as a child process, and validate
 * every output record against the JSON Schema of its format.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { NetFilter, type FilterOptions, type Stats } from '../../src/filter.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = `${ROOT}dist/bin.js`
export const SHARED = `${ROOT}../shared`

/**
 * The Node options the netfilter command starts with: those its shebang gives node (src/bin.ts).
 * Whatever starts node itself (install.sh's plugin wrapper, the rsyslog and Fluent Bit examples)
 * must give the same ones; the tests of those read them from here.
 */
export const BIN_NODE_OPTIONS: readonly string[] = (() => {
  const line = readFileSync(`${ROOT}src/bin.ts`, 'utf8').split('\n', 1)[0] ?? ''
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: \S+)*)$/.exec(line)
  if (m === null) throw new Error(`src/bin.ts: a shebang that runs node was expected, got ${line}`)
  return (m[1] ?? '').split(' ').filter(w => w !== '')
})()

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as
  (ajv: Ajv) => Ajv
const ajv = new Ajv({ allErrors: true, strict: true })
addFormats(ajv)
const validators = new Map<string, ValidateFunction>()

/** Validates a record against schemas/<name>.schema.json; returns the errors as text ([] = valid). */
export function schemaErrors (record: unknown, name = 'event'): string[] {
  let validate = validators.get(name)
  if (validate === undefined) {
    validate = ajv.compile(JSON.parse(readFileSync(`${ROOT}schemas/${name}.schema.json`, 'utf8')) as object)
    validators.set(name, validate)
  }
  if (validate(record)) return []
  return (validate.errors ?? []).map(e => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
}

/** Throws, naming the first invalid record, unless every record is valid. */
export function assertSchemaValid (records: readonly unknown[], name = 'event'): void {
  for (const r of records) {
    const errors = schemaErrors(r, name)
    if (errors.length > 0) throw new Error(`schema ${name}: ${errors.join('; ')} in ${JSON.stringify(r)}`)
  }
}

export interface FilterRun { events: NetworkEvent[], stats: Stats }

/**
 * Runs the filter core over text or bytes, in chunks of chunkSize bytes (to exercise records split
 * across chunks), and checks every output record against the schema.
 */
export function runFilter (input: string | Buffer, opts: Partial<FilterOptions> = {}, chunkSize = 0): FilterRun {
  const events: NetworkEvent[] = []
  const f = new NetFilter(ev => events.push(ev), opts)
  const buf = typeof input === 'string' ? Buffer.from(input) : input
  if (chunkSize <= 0) f.push(buf)
  else for (let i = 0; i < buf.length; i += chunkSize) f.push(buf.subarray(i, i + chunkSize))
  f.end()
  assertSchemaValid(events)
  return { events, stats: f.stats() }
}

/** Reads a file from ../shared (gunzipped if .gz), or returns null when ../shared is absent. */
export function readShared (rel: string): Buffer | null {
  let data: Buffer
  try {
    data = readFileSync(`${SHARED}/${rel}`)
  } catch {
    return null
  }
  return rel.endsWith('.gz') ? gunzipSync(data) : data
}

export interface CliRun { status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Runs dist/bin.js with args, feeding input on stdin (closed after it). */
export async function runCli (args: string[], input: string | Buffer = '', env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TZ: 'UTC', ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdin.on('error', () => {})
  child.stdin.end(input)
  return await new Promise(resolve => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
  })
}

/** Parses JSON lines. */
export function jsonLines<T = NetworkEvent> (text: string): T[] {
  return text.split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as T)
}

let example: string | null = null

/**
 * The bundled example log (examples/audit.log) n times over, copies from to from + n - 1, copy i
 * moved on by 5 s and 100,000 serials, so each copy is new events: input as large as a test needs,
 * real in every record.
 */
export function exampleCopies (n: number, from = 0): string {
  example ??= readFileSync(`${ROOT}examples/audit.log`, 'latin1')
  const parts: string[] = []
  for (let i = from; i < from + n; i++) {
    parts.push(example.replace(/audit\((\d+)\.(\d+):(\d+)\)/g, (_m, sec: string, ms: string, serial: string) =>
      `audit(${Number(sec) + i * 5}.${ms}:${Number(serial) + i * 100000})`))
  }
  return parts.join('')
}

/**
 * Skips loudly: a "# SKIP reason" line in the TAP output and a comment, for tests that cannot run
 * for a reason outside the project (no ../shared in a user's clone, no kernel audit subsystem).
 */
export function skipLoudly (t: { pass: (message: string, extra: { skip: string }) => unknown, comment: (...m: unknown[]) => unknown }, reason: string): void {
  t.comment(`SKIPPED: ${reason}`)
  t.pass(reason, { skip: reason })
}
