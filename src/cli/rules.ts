/**
 * `netfilter rules`: prints the audit rules netfilter needs, as an auditctl -R / augenrules file.
 * In: argv after "rules". Out: the rules file on stdout (exit 0), or a usage error on stderr
 * (exit 2). generateRules() is the pure part: options → text; main() only parses flags.
 *
 * The rules log socket() for AF_INET/AF_INET6 (a0=2, a0=10: the socket type gives netfilter the
 * transport), connect, accept/accept4 and bind (and with --udp sendto/sendmsg), for the 64-bit
 * ABI and the 32-bit one, each with a key. Which syscalls exist per ABI comes from the ausyscall
 * tables in src/tables/syscalls.ts (auditctl rejects a name its table lacks: i386 has no accept).
 */
import { machine as hostMachine } from 'node:os'
import { parseArgs } from 'node:util'
import { SOCKETCALL_CALLS, SYSCALL_TABLES, type SyscallArch } from '../tables/syscalls.js'

/** Rule groups, in output order; each group has one key. */
export const GROUPS = ['socket', 'connect', 'accept', 'bind', 'send', 'recv'] as const
export type Group = typeof GROUPS[number]

/** The syscalls `--syscalls` accepts, and the group (so the key) each belongs to. */
export const SYSCALL_GROUPS: Readonly<Record<string, Group>> = Object.freeze({
  socket: 'socket',
  connect: 'connect',
  accept: 'accept',
  accept4: 'accept',
  bind: 'bind',
  sendto: 'send',
  sendmsg: 'send',
  sendmmsg: 'send',
  recvfrom: 'recv',
  recvmsg: 'recv',
  recvmmsg: 'recv'
})

export const DEFAULT_SYSCALLS: readonly string[] = ['socket', 'connect', 'accept', 'accept4', 'bind']
export const UDP_SYSCALLS: readonly string[] = ['sendto', 'sendmsg']
export const DEFAULT_KEY_PREFIX = 'net'

const AF_INET = 2
const AF_INET6 = 10

/**
 * A machine's ABIs: the ausyscall table auditctl uses for -F arch=b64 and for -F arch=b32, and
 * whether 32-bit programs may make socket calls through socketcall(2).
 */
export interface Machine {
  b64: SyscallArch
  b32: { arch: SyscallArch, socketcall: boolean, note: string } | null
}

export const MACHINES: Readonly<Record<string, Machine>> = Object.freeze({
  x86_64: {
    b64: 'x86_64',
    b32: {
      arch: 'i386',
      socketcall: true,
      note: 'i386 programs on this 64-bit kernel. Since Linux 4.3 i386 has direct socket syscalls, which current\n' +
        '## C libraries use; older binaries (and static ones built against old libraries) go through socketcall(2).\n' +
        '## i386 has no accept syscall: a 32-bit accept() is made as accept4 or through socketcall.'
    }
  },
  aarch64: {
    b64: 'aarch64',
    b32: { arch: 'arm', socketcall: false, note: '32-bit ARM (EABI) programs, when the kernel runs them (CONFIG_COMPAT).' }
  },
  ppc64: {
    b64: 'ppc64',
    b32: { arch: 'ppc', socketcall: true, note: '32-bit PowerPC programs; older ones go through socketcall(2).' }
  },
  ppc64le: { b64: 'ppc64le', b32: null },
  s390x: {
    b64: 's390x',
    b32: { arch: 's390', socketcall: true, note: '31-bit s390 programs; they may go through socketcall(2).' }
  }
})

export interface RulesOptions {
  /** Syscalls to log (names from SYSCALL_GROUPS). */
  syscalls: readonly string[]
  /** Key per group; missing groups get `${keyPrefix}_${group}`. */
  keys: Partial<Record<Group, string>>
  keyPrefix: string
  machine: string
  b64Only: boolean
  /** Also log 32-bit socketcall(2) sub-calls (where the machine's 32-bit ABI has it). */
  socketcall: boolean
  /** Add -F saddr_fam=2 / =10 to the rules of calls that carry an address. */
  saddrFam: boolean
  /** The command that generated the file, for its header. */
  command: string
}

export const DEFAULT_RULES_OPTIONS: RulesOptions = {
  syscalls: DEFAULT_SYSCALLS,
  keys: {},
  keyPrefix: DEFAULT_KEY_PREFIX,
  machine: 'x86_64',
  b64Only: false,
  socketcall: true,
  saddrFam: false,
  command: 'netfilter rules'
}

