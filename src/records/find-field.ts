/**
 * Stage 2c: one field's value from a record body, without parsing the others.
 * The selection needs only arch, syscall, a0 and saddr of every candidate event; a full parse is
 * kept for the events that are emitted. Safe on kernel records: the kernel hex-encodes any
 * untrusted value that holds a space or quote, so " name=" cannot occur inside a value.
 */

/** Raw value of the first field called name in body, or undefined. Stops at a space or 0x1D. */
export function findField (body: string, name: string): string | undefined {
  let at: number
  if (body.startsWith(name) && body.charCodeAt(name.length) === 0x3d) {
    at = 0
  } else {
    at = body.indexOf(' ' + name + '=')
    if (at < 0) return undefined
    at++
  }
  const start = at + name.length + 1
  let end = start
  const n = body.length
  while (end < n) {
    const c = body.charCodeAt(end)
    if (c === 0x20 || c === 0x1d) break
    end++
  }
  return body.slice(start, end)
}
