/**
 * `netfilter correlate` on real traffic. Two network namespaces joined by a veth pair (addresses
 * only from 198.51.100.0/24 and 2001:db8::/64, only inside them); Python TCP and UDP clients and
 * servers; the syscalls captured by a real auditd with the netfilter plugin (test/helpers/auditd.ts)
 * and, independently, the packets on the client's veth by tcpdump; the capture turned into VPC v2
 * flow records by scripts/flow-sim.mjs; an nftables drop rule in the server namespace for one port.
 * Then: every flow of the client namespace is attributed to the process that made it (pid and exe),
 * the dropped traffic is REJECT and its connect host-only `rejected`, and the other host-only events
 * have the right reasons. The server's view is checked the same way (accept, UDP replies).
 * Skips loudly only when the kernel has no audit (`auditctl -s` fails) or no namespaces.
 */
import t from 'tap'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { auditUnavailable, withAuditd } from '../helpers/auditd.js'
import { ROOT, schemaErrors } from '../helpers/filter.js'
import type { FlowOut, HostOnlyOut } from '../../src/correlate/records.js'
import { runCorrelate, tempFile } from '../correlate/helpers.js'

const PY = '/usr/bin/python3'
const PY_EXE = realpathSync(PY)
const CLIENT4 = '198.51.100.1'
const SERVER4 = '198.51.100.2'
const CLIENT6 = '2001:db8::1'
const SERVER6 = '2001:db8::2'
const ENI = 'eni-0c11e47000000e2e0'
const ENI_SERVER = 'eni-05e7e7000000e2e0'

function namespacesUnavailable (): string | null {
  const probe = `nfprobe${process.pid}`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' })
    return null
  } catch (err) {
    return `network namespaces are not available here (ip netns add failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()})`
  }
}

const SERVER = `
import os, socket, sys, threading
def tcp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(16)
    def serve():
        while True:
            c, _ = s.accept()
            c.settimeout(5)
            try:
                c.sendall(c.recv(100))
            except OSError:
                pass
            c.close()
    threading.Thread(target=serve, daemon=True).start()
def udp(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    def serve():
        while True:
            d, a = s.recvfrom(100)
            s.sendto(d, a)
    threading.Thread(target=serve, daemon=True).start()
for p in (7001, 7003, 7004, 7007):
    tcp(p)
udp(7002)
print('ready', os.getpid(), flush=True)
sys.stdin.read()
`

/** One client action; prints its pid first, then what happened. */
const CLIENT = `
import errno, os, socket, sys
print(os.getpid(), flush=True)
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
if kind == 'tcp':
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    if len(sys.argv) > 4:
        s.bind((sys.argv[4], int(sys.argv[5])))
    s.connect((host, port))
    s.sendall(b'ping')
    print(s.recv(100).decode(), flush=True)
    s.close()
elif kind == 'tcp-dropped':
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        print('connected', flush=True)
    except socket.timeout:
        print('timeout', flush=True)
elif kind == 'udp':
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b'ping', (host, port))
    print(s.recvfrom(100)[0].decode(), flush=True)
elif kind == 'udp-oneway':
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.sendto(b'x', (host, port))
    print('sent', flush=True)
elif kind == 'unreachable':
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.connect((host, port))
        print('connected', flush=True)
    except OSError as e:
        print(errno.errorcode[e.errno], flush=True)
`

const RULES = [
  `-a always,exit -F arch=b64 -S socket -F a0=2 -F exe=${PY_EXE} -k nfcorr_socket`,
  `-a always,exit -F arch=b64 -S socket -F a0=10 -F exe=${PY_EXE} -k nfcorr_socket`,
  `-a always,exit -F arch=b64 -S connect -F exe=${PY_EXE} -k nfcorr_connect`,
  `-a always,exit -F arch=b64 -S accept,accept4 -F exe=${PY_EXE} -k nfcorr_accept`,
  `-a always,exit -F arch=b64 -S bind -F exe=${PY_EXE} -k nfcorr_bind`,
  `-a always,exit -F arch=b64 -S sendto,sendmsg -F success=1 -F exe=${PY_EXE} -k nfcorr_send`
].join('\n') + '\n'

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

