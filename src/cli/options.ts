/**
 * Command line and config file → Settings.
 * In: argv (without node and script) and, with --config FILE, a JSON file validated against
 * schemas/config.schema.json. Out: validated Settings, or a UsageError naming the flag (or the
 * JSON path in the file) and the problem; the caller exits 2. Flags override the file; defaults
 * live here, in one table, and --help prints them.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { FAMILY_NUMBERS } from '../tables/families.js'
import { SYSCALL_TABLES, SOCKETCALL_CALLS } from '../tables/syscalls.js'
import { AF_INET, AF_INET6, AF_UNIX } from '../decoders/sockaddr.js'
import { FilterError, compileExePattern, parseCidr, type FilterSettings } from '../selection/filters.js'
import type { Result } from '../events/network-event.js'

export interface Settings {
  files: string[]
  stats: boolean
  eventTimeoutMs: number
  idleTimeoutMs: number
  maxInflight: number
  maxLineBytes: number
  /** Address families kept: inet and inet6 always, plus --family. */
  keepFamilies: ReadonlySet<number>
  filters: FilterSettings
  help: boolean
  version: boolean
  /** The config file read, if any. */
  config: string | null
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const DEFAULTS = {
  'event-timeout': 2,
  'idle-timeout': 500,
  'max-inflight': 16384,
  'max-line-bytes': 1048576
} as const

/** Options that may appear in the config file, by their long flag name. */
const OPTIONS = {
  stats: { type: 'boolean' },
  'event-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-inflight': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  family: { type: 'string', multiple: true },
  'exclude-loopback': { type: 'boolean' },
  'include-cidr': { type: 'string', multiple: true },
  'exclude-cidr': { type: 'string', multiple: true },
  result: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  exe: { type: 'string', multiple: true },
  syscall: { type: 'string', multiple: true }
} as const

const CLI_ONLY = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  config: { type: 'string', short: 'c' }
} as const

/** --no-NAME turns off a boolean option the config file turned on (parseArgs on Node 20 has no allowNegative). */
const NEGATIONS = Object.fromEntries(Object.entries(OPTIONS)
  .filter(([, spec]) => spec.type === 'boolean')
  .map(([name]) => [`no-${name}`, { type: 'boolean' }])) as Record<string, { type: 'boolean' }>

export const CONFIG_KEYS: readonly string[] = [...Object.keys(OPTIONS), 'files']

type Raw = Record<string, unknown>

