/**
 * toOcsf: native events built from real audit records (test/fixtures/record-formats.log, a slice of
 * ../shared/corpus/real/x86_64-enriched-plugin-stream.log.gz with the socket() and bind() calls the
 * chosen events depend on) → OCSF 1.1.0 Network Activity events, each checked against
 * schemas/ocsf.schema.json. The direction-dependent fields are asserted call by call; then the
 * whole real capture is converted.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import type { NetworkEvent } from '../../src/events/network-event.js'
import { NETFILTER_VERSION, OCSF_VERSION, toOcsf, type OcsfEvent } from '../../src/formats/ocsf.js'
import { ROOT, assertSchemaValid, readShared, runFilter, schemaErrors } from '../helpers/filter.js'

const { events } = runFilter(readFileSync(`${ROOT}test/fixtures/record-formats.log`)) // native schema checked

/** Event ids in the fixture (all from pid 16744, traffic.py, except the curl connect). */
const ID = {
  socketTcp: '1795640802.826:80253', // socket(AF_INET, SOCK_STREAM) → fd 3
  bind: '1795640802.826:80254', // bind(3, 127.0.0.1:0)
  connect: '1795640802.834:80265', // connect(9, 127.0.0.1:36435), tcp, success
  accept: '1795640802.834:80266', // accept4(3) ← 127.0.0.1:38512
  connectMapped: '1795640802.866:80291', // connect(9, [::ffff:127.0.0.1]:38507) on an inet6 socket
  acceptWildcard: '1795640802.866:80292', // accept4(6) on the [::]:0 listener ← ::ffff:127.0.0.1
  socketUdp6: '1795640802.866:80296',
  sendmsg: '1795640802.866:80297', // sendmsg(9, [::1]:9), udp
  sendto: '1795640802.906:80317', // sendto(9, 127.0.0.1:45024), udp
  refused: '1795640802.918:80338', // connect(9, 127.0.0.1:1) = ECONNREFUSED
  connect6: '1795640802.918:80340', // connect(9, [::1]:51977)
  inProgress: '1795640802.982:80416' // curl: connect(5, 127.0.0.1:45419) = EINPROGRESS
} as const

function native (id: string): NetworkEvent {
  const ev = events.find(e => e.event_id === id)
  if (ev === undefined) throw new Error(`fixture has no event ${id}`)
  return ev
}

/** A native event changed by the caller, checked against the native schema first. */
function variant (id: string, change: (ev: NetworkEvent) => void): NetworkEvent {
  const ev = structuredClone(native(id))
  change(ev)
  assertSchemaValid([ev])
  return ev
}

function ocsf (ev: NetworkEvent): OcsfEvent {
  const out = toOcsf(ev)
  assertSchemaValid([out], 'ocsf')
  return out
}

/** Paths of every null or undefined value (and of undefined array items). */
function holes (value: unknown, path = ''): string[] {
  if (value === null || value === undefined) return [path]
  if (Array.isArray(value)) return value.flatMap((v, i) => holes(v, `${path}[${i}]`))
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => holes(v, `${path}.${k}`))
  return []
}

const classification = (e: OcsfEvent): unknown[] => [e.activity_id, e.activity_name, e.type_uid, e.type_name]

t.test('every event of the fixture converts to a schema-valid OCSF 1.1.0 Network Activity event', async t => {
  t.equal(events.length, 37, 'the fixture gives 37 native events')
  const out = events.map(e => toOcsf(e))
  assertSchemaValid(out, 'ocsf')
  t.same(out.flatMap(e => holes(e)), [], 'no attribute is null or undefined: absent data is left out')
  t.ok(out.every(e => e.class_uid === 4001 && e.category_uid === 4 && e.class_name === 'Network Activity' &&
    e.category_name === 'Network Activity' && e.severity_id === 1 && e.severity === 'Informational'), 'class, category, severity')
  t.ok(out.every(e => e.type_uid === 400100 + e.activity_id), 'type_uid = class_uid * 100 + activity_id')
  t.ok(out.every(e => e.metadata.version === OCSF_VERSION && OCSF_VERSION === '1.1.0'), 'metadata.version is pinned to 1.1.0')
  t.same([...new Set(out.map(e => e.activity_id))].sort((a, b) => a - b), [1, 5, 6, 99], 'Open, Refuse, Traffic and Other occur')
})