export function keyFor (group: Group, opts: Pick<RulesOptions, 'keys' | 'keyPrefix'>): string {
  return opts.keys[group] ?? `${opts.keyPrefix}_${group}`
}

/** What each group's rule logs and what it costs, written above its rules. */
const EXPLAIN: Readonly<Record<Group, (opts: RulesOptions) => string>> = {
  socket: () => `socket(AF_INET) and socket(AF_INET6): the socket's type and protocol, from which netfilter
## derives the transport (tcp, udp, …) of later calls on the same fd. a0 is the address family,
## so unix, netlink and packet sockets are not logged. Cost: one event per IPv4/IPv6 socket
## created — per TCP client connection, UDP socket and listening socket, one or two per DNS
## lookup (accepted connections get their socket from accept, not socket).`,
  connect: opts => `connect: every outbound connection attempt, and UDP sockets being connected (DNS resolvers).
## Never "-F success=1" here: a non-blocking connect (curl, Node.js, Go, browsers, nc) returns
## EINPROGRESS, which audit records as success=no exit=-115; success=1 would drop most TCP
## connections. netfilter reports them as result "in_progress".${opts.saddrFam
    ? ''
    : `
## Cost: the address family is inside saddr, which this rule does not test (see --saddr-fam),
## so AF_UNIX connects (nscd, D-Bus, journald, X11) are logged too; they are usually most of
## this rule's volume, and netfilter drops and counts them.`}`,
  accept: opts => `accept, accept4: every inbound connection accepted, with the peer's address when the program
## asks for it (a NULL address gives no SOCKADDR record; netfilter then knows the listener's
## port from the bind rule). Cost: one event per accepted connection — on a busy server, one per
## request.${opts.saddrFam ? ' With saddr_fam, accepts without an address are not logged.' : ' Unix-socket servers (D-Bus, systemd) are logged too.'}`,
  bind: opts => `bind: the local address of servers and of clients that bind first; later calls on the socket
## get it as "local", and an accept on it the port it listens on. Cost: low for IP sockets (one
## per server socket, per UDP client socket bound to port 0)${opts.saddrFam ? '.' : `; netlink sockets bind too
## (iproute2, systemd, udev) and are logged.`}`,
  send: opts => `sendto, sendmsg${opts.syscalls.includes('sendmmsg') ? ', sendmmsg' : ''}: datagrams sent with an address — UDP (DNS, NTP, QUIC, syslog) has
## no connect to log. Cost: HIGH — one event per call${opts.saddrFam
    ? ' with an IPv4/IPv6 address (every datagram of an\n## unconnected UDP socket). Enable on hosts where UDP matters.'
    : `, and calls on connected TCP, unix and
## netlink sockets are logged too (TCP sends carry no address and are dropped by netfilter).
## Enable on hosts where UDP matters; consider --saddr-fam.`}`,
  recv: opts => `recvfrom, recvmsg${opts.syscalls.includes('recvmmsg') ? ', recvmmsg' : ''}: datagrams received, with the sender's address. Cost: VERY HIGH —
## every read through these calls on any socket (many programs read TCP with recvfrom).
## Rarely worth it; use only for a short investigation${opts.saddrFam ? '' : ', and with --saddr-fam'}.`
}

const SADDR_FAM_NOTE = `-F saddr_fam=2 / =10: the kernel logs a call only when its address is IPv4 / IPv6 (a field of
## Linux 5.3 and later; auditctl -R reports "Invalid argument" on older kernels). This removes
## the unix and netlink noise before it is written, but netfilter --family unix/netlink/packet
## then has nothing to show, and calls without an address are not logged.`

/** The rules (no comments) of one group for one ABI. */
function groupRules (group: Group, syscalls: readonly string[], arch: 'b64' | 'b32', opts: RulesOptions): string[] {
  const key = keyFor(group, opts)
  const base = `-a always,exit -F arch=${arch}`
  if (group === 'socket') {
    return [AF_INET, AF_INET6].map(af => `${base} -S socket -F a0=${af} -k ${key}`)
  }
  const s = `-S ${syscalls.join(',')}`
  if (!opts.saddrFam) return [`${base} ${s} -k ${key}`]
  return [AF_INET, AF_INET6].map(af => `${base} ${s} -F saddr_fam=${af} -k ${key}`)
}

