/**
 * The matching rules (src/correlate/match.ts) and the streaming join (join.ts) on built events and
 * flows: connect and reply flows, accept, ambiguity, the 5-tuple preference, transport and its
 * hint, IPv4-mapped peers, time windows with skew and lag, continuation, every host-only reason,
 * out-of-order input and bounded memory. Every output record is schema-checked (helpers.ts).
 */
import t from 'tap'
import { HostIdentity } from '../../src/correlate/host.js'
import { classifyEvent, pairMatch, protocolStrength } from '../../src/correlate/match.js'
import { connection, DEFAULT_OPTIONS, ENI, flowRecord, HOST, hostEvent, PEER, runJoin, T0 } from './helpers.js'

const host = new HostIdentity({ hostIps: [HOST], instanceIds: [], interfaceIds: [], vpcCidrs: ['10.0.0.0/16'], amazonDns: [] })
const side = (f: ReturnType<typeof flowRecord>): ReturnType<HostIdentity['orient']>[number] => host.orient(f)[0] as ReturnType<HostIdentity['orient']>[number]

t.test('an outbound connect is attributed both the flow it sent and the reply flow', async t => {
  const { flows, hostOnly } = runJoin([
    { event: { t: T0 + 0.2, pid: 41, exe: '/usr/bin/curl' } },
    ...connection({ start: T0, end: T0 + 2 }).map(flow => ({ flow }))
  ])
  t.equal(flows.length, 2)
  for (const f of flows) {
    t.equal(f.attribution?.process?.pid, 41)
    t.equal(f.attribution?.process?.exe, '/usr/bin/curl')
    t.equal(f.attribution?.match, 'exact')
    t.equal(f.attribution?.ambiguous, null)
    t.equal(f.attribution?.event_ids.length, 1)
  }
  t.same(flows.map(f => f.direction).sort(), ['inbound', 'outbound'])
  t.same(flows.map(f => f.remote), [{ ip: PEER, port: 443 }, { ip: PEER, port: 443 }], 'the peer is the same side for both records')
  t.same(hostOnly, [], 'the event found its flow')
})

t.test('an inbound accept is attributed the flows from its peer ip:port, to the port it listens on', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 1, syscall: 'accept4', remote: { ip: PEER, port: 51000 }, local: { ip: '0.0.0.0', port: 8080 }, pid: 7, exe: '/usr/sbin/nginx' } },
    ...connection({ src: PEER, dst: HOST, sport: 51000, dport: 8080, start: T0, end: T0 + 3 }).map(flow => ({ flow })),
    // The same peer port to another local port is another connection: not this accept's.
    { flow: { src: PEER, dst: HOST, sport: 51000, dport: 9090, start: T0, end: T0 + 3 } }
  ])
  const byPort = new Map(flows.map(f => [f.host?.port, f]))
  t.equal(byPort.get(8080)?.attribution?.process?.exe, '/usr/sbin/nginx')
  t.equal(flows.filter(f => f.host?.port === 8080).length, 2)
  t.equal(byPort.get(9090)?.attribution, null, 'a bound port that differs rules the flow out')
  t.equal(byPort.get(9090)?.unattributed?.reason, 'no_host_event')
})

t.test('two processes to the same peer ip:port in one window: both are candidates, none is picked', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, pid: 1, exe: '/usr/bin/curl' } },
    { event: { t: T0 + 0.5, pid: 2, exe: '/usr/bin/wget' } },
    { flow: { sport: 40001, start: T0, end: T0 + 1 } },
    { flow: { sport: 40002, start: T0, end: T0 + 1 } }
  ])
  t.equal(flows.length, 2)
  for (const f of flows) {
    t.equal(f.attribution?.process, null, 'no single process')
    t.equal(f.attribution?.user, null)
    t.same(f.attribution?.ambiguous?.map(c => c.process.pid), [1, 2])
    t.same(f.attribution?.ambiguous?.map(c => c.process.exe), ['/usr/bin/curl', '/usr/bin/wget'])
    t.equal(f.attribution?.event_ids.length, 2)
  }
})

