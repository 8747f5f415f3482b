/**
 * scripts/flow-sim.mjs: pcap files built here byte by byte (Ethernet with VLAN, Linux cooked v1
 * and v2, raw IP; µs and ns timestamps; little- and big-endian headers) → VPC flow records per
 * 60 s window: 5-tuple per direction, packets, bytes, start/end, tcp-flags as AWS ORs them,
 * REJECT by rule or by an unanswered handshake, traffic VPC never logs left out. The records it
 * writes are read back by the flow log reader.
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { aggregate, formatRecords, packetInfo, parseRejectRule, readPcap, type FlowRow } from '../../scripts/flow-sim.mjs'
import { emptyFlowLogStats, FlowLogParser } from '../../src/correlate/flow-log.js'
import { ROOT } from '../helpers/filter.js'
import { tempFile } from './helpers.js'

const v4 = (ip: string): number[] => ip.split('.').map(Number)
function v6 (ip: string): number[] {
  const [head = '', tail = ''] = ip.split('::')
  const h = head === '' ? [] : head.split(':')
  const tl = tail === '' ? [] : tail.split(':')
  const groups = [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl].map(g => parseInt(g, 16))
  return groups.flatMap(g => [g >> 8, g & 0xff])
}

interface Pkt { src: string, dst: string, sport?: number, dport?: number, proto?: number, flags?: number, payload?: number, icmpType?: number }

/** An IP packet (IPv4 or IPv6 by the address) with a TCP, UDP or ICMP header. */
function ipPacket (p: Pkt): Buffer {
  const proto = p.proto ?? 6
  const l4len = proto === 6 ? 20 : 8
  const l4 = Buffer.alloc(l4len + (p.payload ?? 0))
  if (proto === 6 || proto === 17) {
    l4.writeUInt16BE(p.sport ?? 40000, 0)
    l4.writeUInt16BE(p.dport ?? 443, 2)
    if (proto === 6) { l4[12] = 0x50; l4[13] = p.flags ?? 0x10 }
  } else {
    l4[0] = p.icmpType ?? 8
  }
  if (p.src.includes(':')) {
    const h = Buffer.alloc(40)
    h[0] = 0x60
    h.writeUInt16BE(l4.length, 4)
    h[6] = proto
    h[7] = 64
    Buffer.from(v6(p.src)).copy(h, 8)
    Buffer.from(v6(p.dst)).copy(h, 24)
    return Buffer.concat([h, l4])
  }
  const h = Buffer.alloc(20)
  h[0] = 0x45
  h.writeUInt16BE(20 + l4.length, 2)
  h[8] = 64
  h[9] = proto
  Buffer.from(v4(p.src)).copy(h, 12)
  Buffer.from(v4(p.dst)).copy(h, 16)
  return Buffer.concat([h, l4])
}

type Link = 'ethernet' | 'vlan' | 'sll' | 'sll2' | 'raw'
const LINKTYPES: Record<Link, number> = { ethernet: 1, vlan: 1, sll: 113, sll2: 276, raw: 101 }

function frame (link: Link, ip: Buffer): Buffer {
  const type = (ip[0] as number) >> 4 === 6 ? 0x86dd : 0x0800
  switch (link) {
    case 'ethernet': { const h = Buffer.alloc(14); h.writeUInt16BE(type, 12); return Buffer.concat([h, ip]) }
    case 'vlan': { const h = Buffer.alloc(18); h.writeUInt16BE(0x8100, 12); h.writeUInt16BE(7, 14); h.writeUInt16BE(type, 16); return Buffer.concat([h, ip]) }
    case 'sll': { const h = Buffer.alloc(16); h.writeUInt16BE(type, 14); return Buffer.concat([h, ip]) }
    case 'sll2': { const h = Buffer.alloc(20); h.writeUInt16BE(type, 0); return Buffer.concat([h, ip]) }
    case 'raw': return ip
  }
}

