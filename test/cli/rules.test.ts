/**
 * `netfilter rules` (src/cli/rules.ts): the audit rules file it prints. Expected values come from
 * the brief and the kernel/auditd facts it rests on: socket() filtered on a0 = AF_INET (2) and
 * AF_INET6 (10) in separate rules; connect never with success=1; i386 has no accept syscall
 * (`ausyscall i386 accept` fails) but has accept4 and socketcall(2), whose a0 is the SYS_* number
 * of <linux/net.h> (socket 1, bind 2, connect 3, accept 5, sendto 11, sendmsg 16, accept4 18);
 * aarch64's 32-bit ABI (arm) has accept. And the generated files load into the real kernel with
 * auditctl -R (skipped, loudly, only where the kernel's audit subsystem is not available).
 */
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import {
  MACHINES, RULES_HELP, RulesError, RulesUsageError, generateRules, parseRulesArgs, type RulesOptions
} from '../../src/cli/rules.js'
import { SYSCALL_TABLES } from '../../src/tables/syscalls.js'
import { runCli } from '../helpers/filter.js'
import { auditUnavailable, listRules, loadRulesFile, parseRules, removeRules, withAuditLock } from '../helpers/auditd.js'

/** Rule lines (not comments) of a generated file. */
const rulesOf = (text: string): string[] => text.split('\n').filter(l => l.startsWith('-'))

function gen (argv: string[], machine = 'x86_64'): string {
  const opts = parseRulesArgs(argv, machine)
  if (opts === 'help') throw new Error('help')
  return generateRules(opts)
}

function usageError (argv: string[]): string {
  try {
    parseRulesArgs(argv, 'x86_64')
  } catch (err) {
    if (err instanceof RulesUsageError) return err.message
    throw err
  }
  throw new Error(`no usage error for ${argv.join(' ')}`)
}

/** The value of -F NAME=… in a rule, or null. */
function field (rule: string, name: string): string | null {
  const m = new RegExp(`-F ${name}=(\\S+)`).exec(rule)
  return m === null ? null : m[1] ?? null
}
const syscallsOf = (rule: string): string[] => (/-S (\S+)/.exec(rule)?.[1] ?? '').split(',')
const keyOf = (rule: string): string | null => /-k (\S+)/.exec(rule)?.[1] ?? null

t.test('the default rules: socket per family, connect, accept/accept4, bind — for b64 and b32, each keyed', async t => {
  const rules = rulesOf(gen([]))
  for (const arch of ['b64', 'b32']) {
    const a = rules.filter(r => field(r, 'arch') === arch)
    t.same(a.filter(r => syscallsOf(r).includes('socket')).map(r => [field(r, 'a0'), keyOf(r)]),
      [['2', 'net_socket'], ['10', 'net_socket']], `${arch}: socket once with a0=2 and once with a0=10`)
    t.same(a.filter(r => syscallsOf(r).includes('connect')).map(keyOf), ['net_connect'], `${arch}: connect`)
    t.same(a.filter(r => syscallsOf(r).includes('bind')).map(keyOf), ['net_bind'], `${arch}: bind`)
    t.notOk(a.some(r => syscallsOf(r).some(s => s.startsWith('send'))), `${arch}: no send rules without --udp`)
  }
  const accept = rules.filter(r => syscallsOf(r).some(s => s.startsWith('accept')))
  t.same(accept.map(r => [field(r, 'arch'), syscallsOf(r), keyOf(r)]),
    [['b64', ['accept', 'accept4'], 'net_accept'], ['b32', ['accept4'], 'net_accept']],
    'b64 logs accept and accept4; i386 has only accept4')
  for (const r of rules) {
    t.match(r, /^-a always,exit -F arch=b(64|32) -S \S+ .*-k \S+$/, `an always,exit rule with a key: ${r}`)
  }
})

t.test('connect is never limited to success=1, and the file says why', async t => {
  const text = gen(['--udp', '--saddr-fam', '--syscalls', 'socket,connect,accept,bind,sendmmsg,recvfrom'])
  t.notOk(rulesOf(text).some(r => /success=/.test(r)), 'no rule filters on success')
  t.match(text, /Never "-F success=1"[\s\S]*EINPROGRESS/, 'the comment explains the non-blocking connect')
})

