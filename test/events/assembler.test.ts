/**
 * Stage 3: records → events. Records are pushed the way the filter pushes them: node, event id
 * (seconds, millis, serial), kind, body (null for kinds the selection does not read) and the
 * wall-clock time of arrival. Ids and bodies are those of real records (x86_64 capture).
 */
import t from 'tap'
import { EventAssembler, type AssemblerOptions, type CompletionReason, type PendingEvent } from '../../src/events/assembler.js'
import { KIND_EOE, KIND_OTHER, KIND_PROCTITLE, KIND_SOCKADDR, KIND_SOCKETCALL, KIND_SYSCALL } from '../../src/records/header.js'

const SYS_CONNECT = 'arch=c000003e syscall=42 success=yes exit=0 a0=9 a1=7fff0f885420 a2=10 a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11" key="net_connect"'
const SYS_ACCEPT = 'arch=c000003e syscall=288 success=yes exit=11 a0=3 a1=7fff0f885400 a2=7fff0f8853f4 a3=80000 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/root/.pyenv/versions/3.11.7/bin/python3.11" key="net_accept"'
const SADDR_CONNECT = 'saddr=0200E3B17F0000010000000000000000'
const SADDR_ACCEPT = 'saddr=0200DC567F0000010000000000000000'
const PROCTITLE = 'proctitle=2F7573722F62696E2F656E760062617368002F726F6F742F2E7079656E762F7368696D732F707974686F6E33002F746D702F636170747572652F747261666669632E707900323030300032'
const SOCKETCALL = 'nargs=3 a0=5 a1=bff3c112 a2=10'

interface Done { id: string, node: string | null, why: CompletionReason, ev: PendingEvent }

class Harness {
  readonly out: Done[] = []
  readonly a: EventAssembler
  constructor (opts: Partial<AssemblerOptions> = {}) {
    this.a = new EventAssembler((ev, why) => {
      this.out.push({ id: `${ev.sec}.${String(ev.ms).padStart(3, '0')}:${ev.serial}`, node: ev.node, why, ev })
    }, opts)
  }

  /** Pushes one record of event id "SECONDS.MILLIS:SERIAL". */
  push (id: string, kind: number, body: string | null = null, node: string | null = null, now = 0): this {
    const m = /^(\d+)\.(\d{3}):(\d+)$/.exec(id)
    if (m === null) throw new Error(`bad id ${id}`)
    this.a.push(node, Number(m[1]), Number(m[2]), Number(m[3]), kind, body, now)
    return this
  }

  /** Pushes a SYSCALL record as the filter does, saying which record kinds make its event whole. */
  pushCall (id: string, body: string, whole: number, now = 0): this {
    const m = /^(\d+)\.(\d{3}):(\d+)$/.exec(id)
    if (m === null) throw new Error(`bad id ${id}`)
    this.a.push(null, Number(m[1]), Number(m[2]), Number(m[3]), KIND_SYSCALL, body, now, -1, -1, false, whole)
    return this
  }

  ids (): string[] {
    return this.out.map(d => d.id)
  }
}

t.test('the records of one event are grouped into one event holding the bodies the selection reads', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95900', KIND_OTHER) // CWD: counted only
    .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
  t.same(h.out.map(d => d.why), ['whole'], 'its PROCTITLE, after its SYSCALL, ends it')
  t.equal(h.a.inflight, 0)
  const ev = h.out[0]?.ev as PendingEvent
  t.equal(ev.sec, 1795640829)
  t.equal(ev.ms, 926)
  t.equal(ev.serial, 95900)
  t.equal(ev.timeMs, 1795640829926)
  t.equal(ev.node, null)
  t.equal(ev.syscall, SYS_CONNECT)
  t.same(ev.sockaddrs, [SADDR_CONNECT])
  t.equal(ev.proctitle, PROCTITLE)
  t.equal(ev.socketcall, null)
  t.equal(ev.records, 4)
  t.equal(h.a.counters.events, 1)
})

