// Ceiling: read the input and split it into string lines, nothing more (what any string-based
// filter must at least do). Usage: node bench/split-loop.js < FILE
let lines = 0
let rest = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', chunk => {
  let s = rest + chunk
  let pos = 0
  for (;;) {
    const nl = s.indexOf('\n', pos)
    if (nl < 0) break
    const line = s.slice(pos, nl)
    if (line.length === 0) lines += 0
    lines++
    pos = nl + 1
  }
  rest = s.slice(pos)
  s = ''
})
process.stdin.on('end', () => { process.stderr.write(`${lines}\n`) })
