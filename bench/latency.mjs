// make bench-latency: how long a live netfilter holds an event. In: connect events (SYSCALL +
// SOCKADDR + PROCTITLE) from the real captures (else examples/audit.log), re-stamped with fresh
// serials and the current time, fed at a steady rate through a pipe into `dist/bin.js`, run as a
// command (its shebang's Node options apply). Out: p50/p99/max of write-of-last-record →
// read-of-output-line, with and without EOE records, and without PROCTITLE too (events never
// whole, which only the idle timeout ends), on stdout and into docs/performance.md (latency
// markers). Bench only: no test asserts a time.
// Usage: node bench/latency.mjs [--rate 2000] [--seconds 10] [--warmup 2] [--idle-timeout MS] [--bin dist/bin.js]
//          [--format native|ecs] [--no-docs]
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { PATH_WITH_THIS_NODE, ROOT, machine, now, percentile, writeDocBlock } from './report.mjs'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'idle-timeout': { type: 'string' },
    bin: { type: 'string', default: `${ROOT}dist/bin.js` },
    format: { type: 'string', default: 'native' },
    'no-docs': { type: 'boolean', default: false }
  }
})
const RATE = Number(values.rate)
const SECONDS = Number(values.seconds)
const TOTAL = Math.round(RATE * SECONDS)
/**
 * Events sent first, at the same rate, whose latency is not counted: a fresh process runs its first
 * thousand events through the interpreter and the optimising compiler, and on a 10 s run those
 * first moments alone would be the p99. A filter beside auditd runs for days; the figure that
 * matters is the steady one. The table says how long the warm-up was.
 */
const WARMUP = Math.round(RATE * Number(values.warmup))
const BIN = values.bin
try {
  accessSync(BIN, constants.X_OK)
} catch {
  console.error(`latency: ${BIN} is not executable (tsc alone does not make it so): run make build, or chmod +x it`)
  process.exit(2)
}
const MACHINE = machine()
const DATE = now()

/**
 * The idle timeout netfilter would use by default, read from its --help, so the figure judged
 * against ("p99 ≤ idle timeout + 5 ms") is the one actually configured. Passed explicitly anyway.
 */
function idleTimeoutMs () {
  if (values['idle-timeout'] !== undefined) return Number(values['idle-timeout'])
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout
  const m = /--idle-timeout MS[\s\S]*?\(default (\d+)\)/.exec(help)
  if (!m) throw new Error(`could not read the default of --idle-timeout from ${BIN} --help; pass --idle-timeout MS`)
  return Number(m[1])
}
const IDLE_MS = idleTimeoutMs()

/**
 * Network events as the kernel logs them: the records of every connect (syscall 42) whose
 * SOCKADDR is AF_INET (02) or AF_INET6 (0A), EOE dropped (each mode decides whether to send one).
 * Each template is its records' text; the audit(…) stamp is rewritten when it is sent.
 */
function templates () {
  const realDir = `${ROOT}../shared/corpus/real`
  const texts = existsSync(realDir)
    ? readdirSync(realDir).filter(f => f.endsWith('-auditd.log.gz')).sort()
      .map(f => gunzipSync(readFileSync(`${realDir}/${f}`)).toString('latin1'))
    : [readFileSync(`${ROOT}examples/audit.log`, 'latin1')]
  const groups = new Map()
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^type=(\w+) msg=(audit\(\d+\.\d+:\d+\)):/.exec(line)
      if (!m || m[1] === 'EOE') continue
      const key = m[2]
      if (!groups.has(key)) groups.set(key, [])
      groups.get(key).push(line)
    }
  }
  const out = []
  for (const lines of groups.values()) {
    const connect = lines.some(l => l.startsWith('type=SYSCALL') && / syscall=42 /.test(l))
    const inet = lines.some(l => /^type=SOCKADDR .* saddr=0(2|A)00/i.test(l))
    if (connect && inet) out.push(lines.join('\n') + '\n')
  }
  if (out.length === 0) throw new Error('no connect events with an inet/inet6 address in the source logs')
  return out
}

/**
 * One mode: a fresh netfilter, TOTAL events at RATE per second, each written in one write() and
 * timed when that write returns (the last record, EOE or not, is then in the pipe); each output
 * line is timed when its chunk is read, and matched to its event by the serial in its id.
 */
