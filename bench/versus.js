// Before/after on the hot path: the current build (dist/) against another git revision, on the same
// corpus, alternating, RUNS times each; prints medians of wall time, user CPU and peak RSS, and the
// ratio. The revision is built once into bench/.cache/rev-<sha>/ (a git worktree) and reused.
// Usage: node bench/versus.js REV [--runs N] [--input FILE] [-- netfilter flags…]
import { spawnSync } from 'node:child_process'
import { openSync, closeSync, statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ROOT, benchInput, buildRevision, commitOf, median } from './report.mjs'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '7' }, input: { type: 'string' } }
})
const [rev, ...flags] = positionals
if (rev === undefined) {
  console.error('usage: node bench/versus.js REV [--runs N] [--input FILE] [-- netfilter flags…]')
  process.exit(2)
}
const RUNS = Number(values.runs)

function measure (bin, input) {
  const fd = openSync(input, 'r')
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%U %M', process.execPath, bin, ...flags], { stdio: [fd, 'ignore', 'pipe'] })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  closeSync(fd)
  if (r.status !== 0) throw new Error(`${bin} failed (${r.status}): ${r.stderr}`)
  const [user, rss] = String(r.stderr).trim().split('\n').pop().split(' ').map(Number)
  return { seconds, user, rssMB: rss / 1024 }
}

const theirs = buildRevision(commitOf(rev))
const ours = `${ROOT}dist/bin.js`
// The smallest corpus: a dozen alternating runs of each build take minutes even so.
const input = benchInput('versus', values.input, 'smallest')
const runs = { [rev]: [], 'dist (working tree)': [] }
for (let i = 0; i < RUNS; i++) {
  runs[rev].push(measure(theirs, input))
  runs['dist (working tree)'].push(measure(ours, input))
}
console.log(`input ${input} (${(statSync(input).size / 1e6).toFixed(1)} MB), ${RUNS} runs each, alternating, medians; flags: ${flags.join(' ') || '(none)'}`)
const rows = Object.entries(runs).map(([name, rs]) => ({
  name, seconds: median(rs.map(r => r.seconds)), user: median(rs.map(r => r.user)), rss: median(rs.map(r => r.rssMB))
}))
for (const r of rows) console.log(`${r.name.padEnd(24)} ${r.seconds.toFixed(3)} s wall  ${r.user.toFixed(2)} s user  ${r.rss.toFixed(1)} MB peak RSS`)
const [a, b] = rows
console.log(`working tree / ${rev}: wall ${(b.seconds / a.seconds).toFixed(3)}×, user ${(b.user / a.user).toFixed(3)}× (below 1 is faster)`)
