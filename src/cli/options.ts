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
import { ForwardTargetError, parseForwardTarget } from '../sinks/forward-target.js'
import { packageFile } from '../package-files.js'

export interface Settings {
  files: string[]
  stats: boolean
  eventTimeoutMs: number
  idleTimeoutMs: number
  maxInflight: number
  maxLineBytes: number
  /** Address families kept: inet and inet6 always, plus --family. */
  keepFamilies: ReadonlySet<number>
  /** Keep addressless accepts on known inet/inet6 listeners (FilterOptions.acceptWithoutAddress). */
  acceptWithoutAddress: boolean
  filters: FilterSettings
  help: boolean
  version: boolean
  /** The config file read, if any. */
  config: string | null
  format: 'native' | 'ecs' | 'ocsf'
  output: string | null
  forward: string | null
  tag: string
  ack: boolean
  forwardTimeoutMs: number
  forwardMaxPending: number
  confirm: boolean
  /** --follow: read the one FILE as tail -F does, until SIGTERM/SIGINT. */
  follow: boolean
  /** With --follow: begin at the file's start rather than its end (when no --state position). */
  fromStart: boolean
  /** With --follow: the file where the read position is saved and resumed from. */
  state: string | null
  pollIntervalMs: number
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const DEFAULTS = {
  'event-timeout': 2,
  'idle-timeout': 500,
  'max-inflight': 16384,
  'max-line-bytes': 1048576,
  format: 'native',
  tag: 'netfilter',
  'forward-timeout': 4000,
  'forward-max-pending': 10000,
  'poll-interval': 200
} as const

type NumberOption = 'event-timeout' | 'idle-timeout' | 'max-inflight' | 'max-line-bytes' | 'forward-timeout' | 'forward-max-pending' | 'poll-interval'
const FORMATS = ['native', 'ecs', 'ocsf'] as const

/** Options that may appear in the config file, by their long flag name. */
const OPTIONS = {
  stats: { type: 'boolean' },
  'event-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-inflight': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  family: { type: 'string', multiple: true },
  'exclude-loopback': { type: 'boolean' },
  'accept-without-address': { type: 'boolean' },
  'include-cidr': { type: 'string', multiple: true },
  'exclude-cidr': { type: 'string', multiple: true },
  result: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  exe: { type: 'string', multiple: true },
  syscall: { type: 'string', multiple: true },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  forward: { type: 'string' },
  tag: { type: 'string' },
  ack: { type: 'boolean' },
  'forward-timeout': { type: 'string' },
  'forward-max-pending': { type: 'string' },
  confirm: { type: 'boolean' },
  follow: { type: 'boolean' },
  'from-start': { type: 'boolean' },
  state: { type: 'string' },
  'poll-interval': { type: 'string' }
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

/** Options whose values may hold commas (globs such as /usr/bin/{curl,wget}): repeat the flag instead. */
const NO_COMMA_SPLIT: ReadonlySet<string> = new Set(['exe'])

/**
 * The merged option values, remembering where each came from, so a bad value is reported as the
 * flag the user typed or as the JSON path in the config file.
 */
class Values {
  constructor (readonly flags: Raw, readonly file: Raw, readonly configPath: string | null) {}

  get (name: string): unknown {
    return this.flags[name] !== undefined ? this.flags[name] : this.file[name]
  }

  where (name: string, index?: number): string {
    if (this.flags[name] !== undefined || this.configPath === null) return `--${name}`
    return `--config ${this.configPath}: /${name}${index === undefined ? '' : `/${index}`}`
  }

  number (name: NumberOption, min: number, integer: boolean): number {
    const v = this.get(name)
    if (v === undefined) return DEFAULTS[name]
    const n = typeof v === 'number' ? v : Number(v)
    if ((typeof v === 'string' && v.trim() === '') || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new UsageError(`${this.where(name)}: expected ${integer ? 'an integer' : 'a number'} >= ${min}, got '${String(v)}'`)
    }
    return n
  }

  /** A string option, or its default. */
  string (name: string, fallback: string | null): string | null {
    const v = this.get(name)
    if (v === undefined) return fallback
    if (typeof v !== 'string' || v === '') throw new UsageError(`${this.where(name)}: expected a value`)
    return v
  }

  /**
   * A list option, each item checked: from flags, repeated and/or comma-separated; from the file,
   * a JSON array taken as is. Null when not given.
   */
  list<T = string> (name: string, check: (item: string) => T = (x: string) => x as T): T[] | null {
    const fromFlags = this.flags[name] !== undefined
    const v = this.get(name)
    if (v === undefined) return null
    const items = fromFlags
      ? (v as string[]).flatMap(x => NO_COMMA_SPLIT.has(name) ? [x] : x.split(',')).map(x => x.trim())
      : (v as string[])
    if (fromFlags && items.some(x => x === '')) throw new UsageError(`--${name}: empty value in '${(v as string[]).join(',')}'`)
    return items.map((item, i) => {
      try {
        return check(item)
      } catch (err) {
        if (err instanceof FilterError || err instanceof UsageError) {
          throw new UsageError(`${this.where(name, fromFlags ? undefined : i)}: ${err.message}`)
        }
        throw err
      }
    })
  }
}

const FAMILY_ALIASES: Readonly<Record<string, number>> = { unix: AF_UNIX, inet: AF_INET, inet6: AF_INET6 }

function familyNumber (name: string): number {
  const lower = name.toLowerCase().replace(/^af_/, '')
  const n = FAMILY_ALIASES[lower] ?? FAMILY_NUMBERS[lower] ?? (/^\d{1,3}$/.test(lower) ? Number(lower) : undefined)
  if (n === undefined || n > 255) throw new UsageError(`unknown address family '${name}' (e.g. unix, netlink, packet, vsock, or a number)`)
  return n
}

const KNOWN_SYSCALLS: ReadonlySet<string> = new Set([...Object.values(SYSCALL_TABLES).flat(), ...SOCKETCALL_CALLS].filter(s => s !== ''))
const RESULTS: readonly Result[] = ['success', 'in_progress', 'failed']

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
  const schema = JSON.parse(readFileSync(packageFile('schemas/config.schema.json'), 'utf8')) as object
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

/** Where the output goes and how: --format, --output, --forward, --tag, --ack, --confirm. */
function outputSettings (o: Values): Pick<Settings, 'format' | 'output' | 'forward' | 'tag' | 'ack' | 'forwardTimeoutMs' | 'forwardMaxPending' | 'confirm'> {
  const format = o.string('format', DEFAULTS.format) as string
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`${o.where('format')}: '${format}' is not one of ${FORMATS.join(', ')}`)
  }
  const output = o.string('output', null)
  const forward = o.string('forward', null)
  if (output !== null && forward !== null) throw new UsageError('--output and --forward: choose one destination')
  if (forward !== null) {
    try {
      parseForwardTarget(forward)
    } catch (err) {
      if (err instanceof ForwardTargetError) throw new UsageError(`${o.where('forward')}: ${err.message}`)
      throw err
    }
  }
  const ack = o.get('ack') === true
  if (ack && forward === null) throw new UsageError('--ack: acknowledgements need --forward')
  const confirm = o.get('confirm') === true
  if (confirm && output === null && forward === null) {
    // With --confirm stdout carries only OK lines to rsyslog, so events need another way out.
    throw new UsageError('--confirm: stdout then carries only OK lines for rsyslog; give --output FILE or --forward HOST:PORT for the events')
  }
  return {
    format: format as Settings['format'],
    output,
    forward,
    tag: o.string('tag', DEFAULTS.tag) as string,
    ack,
    forwardTimeoutMs: o.number('forward-timeout', 0, true),
    forwardMaxPending: o.number('forward-max-pending', 1, true),
    confirm
  }
}

