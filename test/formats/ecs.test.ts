/**
 * toEcs: native events built from real audit records (test/fixtures/record-formats.log, a slice of
 * ../shared/corpus/real/x86_64-enriched-plugin-stream.log.gz with the socket() and bind() calls the
 * chosen events depend on) → ECS documents, each checked against schemas/ecs.schema.json. The
 * direction-dependent fields are asserted call by call; then the whole real capture is converted.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import type { NetworkEvent } from '../../src/events/network-event.js'
import { ECS_VERSION, toEcs, toEcsShared, type EcsEvent } from '../../src/formats/ecs.js'
import { NetFilter } from '../../src/filter.js'
import { ROOT, assertSchemaValid, readShared, runFilter, schemaErrors } from '../helpers/filter.js'

const { events } = runFilter(readFileSync(`${ROOT}test/fixtures/record-formats.log`)) // native schema checked

/** Event ids in the fixture (all from pid 16744, traffic.py, except the curl connect). */
const ID = {
  socketTcp: '1795640802.826:80253', // socket(AF_INET, SOCK_STREAM) → fd 3
  bind: '1795640802.826:80254', // bind(3, 127.0.0.1:0)
  bindWildcard6: '1795640802.826:80260', // bind(6, [::]:0)
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

function ecs (ev: NetworkEvent): EcsEvent {
  const doc = toEcs(ev)
  assertSchemaValid([doc], 'ecs')
  return doc
}

/** Paths of every null or undefined value (and of undefined array items). */
function holes (value: unknown, path = ''): string[] {
  if (value === null || value === undefined) return [path]
  if (Array.isArray(value)) return value.flatMap((v, i) => holes(v, `${path}[${i}]`))
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => holes(v, `${path}.${k}`))
  return []
}

t.test('every event of the fixture converts to a schema-valid ECS document', async t => {
  t.equal(events.length, 37, 'the fixture gives 37 native events')
  const docs = events.map(toEcs)
  assertSchemaValid(docs, 'ecs')
  t.same([...new Set(docs.map(d => d.event.action))].sort(),
    ['accepted-connection-from', 'bound-socket', 'connected-to', 'created-socket', 'sent-to'], 'every call kind is covered')
  t.same(docs.flatMap(d => holes(d)), [], 'no field is null or undefined: absent data is left out')
  t.ok(docs.every(d => d.ecs.version === ECS_VERSION && ECS_VERSION === '9.4.0'), 'ecs.version is pinned to 9.4.0')
  t.ok(docs.every(d => d.event.kind === 'event' && d.event.category.join() === 'network'), 'kind event, category network')
})

t.test('connect puts the remote on destination and, with no bind seen, leaves source out', async t => {
  const doc = ecs(native(ID.connect))
  t.same(doc.destination, { ip: '127.0.0.1', port: 36435, address: '127.0.0.1' })
  t.notOk('source' in doc, 'the local address of an unbound socket is not in the audit record')
  t.same(doc.event, { kind: 'event', category: ['network'], type: ['connection', 'start'], action: 'connected-to', outcome: 'success', id: ID.connect })
  t.same(doc.network, { transport: 'tcp', iana_number: '6', type: 'ipv4', direction: 'egress' })
  t.equal(doc['@timestamp'], '2026-11-25T21:06:42.834Z')
  t.match(doc.auditd, { event_id: ID.connect, sequence: 80265, syscall: 'connect', arch: 'x86_64', result: 'success', exit: 0, fd: 9, family: 'inet', direction: 'outbound', transport: 'tcp', socket: { type: 'stream', protocol: 6 }, remote: { ip: '127.0.0.1', port: 36435 } })
  t.notOk('errno' in doc.auditd, 'no errno on success')
})

t.test('a non-blocking connect in progress has outcome unknown, not failure', async t => {
  const doc = ecs(native(ID.inProgress))
  t.equal(doc.event.outcome, 'unknown', 'EINPROGRESS: the result comes later')
  t.equal(doc.event.action, 'connected-to')
  t.match(doc.auditd, { result: 'in_progress', exit: -115, errno: 'EINPROGRESS', socket: { type: 'stream', protocol: 6 } })
  t.same(doc.destination, { ip: '127.0.0.1', port: 45419, address: '127.0.0.1' })
  t.equal(doc.process?.executable, '/usr/bin/curl')
})

