/**
 * rsyslog end to end: a real rsyslogd (Debian's package) runs the shipped
 * examples/rsyslog/netfilter.conf, with only its paths moved into a temporary directory and the
 * program pointed at this checkout's dist/bin.js. imfile tails an audit log that the test appends
 * to (imfile runs in inotify mode, as the config says, and with freshStartTail off it reads the
 * file from its start, so appending right after start-up loses nothing); omprog runs netfilter with
 * --confirm --output. The output file must hold exactly the events `node dist/bin.js` finds in the
 * same file, before and after rsyslogd is stopped with SIGTERM, and netfilter must have exited.
 *
 * The rsyslogd started here is private: its own config (-f), pid file (-i) and work directory, no
 * imuxsock or imklog (the example loads only imfile and omprog), so no system log socket is
 * touched. Every wait is bounded polling; no assertion is about time.
 */
import t from 'tap'
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, BIN_NODE_OPTIONS, ROOT, jsonLines, readShared, runCli } from '../helpers/filter.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

const RSYSLOGD = '/usr/sbin/rsyslogd'
const EXAMPLE_CONF = `${ROOT}examples/rsyslog/netfilter.conf`
const EXAMPLE_LOG = `${ROOT}examples/audit.log`
const REAL_CAPTURE = 'corpus/real/x86_64-enriched-auditd.log.gz'
/** Lines of the real capture fed through rsyslog (the capture has ~55000). */
const REAL_SLICE_LINES = 20000

if (!existsSync(RSYSLOGD)) {
  // Not a skip: `make test` installs rsyslog (scripts/install-test-deps.sh).
  throw new Error(`${RSYSLOGD} is missing: install Debian's rsyslog package (apt-get install rsyslog, or make test-deps)`)
}

const exampleLines = readFileSync(EXAMPLE_LOG, 'latin1').split('\n').filter(l => l !== '')

/** The example log with serials and times moved, so copy i is new events i*10 s later. */
function shifted (i: number): string {
  return exampleLines.map(l => l.replace(/audit\((\d+)\.(\d+):(\d+)\)/, (_m, sec: string, ms: string, serial: string) =>
    `audit(${Number(sec) + i * 10}.${ms}:${Number(serial) + i * 100000})`)).join('\n') + '\n'
}

/**
 * One connect event whose SYSCALL record is longer than rsyslog's default 8K message limit: its
 * exe= is hex-encoded (auditd does that for paths with spaces) and 4.6K long. Truncated at 8K it
 * would lose its tail and come out different, or not at all.
 */