t.test('records of different events interleaved are grouped by their id', async t => {
  // As in SPADE's logs: the SOCKADDR of serial N comes after the SYSCALL of serial N+1.
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95901', KIND_SOCKADDR, SADDR_ACCEPT)
    .push('1795640829.926:95901', KIND_PROCTITLE, PROCTITLE)
    .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
  h.a.flush()
  t.same(h.ids().sort(), ['1795640829.926:95900', '1795640829.926:95901'])
  const byId = new Map(h.out.map(d => [d.id, d.ev]))
  t.equal(byId.get('1795640829.926:95900')?.syscall, SYS_CONNECT)
  t.same(byId.get('1795640829.926:95900')?.sockaddrs, [SADDR_CONNECT])
  t.equal(byId.get('1795640829.926:95901')?.syscall, SYS_ACCEPT)
  t.same(byId.get('1795640829.926:95901')?.sockaddrs, [SADDR_ACCEPT])
  t.equal(byId.get('1795640829.926:95900')?.records, 3)
  t.equal(byId.get('1795640829.926:95901')?.records, 3)
})

t.test('events with the same serial but another time are different events', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.927:95900', KIND_SYSCALL, SYS_ACCEPT)
  h.a.flush()
  t.equal(h.out.length, 2)
})

t.test('SOCKADDR before SYSCALL still groups into the event', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_EOE)
  t.equal(h.out.length, 1)
  t.equal(h.out[0]?.ev.syscall, SYS_CONNECT)
  t.same(h.out[0]?.ev.sockaddrs, [SADDR_CONNECT])
})

t.test('several SOCKADDR records of one event are kept in arrival order', async t => {
  const h = new Harness()
  h.push('1723819442.459:2482682', KIND_SYSCALL, SYS_CONNECT)
    .push('1723819442.459:2482682', KIND_SOCKADDR, 'saddr=01002F7661722F72756E2F6E7363642F736F636B6574')
    .push('1723819442.459:2482682', KIND_SOCKADDR, 'saddr=0A002BCB000000000000000000000000000000000000000100000000')
  h.a.flush()
  t.same(h.out[0]?.ev.sockaddrs, ['saddr=01002F7661722F72756E2F6E7363642F736F636B6574', 'saddr=0A002BCB000000000000000000000000000000000000000100000000'])
})

t.test('the SOCKETCALL body is kept (i386 socketcall)', async t => {
  const h = new Harness()
  h.push('1332418176.249:12368', KIND_SYSCALL, 'arch=40000003 syscall=102 success=yes exit=0 a0=3')
    .push('1332418176.249:12368', KIND_SOCKETCALL, SOCKETCALL)
  h.a.flush()
  t.equal(h.out[0]?.ev.socketcall, SOCKETCALL)
})

t.test('EOE completes an event at once', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  t.equal(h.out.length, 0)
  h.push('1795640829.926:95900', KIND_EOE)
  t.equal(h.out.length, 1)
  t.equal(h.out[0]?.why, 'eoe')
  t.equal(h.a.inflight, 0)
  t.equal(h.out[0]?.ev.records, 2, 'the EOE is not one of the records')
})

/** An address call's event is whole with these records (selection/socket-calls.ts says which). */
const WITH_ADDRESS = (1 << KIND_SYSCALL) | (1 << KIND_SOCKADDR) | (1 << KIND_PROCTITLE)

t.test('an event completes as soon as it is whole (its PROCTITLE, last from the kernel), before EOE or any timeout', async t => {
  const h = new Harness({ eventTimeoutMs: 3_600_000 })
  h.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95900', KIND_OTHER)
  t.equal(h.out.length, 0, 'not whole yet')
  h.push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
  t.same(h.out.map(d => d.why), ['whole'])
  t.equal(h.a.inflight, 0)
  t.same(h.out[0]?.ev.sockaddrs, [SADDR_CONNECT])
  t.equal(h.out[0]?.ev.proctitle, PROCTITLE)
  h.push('1795640829.926:95900', KIND_EOE)
  t.equal(h.out.length, 1, 'its EOE, after it, is nothing more')
  t.same(h.a.counters, { events: 1, duplicates: 0, late: 0, evicted: 0 })
})