/** --follow and what only it uses: --from-start, --state, --poll-interval. */
function followSettings (o: Values, files: readonly string[]): Pick<Settings, 'follow' | 'fromStart' | 'state' | 'pollIntervalMs'> {
  const follow = o.get('follow') === true
  const fromStart = o.get('from-start') === true
  const state = o.string('state', null)
  const pollIntervalMs = o.number('poll-interval', 1, true)
  if (follow) {
    if (files.length !== 1 || files[0] === '-') {
      throw new UsageError(`--follow: give exactly one FILE to follow (standard input cannot be followed), got ${files.length === 1 ? 'standard input' : `${files.length} files`}`)
    }
    // omprog feeds netfilter on stdin and counts one OK per line it sent; a followed file is not that.
    if (o.get('confirm') === true) throw new UsageError('--follow and --confirm: --confirm answers rsyslog for lines read from stdin; choose one')
  } else {
    for (const name of ['from-start', 'state', 'poll-interval'] as const) {
      if (o.get(name) !== undefined && o.get(name) !== false) throw new UsageError(`${o.where(name)}: only with --follow`)
    }
  }
  return { follow, fromStart, state, pollIntervalMs }
}

export function parseCommandLine (argv: readonly string[]): Settings {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: { ...OPTIONS, ...CLI_ONLY, ...NEGATIONS }, allowPositionals: true, strict: true })
  } catch (err) {
    // parseArgs's messages name the flag ("Unknown option '--foo'"); keep them, drop its advice.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  const parsedFlags = parsed.values as Raw
  const config = typeof parsedFlags['config'] === 'string' ? parsedFlags['config'] : null
  const fromFile = config === null ? {} : readConfig(config)
  // Flags override the file, option by option; --no-NAME overrides a file's true.
  const flags: Raw = {}
  for (const [k, v] of Object.entries(parsedFlags)) {
    if (v === undefined) continue
    if (k.startsWith('no-') && k in NEGATIONS) flags[k.slice(3)] = false
    else flags[k] = v
  }
  const o = new Values(flags, fromFile, config)

  const families = o.list('family', familyNumber) ?? []
  const includeCidr = o.list('include-cidr') ?? []
  const excludeCidr = o.list('exclude-cidr') ?? []
  o.list('include-cidr', parseCidr)
  o.list('exclude-cidr', parseCidr)
  const exe = o.list('exe')
  o.list('exe', compileExePattern)
  const files = parsed.positionals.length > 0
    ? parsed.positionals
    : Array.isArray(fromFile['files']) && fromFile['files'].length > 0 ? fromFile['files'] as string[] : ['-']

  return {
    files,
    stats: o.get('stats') === true,
    eventTimeoutMs: Math.round(o.number('event-timeout', 0.001, false) * 1000),
    idleTimeoutMs: o.number('idle-timeout', 0, true),
    maxInflight: o.number('max-inflight', 1, true),
    maxLineBytes: o.number('max-line-bytes', 64, true),
    keepFamilies: new Set([AF_INET, AF_INET6, ...families]),
    acceptWithoutAddress: o.get('accept-without-address') === true,
    filters: {
      excludeLoopback: o.get('exclude-loopback') === true,
      includeCidr,
      excludeCidr,
      result: o.list('result', r => {
        if (!(RESULTS as readonly string[]).includes(r)) throw new UsageError(`'${r}' is not one of ${RESULTS.join(', ')}`)
        return r as Result
      }),
      key: o.list('key'),
      exe,
      syscall: o.list('syscall', name => {
        if (!KNOWN_SYSCALLS.has(name)) throw new UsageError(`'${name}' is not a syscall name on any supported arch`)
        return name
      })
    },
    ...outputSettings(o),
    ...followSettings(o, files),
    help: parsedFlags['help'] === true,
    version: parsedFlags['version'] === true,
    config
  }
}
