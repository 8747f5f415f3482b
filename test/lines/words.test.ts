/**
 * The word helpers the byte-reading fast paths compare with: a constant word must be what a
 * DataView reads from the same text, and a view must see the buffer's own bytes, wherever the
 * buffer sits in its ArrayBuffer.
 */
import t from 'tap'
import { viewOf, word } from '../../src/lines/words.js'

t.test('a constant word is what DataView.getUint32(…, true) reads from the same four bytes', async t => {
  for (const text of ['type', 'SYSC', 'ALL ', ' msg', '=aud', 'arch', '\x00\x00\x00\x80', '\xff\xff\xff\xff']) {
    const bytes = Buffer.from(text, 'latin1')
    t.equal(word(text), new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true), JSON.stringify(text))
  }
  t.equal(word('\xff\xff\xff\xff'), 0xffffffff, 'unsigned, as getUint32 reads it')
})

t.test('a view of a buffer taken out of a larger one reads that buffer from its own start', async t => {
  const whole = Buffer.from('0123456789type=SYSCALL')
  const buf = whole.subarray(10)
  const view = viewOf(buf)
  t.equal(view.byteLength, buf.length)
  t.equal(view.getUint32(0, true), word('type'))
  t.equal(view.getUint8(buf.length - 1), 'L'.charCodeAt(0))
})
