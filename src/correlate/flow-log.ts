/**
 * AWS VPC Flow Logs text → flow records. In: lines of one log file (default v2 format, a custom
 * format named by a header line or by --flow-format, CloudWatch exports with a leading timestamp).
 * Out: a FlowRecord, a no-data/skip-data marker, a header, or a bad line with its reason; counts
 * per reason. Pure: the caller reads the file (src/correlate/inputs.ts) and feeds lines.
 */
import { canonicalIp } from './address.js'

type Kind = 'int' | 'ip' | 'text'

/**
 * Every field AWS documents, in the order of its field table (versions 2–8), with its type. The
 * order matters: a file with no header is read by this order when its field count is one of the
 * "all fields up to version N" layouts AWS consoles and the public samples produce.
 */
const FIELD_TABLE: ReadonlyArray<[string, Kind, number]> = [
  ['version', 'int', 2], ['account-id', 'text', 2], ['interface-id', 'text', 2], ['srcaddr', 'ip', 2],
  ['dstaddr', 'ip', 2], ['srcport', 'int', 2], ['dstport', 'int', 2], ['protocol', 'int', 2],
  ['packets', 'int', 2], ['bytes', 'int', 2], ['start', 'int', 2], ['end', 'int', 2], ['action', 'text', 2],
  ['log-status', 'text', 2],
  ['vpc-id', 'text', 3], ['subnet-id', 'text', 3], ['instance-id', 'text', 3], ['tcp-flags', 'int', 3],
  ['type', 'text', 3], ['pkt-srcaddr', 'ip', 3], ['pkt-dstaddr', 'ip', 3],
  ['region', 'text', 4], ['az-id', 'text', 4], ['sublocation-type', 'text', 4], ['sublocation-id', 'text', 4],
  ['pkt-src-aws-service', 'text', 5], ['pkt-dst-aws-service', 'text', 5], ['flow-direction', 'text', 5],
  ['traffic-path', 'int', 5],
  ['resource-type', 'text', 6], ['tgw-id', 'text', 6], ['tgw-attachment-id', 'text', 6],
  ['tgw-src-vpc-account-id', 'text', 6], ['tgw-dst-vpc-account-id', 'text', 6], ['tgw-src-vpc-id', 'text', 6],
  ['tgw-dst-vpc-id', 'text', 6], ['tgw-src-subnet-id', 'text', 6], ['tgw-dst-subnet-id', 'text', 6],
  ['tgw-src-eni', 'text', 6], ['tgw-dst-eni', 'text', 6], ['tgw-src-az-id', 'text', 6], ['tgw-dst-az-id', 'text', 6],
  ['tgw-pair-attachment-id', 'text', 6], ['packets-lost-no-route', 'int', 6], ['packets-lost-blackhole', 'int', 6],
  ['packets-lost-mtu-exceeded', 'int', 6], ['packets-lost-ttl-expired', 'int', 6],
  ['ecs-cluster-arn', 'text', 7], ['ecs-cluster-name', 'text', 7], ['ecs-container-instance-arn', 'text', 7],
  ['ecs-container-instance-id', 'text', 7], ['ecs-container-id', 'text', 7], ['ecs-second-container-id', 'text', 7],
  ['ecs-service-name', 'text', 7], ['ecs-task-definition-arn', 'text', 7], ['ecs-task-arn', 'text', 7],
  ['ecs-task-id', 'text', 7],
  ['reject-reason', 'text', 8]
]

const KIND: ReadonlyMap<string, Kind> = new Map(FIELD_TABLE.map(([name, kind]) => [name, kind]))
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(KIND.keys())

const names = (maxVersion: number, skip: number[] = []): string[] =>
  FIELD_TABLE.filter(([, , v]) => v <= maxVersion && !skip.includes(v)).map(([n]) => n)

/** The default format (version 2), which AWS does not let anyone change. */
export const DEFAULT_FIELDS: readonly string[] = names(2)

/**
 * Header-less layouts recognised by field count: the default, all fields up to v5 (29, as in the
 * Elastic v5 sample), and all fields of v2–v5, v7 and v8 (40, as in the Elastic v8 sample: the
 * transit-gateway fields of v6 exist only in transit-gateway flow logs). Any other header-less
 * layout needs --flow-format.
 */
const LAYOUTS_BY_COUNT: ReadonlyMap<number, readonly string[]> = new Map([
  [DEFAULT_FIELDS.length, DEFAULT_FIELDS],
  [names(5).length, names(5)],
  [names(8, [6]).length, names(8, [6])]
])

export class FlowFormatError extends Error {
  override name = 'FlowFormatError'
}

const FIELD_NAME = /^[a-z][a-z0-9-]*$/

/**
 * A format as AWS writes it for --log-format ("${version} ${srcaddr} …"), or the plain names of a
 * header line. Unknown names are accepted (AWS adds fields, e.g. resource-id) and kept as text;
 * a name that is not a field name at all is an error.
 */