/** socketcall(2) rules of one group: one per sub-call (a0 is the sub-call number). */
function socketcallRules (group: Group, syscalls: readonly string[], opts: RulesOptions): string[] {
  const key = keyFor(group, opts)
  const rules: string[] = []
  for (const name of syscalls) {
    const call = SOCKETCALL_CALLS.indexOf(name)
    if (call <= 0) continue
    const base = `-a always,exit -F arch=b32 -S socketcall -F a0=${call}`
    if (opts.saddrFam && group !== 'socket') {
      for (const af of [AF_INET, AF_INET6]) rules.push(`${base} -F saddr_fam=${af} -k ${key}`)
    } else {
      rules.push(`${base} -k ${key}`)
    }
  }
  return rules
}

/** Splits a comment into lines of at most `width` characters (after "## "), at spaces. */
function wrap (text: string, width = 96): string[] {
  const lines: string[] = []
  for (const para of text.split('\n')) {
    let line = ''
    for (const word of para.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else {
        line = line === '' ? word : `${line} ${word}`
      }
    }
    lines.push(line)
  }
  return lines
}

export class RulesError extends Error {
  override name = 'RulesError'
}

/** Validates options; throws RulesError naming the problem. */
export function checkRulesOptions (opts: RulesOptions): void {
  if (MACHINES[opts.machine] === undefined) {
    throw new RulesError(`unknown machine '${opts.machine}' (known: ${Object.keys(MACHINES).join(', ')})`)
  }
  if (opts.syscalls.length === 0) throw new RulesError('no syscalls chosen')
  for (const s of opts.syscalls) {
    if (SYSCALL_GROUPS[s] === undefined) {
      throw new RulesError(`'${s}' is not a syscall these rules can log (${Object.keys(SYSCALL_GROUPS).join(', ')})`)
    }
  }
  for (const group of GROUPS) {
    const key = keyFor(group, opts)
    if (!/^[A-Za-z0-9_.:@+-]{1,255}$/.test(key)) {
      throw new RulesError(`key '${key}' for ${group}: use 1 to 255 letters, digits and _ . : @ + -`)
    }
  }
}