t.test('a refused connect is a failure with its errno', async t => {
  const doc = ecs(native(ID.refused))
  t.equal(doc.event.outcome, 'failure')
  t.match(doc.auditd, { result: 'failed', exit: -111, errno: 'ECONNREFUSED' })
  t.same(doc.destination, { ip: '127.0.0.1', port: 1, address: '127.0.0.1' })
})

t.test('an IPv4-mapped peer on an inet6 socket is IPv4 traffic; address keeps the raw ::ffff: form', async t => {
  const doc = ecs(native(ID.connectMapped))
  t.same(doc.destination, { ip: '127.0.0.1', port: 38507, address: '::ffff:127.0.0.1' })
  t.equal(doc.network?.type, 'ipv4', 'the packets are IPv4')
  t.match(doc.auditd, { family: 'inet6', remote: { ip: '127.0.0.1', ipv4_mapped: true, flowinfo: 0, scope_id: 0 } })
  const v6 = ecs(native(ID.connect6))
  t.equal(v6.network?.type, 'ipv6', 'a real IPv6 peer is ipv6')
  t.same(v6.destination, { ip: '::1', port: 51977, address: '::1' })
})

t.test('accept4 puts the peer on source and the listening socket\'s address on destination', async t => {
  const doc = ecs(native(ID.accept))
  t.same(doc.source, { ip: '127.0.0.1', port: 38512, address: '127.0.0.1' }, 'the peer returned by accept4')
  t.same(doc.destination, { ip: '127.0.0.1', address: '127.0.0.1' },
    'the bound address; bind() asked for port 0, so the port the kernel chose is unknown and left out')
  t.same(doc.auditd.local, { ip: '127.0.0.1', port: 0 }, 'the bound address verbatim under auditd.local')
  t.same(doc.event.type, ['connection', 'start'])
  t.equal(doc.event.action, 'accepted-connection-from')
  t.equal(doc.network?.direction, 'ingress')
})

t.test('accept4 puts the listening port on destination when bind() named it', async t => {
  const wildcard = ecs(variant(ID.accept, ev => { ev.local = { ip: '0.0.0.0', port: 8080 } }))
  t.same(wildcard.destination, { port: 8080 }, 'a wildcard bind gives the port, not the address the peer reached')
  const specific = ecs(variant(ID.accept, ev => { ev.local = { ip: '10.0.0.5', port: 8080 } }))
  t.same(specific.destination, { ip: '10.0.0.5', port: 8080, address: '10.0.0.5' })
  t.same(specific.source, { ip: '127.0.0.1', port: 38512, address: '127.0.0.1' })
})

t.test('accept4 on a wildcard listener with port 0 has no destination at all', async t => {
  const doc = ecs(native(ID.acceptWildcard))
  t.notOk('destination' in doc, ':: and port 0 say nothing about the address the connection arrived on')
  t.same(doc.source, { ip: '127.0.0.1', port: 44852, address: '::ffff:127.0.0.1' })
  t.same(doc.auditd.local, { ip: '::', port: 0, flowinfo: 0, scope_id: 0 })
  t.equal(doc.network?.type, 'ipv4', 'a mapped peer on the dual-stack listener')
})

t.test('connect after a client-side bind() has the bound address on source', async t => {
  const doc = ecs(variant(ID.connect, ev => { ev.local = { ip: '127.0.0.2', port: 40000 } }))
  t.same(doc.source, { ip: '127.0.0.2', port: 40000, address: '127.0.0.2' })
  t.same(doc.destination, { ip: '127.0.0.1', port: 36435, address: '127.0.0.1' })
})

