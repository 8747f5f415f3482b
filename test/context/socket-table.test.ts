/**
 * Unit tests for src/context/socket-table.ts: the bounded (node, pid, fd) → socket state map.
 * Documented behaviour (module header and method comments): at most maxEntries sockets, the least
 * recently used go first and are counted in `evicted`; set() marks an entry most recently used,
 * get() only reads; an entry older than maxAgeMs of log time (now - seen > maxAgeMs) is forgotten on
 * get(); delete() forgets one socket. Defaults: 65536 sockets, 24 hours.
 */
import t from 'tap'
import { DEFAULT_SOCKET_TABLE_OPTIONS, SocketTable, type SocketState } from '../../src/context/socket-table.js'

const AF_INET = 2
const AF_INET6 = 10
const T0 = 1795640829922 // log time of a real event (ms)
const HOUR = 3600 * 1000

function tcp (seen = T0, local: SocketState['local'] = null): SocketState {
  return { family: AF_INET, socket: { type: 'stream', protocol: 0 }, transport: 'tcp', local, seen }
}
function udp6 (seen = T0): SocketState {
  return { family: AF_INET6, socket: { type: 'dgram', protocol: 0 }, transport: 'udp', local: null, seen }
}

t.test('an empty table knows no socket and has size 0', t => {
  const table = new SocketTable()
  t.equal(table.size, 0)
  t.equal(table.get(null, 18199, 3, T0), null)
  t.equal(table.evicted, 0)
  t.end()
})

t.test('set() records a state that get() returns for the same node, pid and fd', t => {
  const table = new SocketTable()
  const s = tcp(T0, { ip: '127.0.0.1', port: 8080 })
  table.set('web1', 18199, 3, s)
  t.equal(table.size, 1)
  t.same(table.get('web1', 18199, 3, T0), { family: 2, socket: { type: 'stream', protocol: 0 }, transport: 'tcp', local: { ip: '127.0.0.1', port: 8080 }, seen: T0 })
  t.end()
})

t.test('set() on the same node, pid and fd replaces the state instead of adding one', t => {
  const table = new SocketTable()
  table.set(null, 18199, 9, tcp())
  table.set(null, 18199, 9, udp6(T0 + 5))
  t.equal(table.size, 1)
  t.equal(table.get(null, 18199, 9, T0 + 5)?.transport, 'udp')
  t.equal(table.get(null, 18199, 9, T0 + 5)?.family, AF_INET6)
  t.end()
})

t.test('sockets are kept apart by node, pid and fd', t => {
  const table = new SocketTable()
  table.set('web1', 100, 3, tcp())
  t.equal(table.get('web1', 100, 4, T0), null, 'another fd of the same process')
  t.equal(table.get('web1', 101, 3, T0), null, 'the same fd number in another process')
  t.equal(table.get('web2', 100, 3, T0), null, 'the same pid and fd on another node')
  t.equal(table.get(null, 100, 3, T0), null, 'the same pid and fd in records without node=')
  table.set('web2', 100, 3, udp6())
  table.set(null, 100, 3, udp6())
  t.equal(table.size, 3)
  t.equal(table.get('web1', 100, 3, T0)?.transport, 'tcp', 'setting the other nodes left web1 alone')
  t.end()
})

t.test('pid and fd numbers whose digits run together do not collide (pid 1 fd 23 vs pid 12 fd 3)', t => {
  const table = new SocketTable()
  table.set(null, 1, 23, tcp())
  t.equal(table.get(null, 12, 3, T0), null)
  table.set('a', 1, 2, tcp())
  t.equal(table.get('a1', 1, 2, T0), null, 'node "a" pid 1 vs node "a1"')
  t.end()
})

t.test('delete() forgets that one socket and leaves the others', t => {
  const table = new SocketTable()
  table.set(null, 100, 3, tcp())
  table.set(null, 100, 4, tcp())
  table.delete(null, 100, 3)
  t.equal(table.get(null, 100, 3, T0), null)
  t.not(table.get(null, 100, 4, T0), null)
  t.equal(table.size, 1)
  table.delete(null, 100, 99) // unknown fd: nothing happens
  t.equal(table.size, 1)
  t.equal(table.evicted, 0, 'a delete is not an eviction')
  t.end()
})

t.test('beyond maxEntries the least recently set socket is evicted and counted', t => {
  const table = new SocketTable({ maxEntries: 3 })
  table.set(null, 100, 3, tcp())
  table.set(null, 100, 4, tcp())
  table.set(null, 100, 5, tcp())
  t.equal(table.size, 3)
  t.equal(table.evicted, 0)
  table.set(null, 100, 6, tcp())
  t.equal(table.size, 3, 'never more than maxEntries')
  t.equal(table.evicted, 1)
  t.equal(table.get(null, 100, 3, T0), null, 'fd 3, the oldest, went')
  for (const fd of [4, 5, 6]) t.not(table.get(null, 100, fd, T0), null, `fd ${fd} stays`)
  table.set(null, 100, 7, tcp())
  table.set(null, 100, 8, tcp())
  t.equal(table.evicted, 3)
  t.same([3, 4, 5, 6, 7, 8].map(fd => table.get(null, 100, fd, T0) !== null), [false, false, false, true, true, true])
  t.end()
})

