/**
 * --config FILE (src/cli/options.ts, schemas/config.schema.json, src/cli/help.ts). Documented
 * behaviour: the file holds every option by its long flag name, plus "files"; it is checked against
 * schemas/config.schema.json at start, unknown keys are an error (a typo is caught); flags on the
 * command line override it, option by option; errors are UsageErrors naming the file, the JSON path
 * and the problem, and the command exits 2 with the message on stderr.
 * The CLI tests run the built dist/bin.js (npx tsc -p tsconfig.build.json).
 */
import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { CONFIG_KEYS, UsageError, parseCommandLine, type Settings } from '../../src/cli/options.js'
import { HELP } from '../../src/cli/help.js'
import { ROOT, jsonLines, runCli } from '../helpers/filter.js'


const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
const AF_PACKET = 17

const tmp = mkdtempSync(`${tmpdir()}/netfilter-config-`)
let fileNo = 0
/** Writes a config file (an object as JSON, or raw text) and returns its path. */
function configFile (content: unknown): string {
  const path = `${tmp}/config-${++fileNo}.json`
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}
function withConfig (content: unknown, ...argv: string[]): Settings {
  return parseCommandLine(['--config', configFile(content), ...argv])
}
function configError (content: unknown): { path: string, error: unknown } {
  const path = configFile(content)
  try {
    parseCommandLine(['--config', path])
  } catch (error) {
    return { path, error }
  }
  return { path, error: undefined }
}

const FULL = {
  $comment: 'netfilter as an auditd plugin',
  files: ['/var/log/audit/audit.log', '/var/log/audit/audit.log.1'],
  stats: true,
  'event-timeout': 0.5,
  'idle-timeout': 100,
  'max-inflight': 4096,
  'max-line-bytes': 65536,
  family: ['unix', 'packet'],
  'exclude-loopback': true,
  'include-cidr': ['10.0.0.0/8', '2001:db8::/32'],
  'exclude-cidr': ['10.9.0.0/16'],
  result: ['success', 'in_progress'],
  key: ['net_connect', 'net_accept'],
  exe: ['/usr/bin/*', '**/python3*'],
  syscall: ['connect', 'accept4']
}

t.test('a config file with every key sets every setting', t => {
  const path = configFile(FULL)
  const s = parseCommandLine(['--config', path])
  t.same(s.files, ['/var/log/audit/audit.log', '/var/log/audit/audit.log.1'])
  t.equal(s.stats, true)
  t.equal(s.eventTimeoutMs, 500)
  t.equal(s.idleTimeoutMs, 100)
  t.equal(s.maxInflight, 4096)
  t.equal(s.maxLineBytes, 65536)
  t.same([...s.keepFamilies].sort((a, b) => a - b), [AF_UNIX, AF_INET, AF_INET6, AF_PACKET])
  t.same(s.filters, {
    excludeLoopback: true,
    includeCidr: ['10.0.0.0/8', '2001:db8::/32'],
    excludeCidr: ['10.9.0.0/16'],
    result: ['success', 'in_progress'],
    key: ['net_connect', 'net_accept'],
    exe: ['/usr/bin/*', '**/python3*'],
    syscall: ['connect', 'accept4']
  })
  t.equal(s.config, path)
  t.end()
})

t.test('-c is --config', t => {
  t.equal(parseCommandLine(['-c', configFile({ stats: true })]).stats, true)
  t.end()
})

t.test('an empty object (or only a $comment) gives the defaults', t => {
  const none = parseCommandLine([])
  for (const content of [{}, { $comment: 'nothing set' }]) {
    const s = withConfig(content)
    t.same({ ...s, config: null }, none, JSON.stringify(content))
  }
  t.end()
})

t.test('files on the command line replace the config file\'s "files"', t => {
  t.same(withConfig({ files: ['a.log'] }, 'b.log').files, ['b.log'])
  t.same(withConfig({ files: ['a.log'] }).files, ['a.log'])
  t.same(withConfig({ files: [] }).files, ['-'], 'an empty list reads stdin')
  t.end()
})

t.test('a boolean flag overrides the file', t => {
  const s = withConfig({ stats: false, 'exclude-loopback': false }, '--stats', '--exclude-loopback')
  t.equal(s.stats, true)
  t.equal(s.filters.excludeLoopback, true)
  t.equal(withConfig({ stats: true }).stats, true, 'without the flag the file\'s value holds')
  t.end()
})

