/**
 * Helpers for the correlate tests: native events and flow lines built from a few facts, the join
 * run in-process, and the built CLI run on temporary files. Every record either way is checked
 * against its JSON Schema (schemas/correlate*.json, and the event inside against event.schema.json).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import type { NetworkEvent } from '../../src/events/network-event.js'
import { emptyFlowLogStats, FlowLogParser, type FlowRecord } from '../../src/correlate/flow-log.js'
import { parseEventLine, type HostEvent } from '../../src/correlate/host-events.js'
import { HostIdentity, type HostSettings } from '../../src/correlate/host.js'
import { Correlator, type CorrelatorOptions } from '../../src/correlate/join.js'
import { flowOut, hostOnlyOut, type FlowOut, type HostOnlyOut } from '../../src/correlate/records.js'
import { jsonLines, runCli, schemaErrors } from '../helpers/filter.js'

export const HOST = '198.51.100.1'
export const PEER = '198.51.100.2'
export const ENI = 'eni-0a1b2c3d4e5f60718'
export const T0 = 1795640800 // whole seconds

export interface EventSpec {
  t: number // epoch seconds, fractional
  syscall?: 'connect' | 'sendto' | 'sendmsg' | 'accept4' | 'recvfrom' | 'bind' | 'socket'
  remote?: { ip: string, port: number, ipv4_mapped?: true } | null
  local?: { ip: string, port: number } | null
  transport?: string | null
  hint?: 'tcp' | 'udp'
  pid?: number
  exe?: string
  result?: NetworkEvent['result']
  errno?: string | null
  serial?: number
  family?: 'inet' | 'inet6'
}

let serial = 1000
const ROLE: Record<string, [NetworkEvent['direction'], NetworkEvent['action']]> = {
  connect: ['outbound', 'connect'],
  sendto: ['outbound', 'send'],
  sendmsg: ['outbound', 'send'],
  accept4: ['inbound', 'accept'],
  recvfrom: ['inbound', 'receive'],
  bind: ['listen', 'bind'],
  socket: ['intent', 'socket']
}

/** A native event as netfilter writes it (checked against schemas/event.schema.json). */
export function event (s: EventSpec): NetworkEvent {
  const syscall = s.syscall ?? 'connect'
  const [direction, action] = ROLE[syscall] as [NetworkEvent['direction'], NetworkEvent['action']]
  const ms = Math.round(s.t * 1000)
  const id = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:${s.serial ?? serial++}`
  const transport = s.transport === undefined ? (syscall === 'sendto' || syscall === 'recvfrom' ? 'udp' : 'tcp') : s.transport
  const result = s.result ?? 'success'
  const errno = s.errno ?? null
  const ev: NetworkEvent = {
    time: new Date(ms).toISOString(),
    event_id: id,
    node: null,
    syscall,
    arch: 'x86_64',
    result,
    exit: result === 'success' ? 0 : errno === null ? -1 : -115,
    errno,
    family: s.family ?? ((s.remote?.ip ?? s.local?.ip ?? '').includes(':') ? 'inet6' : 'inet'),
    direction,
    action,
    transport,
    socket: transport === null ? null : { type: transport === 'udp' ? 'dgram' : 'stream', protocol: 0 },
    remote: s.remote === undefined ? { ip: PEER, port: 443 } : s.remote,
    local: s.local ?? null,
    fd: 3,
    process: { pid: s.pid ?? 100, ppid: 1, exe: s.exe ?? '/usr/bin/curl', comm: (s.exe ?? '/usr/bin/curl').split('/').pop() ?? null, argv: [s.exe ?? 'curl', 'x'] },
    user: { uid: 1000, euid: 1000, gid: 1000, auid: 1000, ses: 3 },
    tty: null,
    key: 'net'
  }
  if (transport === null && s.hint !== undefined) ev.transport_hint = s.hint
  const errors = schemaErrors(ev, 'event')
  if (errors.length > 0) throw new Error(`test event is not a valid native event: ${errors.join('; ')}`)
  return ev
}

export function hostEvent (s: EventSpec, seq = 0): HostEvent {
  const p = parseEventLine(JSON.stringify(event(s)), seq)
  if (p.kind !== 'traffic') throw new Error(`not a traffic event: ${JSON.stringify(p)}`)
  return p.event
}

export interface FlowSpec {
  src?: string
  dst?: string
  sport?: number
  dport?: number
  proto?: number
  packets?: number
  bytes?: number
  start: number
  end?: number
  action?: 'ACCEPT' | 'REJECT'
  eni?: string
}

/** One default-format (v2) flow log line. */
export function flowLine (f: FlowSpec): string {
  return ['2', '123456789012', f.eni ?? ENI, f.src ?? HOST, f.dst ?? PEER, f.sport ?? 40000, f.dport ?? 443, f.proto ?? 6,
    f.packets ?? 10, f.bytes ?? 1000, f.start, f.end ?? f.start + 1, f.action ?? 'ACCEPT', 'OK'].join(' ')
}

export function flowRecord (f: FlowSpec, line = 1): FlowRecord {
  const p = new FlowLogParser('test', emptyFlowLogStats()).parse(flowLine(f), line)
  if (p.kind !== 'flow') throw new Error(`not a flow: ${JSON.stringify(p)}`)
  return p.flow
}

/** The outgoing flow and its reply, as AWS logs a connection (two records). */
export function connection (f: FlowSpec): FlowSpec[] {
  return [f, { ...f, src: f.dst ?? PEER, dst: f.src ?? HOST, sport: f.dport ?? 443, dport: f.sport ?? 40000 }]
}

export function assertCorrelateValid (records: readonly unknown[], schema = 'correlate'): void {
  for (const r of records) {
    const errors = schemaErrors(r, schema)
    if (errors.length > 0) throw new Error(`schema ${schema}: ${errors.join('; ')} in ${JSON.stringify(r)}`)
    const rec = r as { record?: string, event?: unknown }
    if (rec.record === 'host_only') {
      const inner = schemaErrors(rec.event, 'event')
      if (inner.length > 0) throw new Error(`host_only event: ${inner.join('; ')}`)
    }
  }
}

export interface JoinRun { flows: FlowOut[], hostOnly: HostOnlyOut[], correlator: Correlator }

export const DEFAULT_OPTIONS: CorrelatorOptions = { skewMs: 2000, lagMs: 0, latenessMs: 5000, continuationMs: 600000 }

/**
 * Runs the join in-process: items are pushed in the order given (events and flows interleaved
 * by the caller), then both inputs end. Every output record is schema-checked.
 */
export function runJoin (items: Array<{ event: EventSpec } | { flow: FlowSpec } | { bind: string }>, host: Partial<HostSettings> = {}, opts: Partial<CorrelatorOptions> = {}): JoinRun {
  const flows: FlowOut[] = []
  const hostOnly: HostOnlyOut[] = []
  const identity = new HostIdentity({ hostIps: [HOST], instanceIds: [], interfaceIds: [], vpcCidrs: [], amazonDns: [], ...host })
  const c = new Correlator(identity, { ...DEFAULT_OPTIONS, ...opts }, {
    flow: r => flows.push(flowOut(r)),
    hostOnly: r => hostOnly.push(hostOnlyOut(r))
  })
  let seq = 0
  let line = 1
  for (const item of items) {
    if ('event' in item) c.addEvent(hostEvent(item.event, seq++))
    else if ('flow' in item) c.addFlow(flowRecord(item.flow, line++))
    else c.learn(item.bind)
  }
  c.endEvents()
  c.endFlows()
  assertCorrelateValid([...flows, ...hostOnly])
  return { flows, hostOnly, correlator: c }
}

export interface CliResult { status: number | null, records: Array<FlowOut | HostOnlyOut>, summary: Record<string, unknown> | null, stderr: string, stdout: string }

const tmp = mkdtempSync(`${tmpdir()}/netfilter-correlate-`)
let fileNo = 0

/** Writes text (or bytes) to a new temporary file; returns its path. */
export function tempFile (content: string | Buffer, suffix = ''): string {
  const path = `${tmp}/f${fileNo++}${suffix}`
  writeFileSync(path, content)
  return path
}

/** Runs `netfilter correlate` (dist/bin.js); the summary is parsed from stderr's last line. */
export async function runCorrelate (args: string[], stdin: string | Buffer = '', schema = 'correlate'): Promise<CliResult> {
  const r = await runCli(['correlate', ...args], stdin)
  const records = r.status === 0 ? jsonLines<FlowOut | HostOnlyOut>(r.stdout) : []
  if (r.status === 0) assertCorrelateValid(records, schema)
  const last = r.stderr.trim().split('\n').pop() ?? ''
  let summary: Record<string, unknown> | null = null
  if (last.startsWith('{')) {
    summary = JSON.parse(last) as Record<string, unknown>
    const errors = schemaErrors(summary, 'correlate-summary')
    if (errors.length > 0) throw new Error(`summary: ${errors.join('; ')}`)
  }
  return { status: r.status, records, summary, stderr: r.stderr, stdout: r.stdout }
}

export const eventsText = (specs: EventSpec[]): string => specs.map(s => JSON.stringify(event(s))).join('\n') + '\n'
export const flowsText = (specs: FlowSpec[], header = true): string =>
  (header ? 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n' : '') +
  specs.map(flowLine).join('\n') + '\n'
