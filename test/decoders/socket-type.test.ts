/**
 * Unit tests for src/decoders/socket-type.ts: socket(2)'s type and protocol → socket type name and
 * transport. Expected values come from the kernel ABI, not from the code under test:
 *   include/linux/net.h: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3, SOCK_RDM 4, SOCK_SEQPACKET 5,
 *     SOCK_DCCP 6, SOCK_PACKET 10; SOCK_NONBLOCK 0x800 (O_NONBLOCK), SOCK_CLOEXEC 0x80000 (O_CLOEXEC)
 *   include/uapi/linux/in.h (IANA numbers): IPPROTO_ICMP 1, IGMP 2, TCP 6, UDP 17, DCCP 33, IPV6 41,
 *     GRE 47, ESP 50, AH 51, ICMPV6 58, SCTP 132, UDPLITE 136, RAW 255, MPTCP 262
 * Type values a1 as they appear in real x86_64 logs: a1=80001 (python), a1=80801 (Node, bash),
 * a1=80002, a1=1.
 */
import t from 'tap'
import { ipProtocolName, socketTypeName, transportOf } from '../../src/decoders/socket-type.js'

const SOCK_STREAM = 1
const SOCK_DGRAM = 2
const SOCK_RAW = 3
const SOCK_RDM = 4
const SOCK_SEQPACKET = 5
const SOCK_DCCP = 6
const SOCK_PACKET = 10
const SOCK_NONBLOCK = 0x800
const SOCK_CLOEXEC = 0x80000

const IPPROTO_IP = 0
const IPPROTO_ICMP = 1
const IPPROTO_TCP = 6
const IPPROTO_UDP = 17
const IPPROTO_ICMPV6 = 58
const IPPROTO_SCTP = 132
const IPPROTO_UDPLITE = 136
const IPPROTO_RAW = 255
const IPPROTO_MPTCP = 262

/** Every combination of the two flag bits socket(2) accepts in type. */
const FLAG_SETS: ReadonlyArray<readonly [number, string]> = [
  [0, 'no flags'],
  [SOCK_NONBLOCK, 'SOCK_NONBLOCK'],
  [SOCK_CLOEXEC, 'SOCK_CLOEXEC'],
  [SOCK_NONBLOCK | SOCK_CLOEXEC, 'SOCK_NONBLOCK|SOCK_CLOEXEC']
]

t.test('SOCK_STREAM with protocol 0 is tcp, whatever flag bits are set', t => {
  for (const [flags, what] of FLAG_SETS) t.equal(transportOf(SOCK_STREAM | flags, IPPROTO_IP), 'tcp', what)
  t.end()
})

t.test('the a1 values of real logs decode to their transports (80801 is stream|nonblock|cloexec)', t => {
  t.equal(0x80801, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 'premise: 0x80801 is SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC')
  t.equal(transportOf(0x80801, 0), 'tcp', 'a1=80801 a2=0')
  t.equal(transportOf(0x80001, 0), 'tcp', 'a1=80001 a2=0')
  t.equal(transportOf(0x80001, 6), 'tcp', 'a1=80001 a2=6')
  t.equal(transportOf(0x1, 6), 'tcp', 'a1=1 a2=6 (curl)')
  t.equal(transportOf(0x80002, 0), 'udp', 'a1=80002 a2=0')
  t.equal(transportOf(0x80802, 0), 'udp', 'a1=80802 a2=0')
  t.end()
})

t.test('SOCK_STREAM with an explicit protocol names that protocol (tcp, sctp one-to-one, mptcp)', t => {
  for (const [flags, what] of FLAG_SETS) {
    t.equal(transportOf(SOCK_STREAM | flags, IPPROTO_TCP), 'tcp', `IPPROTO_TCP, ${what}`)
    t.equal(transportOf(SOCK_STREAM | flags, IPPROTO_SCTP), 'sctp', `IPPROTO_SCTP, ${what}`)
    t.equal(transportOf(SOCK_STREAM | flags, IPPROTO_MPTCP), 'mptcp', `IPPROTO_MPTCP, ${what}`)
  }
  t.end()
})

t.test('SOCK_DGRAM is udp with protocol 0 or IPPROTO_UDP, udplite with IPPROTO_UDPLITE', t => {
  for (const [flags, what] of FLAG_SETS) {
    t.equal(transportOf(SOCK_DGRAM | flags, IPPROTO_IP), 'udp', `protocol 0, ${what}`)
    t.equal(transportOf(SOCK_DGRAM | flags, IPPROTO_UDP), 'udp', `IPPROTO_UDP, ${what}`)
    t.equal(transportOf(SOCK_DGRAM | flags, IPPROTO_UDPLITE), 'udplite', `IPPROTO_UDPLITE, ${what}`)
  }
  t.end()
})

t.test('a ping socket (SOCK_DGRAM with IPPROTO_ICMP or IPPROTO_ICMPV6) is icmp or icmpv6, not udp', t => {
  t.equal(transportOf(SOCK_DGRAM, IPPROTO_ICMP), 'icmp')
  t.equal(transportOf(SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP), 'icmp')
  t.equal(transportOf(SOCK_DGRAM, IPPROTO_ICMPV6), 'icmpv6')
  t.equal(transportOf(SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6), 'icmpv6')
  t.end()
})

