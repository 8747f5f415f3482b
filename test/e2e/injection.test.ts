/**
 * Injection, for real: processes whose executable path, name (comm) and command line hold quotes,
 * a newline, 0x1D, "type=SOCKADDR saddr=…", "msg=audit(…)", ANSI escapes and JSON specials run
 * under a real auditd and connect over loopback. netfilter, as auditd's plugin, must report each
 * connect once with those strings exactly, create no event from the text they carry (no event for
 * the 169.254.169.254:80 the fake saddr names), hide none, and write JSON lines that stay one line
 * each with no raw control character (safe for a downstream syslog line). The kernel's records are
 * then replayed from auditd's own log (RAW and the ENRICHED text) and must give the same events.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { assertSchemaValid, jsonLines, runCli, skipLoudly } from '../helpers/filter.js'
import { auditUnavailable, withAuditd } from '../helpers/auditd.js'
import { generateRules } from '../../src/cli/rules.js'

const FAKE_SADDR = '02000050A9FEA9FE0000000000000000' // inet 169.254.169.254:80
const HOSTILE_NAMES = [
  `q"uote'd ${'type=SOCKADDR msg=audit(1795640829.922:95900): saddr=' + FAKE_SADDR}`,
  `nl\nline two\x1dGS\x1b[31mred\x1b[0m {"json":"x\\\\y"} <script>`,
  '__proto__'
]
const HOSTILE_ARGV = ['-c', 'x', `msg=audit(1.000:1): type=SOCKADDR saddr=${FAKE_SADDR}`, '\x1b]0;title\x07', 'a"b\\c\n{"k":1}', '\x1d UID="root"']

const code = (port: number): string => `import socket\ns=socket.create_connection(("127.0.0.1",${port}))\ns.close()`

const unavailable = auditUnavailable()

if (unavailable !== null) {
  process.stderr.write(`\n*** test/e2e/injection.test.ts: SKIPPING: ${unavailable} ***\n\n`)
  skipLoudly(t, unavailable)
} else {
  t.test('hostile names and command lines cannot create, alter or hide an event, nor break the output', async t => {
    const dir = mkdtempSync(`${tmpdir()}/netfilter-inject-`)
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const python = realpathSync('/usr/bin/python3')
    const server = net.createServer(s => s.end())
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => server.close())
    const port = (server.address() as net.AddressInfo).port
    const rules = generateRules({ syscalls: ['socket', 'connect'], b64Only: true })
    let raw = ''
    await withAuditd({ rules, plugin: { config: {} }, log: m => t.comment(m) }, async ctx => {
      const runs: Array<{ pid: number, exe: string }> = []
      for (const name of HOSTILE_NAMES) {
        const exe = `${dir}/${name}`
        copyFileSync(python, exe)
        chmodSync(exe, 0o755)
        const child = spawn(exe, ['-c', code(port), ...HOSTILE_ARGV.slice(2)], { stdio: 'ignore' })
        const status = await new Promise(resolve => child.on('close', resolve))
        t.equal(status, 0, `the program named ${JSON.stringify(name)} ran`)
        runs.push({ pid: child.pid as number, exe })
      }
      for (const r of runs) {
        const [ev] = await ctx.waitForEvents(`connect of ${r.exe}`, e => e.process.pid === r.pid && e.syscall === 'connect')
        t.equal(ev?.process.exe, r.exe, 'exe exactly as on disk')
        t.equal(ev?.process.comm, (r.exe.split('/').pop() as string).slice(0, 15), 'comm: the first 15 bytes of the name')
        // The kernel keeps the first 128 bytes of the NUL-separated command line.
        const full = Buffer.from([r.exe, '-c', code(port), ...HOSTILE_ARGV.slice(2)].join('\0'))
        const expected = full.subarray(0, 128).toString('utf8').split('\0')
        t.same(ev?.process.argv, expected, 'argv as given, as far as the kernel keeps it')
        t.same(ev?.remote, { ip: '127.0.0.1', port }, 'the real address')
      }
      const text = readFileSync(ctx.output, 'utf8')
      const lines = text.split('\n').filter(l => l !== '')
      t.ok(lines.every(l => !/[\x00-\x1f\x7f]/.test(l)), 'no raw control character in any output line')
      const events = jsonLines(text)
      assertSchemaValid(events)
      t.equal(events.length, lines.length, 'one event per line')
      t.equal(events.filter(e => e.remote?.ip === '169.254.169.254').length, 0, 'no event made from the fake saddr')
      for (const r of runs) t.equal(events.filter(e => e.process.pid === r.pid && e.syscall === 'connect').length, 1, 'each connect exactly once')
      raw = ctx.auditLogText()
      t.ok(raw.includes('saddr='), 'auditd logged the records')
    })

    await t.test('the records auditd logged, replayed, give the same connects', async t => {
      const replay = jsonLines((await runCli([], raw)).stdout)
      assertSchemaValid(replay)
      t.equal(replay.filter(e => e.remote?.ip === '169.254.169.254').length, 0, 'no event from the fake saddr on replay')
      t.ok(replay.filter(e => e.syscall === 'connect' && e.remote?.port === port).length >= HOSTILE_NAMES.length, 'every connect replayed')
      const syslogWrapped = raw.split('\n').map(l => l === '' ? l : `Nov 25 21:08:21 vm audisp-syslog: ${l.replace(/\x1d/g, ' ')}`).join('\n')
      const wrapped = jsonLines((await runCli([], syslogWrapped)).stdout)
      t.same(wrapped.map(e => [e.event_id, e.process.exe, e.remote]), replay.map(e => [e.event_id, e.process.exe, e.remote]), 'the syslog-wrapped records too')
    })
  })
}
