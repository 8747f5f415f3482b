/**
 * Public API: the filter core and its stages, for use as a library.
 * Each export is one stage; see the module headers for what goes in and out.
 */
export { NetFilter, DEFAULT_FILTER_OPTIONS } from './filter.js'
export type { FilterOptions, Stats, OutputHandler } from './filter.js'
export { run } from './pipeline.js'
export type { RunOptions, RunIO, RunResult } from './pipeline.js'
export { LineSplitter } from './lines/line-splitter.js'
export { RecordHeader, scanHeader } from './records/header.js'
export { parseFields } from './records/fields.js'
export { EventAssembler } from './events/assembler.js'
export type { PendingEvent, AssemblerOptions } from './events/assembler.js'
export { selectEvent } from './selection/select.js'
export type { Verdict, DropReason } from './selection/select.js'
export { buildNetworkEvent } from './events/network-event.js'
export type { NetworkEvent, Endpoint } from './events/network-event.js'
export { decodeSockaddr, peekFamily } from './decoders/sockaddr.js'
export type { Sockaddr, SockaddrResult } from './decoders/sockaddr.js'
export { decodeArch } from './decoders/arch.js'
export { syscallName, errnoName, resolveSocketcall } from './decoders/syscall.js'
export { decodeProctitle } from './decoders/proctitle.js'
export { formatIPv4, formatIPv6 } from './decoders/ip.js'
