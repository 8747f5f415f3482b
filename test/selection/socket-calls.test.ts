/**
 * Which calls the filter may set aside unread (src/selection/socket-calls.ts): never a socket call,
 * socketcall(2) or io_uring_enter, on any arch with a table; never a number or an arch it knows
 * nothing of; and the common non-network calls of an audited host (execve, openat, …) are set aside.
 */
import t from 'tap'
import { callClass, mayBeNetwork, wholeWith as wholeWithClass } from '../../src/selection/socket-calls.js'
import { KIND_PROCTITLE, KIND_SOCKADDR, KIND_SYSCALL } from '../../src/records/header.js'
import { SYSCALL_TABLES, SOCKETCALL_CALLS } from '../../src/tables/syscalls.js'

/** The filter's two readings of one call's class. */
const mayBeNetworkCall = (arch: number, n: number): boolean => mayBeNetwork(callClass(arch, n))
const wholeWith = (arch: number, n: number): number => wholeWithClass(callClass(arch, n))

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

t.test('which records make an event whole: SYSCALL and PROCTITLE, a SOCKADDR too for an address call; nothing for what may log anything', async t => {
  const callAndTitle = (1 << KIND_SYSCALL) | (1 << KIND_PROCTITLE)
  const withAddress = callAndTitle | (1 << KIND_SOCKADDR)
  t.equal(wholeWith(ARCH.x86_64, 42), withAddress, 'x86_64 connect')
  t.equal(wholeWith(ARCH.x86_64, 49), withAddress, 'x86_64 bind')
  t.equal(wholeWith(ARCH.x86_64, 288), withAddress, 'x86_64 accept4 (it may log none: then it waits)')
  t.equal(wholeWith(ARCH.aarch64, 203), withAddress, 'aarch64 connect')
  t.equal(wholeWith(ARCH.x86_64, 41), callAndTitle, 'x86_64 socket: no address to log')
  t.equal(wholeWith(ARCH.x86_64, 59), callAndTitle, 'x86_64 execve: never a network call')
  t.equal(wholeWith(ARCH.i386, 102), 0, 'i386 socketcall: its SOCKETCALL record and address vary')
  t.equal(wholeWith(ARCH.x86_64, 426), 0, 'io_uring_enter')
  t.equal(wholeWith(ARCH.x86_64, 5000), 0, 'a number without a name')
  t.equal(wholeWith(0x12345678, 42), 0, 'an unknown arch')
})
