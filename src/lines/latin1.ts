/**
 * buf[start, end) as a latin1 string: one character per byte, a plain copy. Buffer's own
 * latin1Slice is called directly when Node has it (every version so far): toString('latin1', …)
 * spends more time checking its arguments and looking up the encoding than copying a record body.
 */
interface Latin1Slicer { latin1Slice: (start: number, end: number) => string }

const direct = typeof (Buffer.prototype as unknown as Partial<Latin1Slicer>).latin1Slice === 'function'

/** start and end must lie within buf (start <= end <= buf.length). */
export function latin1 (buf: Buffer, start: number, end: number): string {
  return direct ? (buf as unknown as Latin1Slicer).latin1Slice(start, end) : buf.toString('latin1', start, end)
}
