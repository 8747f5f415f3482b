/**
 * Stage 1: bytes → lines. Every test feeds realistic auditd lines (copied from the real x86_64 capture
 * in ../shared/corpus/real) and checks the lines that come out, whatever the chunking.
 */
import t from 'tap'
import { LineSplitter } from '../../src/lines/line-splitter.js'

const SYSCALL = 'type=SYSCALL msg=audit(1795640829.926:95900): arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11" key="net_connect"'
const SOCKADDR = 'type=SOCKADDR msg=audit(1795640829.926:95900): saddr=0200E3B17F0000010000000000000000'
const PROCTITLE = 'type=PROCTITLE msg=audit(1795640829.926:95900): proctitle=2F7573722F62696E2F656E760062617368002F726F6F742F2E7079656E762F7368696D732F707974686F6E33002F746D702F636170747572652F747261666669632E707900323030300032'
const THREE = [SYSCALL, SOCKADDR, PROCTITLE]
const THREE_TEXT = THREE.map(l => l + '\n').join('')

interface Run { lines: string[], overlong: number }

/** Feeds the chunks (latin1 text, so every byte is one char), calls end(), returns what came out. */
function split (chunks: Array<string | Buffer>, maxLength?: number): Run {
  const lines: string[] = []
  const s = new LineSplitter((buf, start, end) => { lines.push(buf.toString('latin1', start, end)) }, maxLength)
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
  s.end()
  return { lines, overlong: s.overlong }
}