t.test('i386 socket calls made through socketcall(2) are logged by sub-call (a0), with the same keys', async t => {
  const rules = rulesOf(gen(['--udp']))
  const sc = rules.filter(r => syscallsOf(r).includes('socketcall'))
  t.ok(sc.every(r => field(r, 'arch') === 'b32'), 'only for the 32-bit ABI')
  t.same(sc.map(r => [field(r, 'a0'), keyOf(r)]).sort(), [
    ['1', 'net_socket'], ['11', 'net_send'], ['16', 'net_send'], ['18', 'net_accept'], ['2', 'net_bind'],
    ['3', 'net_connect'], ['5', 'net_accept']
  ])
  t.match(gen([]), /socketcall[\s\S]*Cost:[\s\S]*every socket\(\) they make is logged/, 'its cost is explained')
  t.notOk(rulesOf(gen(['--no-socketcall'])).some(r => r.includes('socketcall')), '--no-socketcall leaves them out')
})

t.test('--udp adds sendto and sendmsg for both ABIs under net_send', async t => {
  const send = rulesOf(gen(['--udp'])).filter(r => keyOf(r) === 'net_send' && !r.includes('socketcall'))
  t.same(send.map(r => [field(r, 'arch'), syscallsOf(r)]), [['b64', ['sendto', 'sendmsg']], ['b32', ['sendto', 'sendmsg']]])
})

t.test('--b64-only leaves out every arch=b32 rule', async t => {
  const rules = rulesOf(gen(['--b64-only', '--udp']))
  t.ok(rules.length > 0)
  t.notOk(rules.some(r => r.includes('arch=b32')))
})

t.test('keys: --key-prefix renames them all, --key GROUP=KEY one group, --key KEY every rule', async t => {
  t.same([...new Set(rulesOf(gen(['--key-prefix', 'nf', '--udp'])).map(keyOf))].sort(),
    ['nf_accept', 'nf_bind', 'nf_connect', 'nf_send', 'nf_socket'])
  const some = rulesOf(gen(['--key', 'connect=outbound', '--key', 'accept=inbound']))
  t.same([...new Set(some.map(keyOf))].sort(), ['inbound', 'net_bind', 'net_socket', 'outbound'])
  t.same([...new Set(rulesOf(gen(['--key', 'network'])).map(keyOf))], ['network'])
})

t.test('--syscalls chooses the calls; "accept" means accept and accept4', async t => {
  const rules = rulesOf(gen(['--syscalls', 'connect', '--syscalls', 'accept', '--b64-only']))
  t.same(rules.map(syscallsOf), [['connect'], ['accept', 'accept4']])
  t.same(rulesOf(gen(['--syscalls', 'accept4', '--b64-only'])).map(syscallsOf), [['accept4']])
})

t.test('--saddr-fam splits the rules of calls with an address by family; socket keeps a0', async t => {
  const rules = rulesOf(gen(['--saddr-fam', '--udp', '--b64-only']))
  for (const call of ['connect', 'bind', 'sendto']) {
    t.same(rules.filter(r => syscallsOf(r).includes(call)).map(r => field(r, 'saddr_fam')), ['2', '10'], call)
  }
  t.same(rules.filter(r => syscallsOf(r).includes('socket')).map(r => [field(r, 'a0'), field(r, 'saddr_fam')]),
    [['2', null], ['10', null]])
  t.match(gen(['--saddr-fam']), /saddr_fam=2 \/ =10: the kernel logs a call only when its address is IPv4 \/ IPv6/)
})

t.test('every rule names only syscalls that exist in its ABI\'s table, on every known machine', async t => {
  const all = ['--udp', '--syscalls', 'socket,connect,accept,bind,sendmmsg,recvfrom,recvmsg,recvmmsg']
  for (const [name, machine] of Object.entries(MACHINES)) {
    for (const r of rulesOf(gen(all, name))) {
      const table = field(r, 'arch') === 'b64' ? machine.b64 : machine.b32?.arch
      t.ok(table !== undefined, `${name}: a b32 rule only where there is a 32-bit ABI: ${r}`)
      for (const s of syscallsOf(r)) t.ok(SYSCALL_TABLES[table ?? 'x86_64'].includes(s), `${name}: ${s} exists on ${String(table)}`)
    }
  }
  const arm = rulesOf(gen([], 'aarch64'))
  t.ok(arm.some(r => field(r, 'arch') === 'b32' && syscallsOf(r).includes('accept')), 'arm (aarch64 b32) has accept')
  t.notOk(arm.some(r => r.includes('socketcall')), 'arm EABI programs do not use socketcall')
  t.notOk(rulesOf(gen([], 'ppc64le')).some(r => r.includes('arch=b32')), 'ppc64le has no 32-bit ABI')
})

