/**
 * Differential test against libauparse (Debian python3-audit), the reference parser: over every
 * file of the real corpus, netfilter keeps the same events as auparse and agrees on syscall,
 * family, ip, port, pid and exe for each. auparse prints IPv4-mapped addresses as ::ffff:a.b.c.d;
 * netfilter gives a.b.c.d with ipv4_mapped, so the oracle's text is unmapped before comparing.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { promisify } from 'node:util'
import { ROOT, SHARED, assertSchemaValid, jsonLines, runCli } from '../helpers/filter.js'

const run = promisify(execFile)
const REAL = `${SHARED}/corpus/real`
const ORACLE = `${ROOT}test/oracle/auparse-network.py`

interface OracleEvent {
  event_id: string, syscall: string | null, family: string, ip: string | null, port: number | null,
  pid: number | null, exe: string | null
}

const unmap = (ip: string | null): string | null => ip !== null && ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip

if (!existsSync(REAL)) {
  t.skip(`../shared/corpus/real is absent (a user's clone has no ../shared): differential test against libauparse not run`)
} else {
  const files = readdirSync(REAL).filter(f => f.endsWith('.log.gz')).sort()
  t.ok(files.length >= 4, `the real corpus holds the four captures (found ${files.length})`)
  for (const file of files) {
    t.test(`netfilter and libauparse keep the same events with the same fields: ${file}`, async t => {
      const path = `${REAL}/${file}`
      const [oracle, ours] = await Promise.all([
        run('/usr/bin/python3', [ORACLE, path], { maxBuffer: 1 << 28 }),
        runCli([path])
      ])
      t.equal(ours.status, 0, 'netfilter exits 0')
      const expected = new Map(jsonLines<OracleEvent>(oracle.stdout).map(e => [e.event_id, e]))
      const got = jsonLines(ours.stdout)
      assertSchemaValid(got)
      t.ok(expected.size > 1000, `the oracle found network events (${expected.size})`)
      t.equal(got.length, expected.size, 'same number of kept events')
      const gotIds = new Set(got.map(e => e.event_id))
      const missing = [...expected.keys()].filter(id => !gotIds.has(id))
      t.same(missing.slice(0, 10), [], 'every event auparse keeps, netfilter keeps')
      const mismatches: string[] = []
      for (const e of got) {
        const o = expected.get(e.event_id)
        if (o === undefined) {
          mismatches.push(`${e.event_id}: kept by netfilter only`)
          continue
        }
        const endpoint = e.remote ?? e.local
        const mine = { syscall: e.syscall, family: e.family, ip: endpoint?.ip ?? null, port: endpoint?.port ?? null, pid: e.process.pid, exe: e.process.exe }
        const theirs = { syscall: o.syscall, family: o.family, ip: unmap(o.ip), port: o.port, pid: o.pid, exe: o.exe }
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) mismatches.push(`${e.event_id}: ${JSON.stringify(mine)} != ${JSON.stringify(theirs)}`)
      }
      t.same(mismatches.slice(0, 10), [], `per-event fields agree (${mismatches.length} mismatches)`)
    })
  }
}