function numberOption (raw: Raw, flag: keyof typeof DEFAULTS, min: number, integer: boolean): number {
  const v = raw[flag]
  if (v === undefined) return DEFAULTS[flag]
  const n = typeof v === 'number' ? v : Number(v)
  if ((typeof v === 'string' && v.trim() === '') || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} >= ${min}, got '${String(v)}'`)
  }
  return n
}

/** A list option: repeated flags and comma-separated values both add items. */
function listOption (raw: Raw, flag: string): string[] | null {
  const v = raw[flag]
  if (v === undefined) return null
  const items = (Array.isArray(v) ? v : [v]).flatMap(x => String(x).split(',')).map(x => x.trim()).filter(x => x !== '')
  if (items.length === 0) throw new UsageError(`--${flag}: expected a value`)
  return items
}

const FAMILY_ALIASES: Readonly<Record<string, number>> = { unix: AF_UNIX, inet: AF_INET, inet6: AF_INET6 }

function familyNumber (name: string): number {
  const lower = name.toLowerCase().replace(/^af_/, '')
  const n = FAMILY_ALIASES[lower] ?? FAMILY_NUMBERS[lower] ?? (/^\d{1,3}$/.test(lower) ? Number(lower) : undefined)
  if (n === undefined || n > 255) throw new UsageError(`--family: unknown address family '${name}' (e.g. unix, netlink, packet, vsock, or a number)`)
  return n
}

const KNOWN_SYSCALLS: ReadonlySet<string> = new Set([...Object.values(SYSCALL_TABLES).flat(), ...SOCKETCALL_CALLS].filter(s => s !== ''))
const RESULTS: readonly Result[] = ['success', 'in_progress', 'failed']

function checked<T> (flag: string, values: string[] | null, check: (v: string) => T): T[] | null {
  if (values === null) return null
  return values.map(v => {
    try {
      return check(v)
    } catch (err) {
      if (err instanceof FilterError) throw new UsageError(`--${flag}: ${err.message}`)
      throw err
    }
  })
}

/** Reads and validates --config FILE; errors name the file and the JSON path. */
function readConfig (path: string): Raw {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`--config ${path}: not valid JSON: ${(err as Error).message}`)
  }
  return validateConfig(data, path)
}

/**
 * Validates a parsed config file against schemas/config.schema.json. ajv is loaded here, on first
 * use, with a synchronous require: it adds tens of milliseconds to start-up, and most runs (and
 * every --help/--version) have no config file.
 */
export function configErrors (data: unknown): string | null {
  const require = createRequire(import.meta.url)
  const { Ajv } = require('ajv') as typeof import('ajv')
  const schema = JSON.parse(readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8')) as object
  const validate = new Ajv({ allErrors: false, strict: true }).compile(schema)
  if (validate(data)) return null
  const e = validate.errors?.[0]
  if (e === undefined) return 'invalid'
  const where = e.instancePath === '' ? '(top level)' : e.instancePath
  const extra = e.keyword === 'additionalProperties'
    ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
    : e.keyword === 'enum' ? ` (${((e.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')})` : ''
  return `${where}: ${e.message ?? 'invalid'}${extra}`
}

function validateConfig (data: unknown, path: string): Raw {
  const error = configErrors(data)
  if (error !== null) throw new UsageError(`--config ${path}: ${error}`)
  return data as Raw
}

export function parseCommandLine (argv: readonly string[]): Settings {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: { ...OPTIONS, ...CLI_ONLY, ...NEGATIONS }, allowPositionals: true, strict: true })
  } catch (err) {
    // parseArgs's messages name the flag ("Unknown option '--foo'"); keep them, drop its advice.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  const flags = parsed.values as Raw
  const config = typeof flags['config'] === 'string' ? flags['config'] : null
  const fromFile = config === null ? {} : readConfig(config)
  // Flags override the file, option by option.
  const raw: Raw = { ...fromFile }
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue
    if (k.startsWith('no-') && k in NEGATIONS) raw[k.slice(3)] = false
    else raw[k] = v
  }

  const eventTimeout = numberOption(raw, 'event-timeout', 0.001, false)
  const families = checked('family', listOption(raw, 'family'), familyNumber) ?? []
  const includeCidr = listOption(raw, 'include-cidr') ?? []
  const excludeCidr = listOption(raw, 'exclude-cidr') ?? []
  checked('include-cidr', includeCidr, parseCidr)
  checked('exclude-cidr', excludeCidr, parseCidr)
  const exe = listOption(raw, 'exe')
  checked('exe', exe, compileExePattern)
  const files = parsed.positionals.length > 0
    ? parsed.positionals
    : Array.isArray(fromFile['files']) && fromFile['files'].length > 0 ? fromFile['files'] as string[] : ['-']

  return {
    files,
    stats: raw['stats'] === true,
    eventTimeoutMs: Math.round(eventTimeout * 1000),
    idleTimeoutMs: numberOption(raw, 'idle-timeout', 0, true),
    maxInflight: numberOption(raw, 'max-inflight', 1, true),
    maxLineBytes: numberOption(raw, 'max-line-bytes', 64, true),
    keepFamilies: new Set([AF_INET, AF_INET6, ...families]),
    filters: {
      excludeLoopback: raw['exclude-loopback'] === true,
      includeCidr,
      excludeCidr,
      result: checked('result', listOption(raw, 'result'), r => {
        if (!(RESULTS as readonly string[]).includes(r)) throw new UsageError(`--result: '${r}' is not one of ${RESULTS.join(', ')}`)
        return r as Result
      }),
      key: listOption(raw, 'key'),
      exe,
      syscall: checked('syscall', listOption(raw, 'syscall'), s => {
        if (!KNOWN_SYSCALLS.has(s)) throw new UsageError(`--syscall: '${s}' is not a syscall name on any supported arch`)
        return s
      })
    },
    help: flags['help'] === true,
    version: flags['version'] === true,
    config
  }
}