t.test('a PROCTITLE after its SYSCALL ends the event whatever the call; in another order it is whole once it has what its call needs', async t => {
  const h = new Harness({ eventTimeoutMs: 3_600_000 })
  h.push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  t.equal(h.out.length, 0, 'no SYSCALL yet: nothing says what makes it whole')
  h.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS)
  t.same(h.out.map(d => d.why), ['whole'], 'whole at its SYSCALL, the last to arrive')
  // An accept that logged no address, in the kernel's order: its PROCTITLE ends it.
  h.pushCall('1795640829.930:95901', SYS_ACCEPT, WITH_ADDRESS)
    .push('1795640829.930:95901', KIND_PROCTITLE, PROCTITLE)
  t.equal(h.out.length, 2)
  t.equal(h.out[1]?.ev.sockaddrs, null)
  // A call with nothing known of its records (whole = 0): its PROCTITLE ends it all the same.
  h.pushCall('1795640829.931:95902', SYS_CONNECT, 0)
    .push('1795640829.931:95902', KIND_SOCKADDR, SADDR_CONNECT)
  t.equal(h.a.inflight, 1)
  h.push('1795640829.931:95902', KIND_PROCTITLE, PROCTITLE)
  t.equal(h.a.inflight, 0)
  // The PROCTITLE first (not the kernel's order): the accept might still log an address, so it waits.
  h.push('1795640829.932:95903', KIND_PROCTITLE, PROCTITLE)
    .pushCall('1795640829.932:95903', SYS_ACCEPT, WITH_ADDRESS)
  t.equal(h.a.inflight, 1)
  h.a.flush()
  t.same(h.out.map(d => d.why), ['whole', 'whole', 'whole', 'end'])
  // A SOCKADDR after the PROCTITLE, which the kernel never writes: the event ended at its
  // PROCTITLE, and the address starts a partial event of its own, counted late, not lost.
  const g = new Harness({ eventTimeoutMs: 3_600_000 })
  g.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS)
    .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  t.equal(g.a.counters.late, 1)
  g.a.flush()
  t.same(g.out.map(d => [d.why, d.ev.sockaddrs]), [['whole', null], ['end', [SADDR_CONNECT]]])
})

t.test('a record arriving after its event was whole starts a new, partial event, counted late; a re-delivery counts duplicates', async t => {
  const h = new Harness({ eventTimeoutMs: 3_600_000 })
  h.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
    .push('1795640829.926:95900', KIND_OTHER) // the kernel never writes one after PROCTITLE
  t.equal(h.a.counters.late, 1)
  h.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS) // joins the partial event
  h.a.flush()
  t.same(h.out.map(d => d.why), ['whole', 'end'])
  const g = new Harness({ eventTimeoutMs: 3_600_000 })
  for (let i = 0; i < 2; i++) {
    g.pushCall('1795640829.926:95900', SYS_CONNECT, WITH_ADDRESS)
      .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
      .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
  }
  t.same(g.out.map(d => d.why), ['whole'])
  t.equal(g.a.counters.duplicates, 3)
})

t.test('EOE closes an event long before its timeout', async t => {
  const h = new Harness({ eventTimeoutMs: 3_600_000 })
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT).push('1795640829.926:95900', KIND_EOE)
  t.same(h.out.map(d => d.why), ['eoe'])
})

t.test('EOE completes only its own event among interleaved ones', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT)
    .push('1795640829.926:95901', KIND_EOE)
  t.same(h.ids(), ['1795640829.926:95901'])
  t.equal(h.a.inflight, 1)
})

t.test('a spurious EOE (no record of its event seen) is ignored', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_EOE)
  t.equal(h.out.length, 0)
  t.equal(h.a.inflight, 0)
  t.same(h.a.counters, { events: 0, duplicates: 0, late: 0, evicted: 0 })
  h.a.flush()
  t.equal(h.out.length, 0, 'and leaves nothing to flush')
})

t.test('a second EOE for a completed event is harmless', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT).push('1795640829.926:95900', KIND_EOE)
  h.push('1795640829.926:95900', KIND_EOE)
  h.a.flush()
  t.equal(h.out.length, 1)
  t.same(h.a.counters, { events: 1, duplicates: 0, late: 0, evicted: 0 })
})

