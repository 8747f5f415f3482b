/**
 * The Fluent Bit configurations in fluent-bit/, tested without Fluent Bit (Debian does not package
 * it): each file is parsed (classic format by test/helpers/fluent-bit-classic.ts, YAML by the yaml
 * package); every key must be one Fluent Bit knows in the minimum version the file states; each
 * .conf and its .yaml must describe the same pipeline; the exec input's command must be a command
 * line netfilter accepts, its buffer must hold netfilter's longest line and its parser must read
 * netfilter's time; the forward inputs must listen where the README's netfilter command lines
 * send, and those command lines, run against a forward-protocol peer (test/helpers/forward-peer.ts)
 * set up as the config says, must deliver every event under a tag the output matches.
 */
import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { parseDocument } from 'yaml'
import { ClassicConfigError, parseClassic, type ClassicSection } from '../helpers/fluent-bit-classic.js'
import { ForwardPeer } from '../helpers/forward-peer.js'
import { BIN_NODE_OPTIONS, ROOT, jsonLines, readShared, runCli } from '../helpers/filter.js'
import { parseCommandLine } from '../../src/cli/options.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

const DIR = `${ROOT}fluent-bit/`
const README = readFileSync(`${DIR}README.md`, 'utf8')
const EXAMPLE = `${ROOT}examples/audit.log`
/**
 * Where `make install` puts netfilter, started with the netfilter command's Node options; the
 * rsyslog example runs the same program.
 */
const INSTALLED = ['/usr/bin/node', ...BIN_NODE_OPTIONS, '/usr/local/lib/netfilter/dist/bin.js']

// -- What Fluent Bit knows, by the first version that has it ------------------------------------------
// From Fluent Bit's documentation per version (exec: Command/Parser/Interval_* since 1.0, Buf_Size
// documented by 1.6; forward: Listen/Port/Unix_Path/Buffer_* by 1.5; stdout: Format/json_date_* since
// 1.0; parsers: Name/Format/Regex/Time_* since 1.0), its source and release tags (exec Oneshot 1.7.0,
// threaded inputs 2.0.0, Exit_After_Oneshot and Propagate_Exit_Code 2.1.5, forward Unix_Perm 2.0.0
// (PR #5511), forward Shared_Key/Self_Hostname 3.0) and the YAML format (1.9; parsers section in the
// YAML file itself 3.2, PR #9513). A version here is the first one known to have the key, an upper
// bound where only the documentation of a later version was seen.
type Keys = Readonly<Record<string, string>>
const SERVICE_KEYS: Keys = {
  flush: '1.0.0', daemon: '1.0.0', log_level: '1.0.0', log_file: '1.0.0', parsers_file: '1.0.0',
  http_server: '1.0.0', http_listen: '1.0.0', http_port: '1.0.0'
}
const INPUT_KEYS: Keys = { name: '1.0.0', tag: '1.0.0', mem_buf_limit: '1.0.0', threaded: '2.0.0' }
const OUTPUT_KEYS: Keys = { name: '1.0.0', match: '1.0.0', retry_limit: '1.0.0' }
const PLUGIN_KEYS: Readonly<Record<string, Keys>> = {
  'input exec': {
    command: '1.0.0', parser: '1.0.0', interval_sec: '1.0.0', interval_nsec: '1.0.0', buf_size: '1.6.0',
    oneshot: '1.7.0', exit_after_oneshot: '2.1.5', propagate_exit_code: '2.1.5'
  },
  'input forward': {
    listen: '1.0.0', port: '1.0.0', unix_path: '1.0.0', buffer_chunk_size: '1.5.0', buffer_max_size: '1.5.0',
    unix_perm: '2.0.0', shared_key: '3.0.0', self_hostname: '3.0.0'
  },
  'output stdout': { format: '1.0.0', json_date_key: '1.0.0', json_date_format: '1.0.0' }
}
const PARSER_KEYS: Keys = {
  name: '1.0.0', format: '1.0.0', regex: '1.0.0', time_key: '1.0.0', time_format: '1.0.0', time_keep: '1.0.0',
  time_offset: '1.0.0', types: '1.0.0', decode_field: '1.0.0', decode_field_as: '1.0.0'
}
const YAML_SECTIONS: Keys = { service: '1.9.0', pipeline: '1.9.0', env: '1.9.0', parsers: '3.2.0' }

