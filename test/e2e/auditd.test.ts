/**
 * auditd + kernel, end to end: netfilter installed by scripts/install.sh (into a temporary root)
 * runs as the plugin of a real auditd (our own: `auditd -n -c DIR`, see test/helpers/auditd.ts),
 * the rules printed by `netfilter rules --udp` are loaded with auditctl, and real TCP and UDP
 * traffic over 127.0.0.1 and ::1 from curl, Python and Node must come out of the plugin's output
 * file with the right pid, exe, address, port, transport and result. Then auditd is reloaded
 * (SIGHUP: the plugin reopens its output) and stopped (SIGTERM: the plugin writes everything and
 * exits), and the kernel's audit state is as before.
 *
 * Expected values are what the test itself knows: the pid of each client it spawns, the real path
 * of its executable, the port its servers listen on (in a process of their own: see startServers). Results: a blocking connect (Python's
 * create_connection) succeeds; a non-blocking one (curl, Node) returns EINPROGRESS (-115), which
 * netfilter calls in_progress; a datagram sent returns its length.
 *
 * Skips only when the kernel's audit subsystem is not available (`auditctl -s` fails), saying so.
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { BIN, BIN_NODE_OPTIONS, ROOT, assertSchemaValid } from '../helpers/filter.js'
import { auditStatus, auditctl, auditUnavailable, listRules, readEvents, running, withAuditd, type AuditdContext } from '../helpers/auditd.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

const unavailable = auditUnavailable()
if (unavailable !== null) process.stderr.write(`\n*** test/e2e/auditd.test.ts: SKIPPING the auditd end-to-end test: ${unavailable} ***\n\n`)

const CURL = '/usr/bin/curl'
const PYTHON = '/usr/bin/python3'
const NODE = process.execPath
const EXE = { curl: realpathSync(CURL), python: realpathSync(PYTHON), node: realpathSync(NODE) }
type Client = keyof typeof EXE
const LOOPBACK = { inet: '127.0.0.1', inet6: '::1' } as const
type Family = keyof typeof LOOPBACK

interface Run { pid: number, status: number | null, stderr: string }

/** Runs a client to its end; its pid is the one audit records (no shell in between). */
async function run (file: string, args: string[]): Promise<Run> {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', d => { stderr += String(d) })
  const status = await new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  if (child.pid === undefined) throw new Error(`${file} did not start: ${stderr}`)
  return { pid: child.pid, status, stderr }
}

const url = (scheme: string, f: Family, port: number): string => `${scheme}://${f === 'inet6' ? '[::1]' : '127.0.0.1'}:${port}/x`

const PY_TCP = 'import socket,sys\ns=socket.create_connection((sys.argv[1],int(sys.argv[2])))\ns.recv(100)\ns.close()'
const PY_UDP = 'import socket,sys\nf=socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET\n' +
  's=socket.socket(f,socket.SOCK_DGRAM)\ns.sendto(b"netfilter",(sys.argv[1],int(sys.argv[2])))\ns.close()'
/** Listens on 127.0.0.1:argv[1] and [::1]:argv[2], accepts one connection on each, prints the peers' ports. */
const PY_SERVER = 'import socket,sys\nss=[]\n' +
  'for f,h,p in ((socket.AF_INET,"127.0.0.1",sys.argv[1]),(socket.AF_INET6,"::1",sys.argv[2])):\n' +
  ' s=socket.socket(f,socket.SOCK_STREAM)\n s.bind((h,int(p)))\n s.listen(1)\n ss.append(s)\n' +
  'print("ready",flush=True)\n' +
  'for s in ss:\n c,a=s.accept()\n print(a[1],flush=True)\n c.close()\n'
const NODE_TCP = 'const s=require("net").connect({host:process.argv[1],port:+process.argv[2]});s.on("data",()=>{});' +
  's.on("end",()=>s.end());s.on("error",e=>{console.error(e);process.exit(1)})'
const NODE_UDP = 'const d=require("dgram").createSocket(process.argv[1].includes(":")?"udp6":"udp4");' +
  'd.send("netfilter",+process.argv[2],process.argv[1],e=>{if(e)throw e;d.close()})'

/** One client making one connection or sending one datagram, and what audit must show for it. */
interface Expectation {
  client: Client
  transport: 'tcp' | 'udp'
  family: Family
  pid: number
  port: number
  syscalls: string[]
  result: 'success' | 'in_progress'
}

