/**
 * `netfilter correlate` as users run it (dist/bin.js): files and stdin, gzip, several flow files,
 * --flow-format, --format ocsf, --output and --summary, bad lines counted, bad options exit 2.
 * Every record is checked against schemas/correlate*.json and the summary against its schema.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib'
import { jsonLines, runCli, schemaErrors } from '../helpers/filter.js'
import type { FlowOut, HostOnlyOut } from '../../src/correlate/records.js'
import { connection, eventsText, flowsText, HOST, PEER, runCorrelate, T0, tempFile } from './helpers.js'

const events = eventsText([
  { t: T0 + 0.5, pid: 10, exe: '/usr/bin/curl' },
  { t: T0 + 1, remote: { ip: '127.0.0.1', port: 80 }, pid: 11 },
  { t: T0 + 2, syscall: 'sendto', transport: 'udp', remote: { ip: PEER, port: 53 }, pid: 12, exe: '/usr/lib/systemd/systemd-resolved' }
]) + 'not json\n{"a":1}\n'
const flows = flowsText([
  ...connection({ start: T0, end: T0 + 2 }),
  { dport: 53, proto: 17, start: T0 + 2, end: T0 + 2 },
  { src: '192.0.2.9', dst: HOST, sport: 5000, dport: 22, start: T0 + 1, end: T0 + 3 },
  { src: '10.9.9.9', dst: '10.9.9.8', start: T0, end: T0 + 1 }
]) + 'garbage line\n'

const flowsOf = (records: Array<FlowOut | HostOnlyOut>): FlowOut[] => records.filter((r): r is FlowOut => r.record === 'flow')
const hostOnlyOf = (records: Array<FlowOut | HostOnlyOut>): HostOnlyOut[] => records.filter((r): r is HostOnlyOut => r.record === 'host_only')

t.test('events on stdin, flows from a file: every host flow attributed or explained, host-only events, a summary', async t => {
  const r = await runCorrelate(['--host-ip', HOST, '--flows', tempFile(flows)], events)
  t.equal(r.status, 0)
  const fl = flowsOf(r.records)
  t.equal(fl.length, 4, 'the other host\'s flow is not output')
  t.same(fl.filter(f => f.attribution !== null).map(f => f.attribution?.process?.pid).sort(), [10, 10, 12])
  t.equal(fl.find(f => f.attribution === null)?.unattributed?.reason, 'no_host_event')
  t.same(hostOnlyOf(r.records).map(h => [h.event.process.pid, h.reason]), [[11, 'loopback']])
  const s = r.summary as { flows: Record<string, unknown>, events: Record<string, unknown>, flow_log: Record<string, unknown>, top_unattributed: unknown[] }
  t.equal(s.flows['host'], 4)
  t.equal(s.flows['other_hosts'], 1)
  t.equal(s.flows['attributed_pct'], 75)
  t.same(s.events['bad'], { not_json: 1, not_an_event: 1 })
  t.same(s.flow_log['bad'], { field_count: 1 }, 'the garbage line is counted, the rest read')
  t.same(s.top_unattributed, [{ direction: 'inbound', remote_ip: '192.0.2.9', remote_port: 5000, protocol: 6, flows: 1, packets: 10, bytes: 1000 }])
})

t.test('--events with no event of netfilter\'s native output in it: one warning before the summary, saying what was given', async t => {
  const flowFile = tempFile(flows)
  const audit = readFileSync(new URL('../../examples/audit.log', import.meta.url), 'utf8')
  const ecs = (await runCli(['--format', 'ecs'], audit)).stdout
  const cases: Array<[string, string, RegExp]> = [
    ['the audit log itself', audit, /none of the 127 lines of --events is an event of netfilter's native output: they hold audit records; run the log through netfilter first/],
    ['netfilter\'s ECS output', ecs, /none of the 41 lines of --events is an event of netfilter's native output \(not_an_event 41\); --events takes what netfilter writes with --format native/]
  ]
  for (const [what, input, warning] of cases) {
    const r = await runCorrelate(['--host-ip', HOST, '--flows', flowFile], input)
    t.equal(r.status, 0, what)
    const lines = r.stderr.trim().split('\n')
    t.equal(lines.length, 2, `${what}: a warning, then the summary`)
    t.match(lines[0], warning, `${what}: ${lines[0] ?? ''}`)
    t.ok(r.summary !== null, `${what}: the summary still comes`)
  }
  const ok = await runCorrelate(['--host-ip', HOST, '--flows', flowFile], events)
  t.equal(ok.stderr.trim().split('\n').length, 1, 'events with a few bad lines among them: the summary alone')
})

t.test('a truncated gzip flow file: its flows read whole and the next file\'s are joined, the summary comes, exit 1 naming it', async t => {
  // 300 connections, each with its two flow records and its host event.
  const specs = Array.from({ length: 300 }, (_, i) => ({ t: T0 + i + 0.5, pid: 1000 + i, remote: { ip: PEER, port: 1000 + i } }))
  const hostEvents = eventsText(specs)
  const flowText = flowsText(specs.flatMap((_, i) => connection({ sport: 40000 + i, dport: 1000 + i, start: T0 + i, end: T0 + i + 2 })))
  const gz = gzipSync(flowText)
  const cut = gz.subarray(0, Math.floor(gz.length / 2))
  const truncated = tempFile(cut, '.log.gz')
  const readable = gunzipSync(cut, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('latin1')
  const whole = readable.slice(0, readable.lastIndexOf('\n') + 1)
  const linesRead = whole.split('\n').length - 2 // the header and the final empty string
  t.ok(linesRead > 50 && linesRead < 550, `${linesRead} flow lines readable before the cut`)
  const next = tempFile(flowsText([{ src: '192.0.2.7', dst: HOST, sport: 5555, dport: 22, start: T0 + 400, end: T0 + 401 }]))
  const r = await runCli(['correlate', '--host-ip', HOST, '--events', tempFile(hostEvents), '--flows', truncated, next])
  t.equal(r.status, 1, 'the run failed')
  t.match(r.stderr, `netfilter correlate: read error: ${truncated}: unexpected end of file`)
  const wholeFile = tempFile(whole)
  const expected = await runCli(['correlate', '--host-ip', HOST, '--events', tempFile(hostEvents), '--flows', wholeFile, next])
  t.equal(expected.status, 0)
  // Each flow record names its file (flow.source): the truncated one where the expected run read the copy.
  t.equal(r.stdout, expected.stdout.replaceAll(JSON.stringify(wholeFile), JSON.stringify(truncated)),
    'the same records as the lines read whole give, with the next file\'s')
  t.match(r.stderr.trim().split('\n').pop() ?? '', /^\{"record":"summary"/, 'the summary still comes')
})

t.test('--events FILE, gzip flow files split in two, positional flow files, --output and --summary files', async t => {
  const lines = flows.split('\n')
  const first = tempFile(gzipSync(lines.slice(0, 3).join('\n') + '\n'), '.log.gz')
  const second = tempFile(lines[0] + '\n' + lines.slice(3).join('\n'), '.log')
  const out = tempFile('', '.jsonl')
  const summary = tempFile('', '.json')
  const r = await runCorrelate(['--events', tempFile(events), '--host-ip', HOST, '--output', out, '--summary', summary, '--flows', first, second])
  t.equal(r.status, 0)
  t.equal(r.stdout, '')
  t.equal(r.stderr, '', 'the summary went to its file')
  const records = jsonLines<FlowOut | HostOnlyOut>(readFileSync(out, 'utf8'))
  t.equal(flowsOf(records).length, 4)
  for (const rec of records) t.same(schemaErrors(rec, 'correlate'), [])
  const s = JSON.parse(readFileSync(summary, 'utf8')) as unknown
  t.same(schemaErrors(s, 'correlate-summary'), [])
})

t.test('--flow-format reads header-less custom lines; CloudWatch timestamps are skipped', async t => {
  const format = '${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ${log-status} ${tcp-flags}'
  const text = `2026-11-25T00:00:00Z eni-1 ${HOST} ${PEER} 40000 443 6 ${T0} ${T0 + 1} ACCEPT OK 3\n1795640800000 eni-1 ${PEER} ${HOST} 443 40000 6 ${T0} ${T0 + 1} ACCEPT OK 19\n`
  const r = await runCorrelate(['--interface-id', 'eni-1', '--flow-format', format, '--flows', tempFile(text)], events)
  t.equal(r.status, 0)
  const fl = flowsOf(r.records)
  t.same(fl.map(f => f.attribution?.process?.pid), [10, 10])
  t.same(fl.map(f => f.flow['tcp_flags']), [3, 19])
  t.ok(fl.every(f => typeof f.flow['ingest_time'] === 'number'))
})

t.test('--format ocsf: OCSF 1.1.0 Network Activity records', async t => {
  const r = await runCorrelate(['--host-ip', HOST, '--format', 'ocsf', '--flows', tempFile(flows)], events, 'correlate-ocsf')
  t.equal(r.status, 0)
  const recs = jsonLines<Record<string, unknown>>(r.stdout)
  t.equal(recs.length, 5)
  const attributed = recs.filter(x => (x['actor'] as { process?: { pid: number } } | undefined)?.process?.pid === 10)
  t.equal(attributed.length, 2)
  t.ok(attributed.every(x => x['class_uid'] === 4001 && x['activity_id'] === 6 && x['type_uid'] === 400106))
  const hostOnly = recs.filter(x => (x['unmapped'] as { correlation: { status: string } }).correlation.status === 'host_only')
  t.equal(hostOnly.length, 1)
})

t.test('bad options and unreadable files exit 2 with a message; --help exits 0', async t => {
  const flowFile = tempFile(flows)
  const cases: Array<[string[], RegExp]> = [
    [['--flows', flowFile], /--host-ip, --instance-id or --interface-id/],
    [['--host-ip', HOST], /no flow log given/],
    [['--host-ip', 'not-an-ip', '--flows', flowFile], /not-an-ip/],
    [['--host-ip', HOST, '--skew', 'soon', '--flows', flowFile], /--skew 'soon'/],
    [['--host-ip', HOST, '--format', 'ecs', '--flows', flowFile], /--format 'ecs'/],
    [['--host-ip', HOST, '--flow-format', '${a b}', '--flows', flowFile], /--flow-format/],
    [['--host-ip', HOST, '--vpc-cidr', '10.0.0.1', '--flows', flowFile], /--vpc-cidr/],
    [['--host-ip', HOST, '--flows', '/nonexistent.log'], /cannot read \/nonexistent.log/],
    [['--host-ip', HOST, '--flows', tmpdir()], /cannot read .*: a directory/],
    [['--host-ip', HOST, '--frobnicate', '--flows', flowFile], /frobnicate/],
    [['--host-ip', HOST, '--flows', '-'], /both be standard input/]
  ]
  for (const [args, message] of cases) {
    const r = await runCorrelate(args, events)
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, message)
    t.equal(r.stdout, '')
  }
  const help = await runCli(['correlate', '--help'])
  t.equal(help.status, 0)
  for (const flag of ['--events', '--flows', '--flow-format', '--host-ip', '--instance-id', '--interface-id', '--vpc-cidr', '--amazon-dns', '--skew', '--flow-lag', '--lateness', '--continuation', '--format', '--output', '--summary']) {
    t.match(help.stdout, flag, `help explains ${flag}`)
  }
})

t.test('flows from stdin with events from a file', async t => {
  const r = await runCorrelate(['--host-ip', HOST, '--events', tempFile(events), '--flows', '-'], gzipSync(flows))
  t.equal(r.status, 0)
  t.equal(flowsOf(r.records).length, 4)
})
