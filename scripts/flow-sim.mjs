#!/usr/bin/env node
/**
 * flow-sim: a packet capture → the VPC Flow Log records AWS would write for one network interface.
 * In: a libpcap file as `tcpdump -w` writes it (Ethernet, Linux cooked v1/v2 or raw IP; µs or ns
 * timestamps; either byte order). Out: flow records, one per direction of each 5-tuple per
 * aggregation window (default 60 s), with packets, bytes (IP length), start/end (whole seconds of
 * the first/last packet), action and log-status; optionally tcp-flags, flow-direction, NODATA.
 * Traffic VPC never logs (link-local, multicast, DHCP, neighbour discovery) is left out.
 *
 * REJECT: a capture shows packets, not security-group decisions, so the caller says which flows
 * were dropped: `--reject tcp/7003` (traffic to or from that port), and/or `--reject-unanswered`
 * (a TCP 5-tuple whose packets went one way only: SYNs that got nothing back, which is what a
 * silent drop looks like on the wire). docs/correlation.md describes the simulator's limits.
 *
 *   node scripts/flow-sim.mjs capture.pcap --interface-id eni-0a1b2c3d4e5f60718 \
 *     --account-id 123456789012 --eni-ip 198.51.100.1 --reject tcp/7003 > flows.log
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'

export const DEFAULT_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status']
export const SUPPORTED_FIELDS = new Set([...DEFAULT_FIELDS, 'tcp-flags', 'flow-direction', 'type', 'instance-id',
  'pkt-srcaddr', 'pkt-dstaddr'])

export class PcapError extends Error {
  name = 'PcapError'
}

// ---------------------------------------------------------------------------------------------
// pcap

const LINKTYPE_ETHERNET = 1
const LINKTYPE_RAW = 101
const LINKTYPE_LINUX_SLL = 113
const LINKTYPE_IPV4 = 228
const LINKTYPE_IPV6 = 229
const LINKTYPE_LINUX_SLL2 = 276

/**
 * Parses a pcap file. Returns its packets with time (seconds, fractional) and the IP packet they
 * carry (or null for ARP and other non-IP frames), in file order.
 * @param {Buffer} buf
 * @returns {{ linktype: number, packets: Array<{ time: number, ip: Buffer | null }> }}
 */
export function readPcap (buf) {
  if (buf.length < 24) throw new PcapError('not a pcap file: shorter than its 24-byte header')
  const magicLE = buf.readUInt32LE(0)
  let le
  let nano
  if (magicLE === 0xa1b2c3d4) { le = true; nano = false } else if (magicLE === 0xa1b23c4d) { le = true; nano = true } else if (buf.readUInt32BE(0) === 0xa1b2c3d4) { le = false; nano = false } else if (buf.readUInt32BE(0) === 0xa1b23c4d) { le = false; nano = true } else if (magicLE === 0x0a0d0d0a) {
    throw new PcapError('pcapng is not supported: write the capture with tcpdump -w (pcap), or convert it')
  } else {
    throw new PcapError(`not a pcap file: magic ${magicLE.toString(16)}`)
  }
  const u32 = (off) => le ? buf.readUInt32LE(off) : buf.readUInt32BE(off)
  const linktype = u32(20) & 0x0fffffff
  const packets = []
  let off = 24
  while (off + 16 <= buf.length) {
    const sec = u32(off)
    const frac = u32(off + 4)
    const incl = u32(off + 8)
    off += 16
    // A capture cut short (tcpdump killed mid-write) ends in a partial record: stop there.
    if (off + incl > buf.length) break
    const frame = buf.subarray(off, off + incl)
    off += incl
    packets.push({ time: sec + frac / (nano ? 1e9 : 1e6), ip: ipPayload(linktype, frame) })
  }
  return { linktype, packets }
}