t.test('connect puts the remote on dst_endpoint and, with no bind seen, leaves src_endpoint out', async t => {
  const e = ocsf(native(ID.connect))
  t.same(classification(e), [1, 'Open', 400101, 'Network Activity: Open'])
  t.same(e.dst_endpoint, { ip: '127.0.0.1', port: 36435 })
  t.notOk('src_endpoint' in e, 'the local address of an unbound socket is not in the audit record')
  t.same(e.connection_info, {
    direction_id: 2, direction: 'Outbound', protocol_num: 6, protocol_name: 'tcp', protocol_ver_id: 4, protocol_ver: 'Internet Protocol version 4 (IPv4)'
  })
  t.same([e.status_id, e.status], [1, 'Success'])
  t.notOk('status_code' in e, 'no errno on success')
  t.equal(e.time, Date.parse('2026-11-25T21:06:42.834Z'), 'epoch milliseconds')
  t.same(e.actor, {
    process: {
      pid: 16744,
      cmd_line: '/usr/bin/env bash /root/.pyenv/shims/python3 /tmp/capture/traffic.py 3000 1',
      name: 'python3',
      file: { name: 'python3.11', path: '/root/.pyenv/versions/3.11.7/bin/python3.11', type_id: 1 },
      parent_process: { pid: 16663 },
      user: { uid: '0', name: 'root' }
    },
    user: { uid: '0', name: 'root' }
  }, 'no actor.session: ses and tty were unset')
  t.match(e.unmapped, { event_id: ID.connect, syscall: 'connect', arch: 'x86_64', result: 'success', exit: 0, fd: 9, family: 'inet', transport: 'tcp', socket: { type: 'stream', protocol: 6 }, remote: { ip: '127.0.0.1', port: 36435 }, euid: 0, gid: 0, key: 'net_connect' })
})

t.test('a non-blocking connect in progress is Open with status Other: In Progress', async t => {
  const e = ocsf(native(ID.inProgress))
  t.same(classification(e), [1, 'Open', 400101, 'Network Activity: Open'], 'the open was started')
  t.same([e.status_id, e.status, e.status_code], [99, 'In Progress', 'EINPROGRESS'], 'neither success nor failure yet')
  t.same(e.dst_endpoint, { ip: '127.0.0.1', port: 45419 })
  t.match(e.actor?.process, { name: 'curl', file: { name: 'curl', path: '/usr/bin/curl' } })
})

t.test('failed connects are Refuse, Reset or Fail by errno', async t => {
  const refused = ocsf(native(ID.refused))
  t.same(classification(refused), [5, 'Refuse', 400105, 'Network Activity: Refuse'])
  t.same([refused.status_id, refused.status, refused.status_code], [2, 'Failure', 'ECONNREFUSED'])
  t.same(refused.dst_endpoint, { ip: '127.0.0.1', port: 1 })
  const reset = ocsf(variant(ID.refused, ev => { ev.exit = -104; ev.errno = 'ECONNRESET' }))
  t.same(classification(reset), [3, 'Reset', 400103, 'Network Activity: Reset'])
  const timeout = ocsf(variant(ID.refused, ev => { ev.exit = -110; ev.errno = 'ETIMEDOUT' }))
  t.same(classification(timeout), [4, 'Fail', 400104, 'Network Activity: Fail'])
  t.equal(timeout.status_code, 'ETIMEDOUT')
})