t.test('bad options are usage errors naming the problem', async t => {
  t.match(usageError(['--syscalls', 'socket,listen']), /'listen' is not a syscall these rules can log/)
  t.match(usageError(['--syscalls', 'socket,,bind']), /--syscalls: empty name/)
  t.match(usageError(['--key', 'listen=x']), /'listen' is not a group/)
  t.match(usageError(['--key', 'connect=bad key']), /key 'bad key' for connect/)
  t.match(usageError(['--machine', 'vax']), /unknown machine 'vax'/)
  t.match(usageError(['--frobnicate']), /Unknown option '--frobnicate'/)
  t.match(usageError(['extra']), /extra/)
  t.throws(() => generateRules({ syscalls: [] }), RulesError)
})

t.test('--help explains every option with an example', async t => {
  for (const flag of ['--syscalls', '--udp', '--key-prefix', '--key', '--b64-only', '--no-socketcall', '--saddr-fam', '--machine', '--help']) {
    t.match(RULES_HELP, new RegExp(`\\n  (-h, )?${flag}\\b`), `${flag} is explained`)
  }
  t.match(RULES_HELP, /Examples:\n {2}netfilter rules/)
  t.equal(parseRulesArgs(['--help']), 'help')
})

t.test('the command prints the file and exits 0; a bad option exits 2 with the message on stderr', async t => {
  const ok = await runCli(['rules', '--udp'])
  t.equal(ok.status, 0, ok.stderr)
  t.equal(ok.stdout, gen(['--udp'], (parseRulesArgs([]) as RulesOptions).machine), 'the generator\'s text for this machine')
  const help = await runCli(['rules', '--help'])
  t.equal(help.status, 0)
  t.equal(help.stdout, RULES_HELP)
  const bad = await runCli(['rules', '--syscalls', 'nope'])
  t.equal(bad.status, 2)
  t.equal(bad.stdout, '')
  t.match(bad.stderr, /^netfilter rules: 'nope' is not a syscall/)
})

// The only reason to skip: no audit subsystem (a container without CAP_AUDIT_CONTROL, a kernel
// without CONFIG_AUDIT). Said loudly, on stderr too.
const unavailable = auditUnavailable()
if (unavailable !== null) process.stderr.write(`\n*** test/cli/rules.test.ts: SKIPPING the kernel test: ${unavailable} ***\n\n`)

t.test('the generated rules load into the kernel with auditctl -R, and are removed again', { skip: unavailable ?? false }, async t => {
  const dir = mkdtempSync(`${tmpdir()}/netfilter-rules-`)
  // Keys nothing else uses, so no rule of the host (or of another test) can be touched.
  const prefix = `nftest${process.pid}`
  const variants = [['--udp'], ['--udp', '--saddr-fam', '--syscalls', 'socket,connect,accept,bind,sendmmsg,recvfrom,recvmsg,recvmmsg']]
  await withAuditLock(async () => {
    for (const [i, argv] of variants.entries()) {
      const file = `${dir}/${i}.rules`
      writeFileSync(file, gen([...argv, '--key-prefix', prefix]))
      const rules = loadRulesFile(file)
      // auditctl -l prints a0 in hex, -k as -F key= and the syscalls in its own order.
      const normal = (rule: string): string => rule
        .replace(/-F a0=(\d+)(?= )/, (_m, n: string) => `-F a0=0x${Number(n).toString(16).toUpperCase()}`)
        .replace(/-k (\S+)$/, '-F key=$1')
        .replace(/-S (\S+)/, (_m, list: string) => `-S ${list.split(',').sort().join(',')}`)
      const loaded = listRules().filter(l => l.includes(`key=${prefix}_`)).map(normal)
      t.equal(loaded.length, parseRules(gen([...argv, '--key-prefix', prefix])).length, `${argv.join(' ')}: every rule is in the kernel`)
      for (const r of rules) {
        const want = normal(r.join(' '))
        t.ok(loaded.includes(want), `listed: ${want}`)
      }
      removeRules(rules)
      t.same(listRules().filter(l => l.includes(`key=${prefix}_`)), [], 'all removed')
    }
  }, { log: m => t.comment(m) })
})
