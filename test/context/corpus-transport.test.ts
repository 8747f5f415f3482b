/**
 * Acceptance for socket context on real captured streams: for every connect, accept4, sendto,
 * sendmsg and bind whose fd had a socket() call earlier in the same stream, transport is filled and
 * matches the socket's type; every accept4 on a bound listening socket reports the bound port as
 * local.port. The expected values are worked out here from the raw records with a separate,
 * deliberately simple reading (regular expressions over SYSCALL/SOCKADDR lines in serial order).
 */
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { SHARED, readShared, runFilter, skipLoudly } from '../helpers/filter.js'

const REAL = `${SHARED}/corpus/real`

interface Call { serial: number, syscall: number, pid: number, a0: number, a1: number, exit: number, saddr?: string }

/** x86_64 numbers (the real captures are x86_64): socket 41, connect 42, sendto 44, sendmsg 46, bind 49, accept4 288. */
const SOCKET = 41; const BIND = 49; const ACCEPT4 = 288
const USES = new Set([42, 44, 46, 49, 288])

function calls (text: string): Call[] {
  const bySerial = new Map<number, Call>()
  for (const line of text.split('\n')) {
    const id = /audit\(\d+\.\d+:(\d+)\)/.exec(line)
    if (id === null) continue
    const serial = Number(id[1])
    if (line.startsWith('type=SYSCALL')) {
      const f = (name: string): string => (new RegExp(` ${name}=(\\S+)`).exec(line) ?? [])[1] ?? ''
      const call: Call = {
        serial, syscall: Number(f('syscall')), pid: Number(f('pid')), a0: parseInt(f('a0'), 16),
        a1: parseInt(f('a1'), 16), exit: Number(f('exit')), ...bySerial.get(serial)
      }
      bySerial.set(serial, call)
    } else if (line.startsWith('type=SOCKADDR')) {
      const saddr = (/saddr=([0-9A-F]+)/.exec(line) ?? [])[1]
      const c = bySerial.get(serial)
      if (c !== undefined && saddr !== undefined) c.saddr = saddr
      else if (saddr !== undefined) bySerial.set(serial, { saddr } as Call)
    }
  }
  return [...bySerial.values()].filter(c => c.syscall !== undefined).sort((a, b) => a.serial - b.serial)
}

if (!existsSync(REAL)) {
  skipLoudly(t, '../shared/corpus/real is absent (a user\'s clone has no ../shared): transport acceptance on real captures not run')
} else {
  for (const file of readdirSync(REAL).filter(f => f.endsWith('.log.gz')).sort()) {
    t.test(`transport and bound port recovered on every call of a known socket: ${file}`, async t => {
      const text = (readShared(`corpus/real/${file}`) as Buffer).toString('latin1')
      const { events } = runFilter(text)
      const byId = new Map(events.map(e => [Number(e.event_id.split(':')[1]), e]))
      const sockType = new Map<string, number>() // "pid fd" → SOCK_* type
      const boundPort = new Map<string, number>()
      let checkedTransport = 0
      let checkedAccept = 0
      const wrong: string[] = []
      for (const c of calls(text)) {
        if (c.syscall === SOCKET && c.exit >= 0 && (c.a0 === 2 || c.a0 === 10)) {
          const k = `${c.pid} ${c.exit}`
          sockType.set(k, c.a1 & 0xf)
          boundPort.delete(k)
          continue
        }
        if (!USES.has(c.syscall) || c.saddr === undefined) continue
        const family = parseInt(c.saddr.slice(0, 2), 16)
        if (family !== 2 && family !== 10) continue
        const k = `${c.pid} ${c.a0}`
        const ev = byId.get(c.serial)
        if (ev === undefined) {
          wrong.push(`${c.serial}: network call not emitted`)
          continue
        }
        const type = sockType.get(k)
        if (type !== undefined) {
          const expected = type === 1 ? 'tcp' : type === 2 ? 'udp' : null
          checkedTransport++
          if (ev.transport !== expected) wrong.push(`${c.serial}: transport ${String(ev.transport)}, socket type ${type}`)
        }
        if (c.syscall === BIND && c.exit === 0) boundPort.set(k, parseInt(c.saddr.slice(4, 8), 16))
        if (c.syscall === ACCEPT4 && boundPort.has(k)) {
          checkedAccept++
          if (ev.local?.port !== boundPort.get(k)) wrong.push(`${c.serial}: accept4 local ${JSON.stringify(ev.local)}, bound port ${String(boundPort.get(k))}`)
        }
        if (c.syscall === ACCEPT4 && c.exit >= 0 && type !== undefined) {
          sockType.set(`${c.pid} ${c.exit}`, type)
        }
      }
      t.ok(checkedTransport > 1000, `calls on sockets with a known socket() checked: ${checkedTransport}`)
      t.ok(checkedAccept > 100, `accept4 calls on bound listening sockets checked: ${checkedAccept}`)
      t.same(wrong.slice(0, 10), [], `no wrong or missing transport or local port (${wrong.length})`)
    })
  }
}

t.test('with --family unix,netlink,packet the extra families are kept, decoded and schema-valid', async t => {
  const text = readShared('corpus/real/x86_64-raw-auditd.log.gz')
  if (text === null) {
    skipLoudly(t, '../shared/corpus/real is absent: extra families not checked on the real capture')
    return
  }
  const base = runFilter(text)
  const all = runFilter(text, { keepFamilies: new Set([2, 10, 1, 16, 17]) }) // runFilter validates the schema
  const byFamily = (fam: string): number => all.events.filter(e => e.family === fam).length
  t.equal(byFamily('unix'), base.stats.dropped.unix, 'every unix event the default drops is kept')
  t.equal(byFamily('netlink'), base.stats.dropped.netlink, 'every netlink event')
  t.equal(byFamily('packet'), base.stats.dropped.packet, 'every packet event')
  const packet = all.events.find(e => e.family === 'packet')
  t.match(packet?.local ?? packet?.remote, { ifindex: Number, protocol: Number }, 'AF_PACKET decoded to ifindex and protocol')
})
