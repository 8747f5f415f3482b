/**
 * Which calls the filter may set aside unread (src/selection/socket-calls.ts): never a socket call,
 * socketcall(2) or io_uring_enter, on any arch with a table; never a number or an arch it knows
 * nothing of; and the common non-network calls of an audited host (execve, openat, …) are set aside.
 */
import t from 'tap'
import { mayBeNetworkCall } from '../../src/selection/socket-calls.js'
import { SYSCALL_TABLES, SOCKETCALL_CALLS } from '../../src/tables/syscalls.js'

const ARCH = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028, ppc64le: 0xc0000015, s390x: 0x80000016 }

t.test('every socket call, socketcall and io_uring_enter may be a network call, on every arch with a table', async t => {
  const names = new Set([...SOCKETCALL_CALLS.filter(n => n !== ''), 'socketcall', 'io_uring_enter'])
  let checked = 0
  for (const [arch, value] of Object.entries(ARCH)) {
    const table = SYSCALL_TABLES[arch as keyof typeof SYSCALL_TABLES]
    table.forEach((name, n) => {
      if (!names.has(name)) return
      checked++
      if (!mayBeNetworkCall(value, n)) t.fail(`${arch} ${n} ${name} was set aside`)
    })
  }
  t.ok(checked > 60, `${checked} socket calls checked`)
})

t.test('common calls that are never network events are set aside', async t => {
  t.equal(mayBeNetworkCall(ARCH.x86_64, 59), false, 'x86_64 execve')
  t.equal(mayBeNetworkCall(ARCH.x86_64, 257), false, 'x86_64 openat')
  t.equal(mayBeNetworkCall(ARCH.aarch64, 221), false, 'aarch64 execve')
  t.equal(mayBeNetworkCall(ARCH.i386, 11), false, 'i386 execve')
  t.equal(mayBeNetworkCall(ARCH.x86_64, 42), true, 'x86_64 connect')
  t.equal(mayBeNetworkCall(ARCH.i386, 102), true, 'i386 socketcall')
})

t.test('what is not known is never set aside: numbers without a name, arches without a table', async t => {
  t.equal(mayBeNetworkCall(ARCH.x86_64, 5000), true, 'beyond the table')
  t.equal(mayBeNetworkCall(ARCH.x86_64, 400), true, 'a hole in the table (no syscall 400 on x86_64)')
  t.equal(mayBeNetworkCall(0xc00000f3, 221), true, 'riscv64: no table here')
  t.equal(mayBeNetworkCall(0x12345678, 59), true, 'an unknown arch value')
  t.equal(mayBeNetworkCall(ARCH.x86_64, 59), false, 'and the known arch still answers after them')
})
