/**
 * Lost-event detection (src/events/serial-gaps.ts): gaps in one node's kernel serial numbers.
 * Documented behaviour (module header): the kernel numbers every event it sends (audit_serial()),
 * so a serial that never arrives was lost; records may arrive out of order, so a gap stays open for
 * a window of later serials before it counts as lost, and finish() (end of input) makes whatever is
 * still missing lost; a jump of more than 1,000,000 either way is a new numbering (reboot, another
 * log), counted as a reset and not as loss. At most 1024 gaps are kept open.
 * The last tests go through the filter core: auditd's own DAEMON_* records carry auditd's serial,
 * not the kernel's, and each node numbers its events independently.
 */
import t from 'tap'
import { SerialGaps } from '../../src/events/serial-gaps.js'
import { runFilter } from '../helpers/filter.js'


function seeAll (serials: readonly number[], finish = true): SerialGaps {
  const g = new SerialGaps()
  for (const s of serials) g.see(s)
  if (finish) g.finish()
  return g
}

t.test('consecutive serials lose nothing', t => {
  const g = seeAll([95888, 95889, 95890, 95891, 95892])
  t.equal(g.lost, 0)
  t.equal(g.resets, 0)
  t.equal(g.pending, 0)
  t.end()
})

t.test('the first serial seen is a starting point, not a gap after 0', t => {
  const g = seeAll([95888])
  t.equal(g.lost, 0)
  t.end()
})

t.test('a gap is pending until finish(), then every missing serial counts as lost', t => {
  const g = seeAll([100, 101, 105, 106], false)
  t.equal(g.lost, 0, 'not lost yet: 102-104 may still arrive')
  t.equal(g.pending, 3)
  g.finish()
  t.equal(g.lost, 3)
  t.equal(g.pending, 0)
  t.end()
})

t.test('several gaps add up', t => {
  t.equal(seeAll([1, 3, 4, 8, 9, 20]).lost, 1 + 3 + 10)
  t.end()
})

t.test('a late serial inside an open gap fills it: out of order is not loss', t => {
  const g = seeAll([100, 102, 101, 103])
  t.equal(g.lost, 0)
  t.equal(g.pending, 0)
  t.end()
})

t.test('late serials fill a gap from either end', t => {
  const g = seeAll([100, 105, 101, 104], false)
  t.equal(g.pending, 2, '102 and 103 still missing')
  g.see(103)
  g.see(102)
  t.equal(g.pending, 0)
  g.finish()
  t.equal(g.lost, 0)
  t.end()
})

t.test('a late serial in the middle of a gap splits it and only the rest is lost', t => {
  const g = seeAll([100, 106, 103], false)
  t.equal(g.pending, 4, '101, 102, 104, 105')
  g.see(101)
  g.see(105)
  t.equal(g.pending, 2, '102 and 104')
  g.finish()
  t.equal(g.lost, 2)
  t.end()
})

t.test('a late serial fills the right gap when several are open', t => {
  const g = seeAll([10, 13, 17, 11, 16, 12], false)
  // gaps [11,12] and [14,16]; 11 and 12 close the first, 16 shortens the second
  t.equal(g.pending, 2, '14 and 15')
  g.finish()
  t.equal(g.lost, 2)
  t.end()
})

t.test('a repeated serial (the same event seen again) is neither loss nor a fill', t => {
  const g = seeAll([100, 101, 101, 103, 103], false)
  t.equal(g.pending, 1)
  g.finish()
  t.equal(g.lost, 1)
  t.end()
})

t.test('a serial older than anything seen, with no gap for it, changes nothing', t => {
  const g = seeAll([500, 501, 400, 502])
  t.equal(g.lost, 0)
  t.equal(g.resets, 0)
  t.end()
})

t.test('a gap far behind the newest serial becomes final: a serial arriving after that does not undo the loss', t => {
  const g = new SerialGaps()
  g.see(1)
  g.see(3) // gap [2]
  g.see(500_000) // jump below the reset threshold: gap [4, 499999], and [2] is far behind
  t.equal(g.lost, 1, 'serial 2 is final before the end of input')
  g.see(2)
  g.finish()
  t.equal(g.lost, 1 + (499_999 - 4 + 1))
  t.end()
})

t.test('a forward jump of exactly 1,000,000 is still a gap (only more than that is a new numbering)', t => {
  const g = seeAll([1, 1_000_001])
  t.equal(g.resets, 0)
  t.equal(g.lost, 999_999)
  t.end()
})

t.test('a forward jump of more than 1,000,000 counts a reset and no loss', t => {
  const g = seeAll([1, 2, 1_000_003, 1_000_004]) // 2 → 1,000,003: a jump of 1,000,001
  t.equal(g.resets, 1)
  t.equal(g.lost, 0)
  t.end()
})

t.test('a backward jump of more than 1,000,000 (a reboot restarts at 1) counts a reset and no loss', t => {
  const g = seeAll([5_000_000, 5_000_001, 10, 11, 12])
  t.equal(g.resets, 1)
  t.equal(g.lost, 0)
  t.end()
})

t.test('after a reset, gaps are counted in the new numbering', t => {
  const g = seeAll([5_000_000, 5_000_001, 10, 11, 14])
  t.equal(g.resets, 1)
  t.equal(g.lost, 2, '12 and 13')
  t.end()
})

t.test('a gap still open when the numbering restarts counts as lost', t => {
  const g = seeAll([100, 102, 3_000_000, 3_000_001], false)
  t.equal(g.resets, 1)
  t.equal(g.lost, 1, '101 can no longer be told apart: lost at the reset')
  t.equal(g.pending, 0)
  t.end()
})

