/**
 * Reading the log's bytes four at a time. In: text (constant words) or a buffer. Out: 32-bit words
 * and DataViews. The fast paths of the header scan and of the SYSCALL id read whole words through
 * the DataView the line splitter makes once a chunk and compare them with constant words, where a
 * byte loop costs ≈ 20 instructions a byte in V8.
 */

/** Four bytes of text as the little-endian 32-bit word DataView.getUint32(…, true) reads them. */
export function word (text: string): number {
  return (text.charCodeAt(0) | text.charCodeAt(1) << 8 | text.charCodeAt(2) << 16 | text.charCodeAt(3) << 24) >>> 0
}

/** A DataView of all of buf, for callers that were not handed one. */
export function viewOf (buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
}