t.test('several calls of one process are one candidate, not an ambiguity', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, syscall: 'sendto', pid: 5, transport: 'udp', remote: { ip: PEER, port: 53 } } },
    { event: { t: T0 + 0.4, syscall: 'sendto', pid: 5, transport: 'udp', remote: { ip: PEER, port: 53 } } },
    { flow: { dport: 53, proto: 17, start: T0, end: T0 + 1 } }
  ])
  t.equal(flows[0]?.attribution?.process?.pid, 5)
  t.equal(flows[0]?.attribution?.ambiguous, null)
  t.equal(flows[0]?.attribution?.event_count, 2)
})

t.test('a process that bound the flow\'s host port matches the whole 5-tuple and wins over peer-only matches', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, pid: 1 } },
    { event: { t: T0 + 0.2, pid: 3, local: { ip: HOST, port: 40007 } } },
    { flow: { sport: 40007, start: T0, end: T0 + 1 } },
    { flow: { sport: 40008, start: T0, end: T0 + 1 } }
  ])
  const bySport = new Map(flows.map(f => [f.host?.port, f]))
  t.equal(bySport.get(40007)?.attribution?.process?.pid, 3)
  t.equal(bySport.get(40007)?.attribution?.ambiguous, null)
  t.equal(bySport.get(40008)?.attribution?.process?.pid, 1, 'pid 3 owned port 40007, so not this flow from 40008')
})

t.test('the protocol must agree: tcp event vs udp flow does not match', async t => {
  const { flows, hostOnly } = runJoin([
    { event: { t: T0 + 0.1, transport: 'tcp', remote: { ip: PEER, port: 53 } } },
    { flow: { dport: 53, proto: 17, start: T0, end: T0 + 1 } }
  ])
  t.equal(flows[0]?.attribution, null)
  t.equal(hostOnly[0]?.reason, 'no_flow')
  t.equal(hostOnly[0]?.detail, 'window')
})

t.test('transport null: the hint matches as a marked weaker match; no hint matches any protocol, marked', async t => {
  const hinted = runJoin([
    { event: { t: T0 + 0.1, transport: null, hint: 'udp', remote: { ip: PEER, port: 53 } } },
    { flow: { dport: 53, proto: 17, start: T0, end: T0 + 1 } }
  ])
  t.equal(hinted.flows[0]?.attribution?.match, 'transport_hint')
  const wrongHint = runJoin([
    { event: { t: T0 + 0.1, transport: null, hint: 'udp', remote: { ip: PEER, port: 53 } } },
    { flow: { dport: 53, proto: 6, start: T0, end: T0 + 1 } }
  ])
  t.equal(wrongHint.flows[0]?.attribution, null, 'a hint that disagrees does not match')
  const unknown = runJoin([
    { event: { t: T0 + 0.1, transport: null, remote: { ip: PEER, port: 7777 } } },
    { flow: { dport: 7777, proto: 132, start: T0, end: T0 + 1 } }
  ])
  t.equal(unknown.flows[0]?.attribution?.match, 'any_protocol')
})

t.test('protocolStrength on its own', async t => {
  const ev = hostEvent({ t: T0, transport: 'mptcp' })
  t.equal(protocolStrength(ev, 6), 'exact', 'MPTCP is TCP on the wire')
  t.equal(protocolStrength(ev, 17), null)
  t.equal(protocolStrength(ev, null), null, 'an unknown flow protocol cannot confirm a known transport')
})

t.test('an IPv4-mapped peer on an inet6 socket matches its IPv4 flows', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, family: 'inet6', remote: { ip: PEER, port: 443, ipv4_mapped: true }, pid: 9 } },
    ...connection({ start: T0, end: T0 + 1 }).map(flow => ({ flow }))
  ])
  t.same(flows.map(f => f.attribution?.process?.pid), [9, 9])
})

t.test('IPv6 peers match whatever text form the flow log used', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, remote: { ip: '2001:db8::2', port: 443 }, pid: 11 } },
    { flow: { src: '2001:db8::1', dst: '2001:DB8:0:0:0:0:0:2', start: T0, end: T0 + 1 } }
  ], { hostIps: ['2001:db8::1'] })
  t.equal(flows[0]?.attribution?.process?.pid, 11)
})