async function client (c: Client, transport: 'tcp' | 'udp', f: Family, port: number): Promise<Expectation> {
  const host = LOOPBACK[f]
  let r: Run
  if (c === 'curl') {
    // UDP from curl: TFTP (the server answers with a TFTP error, so curl ends at once).
    r = await run(CURL, ['-s', '-g', '-m', '10', '-o', '/dev/null', url(transport === 'tcp' ? 'http' : 'tftp', f, port)])
  } else if (c === 'python') {
    r = await run(PYTHON, ['-c', transport === 'tcp' ? PY_TCP : PY_UDP, host, String(port)])
  } else {
    r = await run(NODE, ['-e', transport === 'tcp' ? NODE_TCP : NODE_UDP, host, String(port)])
  }
  // curl's TFTP ends in an error by design (the server refuses the file): status 69 or similar.
  if (!(c === 'curl' && transport === 'udp') && r.status !== 0) throw new Error(`${c} ${transport} ${f} failed (${String(r.status)}): ${r.stderr}`)
  return {
    client: c,
    transport,
    family: f,
    pid: r.pid,
    port,
    // Python and curl send with sendto; Node (libuv) with sendmsg.
    syscalls: transport === 'tcp' ? ['connect'] : c === 'node' ? ['sendmsg'] : ['sendto'],
    // Python's create_connection blocks until connected; curl and Node connect non-blocking.
    result: transport === 'tcp' && c !== 'python' ? 'in_progress' : 'success'
  }
}

const describe = (x: Expectation): string => `${x.client} ${x.transport} to ${LOOPBACK[x.family]}:${x.port} (pid ${x.pid})`

/** The event of this client's connection or datagram: its pid, its call, the server's address. */
function matches (x: Expectation) {
  return (e: NetworkEvent): boolean => e.process.pid === x.pid && x.syscalls.includes(e.syscall ?? '') &&
    e.remote?.port === x.port && e.remote.ip === LOOPBACK[x.family]
}

interface Servers {
  /** The process that runs them: a Node child, spawned once auditd runs (see startServers). */
  pid: number
  ports: Record<`${'tcp' | 'udp'}_${Family}`, number>
  /** Remote ports of the connections the TCP servers accepted, by server, as the child reports them. */
  accepted: Record<Family, number[]>
  close: () => Promise<void>
}

/**
 * The servers' process: TCP servers on 127.0.0.1 and ::1 that answer a line of HTTP, UDP sockets
 * that answer a TFTP read request with an error, each on a free port given explicitly (bound to port
 * 0, a bind event would say port 0: the kernel picks the port after the call, and the accepts
 * inherit it). Prints {"ports": …} once all listen, then {"accepted": family, "port": n} per
 * connection; exits when its stdin ends.
 */
const NODE_SERVERS = `
const net = require('net'), dgram = require('dgram')
const L = { inet: '127.0.0.1', inet6: '::1' }
const say = o => process.stdout.write(JSON.stringify(o) + '\\n')
const freePort = () => new Promise(resolve => {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1', () => { const port = probe.address().port; probe.close(() => resolve(port)) })
})
async function onFreePort (open) {
  for (let attempt = 0; ; attempt++) {
    try { return await open(await freePort()) } catch (err) { if (err.code !== 'EADDRINUSE' || attempt > 20) throw err }
  }
}
const tcp = f => onFreePort(port => new Promise((resolve, reject) => {
  const server = net.createServer(sock => {
    say({ accepted: f, port: sock.remotePort })
    sock.on('error', () => {})
    sock.end('HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')
  })
  server.once('error', reject)
  server.listen(port, L[f], () => resolve(port))
}))
const udp = f => onFreePort(port => new Promise((resolve, reject) => {
  const sock = dgram.createSocket(f === 'inet' ? 'udp4' : 'udp6')
  sock.on('message', (msg, rinfo) => {
    if (msg[0] === 0 && msg[1] === 1) sock.send(Buffer.from('\\x00\\x05\\x00\\x01nf\\x00', 'latin1'), rinfo.port, rinfo.address)
  })
  sock.once('error', reject)
  sock.bind(port, L[f], () => resolve(port))
}))
Promise.all([tcp('inet'), tcp('inet6'), udp('inet'), udp('inet6')])
  .then(([a, b, c, d]) => say({ ports: { tcp_inet: a, tcp_inet6: b, udp_inet: c, udp_inet6: d } }))
process.stdin.on('end', () => process.exit(0)).resume()
`