/** The rules file for these options: comments explaining each rule and its cost, then the rules. */
export function generateRules (options: Partial<RulesOptions> = {}): string {
  const opts: RulesOptions = { ...DEFAULT_RULES_OPTIONS, ...options }
  checkRulesOptions(opts)
  const machine = MACHINES[opts.machine] as Machine
  // Groups in output order, syscalls in the order of SYSCALL_GROUPS, whatever the order asked.
  const chosen = GROUPS.map(g => [g, Object.keys(SYSCALL_GROUPS).filter(s => SYSCALL_GROUPS[s] === g && opts.syscalls.includes(s))] as const)
    .filter(([, names]) => names.length > 0)
  const keys = chosen.map(([g]) => keyFor(g, opts))
  const out: string[] = []
  const comment = (text: string): void => { out.push(...wrap(text).map(l => l === '' ? '##' : `## ${l}`)) }

  comment('Audit rules for netfilter: log the socket calls it turns into network events.')
  comment(`Generated by: ${opts.command}   (machine ${opts.machine})`)
  comment('')
  comment(`Install:  ${opts.command} > /etc/audit/rules.d/netfilter.rules && augenrules --load`)
  comment('Or, until the next reboot: auditctl -R FILE')
  comment(`Check:    auditctl -l | grep -E 'key=(${[...new Set(keys)].join('|')})$'`)
  comment('Remove:   delete the file and run augenrules --load (or auditctl -d each rule below)')
  comment('')
  comment('This file only adds rules: -D (delete all), -b (backlog) and -e (enable/lock) belong to the')
  comment('base configuration (Debian: /etc/audit/rules.d/audit.rules). Bursts of these events need a')
  comment('kernel backlog of thousands: "-b 8192" there; "lost" in auditctl -s counts what overflowed.')
  comment('Rules are matched in order and the first match decides: a "-a never,exit" rule placed before')
  comment('these (augenrules joins rules.d/*.rules in lexical order) excludes what it matches, e.g. a')
  comment('noisy daemon: -a never,exit -F arch=b64 -S connect -F exe=/usr/sbin/nscd')
  comment('')
  comment('Cost, in general: each rule makes the kernel write one event (SYSCALL, SOCKADDR, PROCTITLE,')
  comment('about 1 KB) per matching call, and the calling process waits while the kernel formats it.')
  comment('netfilter keeps the IPv4/IPv6 events and counts the rest (--stats).')
  comment('Keys: ' + chosen.map(([g]) => `${keyFor(g, opts)} (${g})`).join(', ') + '.')
  if (opts.saddrFam) {
    comment('')
    comment(SADDR_FAM_NOTE)
  }

  const abis: Array<{ arch: 'b64' | 'b32', table: SyscallArch, note: string | null, socketcall: boolean }> = [
    { arch: 'b64', table: machine.b64, note: null, socketcall: false }
  ]
  if (!opts.b64Only && machine.b32 !== null) {
    abis.push({ arch: 'b32', table: machine.b32.arch, note: machine.b32.note, socketcall: machine.b32.socketcall && opts.socketcall })
  }
  for (const abi of abis) {
    const table = SYSCALL_TABLES[abi.table]
    out.push('')
    if (abi.arch === 'b64') {
      comment(`======== 64-bit ABI (-F arch=b64: ${abi.table}) ========`)
    } else {
      comment(`======== 32-bit ABI (-F arch=b32: ${abi.table}) ========`)
      comment(`${abi.note ?? ''}`)
      comment('Without these rules a 32-bit program\'s calls are not logged at all. Same rules and keys as')
      comment('above; their cost is nil while no 32-bit program runs.')
    }
    for (const [group, names] of chosen) {
      const present = names.filter(n => table.includes(n))
      const missing = names.filter(n => !table.includes(n))
      out.push('')
      if (abi.arch === 'b64') out.push(...EXPLAIN[group](opts).split('\n').map(l => l.startsWith('## ') ? l : `## ${l}`))
      else comment(`${group} (key ${keyFor(group, opts)}): as above.`)
      for (const n of missing) comment(`(${n}: no such syscall on ${abi.table}, so no rule; auditctl would reject it)`)
      if (present.length > 0) out.push(...groupRules(group, present, abi.arch, opts))
    }
    if (abi.socketcall) {
      const calls = chosen.flatMap(([group, names]) => socketcallRules(group, names, opts).map(r => [group, r] as const))
      out.push('')
      comment('socketcall(2): one syscall for every socket operation; its first argument (a0) says which: ' +
        chosen.flatMap(([, names]) => names.filter(n => SOCKETCALL_CALLS.indexOf(n) > 0)
          .map(n => `${n} (${SOCKETCALL_CALLS.indexOf(n)})`)).join(', ') +
        '. netfilter resolves the call from the SOCKETCALL record. Cost: only programs that use ' +
        'socketcall are affected, but for them the family of socket() is behind a pointer no rule can ' +
        'read, so every socket() they make is logged, unix ones too. Leave these rules out ' +
        '(--no-socketcall) when no old 32-bit program runs on the host.')
      out.push(...calls.map(([, r]) => r))
    }
  }
  return out.join('\n') + '\n'
}

export const RULES_HELP = `Usage: netfilter rules [OPTION]...

Prints the audit rules netfilter needs, as an audit rules file (auditctl -R and
augenrules syntax), with comments explaining each rule and its cost. The rules
log socket() for AF_INET and AF_INET6 (-F a0=2, -F a0=10), connect, accept and
accept4, and bind, for the 64-bit and the 32-bit ABI (-F arch=b64, -F arch=b32),
each with a key (-k). connect never gets -F success=1: a non-blocking connect
returns EINPROGRESS, and success=1 would drop most TCP connections.

Options:
  --syscalls LIST     the syscalls to log, from: socket, connect, accept, accept4,
                      bind, sendto, sendmsg, sendmmsg, recvfrom, recvmsg, recvmmsg
                      ("accept" means accept and accept4; repeat the flag or
                      separate with commas; default socket,connect,accept,bind).
                      Without socket there is no transport, without bind no
                      local address (netfilter's socket context)
  --udp               also log sendto and sendmsg: UDP datagrams, which have no
                      connect to log (costly: see the comments)
  --key-prefix PREFIX keys are PREFIX_socket, PREFIX_connect, PREFIX_accept,
                      PREFIX_bind, PREFIX_send, PREFIX_recv (default ${DEFAULT_KEY_PREFIX})
  --key GROUP=KEY     the key of one group (socket, connect, accept, bind, send,
                      recv); --key KEY (no "=") gives every rule the same key.
                      Repeatable
  --b64-only          only the 64-bit ABI: no -F arch=b32 rules
  --no-socketcall     no rules for 32-bit socketcall(2) (old i386 binaries)
  --saddr-fam         add -F saddr_fam=2 / =10 to calls that carry an address,
                      so the kernel drops unix and netlink calls (Linux 5.3+);
                      netfilter then cannot see non-IP families
  --machine NAME      the machine the rules are for: ${Object.keys(MACHINES).join(', ')}
                      (default: this one, ${hostMachine()})
  -h, --help          show this help and exit

Exit status: 0, or 2 on a bad option.

Examples:
  netfilter rules > /etc/audit/rules.d/netfilter.rules && augenrules --load
  netfilter rules --udp | auditctl -R /dev/stdin
  netfilter rules --syscalls connect,accept --key net
  netfilter rules --key-prefix nf --b64-only --saddr-fam
  netfilter rules --key connect=outbound --key accept=inbound
`