t.test('an EOE arriving after its event timed out is harmless', async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640831.926:95990', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.out.map(d => d.why), ['timeout'])
  h.push('1795640829.926:95900', KIND_EOE)
  h.a.flush()
  t.same(h.ids(), ['1795640829.926:95900', '1795640831.926:95990'])
  t.equal(h.a.counters.duplicates, 0)
  t.equal(h.a.counters.events, 2)
})

t.test('an event is not timed out while the log clock is less than eventTimeoutMs past it', async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.000:100', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640830.999:101', KIND_SYSCALL, SYS_ACCEPT)
  t.equal(h.out.length, 0)
})

t.test('an event times out once a later record is eventTimeoutMs past it', async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.000:100', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.000:100', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640831.000:101', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640829.000:100'])
  t.equal(h.out[0]?.why, 'timeout')
  t.same(h.out[0]?.ev.sockaddrs, [SADDR_CONNECT], 'with all its records')
  t.equal(h.a.inflight, 1, 'the newer event waits')
})

t.test('the timeout follows eventTimeoutMs', async t => {
  const h = new Harness({ eventTimeoutMs: 10_000 })
  h.push('1795640829.000:100', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640838.999:101', KIND_SYSCALL, SYS_ACCEPT)
  t.equal(h.out.length, 0, '9.999 s is not enough')
  h.push('1795640839.000:102', KIND_SYSCALL, SYS_ACCEPT)
  // (The 9.999 s record ran a sweep; 1 ms later the next one may wait for the sweep period.)
  h.push('1795640840.000:103', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640829.000:100'])
})

t.test('an event times out as soon as the log clock reaches eventTimeoutMs past it, even right after a sweep found it young', async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.000:100', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640830.999:101', KIND_SYSCALL, SYS_ACCEPT)
  t.equal(h.out.length, 0, 'young at +1999 ms')
  h.push('1795640831.000:102', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640829.000:100'], 'timed out at +2000 ms')
  h.push('1795640831.249:103', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640829.000:100'], 'completed by +2249 ms at the latest (the next sweep)')
})

t.test('an older event that arrived after a younger one times out when the log clock passes it', async t => {
  // SPADE accept.bin.log: 1507314580.999:14840163 then 1507314578.995:14840164.
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1507314580.999:14840163', KIND_SYSCALL, SYS_CONNECT)
    .push('1507314578.995:14840164', KIND_SYSCALL, SYS_ACCEPT)
    .push('1507314581.995:14840165', KIND_SYSCALL, SYS_ACCEPT) // 3000 ms past :14840164, 996 ms past :14840163
  t.same(h.ids(), ['1507314578.995:14840164'], 'the older event is complete, the younger one is not')
  h.push('1507314583.000:14840166', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids().sort(), ['1507314578.995:14840164', '1507314580.999:14840163'], 'both complete once the younger one times out')
})

t.test('records with the same time never time each other out', async t => {
  const h = new Harness({ eventTimeoutMs: 1 })
  for (let serial = 95900; serial < 95910; serial++) {
    h.push(`1795640829.926:${serial}`, KIND_SYSCALL, SYS_CONNECT)
    h.push(`1795640829.926:${serial}`, KIND_SOCKADDR, SADDR_CONNECT)
  }
  t.equal(h.out.length, 0)
  h.a.flush()
  t.equal(h.out.length, 10)
  t.ok(h.out.every(d => d.ev.records === 2), 'no event was split')
})

t.test("each node has its own clock: node A's time does not expire node B's events", async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.000:100', KIND_SYSCALL, SYS_CONNECT, 'b')
    .push('1795640900.000:5000', KIND_SYSCALL, SYS_ACCEPT, 'a') // node a is 71 s ahead
  t.equal(h.out.length, 0, "a's clock does not touch b")
  h.push('1795640831.000:101', KIND_SYSCALL, SYS_ACCEPT, 'b')
  t.same(h.out.map(d => [d.node, d.id, d.why]), [['b', '1795640829.000:100', 'timeout']])
})

t.test('the same serial on two nodes is two events', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, 'web1')
    .push('1795640829.926:95900', KIND_SYSCALL, SYS_ACCEPT, 'web2')
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_ACCEPT, 'web2')
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT, 'web1')
    .push('1795640829.926:95900', KIND_EOE, null, 'web1')
  t.same(h.out.map(d => d.node), ['web1'], "web1's EOE completes only web1's event")
  h.a.flush()
  t.equal(h.out.length, 2)
  const web1 = h.out.find(d => d.node === 'web1')?.ev
  const web2 = h.out.find(d => d.node === 'web2')?.ev
  t.equal(web1?.syscall, SYS_CONNECT)
  t.same(web1?.sockaddrs, [SADDR_CONNECT])
  t.equal(web2?.syscall, SYS_ACCEPT)
  t.same(web2?.sockaddrs, [SADDR_ACCEPT])
})