t.test('a number flag overrides the file', t => {
  const s = withConfig({ 'event-timeout': 5, 'idle-timeout': 100, 'max-inflight': 10, 'max-line-bytes': 100 },
    '--event-timeout', '1', '--idle-timeout', '0', '--max-inflight', '20', '--max-line-bytes', '200')
  t.equal(s.eventTimeoutMs, 1000)
  t.equal(s.idleTimeoutMs, 0)
  t.equal(s.maxInflight, 20)
  t.equal(s.maxLineBytes, 200)
  const fileOnly = withConfig({ 'event-timeout': 5, 'max-inflight': 10 }, '--idle-timeout', '0')
  t.equal(fileOnly.eventTimeoutMs, 5000, 'options not on the command line keep the file\'s value')
  t.equal(fileOnly.maxInflight, 10)
  t.end()
})

t.test('a list flag replaces the file\'s list for that option (not merged) and leaves the others', t => {
  const s = withConfig({ key: ['a', 'b'], result: ['failed'], family: ['packet'] }, '--key', 'c', '--family', 'unix')
  t.same(s.filters.key, ['c'])
  t.same(s.filters.result, ['failed'], 'not on the command line: from the file')
  t.same([...s.keepFamilies].sort((a, b) => a - b), [AF_UNIX, AF_INET, AF_INET6])
  t.end()
})

t.test('a value from the file is checked like the same flag, and named by its JSON path', t => {
  for (const [content, where] of [
    [{ family: ['bogus'] }, '/family/0'],
    [{ 'include-cidr': ['10.0.0.0/33'] }, '/include-cidr/0'],
    [{ exe: ['re:('] }, '/exe/0'],
    [{ syscall: ['conect'] }, '/syscall/0']
  ] as const) {
    const { error } = configError(content)
    t.ok(error instanceof UsageError, JSON.stringify(content))
    t.ok((error as Error).message.includes(where), `names ${where}`)
  }
  t.end()
})

/** [content, JSON path (or "top level"), a word of the problem, what it is]. */
const INVALID: ReadonlyArray<readonly [unknown, string, RegExp, string]> = [
  [{ 'exclude-loopbak': true }, 'exclude-loopbak', /additional propert|unknown/i, 'unknown key (typo)'],
  [{ 'event-timeout': '2' }, '/event-timeout', /number/, 'wrong type: a string for a number'],
  [{ stats: 'yes' }, '/stats', /boolean/, 'wrong type: a string for a boolean'],
  [{ family: 'unix' }, '/family', /array/, 'wrong type: a string for a list'],
  [{ files: [1] }, '/files/0', /string/, 'wrong item type'],
  [{ 'max-inflight': 0 }, '/max-inflight', />= 1|minimum/, 'out of range'],
  [{ 'event-timeout': 0 }, '/event-timeout', />|minimum/, 'out of range (not > 0)'],
  [{ 'idle-timeout': 1.5 }, '/idle-timeout', /integer/, 'not an integer'],
  [{ 'max-line-bytes': 63 }, '/max-line-bytes', />= 64|minimum/, 'below 64'],
  [{ result: ['maybe'] }, '/result/0', /success, in_progress, failed/, 'bad enum value'],
  [{ result: [] }, '/result', /fewer than 1|minItems/, 'an empty result list'],
  [{ family: [''] }, '/family/0', /fewer than 1|minLength/, 'an empty family name'],
  [[], 'top level', /object/, 'top level is an array'],
  [42, 'top level', /object/, 'top level is a number'],
  [null, 'top level', /object/, 'top level is null']
]

t.test('an invalid config file is a UsageError naming the file, the JSON path and the problem', t => {
  for (const [content, where, problem, what] of INVALID) {
    const { path, error } = configError(content)
    t.ok(error instanceof UsageError, `${what}: UsageError`)
    const message = error instanceof Error ? error.message : ''
    t.ok(message.includes(path), `${what}: names the file (${message})`)
    t.ok(message.includes(where), `${what}: names ${where}`)
    t.match(message, problem, `${what}: says what is wrong`)
  }
  t.end()
})

t.test('a config file that is not JSON is a UsageError naming the file', t => {
  const { path, error } = configError('{"stats": true,}')
  t.ok(error instanceof UsageError)
  t.ok((error as Error).message.includes(path))
  t.match((error as Error).message, /JSON/)
  t.end()
})

