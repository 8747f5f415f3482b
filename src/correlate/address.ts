/**
 * IP address text → the one canonical text both sides of the join use, and the address classes
 * that VPC Flow Logs never record. In: address text from a flow log, an audit event or a flag.
 * Out: canonical text (IPv4 dotted quad; IPv6 per RFC 5952; ::ffff:a.b.c.d as a.b.c.d) or null,
 * and range tests. Pure.
 */
import ipaddr from 'ipaddr.js'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * Canonical text of an IPv4 or IPv6 address, or null when the text is not one. IPv4 text is taken
 * only as a.b.c.d without leading zeros (ipaddr.js would read "010.0.0.1" as octal and "10" as
 * 0.0.0.10, which no flow log or audit record means). An IPv4-mapped IPv6 address becomes its IPv4
 * text, which is how netfilter writes it (with ipv4_mapped) and how the packets appear on the wire.
 */
export function canonicalIp (text: string): string | null {
  // The hot path: flow logs are mostly IPv4 and already canonical.
  if (IPV4.test(text)) return text
  if (!text.includes(':')) return null
  let addr: ipaddr.IPv6
  try {
    const parsed = ipaddr.parse(text)
    if (parsed.kind() !== 'ipv6') return null
    addr = parsed as ipaddr.IPv6
  } catch {
    return null
  }
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address().toString()
  return addr.toRFC5952String()
}

export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses a CIDR range ("10.0.0.0/16", "2001:db8::/64") or a single address; null when invalid. */
export function parseRange (text: string): IpRange | null {
  const [address, bits] = text.split('/')
  if (address === undefined) return null
  const ip = canonicalIp(address)
  if (ip === null) return null
  const addr = ipaddr.parse(ip)
  const max = addr.kind() === 'ipv4' ? 32 : 128
  const n = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : -1
  if (n < 0 || n > max) return null
  return [addr, n]
}

export function inRange (ip: string, range: IpRange): boolean {
  const addr = ipaddr.parse(ip)
  return addr.kind() === range[0].kind() && addr.match(range)
}

/** The address `offset` above the range's base: the VPC router is base+1, Amazon DNS base+2. */
export function rangeOffset (range: IpRange, offset: number): string {
  const bytes = range[0].toByteArray()
  const bits = range[1]
  // Zero the host part, then add the offset with carries from the last byte.
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    bytes[i] = (bytes[i] as number) & (0xff << (8 - keep)) & 0xff
  }
  let carry = offset
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const v = (bytes[i] as number) + carry
    bytes[i] = v & 0xff
    carry = v >> 8
  }
  const addr = ipaddr.fromByteArray(bytes)
  return addr.kind() === 'ipv4' ? addr.toString() : (addr as ipaddr.IPv6).toRFC5952String()
}

/** Why a flow log never holds traffic to or from this address, or null when it may. */
export type AddressClass = 'loopback' | 'unspecified' | 'link_local' | 'multicast' | 'broadcast'

export function addressClass (ip: string): AddressClass | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6
  try {
    addr = ipaddr.parse(ip)
  } catch {
    return null
  }
  switch (addr.range()) {
    case 'loopback': return 'loopback'
    case 'unspecified': return 'unspecified'
    case 'linkLocal': return 'link_local'
    case 'multicast': return 'multicast'
    case 'broadcast': return 'broadcast'
    default: return null
  }
}