t.test('records without a node and with a node are different events', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, null)
    .push('1795640829.926:95900', KIND_SYSCALL, SYS_ACCEPT, 'web1')
  h.a.flush()
  t.same(h.out.map(d => d.node).sort(), ['web1', null].sort())
})

t.test('flush() completes every event in flight, on every node, with reason end', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT, 'web1')
    .push('1795640829.930:95902', KIND_SOCKADDR, SADDR_CONNECT)
  h.a.flush()
  t.equal(h.out.length, 3)
  t.ok(h.out.every(d => d.why === 'end'))
  t.equal(h.a.inflight, 0)
  h.a.flush()
  t.equal(h.out.length, 3, 'a second flush emits nothing more')
})

t.test('beyond maxInflight the oldest event is evicted: counted, still emitted, never lost', async t => {
  const h = new Harness({ maxInflight: 2 })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const id = `1795640829.926:${95900 + i}`
    ids.push(id)
    h.push(id, KIND_SYSCALL, SYS_CONNECT).push(id, KIND_SOCKADDR, SADDR_CONNECT)
    t.ok(h.a.inflight <= 2, `at most 2 in flight after event ${i}`)
  }
  t.equal(h.a.counters.evicted, 3)
  t.same(h.ids(), ids.slice(0, 3), 'the oldest three were evicted, oldest first')
  t.ok(h.out.every(d => d.why === 'evicted'))
  t.ok(h.out.every(d => d.ev.records === 2 && d.ev.sockaddrs?.length === 1), 'evicted with the records they had')
  h.a.flush()
  t.same(h.ids(), ids, 'every event emitted exactly once')
  t.equal(h.a.counters.events, 5)
})

t.test('eviction takes the oldest event of any node when the current node has none in flight', async t => {
  const h = new Harness({ maxInflight: 1 })
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, 'web1')
    .push('1795640829.926:95900', KIND_SYSCALL, SYS_ACCEPT, 'web2')
  t.same(h.out.map(d => [d.node, d.why]), [['web1', 'evicted']])
  t.equal(h.a.inflight, 1)
})

t.test('the same event delivered twice is emitted once; the second delivery counts as duplicates', async t => {
  const h = new Harness()
  const deliver = (): void => {
    h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
      .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
      .push('1795640829.926:95900', KIND_OTHER)
      .push('1795640829.926:95900', KIND_PROCTITLE, PROCTITLE)
      .push('1795640829.926:95900', KIND_EOE)
  }
  deliver()
  deliver()
  h.a.flush()
  t.same(h.ids(), ['1795640829.926:95900'])
  t.equal(h.a.counters.events, 1)
  t.equal(h.a.counters.duplicates, 4, 'each re-delivered record but the EOE')
  t.equal(h.a.counters.late, 0)
})

t.test('an event completed by timeout and delivered again is not emitted again', async t => {
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640832.000:96000', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640829.926:95900'])
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  h.a.flush()
  t.same(h.ids(), ['1795640829.926:95900', '1795640832.000:96000'])
  t.equal(h.a.counters.duplicates, 2)
})

t.test('the same event delivered twice before it completes is emitted once', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
    .push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  h.a.flush()
  t.equal(h.out.length, 1)
  t.equal(h.out[0]?.ev.syscall, SYS_CONNECT)
  t.equal(h.a.counters.events, 1)
})

