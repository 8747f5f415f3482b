// make bench: netfilter's throughput on real-shaped audit logs, beside laurel, ausearch and the plain
// Node loops that bound it. In: the real captures (../shared/corpus/real, else examples/audit.log),
// replicated into cached corpora under bench/.cache. Out: a table of medians (wall seconds, CPU
// seconds, MB/s, lines/s, peak RSS) on stdout, then netfilter's peak RSS and netfilter's and
// laurel's times on a 4× corpus (memory flatness, sustained rate), the same into
// docs/performance.md (bench markers), then latency.mjs.
// Usage: node bench/run.js [--runs 5] [--min-mb 200] [--ausearch-runs N] [--big-runs 3]
//          [--big-factor 4] [--startup-runs 20] [--no-big] [--no-latency] [--no-docs]
import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync,
  renameSync, rmSync, statSync, statfsSync, writeFileSync, writeSync
} from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { parseArgs } from 'node:util'
import { CACHE, PATH_WITH_THIS_NODE, ROOT, machine, median, now, writeDocBlock } from './report.mjs'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'min-mb': { type: 'string', default: '200' },
    // ausearch is the slowest command; its runs may be capped on their own (the output says so).
    'ausearch-runs': { type: 'string' },
    'big-runs': { type: 'string', default: '3' },
    'big-factor': { type: 'string', default: '4' },
    'startup-runs': { type: 'string', default: '20' },
    'no-big': { type: 'boolean', default: false },
    'no-latency': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false }
  }
})
const RUNS = Number(values.runs)
const AUSEARCH_RUNS = Math.min(RUNS, Number(values['ausearch-runs'] ?? RUNS))
const BIG_RUNS = Number(values['big-runs'])
const BIG_FACTOR = Number(values['big-factor'])
const STARTUP_RUNS = Number(values['startup-runs'])
const MIN_BYTES = Number(values['min-mb']) * 1e6
const IS_ROOT = process.getuid?.() === 0

// Taken first, so the load average describes the machine before the bench loads it.
const MACHINE = machine()
const DATE = now()

/** A message that must not scroll past unnoticed: a comparison is missing from the figures. */
function loud (msg) {
  const bar = '!'.repeat(78)
  console.error(`\n${bar}\n!! bench: ${msg}\n${bar}\n`)
}

/**
 * Real captures, replicated until minBytes; each copy's timestamps move on by an hour and its
 * serials by ten million, so every copy is new events later in time, as a longer log would be
 * (repeating the same serials would make every copy after the first a duplicate). Deterministic:
 * the same minBytes gives the same bytes, so the file is cached by size. Written copy by copy to a
 * temporary name and renamed at the end: the big corpus exceeds V8's longest string, and an
 * interrupted run must not leave a truncated file that later runs would take for the cache.
 */
