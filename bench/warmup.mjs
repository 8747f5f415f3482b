// The warm-up, step by step: one process runs the filter and the native writer (dist/) over the
// bench corpus and prints how long each STEP MB took, then the steady rate and what the first
// --warm MB cost beyond it. V8's optimising compiler works through its queue over the first tens
// of MB, and until it is done each MB costs several times the steady rate: this is where the gap
// between `make bench`'s table and its sustained ratio lies (docs/performance.md). Run it under
// `node --v8-pool-size=1` (as the command runs) and add `--trace-opt` or `--trace-deopt` to see
// which compilations and deoptimisations fall in which step.
// Usage: node --v8-pool-size=1 bench/warmup.mjs [--mb 64] [--step 2] [--warm 24] [--input FILE]
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ROOT, benchInput, median } from './report.mjs'

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '64' },
    step: { type: 'string', default: '2' },
    warm: { type: 'string', default: '24' },
    input: { type: 'string' }
  }
})
const MB = Number(values.mb)
const STEP = Number(values.step)
const WARM = Number(values.warm)
if (!(MB > 0 && STEP > 0 && WARM > 0 && WARM < MB)) {
  console.error('warmup: --mb, --step and --warm must be positive, and --warm less than --mb')
  process.exit(2)
}

// Read before anything is timed, so the steps measure the filter and not the disk.
const input = benchInput('warmup', values.input, 'largest')
const data = Buffer.allocUnsafe(MB << 20)
const fd = openSync(input, 'r')
const length = readSync(fd, data, 0, data.length, 0)
closeSync(fd)
if (length < data.length) {
  console.error(`warmup: ${input} holds ${(length / 2 ** 20).toFixed(1)} MB, fewer than --mb ${MB}`)
  process.exit(2)
}

const { NetFilter } = await import(`${ROOT}dist/filter.js`)
const { writeNativeJson } = await import(`${ROOT}dist/formats/native.js`)
const { JsonWriter } = await import(`${ROOT}dist/sinks/json-writer.js`)

// As the command does: reads of 256 KiB (src/pipeline.ts), each chunk's output taken as one batch.
const CHUNK = 1 << 18
const writer = new JsonWriter()
const filter = new NetFilter(ev => { writeNativeJson(writer, ev); writer.byte(0x0a) })
const steps = []
const t0 = performance.now()
let last = t0
for (let at = 0; at < length; at += CHUNK) {
  filter.push(data.subarray(at, at + CHUNK))
  writer.take()
  const end = at + CHUNK
  if (end % (STEP * 2 ** 20) === 0 || end >= length) {
    const t = performance.now()
    steps.push(t - last)
    // Printed as it goes (synchronously), so it falls between the lines --trace-opt prints.
    writeSync(1, `@@ ${(end / 2 ** 20).toFixed(0).padStart(4)} MB  ${(t - last).toFixed(1).padStart(7)} ms\n`)
    last = t
  }
}
filter.end()
const total = performance.now() - t0
const warmSteps = Math.round(WARM / STEP)
const steady = median(steps.slice(warmSteps))
const warmCost = steps.slice(0, warmSteps).reduce((a, b) => a + b, 0)
console.log(`input ${input}, first ${MB} MB, in one process: ${total.toFixed(0)} ms`)
console.log(`steady rate after ${WARM} MB: ${(steady / STEP).toFixed(2)} ms a MB (median of the steps)`)
console.log(`first ${WARM} MB: ${warmCost.toFixed(0)} ms, ${(warmCost - steady * warmSteps).toFixed(0)} ms beyond the steady rate`)