/** The IP packet inside a link-layer frame, or null. */
function ipPayload (linktype, frame) {
  let etherType
  let off
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      if (frame.length < 14) return null
      etherType = frame.readUInt16BE(12)
      off = 14
      while ((etherType === 0x8100 || etherType === 0x88a8) && frame.length >= off + 4) { // VLAN tags
        etherType = frame.readUInt16BE(off + 2)
        off += 4
      }
      break
    case LINKTYPE_LINUX_SLL:
      if (frame.length < 16) return null
      etherType = frame.readUInt16BE(14)
      off = 16
      break
    case LINKTYPE_LINUX_SLL2:
      if (frame.length < 20) return null
      etherType = frame.readUInt16BE(0)
      off = 20
      break
    case LINKTYPE_RAW: case LINKTYPE_IPV4: case LINKTYPE_IPV6:
      return frame.length > 0 ? frame : null
    default:
      throw new PcapError(`unsupported link type ${linktype}`)
  }
  if (etherType !== 0x0800 && etherType !== 0x86dd) return null
  return frame.subarray(off)
}

function ipv4Text (b, off) {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
}

/** RFC 5952 text of 16 bytes (longest run of ≥ 2 zero groups as ::; lower case). */
export function ipv6Text (b, off) {
  const g = []
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(off + 2 * i))
  if (g.slice(0, 5).every(x => x === 0) && g[5] === 0xffff) return ipv4Text(b, off + 12)
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i }
    i = j
  }
  const hex = (x) => x.toString(16)
  if (best < 0) return g.map(hex).join(':')
  return `${g.slice(0, best).map(hex).join(':')}::${g.slice(best + bestLen).map(hex).join(':')}`
}

const EXTENSION_HEADERS = new Set([0, 43, 60, 51])

/**
 * The flow fields of one IP packet: addresses, protocol, ports (0 for protocols without), IP
 * length, TCP flags; null for a packet too short to read.
 * @param {Buffer} ip
 */
export function packetInfo (ip) {
  const version = ip[0] >> 4
  let src, dst, protocol, length, off
  if (version === 4) {
    if (ip.length < 20) return null
    const ihl = (ip[0] & 0x0f) * 4
    length = ip.readUInt16BE(2)
    protocol = ip[9]
    src = ipv4Text(ip, 12)
    dst = ipv4Text(ip, 16)
    off = ihl
    // A non-first fragment has no transport header.
    if ((ip.readUInt16BE(6) & 0x1fff) !== 0) return { src, dst, protocol, length, srcport: 0, dstport: 0, flags: 0, type: 'IPv4' }
  } else if (version === 6) {
    if (ip.length < 40) return null
    length = ip.readUInt16BE(4) + 40
    protocol = ip[6]
    src = ipv6Text(ip, 8)
    dst = ipv6Text(ip, 24)
    off = 40
    while (EXTENSION_HEADERS.has(protocol) && ip.length >= off + 8) {
      protocol = ip[off]
      off += protocol === 51 ? (ip[off + 1] + 2) * 4 : (ip[off + 1] + 1) * 8
    }
    if (protocol === 44 && ip.length >= off + 8) { // fragment header
      const first = (ip.readUInt16BE(off + 2) & 0xfff8) === 0
      protocol = ip[off]
      off += 8
      if (!first) return { src, dst, protocol, length, srcport: 0, dstport: 0, flags: 0, type: 'IPv6' }
    }
  } else {
    return null
  }
  let srcport = 0
  let dstport = 0
  let flags = 0
  // ICMP has no ports; its type is kept to recognise IPv6 neighbour discovery.
  const icmpType = (protocol === 1 || protocol === 58) && ip.length > off ? ip[off] : null
  if ((protocol === 6 || protocol === 17 || protocol === 132 || protocol === 136) && ip.length >= off + 4) {
    srcport = ip.readUInt16BE(off)
    dstport = ip.readUInt16BE(off + 2)
    if (protocol === 6 && ip.length >= off + 14) flags = ip[off + 13]
  }
  return { src, dst, protocol, length, srcport, dstport, flags, icmpType, type: version === 4 ? 'IPv4' : 'IPv6' }
}