function versionAtMost (since: string, stated: string): boolean {
  const a = since.split('.').map(Number)
  const b = stated.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0)
  return true
}

// -- One model for both formats --------------------------------------------------------------------
type Props = Record<string, string>
interface Pipeline { service: Props, parsers: Props[], inputs: Props[], filters: Props[], outputs: Props[] }

/** Values as Fluent Bit reads them: booleans in any spelling, sizes in any case. */
function normal (value: unknown): string {
  const v = String(value).trim()
  if (/^(true|on|yes)$/i.test(v)) return 'true'
  if (/^(false|off|no)$/i.test(v)) return 'false'
  if (/^\d+(k|kb|m|mb|g|gb)$/i.test(v)) return v.toLowerCase().replace(/b$/, '')
  return v
}

function props (entries: Array<[string, unknown]>, where: string): Props {
  const out: Props = {}
  for (const [k, v] of entries) {
    const key = k.toLowerCase()
    if (key in out) throw new Error(`${where}: '${key}' set twice`)
    out[key] = normal(v)
  }
  return out
}

/** The file's stated minimum version, from its header comment. */
function statedVersion (file: string): string {
  const m = /^# Minimum Fluent Bit version: (\d+\.\d+\.\d+)/m.exec(readFileSync(`${DIR}${file}`, 'utf8'))
  if (m === null) throw new Error(`${file} does not state its minimum Fluent Bit version`)
  return m[1] as string
}

function fromClassic (file: string): { pipeline: Pipeline, sections: ClassicSection[] } {
  const sections = parseClassic(`${DIR}${file}`)
  const pipeline: Pipeline = { service: {}, parsers: [], inputs: [], filters: [], outputs: [] }
  const all = [...sections]
  for (const s of sections) {
    const p = props(s.entries.map(e => [e.key, e.value]), `${file}:${s.line} [${s.name}]`)
    if (s.name === 'SERVICE') {
      Object.assign(pipeline.service, p)
      if (p['parsers_file'] !== undefined) {
        const parsers = parseClassic(`${DIR}${p['parsers_file']}`)
        all.push(...parsers)
        for (const ps of parsers) {
          if (ps.name !== 'PARSER') throw new Error(`${p['parsers_file']}: [${ps.name}] in a parsers file`)
          pipeline.parsers.push(props(ps.entries.map(e => [e.key, e.value]), `${ps.file}:${ps.line}`))
        }
        delete pipeline.service['parsers_file']
      }
    } else if (s.name === 'INPUT') pipeline.inputs.push(p)
    else if (s.name === 'FILTER') pipeline.filters.push(p)
    else if (s.name === 'OUTPUT') pipeline.outputs.push(p)
    else if (s.name === 'PARSER') pipeline.parsers.push(p)
    else throw new Error(`${file}:${s.line}: unexpected section [${s.name}]`)
  }
  return { pipeline, sections: all }
}

function fromYaml (file: string): { pipeline: Pipeline, doc: Record<string, unknown> } {
  const document = parseDocument(readFileSync(`${DIR}${file}`, 'utf8'), { uniqueKeys: true, strict: true, prettyErrors: true })
  if (document.errors.length > 0 || document.warnings.length > 0) {
    throw new Error(`${file}: ${[...document.errors, ...document.warnings].map(e => e.message).join('; ')}`)
  }
  const doc = document.toJS() as Record<string, unknown>
  const list = (v: unknown, where: string): Props[] => {
    if (v === undefined) return []
    if (!Array.isArray(v)) throw new Error(`${file}: ${where} is not a list`)
    return v.map((item, i) => props(Object.entries(item as Record<string, unknown>), `${file}: ${where}[${i}]`))
  }
  const pipe = (doc['pipeline'] ?? {}) as Record<string, unknown>
  return {
    doc,
    pipeline: {
      service: props(Object.entries((doc['service'] ?? {}) as Record<string, unknown>), `${file}: service`),
      parsers: list(doc['parsers'], 'parsers'),
      inputs: list(pipe['inputs'], 'pipeline.inputs'),
      filters: list(pipe['filters'], 'pipeline.filters'),
      outputs: list(pipe['outputs'], 'pipeline.outputs')
    }
  }
}

