/**
 * Point 1 of the core issue: the same audit records in every form auditd, syslog and the kernel
 * produce must give the same events. Each form is made from a real log by the transformation that
 * the real writer applies, and the output must equal the output for the original.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ROOT, readShared, runFilter , skipLoudly } from './helpers/filter.js'
import { RECORD_TYPE_NUMBERS } from '../src/tables/record-types.js'
import type { NetworkEvent } from '../src/events/network-event.js'

type Form = (line: string, i: number) => string

const HEADER = /^type=([A-Z_]+) msg=(audit\(\d+\.\d+:\d+\)):/

const FORMS: Record<string, Form> = {
  // auditd with name_format=hostname
  'node= prefix': line => `node=web-1.example ${line}`,
  // audisp-syslog: one syslog message per record, 0x1D replaced by a space (integration.md §4.6)
  'audisp-syslog (rsyslog file format)': line =>
    `2026-11-25T21:08:21.414680+00:00 vm audisp-syslog: ${line.replace(/\x1d/g, ' ')}`,
  'audisp-syslog with node=': line => `Nov 25 21:08:21 vm audispd: node=web-1 ${line.replace(/\x1d/g, ' ')}`,
  // kmsg / journald when no auditd runs: numeric types, no "msg=", interpretation never present
  'kernel numeric form via journald': line => {
    const m = HEADER.exec(line)
    if (m === null) return line
    const n = RECORD_TYPE_NUMBERS[m[1] as string]
    const body = line.slice(m[0].length).split('\x1d')[0] as string
    return `Nov 25 21:08:21 vm kernel: audit: type=${n ?? m[1]} ${m[2]}:${body}`
  },
  'CRLF line ends': line => `${line}\r`,
  'foreign lines between records': (line, i) => i % 3 === 0 ? `Nov 25 21:08:21 vm sshd[812]: Accepted publickey for root\n${line}` : line
}

function stripNode (events: NetworkEvent[]): unknown[] {
  return events.map(e => ({ ...e, node: null }))
}

/** The kernel's own form carries no ENRICHED text, so the names auditd resolved are not there. */
function withoutNames (events: NetworkEvent[]): unknown[] {
  return events.map(e => {
    const { name: _n, effective_name: _e, group: _g, audit_name: _a, ...user } = e.user
    return { ...e, node: null, user }
  })
}

function checkForms (name: string, text: string): void {
  const lines = text.split('\n').filter(l => l.length > 0)
  const base = runFilter(lines.join('\n') + '\n')
  t.ok(base.events.length > 0, `${name}: the original gives network events (${base.events.length})`)
  for (const [form, transform] of Object.entries(FORMS)) {
    t.test(`${form} gives the same events as the original: ${name}`, async t => {
      const input = lines.map(transform).join('\n') + '\n'
      const got = runFilter(input, {}, 4093)
      const view = form.startsWith('kernel') ? withoutNames : stripNode
      t.same(view(got.events), view(base.events), 'same events')
      t.equal(got.stats.records, base.stats.records, 'same record count')
      if (form.includes('node=')) {
        t.ok(got.events.every(e => e.node !== null && e.node.startsWith('web-1')), 'node name taken from the prefix')
      }
      if (form.startsWith('foreign')) t.ok(got.stats.foreign > 0, `foreign lines counted (${got.stats.foreign})`)
    })
  }
}

checkForms('examples/audit.log', readFileSync(`${ROOT}examples/audit.log`, 'utf8'))
const real = readShared('corpus/real/x86_64-enriched-auditd.log.gz')
if (real === null) skipLoudly(t, '../shared/corpus/real is absent: forms not checked on the full real capture')
else checkForms('real enriched capture', real.toString('latin1'))