t.test('an IPv4-mapped peer on an inet6 socket is IPv4 traffic with the IPv4 address', async t => {
  const e = ocsf(native(ID.connectMapped))
  t.same(e.dst_endpoint, { ip: '127.0.0.1', port: 38507 })
  t.same([e.connection_info.protocol_ver_id, e.connection_info.protocol_ver], [4, 'Internet Protocol version 4 (IPv4)'])
  t.match(e.unmapped, { family: 'inet6', remote: { ipv4_mapped: true } }, 'the socket family and the mapping are kept')
  const v6 = ocsf(native(ID.connect6))
  t.same(v6.dst_endpoint, { ip: '::1', port: 51977 })
  t.same([v6.connection_info.protocol_ver_id, v6.connection_info.protocol_ver], [6, 'Internet Protocol version 6 (IPv6)'])
})

t.test('accept4 puts the peer on src_endpoint and the listening socket\'s address on dst_endpoint', async t => {
  const e = ocsf(native(ID.accept))
  t.same(classification(e), [1, 'Open', 400101, 'Network Activity: Open'])
  t.same(e.src_endpoint, { ip: '127.0.0.1', port: 38512 }, 'the peer returned by accept4')
  t.same(e.dst_endpoint, { ip: '127.0.0.1' }, 'the bound address; bind() asked for port 0, so the port is unknown')
  t.same([e.connection_info.direction_id, e.connection_info.direction], [1, 'Inbound'])
  t.same(e.unmapped.local, { ip: '127.0.0.1', port: 0 })
})

t.test('accept4 puts the listening port on dst_endpoint when bind() named it', async t => {
  const specific = ocsf(variant(ID.accept, ev => { ev.local = { ip: '10.0.0.5', port: 8080 } }))
  t.same(specific.dst_endpoint, { ip: '10.0.0.5', port: 8080 })
  const wildcard = ocsf(variant(ID.accept, ev => { ev.local = { ip: '0.0.0.0', port: 8080 } }))
  t.same(wildcard.dst_endpoint, { port: 8080 }, 'a wildcard bind gives the port, not the address the peer reached')
})

t.test('accept4 on a wildcard listener with port 0 has no dst_endpoint', async t => {
  const e = ocsf(native(ID.acceptWildcard))
  t.notOk('dst_endpoint' in e)
  t.same(e.src_endpoint, { ip: '127.0.0.1', port: 44852 })
  t.same(e.unmapped.local, { ip: '::', port: 0, flowinfo: 0, scope_id: 0 })
})

t.test('a failed accept took no connection: Other, named by the syscall', async t => {
  const e = ocsf(variant(ID.accept, ev => { ev.result = 'failed'; ev.exit = -11; ev.errno = 'EAGAIN'; ev.remote = null }))
  t.same(classification(e), [99, 'accept4', 400199, 'Network Activity: Other'])
  t.same([e.status_id, e.status, e.status_code], [2, 'Failure', 'EAGAIN'])
  t.notOk('src_endpoint' in e)
})

t.test('bind has only the local endpoint: in unmapped.local, as activity Other (1.1.0 has no Listen)', async t => {
  const e = ocsf(native(ID.bind))
  t.same(classification(e), [99, 'bind', 400199, 'Network Activity: Other'])
  t.notOk('src_endpoint' in e || 'dst_endpoint' in e, 'a bind does not say which side of future traffic the socket is')
  t.same(e.unmapped.local, { ip: '127.0.0.1', port: 0 })
  t.notOk('remote' in e.unmapped)
  t.same(e.connection_info, {
    direction_id: 0, direction: 'Unknown', protocol_num: 6, protocol_name: 'tcp', protocol_ver_id: 4, protocol_ver: 'Internet Protocol version 4 (IPv4)'
  })
})