t.test('set() on a known socket makes it the most recently used, so another is evicted first', t => {
  const table = new SocketTable({ maxEntries: 2 })
  table.set(null, 100, 3, tcp())
  table.set(null, 100, 4, tcp())
  table.set(null, 100, 3, tcp(T0 + 1)) // touch fd 3
  table.set(null, 100, 5, tcp(T0 + 2))
  t.equal(table.evicted, 1)
  t.not(table.get(null, 100, 3, T0 + 2), null, 'fd 3 was refreshed and stays')
  t.equal(table.get(null, 100, 4, T0 + 2), null, 'fd 4 is now the least recently used and went')
  t.end()
})

t.test('set() again on the socket set last, after it was deleted in between, puts it back as the newest', t => {
  const table = new SocketTable({ maxEntries: 2 })
  table.set(null, 100, 3, tcp())
  table.set(null, 100, 3, tcp(T0 + 1)) // the newest again: updated in place
  t.equal(table.get(null, 100, 3, T0 + 1)?.seen, T0 + 1)
  table.set(null, 100, 4, tcp(T0 + 2))
  table.delete(null, 100, 4)
  table.set(null, 100, 5, tcp(T0 + 3))
  table.set(null, 100, 5, tcp(T0 + 4))
  table.set(null, 100, 4, tcp(T0 + 5)) // deleted before: a new entry, the newest
  table.set(null, 100, 6, tcp(T0 + 6))
  t.equal(table.evicted, 2, 'fd 3 then fd 5 went, oldest first')
  t.same([3, 4, 5, 6].map(fd => table.get(null, 100, fd, T0 + 6) !== null), [false, true, false, true])
  t.equal(table.size, 2)
  t.end()
})

t.test('get() does not refresh recency: a socket only read is still evicted first', t => {
  const table = new SocketTable({ maxEntries: 2 })
  table.set(null, 100, 3, tcp())
  table.set(null, 100, 4, tcp())
  t.not(table.get(null, 100, 3, T0 + 1), null, 'read fd 3')
  table.set(null, 100, 5, tcp(T0 + 2))
  t.equal(table.get(null, 100, 3, T0 + 2), null, 'fd 3 went although it was read last')
  t.not(table.get(null, 100, 4, T0 + 2), null)
  t.end()
})

t.test('get() does not change the state it returns (seen stays the time of the last set)', t => {
  const table = new SocketTable()
  table.set(null, 100, 3, tcp(T0))
  table.get(null, 100, 3, T0 + 10 * HOUR)
  t.equal(table.get(null, 100, 3, T0 + 10 * HOUR)?.seen, T0)
  t.end()
})

t.test('a socket last seen more than maxAgeMs before now is forgotten; exactly maxAgeMs is not', t => {
  const table = new SocketTable({ maxAgeMs: 60_000 })
  table.set(null, 100, 3, tcp(T0))
  t.not(table.get(null, 100, 3, T0 + 60_000), null, 'age == maxAgeMs: not older than it')
  t.equal(table.get(null, 100, 3, T0 + 60_001), null, 'age maxAgeMs + 1 ms: forgotten')
  t.equal(table.size, 0, 'and removed, not only hidden')
  t.equal(table.get(null, 100, 3, T0), null, 'it does not come back for an earlier now')
  t.equal(table.evicted, 0, 'expiry is not counted as eviction')
  t.end()
})

t.test('expiry is per socket: a younger socket of the same process stays', t => {
  const table = new SocketTable({ maxAgeMs: 60_000 })
  table.set(null, 100, 3, tcp(T0))
  table.set(null, 100, 4, tcp(T0 + 30_000))
  t.equal(table.get(null, 100, 3, T0 + 70_000), null)
  t.not(table.get(null, 100, 4, T0 + 70_000), null)
  t.end()
})

t.test('defaults are 65536 sockets and 24 hours of log time', t => {
  t.equal(DEFAULT_SOCKET_TABLE_OPTIONS.maxEntries, 65536)
  t.equal(DEFAULT_SOCKET_TABLE_OPTIONS.maxAgeMs, 24 * HOUR)
  const table = new SocketTable()
  table.set(null, 100, 3, tcp(T0))
  t.not(table.get(null, 100, 3, T0 + 24 * HOUR), null, '24 h later: kept')
  t.equal(table.get(null, 100, 3, T0 + 24 * HOUR + 1), null, 'past 24 h: forgotten')
  t.end()
})

t.test('the default bound holds 65536 sockets and evicts the 65537th oldest', t => {
  const table = new SocketTable()
  for (let fd = 0; fd < 65536; fd++) table.set(null, 100, fd, tcp())
  t.equal(table.size, 65536)
  t.equal(table.evicted, 0)
  table.set(null, 100, 65536, tcp())
  t.equal(table.size, 65536)
  t.equal(table.evicted, 1)
  t.equal(table.get(null, 100, 0, T0), null)
  t.end()
})

t.test('a partial options object keeps the other default', t => {
  const table = new SocketTable({ maxEntries: 1 })
  table.set(null, 100, 3, tcp(T0))
  t.not(table.get(null, 100, 3, T0 + 23 * HOUR), null, 'maxAgeMs stays 24 h')
  table.set(null, 100, 4, tcp(T0))
  t.equal(table.size, 1)
  t.end()
})