/** Keys not known to Fluent Bit at `stated`, as readable problems. */
function unknownKeys (pipeline: Pipeline, stated: string): string[] {
  const problems: string[] = []
  const check = (what: string, p: Props, ...tables: Array<Keys | undefined>): void => {
    for (const key of Object.keys(p)) {
      const since = tables.map(table => table?.[key]).find(v => v !== undefined)
      if (since === undefined) problems.push(`${what}: '${key}' is not a known key`)
      else if (!versionAtMost(since, stated)) problems.push(`${what}: '${key}' needs Fluent Bit ${since}, the file states ${stated}`)
    }
  }
  check('service', pipeline.service, SERVICE_KEYS, { parsers_file: '1.0.0' })
  pipeline.parsers.forEach((p, i) => check(`parser ${i}`, p, PARSER_KEYS))
  pipeline.inputs.forEach(p => {
    const plugin = PLUGIN_KEYS[`input ${p['name'] ?? ''}`]
    if (plugin === undefined) problems.push(`input '${p['name'] ?? ''}' is not one this test knows the keys of`)
    check(`input ${p['name'] ?? ''}`, p, INPUT_KEYS, plugin)
  })
  if (pipeline.filters.length > 0) problems.push('filters: not expected in these configs')
  pipeline.outputs.forEach(p => {
    const plugin = PLUGIN_KEYS[`output ${p['name'] ?? ''}`]
    if (plugin === undefined) problems.push(`output '${p['name'] ?? ''}' is not one this test knows the keys of`)
    check(`output ${p['name'] ?? ''}`, p, OUTPUT_KEYS, plugin)
  })
  return problems
}

/** Fluent Bit's tag matching: `*` matches any run of characters, everything else itself. */
function tagMatches (pattern: string, tag: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return re.test(tag)
}

/** Fluent Bit's unit sizes (k = 1000). */
function bytes (size: string): number {
  const m = /^(\d+)(k|m|g)?$/.exec(size)
  if (m === null) throw new Error(`not a size: ${size}`)
  return Number(m[1]) * ({ k: 1e3, m: 1e6, g: 1e9 }[m[2] as 'k' | 'm' | 'g'] ?? 1)
}

/**
 * A time string read with a Time_Format as Fluent Bit's parser reads it (strptime, with %L the
 * fraction of a second and %z an offset or Z), to epoch milliseconds; null when it does not match.
 */
function readTime (format: string, value: string): number | null {
  const parts: Record<string, string> = {
    Y: '(?<Y>\\d{4})', m: '(?<m>\\d{2})', d: '(?<d>\\d{2})', H: '(?<H>\\d{2})', M: '(?<M>\\d{2})', S: '(?<S>\\d{2})',
    L: '(?<L>\\d+)', z: '(?<z>Z|[+-]\\d{2}(?::?\\d{2})?)'
  }
  let re = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string
    if (c !== '%') { re += c.replace(/[.+?^${}()|[\]\\*]/g, '\\$&'); continue }
    const d = format[++i] as string
    const part = parts[d]
    if (part === undefined) throw new Error(`this test does not read %${d}`)
    re += part
  }
  const g = new RegExp(`^${re}$`).exec(value)?.groups
  if (g === undefined) return null
  const z = g['z'] ?? 'Z'
  const offset = z === 'Z' ? 0 : (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.replace(':', '').slice(3, 5) || '0'))
  const ms = Math.round(Number(`0.${g['L'] ?? '0'}`) * 1000)
  return Date.UTC(Number(g['Y']), Number(g['m']) - 1, Number(g['d']), Number(g['H']), Number(g['M']), Number(g['S']), ms) - offset * 60000
}

/** The audit event's time in ms, from its id SECONDS.MILLIS:SERIAL. */
const eventMs = (e: NetworkEvent): number => Math.round(Number(e.event_id.slice(0, e.event_id.indexOf(':'))) * 1000)

/** The netfilter command lines the README shows for the forward input. */
function readmeForwardCommands (): string[][] {
  return README.split('\n').map(l => l.trim()).filter(l => /^netfilter .*--forward /.test(l)).map(l => l.split(/\s+/).slice(1))
}