/** Runs a client in the client namespace to its end; returns its pid and its output lines. */
async function client (ns: string, ...args: string[]): Promise<{ pid: number, out: string[] }> {
  const child = spawn('ip', ['netns', 'exec', ns, PY, '-c', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const status = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (status !== 0) throw new Error(`client ${args.join(' ')} failed (${String(status)}): ${err}`)
  const lines = out.trim().split('\n')
  return { pid: Number(lines[0]), out: lines.slice(1) }
}

async function waitForLine (child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${text}`)), 15000)
    child[stream]?.setEncoding('utf8').on('data', (d: string) => {
      text += d
      const m = pattern.exec(text)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[0])
      }
    })
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`${what}: exited ${String(code)}: ${text}`)) })
  })
}

const auditWhy = auditUnavailable()
const nsWhy = auditWhy === null ? namespacesUnavailable() : null
if (auditWhy !== null) {
  t.test('netfilter correlate attributes real flows to the processes auditd saw', { skip: `SKIPPED: correlate end-to-end test NOT run — ${auditWhy}` }, async () => {})
} else if (nsWhy !== null) {
  t.test('netfilter correlate attributes real flows to the processes auditd saw', { skip: `SKIPPED: correlate end-to-end test NOT run — ${nsWhy}` }, async () => {})
} else {
  t.test('netfilter correlate attributes real flows to the processes auditd saw', async t => {
    const nsc = `nfcc${process.pid}`
    const nss = `nfcs${process.pid}`
    const children: ChildProcess[] = []
    t.teardown(async () => {
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
          try { process.kill(c.pid, 'SIGKILL') } catch { /* already gone */ }
        }
      }
      for (const ns of [nsc, nss]) {
        try { sh('ip', ['netns', 'del', ns]) } catch { /* not created */ }
      }
    })

    // Two namespaces and a veth pair; documentation addresses only, only in there.
    sh('ip', ['netns', 'add', nsc])
    sh('ip', ['netns', 'add', nss])
    sh('ip', ['link', 'add', `${nsc}v`, 'type', 'veth', 'peer', 'name', `${nss}v`])
    sh('ip', ['link', 'set', `${nsc}v`, 'netns', nsc])
    sh('ip', ['link', 'set', `${nss}v`, 'netns', nss])
    for (const [ns, dev, v4, v6] of [[nsc, `${nsc}v`, CLIENT4, CLIENT6], [nss, `${nss}v`, SERVER4, SERVER6]] as const) {
      sh('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev])
      sh('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad'])
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up'])
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    }
    // The "security group": TCP to port 7003 is dropped in the server namespace.
    execFileSync('ip', ['netns', 'exec', nss, 'nft', '-f', '-'], {
      input: 'table inet nfcorr {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 7003 counter drop\n }\n}\n'
    })

    const pcap = tempFile('', '.pcap')
    const tcpdump = spawn('ip', ['netns', 'exec', nsc, 'tcpdump', '-i', `${nsc}v`, '-nn', '--immediate-mode', '-U', '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] })
    children.push(tcpdump)
    await waitForLine(tcpdump, 'stderr', /listening on/, 'tcpdump to start')

    const run = await withAuditd({ rules: RULES, log: m => t.comment(m) }, async ctx => {
      const server = spawn('ip', ['netns', 'exec', nss, PY, '-c', SERVER], { stdio: ['pipe', 'pipe', 'pipe'] })
      children.push(server)
      const serverPid = Number((await waitForLine(server, 'stdout', /ready (\d+)/, 'the server')).split(' ')[1])

      const a = await client(nsc, 'tcp', SERVER4, '7001')
      const b = await client(nsc, 'udp', SERVER6, '7002')
      const c = await client(nsc, 'tcp', `::ffff:${SERVER4}`, '7004')
      const d = await client(nsc, 'tcp-dropped', SERVER4, '7003')
      const [p1, p2] = await Promise.all([client(nsc, 'tcp', SERVER4, '7007'), client(nsc, 'tcp', SERVER4, '7007')])
      // Bound to the wildcard, as clients with a fixed port usually are. (Bound to CLIENT4, it would
      // teach the server's view, which reads the same kernel's events, that CLIENT4 is the host's
      // too: then the client's 5-tuple match would own the server's flow of this connection.)
      const p3 = await client(nsc, 'tcp', SERVER4, '7007', '0.0.0.0', '40007')
      const loop = await client(nsc, 'udp-oneway', '127.0.0.1', '7009')
      const unreachable = await client(nsc, 'unreachable', '169.254.169.254', '80')
      t.same([a.out, b.out, c.out, d.out, p1.out, p2.out, p3.out, loop.out, unreachable.out],
        [['ping'], ['ping'], ['ping'], ['timeout'], ['ping'], ['ping'], ['ping'], ['sent'], ['ENETUNREACH']], 'the traffic happened as planned')

      const pids = { a: a.pid, b: b.pid, c: c.pid, d: d.pid, p1: p1.pid, p2: p2.pid, p3: p3.pid, loop: loop.pid, unreachable: unreachable.pid, server: serverPid }
      // Each client's peer-naming calls, and the server's accepts and replies, reached the plugin.
      for (const [name, pid] of Object.entries(pids)) {
        if (name === 'server') continue
        await ctx.waitForEvents(`${name}'s connect/sendto`, e => e.process.pid === pid && (e.syscall === 'connect' || e.syscall === 'sendto') && e.remote !== null)
      }
      await ctx.waitForEvents('the server\'s accepts', e => e.process.pid === serverPid && e.syscall === 'accept4', 5)
      await ctx.waitForEvents('the server\'s UDP reply', e => e.process.pid === serverPid && e.syscall === 'sendto' && e.remote !== null)
      server.stdin.end()
      return { pids, events: ctx.events() }
    })

    // Stop the capture and check the drop rule really dropped. --immediate-mode hands every packet
    // to tcpdump at once and -U writes it at once; SIGINT would lose packets still in a capture
    // block, so the last packets are given a moment (the clients finished well before) anyway.
    await new Promise(resolve => setTimeout(resolve, 500))
    tcpdump.kill('SIGINT')
    await new Promise(resolve => tcpdump.once('close', resolve))
    const counter = /counter packets (\d+)/.exec(sh('ip', ['netns', 'exec', nss, 'nft', 'list', 'table', 'inet', 'nfcorr']))
    t.ok(Number(counter?.[1]) > 0, `the nftables rule dropped the SYNs to 7003 (${counter?.[1]} packets)`)

    const { pids } = run
    for (const e of run.events) t.same(schemaErrors(e, 'event'), [], `native event ${e.event_id} is valid`)
    const eventsFile = tempFile(run.events.map(e => JSON.stringify(e)).join('\n') + '\n', '.jsonl')

    // The capture → VPC flow records of each side's interface.
    const sim = (eni: string, ips: string[], extra: string[] = []): string => execFileSync(process.execPath, [
      `${ROOT}scripts/flow-sim.mjs`, pcap, '--interface-id', eni, '--account-id', '123456789012',
      ...ips.flatMap(ip => ['--eni-ip', ip]), ...extra
    ], { encoding: 'utf8' })
    const clientFlows = sim(ENI, [CLIENT4, CLIENT6], ['--reject', 'tcp/7003'])
    t.equal(sim(ENI, [CLIENT4, CLIENT6], ['--reject-unanswered']), clientFlows, 'observing the unanswered SYNs marks the same flows REJECT as naming the port')
    const clientFlowFile = tempFile(clientFlows, '.log')

    const correlate = async (flowFile: string, hostArgs: string[], extra: string[] = [], schema = 'correlate'): Promise<{ flows: FlowOut[], hostOnly: HostOnlyOut[], summary: Record<string, unknown> }> => {
      const r = await runCorrelate(['--events', eventsFile, ...hostArgs, '--flow-lag', '0', '--skew', '2', ...extra, '--flows', flowFile], '', schema)
      t.equal(r.status, 0, `correlate exits 0 ${r.stderr.slice(0, 500)}`)
      return {
        flows: r.records.filter((x): x is FlowOut => (x as FlowOut).record === 'flow'),
        hostOnly: r.records.filter((x): x is HostOnlyOut => (x as HostOnlyOut).record === 'host_only'),
        summary: r.summary ?? {}
      }
    }
    const clientHost = ['--host-ip', CLIENT4, '--host-ip', CLIENT6, '--interface-id', ENI]

    t.test('every flow of the client namespace is attributed to the right process', async t => {
      const { flows, summary } = await correlate(clientFlowFile, clientHost)
      const byPort: Record<number, number> = { 7001: pids.a, 7002: pids.b, 7004: pids.c, 7003: pids.d }
      t.ok(flows.length >= 13, `${flows.length} flows (each connection both ways; the dropped one one way) ${JSON.stringify(summary)}`)
      for (const f of flows) {
        const port = f.remote?.port as number
        const what = `flow ${String(f.flow['srcaddr'])}:${String(f.flow['srcport'])} → ${String(f.flow['dstaddr'])}:${String(f.flow['dstport'])}`
        t.not(f.attribution, null, `${what} is attributed`)
        if (port === 7007 && f.host?.port !== 40007) {
          t.same(f.attribution?.ambiguous?.map(x => x.process.pid).sort(), [pids.p1, pids.p2].sort(), `${what}: both processes that reached 7007 unbound, none picked`)
          t.equal(f.attribution?.process, null)
        } else {
          const expected = port === 7007 ? pids.p3 : byPort[port]
          t.equal(f.attribution?.process?.pid, expected, `${what}: pid`)
          t.equal(f.attribution?.process?.exe, PY_EXE, `${what}: exe`)
          t.equal(f.attribution?.ambiguous, null)
        }
      }
      const p3flows = flows.filter(f => f.host?.port === 40007)
      t.equal(p3flows.length, 2, 'the bound client port 40007: a 5-tuple match both ways')
      t.equal(flows.filter(f => f.remote?.port === 7004 && f.flow['srcaddr'] === CLIENT4).length, 1, 'the IPv4-mapped connect matched its IPv4 flow')
      t.equal(flows.filter(f => f.remote?.port === 7002 && f.flow['protocol'] === 17).length, 2, 'UDP over IPv6, both ways')
      const dropped = flows.filter(f => f.remote?.port === 7003)
      t.ok(dropped.length >= 1)
      t.ok(dropped.every(f => f.flow['action'] === 'REJECT' && f.direction === 'outbound'), 'the dropped traffic is REJECT, outbound only')
      const fl = summary['flows'] as { attributed_pct: number, unattributed: number, host: number }
      t.equal(fl.attributed_pct, 100)
      t.equal(fl.host, flows.length)
    })

    t.test('host-only events of the client: rejected, loopback, not sent — and none other from the clients', async t => {
      const { hostOnly } = await correlate(clientFlowFile, clientHost)
      const clientPids = new Set([pids.a, pids.b, pids.c, pids.d, pids.p1, pids.p2, pids.p3, pids.loop, pids.unreachable])
      const mine = hostOnly.filter(h => clientPids.has(h.event.process.pid as number))
      const by = (pid: number): HostOnlyOut[] => mine.filter(h => h.event.process.pid === pid)
      t.same(by(pids.d).map(h => [h.event.syscall, h.reason]), [['connect', 'rejected']], 'the dropped connect is rejected')
      t.ok(by(pids.d)[0]?.flows.every(f => f.action === 'REJECT' && f.dstport === 7003), 'with its REJECT flows')
      t.same(by(pids.loop).map(h => [h.event.syscall, h.reason]), [['sendto', 'loopback']])
      t.same(by(pids.unreachable).map(h => [h.event.syscall, h.event.errno, h.reason]), [['connect', 'ENETUNREACH', 'not_sent']])
      t.equal(mine.length, 3, `no other client event is host-only: ${JSON.stringify(mine.map(h => [h.event.process.pid, h.event.syscall, h.reason]))}`)
    })

    t.test('an event whose flow is missing from the log is host-only no_flow', async t => {
      const without = clientFlows.split('\n').filter(l => !/ 17 /.test(l) || !l.includes(' 7002 ')).join('\n')
      const { hostOnly, flows } = await correlate(tempFile(without, '.log'), clientHost)
      t.equal(flows.filter(f => f.remote?.port === 7002).length, 0, 'the UDP flows were taken out')
      const b = hostOnly.filter(h => h.event.process.pid === pids.b)
      t.same(b.map(h => [h.event.syscall, h.reason, h.detail]), [['sendto', 'no_flow', 'window']])
    })

    t.test('the same join as OCSF 1.1.0: flows with the process as actor, host-only events as netfilter OCSF events', async t => {
      const r = await runCorrelate(['--events', eventsFile, ...clientHost, '--flow-lag', '0', '--skew', '2', '--format', 'ocsf', '--flows', clientFlowFile], '', 'correlate-ocsf')
      t.equal(r.status, 0)
      const records = r.records as unknown as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
      const flowEvents = records.filter(x => x['metadata']?.product?.name === 'Amazon VPC')
      t.ok(flowEvents.length >= 13)
      const a = flowEvents.find(x => x['dst_endpoint']?.port === 7001)
      t.equal(a?.['actor']?.process?.pid, pids.a)
      t.equal(a?.['actor']?.process?.file?.path, PY_EXE)
      t.equal(a?.['connection_info']?.direction_id, 2)
      const rejected = flowEvents.filter(x => x['dst_endpoint']?.port === 7003)
      t.ok(rejected.length > 0 && rejected.every(x => x['activity_id'] === 5 && x['action_id'] === 2))
      for (const h of records.filter(x => x['metadata']?.product?.name === 'netfilter')) {
        const { correlation, ...unmapped } = h['unmapped'] as Record<string, unknown>
        t.equal((correlation as { status: string }).status, 'host_only')
        t.same(schemaErrors({ ...h, unmapped }, 'ocsf'), [], 'without its correlation it is a valid netfilter OCSF event')
      }
    })

    t.test('the server\'s view: accepts and UDP replies own the server\'s flows; dropped SYNs never reached it', async t => {
      const serverFlows = tempFile(sim(ENI_SERVER, [SERVER4, SERVER6], ['--reject', 'tcp/7003']), '.log')
      const { flows } = await correlate(serverFlows, ['--host-ip', SERVER4, '--host-ip', SERVER6])
      for (const f of flows) {
        const what = `flow ${String(f.flow['srcaddr'])}:${String(f.flow['srcport'])} → ${String(f.flow['dstaddr'])}:${String(f.flow['dstport'])}`
        if (f.host?.port === 7003) {
          t.equal(f.unattributed?.reason, 'rejected_inbound', `${what}: dropped before the server`)
        } else {
          // The server's accept() on 7007 waits from the moment it listens, through the 2 s of the
          // dropped connect to 7003, for the first client: its event's time is when it began
          // waiting, and only its place in the event stream says it was still waiting then.
          t.equal(f.attribution?.process?.pid, pids.server, `${what}: the server`)
          t.equal(f.attribution?.ambiguous, null, `${what}: not ambiguous`)
        }
      }
      t.ok(flows.some(f => f.attribution?.ambiguous === null && f.host?.port === 7001 && f.direction === 'inbound'), 'an accepted connection')
      t.ok(flows.some(f => f.attribution !== null && f.host?.port === 7002 && f.flow['protocol'] === 17), 'the UDP exchange')
    })
  })
}