/**
 * Traffic VPC Flow Logs never record (AWS: link-local services, DHCP, …; the VPC answers IPv6
 * neighbour discovery itself and carries no multicast or broadcast): dropped unless keepUnlogged.
 */
export function neverLogged (info) {
  const special = (a) => a === '::' || a === '0.0.0.0' || a === '255.255.255.255' || /^(fe[89ab][0-9a-f]:|ff[0-9a-f]{2}:)/.test(a) ||
    /^(169\.254\.|22[4-9]\.|23\d\.)/.test(a)
  if (special(info.src) || special(info.dst)) return true
  if (info.protocol === 17 && (info.dstport === 67 || info.dstport === 68 || info.dstport === 546 || info.dstport === 547)) return true
  return info.protocol === 58 && info.icmpType !== null && info.icmpType >= 133 && info.icmpType <= 137
}

// ---------------------------------------------------------------------------------------------
// Aggregation

const FIN = 1
const SYN = 2
const RST = 4
const ACK = 16

/**
 * AWS's tcp-flags: FIN, SYN and RST OR-ed over the window, and SYN-ACK as 18; ACK and PSH alone
 * are not reported.
 */
function awsFlags (tcpFlags) {
  let out = tcpFlags & (FIN | SYN | RST)
  if ((tcpFlags & SYN) !== 0 && (tcpFlags & ACK) !== 0) out |= 18
  return out
}

/**
 * @typedef {{ protocol: string, port: number }} RejectRule
 * @typedef {{ interval?: number, reject?: RejectRule[], rejectUnanswered?: boolean, eniIps?: string[], keepUnlogged?: boolean }} AggregateOptions
 * @typedef {{ window: number, srcaddr: string, dstaddr: string, srcport: number, dstport: number, protocol: number,
 *   packets: number, bytes: number, start: number, end: number, action: 'ACCEPT' | 'REJECT', tcpFlags: number,
 *   type: string, direction: 'ingress' | 'egress' | null }} FlowRow
 */

const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 }

/** Parses "tcp/7003" (or "17/53"). */
export function parseRejectRule (text) {
  const m = /^([a-z0-9]+)\/(\d{1,5})$/.exec(text)
  if (m === null) throw new Error(`--reject '${text}' is not PROTOCOL/PORT (e.g. tcp/7003)`)
  const protocol = /^\d+$/.test(m[1]) ? Number(m[1]) : PROTOCOL_NUMBERS[m[1]]
  if (protocol === undefined) throw new Error(`--reject '${text}': unknown protocol ${m[1]}`)
  return { protocol, port: Number(m[2]) }
}

/**
 * Packets → flow rows, one per (window, direction of a 5-tuple). Windows are aligned to multiples
 * of the interval since the epoch (AWS's are not aligned to anything visible, which only moves the
 * boundaries). Rows are sorted by window, start, then addresses and ports.
 * @param {Array<{ time: number, ip: Buffer | null }>} packets
 * @param {AggregateOptions} opts
 * @returns {FlowRow[]}
 */
