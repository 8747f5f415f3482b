/**
 * Decoder: socket(2)'s type and protocol arguments → socket type name and transport.
 * type carries SOCK_NONBLOCK and SOCK_CLOEXEC in its high bits; SOCK_TYPE_MASK (0xf) leaves the
 * type (include/linux/net.h). protocol 0 means the family's default for the type. Values are those
 * of every arch netfilter has tables for (MIPS numbers SOCK_STREAM and SOCK_DGRAM the other way).
 */

const SOCK_TYPE_MASK = 0xf
const SOCK_TYPES: readonly string[] = ['', 'stream', 'dgram', 'raw', 'rdm', 'seqpacket', 'dccp', '', '', '', 'packet']

/** IANA protocol numbers (IPPROTO_*) netfilter names; others are given as "ipproto-N". */
const IPPROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'], [2, 'igmp'], [6, 'tcp'], [17, 'udp'], [33, 'dccp'], [41, 'ipv6'], [47, 'gre'],
  [50, 'esp'], [51, 'ah'], [58, 'icmpv6'], [132, 'sctp'], [136, 'udplite'], [255, 'raw'], [262, 'mptcp']
])

export function socketTypeName (type: number): string | null {
  return SOCK_TYPES[type & SOCK_TYPE_MASK] || null
}

export function ipProtocolName (protocol: number): string {
  return IPPROTO_NAMES.get(protocol) ?? `ipproto-${protocol}`
}

/**
 * Transport of an inet/inet6 socket from socket(family, type, protocol): "tcp", "udp", "sctp",
 * "icmp", "icmpv6", "raw", … A raw socket with a named protocol gives that protocol (a raw ICMP
 * socket is "icmp": that is what a flow log sees); IPPROTO_RAW or an unnamed one gives "raw".
 * Null for a combination that does not name a transport.
 */
export function transportOf (type: number, protocol: number): string | null {
  const t = type & SOCK_TYPE_MASK
  switch (t) {
    case 1: // SOCK_STREAM
      return protocol === 0 ? 'tcp' : ipProtocolName(protocol)
    case 2: // SOCK_DGRAM: UDP, or ICMP "ping sockets" (net.ipv4.ping_group_range)
      return protocol === 0 ? 'udp' : ipProtocolName(protocol)
    case 3: // SOCK_RAW
      return protocol === 0 || !IPPROTO_NAMES.has(protocol) ? 'raw' : ipProtocolName(protocol)
    case 5: // SOCK_SEQPACKET: SCTP one-to-one
      return protocol === 0 ? 'sctp' : ipProtocolName(protocol)
    case 6: // SOCK_DCCP
      return 'dccp'
    default:
      return null
  }
}
