// netfilter correlate at scale: 1 million host events × 1 million VPC flow records for one host,
// generated deterministically (seeded PRNG), joined by dist/bin.js under /usr/bin/time (wall time,
// peak RSS). Prints one JSON line with the figures and the run's summary counts.
// Usage: node bench/correlate.mjs [--events N] [--flows-per-connect 2] [--keep]
//
// The day of one host (10.0.1.5), events spread over 24 h, mildly out of order (±2 s):
//   45 % TCP connects (200 processes, 50 000 peer ip:port pairs), each with its two flow records
//        (start up to 30 s after the call, as AWS's stamping lag allows; windows of 1–30 s);
//   30 % loopback connects, 15 % to 169.254.169.254, 10 % connects with no flow (host-only);
//   plus 100 000 inbound flows from scanners that no process accepted (unattributed).
import { execFileSync, spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DIR = `${ROOT}bench/.cache/correlate`
const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, keep: { type: 'boolean', default: false } } })
const N = Number(values.events)
const HOST = '10.0.1.5'
const T0 = 1795600000
const DAY = 86400

// mulberry32: a small deterministic PRNG, so every run joins the same data.
let seed = 0x5eed
function rand () {
  seed = (seed + 0x6d2b79f5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
const pick = (n) => Math.floor(rand() * n)

const peers = Array.from({ length: 50000 }, (_, i) => [`198.18.${(i >> 8) & 0xff}.${i & 0xff}`, [443, 80, 5432, 6379, 8080][i % 5]])
const processes = Array.from({ length: 200 }, (_, i) => ({ pid: 1000 + i, exe: ['/usr/bin/curl', '/usr/bin/python3.11', '/usr/sbin/nginx', '/usr/bin/node'][i % 4] }))

function event (t, serial, proc, remote, result = 'success', errno = null) {
  const ms = Math.round(t * 1000)
  return JSON.stringify({
    time: new Date(ms).toISOString(), event_id: `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:${serial}`, node: null,
    syscall: 'connect', arch: 'x86_64', result, exit: result === 'success' ? 0 : -101, errno, family: 'inet', direction: 'outbound',
    action: 'connect', transport: 'tcp', socket: { type: 'stream', protocol: 0 }, remote, local: null, fd: 5,
    process: { pid: proc.pid, ppid: 1, exe: proc.exe, comm: proc.exe.split('/').pop(), argv: [proc.exe, 'https://example.invalid/'] },
    user: { uid: 1000, euid: 1000, gid: 1000, auid: 1000, ses: 2 }, tty: null, key: 'net_connect'
  })
}

async function write (stream, text) {
  if (!stream.write(text)) await once(stream, 'drain')
}

async function generate () {
  mkdirSync(DIR, { recursive: true })
  const ev = createWriteStream(`${DIR}/events.jsonl`)
  const fl = createWriteStream(`${DIR}/flows.log`)
  await write(fl, 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n')
  const flows = []
  let flowCount = 0
  let port = 32768
  const scanners = N / 10
  const scanEvery = N / scanners
  for (let i = 0; i < N; i++) {
    const t = T0 + (i * DAY) / N + (rand() * 4 - 2) // ±2 s out of order
    const kind = i % 20
    const proc = processes[pick(processes.length)]
    let line
    if (kind < 9) { // 45 %: connect with two flows
      const [ip, p] = peers[pick(peers.length)]
      line = event(t, i + 1, proc, { ip, port: p })
      port = port >= 60999 ? 32768 : port + 1
      const start = Math.floor(t) + pick(30)
      const end = start + 1 + pick(30)
      const bytes = 500 + pick(100000)
      flows.push([start, `2 123456789012 eni-0bench000000000001 ${HOST} ${ip} ${port} ${p} 6 ${5 + pick(50)} ${bytes} ${start} ${end} ACCEPT OK`])
      flows.push([start, `2 123456789012 eni-0bench000000000001 ${ip} ${HOST} ${p} ${port} 6 ${5 + pick(50)} ${bytes * 3} ${start} ${end} ACCEPT OK`])
    } else if (kind < 15) { // 30 %: loopback
      line = event(t, i + 1, proc, { ip: '127.0.0.1', port: 6379 })
    } else if (kind < 18) { // 15 %: instance metadata
      line = event(t, i + 1, proc, { ip: '169.254.169.254', port: 80 })
    } else { // 10 %: no flow
      const [ip, p] = peers[pick(peers.length)]
      line = event(t, i + 1, proc, { ip: ip.replace('198.18.', '198.19.'), port: p })
    }
    await write(ev, line + '\n')
    if (i % scanEvery === 0) {
      const start = Math.floor(t)
      flows.push([start, `2 123456789012 eni-0bench000000000001 203.0.113.${pick(256)} ${HOST} ${1024 + pick(60000)} ${[22, 23, 3389, 445][pick(4)]} 6 1 44 ${start} ${start} ACCEPT OK`])
    }
    // Flow logs come out ordered by window, not by call: flush what no later call can precede.
    if (flows.length > 20000) {
      flows.sort((a, b) => a[0] - b[0])
      const cut = flows.findIndex(f => f[0] > t - 40)
      const done = cut < 0 ? flows.splice(0) : flows.splice(0, cut)
      for (const f of done) await write(fl, f[1] + '\n')
      flowCount += done.length
    }
  }
  flows.sort((a, b) => a[0] - b[0])
  for (const f of flows) await write(fl, f[1] + '\n')
  flowCount += flows.length
  ev.end()
  fl.end()
  await Promise.all([once(ev, 'finish'), once(fl, 'finish')])
  return flowCount
}

const genStart = Date.now()
const flowCount = await generate()
const genSeconds = (Date.now() - genStart) / 1000
// Built as `make build` builds: tsc, then the command bundled. tsc alone would leave dist/bin.js
// unbundled and newer than the sources, so a later `make build` or `make bench` would take it as is.
execFileSync('make', ['-C', ROOT, '--no-print-directory', 'build'], { stdio: 'inherit' })

const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, `${ROOT}dist/bin.js`, 'correlate',
  '--events', `${DIR}/events.jsonl`, '--host-ip', HOST, '--flows', `${DIR}/flows.log`,
  '--output', '/dev/null', '--summary', `${DIR}/summary.json`], { encoding: 'utf8' })
if (r.status !== 0) {
  process.stderr.write(r.stderr)
  process.exit(1)
}
const [wall, maxKb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
const summary = JSON.parse(readFileSync(`${DIR}/summary.json`, 'utf8'))
const result = {
  events: N,
  flows: flowCount,
  input_mb: Math.round((statSync(`${DIR}/events.jsonl`).size + statSync(`${DIR}/flows.log`).size) / 1e6),
  wall_s: wall,
  user_s: user,
  sys_s: sys,
  peak_rss_mb: Math.round(maxKb / 1024),
  records_per_s: Math.round((N + flowCount) / wall),
  generate_s: genSeconds,
  machine: { cpus: cpus().length, mem_gb: Math.round(totalmem() / 2 ** 30), load_before: loadavg()[0] },
  attributed_pct: summary.flows.attributed_pct,
  flows_by_match: summary.flows.by_match,
  ambiguous: summary.flows.ambiguous,
  unattributed: summary.flows.unattributed_reasons,
  host_only: summary.events.host_only_reasons,
  held: summary.memory
}
process.stdout.write(JSON.stringify(result) + '\n')
if (values.keep !== true) rmSync(DIR, { recursive: true, force: true })