function bytes (text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

t.test('three lines in one chunk come out in order without their newlines', async t => {
  t.same(split([THREE_TEXT]), { lines: THREE, overlong: 0 })
})

t.test('a 3-line input split in two at every byte position gives the same three lines', async t => {
  for (let i = 0; i <= THREE_TEXT.length; i++) {
    const r = split([THREE_TEXT.slice(0, i), THREE_TEXT.slice(i)])
    if (r.lines.length !== 3 || r.lines.some((l, k) => l !== THREE[k])) {
      t.fail(`split at ${i}: ${JSON.stringify(r.lines.map(l => l.slice(0, 40)))}`)
      return
    }
  }
  t.pass('all two-chunk splits agree')
})

t.test('a record split across three chunks, at every pair of positions, is joined', async t => {
  // Every (i, j) over the SOCKADDR line and its neighbours' ends: the middle line crosses both cuts.
  const from = SYSCALL.length - 3
  const to = SYSCALL.length + 1 + SOCKADDR.length + 3
  let bad = 0
  for (let i = from; i <= to; i++) {
    for (let j = i; j <= to; j++) {
      const r = split([THREE_TEXT.slice(0, i), THREE_TEXT.slice(i, j), THREE_TEXT.slice(j)])
      if (JSON.stringify(r.lines) !== JSON.stringify(THREE)) bad++
    }
  }
  t.equal(bad, 0, 'no three-chunk split changes the lines')
})

t.test('1-byte chunks give the same lines as one chunk', async t => {
  t.same(split(bytes(THREE_TEXT, 1)), { lines: THREE, overlong: 0 })
})

t.test('chunks that hold only a newline end the pending line', async t => {
  t.same(split([SOCKADDR, '\n', PROCTITLE, '\n']).lines, [SOCKADDR, PROCTITLE])
})

t.test('CRLF line endings are stripped', async t => {
  t.same(split([THREE.map(l => l + '\r\n').join('')]).lines, THREE)
})

t.test('a CR and its LF arriving in different chunks are still stripped together', async t => {
  t.same(split([SOCKADDR + '\r', '\n' + PROCTITLE + '\r', '\n']).lines, [SOCKADDR, PROCTITLE])
})

t.test('CRLF input in 1-byte chunks gives the LF lines', async t => {
  t.same(split(bytes(THREE.map(l => l + '\r\n').join(''), 1)).lines, THREE)
})

t.test('only the CR right before the newline is removed', async t => {
  // A CR inside a line is data, and of "\r\r\n" only the last CR belongs to the line ending.
  t.same(split(['a\rb\r\n', 'c\r\r\n']).lines, ['a\rb', 'c\r'])
})

t.test('a final line without a newline is emitted at end(), not before', async t => {
  const lines: string[] = []
  const s = new LineSplitter((buf, start, end) => { lines.push(buf.toString('latin1', start, end)) })
  s.push(Buffer.from(SYSCALL + '\n' + SOCKADDR))
  t.same(lines, [SYSCALL], 'the unterminated line waits for more input')
  s.end()
  t.same(lines, [SYSCALL, SOCKADDR], 'end() delivers it')
})

t.test('a final line without a newline that arrived in several chunks is emitted whole at end()', async t => {
  t.same(split(bytes(SYSCALL + '\n' + SOCKADDR, 7)).lines, [SYSCALL, SOCKADDR])
})

t.test('end() with nothing pending emits nothing', async t => {
  const lines: string[] = []
  const s = new LineSplitter((buf, start, end) => { lines.push(buf.toString('latin1', start, end)) })
  s.push(Buffer.from(THREE_TEXT, 'latin1'))
  t.equal(lines.length, 3)
  s.end()
  t.equal(lines.length, 3, 'no extra empty line after a final newline')
  t.same(split([]).lines, [], 'no input, no line')
})

t.test('empty lines are emitted as empty lines', async t => {
  t.same(split([SYSCALL + '\n\n' + SOCKADDR + '\n\r\n\n']).lines, [SYSCALL, '', SOCKADDR, '', ''])
})

t.test('a line longer than maxLength in one chunk is dropped and counted, the next one is kept', async t => {
  const long = 'x'.repeat(301)
  t.same(split([`${SOCKADDR}\n${long}\n${PROCTITLE}\n`], 300), { lines: [SOCKADDR, PROCTITLE], overlong: 1 })
})

t.test('a line of exactly maxLength bytes is kept, in one chunk and across chunks', async t => {
  const exact = 'y'.repeat(100)
  t.same(split([`${exact}\nnext\n`], 100), { lines: [exact, 'next'], overlong: 0 })
  t.same(split([exact.slice(0, 60), exact.slice(60), '\nnext\n'], 100), { lines: [exact, 'next'], overlong: 0 })
  t.same(split(bytes(`${exact}\nnext\n`, 1), 100), { lines: [exact, 'next'], overlong: 0 })
  t.same(split([exact], 100), { lines: [exact], overlong: 0 }, 'also as an unterminated last line')
})

t.test('a line one byte over maxLength is dropped, in one chunk and across chunks', async t => {
  const over = 'y'.repeat(101)
  t.same(split([`${over}\nnext\n`], 100), { lines: ['next'], overlong: 1 })
  t.same(split([over.slice(0, 100), over.slice(100) + '\nnext\n'], 100), { lines: ['next'], overlong: 1 },
    'the carried part fits; the byte that makes it too long comes with the newline')
})

t.test('an overlong line spanning several chunks is counted once and the line after it is kept', async t => {
  const long = 'z'.repeat(450)
  const text = `${SOCKADDR}\n${long}\n${PROCTITLE}\n`
  t.same(split([text.slice(0, SOCKADDR.length + 50), text.slice(SOCKADDR.length + 50, SOCKADDR.length + 400), text.slice(SOCKADDR.length + 400)], 300),
    { lines: [SOCKADDR, PROCTITLE], overlong: 1 })
})

t.test('an overlong line fed in 1-byte chunks is counted once and the line after it is kept', async t => {
  const text = `${SOCKADDR}\n${'w'.repeat(350)}\n${PROCTITLE}\n`
  t.same(split(bytes(text, 1), 300), { lines: [SOCKADDR, PROCTITLE], overlong: 1 })
})

t.test('an overlong line starting mid-chunk and ending in a later chunk does not swallow the next line', async t => {
  // The newline that ends the overlong line and the next line arrive in the same chunk.
  const text = `short\n${'v'.repeat(300)}\n${SOCKADDR}\nlast\n`
  const cut1 = 10
  const cut2 = 6 + 300 - 5
  t.same(split([text.slice(0, cut1), text.slice(cut1, cut2), text.slice(cut2)], 200),
    { lines: ['short', SOCKADDR, 'last'], overlong: 1 })
})

t.test('two overlong lines in a row are counted twice', async t => {
  const text = `${'a'.repeat(300)}\n${'b'.repeat(300)}\nok\n`
  t.same(split([text], 200), { lines: ['ok'], overlong: 2 })
  t.same(split(bytes(text, 64), 200), { lines: ['ok'], overlong: 2 })
})

t.test('an overlong unterminated last line is counted once and not emitted at end()', async t => {
  t.same(split([`ok\n${'q'.repeat(300)}`], 200), { lines: ['ok'], overlong: 1 })
  t.same(split(bytes(`ok\n${'q'.repeat(300)}`, 9), 200), { lines: ['ok'], overlong: 1 })
})

t.test('a partial line is copied: the caller may reuse its chunk buffer after push()', async t => {
  const lines: string[] = []
  const s = new LineSplitter((buf, start, end) => { lines.push(buf.toString('latin1', start, end)) })
  const chunk = Buffer.from(SOCKADDR.slice(0, 30), 'latin1')
  s.push(chunk)
  chunk.fill(0x21) // the reader reuses its buffer for the next read
  s.push(Buffer.from(SOCKADDR.slice(30) + '\n', 'latin1'))
  s.end()
  t.same(lines, [SOCKADDR])
})

t.test('non-ASCII bytes pass through unchanged', async t => {
  const utf8 = Buffer.from('node=wébserver type=EOE msg=audit(1795640829.926:95900): \n', 'utf8')
  const got: Buffer[] = []
  const s = new LineSplitter((buf, start, end) => { got.push(Buffer.from(buf.subarray(start, end))) })
  for (let i = 0; i < utf8.length; i++) s.push(utf8.subarray(i, i + 1))
  s.end()
  t.equal(got.length, 1)
  t.same(got[0], utf8.subarray(0, utf8.length - 1))
})

t.test('random lines in random chunks split like String.split on newlines (CRLF and LF mixed)', async t => {
  // A deterministic generator, so a failure can be replayed.
  let seed = 0x2545f491
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed >>>= 0
    seed ^= seed >>> 17
    seed ^= seed << 5; seed >>>= 0
    return seed % n
  }
  const pool = [SYSCALL, SOCKADDR, PROCTITLE, '', 'type=EOE msg=audit(1795640829.926:95900): ', 'x'.repeat(250)]
  for (let round = 0; round < 200; round++) {
    const lines: string[] = []
    let text = ''
    const n = 1 + rnd(8)
    for (let k = 0; k < n; k++) {
      const l = pool[rnd(pool.length)] as string
      lines.push(l)
      text += l + (rnd(2) === 0 ? '\n' : '\r\n')
    }
    const chunks: string[] = []
    for (let i = 0; i < text.length;) {
      const size = 1 + rnd(80)
      chunks.push(text.slice(i, i + size))
      i += size
    }
    const expected = lines.filter(l => l.length <= 200)
    const r = split(chunks, 200)
    if (JSON.stringify(r.lines) !== JSON.stringify(expected) || r.overlong !== lines.length - expected.length) {
      t.fail(`round ${round}: chunks ${JSON.stringify(chunks.map(c => c.length))}`)
      return
    }
  }
  t.pass('200 random rounds agree')
})