t.test('a missing config file is a UsageError naming the file and the reason', t => {
  const path = `${tmp}/no-such-config.json`
  let error: unknown
  try {
    parseCommandLine(['--config', path])
  } catch (e) {
    error = e
  }
  t.ok(error instanceof UsageError)
  t.ok((error as Error).message.includes(path))
  t.match((error as Error).message, /ENOENT/)
  t.end()
})

t.test('a config file the schema accepts is accepted', t => {
  for (const content of [{ family: [] }, { 'include-cidr': [] }, { 'exclude-cidr': [] }, { 'event-timeout': 0.001 }]) {
    let error: unknown
    try {
      withConfig(content)
    } catch (e) {
      error = e
    }
    t.equal(error, undefined, JSON.stringify(content))
  }
  t.end()
})

t.test('what the command line refuses, the schema refuses too: an empty key and an event timeout under 1 ms', t => {
  for (const [content, where] of [[{ key: [''] }, '/key/0'], [{ 'event-timeout': 0.0005 }, '/event-timeout']] as const) {
    const { error } = configError(content)
    t.ok(error instanceof UsageError, JSON.stringify(content))
    t.ok((error as Error).message.includes(where), `names ${where}`)
  }
  t.end()
})

t.test('an invalid value in the config file is reported with the file and its JSON path, not as a flag', t => {
  const { path, error } = configError({ 'include-cidr': ['10.0.0.0/8', '10.0.0.0/33'] })
  t.ok(error instanceof UsageError)
  t.ok((error as Error).message.includes(path), 'names the file')
  t.ok((error as Error).message.includes('/include-cidr/1'), 'names the JSON path')
  t.end()
})

t.test('an item of a list in the config file is one value, commas included', t => {
  const s = withConfig({ exe: ['/usr/bin/{curl,wget}', 're:^/opt/x{1,3}$'] })
  t.same(s.filters.exe, ['/usr/bin/{curl,wget}', 're:^/opt/x{1,3}$'])
  t.end()
})

t.test('--follow and its options from the file; a follow option without follow is named by its JSON path', t => {
  const s = withConfig({ follow: true, files: ['/var/log/audit/audit.log'], 'from-start': true, state: '/var/lib/netfilter/state.json', 'poll-interval': 500 })
  t.same([s.follow, s.fromStart, s.state, s.pollIntervalMs], [true, true, '/var/lib/netfilter/state.json', 500])
  const { path, error } = configError({ state: '/var/lib/netfilter/state.json' })
  t.ok(error instanceof UsageError)
  t.ok((error as Error).message.includes(path), 'names the file')
  t.match((error as Error).message, '/state: only with --follow')
  const stdin = configError({ follow: true })
  t.match((stdin.error as Error).message, /--follow: give exactly one FILE/, 'follow without files reads stdin: refused')
  t.end()
})

// --- consistency of --help, the option table and the schema ---

const schema = JSON.parse(readFileSync(`${ROOT}schemas/config.schema.json`, 'utf8')) as {
  additionalProperties: boolean, properties: Record<string, { type?: string }>
}
/** Schema keys that are not options: free text, and the input files (FILE on the command line). */
const NOT_OPTIONS = new Set(['$comment', 'files'])
/** Options of the command line only. */
const CLI_ONLY = new Set(['help', 'version', 'config'])

function helpOptions (): Set<string> {
  const flags = new Set<string>()
  for (const line of HELP.split('\n')) {
    const m = /^ {2}(?:-\w, )?--([a-z][a-z-]*)/.exec(line)
    if (m !== null) flags.add(m[1] as string)
  }
  return flags
}

t.test('every option in --help is a key of config.schema.json and every key is in --help (help, version, config aside)', t => {
  const help = [...helpOptions()].filter(f => !CLI_ONLY.has(f)).sort()
  const keys = Object.keys(schema.properties).filter(k => !NOT_OPTIONS.has(k)).sort()
  t.ok(help.length >= 12, `--help lists ${help.length} options`)
  t.same(help, keys)
  for (const f of CLI_ONLY) t.ok(helpOptions().has(f), `--help explains --${f}`)
  for (const f of CLI_ONLY) t.notOk(f in schema.properties, `--${f} is command-line only`)
  t.end()
})

t.test('the keys the parser reads from the file are exactly the schema\'s keys', t => {
  t.same([...CONFIG_KEYS].sort(), Object.keys(schema.properties).filter(k => k !== '$comment').sort())
  t.equal(schema.additionalProperties, false, 'unknown keys are refused')
  t.end()
})