t.test('time: the window is [start − lag − skew, end + 1 s + skew]', async t => {
  const f = flowRecord({ start: T0 + 100, end: T0 + 110 })
  const o = { skewMs: 2000, lagMs: 60000 }
  const at = (s: number): string | null => pairMatch(hostEvent({ t: s }), side(f), f, o)
  t.equal(at(T0 + 100 - 62), 'exact', 'lag + skew before start')
  t.equal(at(T0 + 100 - 62.5), null)
  t.equal(at(T0 + 113), 'exact', 'end + 1 s + skew')
  t.equal(at(T0 + 113.5), null)
  t.equal(pairMatch(hostEvent({ t: T0 + 99 }), side(f), f, { skewMs: 0, lagMs: 0 }), null, 'no lag, no skew: before start is out')
})

t.test('a call that waits for its peer is under way from its time to its until: an accept blocked since long before its connection', async t => {
  const f = flowRecord({ src: PEER, dst: HOST, sport: 51000, dport: 8080, start: T0 + 100, end: T0 + 100 })
  const o = { skewMs: 2000, lagMs: 0 }
  const accept = hostEvent({ t: T0 + 10, syscall: 'accept4', remote: { ip: PEER, port: 51000 }, local: { ip: '0.0.0.0', port: 8080 } })
  t.equal(accept.direction, 'inbound', 'an accept waits for its peer')
  t.equal(accept.until, accept.t, 'until is the join\'s to move on')
  t.equal(pairMatch(accept, side(f), f, o), null, 'began 90 s before the window and, as far as is known, over then')
  t.equal(pairMatch({ ...accept, until: (T0 + 100.5) * 1000 }, side(f), f, o), 'exact', 'still waiting when the connection came')
  t.equal(pairMatch({ ...accept, t: (T0 + 104) * 1000, until: (T0 + 104) * 1000 }, side(f), f, o), null, 'began after the window')
  t.equal(hostEvent({ t: T0 + 10 }).until, (T0 + 10) * 1000, 'a connect sends at once: over at its time')
})

t.test('the join takes a waiting call as under way until the events written before it: a server blocked in accept() gets its flows', async t => {
  const blocked = (before: Parameters<typeof runJoin>[0]): ReturnType<typeof runJoin> => runJoin([
    ...before,
    // Stamped when accept() began, written when it returned with this connection.
    { event: { t: T0 + 0.5, pid: 7, exe: '/usr/sbin/sshd', syscall: 'accept4', remote: { ip: PEER, port: 51000 }, local: { ip: '0.0.0.0', port: 22 } } },
    ...connection({ src: PEER, dst: HOST, sport: 51000, dport: 22, start: T0 + 60, end: T0 + 61 }).map(flow => ({ flow }))
  ])
  // Another process's connect, made while the accept waited, is written before it.
  const busy = blocked([{ event: { t: T0 + 60.2, pid: 9, remote: { ip: '192.0.2.50', port: 443 } } }])
  t.same(busy.flows.filter(f => f.host?.port === 22).map(f => f.attribution?.process?.pid), [7, 7], 'both flows of the connection are the server\'s')
  t.equal(busy.correlator.stats.events_late, 0, 'an accept written late is not late input')
  t.same(busy.hostOnly.filter(h => h.event.process.pid === 7), [])
  // Nothing written in between: how long it waited is unknown (the events end when it began), and
  // its flows stay unattributed.
  const idle = blocked([])
  t.same(idle.flows.map(f => f.unattributed?.reason), ['outside_event_coverage', 'outside_event_coverage'])
  // A connect is not taken as waiting: written after a later event, its time is its time.
  const late = runJoin([
    { event: { t: T0 + 60.2, pid: 9, remote: { ip: '192.0.2.50', port: 443 } } },
    { event: { t: T0 + 0.5, pid: 8, remote: { ip: PEER, port: 443 } } },
    ...connection({ start: T0 + 60, end: T0 + 61 }).map(flow => ({ flow }))
  ])
  t.same(late.flows.filter(f => f.remote?.port === 443 && f.remote.ip === PEER).map(f => f.unattributed?.reason), ['no_host_event', 'no_host_event'])
})