t.test('a CRLF line of exactly maxLength bytes is kept, as it is with LF', async t => {
  const exact = 'y'.repeat(100)
  t.same(split([`${exact}\nnext\n`], 100), { lines: [exact, 'next'], overlong: 0 }, 'LF')
  t.same(split([`${exact}\r\nnext\r\n`], 100), { lines: [exact, 'next'], overlong: 0 }, 'CRLF in one chunk')
  t.same(split([exact.slice(0, 50), exact.slice(50) + '\r\nnext\r\n'], 100), { lines: [exact, 'next'], overlong: 0 }, 'CRLF across chunks')
})

t.test('each line comes with a DataView of the very bytes of its buffer, carried-over lines too', async t => {
  const text = `${SYSCALL}\n${SOCKADDR}\n${PROCTITLE}\nlast line without a newline`
  const bytes = Buffer.from(text, 'latin1')
  // Chunks cut inside lines, taken out of a larger buffer (a byteOffset other than 0).
  const backing = Buffer.concat([Buffer.from('0123456789'), bytes])
  let checked = 0
  const s = new LineSplitter((buf, start, end, view) => {
    t.equal(view.byteLength, buf.length, 'the view covers the whole buffer')
    for (let i = start; i < end; i++) {
      if (view.getUint8(i) !== buf[i]) { t.fail(`byte ${i} differs`); return }
    }
    checked++
  })
  for (let i = 0; i < bytes.length; i += 37) s.push(backing.subarray(10 + i, 10 + Math.min(i + 37, bytes.length)))
  s.end()
  t.equal(checked, 4, 'every line, the unterminated last one included')
})
