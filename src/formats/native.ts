/**
 * Output: a NetworkEvent (native format) → its JSON text as UTF-8 bytes, byte for byte what
 * JSON.stringify gives once encoded. Written out field by field into a JsonWriter because every
 * kept event goes through here, and JSON.stringify walks a nested object generically and makes a
 * string that must then be joined to the others and encoded again; test/formats/native-json.test.ts
 * compares the two on the real captures and on every field shape.
 *
 * The field order is the order in which buildNetworkEvent and SocketContext insert the fields,
 * which is the order JSON.stringify follows: the fixed fields, then the optional ones as added
 * (user names, keys, socketcall, decode_error, transport_hint). Endpoints, whose fields depend on
 * the address family, are written generically in their own key order.
 */
import type { Endpoint, NetworkEvent } from '../events/network-event.js'
import { JsonWriter } from '../sinks/json-writer.js'

/** An endpoint: flat, with string, number or boolean values; anything else is left to JSON.stringify. */
function writeEndpoint (w: JsonWriter, e: Endpoint | null): void {
  if (e === null) {
    w.ascii('null')
    return
  }
  const keys = Object.keys(e)
  for (const k of keys) {
    const t = typeof e[k]
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'undefined') {
      w.json(JSON.stringify(e))
      return
    }
  }
  let first = true
  for (const k of keys) {
    const v = e[k]
    if (v === undefined) continue
    w.ascii(first ? '{' : ',')
    first = false
    w.string(k)
    w.ascii(':')
    if (typeof v === 'string') w.string(v)
    else if (typeof v === 'number') w.number(v)
    else w.ascii(v === true ? 'true' : 'false')
  }
  w.ascii(first ? '{}' : '}')
}

function writeStrings (w: JsonWriter, a: readonly string[]): void {
  w.ascii('[')
  for (let i = 0; i < a.length; i++) {
    if (i > 0) w.ascii(',')
    w.string(a[i] as string)
  }
  w.ascii(']')
}

/** Appends the JSON text of ev (no newline) to w. */
export function writeNativeJson (w: JsonWriter, ev: NetworkEvent): void {
  w.ascii('{"time":')
  w.string(ev.time)
  w.ascii(',"event_id":')
  w.string(ev.event_id)
  w.ascii(',"node":')
  w.stringOrNull(ev.node)
  w.ascii(',"syscall":')
  w.stringOrNull(ev.syscall)
  w.ascii(',"arch":')
  w.stringOrNull(ev.arch)
  w.ascii(',"result":')
  w.string(ev.result)
  w.ascii(',"exit":')
  w.numberOrNull(ev.exit)
  w.ascii(',"errno":')
  w.stringOrNull(ev.errno)
  w.ascii(',"family":')
  w.string(ev.family)
  w.ascii(',"direction":')
  w.stringOrNull(ev.direction)
  w.ascii(',"action":')
  w.stringOrNull(ev.action)
  w.ascii(',"transport":')
  w.stringOrNull(ev.transport)
  w.ascii(',"socket":')
  if (ev.socket === null) {
    w.ascii('null')
  } else {
    w.ascii('{"type":')
    w.stringOrNull(ev.socket.type)
    w.ascii(',"protocol":')
    w.number(ev.socket.protocol)
    w.ascii('}')
  }
  w.ascii(',"remote":')
  writeEndpoint(w, ev.remote)
  w.ascii(',"local":')
  writeEndpoint(w, ev.local)
  w.ascii(',"fd":')
  w.numberOrNull(ev.fd)
  const p = ev.process
  w.ascii(',"process":{"pid":')
  w.numberOrNull(p.pid)
  w.ascii(',"ppid":')
  w.numberOrNull(p.ppid)
  w.ascii(',"exe":')
  w.stringOrNull(p.exe)
  w.ascii(',"comm":')
  w.stringOrNull(p.comm)
  w.ascii(',"argv":')
  if (p.argv === null) w.ascii('null')
  else writeStrings(w, p.argv)
  const u = ev.user
  w.ascii('},"user":{"uid":')
  w.numberOrNull(u.uid)
  w.ascii(',"euid":')
  w.numberOrNull(u.euid)
  w.ascii(',"gid":')
  w.numberOrNull(u.gid)
  w.ascii(',"auid":')
  w.numberOrNull(u.auid)
  w.ascii(',"ses":')
  w.numberOrNull(u.ses)
  if (u.name !== undefined) {
    w.ascii(',"name":')
    w.string(u.name)
  }
  if (u.effective_name !== undefined) {
    w.ascii(',"effective_name":')
    w.string(u.effective_name)
  }
  if (u.group !== undefined) {
    w.ascii(',"group":')
    w.string(u.group)
  }
  if (u.audit_name !== undefined) {
    w.ascii(',"audit_name":')
    w.string(u.audit_name)
  }
  w.ascii('},"tty":')
  w.stringOrNull(ev.tty)
  w.ascii(',"key":')
  w.stringOrNull(ev.key)
  if (ev.keys !== undefined) {
    w.ascii(',"keys":')
    writeStrings(w, ev.keys)
  }
  if (ev.socketcall !== undefined) w.ascii(',"socketcall":true')
  if (ev.decode_error !== undefined) {
    w.ascii(',"decode_error":')
    w.string(ev.decode_error)
  }
  if (ev.transport_hint !== undefined) {
    w.ascii(',"transport_hint":')
    w.string(ev.transport_hint)
  }
  w.ascii('}')
}