function corpus (minBytes) {
  const out = `${CACHE}/corpus-v2-${minBytes}.log`
  if (existsSync(out)) return out
  mkdirSync(CACHE, { recursive: true })
  const realDir = `${ROOT}../shared/corpus/real`
  let parts
  if (existsSync(realDir)) {
    parts = readdirSync(realDir).filter(f => f.endsWith('-auditd.log.gz')).sort()
      .map(f => gunzipSync(readFileSync(`${realDir}/${f}`)).toString('latin1'))
  } else {
    console.error('bench: ../shared/corpus/real is absent; using examples/audit.log')
    parts = [readFileSync(`${ROOT}examples/audit.log`, 'latin1')]
  }
  const base = parts.join('')
  console.error(`bench: building ${out} (${(minBytes / 1e6).toFixed(0)} MB, cached for later runs)`)
  const tmp = `${out}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w')
  try {
    let size = 0
    for (let copy = 0; size < minBytes; copy++) {
      const text = copy === 0
        ? base
        : base.replace(/audit\((\d+)\.(\d{3}):(\d+)\)/g,
          (_m, sec, ms, serial) => `audit(${Number(sec) + copy * 3600}.${ms}:${Number(serial) + copy * 10000000})`)
      size += writeSync(fd, Buffer.from(text, 'latin1'))
    }
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, out)
  return out
}

const freeBytes = path => { const s = statfsSync(path); return s.bavail * s.bsize }

/**
 * Copies dist/ (and what it reads beside it) aside, so every run measures the same build even if
 * dist/ is rebuilt while the bench runs. Kept inside the project so node_modules still resolves.
 */
function snapshotNetfilter () {
  const dir = `${CACHE}/netfilter-under-test`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(`${ROOT}dist`, `${dir}/dist`, { recursive: true })
  chmodSync(`${dir}/dist/bin.js`, 0o755) // run as a command below; tsc alone leaves it 0644
  cpSync(`${ROOT}schemas`, `${dir}/schemas`, { recursive: true })
  copyFileSync(`${ROOT}package.json`, `${dir}/package.json`)
  return dir
}

/** Makes sure bin exists, installing the Debian package when root; false (said loudly) if not. */
function ensureTool (bin, pkg) {
  if (existsSync(bin)) return true
  if (IS_ROOT) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    for (const step of [['install', '-y', pkg], ['update'], ['install', '-y', pkg]]) {
      console.error(`bench: ${bin} is missing; apt-get ${step.join(' ')}`)
      spawnSync('apt-get', step, { stdio: ['ignore', 'inherit', 'inherit'], env })
      if (existsSync(bin)) return true
    }
  }
  loud(`${bin} (Debian package ${pkg}) is not installed${IS_ROOT ? ' and apt-get could not install it' : ' and this is not root'}: ` +
    `its row is SKIPPED. Install it (apt-get install ${pkg}) for the full comparison.`)
  return false
}

const toolVersion = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return r.error ? 'not installed' : `${r.stdout}${r.stderr}`.trim().split('\n')[0]
}

/**
 * Runs one command under /usr/bin/time (the last stderr line: peak RSS in KiB, user and system CPU
 * seconds), stdin from the file `input` (or /dev/null), stdout to /dev/null. Wall time is measured
 * here, around it. CPU time is all the command's threads (netfilter's include V8's compiler): at a
 * busy moment, when other work holds one of the two cores, that sum is what the wall time tends to.
 */
function measure ({ cmd, args, input, okStatus = [0], before, after }) {
  before?.()
  const fd = openSync(input ?? '/dev/null', 'r')
  const t0 = process.hrtime.bigint()
  let r
  try {
    r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { stdio: [fd, 'ignore', 'pipe'], maxBuffer: 1 << 26 })
  } finally {
    closeSync(fd)
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  after?.()
  // time(1) passes the command's status on; "Command exited with non-zero status" precedes %M.
  if (!okStatus.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  const [rssKiB, user, system] = String(r.stderr).trim().split('\n').pop().split(' ').map(Number)
  return { seconds, rssKiB, cpuSeconds: user + system }
}

/** Wall seconds of one short command, without time(1) in between (start-up is ~0.1 s). */
function wall (cmd, args) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const countLines = file => Number(execFileSync('wc', ['-l', file]).toString().trim().split(' ')[0])
const fmt = (x, digits) => Number.isFinite(x) ? x.toFixed(digits) : '—'
const fmtInt = x => Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '—'

// ---- set-up ------------------------------------------------------------------------------------

const haveLaurel = ensureTool('/usr/sbin/laurel', 'laurel')
const haveAusearch = ensureTool('/usr/sbin/ausearch', 'auditd')
const netfilterDir = snapshotNetfilter()
// Run as the command users run (the npm bin link, install.sh's link and plugin wrapper): the
// executable itself, so its shebang's Node options apply (bin.ts).
const netfilter = `${netfilterDir}/dist/bin.js`
process.env.PATH = PATH_WITH_THIS_NODE
const netfilterVersion = JSON.parse(readFileSync(`${netfilterDir}/package.json`, 'utf8')).version

const input = corpus(MIN_BYTES)
const bytes = statSync(input).size
const lines = countLines(input)

// The flatness check wants a corpus BIG_FACTOR times the size; build it only if the disk has room
// for it (plus a margin for the other work on this machine), else 2×, else nothing — loudly.
let big = null
if (!values['no-big']) {
  const margin = 2e9
  for (const factor of [BIG_FACTOR, 2]) {
    // Whole copies of the base: asking for factor × the 1× corpus's actual size gives exactly
    // factor times as many copies (asking for factor × MIN_BYTES would round differently).
    const want = bytes * factor
    if (existsSync(`${CACHE}/corpus-v2-${want}.log`) || freeBytes(CACHE) > want + margin) {
      if (factor !== BIG_FACTOR) loud(`not enough free disk for a ${BIG_FACTOR}× corpus (${(bytes * BIG_FACTOR / 1e6).toFixed(0)} MB): the RSS flatness check falls back to ${factor}×`)
      const file = corpus(want)
      big = { factor, file, bytes: statSync(file).size, lines: countLines(file) }
      break
    }
  }
  if (big === null) loud('not enough free disk even for a 2× corpus: the RSS flatness check is SKIPPED')
}

// laurel writes its translated log into a fresh tmpfs directory, removed after every run so
// /dev/shm does not fill; the config turns every enrichment off and decodes SOCKADDR
// (translate.universal), which is the work comparable to netfilter's.
const laurelDir = `/dev/shm/netfilter-bench-laurel-${process.pid}`
const laurelConfig = `${CACHE}/laurel-bench.toml`
writeFileSync(laurelConfig, [
  `directory = "${laurelDir}"`,
  ...(IS_ROOT ? ['user = "root"'] : []),
  '[auditlog]',
  'file = "audit.log"',
  'size = 1000000000000',
  'generations = 2',
  'read-users = []',
  '[translate]',
  'universal = true',
  'user-db = false',
  'drop-raw = true',
  '[enrich]',
  'pid = false',
  'execve-env = []',
  'container = false',
  'systemd = false',
  'script = false',
  '[label-process]',
  '[filter]',
  ''
].join('\n'))
const cleanLaurel = () => rmSync(laurelDir, { recursive: true, force: true })
if (haveLaurel && freeBytes('/dev/shm') < bytes * 2) {
  loud(`/dev/shm has ${(freeBytes('/dev/shm') / 1e6).toFixed(0)} MB free; laurel's output (about the input's size) may not fit`)
}

// ---- throughput: every command on the same bytes, alternating --------------------------------

const node = process.execPath
const commands = [
  { name: 'netfilter --format native', cmd: netfilter, args: ['--format', 'native'], input, runs: RUNS },
  { name: 'netfilter --format ecs', cmd: netfilter, args: ['--format', 'ecs'], input, runs: RUNS },
  haveLaurel && {
    name: 'laurel (translate.universal)', cmd: '/usr/sbin/laurel', args: ['-c', laurelConfig], input, runs: RUNS,
    before: cleanLaurel, after: cleanLaurel
  },
  // --input reads a plain file (no rotated set needed); status 1 only means "no matches".
  haveAusearch && {
    name: 'ausearch -i -m SOCKADDR', cmd: '/usr/sbin/ausearch', args: ['--input', input, '-i', '-m', 'SOCKADDR'],
    input: null, runs: AUSEARCH_RUNS, okStatus: [0, 1]
  },
  { name: 'node split-loop (ceiling: strings)', cmd: node, args: [`${ROOT}bench/split-loop.js`], input, runs: RUNS },
  { name: 'node byte-loop (ceiling: bytes)', cmd: node, args: [`${ROOT}bench/byte-loop.js`], input, runs: RUNS },
  { name: 'node -e 0 (start-up)', cmd: node, args: ['-e', '0'], input, runs: RUNS, startupOnly: true }
].filter(Boolean)

console.error(`bench: ${(bytes / 1e6).toFixed(1)} MB, ${lines} lines; ${RUNS} rounds (ausearch ${AUSEARCH_RUNS})`)
const results = new Map(commands.map(c => [c.name, []]))
for (let round = 0; round < RUNS; round++) {
  for (const c of commands) {
    if (round >= c.runs) continue
    const r = measure(c)
    results.get(c.name).push(r)
    console.error(`  round ${round + 1}/${RUNS}  ${c.name.padEnd(36)} ${r.seconds.toFixed(3)} s  CPU ${r.cpuSeconds.toFixed(2)} s  ${(r.rssKiB / 1024).toFixed(1)} MB`)
  }
}
const row = c => {
  const runs = results.get(c.name)
  const seconds = median(runs.map(r => r.seconds))
  return {
    name: c.name, runs: runs.length, seconds, cpuSeconds: median(runs.map(r => r.cpuSeconds)),
    rssMB: median(runs.map(r => r.rssKiB)) / 1024, startupOnly: c.startupOnly
  }
}
const rows = commands.map(row)
const byName = name => rows.find(r => r.name.startsWith(name))

// ---- start-up: netfilter --version against node -e 0, alternating ----------------------------

const startup = { netfilter: [], node: [] }
for (let i = 0; i < STARTUP_RUNS; i++) {
  startup.netfilter.push(wall(netfilter, ['--version']))
  startup.node.push(wall(node, ['-e', '0']))
}
const startupNetfilter = median(startup.netfilter)
const startupNode = median(startup.node)

// ---- RSS flatness: the same filter on BIG_FACTOR times the input ------------------------------

let flat = null
let sustained = null
if (big) {
  const runs = []
  // laurel on the same big input, alternating: what the extra input costs each of them is their
  // sustained rate, with start-up and (for netfilter) the optimising compiler's warm-up paid once.
  const laurelBig = haveLaurel && freeBytes('/dev/shm') > big.bytes * 1.5
  if (haveLaurel && !laurelBig) loud(`/dev/shm has too little room for laurel's output on ${big.factor}×: the sustained rate is SKIPPED`)
  const laurelRuns = []
  for (let i = 0; i < BIG_RUNS; i++) {
    const r = measure({ cmd: netfilter, args: ['--format', 'native'], input: big.file })
    runs.push(r)
    console.error(`  big ${i + 1}/${BIG_RUNS}  netfilter --format native on ${big.factor}×  ${r.seconds.toFixed(3)} s  ${(r.rssKiB / 1024).toFixed(1)} MB`)
    if (laurelBig) {
      const l = measure({ cmd: '/usr/sbin/laurel', args: ['-c', laurelConfig], input: big.file, before: cleanLaurel, after: cleanLaurel })
      laurelRuns.push(l)
      console.error(`  big ${i + 1}/${BIG_RUNS}  laurel on ${big.factor}×  ${l.seconds.toFixed(3)} s  ${(l.rssKiB / 1024).toFixed(1)} MB`)
    }
  }
  if (laurelRuns.length > 0) {
    const nf1 = median(results.get('netfilter --format native').map(r => r.seconds))
    const la1 = median(results.get('laurel (translate.universal)').map(r => r.seconds))
    const nfN = median(runs.map(r => r.seconds))
    const laN = median(laurelRuns.map(r => r.seconds))
    sustained = { nf1, la1, nfN, laN, nfExtra: nfN - nf1, laExtra: laN - la1 }
  }
  // The 1× figures are the main table's runs of the same snapshot. Peak RSS moves from run to run
  // with the garbage collector's timing, so the ranges are printed beside the medians.
  const mb = rs => rs.map(r => r.rssKiB / 1024)
  const range = xs => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`
  const rss1 = byName('netfilter --format native').rssMB
  const rssN = median(mb(runs))
  flat = {
    ...big, runs: runs.length, seconds: median(runs.map(r => r.seconds)), rss1, rssN, ratio: rssN / rss1,
    range1: range(mb(results.get('netfilter --format native'))), rangeN: range(mb(runs))
  }
}

// ---- report ----------------------------------------------------------------------------------

const versions = {
  node: process.version,
  netfilter: netfilterVersion,
  laurel: toolVersion('/usr/sbin/laurel', ['--version']),
  ausearch: toolVersion('/usr/sbin/ausearch', ['-v'])
}
const source = existsSync(`${ROOT}../shared/corpus/real`) ? 'the real auditd captures (../shared/corpus/real/*-auditd.log.gz)' : 'examples/audit.log'

const table = [
  '| command | runs | seconds | CPU s | MB/s | lines/s | peak RSS MB |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(r => `| ${r.name} | ${r.runs} | ${fmt(r.seconds, 3)} | ${fmt(r.cpuSeconds, 2)} | ` +
    `${r.startupOnly ? '—' : fmt(bytes / 1e6 / r.seconds, 1)} | ${r.startupOnly ? '—' : fmtInt(lines / r.seconds)} | ${fmt(r.rssMB, 1)} |`),
  ...(haveLaurel ? [] : ['| laurel | skipped: /usr/sbin/laurel not installed | | | | | |']),
  ...(haveAusearch ? [] : ['| ausearch | skipped: /usr/sbin/ausearch not installed | | | | | |'])
]

const nfNative = byName('netfilter --format native')
const nfEcs = byName('netfilter --format ecs')
const laurel = byName('laurel')
const ausearch = byName('ausearch')
const split = byName('node split-loop')
const byte = byName('node byte-loop')
/** a's time over b's: wall seconds, or another measure of the rows ('cpuSeconds'). */
const times = (a, b, measure = 'seconds') => (a && b) ? `${(a[measure] / b[measure]).toFixed(2)}×` : 'n/a (skipped)'
const share = (fast, slow) => `${(100 * fast.seconds / slow.seconds).toFixed(0)} %`
const ratios = [
  `- speed-up over laurel (laurel seconds / netfilter seconds): native ${times(laurel, nfNative)}, ecs ${times(laurel, nfEcs)}` +
    // Decided on the unrounded ratio: 9.998 prints as 10.00.
    ((laurel && nfNative) ? ` (acceptance, native ≥ 10×: ${laurel.seconds / nfNative.seconds >= 10 ? 'yes' : 'no'})` : ''),
  `- CPU time (user + system, all threads) of laurel over netfilter's: native ${times(laurel, nfNative, 'cpuSeconds')}, ecs ${times(laurel, nfEcs, 'cpuSeconds')}` +
    ' (what the wall-time ratio tends to when other work holds one of the two cores)',
  `- speed-up over ausearch: native ${times(ausearch, nfNative)}, ecs ${times(ausearch, nfEcs)}`,
  `- netfilter native throughput as a share of the ceilings: ${share(split, nfNative)} of the string loop, ${share(byte, nfNative)} of the byte loop`,
  `- start-up, ${STARTUP_RUNS} runs each alternating, medians: \`netfilter --version\` ${(startupNetfilter * 1000).toFixed(0)} ms, ` +
    `\`node -e 0\` ${(startupNode * 1000).toFixed(0)} ms, ratio ${(startupNetfilter / startupNode).toFixed(2)}× (acceptance ≤ 1.5×)`,
  flat
    ? `- peak RSS flatness, netfilter native, medians (ranges): ${fmt(flat.rss1, 1)} MB (${flat.range1}) on 1× (${(bytes / 1e6).toFixed(0)} MB), ` +
      `${fmt(flat.rssN, 1)} MB (${flat.rangeN}) on ${flat.factor}× (${(flat.bytes / 1e6).toFixed(0)} MB, ${(flat.bytes / bytes).toFixed(2)}× the bytes; ${flat.runs} run${flat.runs === 1 ? '' : 's'}, median ${fmt(flat.seconds, 1)} s), ` +
      `ratio ${flat.ratio.toFixed(3)} (acceptance ≤ 1.10)`
    : '- peak RSS flatness: SKIPPED (see the bench output)',
  ...(sustained && flat
    ? [`- sustained rate, native: on ${flat.factor}× netfilter took ${fmt(sustained.nfN, 3)} s and laurel ${fmt(sustained.laN, 3)} s ` +
        `(${flat.runs} runs each, alternating, medians), ${(sustained.laN / sustained.nfN).toFixed(2)}×; the ${(flat.bytes / bytes - 1).toFixed(2)}× more input ` +
        `than the table's cost netfilter ${fmt(sustained.nfExtra, 3)} s and laurel ${fmt(sustained.laExtra, 3)} s more, ` +
        `${(sustained.laExtra / sustained.nfExtra).toFixed(2)}× (start-up, and the warm-up of V8's optimising compiler over the first ` +
        'tens of MB, are paid once per process: the acceptance figure is the table\'s)']
    : [])
]