t.test('a record of a kind the completed event lacked is not dropped as a duplicate', async t => {
  // The SOCKADDR arrives more than the event timeout after its SYSCALL: it must not be lost.
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640832.000:96000', KIND_SYSCALL, SYS_ACCEPT)
    .push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT)
  h.a.flush()
  const parts = h.out.filter(d => d.id === '1795640829.926:95900')
  t.equal(parts.length, 2, 'the late record is emitted in a second, partial event')
  t.same(parts[1]?.ev.sockaddrs, [SADDR_CONNECT])
  t.equal(h.a.counters.duplicates, 0)
  t.equal(h.a.counters.late, 1)
})

t.test('sweepIdle completes only events idle for at least idleMs and returns the next deadline', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, null, 1000)
  h.push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT, null, 1200)
  h.push('1795640829.926:95901', KIND_SOCKADDR, SADDR_ACCEPT, null, 1400) // a new record resets its idle time
  t.equal(h.a.sweepIdle(1499, 500), 1500, 'nothing is due yet; the first deadline is 1000 + 500')
  t.equal(h.out.length, 0)
  t.equal(h.a.sweepIdle(1500, 500), 1900, 'idle exactly idleMs is due')
  t.same(h.out.map(d => [d.id, d.why]), [['1795640829.926:95900', 'idle']])
  t.equal(h.a.sweepIdle(1899, 500), 1900)
  t.equal(h.out.length, 1)
  t.equal(h.a.sweepIdle(1900, 500), -1, 'nothing left in flight')
  t.same(h.ids(), ['1795640829.926:95900', '1795640829.926:95901'])
  t.same(h.out[1]?.ev.sockaddrs, [SADDR_ACCEPT])
})

t.test('sweepIdle: an older event that got a new record does not hold back younger ones that are due', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, null, 1000)
  h.push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT, null, 1100)
  h.push('1795640829.926:95900', KIND_SOCKADDR, SADDR_CONNECT, null, 1200) // the first event, refreshed
  t.equal(h.a.sweepIdle(1600, 500), 1700, 'the younger event is due at 1600; the refreshed one at 1700')
  t.same(h.ids(), ['1795640829.926:95901'])
  t.equal(h.a.sweepIdle(1700, 500), -1)
  t.same(h.ids(), ['1795640829.926:95901', '1795640829.926:95900'])
  t.same(h.out[1]?.ev.sockaddrs, [SADDR_CONNECT], 'with the record that refreshed it')
})

t.test('sweepIdle skips events completed otherwise (EOE) and a clock that steps back stands still', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, null, 1000)
  h.push('1795640829.926:95900', KIND_EOE, '', null, 1000)
  h.push('1795640829.926:95901', KIND_SYSCALL, SYS_ACCEPT, null, 2000)
  h.push('1795640829.926:95902', KIND_SYSCALL, SYS_ACCEPT, null, 1500) // the clock went back: taken as 2000
  t.same(h.out.map(d => d.why), ['eoe'])
  t.equal(h.a.sweepIdle(2499, 500), 2500, 'the completed event is not due again; the next deadline is 2000 + 500')
  t.equal(h.a.sweepIdle(2500, 500), -1, 'both due at 2500')
  t.same(h.out.map(d => [d.id, d.why]), [
    ['1795640829.926:95900', 'eoe'], ['1795640829.926:95901', 'idle'], ['1795640829.926:95902', 'idle']
  ])
})

t.test('sweepIdle with nothing in flight returns -1', async t => {
  t.equal(new Harness().a.sweepIdle(123456, 500), -1)
})

t.test('sweepIdle looks at every node', async t => {
  const h = new Harness()
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, 'web1', 1000)
  h.push('1795640829.926:95900', KIND_SYSCALL, SYS_CONNECT, 'web2', 1100)
  t.equal(h.a.sweepIdle(1550, 500), 1600)
  t.same(h.out.map(d => d.node), ['web1'])
  t.equal(h.a.sweepIdle(1600, 500), -1)
  t.same(h.out.map(d => d.node), ['web1', 'web2'])
})