t.test('socket has no endpoint', async t => {
  const e = ocsf(native(ID.socketTcp))
  t.same(classification(e), [99, 'socket', 400199, 'Network Activity: Other'])
  t.notOk('src_endpoint' in e || 'dst_endpoint' in e)
  t.notOk('local' in e.unmapped || 'remote' in e.unmapped)
  t.match(e.unmapped, { fd: 3, exit: 3, socket: { type: 'stream', protocol: 0 } })
  t.same([e.connection_info.direction_id, e.connection_info.protocol_num, e.connection_info.protocol_name], [0, 6, 'tcp'])
  const udp6 = ocsf(native(ID.socketUdp6))
  t.same([udp6.connection_info.protocol_num, udp6.connection_info.protocol_name, udp6.connection_info.protocol_ver_id], [17, 'udp', 6])
})

t.test('sendto and sendmsg are Traffic with the remote on dst_endpoint', async t => {
  const sendto = ocsf(native(ID.sendto))
  t.same(classification(sendto), [6, 'Traffic', 400106, 'Network Activity: Traffic'])
  t.same(sendto.dst_endpoint, { ip: '127.0.0.1', port: 45024 })
  t.notOk('src_endpoint' in sendto)
  t.same([sendto.connection_info.direction_id, sendto.connection_info.protocol_num, sendto.connection_info.protocol_name], [2, 17, 'udp'])
  const sendmsg = ocsf(native(ID.sendmsg))
  t.same(classification(sendmsg), [6, 'Traffic', 400106, 'Network Activity: Traffic'])
  t.same(sendmsg.dst_endpoint, { ip: '::1', port: 9 })
  t.equal(sendmsg.connection_info.protocol_ver_id, 6)
  const recv = ocsf(variant(ID.sendto, ev => { ev.syscall = 'recvfrom'; ev.direction = 'inbound'; ev.action = 'receive' }))
  t.same(recv.src_endpoint, { ip: '127.0.0.1', port: 45024 }, 'recvfrom: the remote is the source')
  t.same([recv.activity_id, recv.connection_info.direction_id], [6, 1])
})

t.test('metadata, device and actor session', async t => {
  const e = ocsf(native(ID.connect))
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }
  t.equal(NETFILTER_VERSION, pkg.version, 'product version follows package.json')
  t.same(e.metadata, {
    version: '1.1.0',
    product: { name: 'netfilter', vendor_name: 'netfilter', version: pkg.version },
    uid: ID.connect,
    original_time: '1795640802.834',
    sequence: 80265,
    profiles: ['host']
  })
  t.equal(toOcsf(native(ID.connect), { productVersion: '9.9.9' }).metadata.product.version, '9.9.9', 'the version can be given')
  t.notOk('device' in e, 'no node= in this capture')

  const logged = ocsf(variant(ID.connect, ev => {
    ev.node = 'web-1'
    // process and user are the filter's shared, frozen objects: replaced, not changed.
    ev.user = { ...ev.user, ses: 3, auid: 1000 }
    ev.tty = 'pts0'
    ev.keys = ['net_connect', 'egress']
    ev.process = { ...ev.process, argv: null }
  }))
  t.same(logged.device, { hostname: 'web-1', type_id: 0 })
  t.same(logged.actor?.session, { uid: '3', terminal: 'pts0' })
  t.equal(logged.actor?.process?.cmd_line, '', 'no PROCTITLE: the empty string, as OCSF asks')
  t.match(logged.unmapped, { auid: 1000, key: 'net_connect', keys: ['net_connect', 'egress'] })
})

t.test('protocol: IANA numbers and keywords only from what socket() said', async t => {
  const icmp6 = ocsf(variant(ID.socketUdp6, ev => { ev.transport = 'icmpv6'; ev.socket = { type: 'dgram', protocol: 58 } }))
  t.same([icmp6.connection_info.protocol_num, icmp6.connection_info.protocol_name], [58, 'ipv6-icmp'])
  const mptcp = ocsf(variant(ID.socketTcp, ev => { ev.transport = 'mptcp'; ev.socket = { type: 'stream', protocol: 262 } }))
  t.same([mptcp.connection_info.protocol_num, mptcp.connection_info.protocol_name, mptcp.unmapped.transport], [6, 'tcp', 'mptcp'])
  const guessed = ocsf(variant(ID.connect, ev => { ev.transport = null; ev.socket = null; ev.transport_hint = 'tcp' }))
  t.notOk('protocol_num' in guessed.connection_info || 'protocol_name' in guessed.connection_info, 'no protocol from a guess')
  t.equal(guessed.unmapped.transport_hint, 'tcp')
})