/** A pcap file of packets at the given times (seconds, fractional). */
function pcap (packets: Array<[number, Pkt | Buffer]>, link: Link = 'ethernet', opts: { bigEndian?: boolean, nano?: boolean } = {}): Buffer {
  const be = opts.bigEndian === true
  const u32 = (b: Buffer, v: number, off: number): void => { be ? b.writeUInt32BE(v, off) : b.writeUInt32LE(v, off) }
  const u16 = (b: Buffer, v: number, off: number): void => { be ? b.writeUInt16BE(v, off) : b.writeUInt16LE(v, off) }
  const head = Buffer.alloc(24)
  u32(head, opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, 0)
  u16(head, 2, 4)
  u16(head, 4, 6)
  u32(head, 262144, 16)
  u32(head, LINKTYPES[link], 20)
  const parts: Buffer[] = [head]
  for (const [time, p] of packets) {
    const data = Buffer.isBuffer(p) ? p : frame(link, ipPacket(p))
    const rec = Buffer.alloc(16)
    const sec = Math.floor(time)
    u32(rec, sec, 0)
    u32(rec, Math.round((time - sec) * (opts.nano === true ? 1e9 : 1e6)), 4)
    u32(rec, data.length, 8)
    u32(rec, data.length, 12)
    parts.push(rec, data)
  }
  return Buffer.concat(parts)
}

const C = '198.51.100.1'
const S = '198.51.100.2'
const T = 1795641000 // a multiple of 60
const SYN = 2; const ACK = 16; const FIN = 1; const PSH = 8; const RST = 4

/** A small TCP exchange: handshake, data, close. */
function tcpExchange (t0: number, sport: number, dport: number): Array<[number, Pkt]> {
  return [
    [t0, { src: C, dst: S, sport, dport, flags: SYN }],
    [t0 + 0.001, { src: S, dst: C, sport: dport, dport: sport, flags: SYN | ACK }],
    [t0 + 0.002, { src: C, dst: S, sport, dport, flags: ACK }],
    [t0 + 0.003, { src: C, dst: S, sport, dport, flags: PSH | ACK, payload: 4 }],
    [t0 + 0.004, { src: S, dst: C, sport: dport, dport: sport, flags: PSH | ACK, payload: 4 }],
    [t0 + 0.005, { src: C, dst: S, sport, dport, flags: FIN | ACK }],
    [t0 + 0.006, { src: S, dst: C, sport: dport, dport: sport, flags: FIN | ACK }],
    [t0 + 0.007, { src: C, dst: S, sport, dport, flags: ACK }]
  ]
}

const strip = (rows: FlowRow[]): Array<Partial<FlowRow>> => rows.map(r => ({ srcaddr: r.srcaddr, dstaddr: r.dstaddr, srcport: r.srcport, dstport: r.dstport, protocol: r.protocol, packets: r.packets, bytes: r.bytes, start: r.start, end: r.end, action: r.action, tcpFlags: r.tcpFlags }))

t.test('a TCP connection gives one record per direction with AWS\'s tcp-flags (SYN+FIN 3, SYN-ACK+FIN 19)', async t => {
  const rows = aggregate(readPcap(pcap(tcpExchange(T + 5.5, 40000, 443))).packets)
  t.same(strip(rows), [
    { srcaddr: C, dstaddr: S, srcport: 40000, dstport: 443, protocol: 6, packets: 5, bytes: 40 * 5 + 4, start: T + 5, end: T + 5, action: 'ACCEPT', tcpFlags: 3 },
    { srcaddr: S, dstaddr: C, srcport: 443, dstport: 40000, protocol: 6, packets: 3, bytes: 40 * 3 + 4, start: T + 5, end: T + 5, action: 'ACCEPT', tcpFlags: 19 }
  ])
})

t.test('every link type and pcap header variant reads the same', async t => {
  const packets = tcpExchange(T + 1.25, 40001, 80)
  const expected = strip(aggregate(readPcap(pcap(packets)).packets))
  for (const link of ['vlan', 'sll', 'sll2', 'raw'] as const) {
    t.same(strip(aggregate(readPcap(pcap(packets, link)).packets)), expected, link)
  }
  t.same(strip(aggregate(readPcap(pcap(packets, 'ethernet', { bigEndian: true })).packets)), expected, 'big-endian header')
  const nano = readPcap(pcap(packets, 'ethernet', { nano: true }))
  t.equal(nano.packets[0]?.time, T + 1.25, 'nanosecond timestamps')
  t.same(strip(aggregate(nano.packets)), expected, 'nanosecond pcap')
})

