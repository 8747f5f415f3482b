/**
 * `netfilter correlate`: the edge that reads the two inputs, merges them by time into the join, and
 * writes the records and the summary. In: argv after the subcommand. Out: the exit status (0 done,
 * 1 read/write error, 2 bad option or unreadable file). Everything else is in the pure modules.
 */
import { createWriteStream, writeFileSync } from 'node:fs'
import type { Writable } from 'node:stream'
import { emptyFlowLogStats, FlowLogParser, type ParsedLine } from './flow-log.js'
import { parseEventLine, type ParsedEvent } from './host-events.js'
import { HostIdentity, HostIdentityError } from './host.js'
import { readLines, type NumberedLine } from './inputs.js'
import { Correlator } from './join.js'
import { CORRELATE_HELP, parseCorrelateArgs, UsageError, type CorrelateSettings } from './options.js'
import { flowToOcsf, hostOnlyToOcsf } from './ocsf.js'
import { flowOut, hostOnlyOut } from './records.js'
import { SummaryBuilder, type Summary } from './summary.js'
import { unreadable } from '../cli/unreadable.js'

export interface CorrelateIo {
  stdin: NodeJS.ReadableStream
  stdout: Writable
  stderr: Writable
}

/** A flow log line with the time used to merge it (ms; -Infinity for lines without one). */
interface TimedFlow { parsed: ParsedLine, at: number }
interface TimedEvent { parsed: ParsedEvent, at: number }

/**
 * The lines of one input. A read error (a truncated gzip file) ends it early: it is said at once and
 * kept for the exit status, and the join goes on with what was read and with the other inputs, so
 * that one bad file loses nothing of the rest (as netfilter itself does).
 */
async function * linesOf (file: string, io: CorrelateIo, failures: string[]): AsyncGenerator<NumberedLine> {
  try {
    yield * readLines(file, io.stdin)
  } catch (err) {
    const message = `${file === '-' ? 'standard input' : file}: ${(err as Error).message}`
    failures.push(message)
    io.stderr.write(`netfilter correlate: read error: ${message}\n`)
  }
}

async function * flowLines (s: CorrelateSettings, io: CorrelateIo, stats: ReturnType<typeof emptyFlowLogStats>, failures: string[]): AsyncGenerator<TimedFlow> {
  for (const file of s.flows) {
    // A header or --flow-format applies within one file: each S3 object starts with its own header.
    const parser = new FlowLogParser(file, stats, s.flowFormat)
    for await (const { text, line } of linesOf(file, io, failures)) {
      const parsed = parser.parse(text, line)
      const at = parsed.kind === 'flow' && parsed.flow.start !== null ? parsed.flow.start * 1000 : -Infinity
      yield { parsed, at }
    }
  }
}

/** What the event input held besides events, for noEventWarning. */
interface EventInputSeen { auditRecords: boolean }

/** An audit record, where netfilter's output was expected: the raw log given to correlate. */
const AUDIT_RECORD = /\btype=\w+ msg=audit\(/

async function * eventLines (s: CorrelateSettings, io: CorrelateIo, summary: SummaryBuilder, seen: EventInputSeen, failures: string[]): AsyncGenerator<TimedEvent> {
  let seq = 0
  for await (const { text } of linesOf(s.events, io, failures)) {
    if (text.trim() === '') continue
    summary.eventLine()
    const parsed = parseEventLine(text, seq++)
    if (parsed.kind === 'bad' && !seen.auditRecords && AUDIT_RECORD.test(text)) seen.auditRecords = true
    yield { parsed, at: parsed.kind === 'traffic' ? parsed.event.t : -Infinity }
  }
}

/**
 * Said on stderr when event lines were read and none was one of netfilter's events: every flow
 * would then be unattributed for want of events, not of processes. Null otherwise.
 */
function noEventWarning (events: Summary['events'], seen: EventInputSeen): string | null {
  const bad = Object.values(events.bad).reduce((sum, n) => sum + n, 0)
  if (events.lines === 0 || bad < events.lines) return null
  const none = `none of the ${events.lines} lines of --events is an event of netfilter's native output`
  if (seen.auditRecords) return `${none}: they hold audit records; run the log through netfilter first (netfilter audit.log > events.jsonl), and give correlate its output`
  return `${none} (${Object.entries(events.bad).map(([why, n]) => `${why} ${n}`).join(', ')}); --events takes what netfilter writes with --format native`
}

/** Buffers output lines and writes them in chunks, waiting when the reader is slow. */
class Output {
  private buffer: string[] = []
  private size = 0
  broken: Error | null = null

  constructor (private readonly stream: Writable) {
    stream.on('error', (err: Error) => { this.broken = err })
  }

  push (record: unknown): void {
    const line = JSON.stringify(record) + '\n'
    this.buffer.push(line)
    this.size += line.length
  }

  async flush (force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < 65536) || this.broken !== null) return
    const chunk = this.buffer.join('')
    this.buffer = []
    this.size = 0
    if (!this.stream.write(chunk)) {
      await new Promise<void>(resolve => {
        const done = (): void => { this.stream.off('drain', done); this.stream.off('error', done); this.stream.off('close', done); resolve() }
        this.stream.on('drain', done).on('error', done).on('close', done)
      })
    }
  }
}