t.test('the same serial 2^21 ms later is a new event, not a duplicate of the old one', async t => {
  // Serial reused (after a reboot) 2097.152 s later: same lookup key, different event.
  const h = new Harness({ eventTimeoutMs: 10_000_000 })
  h.push('1795640000.000:42', KIND_SYSCALL, SYS_CONNECT)
    .push('1795642097.152:42', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640000.000:42'], 'the old event is completed first')
  h.push('1795642097.152:42', KIND_SOCKADDR, SADDR_ACCEPT)
  h.a.flush()
  t.same(h.ids(), ['1795640000.000:42', '1795642097.152:42'])
  t.equal(h.out[1]?.ev.syscall, SYS_ACCEPT)
  t.same(h.out[1]?.ev.sockaddrs, [SADDR_ACCEPT])
  t.equal(h.a.counters.duplicates, 0)
})

t.test('the same serial 2^21 ms after a completed event is a new event, not a duplicate', async t => {
  const h = new Harness()
  h.push('1795640000.000:42', KIND_SYSCALL, SYS_CONNECT).push('1795640000.000:42', KIND_EOE)
  h.push('1795642097.152:42', KIND_SYSCALL, SYS_ACCEPT).push('1795642097.152:42', KIND_EOE)
  t.same(h.ids(), ['1795640000.000:42', '1795642097.152:42'])
  t.equal(h.a.counters.duplicates, 0)
})

t.test('a log that jumps back more than a minute completes the events from before the jump', async t => {
  // Files read out of order: the newer file's last event must not wait for the older file to catch up.
  const h = new Harness({ eventTimeoutMs: 2000 })
  h.push('1795640900.000:5000', KIND_SYSCALL, SYS_CONNECT)
    .push('1795640800.000:4000', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640900.000:5000'])
  t.equal(h.out[0]?.why, 'timeout')
  h.push('1795640802.000:4001', KIND_SYSCALL, SYS_ACCEPT)
  t.same(h.ids(), ['1795640900.000:5000', '1795640800.000:4000'], 'the clock restarted at the earlier time')
})

t.test('counters.events counts each event once, whatever its number of records', async t => {
  const h = new Harness()
  for (let serial = 1; serial <= 3; serial++) {
    for (let r = 0; r < 4; r++) h.push(`1795640829.926:${serial}`, KIND_OTHER)
  }
  t.equal(h.a.counters.events, 3)
  t.equal(h.a.inflight, 3)
})

t.test('addOther counts a record the selection never reads into the event of the last record, and only that event', async t => {
  const h = new Harness()
  h.push('1795640802.866:100', KIND_SYSCALL, SYS_CONNECT)
  t.equal(h.a.addOther(null, 1795640802, 866, 100, 0), true, 'a CWD of the event of the last record is taken')
  t.equal(h.a.addOther(null, 1795640802, 866, 101, 0), false, 'another serial is not')
  t.equal(h.a.addOther(null, 1795640802, 867, 100, 0), false, 'another time is not')
  t.equal(h.a.addOther('web1', 1795640802, 866, 100, 0), false, 'another node is not')
  h.push('1795640802.866:100', KIND_PROCTITLE, PROCTITLE)
  t.equal(h.out.length, 1)
  const ev = h.out[0]?.ev
  t.equal(ev?.records, 3, 'SYSCALL, the record added and PROCTITLE')
  t.equal((ev?.kinds ?? 0) & (1 << KIND_OTHER), 1 << KIND_OTHER, 'its kind is among those the event had')
  t.equal(h.a.addOther(null, 1795640802, 866, 100, 0), false, 'nor once the event is complete (a re-delivery goes through push)')

  // Live input: a record arriving at another wall-clock time must reach the idle timer through push.
  const live = new Harness()
  live.push('1795640802.866:200', KIND_SYSCALL, SYS_CONNECT, null, 1000)
  t.equal(live.a.addOther(null, 1795640802, 866, 200, 1000), true, 'same arrival time: taken')
  t.equal(live.a.addOther(null, 1795640802, 866, 200, 1400), false, 'a later arrival: left to push')
  live.push('1795640802.866:200', KIND_OTHER, null, null, 1400)
  t.equal(live.a.sweepIdle(1600, 500), 1900, 'the idle deadline follows the later record')
  t.equal(live.a.sweepIdle(1900, 500), -1)
  t.equal(live.out[0]?.why, 'idle')
})