t.test('a capture cut mid-record keeps the whole records; a non-pcap or pcapng file is refused', async t => {
  const whole = pcap(tcpExchange(T, 40002, 80))
  t.equal(readPcap(whole.subarray(0, whole.length - 10)).packets.length, 7)
  t.throws(() => readPcap(Buffer.from('hello world, this is not a capture')), /not a pcap file/)
  const ng = Buffer.alloc(32); ng.writeUInt32LE(0x0a0d0d0a, 0)
  t.throws(() => readPcap(ng), /pcapng is not supported/)
})

t.test('records are per aggregation window: a connection across a boundary gives two per direction', async t => {
  const packets: Array<[number, Pkt]> = [
    [T + 59.5, { src: C, dst: S, sport: 40003, dport: 22, flags: SYN }],
    [T + 59.6, { src: S, dst: C, sport: 22, dport: 40003, flags: SYN | ACK }],
    [T + 60.2, { src: C, dst: S, sport: 40003, dport: 22, flags: ACK, payload: 100 }],
    [T + 61.0, { src: S, dst: C, sport: 22, dport: 40003, flags: ACK | RST }]
  ]
  const rows = aggregate(readPcap(pcap(packets)).packets)
  t.same(rows.map(r => [r.window - Math.floor(T / 60), r.srcport, r.start - T, r.end - T, r.tcpFlags]), [
    [0, 40003, 59, 59, 2], [0, 22, 59, 59, 18], [1, 40003, 60, 60, 0], [1, 22, 61, 61, 4]
  ])
  t.equal(aggregate(readPcap(pcap(packets)).packets, { interval: 600 }).length, 2, 'a 10-minute interval keeps them together')
})

t.test('REJECT: by --reject rule (both directions), or a TCP 5-tuple that was never answered', async t => {
  const packets: Array<[number, Pkt]> = [
    ...tcpExchange(T + 1, 40004, 443),
    [T + 2, { src: C, dst: S, sport: 40005, dport: 7003, flags: SYN }],
    [T + 3, { src: C, dst: S, sport: 40005, dport: 7003, flags: SYN }],
    [T + 4, { src: C, dst: S, sport: 40006, dport: 53, proto: 17 }]
  ]
  const { packets: ps } = readPcap(pcap(packets))
  const byRule = aggregate(ps, { reject: ['tcp/7003'] })
  t.same(byRule.map(r => [r.dstport, r.action]), [[443, 'ACCEPT'], [40004, 'ACCEPT'], [7003, 'REJECT'], [53, 'ACCEPT']])
  t.equal(byRule.find(r => r.dstport === 7003)?.packets, 2)
  const observed = aggregate(ps, { rejectUnanswered: true })
  t.same(observed.map(r => r.action), byRule.map(r => r.action), 'the unanswered SYNs are found without naming the port; the one-way UDP stays ACCEPT')
  t.same(aggregate(ps, { reject: ['tcp/443'] }).filter(r => r.action === 'REJECT').map(r => r.srcport).sort((x, y) => x - y), [443, 40004], 'a rule rejects both directions')
  t.same(parseRejectRule('udp/53'), { protocol: 17, port: 53 })
  t.same(parseRejectRule('132/9'), { protocol: 132, port: 9 })
  t.throws(() => parseRejectRule('tcp:80'), /PROTOCOL\/PORT/)
})

