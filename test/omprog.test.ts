/**
 * rsyslog's omprog with confirmMessages="on", spoken exactly as rsyslog speaks it (omprog.c): wait
 * for the program's "OK" at start, then for every message write one line and wait for one "OK"
 * line before the next; any other reply is a failure. The events must all be in --output at the end.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, ROOT, assertSchemaValid, jsonLines, runCli } from './helpers/filter.js'

const EXAMPLE = `${ROOT}examples/audit.log`

/** Reads the program's replies line by line, as omprog's readStatus does. */
class Replies {
  #buffered = ''
  #waiting: Array<(line: string) => void> = []
  readonly #lines: string[] = []
  constructor (stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => {
      this.#buffered += d
      let nl
      while ((nl = this.#buffered.indexOf('\n')) >= 0) {
        const line = this.#buffered.slice(0, nl)
        this.#buffered = this.#buffered.slice(nl + 1)
        const w = this.#waiting.shift()
        if (w !== undefined) w(line)
        else this.#lines.push(line)
      }
    })
  }

  async next (timeoutMs: number): Promise<string> {
    const queued = this.#lines.shift()
    if (queued !== undefined) return queued
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms (omprog's confirmTimeout)`)), timeoutMs)
      this.#waiting.push(line => { clearTimeout(timer); resolve(line) })
    })
  }

  get extra (): string {
    return this.#lines.join('\n') + this.#buffered
  }
}

t.test('one OK at start and one OK per line, each before the next line is sent; every event lands in --output', async t => {
  const out = `${mkdtempSync(`${tmpdir()}/netfilter-omprog-`)}/events.json`
  const child = spawn(process.execPath, [BIN, '--confirm', '--output', out, '--stats'])
  let stderr = ''
  child.stderr.on('data', d => { stderr += String(d) })
  const replies = new Replies(child.stdout)
  t.equal(await replies.next(10000), 'OK', 'ready')
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n').filter(l => l !== '')
  // Many messages: the example three times over, with fresh serials each time.
  const messages = [0, 1, 2].flatMap(i => lines.map(l => l.replace(/:(\d+)\)/, (_m, s: string) => `:${Number(s) + i * 100000})`)))
  let bad = 0
  for (const message of messages) {
    child.stdin.write(message + '\n')
    const reply = await replies.next(10000)
    if (reply !== 'OK') bad++
  }
  t.equal(bad, 0, `${messages.length} messages, each answered OK`)
  child.stdin.end()
  const status = await new Promise(resolve => child.on('close', resolve))
  t.equal(status, 0, stderr)
  t.equal(replies.extra, '', 'nothing else on stdout')
  const written = jsonLines(readFileSync(out, 'utf8'))
  assertSchemaValid(written)
  const expected = jsonLines((await runCli([], messages.join('\n') + '\n')).stdout)
  t.same(written, expected, 'the output file holds exactly the events of the messages')
})

t.test('a line from another program and a broken audit line are still answered OK', async t => {
  const out = `${mkdtempSync(`${tmpdir()}/netfilter-omprog-`)}/events.json`
  const child = spawn(process.execPath, [BIN, '--confirm', '--output', out])
  const replies = new Replies(child.stdout)
  t.equal(await replies.next(10000), 'OK')
  for (const message of ['Nov 25 21:08:21 vm sshd[812]: Accepted publickey for root', 'type=SYSCALL msg=audit(17956408', '']) {
    child.stdin.write(message + '\n')
    t.equal(await replies.next(10000), 'OK', JSON.stringify(message))
  }
  child.stdin.end()
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0)
})

t.test('--confirm without --output or --forward is refused at start', async t => {
  const r = await runCli(['--confirm'])
  t.equal(r.status, 2)
  t.match(r.stderr, /--confirm/)
  t.equal(r.stdout, '', 'not even the first OK')
})