async function runMode (events, withEoe, firstSerial, whole = true) {
  // The bin run as a command, with its shebang's Node options (bin.ts).
  const child = spawn(BIN, ['--format', values.format, '--idle-timeout', String(IDLE_MS)],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, PATH: PATH_WITH_THIS_NODE } })
  const sentAt = new Map()
  const latencies = []
  let unknown = 0
  let duplicates = 0
  let warmedUp = 0
  let allIn
  const allReceived = new Promise(resolve => { allIn = resolve })
  let rest = ''
  child.stdout.setEncoding('latin1')
  child.stdout.on('data', chunk => {
    const t = performance.now()
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()
    for (const line of lines) {
      // native: "event_id":"sec.ms:serial"; ecs: event.id, the first "id" of the line.
      const m = /"(?:event_)?id":"\d+\.\d+:(\d+)"/.exec(line)
      const serial = m ? Number(m[1]) : NaN
      if (serial >= firstSerial && serial < firstSerial + WARMUP) { warmedUp++; continue }
      const sent = sentAt.get(serial)
      if (sent === undefined) { unknown++; continue }
      if (sent < 0) { duplicates++; continue }
      latencies.push(t - sent)
      sentAt.set(Number(m[1]), -1)
      if (latencies.length === TOTAL) allIn()
    }
  })
  const exited = once(child, 'exit')

  // Let it start (module loading, JIT of the option parser) before the clock matters.
  await sleep(500)

  // The feed: every millisecond or so, send the events that are due by now, so the rate stays
  // steady even if a timer fires late (then a few go at once, as a burst from the kernel would).
  const start = performance.now()
  let sent = 0
  let lastSend = start
  while (sent < WARMUP + TOTAL) {
    const due = Math.min(WARMUP + TOTAL, Math.floor((performance.now() - start) * RATE / 1000) + 1)
    for (; sent < due; sent++) {
      const serial = firstSerial + sent
      const ms = Date.now()
      const stamp = `audit(${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:${serial})`
      let text = events[sent % events.length].replace(/audit\(\d+\.\d+:\d+\)/g, stamp)
      // Not whole: without its PROCTITLE (the kernel's last record) only the idle timeout ends it.
      if (!whole) text = text.split('\n').filter(l => !l.startsWith('type=PROCTITLE ')).join('\n')
      if (withEoe) text += `type=EOE msg=${stamp}: \n`
      child.stdin.write(text, 'latin1')
      lastSend = performance.now()
      if (sent >= WARMUP) sentAt.set(serial, lastSend)
    }
    await sleep(1)
  }
  const feedSeconds = (lastSend - start) / 1000 * TOTAL / (WARMUP + TOTAL)

  // Everything should be out one idle timeout after the last write; allow generous slack before
  // calling what is missing lost, then end the input and let netfilter exit on its own.
  await Promise.race([allReceived, sleep(IDLE_MS + 5000)])
  child.stdin.end()
  const [code] = await exited
  const sorted = latencies.sort((a, b) => a - b)
  return {
    withEoe,
    whole,
    sent: TOTAL,
    received: sorted.length,
    unknown,
    duplicates,
    exit: code,
    rate: TOTAL / feedSeconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1]
  }
}

const events = templates()
const version = JSON.parse(readFileSync(new URL('../package.json', pathToFileURL(BIN)), 'utf8')).version
console.error(`latency: ${TOTAL} events at ${RATE}/s, ${events.length} distinct connect events, --idle-timeout ${IDLE_MS} ms, ${BIN}`)
const modes = [
  await runMode(events, true, 100_000_000),
  await runMode(events, false, 200_000_000),
  await runMode(events, false, 300_000_000, false)
]

const ms = x => Number.isFinite(x) ? x.toFixed(1) : '—'
const limit = IDLE_MS + 5
const rows = modes.map(m => {
  const name = m.withEoe
    ? 'with EOE (from writing EOE)'
    : m.whole ? 'without EOE (from writing the last record)' : 'without EOE or PROCTITLE: not whole, ended by the idle timeout'
  const bound = m.withEoe ? 5 : limit
  const judge = `p99 ≤ ${bound} ms: ${m.p99 <= bound && m.received === m.sent ? 'yes' : 'NO'}`
  return `| ${name} | ${m.sent} | ${m.received}${m.unknown || m.duplicates ? ` (+${m.unknown} unmatched, ${m.duplicates} repeated)` : ''} | ` +
    `${m.rate.toFixed(0)} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(m.max)} | ${judge} |`
})
const source = existsSync(`${ROOT}../shared/corpus/real`) ? 'the real auditd captures' : 'examples/audit.log'
const report = [
  `Measured ${DATE} by \`make bench-latency\` (bench/latency.mjs).`,
  '',
  `- machine: ${MACHINE.text}`,
  `- netfilter ${version} (\`--format ${values.format} --idle-timeout ${IDLE_MS}\`), node ${process.version}; stdin and stdout are pipes`,
  `- feed: ${WARMUP} warm-up events (not counted), then ${TOTAL} connect events (SYSCALL + SOCKADDR + PROCTITLE, ${events.length} distinct ones from ${source}) at ` +
    `${RATE}/s for ${SECONDS} s, fresh serials and current timestamps, one write per event; latency is from that write ` +
    'returning to the output line being read. A connect is whole at its PROCTITLE, so it is out at once with or without EOE; ' +
    'the third row leaves PROCTITLE out, so only the idle timeout ends each event (as it does for any event whose ' +
    'PROCTITLE never comes)',
  '',
  '| mode | events | output lines | achieved events/s | p50 ms | p99 ms | max ms | acceptance |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...rows
].join('\n')
console.log(report)
for (const m of modes) if (m.exit !== 0) console.error(`latency: netfilter exited ${m.exit} (${m.withEoe ? 'with' : 'without'} EOE${m.whole ? '' : ', not whole'})`)
if (!values['no-docs']) {
  writeDocBlock('latency', report)
  console.error('latency: figures written to docs/performance.md')
}
if (modes.some(m => m.exit !== 0 || m.received !== m.sent)) process.exitCode = 1
