/**
 * The netfilter command as users run it: flags, exit statuses, files and stdin, gzip, --stats,
 * a reader that goes away, live input and signals. Runs the built dist/bin.js.
 */
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib'
import { BIN, ROOT, assertSchemaValid, exampleCopies, jsonLines, runCli, skipLoudly } from './helpers/filter.js'
import { HELP } from '../src/cli/help.js'

const EXAMPLE = `${ROOT}examples/audit.log`
const example = readFileSync(EXAMPLE)
const tmp = mkdtempSync(`${tmpdir()}/netfilter-cli-`)

const CONNECT = [
  'type=SYSCALL msg=audit(1795640829.926:95900): arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7ffc6604b480 a2=10 a3=0 items=0 ppid=18118 pid=18190 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key="net_connect"',
  'type=SOCKADDR msg=audit(1795640829.926:95900): saddr=02000BB87F0000010000000000000000',
  'type=PROCTITLE msg=audit(1795640829.926:95900): proctitle=707974686F6E33002D63007072696E742831290A'
].join('\n') + '\n'

/** The example log repeated n times with serials shifted, so every copy is a distinct event. */
function bigInput (n: number): Buffer {
  const text = example.toString('latin1')
  const parts: string[] = []
  for (let i = 0; i < n; i++) parts.push(text.replace(/:(\d+)\)/g, (_m, s: string) => `:${Number(s) + i * 1000000})`))
  return Buffer.from(parts.join(''), 'latin1')
}

t.test('--help explains every option and exits 0', async t => {
  const r = await runCli(['--help'])
  t.equal(r.status, 0)
  t.equal(r.stdout, HELP)
  for (const flag of ['--stats', '--event-timeout', '--idle-timeout', '--max-inflight', '--max-line-bytes', '--help', '--version']) {
    t.match(r.stdout, flag, `help mentions ${flag}`)
  }
  t.match(r.stdout, /Examples:/, 'help has examples')
})

t.test('-h is --help and -V prints the package version', async t => {
  t.equal((await runCli(['-h'])).stdout, HELP)
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }
  const v = await runCli(['-V'])
  t.equal(v.status, 0)
  t.equal(v.stdout, `netfilter ${pkg.version}\n`)
})

t.test('an unknown flag exits 2 naming the flag', async t => {
  const r = await runCli(['--frobnicate'])
  t.equal(r.status, 2)
  t.match(r.stderr, /--frobnicate/)
  t.equal(r.stdout, '')
})

t.test('a bad flag value exits 2 naming the flag and the value', async t => {
  const cases = [['--event-timeout', 'soon'], ['--idle-timeout=-1'], ['--max-inflight', '0'], ['--max-inflight', '2.5']]
  for (const args of cases) {
    const r = await runCli(args)
    const [flag, value] = args.length === 2 ? args : (args[0] as string).split('=')
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, flag as string)
    t.match(r.stderr, `'${value as string}'`)
  }
})

t.test('an unreadable input file exits 2 naming it, before any output', async t => {
  const r = await runCli([EXAMPLE, `${tmp}/no-such.log`])
  t.equal(r.status, 2)
  t.match(r.stderr, 'no-such.log')
  t.equal(r.stdout, '')
})

t.test('a directory given as the input exits 2 naming it, before any output', async t => {
  const r = await runCli([EXAMPLE, tmp])
  t.equal(r.status, 2, r.stderr)
  t.match(r.stderr, `cannot read ${tmp}: a directory`)
  t.equal(r.stdout, '')
})

t.test('a file, stdin and "-" give the same events', async t => {
  const fromFile = await runCli([EXAMPLE])
  const fromStdin = await runCli([], example)
  const fromDash = await runCli(['-'], example)
  t.equal(fromFile.status, 0)
  const events = jsonLines(fromFile.stdout)
  assertSchemaValid(events)
  t.equal(events.length, 41, 'the example holds 41 network events')
  t.equal(fromStdin.stdout, fromFile.stdout)
  t.equal(fromDash.stdout, fromFile.stdout)
})

t.test('gzip input is decompressed, from a file or from stdin', async t => {
  const gz = `${tmp}/audit.log.gz`
  writeFileSync(gz, gzipSync(example))
  const plain = await runCli([EXAMPLE])
  t.equal((await runCli([gz])).stdout, plain.stdout, 'file.gz')
  t.equal((await runCli([], gzipSync(example))).stdout, plain.stdout, 'gzip on stdin')
})