function longRecordEvent (): string {
  const path = `/opt/long directory name/${'x'.repeat(4600)}/python3`
  const hex = Buffer.from(path).toString('hex').toUpperCase()
  const event = exampleLines.filter(l => l.includes(':95994)'))
  if (event.length !== 3) throw new Error('examples/audit.log no longer has event 95994 (SYSCALL, SOCKADDR, PROCTITLE)')
  return event.map(l => l.replace(':95994)', ':990001)').replace(/exe="[^"]*"/, `exe=${hex}`)).join('\n') + '\n'
}

/**
 * The shipped config with its paths moved under dir and the program replaced by this checkout's
 * build. Each replaced path must be in the file (else the example changed and this test must
 * follow); afterwards no absolute path outside dir may remain on a non-comment line.
 */
function testConfig (dir: string, text = readFileSync(EXAMPLE_CONF, 'utf8')): string {
  const node = process.execPath
  if (/\s/.test(node + BIN)) throw new Error(`omprog splits binary= at spaces: ${node} ${BIN} must have none`)
  const replacements: Array<[string, string]> = [
    [['/usr/bin/node', ...BIN_NODE_OPTIONS, '/usr/local/lib/netfilter/dist/bin.js'].join(' '), [node, ...BIN_NODE_OPTIONS, BIN].join(' ')],
    ['"/var/spool/rsyslog"', `"${dir}/work"`],
    ['"/var/log/audit/audit.log"', `"${dir}/audit.log"`],
    ['/var/log/netfilter/', `${dir}/out/`]
  ]
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${EXAMPLE_CONF} no longer contains ${from}: update test/e2e/rsyslog.test.ts`)
    text = text.split(from).join(to)
  }
  const stray = text.split('\n')
    .filter(l => !/^\s*#/.test(l))
    .flatMap(l => [...l.matchAll(/(?<=["\s=])\/[^\s"]*/g)].map(m => m[0]))
    .filter(p => !p.startsWith(`${dir}/`) && p !== node && p !== BIN)
  if (stray.length > 0) throw new Error(`the test config still points outside ${dir}: ${stray.join(', ')}`)
  return text
}

interface Stopped { code: number | null, signal: NodeJS.Signals | null }

/** A private rsyslogd on a config file in dir. */
class Rsyslogd {
  readonly child: ChildProcessWithoutNullStreams
  stderr = ''
  readonly #exited: Promise<Stopped>

  constructor (readonly dir: string) {
    this.child = spawn(RSYSLOGD, ['-n', '-f', `${dir}/rsyslog.conf`, '-i', `${dir}/rsyslogd.pid`])
    this.child.stdout.on('data', d => { this.stderr += String(d) })
    this.child.stderr.on('data', d => { this.stderr += String(d) })
    this.#exited = new Promise(resolve => this.child.on('exit', (code, signal) => resolve({ code, signal })))
  }

  /** Pids of netfilter processes that this rsyslogd started (omprog's children). */
  netfilterPids (): number[] {
    const pids: number[] = []
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        if (ppid === this.child.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(BIN)) pids.push(Number(name))
      } catch {
        // the process ended while we looked
      }
    }
    return pids
  }

  /** SIGTERM, as systemd stops rsyslog; resolves once rsyslogd has exited (bounded). */
  async stop (ms = 60000): Promise<Stopped> {
    this.child.kill('SIGTERM')
    return await Promise.race([
      this.#exited,
      new Promise<never>((_resolve, reject) => setTimeout(() => {
        this.child.kill('SIGKILL')
        reject(new Error(`rsyslogd did not exit within ${ms} ms of SIGTERM:\n${this.stderr}`))
      }, ms).unref())
    ])
  }
}

/** A running (not zombie) process? */
function alive (pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Polls check every 100 ms for at most ms; returns whether it became true. */
async function waitFor (check: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; ; waited += 100) {
    if (check()) return true
    if (waited >= ms) return false
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** A fresh directory laid out as the config expects, with the rewritten config in it. */
function setUp (name: string, config?: (text: string) => string): string {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-rsyslog-${name}-`)
  mkdirSync(`${dir}/work`)
  mkdirSync(`${dir}/out`)
  writeFileSync(`${dir}/audit.log`, '') // imfile watches a file that exists
  writeFileSync(`${dir}/rsyslog.conf`, (config ?? (x => x))(testConfig(dir)))
  return dir
}

/**
 * The events netfilter has written so far. It may be writing while the test reads, so a last line
 * without its newline yet is not an event yet: only complete lines count.
 */
function outEvents (dir: string): NetworkEvent[] {
  if (!existsSync(`${dir}/out/events.json`)) return []
  const text = readFileSync(`${dir}/out/events.json`, 'utf8')
  return jsonLines(text.slice(0, text.lastIndexOf('\n') + 1))
}

/** What netfilter finds in the file when run on it directly. */
async function direct (file: string): Promise<NetworkEvent[]> {
  const r = await runCli([file])
  if (r.status !== 0) throw new Error(`netfilter ${file}: status ${String(r.status)}: ${r.stderr}`)
  return jsonLines(r.stdout)
}

/** Events in a canonical order: the order of completion is not part of the contract. */
const sorted = (events: NetworkEvent[]): NetworkEvent[] =>
  events.map(e => [e.event_id, JSON.stringify(e), e] as const)
    .sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
    .map(x => x[2])

const ids = (events: NetworkEvent[]): string[] => events.map(e => e.event_id).sort()

t.test('the shipped config is valid for this rsyslogd (rsyslogd -N1)', async t => {
  const dir = setUp('check')
  const r = spawnSync(RSYSLOGD, ['-N1', '-f', `${dir}/rsyslog.conf`], { encoding: 'utf8' })
  t.equal(r.status, 0, 'rsyslogd -N1 accepts it', { stderr: r.stderr })
  t.notMatch(r.stderr, /error|warning/i, 'no error or warning')
})

