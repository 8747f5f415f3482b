/**
 * Types of scripts/flow-sim.mjs (a plain Node script, so it runs without a build), for the tests.
 */
export declare const DEFAULT_FIELDS: string[]
export declare const SUPPORTED_FIELDS: Set<string>
export declare class PcapError extends Error {}

export interface PcapPacket { time: number, ip: Buffer | null }
export declare function readPcap (buf: Buffer): { linktype: number, packets: PcapPacket[] }
export declare function ipv6Text (b: Buffer, off: number): string

export interface PacketInfo {
  src: string
  dst: string
  protocol: number
  length: number
  srcport: number
  dstport: number
  flags: number
  icmpType: number | null
  type: 'IPv4' | 'IPv6'
}
export declare function packetInfo (ip: Buffer): PacketInfo | null
export declare function neverLogged (info: PacketInfo): boolean

export interface RejectRule { protocol: number, port: number }
export declare function parseRejectRule (text: string): RejectRule

export interface AggregateOptions {
  interval?: number
  reject?: Array<RejectRule | string>
  rejectUnanswered?: boolean
  eniIps?: string[]
  keepUnlogged?: boolean
}

export interface FlowRow {
  window: number
  srcaddr: string
  dstaddr: string
  srcport: number
  dstport: number
  protocol: number
  packets: number
  bytes: number
  start: number
  end: number
  action: 'ACCEPT' | 'REJECT'
  tcpFlags: number
  type: string
  direction: 'ingress' | 'egress' | null
}
export declare function aggregate (packets: PcapPacket[], opts?: AggregateOptions): FlowRow[]

export interface FormatOptions {
  fields?: string[]
  accountId?: string
  interfaceId?: string
  instanceId?: string
  header?: boolean
  nodata?: boolean
  interval?: number
}
export declare function formatRecords (rows: FlowRow[], opts?: FormatOptions): string
export declare function main (argv: string[]): number