export function parseFlowFormat (text: string): string[] {
  const tokens = text.trim().split(/\s+/).filter(t => t.length > 0)
  const fields = tokens.map(t => {
    const m = /^\$\{([^}]*)\}$/.exec(t)
    const name = m === null ? t : m[1] as string
    if (!FIELD_NAME.test(name)) throw new FlowFormatError(`'${t}' is not a flow log field`)
    return name
  })
  if (fields.length === 0) throw new FlowFormatError('the flow log format names no field')
  const seen = new Set<string>()
  for (const f of fields) {
    if (seen.has(f)) throw new FlowFormatError(`field '${f}' appears twice in the flow log format`)
    seen.add(f)
  }
  return fields
}

/**
 * A header line names fields and holds no values: every token is a field name and at least half
 * of them (and at least two) are fields AWS documents. Data lines always hold numbers, addresses
 * or ids with digits, so they never pass.
 */
export function isHeaderLine (tokens: readonly string[]): boolean {
  let known = 0
  for (const t of tokens) {
    if (!FIELD_NAME.test(t)) return false
    if (KNOWN_FIELDS.has(t)) known++
  }
  return known >= 2 && known * 2 >= tokens.length
}

export type FlowAction = 'ACCEPT' | 'REJECT'
export type LogStatus = 'OK' | 'NODATA' | 'SKIPDATA'

/**
 * One flow record. The version 2 fields are always present (null when the format lacks them or
 * the log wrote "-"); the other fields of the format are in `fields`, by AWS name, as numbers
 * (int fields), canonical address text (address fields) or text. Addresses are canonical
 * (IPv4-mapped IPv6 as IPv4, IPv6 per RFC 5952) so they compare as text with audit events.
 */
export interface FlowRecord {
  version: number | null
  account_id: string | null
  interface_id: string | null
  srcaddr: string | null
  dstaddr: string | null
  srcport: number | null
  dstport: number | null
  protocol: number | null
  packets: number | null
  bytes: number | null
  /** Unix seconds of the first and last packet in the aggregation window. */
  start: number | null
  end: number | null
  action: FlowAction | null
  log_status: LogStatus | null
  /** The format's other fields (snake_case names), only those the format has. */
  fields: Record<string, string | number | null>
  /** CloudWatch export: the event timestamp that preceded the record, as epoch ms. */
  ingest_time?: number
  /** Where the record came from: file (or "-") and 1-based line. */
  source: { file: string, line: number }
}

export type BadReason = 'unknown_format' | 'field_count' | 'bad_number' | 'bad_address' | 'bad_action'
  | 'bad_log_status' | 'implausible_window' | 'missing_fields' | 'bad_timestamp'

export type ParsedLine =
  | { kind: 'flow', flow: FlowRecord }
  | { kind: 'nodata' | 'skipdata', interface_id: string | null, start: number | null, end: number | null }
  | { kind: 'header', fields: string[] }
  | { kind: 'blank' }
  | { kind: 'bad', reason: BadReason, detail: string }

export interface FlowLogStats {
  lines: number
  flows: number
  headers: number
  nodata: number
  skipdata: number
  blank: number
  bad: Partial<Record<BadReason, number>>
  /** The first few bad lines, to show what went wrong. */
  bad_examples: Array<{ file: string, line: number, reason: BadReason, detail: string }>
}

export function emptyFlowLogStats (): FlowLogStats {
  return { lines: 0, flows: 0, headers: 0, nodata: 0, skipdata: 0, blank: 0, bad: {}, bad_examples: [] }
}

const MAX_BAD_EXAMPLES = 10
/**
 * Longest plausible [start, end]: the aggregation interval is at most 10 minutes and each bound may
 * lag by up to a minute; a wider record is corrupt (the public v5 sample has a 9-digit start, a
 * 47-year window that would match everything).
 */
export const MAX_WINDOW_SECONDS = 3600

const snake = (name: string): string => name.replace(/-/g, '_')
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/
const EPOCH_MS = /^\d{13}$/
const INT = /^(0|[1-9]\d{0,15})$/

/** A leading CloudWatch timestamp (ISO 8601 or epoch milliseconds) as epoch ms, else null. */
function leadingTimestamp (token: string): number | null {
  if (EPOCH_MS.test(token)) return Number(token)
  if (ISO_TIME.test(token)) {
    const ms = Date.parse(token)
    return Number.isNaN(ms) ? null : ms
  }
  return null
}

/** Per-field decoding, prepared once per format. */
interface Column { name: string, key: string, kind: Kind }

/**
 * Parses the lines of one flow log file. The format is --flow-format when given; a header line
 * sets it for the lines after it (files concatenated with their headers work); without either, a
 * line is read by its field count (LAYOUTS_BY_COUNT).
 */
export class FlowLogParser {
  private columns: Column[] | null = null
  private readonly byCount = new Map<number, Column[]>()

  constructor (private readonly file: string, readonly stats: FlowLogStats, fields: readonly string[] | null = null) {
    if (fields !== null) this.columns = this.prepare(fields)
  }

  private prepare (fields: readonly string[]): Column[] {
    return fields.map(name => ({ name, key: snake(name), kind: KIND.get(name) ?? 'text' }))
  }