t.test('imfile + omprog: the output file holds exactly the network events of the log, also after SIGTERM', async t => {
  const dir = setUp('feed')
  const log = `${dir}/audit.log`
  const rsyslogd = new Rsyslogd(dir)
  t.teardown(() => { rsyslogd.child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(`${dir}/rsyslogd.pid`), 30000), 'rsyslogd started', { stderr: rsyslogd.stderr })

  appendFileSync(log, readFileSync(EXAMPLE_LOG))
  appendFileSync(log, longRecordEvent())
  const real = readShared(REAL_CAPTURE)
  if (real === null) {
    t.comment(`!!! ../shared/${REAL_CAPTURE} IS ABSENT: ONLY examples/audit.log (127 records) IS FED THROUGH RSYSLOG !!!`)
    t.pass('a slice of a real capture fed through rsyslog', { skip: `../shared/${REAL_CAPTURE} not found` })
  } else {
    const text = real.toString('latin1')
    let end = 0
    for (let n = 0; n < REAL_SLICE_LINES && end >= 0; n++) end = text.indexOf('\n', end + 1)
    appendFileSync(log, real.subarray(0, end < 0 ? real.length : end + 1))
  }

  const expected = await direct(log)
  t.ok(expected.length > 40, `${expected.length} events expected`)
  t.ok(expected.some(e => (e.process.exe ?? '').length > 4600), 'the long record\'s event is among them, exe intact')
  await waitFor(() => outEvents(dir).length >= expected.length, 120000)
  const pids = rsyslogd.netfilterPids()
  t.equal(pids.length, 1, 'one netfilter process (forceSingleInstance)')

  const before = outEvents(dir)
  t.same(ids(before), ids(expected), 'the same event ids, each once')
  t.same(sorted(before), sorted(expected), 'the same records')

  const stopped = await rsyslogd.stop()
  t.same(stopped, { code: 0, signal: null }, 'rsyslogd exited cleanly', { stderr: rsyslogd.stderr })
  t.same(pids.filter(alive), [], 'netfilter exited with rsyslogd')
  const after = outEvents(dir)
  t.same(sorted(after), sorted(expected), 'after the stop: nothing lost, nothing added')
  t.equal(existsSync(`${dir}/out/netfilter.err`) ? readFileSync(`${dir}/out/netfilter.err`, 'utf8') : '', '',
    'netfilter wrote no warning (omprog output=)')
})

t.test('SIGTERM while records still flow: every event is written before netfilter exits; a restart resumes without re-reading', async t => {
  const dir = setUp('stop')
  const log = `${dir}/audit.log`
  let rsyslogd = new Rsyslogd(dir)
  t.teardown(() => { rsyslogd.child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(`${dir}/rsyslogd.pid`), 30000), 'rsyslogd started')

  // 60 copies of the example (7620 records): SIGTERM goes out as soon as the first events appear.
  appendFileSync(log, Array.from({ length: 60 }, (_v, i) => shifted(i)).join(''))
  const firstBatch = await direct(log)
  t.ok(await waitFor(() => outEvents(dir).length > 0, 60000), 'first events written')
  const pids = rsyslogd.netfilterPids()
  const writtenAtStop = outEvents(dir).length
  let stopped = await rsyslogd.stop()
  t.comment(`${writtenAtStop} of ${firstBatch.length} events were written when SIGTERM was sent`)
  t.same(stopped, { code: 0, signal: null }, 'rsyslogd exited cleanly', { stderr: rsyslogd.stderr })
  t.ok(pids.length === 1 && !alive(pids[0] as number), 'netfilter exited')
  // Had rsyslog not finished within the config's queue.timeoutShutdown, it would have saved the
  // rest in its work directory (netfilter.*) for the next start: listed to tell the two apart.
  t.same(sorted(outEvents(dir)), sorted(firstBatch), 'every event of the records read is in the file after the stop',
    { workDirectory: readdirSync(`${dir}/work`) })

  // Start again on the same work directory: imfile resumes at its saved position.
  rsyslogd = new Rsyslogd(dir)
  t.ok(await waitFor(() => existsSync(`${dir}/rsyslogd.pid`), 30000), 'rsyslogd started again')
  appendFileSync(log, shifted(60) + shifted(61))
  const whole = await direct(log)
  await waitFor(() => outEvents(dir).length >= whole.length, 60000)
  stopped = await rsyslogd.stop()
  t.same(stopped, { code: 0, signal: null }, 'rsyslogd exited cleanly', { stderr: rsyslogd.stderr })
  const all = outEvents(dir)
  t.same(ids(all), ids(whole), 'after the restart: every event once, none read twice')
  t.same(sorted(all), sorted(whole), 'the same records as netfilter run on the whole file')
})