export class RulesUsageError extends Error {
  override name = 'RulesUsageError'
}

/** Parses `netfilter rules` arguments into options (or 'help'). Throws RulesUsageError. */
export function parseRulesArgs (argv: readonly string[], machine = hostMachine()): RulesOptions | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        syscalls: { type: 'string', multiple: true },
        udp: { type: 'boolean' },
        'key-prefix': { type: 'string' },
        key: { type: 'string', multiple: true },
        'b64-only': { type: 'boolean' },
        'no-socketcall': { type: 'boolean' },
        'saddr-fam': { type: 'boolean' },
        machine: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      allowPositionals: false,
      strict: true
    })
  } catch (err) {
    throw new RulesUsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  const v = parsed.values
  if (v.help === true) return 'help'
  let syscalls: string[] = [...DEFAULT_SYSCALLS]
  if (v.syscalls !== undefined) {
    const names = v.syscalls.flatMap(x => x.split(',')).map(x => x.trim())
    if (names.some(n => n === '')) throw new RulesUsageError(`--syscalls: empty name in '${v.syscalls.join(',')}'`)
    syscalls = names.flatMap(n => n === 'accept' ? ['accept', 'accept4'] : [n])
  }
  if (v.udp === true) syscalls.push(...UDP_SYSCALLS.filter(s => !syscalls.includes(s)))
  const keys: Partial<Record<Group, string>> = {}
  for (const k of v.key ?? []) {
    const eq = k.indexOf('=')
    if (eq < 0) {
      for (const g of GROUPS) keys[g] = k
      continue
    }
    const group = k.slice(0, eq)
    if (!(GROUPS as readonly string[]).includes(group)) {
      throw new RulesUsageError(`--key ${k}: '${group}' is not a group (${GROUPS.join(', ')})`)
    }
    keys[group as Group] = k.slice(eq + 1)
  }
  if (v['key-prefix'] === '') throw new RulesUsageError('--key-prefix: expected a value')
  const opts: RulesOptions = {
    syscalls,
    keys,
    keyPrefix: v['key-prefix'] ?? DEFAULT_KEY_PREFIX,
    machine: v.machine ?? machine,
    b64Only: v['b64-only'] === true,
    socketcall: v['no-socketcall'] !== true,
    saddrFam: v['saddr-fam'] === true,
    command: ['netfilter rules', ...argv].join(' ')
  }
  try {
    checkRulesOptions(opts)
  } catch (err) {
    if (!(err instanceof RulesError)) throw err
    const hint = v.machine === undefined && MACHINES[opts.machine] === undefined ? ': this machine is not known, give --machine' : ''
    throw new RulesUsageError(err.message + hint)
  }
  return opts
}

export async function main (argv: string[]): Promise<number> {
  let opts
  try {
    opts = parseRulesArgs(argv)
  } catch (err) {
    if (!(err instanceof RulesUsageError)) throw err
    process.stderr.write(`netfilter rules: ${err.message}\nTry 'netfilter rules --help' for more information.\n`)
    return 2
  }
  if (opts === 'help') {
    process.stdout.write(RULES_HELP)
    return 0
  }
  process.stdout.write(generateRules(opts))
  return 0
}