t.test('bind has only the local endpoint: under auditd.local, with no source, destination or direction', async t => {
  const doc = ecs(native(ID.bind))
  t.notOk('source' in doc, 'a bind does not say whether the socket will send or be connected to')
  t.notOk('destination' in doc)
  t.notOk(doc.network !== undefined && 'direction' in doc.network, 'no network.direction')
  t.same(doc.auditd.local, { ip: '127.0.0.1', port: 0 })
  t.notOk('remote' in doc.auditd)
  t.same(doc.event.type, ['start'], 'as Auditbeat types bind')
  t.equal(doc.event.action, 'bound-socket')
  t.equal(doc.auditd.direction, 'listen', "netfilter's own direction is kept")
  t.same(doc.network, { transport: 'tcp', iana_number: '6', type: 'ipv4' })
  const v6 = ecs(native(ID.bindWildcard6))
  t.same(v6.auditd.local, { ip: '::', port: 0, flowinfo: 0, scope_id: 0 }, 'the wildcard is what was bound: kept verbatim')
  t.equal(v6.network?.type, 'ipv6')
})

t.test('socket has no endpoint', async t => {
  const doc = ecs(native(ID.socketTcp))
  for (const key of ['source', 'destination'] as const) t.notOk(key in doc, `no ${key}`)
  t.notOk('local' in doc.auditd || 'remote' in doc.auditd, 'no address at all')
  t.same(doc.event.type, ['info'])
  t.equal(doc.event.action, 'created-socket')
  t.same(doc.network, { transport: 'tcp', iana_number: '6', type: 'ipv4' }, 'transport from socket()\'s own arguments')
  t.match(doc.auditd, { fd: 3, exit: 3, direction: 'intent', socket: { type: 'stream', protocol: 0 } })
  const udp6 = ecs(native(ID.socketUdp6))
  t.same(udp6.network, { transport: 'udp', iana_number: '17', type: 'ipv6' })
})

t.test('sendto and sendmsg put the remote on destination', async t => {
  const sendto = ecs(native(ID.sendto))
  t.same(sendto.destination, { ip: '127.0.0.1', port: 45024, address: '127.0.0.1' })
  t.notOk('source' in sendto)
  t.same(sendto.event.type, ['connection', 'info'])
  t.equal(sendto.event.action, 'sent-to')
  t.same(sendto.network, { transport: 'udp', iana_number: '17', type: 'ipv4', direction: 'egress' })
  t.equal(sendto.auditd.exit, 1, 'bytes sent')
  const sendmsg = ecs(native(ID.sendmsg))
  t.same(sendmsg.destination, { ip: '::1', port: 9, address: '::1' })
  t.same(sendmsg.network, { transport: 'udp', iana_number: '17', type: 'ipv6', direction: 'egress' })
  t.equal(sendmsg.auditd.syscall, 'sendmsg')
})

t.test('recvfrom puts the remote on source', async t => {
  const doc = ecs(variant(ID.sendto, ev => { ev.syscall = 'recvfrom'; ev.direction = 'inbound'; ev.action = 'receive' }))
  t.same(doc.source, { ip: '127.0.0.1', port: 45024, address: '127.0.0.1' })
  t.notOk('destination' in doc)
  t.equal(doc.event.action, 'received-from')
  t.equal(doc.network?.direction, 'ingress')
})

t.test('process, user, host and tags as Auditbeat names them', async t => {
  const doc = ecs(native(ID.connect))
  t.same(doc.process, {
    pid: 16744,
    parent: { pid: 16663 },
    name: 'python3',
    executable: '/root/.pyenv/versions/3.11.7/bin/python3.11',
    args: ['/usr/bin/env', 'bash', '/root/.pyenv/shims/python3', '/tmp/capture/traffic.py', '3000', '1'],
    args_count: 6,
    title: '/usr/bin/env bash /root/.pyenv/shims/python3 /tmp/capture/traffic.py 3000 1'
  })
  t.same(doc.user, { id: '0', name: 'root', effective: { id: '0', name: 'root' }, group: { id: '0', name: 'root' } },
    'ids as strings (ECS keyword); no user.audit: auid was unset')
  t.notOk('session' in doc.auditd, 'ses unset')
  t.notOk('host' in doc, 'no node= in this capture')
  t.same(doc.tags, ['net_connect'], 'the rule key')

  const logged = ecs(variant(ID.connect, ev => {
    ev.node = 'web-1'
    // process and user are the filter's shared, frozen objects: replaced, not changed.
    ev.user = { ...ev.user, auid: 1000, audit_name: 'alice', ses: 3 }
    ev.tty = 'pts0'
    ev.key = 'net'
    ev.keys = ['net', 'egress']
    ev.process = { ...ev.process, argv: null }
  }))
  t.same(logged.host, { name: 'web-1' })
  t.same(logged.user?.audit, { id: '1000', name: 'alice' }, 'the login user, as Auditbeat names it')
  t.match(logged.auditd, { session: '3', tty: 'pts0' })
  t.same(logged.tags, ['net', 'egress'], 'every matching rule key')
  t.notOk(logged.process !== undefined && ('args' in logged.process || 'title' in logged.process), 'no PROCTITLE: no args, no title')
})

