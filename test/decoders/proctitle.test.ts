/**
 * Unit tests for src/decoders/proctitle.ts: PROCTITLE proctitle= → argv.
 * The kernel (audit_log_proctitle → audit_log_n_untrustedstring) writes the command line quoted when it
 * has no byte < 0x21, > 0x7e or '"', and as upper-case hex otherwise; arguments are NUL-separated.
 * The vectors are real proctitle values from /work/shared/corpus (inlined here), expected argv by hand.
 */
import t from 'tap'
import { decodeProctitle } from '../../src/decoders/proctitle.js'

t.test('hex with NUL separators gives one argv element per argument', t => {
  // laurel record-bind-ipv4-bigendian.txt: nc -l -p 55555
  t.strictSame(decodeProctitle('6E63002D6C002D70003535353535'), ['nc', '-l', '-p', '55555'])
  // audit-userspace test3.log
  t.strictSame(
    decodeProctitle('2F7362696E2F69707461626C6573002D77002D49007373686775617264002D730034352E37362E3134352E313532002D6A0044524F50'),
    ['/sbin/iptables', '-w', '-I', 'sshguard', '-s', '45.76.145.152', '-j', 'DROP'])
  t.end()
})

t.test('a single argument with a space comes hex-encoded and stays one element', t => {
  t.strictSame(decodeProctitle('737368643A206275726E205B707269765D'), ['sshd: burn [priv]'])
  t.end()
})

t.test('lower-case hex decodes like upper-case', t => {
  t.strictSame(decodeProctitle('6e63002d6c002d70003535353535'), ['nc', '-l', '-p', '55555'])
  t.end()
})

t.test('a quoted string is one argv element without the quotes', t => {
  t.strictSame(decodeProctitle('"bash"'), ['bash'])
  t.strictSame(decodeProctitle('"/usr/sbin/auditd"'), ['/usr/sbin/auditd'])
  t.strictSame(decodeProctitle('"(sshd)"'), ['(sshd)'])
  t.end()
})

t.test('a trailing NUL does not add an empty last argument', t => {
  // "ls\0-l\0"
  t.strictSame(decodeProctitle('6C73002D6C00'), ['ls', '-l'])
  t.end()
})

t.test('an empty argument between two others is kept', t => {
  // "a\0\0b": argv = ["a", "", "b"]
  t.strictSame(decodeProctitle('61000062'), ['a', '', 'b'])
  t.end()
})

t.test('a command line cut at the kernel limit (128 bytes) keeps the cut last argument', t => {
  const cut = 'python3\0' + 'a'.repeat(120)
  t.equal(cut.length, 128)
  t.strictSame(decodeProctitle(Buffer.from(cut, 'latin1').toString('hex').toUpperCase()), ['python3', 'a'.repeat(120)])
  t.end()
})

t.test('text that is neither quoted nor valid hex gives null', t => {
  for (const s of ['not hex', 'bash', 'xyz', '6E6', '6E63002D6CZZ', '', '"unterminated', 'unterminated"', '"']) {
    t.equal(decodeProctitle(s), null, JSON.stringify(s))
  }
  t.end()
})

t.test('UTF-8 arguments decode to their characters', t => {
  // "/tmp/café" with é = C3 A9
  t.strictSame(decodeProctitle('2F746D702F636166C3A9'), ['/tmp/café'])
  t.end()
})

t.test('UTF-8 cut in the middle of a character does not throw and yields U+FFFD', t => {
  // "/tmp/caf" + the first byte of é, as a 128-byte truncation can leave it.
  let argv: string[] | null = null
  t.doesNotThrow(() => { argv = decodeProctitle('2F746D702F636166C3') })
  t.strictSame(argv, ['/tmp/caf\uFFFD'])
  // Cut inside a three-byte character (€ = E2 82 AC) after a NUL-separated argument.
  let argv2: string[] | null = null
  t.doesNotThrow(() => { argv2 = decodeProctitle('6563686F00E282') })
  t.equal((argv2 as string[] | null)?.length, 2)
  t.equal((argv2 as string[] | null)?.[0], 'echo')
  t.match((argv2 as string[] | null)?.[1], /^\uFFFD+$/)
  // A lone invalid byte.
  t.doesNotThrow(() => decodeProctitle('FF'))
  t.end()
})

t.test('proctitle=(null), written when the kernel cannot read the command line, gives null', async t => {
  t.equal(decodeProctitle('(null)'), null)
})
