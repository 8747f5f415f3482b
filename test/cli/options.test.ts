/**
 * The command line (src/cli/options.ts parseCommandLine, src/cli/help.ts). Documented behaviour
 * (module header, --help): lists are given by repeating a flag or separating values with commas;
 * every invalid value is a UsageError naming the flag and the value; defaults live in DEFAULTS and
 * --help prints them. Expected values come from --help's own text and the kernel's numbers
 * (include/linux/socket.h: AF_UNIX 1, AF_INET 2, AF_INET6 10, AF_NETLINK 16, AF_PACKET 17,
 * AF_VSOCK 40), auditd.conf(5) (end_of_event_timeout defaults to 2 seconds).
 */
import t from 'tap'
import { DEFAULTS, UsageError, parseCommandLine, type Settings } from '../../src/cli/options.js'
import { HELP } from '../../src/cli/help.js'
import { DEFAULT_FILTER_OPTIONS } from '../../src/filter.js'

const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
const AF_PACKET = 17
const AF_VSOCK = 40

function errorOf (argv: string[]): unknown {
  try {
    parseCommandLine(argv)
  } catch (e) {
    return e
  }
  return undefined
}

t.test('with no arguments every setting has its documented default', t => {
  const s = parseCommandLine([])
  const expected: Settings = {
    files: ['-'],
    stats: false,
    eventTimeoutMs: 2000,
    idleTimeoutMs: 500,
    maxInflight: 16384,
    maxLineBytes: 1048576,
    keepFamilies: new Set([AF_INET, AF_INET6]),
    acceptWithoutAddress: false,
    filters: { excludeLoopback: false, includeCidr: [], excludeCidr: [], result: null, key: null, exe: null, syscall: null },
    help: false,
    version: false,
    config: null,
    format: 'native',
    output: null,
    forward: null,
    tag: 'netfilter',
    ack: false,
    forwardTimeoutMs: 4000,
    forwardMaxPending: 10000,
    confirm: false,
    follow: false,
    fromStart: false,
    state: null,
    pollIntervalMs: 200
  }
  t.same({ ...s, keepFamilies: [...s.keepFamilies].sort((a, b) => a - b) }, { ...expected, keepFamilies: [AF_INET, AF_INET6] })
  t.end()
})

t.test('positional arguments are the input files, "-" included', t => {
  t.same(parseCommandLine(['/var/log/audit/audit.log', 'audit.log.1.gz']).files, ['/var/log/audit/audit.log', 'audit.log.1.gz'])
  t.same(parseCommandLine(['-']).files, ['-'])
  t.same(parseCommandLine(['a.log', '--stats', 'b.log']).files, ['a.log', 'b.log'], 'flags between files')
  t.end()
})

t.test('boolean flags set their setting', t => {
  const s = parseCommandLine(['--stats', '--exclude-loopback'])
  t.equal(s.stats, true)
  t.equal(s.filters.excludeLoopback, true)
  t.equal(parseCommandLine(['--help']).help, true)
  t.equal(parseCommandLine(['-h']).help, true)
  t.equal(parseCommandLine(['--version']).version, true)
  t.equal(parseCommandLine(['-V']).version, true)
  t.end()
})

t.test('number flags are read in their documented units (seconds for --event-timeout, ms for --idle-timeout)', t => {
  t.equal(parseCommandLine(['--event-timeout', '0.5']).eventTimeoutMs, 500)
  t.equal(parseCommandLine(['--event-timeout=5']).eventTimeoutMs, 5000)
  t.equal(parseCommandLine(['--event-timeout', '0.001']).eventTimeoutMs, 1, 'one millisecond is allowed')
  t.equal(parseCommandLine(['--idle-timeout', '0']).idleTimeoutMs, 0, '0 turns the idle timeout off')
  t.equal(parseCommandLine(['--idle-timeout', '250']).idleTimeoutMs, 250)
  t.equal(parseCommandLine(['--max-inflight', '1']).maxInflight, 1)
  t.equal(parseCommandLine(['--max-line-bytes', '64']).maxLineBytes, 64)
  t.end()
})