t.test('SOCK_RAW with a named protocol gives that protocol (raw ICMP is icmp)', t => {
  for (const [flags, what] of FLAG_SETS) {
    t.equal(transportOf(SOCK_RAW | flags, IPPROTO_ICMP), 'icmp', `IPPROTO_ICMP, ${what}`)
    t.equal(transportOf(SOCK_RAW | flags, IPPROTO_ICMPV6), 'icmpv6', `IPPROTO_ICMPV6, ${what}`)
    t.equal(transportOf(SOCK_RAW | flags, IPPROTO_TCP), 'tcp', `IPPROTO_TCP, ${what}`)
    t.equal(transportOf(SOCK_RAW | flags, IPPROTO_UDP), 'udp', `IPPROTO_UDP, ${what}`)
  }
  t.end()
})

t.test('SOCK_RAW with IPPROTO_RAW or an unnamed protocol is raw', t => {
  for (const [flags, what] of FLAG_SETS) {
    t.equal(transportOf(SOCK_RAW | flags, IPPROTO_RAW), 'raw', `IPPROTO_RAW, ${what}`)
    t.equal(transportOf(SOCK_RAW | flags, 99), 'raw', `protocol 99 (no IPPROTO_ name), ${what}`)
    t.equal(transportOf(SOCK_RAW | flags, 253), 'raw', `protocol 253 (experimental, RFC 3692), ${what}`)
  }
  t.end()
})

t.test('SOCK_SEQPACKET is sctp with protocol 0 or IPPROTO_SCTP', t => {
  for (const [flags, what] of FLAG_SETS) {
    t.equal(transportOf(SOCK_SEQPACKET | flags, IPPROTO_IP), 'sctp', `protocol 0, ${what}`)
    t.equal(transportOf(SOCK_SEQPACKET | flags, IPPROTO_SCTP), 'sctp', `IPPROTO_SCTP, ${what}`)
  }
  t.end()
})

t.test('SOCK_DCCP is dccp', t => {
  t.equal(transportOf(SOCK_DCCP, 0), 'dccp')
  t.equal(transportOf(SOCK_DCCP | SOCK_CLOEXEC, 33), 'dccp')
  t.end()
})

t.test('a type that names no inet transport gives null (0, SOCK_RDM, unassigned 7-9, SOCK_PACKET, 11-15)', t => {
  for (const type of [0, SOCK_RDM, 7, 8, 9, SOCK_PACKET, 11, 15]) {
    t.equal(transportOf(type, 0), null, `type ${type}, protocol 0`)
    t.equal(transportOf(type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP), null, `type ${type} with flags, IPPROTO_TCP`)
  }
  t.end()
})

t.test('socketTypeName names the type from include/linux/net.h and ignores the flag bits', t => {
  const names: ReadonlyArray<readonly [number, string]> = [
    [SOCK_STREAM, 'stream'], [SOCK_DGRAM, 'dgram'], [SOCK_RAW, 'raw'], [SOCK_RDM, 'rdm'],
    [SOCK_SEQPACKET, 'seqpacket'], [SOCK_DCCP, 'dccp'], [SOCK_PACKET, 'packet']
  ]
  for (const [type, name] of names) {
    for (const [flags, what] of FLAG_SETS) t.equal(socketTypeName(type | flags), name, `${type} with ${what}`)
  }
  t.equal(socketTypeName(0x80801), 'stream', 'a1=80801')
  t.equal(socketTypeName(0x80002), 'dgram', 'a1=80002')
  t.end()
})

t.test('socketTypeName is null for type numbers the kernel does not assign', t => {
  for (const type of [0, 7, 8, 9, 11, 12, 15]) {
    t.equal(socketTypeName(type), null, `type ${type}`)
    t.equal(socketTypeName(type | SOCK_CLOEXEC), null, `type ${type} | SOCK_CLOEXEC`)
  }
  t.end()
})

t.test('ipProtocolName gives the IANA names and "ipproto-N" for the rest', t => {
  const names: ReadonlyArray<readonly [number, string]> = [
    [1, 'icmp'], [2, 'igmp'], [6, 'tcp'], [17, 'udp'], [33, 'dccp'], [41, 'ipv6'], [47, 'gre'],
    [50, 'esp'], [51, 'ah'], [58, 'icmpv6'], [132, 'sctp'], [136, 'udplite'], [255, 'raw'], [262, 'mptcp']
  ]
  for (const [n, name] of names) t.equal(ipProtocolName(n), name, `protocol ${n}`)
  t.equal(ipProtocolName(99), 'ipproto-99')
  t.equal(ipProtocolName(0), 'ipproto-0')
  t.end()
})

t.test('SOCK_STREAM or SOCK_DGRAM with a protocol netfilter does not name gives "ipproto-N"', t => {
  t.equal(transportOf(SOCK_STREAM, 99), 'ipproto-99')
  t.equal(transportOf(SOCK_DGRAM | SOCK_CLOEXEC, 99), 'ipproto-99')
  t.end()
})