/** A port free on 127.0.0.1 a moment ago. */
async function freePort (): Promise<number> {
  const probe = net.createServer()
  const port = await new Promise<number>(resolve => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)))
  await new Promise(resolve => probe.close(resolve))
  return port
}

/**
 * Starts the servers in their own process, spawned after auditd enabled auditing. Not in this one:
 * the kernel gives a process its audit context when it is forked, and only once auditing has ever
 * been enabled since boot (without audit=1 on the kernel's command line). On a fresh boot this
 * test's own process may predate that, and then none of its calls is ever logged.
 */
async function startServers (): Promise<Servers> {
  const child = spawn(NODE, ['-e', NODE_SERVERS], { stdio: ['pipe', 'pipe', 'pipe'] })
  const closed = new Promise(resolve => child.on('close', resolve))
  let stderr = ''
  child.stderr.on('data', d => { stderr += String(d) })
  const accepted: Servers['accepted'] = { inet: [], inet6: [] }
  const ports = await new Promise<Servers['ports']>((resolve, reject) => {
    void closed.then(code => reject(new Error(`the servers' process ended (${String(code)}): ${stderr}`)))
    createInterface({ input: child.stdout }).on('line', line => {
      const m = JSON.parse(line) as { ports?: Servers['ports'], accepted?: Family, port?: number }
      if (m.ports !== undefined) resolve(m.ports)
      else if (m.accepted !== undefined) accepted[m.accepted].push(m.port ?? -1)
    })
  })
  if (child.pid === undefined) throw new Error(`the servers' process did not start: ${stderr}`)
  return {
    pid: child.pid,
    ports,
    accepted,
    close: async () => {
      child.stdin.end()
      await closed
    }
  }
}

