/**
 * Stage 5b: the user's filters on kept events (--exclude-loopback, --include-cidr, --exclude-cidr,
 * --result, --key, --exe, --syscall). In: FilterSettings, checked once at start. Out: a predicate
 * that names the filter rejecting an event, or null to keep it. Address filters look at the remote
 * address, or the local one for bind(); an IPv4-mapped address is matched as the IPv4 it carries.
 */
import { createRequire } from 'node:module'
import type IpAddr from 'ipaddr.js'
import type Picomatch from 'picomatch'
import type { NetworkEvent, Result } from '../events/network-event.js'

// ipaddr.js and picomatch are loaded on first use: the command line is parsed on every start
// (also for --version, which omprog's restarts pay for), and most runs use no address filter.
const require = createRequire(import.meta.url)
let ipaddrModule: typeof IpAddr | null = null
const ipaddrLib = (): typeof IpAddr => (ipaddrModule ??= require('ipaddr.js') as typeof IpAddr)
const picomatchLib = (): typeof Picomatch => require('picomatch') as typeof Picomatch

export interface FilterSettings {
  excludeLoopback: boolean
  includeCidr: readonly string[]
  excludeCidr: readonly string[]
  result: readonly Result[] | null
  key: readonly string[] | null
  exe: readonly string[] | null
  syscall: readonly string[] | null
}

export const NO_FILTERS: FilterSettings = {
  excludeLoopback: false, includeCidr: [], excludeCidr: [], result: null, key: null, exe: null, syscall: null
}

export type FilterName = 'loopback' | 'include_cidr' | 'exclude_cidr' | 'result' | 'key' | 'exe' | 'syscall'
export const FILTER_NAMES: readonly FilterName[] = ['loopback', 'include_cidr', 'exclude_cidr', 'result', 'key', 'exe', 'syscall']

export class FilterError extends Error {
  override name = 'FilterError'
}

type Address = IpAddr.IPv4 | IpAddr.IPv6
type Range = [Address, number]

/** Parses "10.0.0.0/8", "2001:db8::/32" or a single address; ::ffff:a.b.c.d/n becomes IPv4. */
export function parseCidr (text: string): Range {
  const address = text.split('/')[0] as string
  // ipaddr.js reads 010.0.0.0 as octal and "10" as 0.0.0.10; as inet_pton, take only a.b.c.d.
  if (!address.includes(':') && !/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(address)) {
    throw new FilterError(`'${text}' is not an IPv4 or IPv6 address or CIDR range`)
  }
  let range: Range
  try {
    const ipaddr = ipaddrLib()
    range = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), ipaddr.parse(text).kind() === 'ipv4' ? 32 : 128]
  } catch {
    throw new FilterError(`'${text}' is not an IPv4 or IPv6 address or CIDR range`)
  }
  const [addr, bits] = range
  if (addr.kind() === 'ipv6' && (addr as IpAddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(addr as IpAddr.IPv6).toIPv4Address(), bits - 96]
  }
  return range
}

function parseIp (text: string): Address | null {
  try {
    const a = ipaddrLib().parse(text)
    return a.kind() === 'ipv6' && (a as IpAddr.IPv6).isIPv4MappedAddress() ? (a as IpAddr.IPv6).toIPv4Address() : a
  } catch {
    return null
  }
}

function inRanges (ip: Address, ranges: readonly Range[]): boolean {
  for (const [net, bits] of ranges) {
    if (net.kind() === ip.kind() && ip.match(net, bits)) return true
  }
  return false
}

/**
 * A --exe pattern: "re:EXPRESSION" is a regular expression (unanchored, as grep), anything else a
 * glob over the path ("*" stops at "/", "**" does not). A prefix, not /slashes/, because paths
 * are full of slashes: "/usr/bin/dig" must not read as /usr\/bin/ with flags d, i and g.
 */
export function compileExePattern (pattern: string): (exe: string) => boolean {
  if (pattern.startsWith('re:')) {
    let re: RegExp
    try {
      re = new RegExp(pattern.slice(3), 'u')
    } catch (err) {
      throw new FilterError(`'${pattern}' is not a valid regular expression: ${(err as Error).message}`)
    }
    return exe => re.test(exe)
  }
  const isMatch = picomatchLib()(pattern, { dot: true })
  return exe => isMatch(exe)
}

export type EventFilter = (ev: NetworkEvent) => FilterName | null

export function compileFilters (s: FilterSettings): EventFilter | null {
  const include = s.includeCidr.map(parseCidr)
  const exclude = s.excludeCidr.map(parseCidr)
  const results = s.result === null ? null : new Set<string>(s.result)
  const keys = s.key === null ? null : new Set(s.key)
  const exes = s.exe === null ? null : s.exe.map(compileExePattern)
  const syscalls = s.syscall === null ? null : new Set(s.syscall)
  const needIp = s.excludeLoopback || include.length > 0 || exclude.length > 0
  if (!needIp && results === null && keys === null && exes === null && syscalls === null) return null

  return ev => {
    if (syscalls !== null && (ev.syscall === null || !syscalls.has(ev.syscall))) return 'syscall'
    if (results !== null && !results.has(ev.result)) return 'result'
    if (keys !== null && !(ev.keys ?? (ev.key === null ? [] : [ev.key])).some(k => keys.has(k))) return 'key'
    if (exes !== null && (ev.process.exe === null || !exes.some(match => match(ev.process.exe as string)))) return 'exe'
    if (needIp) {
      const text = ev.remote?.ip ?? ev.local?.ip
      const ip = typeof text === 'string' ? parseIp(text) : null
      if (ip === null) {
        // No address (socket(), or a family without one): only --include-cidr, which asks for
        // addresses in a range, rejects it.
        if (include.length > 0) return 'include_cidr'
      } else {
        if (s.excludeLoopback && ip.range() === 'loopback') return 'loopback'
        if (include.length > 0 && !inRanges(ip, include)) return 'include_cidr'
        if (exclude.length > 0 && inRanges(ip, exclude)) return 'exclude_cidr'
      }
    }
    return null
  }
}