export function aggregate (packets, opts = {}) {
  const interval = opts.interval ?? 60
  const reject = (opts.reject ?? []).map(r => typeof r === 'string' ? parseRejectRule(r) : r)
  const eniIps = new Set(opts.eniIps ?? [])
  const rows = new Map()
  const conversation = new Map() // unordered 5-tuple → directions seen (for --reject-unanswered)
  for (const p of packets) {
    if (p.ip === null) continue
    const info = packetInfo(p.ip)
    if (info === null || (opts.keepUnlogged !== true && neverLogged(info))) continue
    const window = Math.floor(p.time / interval)
    const key = `${window}|${info.src}|${info.dst}|${info.srcport}|${info.dstport}|${info.protocol}`
    let row = rows.get(key)
    const second = Math.floor(p.time)
    if (row === undefined) {
      row = {
        window,
        srcaddr: info.src,
        dstaddr: info.dst,
        srcport: info.srcport,
        dstport: info.dstport,
        protocol: info.protocol,
        packets: 0,
        bytes: 0,
        start: second,
        end: second,
        action: 'ACCEPT',
        tcpFlags: 0,
        type: info.type,
        direction: eniIps.size === 0 ? null : eniIps.has(info.src) ? 'egress' : eniIps.has(info.dst) ? 'ingress' : null
      }
      rows.set(key, row)
    }
    row.packets++
    row.bytes += info.length
    if (second < row.start) row.start = second
    if (second > row.end) row.end = second
    if (info.protocol === 6) row.tcpFlags |= awsFlags(info.flags)
    const a = `${info.src}|${info.srcport}`
    const b = `${info.dst}|${info.dstport}`
    const conv = `${a < b ? a : b}|${a < b ? b : a}|${info.protocol}`
    let dirs = conversation.get(conv)
    if (dirs === undefined) conversation.set(conv, dirs = new Set())
    dirs.add(a)
  }
  for (const row of rows.values()) {
    const byRule = reject.some(r => r.protocol === row.protocol && (r.port === row.dstport || r.port === row.srcport))
    let unanswered = false
    if (opts.rejectUnanswered === true && row.protocol === 6) {
      const a = `${row.srcaddr}|${row.srcport}`
      const b = `${row.dstaddr}|${row.dstport}`
      unanswered = (conversation.get(`${a < b ? a : b}|${a < b ? b : a}|6`)?.size ?? 0) < 2
    }
    if (byRule || unanswered) row.action = 'REJECT'
  }
  return [...rows.values()].sort((x, y) => x.window - y.window || x.start - y.start ||
    (x.srcaddr < y.srcaddr ? -1 : x.srcaddr > y.srcaddr ? 1 : 0) || (x.dstaddr < y.dstaddr ? -1 : x.dstaddr > y.dstaddr ? 1 : 0) ||
    x.srcport - y.srcport || x.dstport - y.dstport || x.protocol - y.protocol)
}

/**
 * Flow rows → flow log text: a header line naming the fields (as S3 files have) unless header is
 * false, then one line per row; NODATA records for windows without traffic when nodata is set.
 * @param {FlowRow[]} rows
 * @param {{ fields?: string[], accountId?: string, interfaceId?: string, instanceId?: string, header?: boolean,
 *   nodata?: boolean, interval?: number }} opts
 */
export function formatRecords (rows, opts = {}) {
  const fields = opts.fields ?? DEFAULT_FIELDS
  for (const f of fields) if (!SUPPORTED_FIELDS.has(f)) throw new Error(`field ${f} is not simulated`)
  // `version` is the highest version among the chosen fields, as AWS sets it.
  const version = fields.includes('flow-direction') ? 5
    : fields.some(f => ['tcp-flags', 'type', 'instance-id', 'pkt-srcaddr', 'pkt-dstaddr'].includes(f)) ? 3 : 2
  const account = opts.accountId ?? '123456789012'
  const eni = opts.interfaceId ?? 'eni-0123456789abcdef0'
  const interval = opts.interval ?? 60
  const value = (row, f) => {
    switch (f) {
      case 'version': return String(version)
      case 'account-id': return account
      case 'interface-id': return eni
      case 'instance-id': return opts.instanceId ?? '-'
      case 'srcaddr': case 'pkt-srcaddr': return row === null ? '-' : row.srcaddr
      case 'dstaddr': case 'pkt-dstaddr': return row === null ? '-' : row.dstaddr
      case 'srcport': return row === null ? '-' : String(row.srcport)
      case 'dstport': return row === null ? '-' : String(row.dstport)
      case 'protocol': return row === null ? '-' : String(row.protocol)
      case 'packets': return row === null ? '-' : String(row.packets)
      case 'bytes': return row === null ? '-' : String(row.bytes)
      case 'action': return row === null ? '-' : row.action
      case 'tcp-flags': return row === null ? '-' : String(row.protocol === 6 ? row.tcpFlags : 0)
      case 'type': return row === null ? '-' : row.type
      case 'flow-direction': return row === null || row.direction === null ? '-' : row.direction
      default: return '-'
    }
  }
  const lines = []
  if (opts.header !== false) lines.push(fields.join(' '))
  const line = (row, start, end, status) => fields.map(f => f === 'start' ? String(start) : f === 'end' ? String(end) : f === 'log-status' ? status : value(row, f)).join(' ')
  let previous = null
  for (const row of rows) {
    if (opts.nodata === true && previous !== null) {
      for (let w = previous + 1; w < row.window; w++) lines.push(line(null, w * interval, (w + 1) * interval - 1, 'NODATA'))
    }
    previous = row.window
    lines.push(line(row, row.start, row.end, 'OK'))
  }
  return lines.map(l => l + '\n').join('')
}