t.test('a call that failed before sending matches nothing and is host-only not_sent', async t => {
  const { flows, hostOnly } = runJoin([
    { event: { t: T0 + 0.1, result: 'failed', errno: 'ENETUNREACH' } },
    { flow: { start: T0, end: T0 + 1 } }
  ])
  t.equal(flows[0]?.attribution, null)
  t.same(hostOnly.map(h => [h.reason, h.detail]), [['not_sent', null]])
})

t.test('a refused TCP connect did send (SYN, RST): it matches its flows', async t => {
  const { flows, hostOnly } = runJoin([
    { event: { t: T0 + 0.1, result: 'failed', errno: 'ECONNREFUSED', pid: 4 } },
    ...connection({ start: T0, end: T0 + 1 }).map(flow => ({ flow }))
  ])
  t.same(flows.map(f => f.attribution?.process?.pid), [4, 4])
  t.same(hostOnly, [])
})

t.test('host-only reasons: loopback, self, VPC-never-logged addresses, DHCP', async t => {
  const { hostOnly } = runJoin([
    { event: { t: T0, remote: { ip: '127.0.0.1', port: 80 } } },
    { event: { t: T0, remote: { ip: '::1', port: 80 } } },
    { event: { t: T0, remote: { ip: HOST, port: 80 } } },
    { event: { t: T0, remote: { ip: '169.254.169.254', port: 80 } } },
    { event: { t: T0, remote: { ip: 'fd00:ec2::254', port: 80 } } },
    { event: { t: T0, syscall: 'sendto', transport: 'udp', remote: { ip: '169.254.169.123', port: 123 } } },
    { event: { t: T0, syscall: 'sendto', transport: 'udp', remote: { ip: '10.0.0.2', port: 53 } } },
    { event: { t: T0, remote: { ip: '10.0.0.1', port: 80 } } },
    { event: { t: T0, syscall: 'sendto', transport: 'udp', remote: { ip: '10.0.5.5', port: 67 }, local: { ip: '0.0.0.0', port: 68 } } },
    { event: { t: T0, remote: { ip: 'fe80::1', port: 22 } } },
    { event: { t: T0, syscall: 'sendto', transport: 'udp', remote: { ip: '224.0.0.251', port: 5353 } } },
    { event: { t: T0, syscall: 'sendto', transport: 'udp', remote: { ip: '255.255.255.255', port: 9 } } },
    { flow: { start: T0, end: T0 + 1, dport: 1 } }
  ], { vpcCidrs: ['10.0.0.0/16'] })
  // Output order is the order events are finalized in; compare in input order.
  const serial = (id: string): number => Number(id.split(':')[1])
  hostOnly.sort((a, b) => serial(a.event.event_id) - serial(b.event.event_id))
  t.same(hostOnly.map(h => h.detail === null ? h.reason : `${h.reason}:${h.detail}`), [
    'loopback', 'loopback', 'self', 'never_logged:instance_metadata', 'never_logged:instance_metadata',
    'never_logged:time_sync', 'never_logged:amazon_dns', 'never_logged:vpc_router', 'never_logged:dhcp',
    'never_logged:link_local', 'never_logged:multicast', 'never_logged:broadcast'
  ])
})

t.test('--vpc-cidr gives base+1 as the VPC router and base+2 as Amazon DNS, IPv4 and IPv6; --amazon-dns adds resolvers', async t => {
  t.equal(host.neverLogged('10.0.0.2', 53, null, 17), 'amazon_dns')
  t.equal(host.neverLogged('10.0.0.1', 443, null, 6), 'vpc_router')
  t.equal(host.neverLogged('10.0.0.3', 53, null, 17), null)
  const v6 = new HostIdentity({ hostIps: ['2001:db8::1'], instanceIds: [], interfaceIds: [], vpcCidrs: ['2001:db8:1::/56'], amazonDns: ['192.0.2.53'] })
  t.equal(v6.neverLogged('2001:db8:1::2', 53, null, 17), 'amazon_dns')
  t.equal(v6.neverLogged('192.0.2.53', 53, null, 17), 'amazon_dns')
})