t.test('--family adds families by name, AF_ name or number, by repetition and by commas', t => {
  const s = parseCommandLine(['--family', 'unix', '--family', 'packet,netlink'])
  t.same([...s.keepFamilies].sort((a, b) => a - b), [AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET])
  t.ok(parseCommandLine(['--family', 'AF_PACKET']).keepFamilies.has(AF_PACKET), 'AF_PACKET')
  t.ok(parseCommandLine(['--family', 'PACKET']).keepFamilies.has(AF_PACKET), 'upper case')
  t.ok(parseCommandLine(['--family', 'vsock']).keepFamilies.has(AF_VSOCK), 'vsock')
  t.ok(parseCommandLine(['--family', '40']).keepFamilies.has(AF_VSOCK), 'a number')
  t.ok(parseCommandLine(['--family=unix']).keepFamilies.has(AF_UNIX), '--family=VALUE')
  t.same([...parseCommandLine(['--family', 'inet6']).keepFamilies].sort((a, b) => a - b), [AF_INET, AF_INET6], 'inet and inet6 are always kept')
  t.end()
})

t.test('list flags take values by repetition and by commas, in order, trimmed', t => {
  const s = parseCommandLine([
    '--include-cidr', '10.0.0.0/8,192.0.2.0/24', '--include-cidr', '2001:db8::/32',
    '--exclude-cidr', '10.9.0.0/16', '--exclude-cidr', '::1',
    '--result', 'success, in_progress',
    '--key', 'net_connect', '--key', 'net_accept,net_bind',
    '--exe', '/usr/bin/*', '--exe', '**/python3*',
    '--syscall', 'connect,accept4', '--syscall', 'sendto'
  ])
  t.same(s.filters.includeCidr, ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32'])
  t.same(s.filters.excludeCidr, ['10.9.0.0/16', '::1'])
  t.same(s.filters.result, ['success', 'in_progress'])
  t.same(s.filters.key, ['net_connect', 'net_accept', 'net_bind'])
  t.same(s.filters.exe, ['/usr/bin/*', '**/python3*'])
  t.same(s.filters.syscall, ['connect', 'accept4', 'sendto'])
  t.end()
})

t.test('--syscall accepts names from any supported arch and socketcall(2) sub-calls', t => {
  t.same(parseCommandLine(['--syscall', 'socketcall,accept4,recvmmsg,sendmmsg,bind,getsockname']).filters.syscall,
    ['socketcall', 'accept4', 'recvmmsg', 'sendmmsg', 'bind', 'getsockname'])
  t.end()
})

t.test('--follow with one FILE, and the options only it uses', t => {
  const s = parseCommandLine(['--follow', '--from-start', '--state', 'state.json', '--poll-interval', '50', 'audit.log'])
  t.same([s.follow, s.fromStart, s.state, s.pollIntervalMs, s.files], [true, true, 'state.json', 50, ['audit.log']])
  const d = parseCommandLine(['--follow', 'audit.log'])
  t.same([d.fromStart, d.state, d.pollIntervalMs], [false, null, DEFAULTS['poll-interval']], 'defaults: the end, no state, 200 ms')
  t.end()
})

t.test('--follow needs exactly one FILE, not stdin, and not --confirm; its options need it', t => {
  for (const [argv, message] of [
    [['--follow'], /--follow: give exactly one FILE.*standard input/],
    [['--follow', '-'], /--follow: give exactly one FILE.*standard input/],
    [['--follow', 'a.log', 'b.log'], /--follow: give exactly one FILE.*2 files/],
    [['--follow', '--confirm', '--output', '/tmp/x.jsonl', 'a.log'], /--follow and --confirm/],
    [['--from-start', 'a.log'], /--from-start: only with --follow/],
    [['--state', 's.json', 'a.log'], /--state: only with --follow/],
    [['--poll-interval', '100', 'a.log'], /--poll-interval: only with --follow/]
  ] as const) {
    const e = errorOf([...argv])
    t.ok(e instanceof UsageError, argv.join(' '))
    t.match((e as Error).message, message, argv.join(' '))
  }
  t.end()
})

t.test('the examples in --help parse', t => {
  const examples = HELP.split('\n').filter(l => l.trimStart().startsWith('netfilter ') && !l.includes('|'))
  t.ok(examples.length >= 4, 'found the examples')
  for (const ex of examples) {
    const argv = (ex.replace(/#.*$/, '').trim().split(/\s+/).slice(1)).map(a => a.replace(/^'(.*)'$/, '$1'))
    if (argv.includes('--config')) continue // needs the file; config.test.ts covers --config
    t.doesNotThrow(() => parseCommandLine(argv), ex.trim())
  }
  t.end()
})

/** [argv, flag, value]: each must be refused naming the flag and the value. */
const INVALID: ReadonlyArray<readonly [string[], string, string]> = [
  [['--family', 'bogus'], '--family', 'bogus'],
  [['--family', 'unix,bogus'], '--family', 'bogus'],
  [['--family', '256'], '--family', '256'],
  [['--result', 'maybe'], '--result', 'maybe'],
  [['--result', 'success,maybe'], '--result', 'maybe'],
  [['--syscall', 'conect'], '--syscall', 'conect'],
  [['--include-cidr', '10.0.0.0/33'], '--include-cidr', '10.0.0.0/33'],
  [['--exclude-cidr', '10.0.0.0/8,2001:db8::/129'], '--exclude-cidr', '2001:db8::/129'],
  [['--exe', 're:('], '--exe', 're:('],
  [['--exe', '/usr/bin/*', '--exe', 're:[a-'], '--exe', 're:[a-'],
  [['--event-timeout', 'soon'], '--event-timeout', 'soon'],
  [['--event-timeout', '0'], '--event-timeout', '0'],
  [['--event-timeout=-1'], '--event-timeout', '-1'],
  [['--event-timeout', 'Infinity'], '--event-timeout', 'Infinity'],
  [['--idle-timeout=-1'], '--idle-timeout', '-1'],
  [['--idle-timeout', '1.5'], '--idle-timeout', '1.5'],
  [['--max-inflight', '0'], '--max-inflight', '0'],
  [['--max-inflight', '2.5'], '--max-inflight', '2.5'],
  [['--max-inflight', 'many'], '--max-inflight', 'many'],
  [['--max-line-bytes', '63'], '--max-line-bytes', '63'],
  [['--follow', 'a.log', '--poll-interval', '0'], '--poll-interval', '0'],
  [['--follow', 'a.log', '--poll-interval', '1.5'], '--poll-interval', '1.5']
]

t.test('every invalid value is a UsageError naming the flag and the value', t => {
  for (const [argv, flag, value] of INVALID) {
    const e = errorOf(argv)
    t.ok(e instanceof UsageError, `${argv.join(' ')}: UsageError`)
    const message = e instanceof Error ? e.message : ''
    t.ok(message.includes(flag), `${argv.join(' ')}: names ${flag} (${message})`)
    t.ok(message.includes(`'${value}'`), `${argv.join(' ')}: quotes '${value}'`)
  }
  t.end()
})

t.test('an empty number value is refused naming the flag', t => {
  const e = errorOf(['--event-timeout', ''])
  t.ok(e instanceof UsageError)
  t.match((e as Error).message, '--event-timeout')
  t.end()
})

t.test('a list flag with nothing in it is a UsageError naming the flag', t => {
  for (const flag of ['--key', '--family', '--include-cidr', '--result', '--exe', '--syscall']) {
    // --exe is not split at commas (globs use them: /usr/bin/{curl,wget}), so only '' is empty there.
    for (const value of flag === '--exe' ? [''] : ['', ',', ' , ']) {
      const e = errorOf([flag, value])
      t.ok(e instanceof UsageError && e.message.includes(flag), `${flag} ${JSON.stringify(value)}`)
    }
  }
  t.end()
})

t.test('an unknown flag, or a value given to a boolean flag, is a UsageError naming the flag', t => {
  const unknown = errorOf(['--exclude-loopbak'])
  t.ok(unknown instanceof UsageError)
  t.match((unknown as Error).message, '--exclude-loopbak')
  const valued = errorOf(['--stats=false'])
  t.ok(valued instanceof UsageError)
  t.match((valued as Error).message, '--stats')
  const dashed = errorOf(['--idle-timeout', '-1'])
  t.ok(dashed instanceof UsageError, 'a value starting with "-" after a space')
  t.match((dashed as Error).message, '--idle-timeout')
  const missing = errorOf(['--max-inflight'])
  t.ok(missing instanceof UsageError, 'a number flag without its value')
  t.match((missing as Error).message, '--max-inflight')
  t.end()
})

t.test('UsageError is an Error named UsageError', t => {
  const e = errorOf(['--result', 'maybe'])
  t.ok(e instanceof Error)
  t.equal((e as Error).name, 'UsageError')
  t.end()
})

/** --help's entries: long flag → the text of its entry (up to the next flag). */
function helpEntries (): Map<string, string> {
  const entries = new Map<string, string>()
  let current: string | null = null
  for (const line of HELP.split('\n')) {
    const m = /^ {2}(?:-\w, )?--([a-z][a-z-]*)/.exec(line)
    if (m !== null) {
      current = m[1] as string
      entries.set(current, line)
    } else if (current !== null && /^ {10,}\S/.test(line)) {
      entries.set(current, `${entries.get(current) ?? ''}\n${line}`)
    } else {
      current = null
    }
  }
  return entries
}

t.test('--help prints, in each option\'s own entry, a default equal to DEFAULTS', t => {
  const entries = helpEntries()
  for (const [flag, value] of Object.entries(DEFAULTS)) {
    const entry = entries.get(flag)
    t.ok(entry !== undefined, `--${flag} has an entry`)
    const m = /\(default ([\w.]+)/.exec(entry ?? '')
    t.ok(m !== null, `--${flag} states its default`)
    t.equal(typeof value === 'number' ? Number(m?.[1]) : m?.[1], value, `--${flag} default`)
  }
  t.end()
})

t.test('the defaults --help prints are the ones the parser and the filter core use', t => {
  const s = parseCommandLine([])
  const entries = helpEntries()
  const printed = (flag: string): number => Number(/\(default (\d+(?:\.\d+)?)/.exec(entries.get(flag) ?? '')?.[1])
  t.equal(printed('event-timeout') * 1000, s.eventTimeoutMs, 'event-timeout (seconds → ms)')
  t.equal(printed('event-timeout') * 1000, DEFAULT_FILTER_OPTIONS.eventTimeoutMs, 'filter core default')
  t.equal(printed('idle-timeout'), s.idleTimeoutMs)
  t.equal(printed('max-inflight'), s.maxInflight)
  t.equal(printed('max-inflight'), DEFAULT_FILTER_OPTIONS.maxInflight, 'filter core default')
  t.equal(printed('max-line-bytes'), s.maxLineBytes)
  t.equal(printed('max-line-bytes'), DEFAULT_FILTER_OPTIONS.maxLineBytes, 'filter core default')
  t.equal(printed('event-timeout'), 2, 'auditd.conf(5): end_of_event_timeout defaults to 2 seconds')
  t.end()
})

t.test('every option --help explains is accepted by the parser', t => {
  const entries = helpEntries()
  t.ok(entries.size >= 15, `found ${entries.size} entries`)
  const sample: Record<string, string[]> = {
    family: ['unix'], 'include-cidr': ['10.0.0.0/8'], 'exclude-cidr': ['10.0.0.0/8'], result: ['success'],
    key: ['k'], exe: ['/usr/bin/*'], syscall: ['connect'], 'event-timeout': ['2'], 'idle-timeout': ['500'],
    'max-inflight': ['10'], 'max-line-bytes': ['100'], format: ['ecs'], output: ['/tmp/x.jsonl'],
    forward: ['127.0.0.1:24224'], tag: ['audit.net'], ack: ['--forward', '127.0.0.1:24224'],
    'forward-timeout': ['1000'], 'forward-max-pending': ['10'], confirm: ['--output', '/tmp/x.jsonl'],
    follow: ['x.log'], 'from-start': ['--follow', 'x.log'], state: ['/tmp/state.json', '--follow', 'x.log'],
    'poll-interval': ['100', '--follow', 'x.log']
  }
  for (const flag of entries.keys()) {
    if (flag === 'config') continue // needs a file; covered in config.test.ts
    const argv = [`--${flag}`, ...(sample[flag] ?? [])]
    t.doesNotThrow(() => parseCommandLine(argv), argv.join(' '))
  }
  t.end()
})
