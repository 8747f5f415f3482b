/**
 * Unit tests for src/decoders/arch.ts: SYSCALL arch= → name, byte order, word size.
 * Expected values: AUDIT_ARCH_* in include/uapi/linux/audit.h, built from EM_* (include/uapi/linux/elf-em.h)
 * | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000); names as `ausyscall` spells them.
 */
import t from 'tap'
import { decodeArch } from '../../src/decoders/arch.js'

// [arch= text, name, littleEndian, is64, how the kernel builds it]
const KNOWN: ReadonlyArray<readonly [string, string, boolean, boolean, string]> = [
  ['c000003e', 'x86_64', true, true, 'EM_X86_64 (62) | 64BIT | LE'],
  ['40000003', 'i386', true, false, 'EM_386 (3) | LE'],
  ['c00000b7', 'aarch64', true, true, 'EM_AARCH64 (183) | 64BIT | LE'],
  ['40000028', 'arm', true, false, 'EM_ARM (40) | LE'],
  ['c0000015', 'ppc64le', true, true, 'EM_PPC64 (21) | 64BIT | LE'],
  ['80000015', 'ppc64', false, true, 'EM_PPC64 (21) | 64BIT'],
  ['80000016', 's390x', false, true, 'EM_S390 (22) | 64BIT'],
  ['00000028', 'armeb', false, false, 'EM_ARM (40), big-endian'],
  ['00000014', 'ppc', false, false, 'EM_PPC (20)'],
  ['00000016', 's390', false, false, 'EM_S390 (22)'],
  ['c00000f3', 'riscv64', true, true, 'EM_RISCV (243) | 64BIT | LE'],
  ['400000f3', 'riscv32', true, false, 'EM_RISCV (243) | LE']
]

t.test('every AUDIT_ARCH value in the table gives its name, byte order and word size', t => {
  for (const [text, name, littleEndian, is64, why] of KNOWN) {
    t.strictSame(decodeArch(text), { name, littleEndian, is64 }, `${text} = ${why}`)
  }
  t.end()
})

t.test('upper-case hex and a 0x prefix are read as the same arch', t => {
  t.strictSame(decodeArch('C000003E'), { name: 'x86_64', littleEndian: true, is64: true })
  t.strictSame(decodeArch('0xc000003e'), { name: 'x86_64', littleEndian: true, is64: true })
  t.strictSame(decodeArch('0x80000015'), { name: 'ppc64', littleEndian: false, is64: true })
  t.end()
})

t.test('an unknown arch value still gives byte order from 0x40000000 and word size from 0x80000000', t => {
  // EM_LOONGARCH (258 = 0x102) is not in the table: loongarch64 is c0000102.
  const cases: ReadonlyArray<readonly [string, boolean, boolean]> = [
    ['c0000102', true, true],
    ['40000102', true, false],
    ['80000102', false, true],
    ['00000102', false, false],
    ['c0000099', true, true]
  ]
  for (const [text, littleEndian, is64] of cases) {
    const a = decodeArch(text)
    if (a === null) { t.fail(`${text} decoded to null`); continue }
    t.equal(a.littleEndian, littleEndian, `${text} littleEndian`)
    t.equal(a.is64, is64, `${text} is64`)
    t.match(a.name, /^unknown\(/, `${text} is named unknown(…)`)
    t.ok(a.name.toLowerCase().includes(text.replace(/^0+/, '')), `${text}: name ${a.name} shows the value`)
  }
  t.end()
})

t.test('a short arch value is read as a number (3 is EM_386 without the LE bit, so big-endian 32-bit)', t => {
  const a = decodeArch('3')
  t.equal(a?.littleEndian, false)
  t.equal(a?.is64, false)
  t.end()
})

t.test('text that is not 1 to 8 hex digits gives null', t => {
  for (const s of ['', 'x86_64', 'zz', 'c000003e ', ' c000003e', '1c000003e', '-1', '0x', 'c000003g', '0Xc000003e', '(null)']) {
    t.equal(decodeArch(s), null, JSON.stringify(s))
  }
  t.end()
})

t.test('asking twice gives the same answer (the cache does not change results)', t => {
  t.strictSame(decodeArch('80000016'), { name: 's390x', littleEndian: false, is64: true })
  t.strictSame(decodeArch('80000016'), { name: 's390x', littleEndian: false, is64: true })
  t.equal(decodeArch('nothex'), null)
  t.equal(decodeArch('nothex'), null)
  t.end()
})
