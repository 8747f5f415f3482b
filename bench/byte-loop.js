// Ceiling: walk the bytes of the input counting newlines, no strings at all.
// Usage: node bench/byte-loop.js < FILE
import { readSync } from 'node:fs'
const buf = Buffer.allocUnsafe(1 << 20)
let lines = 0
for (;;) {
  let n
  try {
    n = readSync(0, buf, 0, buf.length, null)
  } catch (err) {
    if (err.code === 'EAGAIN') continue
    throw err
  }
  if (n === 0) break
  for (let i = 0; i < n; i++) if (buf[i] === 10) lines++
}
process.stderr.write(`${lines}\n`)
