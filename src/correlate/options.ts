/**
 * `netfilter correlate` flags → settings. In: argv after the subcommand. Out: CorrelateSettings,
 * or a UsageError naming the flag (exit 2). The --help text lives here beside the option table.
 */
import { parseArgs } from 'node:util'
import { FlowFormatError, parseFlowFormat } from './flow-log.js'

export class UsageError extends Error {
  override name = 'UsageError'
}

export interface CorrelateSettings {
  help: boolean
  events: string
  flows: string[]
  flowFormat: string[] | null
  hostIps: string[]
  instanceIds: string[]
  interfaceIds: string[]
  vpcCidrs: string[]
  amazonDns: string[]
  skewMs: number
  lagMs: number
  latenessMs: number
  continuationMs: number
  format: 'native' | 'ocsf'
  output: string | null
  summary: string | null
}

export const DEFAULTS = { skew: 5, 'flow-lag': 60, lateness: 600, continuation: 600 } as const

export const CORRELATE_HELP = `Usage: netfilter correlate [OPTION]... --flows FILE [FILE]...

Joins a host's network events (netfilter's native JSON lines) with the AWS VPC
Flow Logs of its interfaces: every flow of the host gets the process that made
it (pid, exe, argv, user, the audit event ids) or a reason why none did, and
every host event that no flow shows is reported with the reason (loopback,
addresses VPC never logs, REJECTed, no flow in the window). Rules and limits:
docs/correlation.md.

Inputs (plain or gzip):
  --events FILE           netfilter's output (default: standard input; "-" too)
  --flows FILE            a flow log file; repeat it, or list files after the
                          options. Give them in time order (S3 names sort so).
  --flow-format FORMAT    the fields of flow logs that have no header line, as
                          AWS writes them: '\${version} \${srcaddr} …'. Without
                          it, header-less lines are read as the default v2
                          format (or all fields to v5, or v2-v5+v7+v8, by count)

The host (at least one; repeat any):
  --host-ip IP            an address of the host (IPv4 or IPv6); addresses the
                          host bind()s to are learned from the events
  --instance-id ID        its EC2 instance (flow field instance-id)
  --interface-id ID       one of its ENIs (flow field interface-id)
  --vpc-cidr CIDR         its VPC's range: base+1 (router) and base+2 (Amazon
                          DNS) are addresses VPC never logs
  --amazon-dns IP         another Amazon DNS resolver address

Matching (seconds, decimals allowed):
  --skew SEC              clock difference host/AWS allowed (default ${DEFAULTS.skew})
  --flow-lag SEC          how late AWS may stamp a flow's start after its first
                          packet (default ${DEFAULTS['flow-lag']}, AWS's documented bound; 0 for
                          flow records made from a capture)
  --lateness SEC          how far each input may be out of time order; memory
                          grows with it (default ${DEFAULTS.lateness})
  --continuation SEC      a flow of an attributed 5-tuple up to SEC after that
                          connection's last flow continues it (default ${DEFAULTS.continuation})

Output:
  --format native|ocsf    native records (schemas/correlate.schema.json) or OCSF
                          1.1.0 Network Activity (schemas/correlate-ocsf.schema.json)
  --output FILE           write the records there instead of standard output
  --summary FILE          write the summary there instead of standard error
  -h, --help              show this help

Examples:
  netfilter /var/log/audit/audit.log > events.jsonl
  netfilter correlate --events events.jsonl --host-ip 10.0.1.5 \\
      --flows 123456789012_vpcflowlogs_*.log.gz > joined.jsonl
  netfilter correlate --interface-id eni-0abc --flow-format \\
      '\${version} \${interface-id} \${srcaddr} \${dstaddr} \${srcport} \${dstport} \${protocol} \${packets} \${bytes} \${start} \${end} \${action} \${log-status} \${tcp-flags}' \\
      --flows cw-export.txt < events.jsonl

Exit status: 0 on success, 1 on a read or write error, 2 on a bad option or an
unreadable file.
`

const OPTIONS = {
  events: { type: 'string' },
  flows: { type: 'string', multiple: true },
  'flow-format': { type: 'string' },
  'host-ip': { type: 'string', multiple: true },
  'instance-id': { type: 'string', multiple: true },
  'interface-id': { type: 'string', multiple: true },
  'vpc-cidr': { type: 'string', multiple: true },
  'amazon-dns': { type: 'string', multiple: true },
  skew: { type: 'string' },
  'flow-lag': { type: 'string' },
  lateness: { type: 'string' },
  continuation: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  summary: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

function seconds (flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`--${flag} '${value}' is not a number of seconds`)
  return Math.round(Number(value) * 1000)
}

/** A list flag: repeated, or comma-separated. */
const list = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v.length > 0)

export function parseCorrelateArgs (argv: readonly string[]): CorrelateSettings {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.split('. ')[0] ?? 'bad option')
  }
  const v = parsed.values
  const format = v.format ?? 'native'
  if (format !== 'native' && format !== 'ocsf') throw new UsageError(`--format '${format}' is not native or ocsf`)
  let flowFormat: string[] | null = null
  if (v['flow-format'] !== undefined) {
    try {
      flowFormat = parseFlowFormat(v['flow-format'])
    } catch (err) {
      if (err instanceof FlowFormatError) throw new UsageError(`--flow-format: ${err.message}`)
      throw err
    }
  }
  const settings: CorrelateSettings = {
    help: v.help === true,
    events: v.events ?? '-',
    flows: [...(v.flows ?? []), ...parsed.positionals],
    flowFormat,
    hostIps: list(v['host-ip']),
    instanceIds: list(v['instance-id']),
    interfaceIds: list(v['interface-id']),
    vpcCidrs: list(v['vpc-cidr']),
    amazonDns: list(v['amazon-dns']),
    skewMs: seconds('skew', v.skew, DEFAULTS.skew),
    lagMs: seconds('flow-lag', v['flow-lag'], DEFAULTS['flow-lag']),
    latenessMs: seconds('lateness', v.lateness, DEFAULTS.lateness),
    continuationMs: seconds('continuation', v.continuation, DEFAULTS.continuation),
    format,
    output: v.output ?? null,
    summary: v.summary ?? null
  }
  if (!settings.help && settings.flows.length === 0) throw new UsageError('no flow log given (--flows FILE)')
  if (!settings.help && settings.flows.includes('-') && settings.events === '-') {
    throw new UsageError('events and flows cannot both be standard input')
  }
  return settings
}