t.test('traffic VPC never logs is left out: link-local, multicast, broadcast, DHCP, neighbour discovery; ARP is no IP', async t => {
  const arp = Buffer.alloc(42); arp.writeUInt16BE(0x0806, 12)
  const packets: Array<[number, Pkt | Buffer]> = [
    [T, arp],
    [T, { src: 'fe80::1', dst: 'ff02::16', proto: 58, icmpType: 143 }],
    [T, { src: '2001:db8::1', dst: '2001:db8::2', proto: 58, icmpType: 135 }],
    [T, { src: C, dst: '255.255.255.255', proto: 17, sport: 68, dport: 67 }],
    [T, { src: C, dst: '169.254.169.254', dport: 80, flags: SYN }],
    [T, { src: C, dst: '224.0.0.251', proto: 17, sport: 5353, dport: 5353 }],
    [T, { src: '2001:db8::1', dst: '2001:db8::2', proto: 58, icmpType: 128 }],
    [T, { src: '2001:db8::1', dst: '2001:db8::2', proto: 17, sport: 5000, dport: 7002 }]
  ]
  const rows = aggregate(readPcap(pcap(packets)).packets)
  t.same(rows.map(r => [r.protocol, r.dstport]), [[58, 0], [17, 7002]], 'an echo request and a UDP datagram remain')
  t.equal(aggregate(readPcap(pcap(packets)).packets, { keepUnlogged: true }).length, 6, 'every IP packet with keepUnlogged (the two ICMPv6 to one peer share a record)')
})

t.test('IPv6 addresses are written in RFC 5952 text; packetInfo reads ports and flags', async t => {
  const info = packetInfo(ipPacket({ src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8::abcd', sport: 1, dport: 2, flags: SYN }))
  t.same(info, { src: '2001:db8::1', dst: '2001:db8::abcd', protocol: 6, length: 60, srcport: 1, dstport: 2, flags: SYN, icmpType: null, type: 'IPv6' })
})

t.test('formatRecords writes what the reader reads back: default v2 with header, custom fields, NODATA', async t => {
  const rows = aggregate(readPcap(pcap([...tcpExchange(T + 1, 40007, 443), ...tcpExchange(T + 185, 40008, 443)])).packets, { eniIps: [C] })
  const text = formatRecords(rows, { interfaceId: 'eni-1', accountId: '111122223333', nodata: true, fields: ['version', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status', 'tcp-flags', 'flow-direction'] })
  const stats = emptyFlowLogStats()
  const parser = new FlowLogParser('sim', stats)
  const parsed = text.trimEnd().split('\n').map((l, i) => parser.parse(l, i + 1))
  t.same(stats.bad, {})
  t.equal(stats.flows, 4)
  t.equal(stats.nodata, 2, 'two empty windows between')
  const first = parsed.find(p => p.kind === 'flow')
  t.same(first?.kind === 'flow' ? [first.flow.version, first.flow.interface_id, first.flow.fields['flow_direction'], first.flow.fields['tcp_flags']] : null, [5, 'eni-1', 'egress', 3])
  const plain = formatRecords(rows, { header: false })
  t.equal(plain.split('\n')[0]?.split(' ').length, 14, 'no header: the default v2 line')
  t.match(plain, / 123456789012 eni-0123456789abcdef0 /)
})

t.test('the command: a capture file in, flow records out; bad input exits 2', async t => {
  const file = tempFile(pcap([...tcpExchange(T + 1, 40009, 443), [T + 2, { src: C, dst: S, sport: 40010, dport: 7003, flags: SYN }]]), '.pcap')
  const out = execFileSync(process.execPath, [`${ROOT}scripts/flow-sim.mjs`, file, '--interface-id', 'eni-9', '--account-id', '999988887777', '--reject', 'tcp/7003'], { encoding: 'utf8' })
  const lines = out.trimEnd().split('\n')
  t.equal(lines[0], 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status')
  t.same(lines.slice(1).map(l => l.split(' ').slice(1, 3).concat(l.split(' ').slice(12))), [
    ['999988887777', 'eni-9', 'ACCEPT', 'OK'], ['999988887777', 'eni-9', 'ACCEPT', 'OK'], ['999988887777', 'eni-9', 'REJECT', 'OK']
  ])
  const bad = spawnSync(process.execPath, [`${ROOT}scripts/flow-sim.mjs`, tempFile('not a capture')], { encoding: 'utf8' })
  t.equal(bad.status, 2)
  t.match(bad.stderr, /not a pcap file/)
  const help = spawnSync(process.execPath, [`${ROOT}scripts/flow-sim.mjs`, '--help'], { encoding: 'utf8' })
  t.equal(help.status, 0)
  t.match(help.stdout, /--reject-unanswered/)
})