  private layoutFor (count: number): Column[] | null {
    const cached = this.byCount.get(count)
    if (cached !== undefined) return cached
    const fields = LAYOUTS_BY_COUNT.get(count)
    if (fields === undefined) return null
    const cols = this.prepare(fields)
    this.byCount.set(count, cols)
    return cols
  }

  /** Parses one line (without its line end); `lineNo` is 1-based. */
  parse (line: string, lineNo: number): ParsedLine {
    const s = this.stats
    s.lines++
    const result = this.parseLine(line, lineNo)
    switch (result.kind) {
      case 'flow': s.flows++; break
      case 'nodata': s.nodata++; break
      case 'skipdata': s.skipdata++; break
      case 'header': s.headers++; break
      case 'blank': s.blank++; break
      case 'bad':
        s.bad[result.reason] = (s.bad[result.reason] ?? 0) + 1
        if (s.bad_examples.length < MAX_BAD_EXAMPLES) {
          s.bad_examples.push({ file: this.file, line: lineNo, reason: result.reason, detail: result.detail })
        }
    }
    return result
  }

  private parseLine (line: string, lineNo: number): ParsedLine {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    const tokens = text.trim().split(/\s+/)
    if (tokens.length === 1 && tokens[0] === '') return { kind: 'blank' }

    // A CloudWatch export puts the event's timestamp before the record; it is never a field value
    // AWS writes first (version is 1 digit, account-id 12), so it is recognised by its shape.
    let ingest: number | null = null
    const first = tokens[0] as string
    if (/^\d{4}-\d{2}-\d{2}T/.test(first) || EPOCH_MS.test(first)) {
      ingest = leadingTimestamp(first)
      if (ingest === null) return { kind: 'bad', reason: 'bad_timestamp', detail: first }
      tokens.shift()
    }

    if (isHeaderLine(tokens)) {
      const fields = [...tokens]
      this.columns = this.prepare(fields)
      return { kind: 'header', fields }
    }

    const columns = this.columns ?? this.layoutFor(tokens.length)
    if (columns === null) {
      return { kind: 'bad', reason: 'unknown_format', detail: `${tokens.length} fields, no header line and no --flow-format` }
    }
    if (columns.length !== tokens.length) {
      return { kind: 'bad', reason: 'field_count', detail: `${tokens.length} fields, the format has ${columns.length}` }
    }
    return this.record(columns, tokens, ingest, lineNo)
  }

  private record (columns: Column[], tokens: string[], ingest: number | null, lineNo: number): ParsedLine {
    const flow: FlowRecord = {
      version: null,
      account_id: null,
      interface_id: null,
      srcaddr: null,
      dstaddr: null,
      srcport: null,
      dstport: null,
      protocol: null,
      packets: null,
      bytes: null,
      start: null,
      end: null,
      action: null,
      log_status: null,
      fields: {},
      source: { file: this.file, line: lineNo }
    }
    if (ingest !== null) flow.ingest_time = ingest
    const core = flow as unknown as Record<string, string | number | null>
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i] as Column
      const raw = tokens[i] as string
      let value: string | number | null
      if (raw === '-') {
        value = null
      } else if (col.kind === 'int') {
        if (!INT.test(raw)) return { kind: 'bad', reason: 'bad_number', detail: `${col.name}=${raw}` }
        value = Number(raw)
      } else if (col.kind === 'ip') {
        value = canonicalIp(raw)
        if (value === null) return { kind: 'bad', reason: 'bad_address', detail: `${col.name}=${raw}` }
      } else {
        value = raw
      }
      if (col.key in core && col.key !== 'fields' && col.key !== 'source') core[col.key] = value
      else flow.fields[col.key] = value
    }

    if (flow.action !== null && flow.action !== 'ACCEPT' && flow.action !== 'REJECT') {
      return { kind: 'bad', reason: 'bad_action', detail: `action=${String(flow.action)}` }
    }
    const status = flow.log_status
    if (status !== null && status !== 'OK' && status !== 'NODATA' && status !== 'SKIPDATA') {
      return { kind: 'bad', reason: 'bad_log_status', detail: `log-status=${String(status)}` }
    }
    // No-data and skip-data records say something about a window, not about a flow; AWS writes
    // "-" in their flow fields (the public v8 sample has values there anyway: the status decides).
    if (status === 'NODATA' || status === 'SKIPDATA') {
      return { kind: status === 'NODATA' ? 'nodata' : 'skipdata', interface_id: flow.interface_id, start: flow.start, end: flow.end }
    }
    if (flow.start !== null && flow.end !== null && (flow.end < flow.start || flow.end - flow.start > MAX_WINDOW_SECONDS)) {
      return { kind: 'bad', reason: 'implausible_window', detail: `start=${flow.start} end=${flow.end}` }
    }
    if (flow.srcaddr === null && flow.dstaddr === null && flow.fields['pkt_srcaddr'] == null && flow.fields['pkt_dstaddr'] == null) {
      return { kind: 'bad', reason: 'missing_fields', detail: 'no source or destination address' }
    }
    return { kind: 'flow', flow }
  }
}
