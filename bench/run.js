// make bench: netfilter's throughput on real audit logs, beside the plain Node loops that bound it.
// Builds bench/.cache/corpus.log from the real captures (../shared/corpus/real, else the bundled
// example), then runs each command on the same bytes, alternating, RUNS times, and prints medians.
// Usage: node bench/run.js [--runs N] [--min-mb N]
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CACHE = `${ROOT}bench/.cache`
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'min-mb': { type: 'string', default: '40' } } })
const RUNS = Number(values.runs)
const MIN_BYTES = Number(values['min-mb']) * 1e6

/**
 * Real captures, replicated until MIN_BYTES; each copy's timestamps move on by an hour and its
 * serials by ten million, so every copy is new events later in time, as a longer log would be.
 */
function corpus () {
  const out = `${CACHE}/corpus-v2-${MIN_BYTES}.log`
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
  const chunks = []
  let size = 0
  for (let copy = 0; size < MIN_BYTES; copy++) {
    const text = copy === 0
      ? base
      : base.replace(/audit\((\d+)\.(\d{3}):(\d+)\)/g,
        (_m, sec, ms, serial) => `audit(${Number(sec) + copy * 3600}.${ms}:${Number(serial) + copy * 10000000})`)
    chunks.push(text)
    size += text.length
  }
  writeFileSync(out, chunks.join(''), 'latin1')
  return out
}

function measure (cmd, args, input) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    stdio: [openIn(input), 'ignore', 'pipe'], maxBuffer: 1 << 26
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  const lastLine = String(r.stderr).trim().split('\n').pop()
  return { seconds, rssKiB: Number(lastLine) }
}

let fdCache = null
import { openSync } from 'node:fs'
function openIn (path) {
  fdCache = openSync(path, 'r')
  return fdCache
}

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const input = corpus()
const bytes = statSync(input).size
const lines = Number(execFileSync('wc', ['-l', input]).toString().trim().split(' ')[0])
const node = process.execPath
const commands = [
  ['netfilter', node, [`${ROOT}dist/bin.js`]],
  ['node split-loop (ceiling: strings)', node, [`${ROOT}bench/split-loop.js`]],
  ['node byte-loop (ceiling: bytes)', node, [`${ROOT}bench/byte-loop.js`]],
  ['node -e 0 (start-up)', node, ['-e', '0']]
]
const results = new Map(commands.map(([name]) => [name, []]))
for (let i = 0; i < RUNS; i++) {
  for (const [name, cmd, args] of commands) results.get(name).push(measure(cmd, args, input))
}
console.log(`input: ${(bytes / 1e6).toFixed(1)} MB, ${lines} lines; ${RUNS} runs each, medians`)
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`)
console.log('command'.padEnd(38), 'seconds'.padStart(8), 'MB/s'.padStart(8), 'lines/s'.padStart(11), 'peak RSS MB'.padStart(12))
for (const [name, runs] of results) {
  const s = median(runs.map(r => r.seconds))
  const rss = median(runs.map(r => r.rssKiB)) / 1024
  console.log(name.padEnd(38), s.toFixed(3).padStart(8), (bytes / 1e6 / s).toFixed(1).padStart(8),
    Math.round(lines / s).toLocaleString('en').padStart(11), rss.toFixed(1).padStart(12))
}