t.test('toOcsf is pure: the input is unchanged and shares nothing with the output', async t => {
  for (const ev of events) {
    const before = structuredClone(ev)
    const out = toOcsf(ev)
    t.same(ev, before, `${ev.event_id} unchanged`)
    if (out.unmapped.remote !== undefined) out.unmapped.remote.port = -1
    if (out.unmapped.local !== undefined) out.unmapped.local.port = -1
    if (out.unmapped.socket !== undefined) out.unmapped.socket.protocol = -1
    t.same(ev, before, `${ev.event_id} unchanged after the output is modified`)
  }
})

t.test('the OCSF schema rejects events that break the mapping', async t => {
  const connect = toOcsf(native(ID.connect))
  t.not(schemaErrors({ ...connect, type_uid: 400106 }, 'ocsf').length, 0, 'type_uid follows activity_id')
  t.not(schemaErrors({ ...connect, activity_name: 'Traffic' }, 'ocsf').length, 0, 'activity_name follows activity_id')
  t.not(schemaErrors({ ...connect, activity_id: 7, type_uid: 400107 }, 'ocsf').length, 0, '7 Listen does not exist in 1.1.0')
  t.not(schemaErrors({ ...connect, status_id: 2, status: 'Failure' }, 'ocsf').length, 0, 'status follows the native result')
  t.not(schemaErrors({ ...connect, connection_info: { ...connect.connection_info, direction: 'Inbound' } }, 'ocsf').length, 0,
    'direction follows direction_id')
  t.not(schemaErrors({ ...connect, dst_endpoint: { ip: '127.0.0.1', port: 70000 } }, 'ocsf').length, 0, 'ports are 16 bits')
  t.not(schemaErrors({ ...connect, metadata: { ...connect.metadata, version: '1.3.0' } }, 'ocsf').length, 0, 'one pinned version')
  t.not(schemaErrors({ ...connect, src_endpoint: null }, 'ocsf').length, 0, 'no nulls')
  const bind = toOcsf(native(ID.bind))
  t.not(schemaErrors({ ...bind, dst_endpoint: { ip: '127.0.0.1' } }, 'ocsf').length, 0, 'bind has no endpoint')
})

const CORPUS = 'corpus/real/x86_64-enriched-plugin-stream.log.gz'
const real = readShared(CORPUS)
const absent = `../shared/${CORPUS} is absent (a user's clone has no ../shared): OCSF conversion of the full real capture NOT checked`

t.test('every event of the full real capture converts to a schema-valid OCSF event', real === null ? { skip: absent } : {}, async t => {
  const input = real as Buffer
  const { events: all } = runFilter(input)
  t.ok(all.length > 6000, `${all.length} native events`)
  const out = all.map(e => toOcsf(e))
  assertSchemaValid(out, 'ocsf')
  t.same(out.flatMap(e => holes(e)), [], 'no null or undefined anywhere')
  t.equal(out.filter(e => e.status_id === 99).length, all.filter(e => e.result === 'in_progress').length,
    'every in-progress connect, and only those, has status In Progress')
  t.equal(out.filter(e => e.activity_id === 5).length, all.filter(e => e.errno === 'ECONNREFUSED' && e.action === 'connect').length,
    'every refused connect is Refuse')
  t.ok(out.filter(e => e.activity_id === 99).every(e => e.src_endpoint === undefined && e.dst_endpoint === undefined),
    'bind and socket never have endpoints')

  const { events: families } = runFilter(input, { keepFamilies: new Set([2, 10, 1, 16, 17]) })
  assertSchemaValid(families.map(e => toOcsf(e)), 'ocsf')
  t.pass(`${families.length} events with unix, netlink and packet kept: all schema-valid`)
})