t.test('every schema key is accepted with a value of its type', t => {
  const sample: Record<string, unknown> = {
    $comment: 'x', files: ['a.log'], stats: true, 'event-timeout': 1, 'idle-timeout': 0, 'max-inflight': 1,
    'max-line-bytes': 64, family: ['unix'], 'exclude-loopback': true, 'accept-without-address': true, 'include-cidr': ['::1'],
    'exclude-cidr': ['10.0.0.0/8'], result: ['failed'], key: ['k'], exe: ['/usr/bin/*'], syscall: ['bind'],
    format: 'ocsf', output: '/tmp/netfilter-test.jsonl', forward: 'unix:/run/fluent.sock', tag: 'audit.net',
    ack: false, 'forward-timeout': 1000, 'forward-max-pending': 100, confirm: false,
    follow: true, 'from-start': true, state: '/var/lib/netfilter/state.json', 'poll-interval': 100
  }
  // Keys valid only beside others: follow needs one input file, and its options need follow.
  const following = { follow: true, files: ['a.log'] }
  const context: Record<string, Record<string, unknown>> = {
    follow: { files: ['a.log'] }, 'from-start': following, state: following, 'poll-interval': following
  }
  for (const key of Object.keys(schema.properties)) {
    t.ok(key in sample, `a sample for ${key}`)
    t.doesNotThrow(() => withConfig({ ...context[key], [key]: sample[key] }), key)
  }
  t.end()
})

// --- through the CLI ---

const CONNECT_LOOPBACK = [
  'type=SYSCALL msg=audit(1795640829.926:95900): arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7ffc6604b480 a2=10 a3=0 items=0 ppid=18118 pid=18190 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key="net_connect"',
  'type=SOCKADDR msg=audit(1795640829.926:95900): saddr=02000BB87F0000010000000000000000'
].join('\n') + '\n'

t.test('netfilter with an invalid config file exits 2, explains on stderr and writes nothing on stdout', async t => {
  const cases: ReadonlyArray<readonly [unknown, string]> = [
    [{ 'exclude-loopbak': true }, 'exclude-loopbak'],
    [{ 'event-timeout': '2' }, '/event-timeout'],
    [{ 'max-inflight': 0 }, '/max-inflight'],
    [{ result: ['maybe'] }, '/result/0'],
    ['not json', 'JSON'],
    [[], 'top level']
  ]
  for (const [content, mention] of cases) {
    const path = configFile(content)
    const r = await runCli(['--config', path], CONNECT_LOOPBACK)
    t.equal(r.status, 2, `${JSON.stringify(content)}: exit 2`)
    t.ok(r.stderr.includes(path), 'stderr names the file')
    t.ok(r.stderr.includes(mention), `stderr mentions ${mention}`)
    t.equal(r.stdout, '', 'nothing on stdout')
  }
  const missing = await runCli(['--config', `${tmp}/absent.json`], CONNECT_LOOPBACK)
  t.equal(missing.status, 2)
  t.match(missing.stderr, 'absent.json')
  t.equal(missing.stdout, '')
})

t.test('netfilter applies a valid config file, and a flag overrides it', async t => {
  const path = configFile({ 'exclude-loopback': true, stats: true })
  const filtered = await runCli(['--config', path], CONNECT_LOOPBACK)
  t.equal(filtered.status, 0)
  t.equal(filtered.stdout, '', 'the loopback connect is filtered out')
  const stats = JSON.parse(filtered.stderr.trim().split('\n').pop() ?? '{}') as { filtered?: { loopback?: number } }
  t.equal(stats.filtered?.loopback, 1, '"stats": true prints the summary')

  const keep = configFile({ result: ['failed'] })
  const overridden = await runCli(['--config', keep, '--result', 'success'], CONNECT_LOOPBACK)
  t.equal(overridden.status, 0)
  t.equal(jsonLines(overridden.stdout).length, 1, '--result success replaces the file\'s ["failed"]')
})

t.test('netfilter reads the config file\'s "files" when none are given', async t => {
  const log = `${tmp}/input.log`
  writeFileSync(log, CONNECT_LOOPBACK)
  const r = await runCli(['--config', configFile({ files: [log] })])
  t.equal(r.status, 0)
  const events = jsonLines(r.stdout)
  t.equal(events.length, 1)
  t.equal(events[0]?.remote?.ip, '127.0.0.1')
})