t.test('transport: IANA keywords only from what socket() said; the hint stays under auditd', async t => {
  const icmp6 = ecs(variant(ID.socketUdp6, ev => { ev.transport = 'icmpv6'; ev.socket = { type: 'dgram', protocol: 58 } }))
  t.same(icmp6.network, { transport: 'ipv6-icmp', iana_number: '58', type: 'ipv6' })
  const mptcp = ecs(variant(ID.socketTcp, ev => { ev.transport = 'mptcp'; ev.socket = { type: 'stream', protocol: 262 } }))
  t.same(mptcp.network, { transport: 'tcp', iana_number: '6', type: 'ipv4' }, 'MPTCP is TCP on the wire')
  t.equal(mptcp.auditd.transport, 'mptcp')
  const ospf = ecs(variant(ID.socketTcp, ev => { ev.transport = 'raw'; ev.socket = { type: 'raw', protocol: 89 } }))
  t.same(ospf.network, { iana_number: '89', type: 'ipv4' }, 'a raw socket\'s protocol, with no keyword known')
  const rawAll = ecs(variant(ID.socketTcp, ev => { ev.transport = 'raw'; ev.socket = { type: 'raw', protocol: 255 } }))
  t.same(rawAll.network, { type: 'ipv4' }, 'IPPROTO_RAW names no protocol')
  const guessed = ecs(variant(ID.connect, ev => { ev.transport = null; ev.socket = null; ev.transport_hint = 'tcp' }))
  t.same(guessed.network, { type: 'ipv4', direction: 'egress' }, 'no network.transport from a guess')
  t.equal(guessed.auditd.transport_hint, 'tcp')
  t.notOk('transport' in guessed.auditd || 'socket' in guessed.auditd)
})

t.test('other families: a unix path is an address; netlink has no ECS endpoint', async t => {
  const unix = ecs(variant(ID.connect, ev => {
    ev.family = 'unix'; ev.transport = null; ev.socket = null; ev.remote = { path: '/run/app.sock' }
  }))
  t.same(unix.destination, { address: '/run/app.sock' })
  t.notOk('network' in unix && unix.network !== undefined && ('type' in unix.network || 'transport' in unix.network), 'no IP type or transport')
  const netlink = ecs(variant(ID.sendto, ev => {
    ev.family = 'netlink'; ev.transport = null; ev.socket = null; ev.remote = { pid: 0, groups: 0 }
  }))
  t.notOk('destination' in netlink)
  t.same(netlink.auditd.remote, { pid: 0, groups: 0 })
})

t.test('toEcs is pure: the input is unchanged and shares nothing with the output', async t => {
  for (const ev of events) {
    const before = structuredClone(ev)
    const doc = toEcs(ev)
    t.same(ev, before, `${ev.event_id} unchanged`)
    doc.process?.args?.push('x')
    if (doc.auditd.remote !== undefined) doc.auditd.remote.port = -1
    if (doc.auditd.local !== undefined) doc.auditd.local.port = -1
    doc.tags?.push('x')
    t.same(ev, before, `${ev.event_id} unchanged after the output is modified`)
  }
})