/** The exec input's command as netfilter arguments (the command goes through /bin/sh -c). */
function execArgs (command: string): string[] {
  if (/[|&;<>()$`\\"'*?[\]{}~]/.test(command)) throw new Error(`shell syntax in the command: ${command}`)
  const words = command.split(/\s+/)
  if (words[0] === 'exec') words.shift()
  if (INSTALLED.every((w, i) => words[i] === w)) return words.slice(INSTALLED.length)
  throw new Error(`the command does not run ${INSTALLED.join(' ')}: ${command}`)
}

const PAIRS = [['exec.conf', 'exec.yaml'], ['forward.conf', 'forward.yaml'], ['forward-unix.conf', 'forward-unix.yaml']] as const

// -- The classic-format parser itself ----------------------------------------------------------------
t.test('the classic-format parser reads what Fluent Bit reads and refuses what it refuses', async t => {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-fb-`)
  const write = (name: string, text: string): string => { writeFileSync(`${dir}/${name}`, text); return `${dir}/${name}` }
  write('out.conf', '[OUTPUT]\n    Name  stdout\n    Match ${TAG}\n')
  const main = write('main.conf', '# top\n@SET TAG=audit.*\n[SERVICE]\n    # indented comment\n    Flush 1\n\n@INCLUDE out.conf\n')
  t.same(parseClassic(main).map(s => [s.name, s.entries.map(e => [e.key, e.value])]),
    [['SERVICE', [['flush', '1']]], ['OUTPUT', [['name', 'stdout'], ['match', 'audit.*']]]], '@SET, @INCLUDE, comments, keys in lower case')
  const bad: Array<[string, RegExp]> = [
    ['[INPUT]\n    Name forward\n    Port 24224 # the port\n', /not a comment/],
    ['[INPUT]\n    Name forward\n  Port 24224\n', /indentation/],
    ['[INPUT]\nName forward\n', /not a section, an indented entry/],
    ['[SERVICE]\n[INPUT]\n    Name forward\n', /empty/],
    ['[INPUT]\n    Name\n', /no value/],
    ['[INPUT]\n    Name ${UNSET_NETFILTER_TEST_VARIABLE}\n', /not defined/],
    ['@INCLUDE loop.conf\n', /included twice/]
  ]
  for (const [text, error] of bad) {
    const file = write('loop.conf', text)
    t.throws(() => parseClassic(file), { name: ClassicConfigError.name, message: error }, JSON.stringify(text))
  }
})

// -- Every file --------------------------------------------------------------------------------------
t.test('every key in each file is one Fluent Bit knows in the version the file states', async t => {
  for (const [conf, yaml] of PAIRS) {
    const classic = fromClassic(conf)
    t.same(unknownKeys(classic.pipeline, statedVersion(conf)), [], `${conf} (Fluent Bit ${statedVersion(conf)})`)
    const y = fromYaml(yaml)
    const stated = statedVersion(yaml)
    const sections = Object.keys(y.doc).filter(k => !(k in YAML_SECTIONS) || !versionAtMost(YAML_SECTIONS[k] as string, stated))
    t.same(sections, [], `${yaml}: top-level sections known in ${stated}`)
    t.same(unknownKeys(y.pipeline, stated), [], `${yaml} (Fluent Bit ${stated})`)
  }
  const parsersFile = fromClassic('exec.conf').sections.find(s => s.file.endsWith('netfilter-parsers.conf'))
  t.ok(parsersFile !== undefined, 'exec.conf loads netfilter-parsers.conf')
  t.ok(versionAtMost(statedVersion('netfilter-parsers.conf'), statedVersion('exec.conf')), 'the parsers file needs no newer Fluent Bit than exec.conf')
})

t.test('each .conf and its .yaml describe the same pipeline', async t => {
  for (const [conf, yaml] of PAIRS) t.same(fromYaml(yaml).pipeline, fromClassic(conf).pipeline, `${conf} = ${yaml}`)
})

t.test('the README states the same minimum versions as the files and how to run each', async t => {
  for (const file of PAIRS.flat()) {
    const row = README.split('\n').find(l => l.startsWith(`| \`${file}\``))
    t.ok(row?.includes(`| ${statedVersion(file)} |`), `${file}: ${statedVersion(file)} in the README's table`)
    t.match(README, `fluent-bit -c ${file}`, `${file}: how to run it`)
  }
})

