/**
 * The run's summary (schemas/correlate-summary.schema.json). In: every output record as it is
 * written, the reader and join counters. Out: counts, the share of the host's flows attributed, the
 * reasons, and the top unattributed talkers (by flows, then bytes). Memory: at most
 * MAX_TALKERS distinct talkers are tracked; later new ones are only counted.
 */
import type { FlowLogStats } from './flow-log.js'
import type { JoinStats } from './join.js'
import type { FlowOut, HostOnlyOut } from './records.js'

const MAX_TALKERS = 100_000
const TOP = 10

export interface Talker {
  direction: FlowOut['direction']
  remote_ip: string | null
  remote_port: number | null
  protocol: number | null
  flows: number
  packets: number
  bytes: number
}

export interface Summary {
  record: 'summary'
  flows: {
    host: number
    other_hosts: number
    attributed: number
    ambiguous: number
    unattributed: number
    /** attributed / host × 100, two decimals; null when the host has no flows. */
    attributed_pct: number | null
    by_match: Record<string, number>
    unattributed_reasons: Record<string, number>
    rejected: number
    late: number
  }
  events: {
    lines: number
    traffic: number
    matched: number
    host_only: number
    host_only_reasons: Record<string, number>
    ignored: Record<string, number>
    bad: Record<string, number>
    local_addresses: string[]
    late: number
  }
  flow_log: FlowLogStats
  top_unattributed: Talker[]
  untracked_talkers: number
  memory: { max_events_held: number, max_flows_held: number }
}

const bump = (m: Record<string, number>, k: string, n = 1): void => { m[k] = (m[k] ?? 0) + n }

export class SummaryBuilder {
  private readonly flows = { host: 0, attributed: 0, ambiguous: 0, unattributed: 0, rejected: 0, by_match: {} as Record<string, number>, unattributed_reasons: {} as Record<string, number> }
  private readonly events = { lines: 0, traffic: 0, host_only: 0, host_only_reasons: {} as Record<string, number>, ignored: {} as Record<string, number>, bad: {} as Record<string, number> }
  private readonly talkers = new Map<string, Talker>()
  private untracked = 0

  eventLine (): void { this.events.lines++ }
  traffic (): void { this.events.traffic++ }
  ignored (reason: string): void { bump(this.events.ignored, reason) }
  badEvent (reason: string): void { bump(this.events.bad, reason) }

  flow (r: FlowOut): void {
    const f = this.flows
    f.host++
    if (r.flow['action'] === 'REJECT') f.rejected++
    if (r.attribution !== null) {
      f.attributed++
      if (r.attribution.ambiguous !== null) f.ambiguous++
      bump(f.by_match, r.attribution.match)
      return
    }
    f.unattributed++
    if (r.unattributed !== null) bump(f.unattributed_reasons, r.unattributed.reason)
    const protocol = typeof r.flow['protocol'] === 'number' ? r.flow['protocol'] : null
    const remoteIp = r.remote?.ip ?? null
    const remotePort = r.remote?.port ?? null
    const key = `${r.direction}|${remoteIp ?? `${String(r.flow['srcaddr'])}>${String(r.flow['dstaddr'])}`}|${remotePort ?? ''}|${protocol ?? ''}`
    let t = this.talkers.get(key)
    if (t === undefined) {
      if (this.talkers.size >= MAX_TALKERS) {
        this.untracked++
        return
      }
      t = { direction: r.direction, remote_ip: remoteIp, remote_port: remotePort, protocol, flows: 0, packets: 0, bytes: 0 }
      this.talkers.set(key, t)
    }
    t.flows++
    t.packets += typeof r.flow['packets'] === 'number' ? r.flow['packets'] : 0
    t.bytes += typeof r.flow['bytes'] === 'number' ? r.flow['bytes'] : 0
  }

  hostOnly (r: HostOnlyOut): void {
    this.events.host_only++
    bump(this.events.host_only_reasons, r.detail === null ? r.reason : `${r.reason}:${r.detail}`)
  }

  build (flowLog: FlowLogStats, join: JoinStats, localAddresses: string[]): Summary {
    const f = this.flows
    const top = [...this.talkers.values()]
      .sort((a, b) => b.flows - a.flows || b.bytes - a.bytes || String(a.remote_ip).localeCompare(String(b.remote_ip)))
      .slice(0, TOP)
    return {
      record: 'summary',
      flows: {
        host: f.host,
        other_hosts: join.flows_other_hosts,
        attributed: f.attributed,
        ambiguous: f.ambiguous,
        unattributed: f.unattributed,
        attributed_pct: f.host === 0 ? null : Math.round(f.attributed / f.host * 10000) / 100,
        by_match: f.by_match,
        unattributed_reasons: f.unattributed_reasons,
        rejected: f.rejected,
        late: join.flows_late
      },
      events: {
        lines: this.events.lines,
        traffic: this.events.traffic,
        matched: this.events.traffic - this.events.host_only,
        host_only: this.events.host_only,
        host_only_reasons: this.events.host_only_reasons,
        ignored: this.events.ignored,
        bad: this.events.bad,
        local_addresses: localAddresses,
        late: join.events_late
      },
      flow_log: flowLog,
      top_unattributed: top,
      untracked_talkers: this.untracked,
      memory: { max_events_held: join.max_events_held, max_flows_held: join.max_flows_held }
    }
  }
}