t.test('an event whose only flows were REJECTed is host-only rejected, naming those flows; the flows keep the process', async t => {
  const { flows, hostOnly } = runJoin([
    { event: { t: T0 + 0.1, pid: 12, remote: { ip: PEER, port: 7003 } } },
    { flow: { dport: 7003, start: T0, end: T0 + 3, action: 'REJECT' } }
  ])
  t.equal(flows[0]?.attribution?.process?.pid, 12)
  t.equal(flows[0]?.flow['action'], 'REJECT')
  t.equal(hostOnly[0]?.reason, 'rejected')
  t.equal(hostOnly[0]?.flows.length, 1)
  t.equal(hostOnly[0]?.flows[0]?.action, 'REJECT')
  t.equal(hostOnly[0]?.flows[0]?.dstport, 7003)
})

t.test('an inbound REJECT flow never reached the host: unattributed rejected_inbound', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 50, remote: { ip: '192.0.2.99', port: 1 } } },
    { flow: { src: '192.0.2.7', dst: HOST, sport: 5555, dport: 22, start: T0, end: T0 + 1, action: 'REJECT' } },
    { event: { t: T0 + 60, remote: { ip: '192.0.2.99', port: 1 } } }
  ])
  t.equal(flows[0]?.unattributed?.reason, 'rejected_inbound')
})

t.test('no_flow details: outside the flow logs\' time, NODATA, SKIPDATA, or just none in the window', async t => {
  const c = classifyEvent(hostEvent({ t: T0 + 10 }), [], host, { firstMs: (T0 + 100) * 1000, lastMs: (T0 + 200) * 1000, nodata: false, skipdata: false })
  t.same(c, { reason: 'no_flow', detail: 'not_covered' })
  t.same(classifyEvent(hostEvent({ t: T0 + 150 }), [], host, { firstMs: (T0 + 100) * 1000, lastMs: (T0 + 200) * 1000, nodata: true, skipdata: false }), { reason: 'no_flow', detail: 'nodata' })
  t.same(classifyEvent(hostEvent({ t: T0 + 150 }), [], host, { firstMs: (T0 + 100) * 1000, lastMs: (T0 + 200) * 1000, nodata: true, skipdata: true }), { reason: 'no_flow', detail: 'skipdata' })
  t.same(classifyEvent(hostEvent({ t: T0 + 150 }), [], host, { firstMs: (T0 + 100) * 1000, lastMs: (T0 + 200) * 1000, nodata: false, skipdata: false }), { reason: 'no_flow', detail: 'window' })
  t.equal(classifyEvent(hostEvent({ t: T0 + 150 }), [{ action: 'ACCEPT' }], host, { firstMs: null, lastMs: null, nodata: false, skipdata: false }), null, 'an accepted flow: not host-only')
})

t.test('a later window of an attributed 5-tuple continues the attribution; a SYN in it starts a new connection', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, pid: 21 } },
    { flow: { sport: 40100, start: T0, end: T0 + 59 } },
    { flow: { sport: 40100, start: T0 + 60, end: T0 + 119 } },
    { flow: { sport: 40100, start: T0 + 120, end: T0 + 179 } },
    { event: { t: T0 + 1000, remote: { ip: '192.0.2.1', port: 9 } } }
  ])
  t.same(flows.map(f => f.attribution?.match), ['exact', 'continuation', 'continuation'])
  t.same(flows.map(f => f.attribution?.process?.pid), [21, 21, 21])
  t.same(flows[2]?.attribution?.event_ids, flows[0]?.attribution?.event_ids)
})