// -- exec ------------------------------------------------------------------------------------------
t.test('exec: a long-running netfilter read line by line, parsed as JSON, timed by the event', async t => {
  const { pipeline } = fromClassic('exec.conf')
  const input = pipeline.inputs[0] as Props
  t.equal(input['name'], 'exec', 'the exec input')
  t.equal(input['oneshot'], 'true', 'oneshot: the command is started once and read as long as it runs')
  t.equal(input['threaded'], 'true', 'threaded: a command that never exits does not hold up the engine')
  t.ok(pipeline.outputs.some(o => tagMatches(o['match'] ?? '', input['tag'] ?? '')), `an output matches the tag ${input['tag'] ?? ''}`)

  const args = execArgs(input['command'] ?? '')
  let error: Error | null = null
  try {
    const settings = parseCommandLine(args)
    t.same(settings.files, ['/var/log/audit/audit.log'], 'it reads auditd\'s log')
    t.ok(settings.follow, 'it follows the log as it grows, across rotation (--follow): the command runs for good')
    t.equal(settings.format, 'native', 'native records: the parser\'s time_key is their time field')
    t.equal(settings.output ?? settings.forward, null, 'events on stdout, where the exec input reads them')
  } catch (err) {
    error = err as Error
  }
  t.equal(error?.message ?? null, null, `netfilter accepts: ${args.join(' ')}`)

  // What the exec input would read: netfilter's lines for the example, the real capture when there,
  // an exe= of 4.6K (a long hex-encoded path), and the worst case, a 4095-byte exe of control bytes
  // that JSON escapes six-fold.
  const example = readFileSync(EXAMPLE, 'latin1')
  const event95994 = example.split('\n').filter(l => l.includes(':95994)'))
  const withExe = (serial: number, exe: Buffer): string => event95994
    .map(l => l.replace(':95994)', `:${serial})`).replace(/exe="[^"]*"/, `exe=${exe.toString('hex').toUpperCase()}`)).join('\n') + '\n'
  const input1 = example + withExe(990001, Buffer.from(`/opt/long directory/${'x'.repeat(4600)}`)) + withExe(990002, Buffer.alloc(4095, 1))
  const real = readShared('corpus/real/x86_64-enriched-auditd.log.gz')
  if (real === null) t.comment('!!! ../shared/corpus/real ABSENT: the line-length check covers the example log only !!!')
  const lines: string[] = []
  for (const text of [input1, real]) {
    if (text === null) continue
    const r = await runCli([], text)
    t.equal(r.status, 0, 'netfilter ran on the sample', { stderr: r.stderr })
    lines.push(...r.stdout.split('\n').filter(l => l !== ''))
  }
  const longest = Math.max(...lines.map(l => Buffer.byteLength(l)))
  t.ok(longest > 24000, `the worst case is in the sample (longest line ${longest} bytes)`)
  // in_exec reads with fgets(buf, buf_size): a line with its newline must fit in buf_size - 1.
  const bufSize = bytes(input['buf_size'] ?? '4096')
  t.ok(longest + 1 <= bufSize - 1, `buf_size ${input['buf_size'] ?? ''} (${bufSize} bytes) holds the longest line, ${longest} bytes`)

  const parser = pipeline.parsers.find(p => p['name'] === input['parser'])
  t.ok(parser !== undefined, `the parser ${input['parser'] ?? ''} is defined`)
  if (parser === undefined) return
  t.not(parser['name'], 'json', 'not named json: Fluent Bit\'s stock parsers.conf has a json parser, and a name defined twice fails')
  t.equal(parser['format'], 'json', 'a JSON parser')
  t.equal(parser['time_keep'], 'true', 'the record keeps its time field')
  const events = lines.map(l => JSON.parse(l) as NetworkEvent)
  const key = parser['time_key'] ?? ''
  const wrong = events.filter(e => readTime(parser['time_format'] ?? '', String((e as unknown as Props)[key])) !== eventMs(e))
  t.same(wrong.map(e => e.event_id), [], `time_key ${key} with time_format ${parser['time_format'] ?? ''} gives every event its audit time (${events.length} events)`)
})

// -- forward ---------------------------------------------------------------------------------------
t.test('forward: the inputs listen where the README\'s netfilter commands send, under a tag the output matches', async t => {
  const commands = readmeForwardCommands()
  t.equal(commands.length, 2, 'the README shows a TCP and a unix-socket command')
  const tcp = fromClassic('forward.conf').pipeline
  const unix = fromClassic('forward-unix.conf').pipeline
  for (const args of commands) {
    const settings = parseCommandLine(args)
    const target = settings.forward ?? ''
    const pipeline = target.startsWith('unix:') ? unix : tcp
    const input = pipeline.inputs[0] as Props
    if (target.startsWith('unix:')) t.equal(target, `unix:${input['unix_path'] ?? ''}`, `${args.join(' ')}: forward-unix.conf's Unix_Path`)
    else t.equal(target, `${input['listen'] ?? ''}:${input['port'] ?? ''}`, `${args.join(' ')}: forward.conf's Listen:Port`)
    t.ok(pipeline.outputs.some(o => tagMatches(o['match'] ?? '', settings.tag)), `the output matches the tag ${settings.tag}`)
    t.ok(settings.ack, 'with --ack (in_forward acknowledges chunks since 1.5.0)')
    t.same(settings.files, ['/var/log/audit/audit.log'], 'of auditd\'s log')
  }
  t.equal((tcp.inputs[0] as Props)['listen'], '127.0.0.1', 'TCP on loopback only')
})

/** Runs a README command against a peer, with the audit log replaced by the example. */
async function deliver (t: Test, args: string[], target: string, peer: ForwardPeer, match: string): Promise<void> {
  const run = args.map(a => a === '/var/log/audit/audit.log' ? EXAMPLE : a)
  run[run.indexOf('--forward') + 1] = target
  const expected = jsonLines((await runCli([EXAMPLE])).stdout)
  const r = await runCli(run)
  t.equal(r.status, 0, `netfilter ${run.join(' ')}`, { stderr: r.stderr })
  t.equal(peer.entries.length, expected.length, `all ${expected.length} events arrived`)
  t.same(peer.entries.map(e => e.record), expected, 'records intact')
  t.same(peer.entries.filter(e => !tagMatches(match, e.tag)).map(e => e.tag), [], `every tag matches ${match}`)
  t.same(peer.entries.filter(e => typeof e.time !== 'object' || e.time.sec * 1000 + e.time.nsec / 1e6 !== eventMs(e.record as unknown as NetworkEvent)).length, 0,
    'every event carries its audit time')
  t.ok(peer.acks > 0, 'chunks were acknowledged')
}

t.test('forward over TCP: the README\'s command delivers every event to a peer on forward.conf\'s port', async t => {
  const args = readmeForwardCommands().find(a => !a.some(x => x.startsWith('unix:')))
  const { pipeline } = fromClassic('forward.conf')
  const input = pipeline.inputs[0] as Props
  const peer = new ForwardPeer()
  let port = Number(input['port'])
  try {
    await peer.start({ port })
  } catch {
    port = await peer.start({ port: 0 })
    t.comment(`port ${input['port'] ?? ''} is taken here: the peer listens on ${port} and netfilter is pointed there`)
  }
  t.teardown(() => peer.stop())
  if (args === undefined) { t.fail('no TCP command in the README'); return }
  await deliver(t, args, `${input['listen'] ?? ''}:${port}`, peer, (pipeline.outputs[0] as Props)['match'] ?? '')
})

t.test('forward over a unix socket: the README\'s command delivers every event', async t => {
  const args = readmeForwardCommands().find(a => a.some(x => x.startsWith('unix:')))
  const { pipeline } = fromClassic('forward-unix.conf')
  const peer = new ForwardPeer()
  // The config's socket is under /run; the peer listens on a temporary one instead.
  const path = `${mkdtempSync(`${tmpdir()}/netfilter-fb-`)}/fluent-bit.sock`
  await peer.start({ path })
  t.teardown(() => peer.stop())
  if (args === undefined) { t.fail('no unix-socket command in the README'); return }
  await deliver(t, args, `unix:${path}`, peer, (pipeline.outputs[0] as Props)['match'] ?? '')
})
