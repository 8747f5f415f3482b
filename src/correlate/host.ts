/**
 * Who the host is, and what its flow log can never show. In: --host-ip, --instance-id,
 * --interface-id, --vpc-cidr, --amazon-dns, plus local addresses learned from bind() events.
 * Out: which side of a flow record is the host (orientation), and why an address is never in a
 * VPC flow log (metadata, time sync, Amazon DNS, DHCP, link-local, …).
 */
import { addressClass, canonicalIp, parseRange, rangeOffset } from './address.js'
import type { FlowRecord } from './flow-log.js'

export class HostIdentityError extends Error {
  override name = 'HostIdentityError'
}

export interface HostSettings {
  hostIps: readonly string[]
  instanceIds: readonly string[]
  interfaceIds: readonly string[]
  /** VPC CIDR blocks: their base+1 (router) and base+2 (Amazon DNS) are never logged. */
  vpcCidrs: readonly string[]
  /** Further Amazon DNS resolver addresses. */
  amazonDns: readonly string[]
}

/** One side of a flow: which end is the host, and the peer's address and port. */
export interface Orientation {
  /** true: the host is the flow's source (egress record); false: its destination. */
  hostIsSource: boolean
  hostIp: string | null
  hostPort: number | null
  remoteIp: string
  remotePort: number | null
  /** "ip|port" of the peer, as HostEvent.key. */
  key: string
}

/**
 * Addresses AWS documents as never logged (integration.md §5.3), IPv4 and the IPv6 forms of the
 * Nitro link-local services: instance metadata, Time Sync, the Amazon DNS resolver.
 */
const AWS_SERVICES: ReadonlyMap<string, NeverLogged> = new Map([
  ['169.254.169.254', 'instance_metadata'], ['fd00:ec2::254', 'instance_metadata'],
  ['169.254.169.123', 'time_sync'], ['fd00:ec2::123', 'time_sync'],
  ['169.254.169.253', 'amazon_dns'], ['fd00:ec2::253', 'amazon_dns']
])

export type NeverLogged = 'instance_metadata' | 'time_sync' | 'amazon_dns' | 'vpc_router' | 'dhcp' | 'link_local'
  | 'multicast' | 'broadcast' | 'unspecified'

export class HostIdentity {
  private readonly ips = new Set<string>()
  private readonly learned = new Set<string>()
  private readonly interfaces: ReadonlySet<string>
  private readonly instances: ReadonlySet<string>
  private readonly special = new Map<string, NeverLogged>(AWS_SERVICES)

  constructor (s: HostSettings) {
    for (const text of s.hostIps) {
      const ip = canonicalIp(text)
      if (ip === null) throw new HostIdentityError(`--host-ip '${text}' is not an IPv4 or IPv6 address`)
      this.ips.add(ip)
    }
    for (const text of s.vpcCidrs) {
      const range = parseRange(text)
      if (range === null || !text.includes('/')) throw new HostIdentityError(`--vpc-cidr '${text}' is not a CIDR range`)
      this.special.set(rangeOffset(range, 1), 'vpc_router')
      this.special.set(rangeOffset(range, 2), 'amazon_dns')
    }
    for (const text of s.amazonDns) {
      const ip = canonicalIp(text)
      if (ip === null) throw new HostIdentityError(`--amazon-dns '${text}' is not an IPv4 or IPv6 address`)
      this.special.set(ip, 'amazon_dns')
    }
    this.interfaces = new Set(s.interfaceIds)
    this.instances = new Set(s.instanceIds)
    if (this.ips.size === 0 && this.interfaces.size === 0 && this.instances.size === 0) {
      throw new HostIdentityError('say which host the events come from: --host-ip, --instance-id or --interface-id')
    }
  }

  /**
   * A local address the host bound to (a secondary IP, an explicit listen address). Loopback,
   * link-local and the like never appear in a flow log, so they teach nothing.
   */
  learn (ip: string): void {
    if (addressClass(ip) !== null || this.ips.has(ip)) return
    this.learned.add(ip)
  }

  isHostIp (ip: string | null): boolean {
    return ip !== null && (this.ips.has(ip) || this.learned.has(ip))
  }

  get learnedIps (): string[] {
    return [...this.learned]
  }

  /** The flow belongs to a selected interface or instance. */
  private selectedById (f: FlowRecord): boolean {
    const instance = f.fields['instance_id']
    return (f.interface_id !== null && this.interfaces.has(f.interface_id)) ||
      (typeof instance === 'string' && this.instances.has(instance))
  }

  /**
   * Which side of the flow is the host. By address first (srcaddr or pkt-srcaddr is a host
   * address → the host sent it); for a flow of a selected interface or instance whose addresses
   * are not known to be the host's, by flow-direction (egress: the host sent it); failing that,
   * both readings are returned and the host events decide. [] = not this host's flow.
   */
  orient (f: FlowRecord): Orientation[] {
    const pktSrc = f.fields['pkt_srcaddr']
    const pktDst = f.fields['pkt_dstaddr']
    const srcIsHost = this.isHostIp(f.srcaddr) || (typeof pktSrc === 'string' && this.isHostIp(pktSrc))
    const dstIsHost = this.isHostIp(f.dstaddr) || (typeof pktDst === 'string' && this.isHostIp(pktDst))
    if (srcIsHost) return side(f, true)
    if (dstIsHost) return side(f, false)
    if (!this.selectedById(f)) return []
    const direction = f.fields['flow_direction']
    if (direction === 'egress') return side(f, true)
    if (direction === 'ingress') return side(f, false)
    return [...side(f, true), ...side(f, false)]
  }

  /**
   * Why traffic between the host and this peer is never in a VPC flow log, or null. DHCP is
   * recognised by its ports (UDP 67/68), the rest by address.
   */
  neverLogged (ip: string, remotePort: number, localPort: number | null, protocol: number | null): NeverLogged | null {
    const named = this.special.get(ip)
    if (named !== undefined) return named
    if (protocol !== 6 && (remotePort === 67 || remotePort === 68 || localPort === 68 || remotePort === 547 || remotePort === 546)) {
      return 'dhcp'
    }
    const cls = addressClass(ip)
    return cls === null || cls === 'loopback' ? null : cls
  }
}

/** The packet-level address when the record has one (secondary IPs, NAT), else the ENI's. */
function peerAddress (f: FlowRecord, source: boolean): string | null {
  const pkt = f.fields[source ? 'pkt_srcaddr' : 'pkt_dstaddr']
  if (typeof pkt === 'string') return pkt
  return source ? f.srcaddr : f.dstaddr
}

function side (f: FlowRecord, hostIsSource: boolean): Orientation[] {
  const remoteIp = peerAddress(f, !hostIsSource)
  if (remoteIp === null) return []
  const remotePort = hostIsSource ? f.dstport : f.srcport
  return [{
    hostIsSource,
    hostIp: hostIsSource ? f.srcaddr : f.dstaddr,
    hostPort: hostIsSource ? f.srcport : f.dstport,
    remoteIp,
    remotePort,
    // ICMP has no ports: a ping socket's sendto() names port 0, so ICMP flows are looked up there.
    key: `${remoteIp}|${isIcmp(f.protocol) ? 0 : remotePort ?? 0}`
  }]
}

export const isIcmp = (protocol: number | null): boolean => protocol === 1 || protocol === 58