t.test('a truncated gzip file: what was read of it is completed and written, the files after it are read, exit 1 naming it', async t => {
  // Its events have no PROCTITLE, so none is whole: all are still in flight when the read fails.
  const text = exampleCopies(3).split('\n').filter(l => !l.startsWith('type=PROCTITLE ')).join('\n')
  const whole = gzipSync(text)
  const cut = whole.subarray(0, Math.floor(whole.length * 0.6))
  const truncated = `${tmp}/truncated.log.gz`
  writeFileSync(truncated, cut)
  const after = `${tmp}/after.log`
  writeFileSync(after, exampleCopies(1, 7))
  const r = await runCli(['--stats', truncated, after])
  t.equal(r.status, 1, 'the run failed')
  t.match(r.stderr, `read error: ${truncated}: unexpected end of file`, 'named, with what went wrong')
  // What the lines read whole give, then the next file's: the line the error cut in two is not read.
  const readable = gunzipSync(cut, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('latin1')
  const lines = readable.slice(0, readable.lastIndexOf('\n') + 1)
  const expected = await runCli([], lines + exampleCopies(1, 7))
  t.ok(jsonLines(expected.stdout).length > 41, `${jsonLines(expected.stdout).length} events expected`)
  t.equal(r.stdout, expected.stdout, 'every event of the lines read, and of the file after, byte for byte')
  t.match(r.stderr, /"inflight":0/, 'nothing left in flight')
})

t.test('an event split across two files (audit.log.1 then audit.log) is one event', async t => {
  const lines = CONNECT.split('\n')
  writeFileSync(`${tmp}/audit.log.1`, lines.slice(0, 2).join('\n') + '\n')
  writeFileSync(`${tmp}/audit.log`, lines.slice(2).join('\n'))
  const r = await runCli([`${tmp}/audit.log.1`, `${tmp}/audit.log`])
  const events = jsonLines(r.stdout)
  t.equal(events.length, 1)
  t.same(events[0]?.process.argv, ['python3', '-c', 'print(1)\n'], 'PROCTITLE from the second file joined the event')
  t.same(events[0]?.remote, { ip: '127.0.0.1', port: 3000 })
})

t.test('input with no audit record in it: no events, and one warning that says what the input looked like', async t => {
  // ausearch -i's form: the stamp as a date, the values interpreted (from ausearch 3.0.9).
  const interpreted = [
    '----',
    'type=PROCTITLE msg=audit(11/25/26 21:07:09.922:95889) : proctitle=/usr/bin/env bash /root/.pyenv/shims/python3 traffic.py ',
    'type=SOCKADDR msg=audit(11/25/26 21:07:09.922:95889) : saddr={ saddr_fam=inet laddr=127.0.0.1 lport=0 } ',
    'type=SYSCALL msg=audit(11/25/26 21:07:09.922:95889) : arch=x86_64 syscall=bind success=yes exit=0 a0=0x3 a1=0x7fff0f885410 a2=0x10 a3=0x0 items=0 ppid=18118 pid=18199 auid=unset uid=root comm=python3 exe=/usr/bin/python3.11 key=net_bind '
  ].join('\n') + '\n'
  const cases: Array<[string, string, RegExp]> = [
    ['ausearch -i output', interpreted, /none of the 4 lines read is an audit record in auditd's raw form: 3 are records as `ausearch -i` prints them.*use `ausearch --raw`/],
    ['another program\'s log', 'Nov 25 21:08:21 vm sshd[812]: Accepted publickey for root\n', /the one line read is not an audit record \(type=… msg=audit\(…\): …\): is this an audit log\?/],
    ['broken records', 'type=SYSCALL msg=audit(garbage\ntype=SOCKADDR msg=audit(1.2\n', /none of the 2 lines read is an audit record: 2 are broken or longer than --max-line-bytes/]
  ]
  for (const [what, input, warning] of cases) {
    const r = await runCli([], input)
    t.equal(r.status, 0, `${what}: exit 0`)
    t.equal(r.stdout, '', `${what}: no events`)
    t.match(r.stderr, warning, `${what}: ${r.stderr.trim()}`)
    t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`)
  }
  t.equal((await runCli([], '')).stderr, '', 'an empty input says nothing')
  const someBroken = readFileSync(EXAMPLE, 'utf8') + 'type=SYSCALL msg=audit(garbage\nnot a record\n'
  const r = await runCli(['--stats'], someBroken)
  t.equal(jsonLines(r.stdout).length, 41, 'a log with a few bad lines gives its events')
  t.notMatch(r.stderr, /audit record/, 'and no warning: the bad lines are counted in --stats')
})

t.test('ausearch -i output of a real log gets the warning; the same log through ausearch --raw gives its events', async t => {
  const ausearch = '/usr/sbin/ausearch'
  if (!existsSync(ausearch)) {
    skipLoudly(t, `${ausearch} is not installed (Debian's auditd; scripts/install-test-deps.sh installs it)`)
    return
  }
  const run = (args: string[]): string => execFileSync(ausearch, ['--input', EXAMPLE, ...args], { encoding: 'utf8' })
  const interpreted = await runCli([], run(['-i']))
  t.equal(interpreted.stdout, '', 'no events from the interpreted text')
  t.match(interpreted.stderr, /ausearch --raw/)
  const raw = await runCli([], run(['--raw']))
  t.equal(raw.stdout, (await runCli([EXAMPLE])).stdout, 'from --raw, the events of the log itself')
  t.equal(raw.stderr, '')
})

t.test('--stats prints a JSON summary to stderr', async t => {
  const r = await runCli(['--stats', EXAMPLE])
  const stats = JSON.parse(r.stderr) as Record<string, unknown>
  t.match(stats, {
    lines: 127, records: 127, events: 46, kept: 41,
    dropped: { unix: 1, packet: 1, netlink: 0, other_family: 0, not_network: 3, malformed: 0 },
    malformed: 0, evicted: 0
  })
})

t.test('a reader that closes early (netfilter | head) ends it quietly with status 0', async t => {
  const input = `${tmp}/big.log`
  writeFileSync(input, bigInput(400))
  const child = spawn(process.execPath, [BIN, input])
  let stderr = ''
  child.stderr.on('data', d => { stderr += String(d) })
  child.stdout.once('data', () => child.stdout.destroy())
  const [status] = await new Promise<[number | null]>(resolve => child.on('close', s => resolve([s])))
  t.equal(status, 0)
  t.equal(stderr, '', 'nothing on stderr')
})

t.test('on a live stream an event without EOE is written while stdin stays open', async t => {
  const child = spawn(process.execPath, [BIN, '--idle-timeout', '100'])
  const first = new Promise<string>(resolve => child.stdout.once('data', d => resolve(String(d))))
  child.stdin.write(CONNECT)
  const line = await first
  t.equal(child.exitCode, null, 'still running: the output came from the idle timer, not EOF')
  t.match(JSON.parse(line), { event_id: '1795640829.926:95900', syscall: 'connect', remote: { ip: '127.0.0.1', port: 3000 } })
  child.stdin.end()
  await new Promise(resolve => child.on('close', resolve))
})

t.test('SIGTERM mid-event writes the pending event and exits 0', async t => {
  const child = spawn(process.execPath, [BIN, '--idle-timeout', '0', '--stats'])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', d => { stdout += String(d) })
  child.stderr.on('data', d => { stderr += String(d) })
  // A first event closed by EOE is written at once: seeing it proves the second, pending one
  // (sent in the same write, without EOE) has been read too.
  const closed = CONNECT.replaceAll(':95900)', ':95899)') + 'type=EOE msg=audit(1795640829.926:95899): \n'
  const firstLine = new Promise(resolve => child.stdout.once('data', resolve))
  child.stdin.write(closed + CONNECT)
  await firstLine
  child.kill('SIGTERM')
  const status = await new Promise(resolve => child.on('close', resolve))
  t.equal(status, 0)
  t.same(jsonLines(stdout).map(e => e.event_id), ['1795640829.926:95899', '1795640829.926:95900'],
    'the pending event was completed and written after the closed one')
  t.match(JSON.parse(stderr), { records: 7, kept: 2, inflight: 0 })
})

t.test('end of input completes events that never saw EOE', async t => {
  const r = await runCli([], CONNECT)
  t.equal(jsonLines(r.stdout).length, 1)
})

t.test('the built bin is executable', async t => {
  chmodSync(BIN, 0o755)
  const r = await new Promise<number | null>(resolve => spawn(BIN, ['--version']).on('close', resolve))
  t.equal(r, 0)
})

t.test('run as a command, the bin starts Node with one V8 background thread (--v8-pool-size=1)', async t => {
  chmodSync(BIN, 0o755)
  const child = spawn(BIN, [], { stdio: ['pipe', 'ignore', 'ignore'] })
  const closed = new Promise(resolve => child.on('close', resolve))
  // The shebang's env -S runs node in the same process: once node is up, its command line shows.
  let cmdline: string[] = []
  for (let i = 0; i < 100 && !cmdline.includes('--v8-pool-size=1'); i++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    try {
      cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').split('\0')
    } catch {}
  }
  child.stdin.end()
  await closed
  t.ok(cmdline.includes('--v8-pool-size=1'), `node's command line: ${cmdline.join(' ')}`)
  t.ok(cmdline.indexOf('--v8-pool-size=1') < cmdline.findIndex(a => a.endsWith('bin.js')), 'a Node option, before the script')
})

t.test('the built command is one file: it imports no other module of dist/ (scripts/bundle-bin.mjs)', async t => {
  // Loading dist/'s modules one by one cost about 40 ms of every start; the bundle must stay whole.
  const text = readFileSync(BIN, 'utf8')
  const relative = text.match(/\b(?:from|import)\s*\(?\s*["']\.{1,2}\//g) ?? []
  t.same(relative, [], 'no relative import')
  t.equal(text.split('\n', 1)[0], readFileSync(`${ROOT}src/bin.ts`, 'utf8').split('\n', 1)[0], 'its first line is the shebang of src/bin.ts')
})
