/**
 * Unit tests for src/decoders/syscall.ts: syscall numbers → names per arch, socketcall sub-calls, errno names.
 *
 * Syscall numbers below were checked, when this test was written, with Debian auditd 1:3.0.9
 * `ausyscall ARCH NAME --exact` for every arch and name, and against the kernel's own tables:
 *   x86_64  /usr/include/x86_64-linux-gnu/asm/unistd_64.h (arch/x86/entry/syscalls/syscall_64.tbl)
 *   i386    /usr/include/x86_64-linux-gnu/asm/unistd_32.h (arch/x86/entry/syscalls/syscall_32.tbl)
 *   aarch64 /usr/include/asm-generic/unistd.h
 *   ppc*    arch/powerpc/kernel/syscalls/syscall.tbl (torvalds/linux)
 *   arm     arch/arm/tools/syscall.tbl;  s390*  arch/s390/kernel/syscalls/syscall.tbl
 * They are hard-coded because ausyscall may be absent where the tests run.
 */
import t from 'tap'
import { errnoName, resolveSocketcall, syscallName } from '../../src/decoders/syscall.js'

type Calls = Readonly<Record<string, number | null>>
// null = the arch has no such direct syscall (reached through socketcall(2) instead).
const NUMBERS: Readonly<Record<string, Calls>> = {
  x86_64: { socket: 41, connect: 42, accept: 43, sendto: 44, sendmsg: 46, bind: 49, accept4: 288, socketcall: null },
  i386: { socketcall: 102, socket: 359, bind: 361, connect: 362, accept4: 364, sendto: 369, sendmsg: 370, accept: null },
  aarch64: { socket: 198, bind: 200, accept: 202, connect: 203, sendto: 206, sendmsg: 211, accept4: 242, socketcall: null },
  arm: { socketcall: 102, socket: 281, bind: 282, connect: 283, accept: 285, sendto: 290, sendmsg: 296, accept4: 366 },
  ppc64le: { socketcall: 102, socket: 326, bind: 327, connect: 328, accept: 330, sendto: 335, sendmsg: 341, accept4: 344 },
  ppc64: { socketcall: 102, socket: 326, bind: 327, connect: 328, accept: 330, sendto: 335, sendmsg: 341, accept4: 344 },
  ppc: { socketcall: 102, socket: 326, bind: 327, connect: 328, accept: 330, sendto: 335, sendmsg: 341, accept4: 344 },
  s390x: { socketcall: 102, socket: 359, bind: 361, connect: 362, accept4: 364, sendto: 369, sendmsg: 370, accept: null },
  s390: { socketcall: 102, socket: 359, bind: 361, connect: 362, accept4: 364, sendto: 369, sendmsg: 370, accept: null }
}

for (const [arch, calls] of Object.entries(NUMBERS)) {
  t.test(`socket syscall numbers on ${arch} give their names`, t => {
    for (const [name, n] of Object.entries(calls)) {
      if (n !== null) t.equal(syscallName(arch, n), name, `${arch} ${n} = ${name}`)
    }
    t.end()
  })
}

t.test('an arch without a direct syscall never names it (i386/s390 accept, x86_64/aarch64 socketcall)', t => {
  for (const [arch, calls] of Object.entries(NUMBERS)) {
    for (const [name, n] of Object.entries(calls)) {
      if (n !== null) continue
      let found = -1
      for (let i = 0; i < 1024; i++) if (syscallName(arch, i) === name) { found = i; break }
      t.equal(found, -1, `no ${name} on ${arch}`)
    }
  }
  t.end()
})

t.test('i386 has accept4 (364) and socketcall (102) but no direct accept', t => {
  t.equal(syscallName('i386', 364), 'accept4')
  t.equal(syscallName('i386', 102), 'socketcall')
  // The x86_64 number of accept (43) is times on i386.
  t.not(syscallName('i386', 43), 'accept')
  t.end()
})

t.test('x86_64 and i386 numbers are not interchangeable', t => {
  t.not(syscallName('i386', 42), 'connect')
  t.not(syscallName('x86_64', 362), 'connect')
  t.end()
})

t.test('armeb uses the arm table', t => {
  t.equal(syscallName('armeb', 283), 'connect')
  t.equal(syscallName('armeb', 102), 'socketcall')
  t.end()
})

t.test('an unknown arch, or an arch without a table, gives null', t => {
  t.equal(syscallName('unknown(0xc0000102)', 42), null)
  t.equal(syscallName('riscv64', 203), null, 'riscv64 has no table (ausyscall 3.0.9 lacks it)')
  t.equal(syscallName('', 42), null)
  t.equal(syscallName('X86_64', 42), null, 'arch names are case-sensitive')
  t.end()
})

t.test('a number outside the table gives null', t => {
  t.equal(syscallName('x86_64', -1), null)
  t.equal(syscallName('x86_64', 100000), null)
  t.equal(syscallName('x86_64', 42.5), null)
  t.equal(syscallName('x86_64', 0x40000000 + 42), null, 'x32 numbers are not in the x86_64 table')
  t.end()
})

// SYS_* from include/uapi/linux/net.h.
const SOCKETCALL = ['socket', 'bind', 'connect', 'listen', 'accept', 'getsockname', 'getpeername', 'socketpair',
  'send', 'recv', 'sendto', 'recvfrom', 'shutdown', 'setsockopt', 'getsockopt', 'sendmsg', 'recvmsg', 'accept4',
  'recvmmsg', 'sendmmsg']

t.test('resolveSocketcall gives the SYS_* name for sub-calls 1 to 20', t => {
  t.equal(SOCKETCALL.length, 20)
  SOCKETCALL.forEach((name, i) => t.equal(resolveSocketcall(i + 1), name, `SYS_${name.toUpperCase()} = ${i + 1}`))
  t.end()
})

t.test('resolveSocketcall gives null outside 1 to 20', t => {
  for (const n of [0, 21, -1, 255, 3.5, NaN]) t.equal(resolveSocketcall(n), null, String(n))
  t.end()
})

// From include/uapi/asm-generic/errno-base.h and errno.h.
t.test('errnoName gives the asm-generic names of the errors a connect can return', t => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [115, 'EINPROGRESS'], [114, 'EALREADY'], [111, 'ECONNREFUSED'], [2, 'ENOENT'], [1, 'EPERM'], [13, 'EACCES'],
    [11, 'EAGAIN'], [101, 'ENETUNREACH'], [113, 'EHOSTUNREACH'], [110, 'ETIMEDOUT'], [99, 'EADDRNOTAVAIL'],
    [98, 'EADDRINUSE'], [97, 'EAFNOSUPPORT'], [106, 'EISCONN'], [4, 'EINTR'], [133, 'EHWPOISON']
  ]
  for (const [n, name] of cases) t.equal(errnoName(n), name, `${n} = ${name}`)
  t.end()
})

t.test('errnoName gives null for numbers with no errno name', t => {
  // 41 and 58 are gaps in asm-generic/errno.h (EWOULDBLOCK and EDEADLOCK are aliases, not numbers of their own).
  for (const n of [0, 41, 58, 134, 512, -1, -115, 1.5]) t.equal(errnoName(n), null, String(n))
  t.end()
})