// ---------------------------------------------------------------------------------------------
// Command

const USAGE = `Usage: node scripts/flow-sim.mjs CAPTURE.pcap [OPTION]...

Writes the VPC Flow Log records (default v2 format, with a header line) that AWS
would log for one network interface, from a tcpdump -w capture on it.

  --interface-id ID        interface-id of the records (default eni-0123456789abcdef0)
  --account-id ID          account-id (default 123456789012)
  --instance-id ID         instance-id, for formats that have it
  --eni-ip IP              an address of the interface (repeatable): sets flow-direction
  --interval SEC           aggregation interval, 60 or 600 (default 60)
  --reject PROTO/PORT      mark flows to or from this port REJECT (repeatable): tcp/7003
  --reject-unanswered      mark TCP 5-tuples with packets in one direction only REJECT
  --fields "A B …"         the fields, in order (default the v2 fields); also
                           tcp-flags, flow-direction, type, instance-id, pkt-srcaddr, pkt-dstaddr
  --no-header              no header line (as CloudWatch Logs delivers records)
  --nodata                 a NODATA record for each window without traffic
  --keep-unlogged          keep what VPC never logs (link-local, multicast,
                           broadcast, DHCP, IPv6 neighbour discovery)
`

export function main (argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'interface-id': { type: 'string' },
      'account-id': { type: 'string' },
      'instance-id': { type: 'string' },
      'eni-ip': { type: 'string', multiple: true },
      interval: { type: 'string' },
      reject: { type: 'string', multiple: true },
      'reject-unanswered': { type: 'boolean' },
      fields: { type: 'string' },
      'no-header': { type: 'boolean' },
      nodata: { type: 'boolean' },
      'keep-unlogged': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    process.stderr.write(`flow-sim: give one capture file\n${USAGE}`)
    return 2
  }
  const interval = values.interval === undefined ? 60 : Number(values.interval)
  if (!Number.isInteger(interval) || interval <= 0) {
    process.stderr.write(`flow-sim: --interval '${values.interval}' is not a whole number of seconds\n`)
    return 2
  }
  const { packets } = readPcap(readFileSync(positionals[0]))
  const rows = aggregate(packets, {
    interval,
    reject: (values.reject ?? []).map(parseRejectRule),
    rejectUnanswered: values['reject-unanswered'] === true,
    eniIps: values['eni-ip'] ?? [],
    keepUnlogged: values['keep-unlogged'] === true
  })
  const opts = { interval, header: values['no-header'] !== true, nodata: values.nodata === true }
  if (values.fields !== undefined) opts.fields = values.fields.trim().split(/\s+/)
  if (values['account-id'] !== undefined) opts.accountId = values['account-id']
  if (values['interface-id'] !== undefined) opts.interfaceId = values['interface-id']
  if (values['instance-id'] !== undefined) opts.instanceId = values['instance-id']
  process.stdout.write(formatRecords(rows, opts))
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`flow-sim: ${err.message}\n`)
    process.exitCode = err instanceof PcapError || err.code === 'ENOENT' || err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1
  }
}