t.test('SIGHUP to rsyslogd after logrotate moved the output: netfilter reopens it (hup.signal), nothing lost', async t => {
  const dir = setUp('hup')
  const log = `${dir}/audit.log`
  const out = `${dir}/out/events.json`
  const rsyslogd = new Rsyslogd(dir)
  t.teardown(() => { rsyslogd.child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(`${dir}/rsyslogd.pid`), 30000), 'rsyslogd started')
  appendFileSync(log, shifted(0))
  const first = await direct(log)
  await waitFor(() => outEvents(dir).length >= first.length, 60000)
  renameSync(out, `${out}.1`) // logrotate's move, then its postrotate: systemctl kill -s HUP rsyslog
  rsyslogd.child.kill('SIGHUP')
  t.ok(await waitFor(() => existsSync(out), 30000), 'netfilter opened a new output file')
  appendFileSync(log, shifted(1))
  const whole = await direct(log)
  await waitFor(() => outEvents(dir).length >= whole.length - first.length, 60000)
  const stopped = await rsyslogd.stop()
  t.same(stopped, { code: 0, signal: null }, 'rsyslogd exited cleanly', { stderr: rsyslogd.stderr })
  const rotated = jsonLines<NetworkEvent>(readFileSync(`${out}.1`, 'utf8'))
  t.same(sorted(rotated), sorted(first), 'the rotated file holds the events before the rotation')
  t.same(sorted([...rotated, ...outEvents(dir)]), sorted(whole), 'with the new file: every event once')
})

t.test('alternative (b) of the config: audisp-syslog records through the syslog socket', async t => {
  // Uncomment the config's block (b) and add what Debian's rsyslog.conf provides: imuxsock, here on
  // a private socket instead of the system's.
  const dir = setUp('syslog', text => {
    const start = text.indexOf('# if ($programname == "audisp-syslog"')
    const end = text.indexOf('# }', start)
    if (start < 0 || end < 0) throw new Error('the block (b) is no longer in examples/rsyslog/netfilter.conf')
    const block = text.slice(start, end + 3).split('\n').map(l => l.replace(/^# ?/, '')).join('\n')
    return text.slice(0, start) + block + text.slice(end + 3)
  })
  const socket = `${dir}/log.sock`
  appendFileSync(`${dir}/rsyslog.conf`,
    `module(load="imuxsock" SysSock.Use="off")\ninput(type="imuxsock" Socket="${socket}")\n`)
  const check = spawnSync(RSYSLOGD, ['-N1', '-f', `${dir}/rsyslog.conf`], { encoding: 'utf8' })
  t.equal(check.status, 0, 'the uncommented block is valid (rsyslogd -N1)', { stderr: check.stderr })

  const rsyslogd = new Rsyslogd(dir)
  t.teardown(() => { rsyslogd.child.kill('SIGKILL') })
  t.ok(await waitFor(() => existsSync(socket), 30000), 'rsyslogd listens on its socket', { stderr: rsyslogd.stderr })
  // The plugin stream (with EOE records) as audisp-syslog sends it: one syslog message per record.
  const stream = `${ROOT}examples/plugin-stream.log`
  const sent = spawnSync('logger', ['-u', socket, '-t', 'audisp-syslog', '--size', '65536', '-f', stream], { encoding: 'utf8' })
  t.equal(sent.status, 0, 'logger sent every record', { stderr: sent.stderr })
  const expected = await direct(stream)
  t.ok(expected.length > 0, `${expected.length} events expected`)
  await waitFor(() => outEvents(dir).length >= expected.length, 60000)
  const stopped = await rsyslogd.stop()
  t.same(stopped, { code: 0, signal: null }, 'rsyslogd exited cleanly', { stderr: rsyslogd.stderr })
  t.same(sorted(outEvents(dir)), sorted(expected), 'the events of the plugin stream, exactly')
})