t.test('continuation stops after --continuation seconds of silence', async t => {
  const { flows } = runJoin([
    { event: { t: T0 + 0.1, pid: 21 } },
    { flow: { sport: 40100, start: T0, end: T0 + 1 } },
    { flow: { sport: 40100, start: T0 + 400, end: T0 + 401 } },
    { event: { t: T0 + 1000, remote: { ip: '192.0.2.1', port: 9 } } }
  ], {}, { continuationMs: 300000 })
  t.same(flows.map(f => f.attribution?.match ?? f.unattributed?.reason), ['exact', 'no_host_event'])
})

t.test('flows of other hosts are counted, not output; interface-id alone selects flows read both ways', async t => {
  const { flows, correlator } = runJoin([
    { event: { t: T0 + 0.1, pid: 30, remote: { ip: '192.0.2.50', port: 443 } } },
    { flow: { src: '10.9.9.9', dst: '192.0.2.50', sport: 40000, dport: 443, start: T0, end: T0 + 1, eni: 'eni-other' } },
    { flow: { src: '10.1.1.1', dst: '192.0.2.50', sport: 40000, dport: 443, start: T0, end: T0 + 1 } },
    { flow: { src: '192.0.2.50', dst: '10.1.1.1', sport: 443, dport: 40000, start: T0, end: T0 + 1 } }
  ], { hostIps: [], interfaceIds: [ENI] })
  t.equal(correlator.stats.flows_other_hosts, 1)
  t.same(flows.map(f => [f.direction, f.attribution?.process?.pid]), [['outbound', 30], ['inbound', 30]])
})

t.test('a local address learned from bind() makes flows to it the host\'s', async t => {
  const { flows } = runJoin([
    { bind: '198.51.100.77' },
    { event: { t: T0 + 0.1, pid: 31, syscall: 'accept4', remote: { ip: PEER, port: 50000 }, local: { ip: '198.51.100.77', port: 25 } } },
    { flow: { src: PEER, dst: '198.51.100.77', sport: 50000, dport: 25, start: T0, end: T0 + 1 } }
  ])
  t.equal(flows[0]?.attribution?.process?.pid, 31)
})

t.test('out-of-order input within --lateness joins as if it were in order', async t => {
  const items = [
    { flow: { sport: 40200, start: T0 + 10, end: T0 + 11 } },
    { event: { t: T0 + 20, pid: 2, remote: { ip: PEER, port: 444 } } },
    { flow: { dport: 444, sport: 40201, start: T0 + 20, end: T0 + 21 } },
    { event: { t: T0 + 10.2, pid: 1 } } // 10 s late, within 30 s lateness
  ]
  const { flows, correlator } = runJoin(items, {}, { latenessMs: 30000 })
  t.same(flows.map(f => f.attribution?.process?.pid).sort(), [1, 2])
  t.equal(correlator.stats.events_late, 0)
})

t.test('input later than --lateness is counted as late', async t => {
  const { correlator } = runJoin([
    { event: { t: T0 + 100, pid: 2 } },
    { event: { t: T0 + 10, pid: 1 } }
  ], {}, { latenessMs: 5000 })
  t.equal(correlator.stats.events_late, 1)
})

t.test('memory is bounded by the window: a long run holds only a window\'s worth of events and flows', async t => {
  const items: Parameters<typeof runJoin>[0] = []
  for (let i = 0; i < 2000; i++) {
    items.push({ event: { t: T0 + i * 10 + 0.1, pid: 100 + (i % 7), remote: { ip: PEER, port: 1000 + (i % 50) } } })
    items.push({ flow: { sport: 30000 + i, dport: 1000 + (i % 50), start: T0 + i * 10, end: T0 + i * 10 + 1 } })
  }
  const { flows, hostOnly, correlator } = runJoin(items, {}, { ...DEFAULT_OPTIONS, latenessMs: 30000 })
  t.equal(flows.length, 2000)
  t.equal(flows.filter(f => f.attribution !== null).length, 2000)
  t.same(hostOnly, [])
  t.ok(correlator.stats.max_events_held < 20, `events held at most ${correlator.stats.max_events_held}`)
  t.ok(correlator.stats.max_flows_held < 20, `flows held at most ${correlator.stats.max_flows_held}`)
})
