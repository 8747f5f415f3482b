/**
 * Decoder: a SOCKADDR record's saddr hex → a socket address.
 * In: the hex text and the byte order of the event's arch. Out: a decoded address or an error.
 * sa_family and the "host order" fields (scope id, netlink pid, vsock cid…) are in the arch's byte
 * order; ports and IP addresses are always in network order. Never throws.
 */
import { decodeHex, hexDigitValue } from './hex.js'
import { formatIPv4, formatIPv6, isIPv4Mapped } from './ip.js'
import { FAMILY_NAMES } from '../tables/families.js'

export const AF_UNIX = 1
export const AF_INET = 2
export const AF_INET6 = 10
export const AF_NETLINK = 16
export const AF_PACKET = 17
export const AF_VSOCK = 40

export interface InetAddress { family: 'inet', ip: string, port: number }
export interface Inet6Address {
  family: 'inet6', ip: string, port: number, flowinfo: number, scope_id: number
  /** Present when ip was ::ffff:a.b.c.d and is given as the IPv4 text a.b.c.d. */
  ipv4_mapped?: true
}
/** path: "@name" for an abstract name, null for an unnamed socket. */
export interface UnixAddress { family: 'unix', path: string | null }
export interface NetlinkAddress { family: 'netlink', pid: number, groups: number }
export interface PacketAddress { family: 'packet', ifindex: number, protocol: number }
export interface VsockAddress { family: 'vsock', cid: number, port: number }
/** Any family without a decoder: its name (or number) and the raw hex. */
export interface OtherAddress { family: string, family_number: number, raw: string }
export type Sockaddr = InetAddress | Inet6Address | UnixAddress | NetlinkAddress | PacketAddress | VsockAddress | OtherAddress

export interface SockaddrError { error: string, family_number: number | null }
export type SockaddrResult = Sockaddr | SockaddrError

export function isSockaddrError (r: SockaddrResult): r is SockaddrError {
  return 'error' in r
}

/**
 * sa_family from the first two bytes of the hex, without decoding the rest: the selection calls
 * this for every SOCKADDR, most of which (unix, netlink) are dropped. littleEndian null means the
 * arch is unknown (a SOCKADDR without its SYSCALL): families are small numbers, so the byte that is
 * zero tells the order. Returns -1 when the text is too short or not hex.
 */
export function peekFamily (hex: string, littleEndian: boolean | null): number {
  if (hex.length < 4) return -1
  const b0 = (hexDigitValue(hex.charCodeAt(0)) << 4) | hexDigitValue(hex.charCodeAt(1))
  const b1 = (hexDigitValue(hex.charCodeAt(2)) << 4) | hexDigitValue(hex.charCodeAt(3))
  if (b0 < 0 || b1 < 0 || (hex.length & 1) !== 0) return -1
  const le = littleEndian ?? !(b0 === 0 && b1 !== 0)
  return le ? b0 | (b1 << 8) : (b0 << 8) | b1
}

export function familyName (n: number): string {
  switch (n) {
    case AF_UNIX: return 'unix'
    default: return FAMILY_NAMES[n] || String(n)
  }
}

export function decodeSockaddr (hex: string, littleEndian: boolean | null): SockaddrResult {
  const b = decodeHex(hex)
  if (b === null) return { error: `saddr is not an even-length hex string (${hex.length} chars)`, family_number: null }
  if (b.length < 2) return { error: 'saddr shorter than sa_family', family_number: null }
  const le = littleEndian ?? !(b[0] === 0 && b[1] !== 0)
  const family = le ? b.readUInt16LE(0) : b.readUInt16BE(0)
  const u32 = (off: number): number => le ? b.readUInt32LE(off) : b.readUInt32BE(off)
  const tooShort = (what: string, need: number): SockaddrError =>
    ({ error: `${what} needs ${need} bytes, saddr has ${b.length}`, family_number: family })
  switch (family) {
    case AF_INET:
      if (b.length < 8) return tooShort('sockaddr_in', 8)
      return { family: 'inet', ip: formatIPv4(b, 4), port: b.readUInt16BE(2) }
    case AF_INET6: {
      if (b.length < 24) return tooShort('sockaddr_in6', 24)
      const a: Inet6Address = {
        family: 'inet6',
        ip: '',
        port: b.readUInt16BE(2),
        flowinfo: b.readUInt32BE(4),
        scope_id: b.length >= 28 ? u32(24) : 0
      }
      if (isIPv4Mapped(b, 8)) {
        a.ip = formatIPv4(b, 20)
        a.ipv4_mapped = true
      } else {
        a.ip = formatIPv6(b, 8)
      }
      return a
    }
    case AF_UNIX: {
      if (b.length === 2) return { family: 'unix', path: null }
      if (b[2] === 0) {
        // Abstract name: every byte up to addrlen counts, NULs included; shown as ss(8) does.
        return { family: 'unix', path: '@' + b.toString('utf8', 3).replace(/\0/g, '@') }
      }
      const nul = b.indexOf(0, 2)
      return { family: 'unix', path: b.toString('utf8', 2, nul < 0 ? b.length : nul) }
    }
    case AF_NETLINK:
      if (b.length < 12) return tooShort('sockaddr_nl', 12)
      return { family: 'netlink', pid: u32(4), groups: u32(8) }
    case AF_PACKET:
      if (b.length < 8) return tooShort('sockaddr_ll', 8)
      return { family: 'packet', ifindex: u32(4), protocol: b.readUInt16BE(2) }
    case AF_VSOCK:
      if (b.length < 12) return tooShort('sockaddr_vm', 12)
      return { family: 'vsock', port: u32(4), cid: u32(8) }
    default:
      return { family: familyName(family), family_number: family, raw: hex.toUpperCase() }
  }
}