/** Installs with scripts/install.sh into a temporary root, as `make install` would into /. */
function install (): { root: string, conf: string, output: string, rules: string, config: string, stderr: string } {
  const root = mkdtempSync(`${tmpdir()}/netfilter-install-`)
  const env = {
    ...process.env,
    PREFIX: `${root}/usr/local/lib/netfilter`,
    CONFIG_DIR: `${root}/etc/netfilter`,
    PLUGIN_DIR: `${root}/etc/audit/plugins.d`,
    RULES_FILE: `${root}/etc/audit/rules.d/netfilter.rules`,
    OUTPUT: `${root}/var/log/netfilter/events.json`,
    BIN_LINK: '',
    RULES_ARGS: '--udp'
  }
  const r = spawnSync(`${ROOT}scripts/install.sh`, [], { env, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`scripts/install.sh failed (${String(r.status)}): ${r.stderr}${r.stdout}`)
  return {
    root,
    conf: `${env.PLUGIN_DIR}/netfilter.conf`,
    output: env.OUTPUT,
    rules: env.RULES_FILE,
    config: `${env.CONFIG_DIR}/plugin.json`,
    // install.sh's default: plugin.err beside the output
    stderr: `${root}/var/log/netfilter/plugin.err`
  }
}

t.test('auditd + kernel: netfilter as auditd\'s plugin reports real loopback traffic from curl, Python and Node', { skip: unavailable ?? false }, async t => {
  const before = auditStatus()
  const rulesBefore = listRules()
  const inst = install()
  t.teardown(() => { if (t.passing()) rmSync(inst.root, { recursive: true, force: true }) })
  const rules = readFileSync(inst.rules, 'utf8')
  const printed = spawnSync(NODE, [BIN, 'rules', '--udp'], { encoding: 'utf8' })
  t.equal(rules, printed.stdout, 'the installed rules are what `netfilter rules --udp` prints')
  // Statistics at exit, to see that SIGTERM ends the plugin through its normal path.
  const config = JSON.parse(readFileSync(inst.config, 'utf8')) as Record<string, unknown>
  // accept-without-address: Node's servers accept with a NULL address (see the subtest on them).
  writeFileSync(inst.config, JSON.stringify({ ...config, stats: true, 'accept-without-address': true }))

  let stderrFile = ''
  let pluginPid: number | null = null
  let expected: Expectation[] = []
  await withAuditd({ rules, plugin: { conf: readFileSync(inst.conf, 'utf8'), output: inst.output, stderr: inst.stderr }, log: m => t.comment(m) }, async (ctx: AuditdContext) => {
    stderrFile = ctx.stderrFile
    pluginPid = ctx.pluginPid()
    t.ok(pluginPid, 'auditd started the installed plugin')
    const cmdline = readFileSync(`/proc/${String(pluginPid)}/cmdline`, 'utf8').split('\0')
    const pluginCommand = [realpathSync(NODE), ...BIN_NODE_OPTIONS, `${inst.root}/usr/local/lib/netfilter/dist/bin.js`, '--config', inst.config]
    t.same(cmdline.slice(0, pluginCommand.length), pluginCommand,
      'the plugin is node, with the netfilter command\'s Node options, running the installed netfilter with its config, by absolute paths')
    t.same(readFileSync(`/proc/${String(pluginPid)}/environ`, 'utf8').split('\0').filter(v => v !== '' && !v.startsWith('PWD=')), [],
      'with the empty environment auditd gives plugins')
    t.equal(ctx.rules.added.length + ctx.rules.existing.length, rules.split('\n').filter(l => l.startsWith('-a')).length, 'every rule loaded')

    const servers = await startServers()
    try {
      await t.test('TCP and UDP over 127.0.0.1 and ::1 from curl, Python and Node: each with its pid, exe, address, port, transport and result', async t => {
        const before: Record<Family, number> = { inet: 0, inet6: 0 }
        for (const transport of ['tcp', 'udp'] as const) {
          for (const f of ['inet', 'inet6'] as const) {
            for (const c of ['curl', 'python', 'node'] as const) {
              before[f] = servers.accepted[f].length
              const x = await client(c, transport, f, servers.ports[`${transport}_${f}`])
              expected.push(x)
              if (transport === 'tcp') {
                await ctx.waitFor(`${describe(x)}: the server's report of its accept`, () => servers.accepted[f].length > before[f])
                t.equal(servers.accepted[f].length, before[f] + 1, `${describe(x)}: the server accepted it, once`)
              }
            }
          }
        }
        for (const x of expected) {
          const [e] = await ctx.waitForEvents(describe(x), matches(x))
          if (e === undefined) continue
          t.match(e, {
            syscall: x.syscalls[0],
            family: x.family,
            transport: x.transport,
            result: x.result,
            remote: { ip: LOOPBACK[x.family], port: x.port },
            process: { pid: x.pid, exe: EXE[x.client] },
            direction: 'outbound'
          }, describe(x))
          if (x.result === 'in_progress') t.match(e, { exit: -115, errno: 'EINPROGRESS' }, `${describe(x)}: non-blocking connect`)
          if (x.result === 'success') t.ok((e.exit ?? -1) >= 0, `${describe(x)}: exit ${String(e.exit)}`)
          t.equal(e.key, x.transport === 'tcp' ? 'net_connect' : 'net_send', `${describe(x)}: the rule's key`)
          // The transport comes from this process's socket() on the same fd, logged by net_socket.
          const socket = ctx.events().find(s => s.process.pid === x.pid && s.syscall === 'socket' && s.fd === e.fd)
          t.match(socket, { family: x.family, transport: x.transport, key: 'net_socket', result: 'success' }, `${describe(x)}: its socket() call`)
        }
        assertSchemaValid(ctx.events())
      })

      await t.test('the listening side: bind with the local address; accept with local port and peer', async t => {
        const me = servers.pid
        for (const [name, port] of Object.entries(servers.ports)) {
          const [transport, family] = name.split('_') as ['tcp' | 'udp', Family]
          const [bind] = await ctx.waitForEvents(`bind of the ${name} server`, e => e.process.pid === me && e.syscall === 'bind' && e.local?.port === port)
          t.match(bind, { result: 'success', family, transport, local: { ip: LOOPBACK[family], port }, process: { exe: EXE.node }, key: 'net_bind', direction: 'listen' }, `${name} server bind`)
        }
        // Python's accept asks for the peer's address, so audit logs it (SOCKADDR).
        const ports = await Promise.all([freePort(), freePort()])
        const server = spawn(PYTHON, ['-c', PY_SERVER, String(ports[0]), String(ports[1])], { stdio: ['ignore', 'pipe', 'pipe'] })
        const closed = new Promise(resolve => server.on('close', resolve))
        let out = ''
        server.stdout.on('data', d => { out += String(d) })
        server.stderr.on('data', d => { out += String(d) })
        await ctx.waitFor('the Python server to listen', () => out.includes('ready') || server.exitCode !== null)
        const clients = [await client('python', 'tcp', 'inet', ports[0] as number), await client('python', 'tcp', 'inet6', ports[1] as number)]
        expected.push(...clients)
        await closed
        const peers = out.split('\n').filter(l => /^\d+$/.test(l)).map(Number)
        t.equal(peers.length, 2, `the server accepted both (${out})`)
        for (const [i, f] of (['inet', 'inet6'] as const).entries()) {
          const [a] = await ctx.waitForEvents(`the Python server's accept on ${f}`, e => e.process.pid === server.pid && e.syscall === 'accept4' && e.family === f)
          t.match(a, {
            result: 'success', transport: 'tcp', direction: 'inbound', key: 'net_accept',
            local: { ip: LOOPBACK[f], port: ports[i] },
            remote: { ip: LOOPBACK[f], port: peers[i] },
            process: { pid: server.pid, exe: EXE.python }
          }, `accept on ${LOOPBACK[f]}:${String(ports[i])} from the client's port ${String(peers[i])}`)
        }
      })

      await t.test('Node\'s servers accept with a NULL address (libuv): reported with --accept-without-address from the listener\'s socket context', async t => {
        // The kernel did log them (accept4 is syscall 288 on x86_64): the loss is netfilter's.
        const logged = ctx.auditLogText().split('\n').filter(l => l.includes(` pid=${servers.pid} `) && /syscall=(288|43) /.test(l))
        t.comment(`auditd's log holds ${logged.length} accept/accept4 records of the servers' process, a1=0 (no address): ${String(logged[0]?.includes(' a1=0 '))}`)
        for (const f of ['inet', 'inet6'] as const) {
          const port = servers.ports[`tcp_${f}`]
          const accepts = ctx.events().filter(e => e.process.pid === servers.pid && e.syscall === 'accept4' && e.local?.port === port)
          t.equal(accepts.length, servers.accepted[f].length, `one accept event per connection to ${LOOPBACK[f]}:${port}`)
        }
      })

      await t.test('auditd reload (auditctl --signal HUP) makes the plugin reopen its output: rotated file kept, new events in the new file', async t => {
        const pid = ctx.pluginPid()
        const rotated = `${ctx.output}.1`
        const count = ctx.events().length
        renameSync(ctx.output, rotated)
        // What docs/deploy-auditd.md tells operators (and logrotate) to run: portable across units.
        auditctl('--signal', 'HUP')
        await ctx.waitFor('the plugin to reopen its output', () => existsSync(ctx.output))
        t.equal(ctx.pluginPid(), pid, 'the same plugin process: signalled, not restarted')
        const x = await client('python', 'tcp', 'inet', servers.ports.tcp_inet)
        expected.push(x)
        await ctx.waitForEvents(describe(x), matches(x))
        t.notOk(readEvents(rotated).some(matches(x)), 'nothing new in the rotated file')
        t.ok(readEvents(rotated).length >= count, 'the rotated file kept what it had')
      })
    } finally {
      await servers.close()
    }
  })

  await t.test('auditd stop (SIGTERM): the plugin writes everything, exits, and the kernel is as before', async t => {
    t.ok(pluginPid !== null && !running(pluginPid), 'the plugin has exited')
    const stderr = readFileSync(stderrFile, 'utf8')
    const stats = stderr.split('\n').filter(l => l.startsWith('{"lines"')).map(l => JSON.parse(l) as { kept: number, inflight: number })
    t.equal(stats.length, 1, `the plugin printed its --stats at exit (stderr: ${stderr.slice(-500)})`)
    t.equal(stats[0]?.inflight, 0, 'no event left in flight')
    const all = [...readEvents(`${inst.output}.1`), ...readEvents(inst.output)]
    for (const x of expected) t.equal(all.filter(matches(x)).length, 1, `${describe(x)}: once`)
    const after = auditStatus()
    t.equal(after['pid'], before['pid'], 'no audit daemon left registered')
    t.equal(after['enabled'], before['enabled'], 'enabled flag restored')
    t.equal(after['backlog_limit'], before['backlog_limit'], 'backlog limit restored')
    t.same(listRules(), rulesBefore, 'rules as before')
  })
})
