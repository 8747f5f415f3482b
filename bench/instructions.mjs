// Instruction counts, where wall times are too noisy to tell a change of a few per cent: the
// command runs under valgrind (cachegrind, no cache simulation) with V8 single-threaded and
// predictable, on the first --mb MB of the corpus and on three times as many. The first count is
// start-up, compilation and warm-up included; the difference, per input byte, is the steady cost.
// Counted in one sitting, both repeat to within about 1 % on the bench machine, where one build's
// wall time varies by a third; counted again hours later they came out up to 3 % apart (how the
// asynchronous reads interleave with the work moves the garbage collections), so builds are
// compared counted together: with REV, another revision is counted too (built as versus.js builds
// it), and the ratios printed. Counts leave out what memory stalls cost and how the optimising
// compiler's thread competes with the main one, so what they favour is confirmed in wall time. Needs valgrind (Debian: apt-get install valgrind); a few minutes per build.
// Usage: node bench/instructions.mjs [REV] [--mb 22] [--input FILE] [-- netfilter flags…]
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { CACHE, ROOT, benchInput, buildRevision, commitOf } from './report.mjs'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mb: { type: 'string', default: '22' }, input: { type: 'string' } }
})
const MB = Number(values.mb)
if (!(MB > 0)) {
  console.error('instructions: --mb must be a positive number of MB')
  process.exit(2)
}
const [rev, ...flags] = positionals

if (spawnSync('valgrind', ['--version']).error !== undefined) {
  console.error('instructions: valgrind is not installed (Debian: apt-get install valgrind)')
  process.exit(2)
}

/** The first mb MB of input, cut at a line's end, as a file of its own in bench/.cache (kept). */
function slice (input, mb) {
  const path = `${CACHE}/slice-${mb}MB-of-${basename(input)}`
  if (existsSync(path)) return path
  const want = Math.round(mb * 1e6)
  if (statSync(input).size < want) {
    console.error(`instructions: ${input} holds fewer than ${mb} MB; pass a smaller --mb`)
    process.exit(2)
  }
  const buf = Buffer.allocUnsafe(want)
  const fd = openSync(input, 'r')
  const n = readSync(fd, buf, 0, want, 0)
  closeSync(fd)
  writeFileSync(path, buf.subarray(0, buf.lastIndexOf(0x0a, n - 1) + 1))
  return path
}

/** Instructions the command (node bin flags < file) executed, start-up included. */
function count (bin, file) {
  const fd = openSync(file, 'r')
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null',
    process.execPath, '--single-threaded', '--predictable', bin, ...flags], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' })
  closeSync(fd)
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr)
  if (r.status !== 0 || m === null) throw new Error(`${bin} under valgrind failed (${r.status}): ${r.stderr.slice(-2000)}`)
  return Number(m[1].replaceAll(',', ''))
}

const input = benchInput('instructions', values.input, 'largest')
const small = slice(input, MB)
const large = slice(input, 3 * MB)
const extraBytes = statSync(large).size - statSync(small).size

const builds = [['dist (working tree)', `${ROOT}dist/bin.js`]]
if (rev !== undefined) builds.push([rev, buildRevision(commitOf(rev))])
console.log(`input: the first ${MB} and ${3 * MB} MB of ${input}; flags: ${flags.join(' ') || '(none)'}`)
const rows = builds.map(([name, bin]) => {
  const first = count(bin, small)
  const perByte = (count(bin, large) - first) / extraBytes
  console.log(`${name.padEnd(24)} first ${MB} MB: ${(first / 1e6).toFixed(0).padStart(6)} M instructions` +
    `   steady: ${perByte.toFixed(2)} per input byte`)
  return { first, perByte }
})
if (rows.length === 2) {
  const [ours, theirs] = rows
  console.log(`working tree / ${rev}: first ${MB} MB ${(ours.first / theirs.first).toFixed(3)}×, steady ` +
    `${(ours.perByte / theirs.perByte).toFixed(3)}× (below 1 is fewer)`)
}