t.test('toEcsShared (what the sinks write): the same documents, with the parts made from the filter\'s frozen objects shared and frozen', async t => {
  // In process, so the events carry the filter's own shared, frozen process, user and addresses.
  const live: NetworkEvent[] = []
  const filter = new NetFilter(ev => live.push(ev))
  filter.push(readFileSync(`${ROOT}test/fixtures/record-formats.log`))
  filter.end()
  t.ok(live.length > 10)
  const docs = live.map(ev => toEcsShared(ev))
  t.same(docs, live.map(ev => toEcs(ev)), 'deep-equal to toEcs')
  t.equal(docs.map(d => JSON.stringify(d)).join('\n'), live.map(ev => JSON.stringify(toEcs(ev))).join('\n'), 'the same JSON')
  const ofTraffic = docs.filter(d => d.process?.pid === 16744)
  t.ok(ofTraffic.length > 2)
  const [a, b] = ofTraffic as [EcsEvent, EcsEvent]
  t.equal(a.process, b.process, 'one process part for the events of one process')
  t.equal(a.user, b.user, 'one user part too')
  t.ok(Object.isFrozen(a.process) && Object.isFrozen(a.process?.args) && Object.isFrozen(a.user), 'frozen')
  t.not(toEcs(live[0] as NetworkEvent).process, toEcs(live[0] as NetworkEvent).process, 'toEcs still shares nothing')
})

t.test('the ECS schema rejects documents that break the mapping', async t => {
  const connect = toEcs(native(ID.connect))
  t.not(schemaErrors({ ...connect, network: { ...connect.network, direction: 'ingress' } }, 'ecs').length, 0, 'outbound must be egress')
  t.not(schemaErrors({ ...connect, event: { ...connect.event, outcome: 'failure' } }, 'ecs').length, 0, 'outcome follows auditd.result')
  t.not(schemaErrors({ ...connect, event: { ...connect.event, type: ['info'] } }, 'ecs').length, 0, 'connected-to is connection+start')
  t.not(schemaErrors({ ...connect, destination: { ip: '127.0.0.1' } }, 'ecs').length, 0, 'an ip comes with its raw address')
  t.not(schemaErrors({ ...connect, destination: { ip: 'localhost', address: 'localhost' } }, 'ecs').length, 0, 'ip must be an IP')
  t.not(schemaErrors({ ...connect, user: { id: 0 } }, 'ecs').length, 0, 'user.id is a string')
  t.not(schemaErrors({ ...connect, source: null }, 'ecs').length, 0, 'no nulls')
  const bind = toEcs(native(ID.bind))
  t.not(schemaErrors({ ...bind, destination: { port: 80 } }, 'ecs').length, 0, 'bind has no destination')
  t.not(schemaErrors({ ...bind, ecs: { version: '8.11.0' } }, 'ecs').length, 0, 'the pinned version only')
  t.not(schemaErrors({ ...bind, extra: 1 }, 'ecs').length, 0, 'no unknown top-level fields')
})

const CORPUS = 'corpus/real/x86_64-enriched-plugin-stream.log.gz'
const real = readShared(CORPUS)
const absent = `../shared/${CORPUS} is absent (a user's clone has no ../shared): ECS conversion of the full real capture NOT checked`

t.test('every event of the full real capture converts to a schema-valid ECS document', real === null ? { skip: absent } : {}, async t => {
  const input = real as Buffer
  const { events: all } = runFilter(input)
  t.ok(all.length > 6000, `${all.length} native events`)
  const docs = all.map(toEcs)
  assertSchemaValid(docs, 'ecs')
  t.same(docs.flatMap(d => holes(d)), [], 'no null or undefined anywhere')
  t.equal(docs.filter(d => d.event.outcome === 'unknown').length, all.filter(e => e.result === 'in_progress').length,
    'every in-progress connect, and only those, has outcome unknown')
  t.ok(docs.every(d => (d.auditd.direction === 'outbound') === (d.network?.direction === 'egress')), 'egress exactly for outbound calls')
  t.ok(docs.filter(d => d.event.action === 'bound-socket' || d.event.action === 'created-socket')
    .every(d => d.source === undefined && d.destination === undefined), 'bind and socket never have source or destination')

  const { events: families } = runFilter(input, { keepFamilies: new Set([2, 10, 1, 16, 17]) })
  assertSchemaValid(families.map(toEcs), 'ecs')
  t.pass(`${families.length} events with unix, netlink and packet kept: all schema-valid`)
})