export async function correlate (argv: string[], io: CorrelateIo): Promise<number> {
  const fail = (status: number, message: string): number => {
    io.stderr.write(`netfilter correlate: ${message}\n`)
    return status
  }
  let s: CorrelateSettings
  let host: HostIdentity
  try {
    s = parseCorrelateArgs(argv)
    if (s.help) {
      io.stdout.write(CORRELATE_HELP)
      return 0
    }
    host = new HostIdentity(s)
  } catch (err) {
    if (err instanceof UsageError || err instanceof HostIdentityError) {
      return fail(2, `${err.message}\nTry 'netfilter correlate --help' for more information.`)
    }
    throw err
  }
  for (const file of [s.events, ...s.flows]) {
    const problem = unreadable(file)
    if (problem !== null) return fail(2, problem)
  }

  const sink = s.output === null ? io.stdout : createWriteStream(s.output)
  const out = new Output(sink)
  const summary = new SummaryBuilder()
  const flowStats = emptyFlowLogStats()
  const correlator = new Correlator(host, s, {
    flow: r => {
      const rec = flowOut(r)
      summary.flow(rec)
      out.push(s.format === 'ocsf' ? flowToOcsf(rec) : rec)
    },
    hostOnly: r => {
      const rec = hostOnlyOut(r)
      summary.hostOnly(rec)
      out.push(s.format === 'ocsf' ? hostOnlyToOcsf(rec) : rec)
    }
  })
  correlator.knowInterfaces(s.interfaceIds)

  const failures: string[] = []
  const flows = flowLines(s, io, flowStats, failures)
  const seen: EventInputSeen = { auditRecords: false }
  const events = eventLines(s, io, summary, seen, failures)
  try {
    // A merge by time: the input whose next item is earlier goes first, so each holds only what
    // the other's window still needs (lines with no time go as soon as they are read).
    let nextFlow = await flows.next()
    if (nextFlow.done === true) correlator.endFlows()
    let nextEvent = await events.next()
    if (nextEvent.done === true) correlator.endEvents()
    while (nextFlow.done !== true || nextEvent.done !== true) {
      const takeEvent = nextEvent.done !== true && (nextFlow.done === true || nextEvent.value.at <= nextFlow.value.at)
      if (takeEvent) {
        const p = (nextEvent.value as TimedEvent).parsed
        if (p.kind === 'traffic') {
          summary.traffic()
          correlator.addEvent(p.event)
        } else if (p.kind === 'local') {
          correlator.learn(p.ip)
          summary.ignored('bind')
        } else if (p.kind === 'ignored') {
          summary.ignored(p.reason)
        } else {
          summary.badEvent(p.reason)
        }
        nextEvent = await events.next()
        if (nextEvent.done === true) correlator.endEvents()
      } else {
        const p = (nextFlow.value as TimedFlow).parsed
        if (p.kind === 'flow') correlator.addFlow(p.flow)
        else if (p.kind === 'nodata' || p.kind === 'skipdata') correlator.addNoData(p.kind, p.interface_id, p.start, p.end)
        nextFlow = await flows.next()
        if (nextFlow.done === true) correlator.endFlows()
      }
      await out.flush()
      if (out.broken !== null) break
    }
  } catch (err) {
    await out.flush(true)
    return fail(1, `read error: ${(err as Error).message}`)
  }
  correlator.endEvents()
  correlator.endFlows()
  await out.flush(true)
  if (s.output !== null) await new Promise<void>(resolve => sink.end(resolve))

  const built = summary.build(flowStats, correlator.stats, host.learnedIps)
  const unread = noEventWarning(built.events, seen)
  if (unread !== null) io.stderr.write(`netfilter correlate: ${unread}\n`)
  const text = JSON.stringify(built) + '\n'
  if (s.summary !== null) {
    try {
      writeFileSync(s.summary, text)
    } catch (err) {
      return fail(1, `cannot write ${s.summary}: ${(err as Error).message}`)
    }
  } else {
    io.stderr.write(text)
  }
  const broken = out.broken as NodeJS.ErrnoException | null
  // A reader that went away (| head) is not an error, as for netfilter itself.
  if (broken !== null && broken.code !== 'EPIPE') return fail(1, `output error: ${broken.message}`)
  // Each read error was said when it happened (linesOf).
  return failures.length > 0 ? 1 : 0
}

export async function main (argv: string[]): Promise<number> {
  return await correlate(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
}