const header = [
  `Measured ${DATE} by \`make bench\` (bench/run.js).`,
  '',
  `- machine: ${MACHINE.text}`,
  `- versions: node ${versions.node}, netfilter ${versions.netfilter}, laurel ${versions.laurel}, ${versions.ausearch}`,
  `- input: ${(bytes / 1e6).toFixed(1)} MB, ${lines.toLocaleString('en')} lines, ${source} replicated with serials and timestamps moved on; ` +
    `stdin from the file, stdout to /dev/null (ausearch reads it with --input); medians of the runs given` +
    (AUSEARCH_RUNS < RUNS ? ` (ausearch capped at ${AUSEARCH_RUNS} runs, being the slowest)` : '')
]
const report = [...header, '', ...table, '', ...ratios].join('\n')
console.log(report)

if (!values['no-docs']) {
  writeDocBlock('bench', report)
  console.error('bench: figures written to docs/performance.md')
}

// ---- latency, on the same snapshot of dist/ ----------------------------------------------------

if (!values['no-latency']) {
  const args = [`${ROOT}bench/latency.mjs`, '--bin', netfilter, ...(values['no-docs'] ? ['--no-docs'] : [])]
  const r = spawnSync(node, args, { stdio: 'inherit' })
  if (r.status !== 0) process.exitCode = r.status ?? 1
}