t.test('at most 1024 gaps stay open; the oldest beyond that is final', t => {
  const g = new SerialGaps()
  // serials 1, 3, 5, …, 2051: 1025 one-serial gaps (2, 4, …, 2050), all within a few thousand serials
  for (let s = 1; s <= 2051; s += 2) g.see(s)
  t.equal(g.pending, 1024)
  t.equal(g.lost, 1)
  g.see(2) // the oldest gap, already final
  g.see(2050) // the newest gap, still open
  t.equal(g.pending, 1023)
  g.finish()
  t.equal(g.lost, 1 + 1023)
  t.end()
})

// --- through the filter core ---

/** One audit event as auditd writes it (a socket() call); node and serial vary. */
function socketEvent (serial: number, ms: number, node?: string): string {
  const prefix = node === undefined ? '' : `node=${node} `
  const id = `1795640829.${String(ms).padStart(3, '0')}:${serial}`
  return `${prefix}type=SYSCALL msg=audit(${id}): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=80001 a2=0 a3=0 items=0 ppid=18118 pid=18199 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" key="net_socket"\n` +
    `${prefix}type=PROCTITLE msg=audit(${id}): proctitle=707974686F6E33\n`
}

t.test('--stats: consecutive kernel serials report nothing lost', t => {
  const { stats } = runFilter(socketEvent(95888, 100) + socketEvent(95889, 101) + socketEvent(95890, 102))
  t.equal(stats.sequence.lost, 0)
  t.equal(stats.sequence.resets, 0)
  t.end()
})

t.test('--stats: a missing kernel serial is reported lost at the end of input', t => {
  const { stats } = runFilter(socketEvent(95888, 100) + socketEvent(95891, 101))
  t.equal(stats.sequence.lost, 2)
  t.end()
})

t.test('--stats: records out of order between events are not loss', t => {
  const { stats } = runFilter(socketEvent(95890, 102) + socketEvent(95888, 100) + socketEvent(95889, 101))
  t.equal(stats.sequence.lost, 0)
  t.end()
})

t.test('--stats: a DAEMON_START record, numbered by auditd, is not a gap in the kernel serials', t => {
  // auditd numbers its own records from its own counter (here 8405 between kernel serials 639 and 640).
  const input = socketEvent(639, 100) +
    'type=DAEMON_START msg=audit(1795640829.200:8405): op=start ver=3.0.9 format=enriched kernel=6.18.44-fc-v782 auid=4294967295 pid=16675 uid=0 ses=4294967295 res=successAUID="unset" UID="root"\n' +
    socketEvent(640, 300) + socketEvent(641, 301)
  const { stats, events } = runFilter(input)
  t.equal(events.length, 3)
  t.equal(stats.sequence.lost, 0)
  t.equal(stats.sequence.resets, 0)
  t.end()
})

t.test('--stats: a DAEMON_START record in the numeric form (type=1200) is not a gap either', t => {
  const input = socketEvent(639, 100) +
    'type=1200 audit(1795640829.200:8405): op=start ver=3.0.9 format=raw kernel=6.18.44-fc-v782 auid=4294967295 pid=16675 uid=0 ses=4294967295 res=success\n' +
    socketEvent(640, 300)
  const { stats } = runFilter(input)
  t.equal(stats.records, 5, 'the DAEMON_START line is read as a record')
  t.equal(stats.sequence.lost, 0)
  t.end()
})

t.test('--stats: DAEMON_END and DAEMON_ERR records, numbered by auditd, are not gaps in the kernel serials', t => {
  const input = socketEvent(639, 100) +
    'type=DAEMON_END msg=audit(1795640829.150:8404): op=terminate auid=0 uid=0 ses=4294967295 pid=16663 res=successAUID="root" UID="root"\n' +
    socketEvent(640, 300) +
    'type=DAEMON_ERR msg=audit(1795640829.350:8406): op=error auid=0 pid=16663 res=failed\n' +
    socketEvent(641, 400)
  const { stats, events } = runFilter(input)
  t.equal(events.length, 3)
  t.equal(stats.sequence.lost, 0)
  t.equal(stats.sequence.resets, 0)
  t.end()
})

t.test('--stats: each node has its own serials, and gaps are reported per node', t => {
  const input = socketEvent(10, 100, 'web1') + socketEvent(500, 100, 'web2') +
    socketEvent(11, 101, 'web1') + socketEvent(501, 101, 'web2') +
    socketEvent(13, 102, 'web1') + socketEvent(502, 102, 'web2')
  const { stats } = runFilter(input)
  t.equal(stats.sequence.lost, 1, 'serial 12 of web1; interleaving web2\'s numbers is no loss')
  t.equal(stats.sequence.resets, 0)
  const byNode = Object.fromEntries(stats.sequence.nodes.map(n => [n.node, n]))
  t.same(byNode['web1'], { node: 'web1', lost: 1, resets: 0 })
  t.same(byNode['web2'], { node: 'web2', lost: 0, resets: 0 })
  t.equal(stats.sequence.nodes.length, 2)
  t.end()
})

t.test('--stats: a reboot on one node is a reset of that node only', t => {
  const input = socketEvent(5_000_000, 100, 'web1') + socketEvent(900, 100, 'web2') +
    socketEvent(1, 200, 'web1') + socketEvent(901, 200, 'web2') + socketEvent(2, 201, 'web1')
  const { stats } = runFilter(input)
  const byNode = Object.fromEntries(stats.sequence.nodes.map(n => [n.node, n]))
  t.same(byNode['web1'], { node: 'web1', lost: 0, resets: 1 })
  t.same(byNode['web2'], { node: 'web2', lost: 0, resets: 0 })
  t.equal(stats.sequence.resets, 1)
  t.equal(stats.sequence.lost, 0)
  t.end()
})
