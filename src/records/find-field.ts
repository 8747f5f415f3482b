/**
 * Stage 2c: one field's value from a record body, without parsing the others.
 * The selection needs only arch, syscall, a0 and saddr of every candidate event, and the output
 * only a dozen fields of a kept event's SYSCALL record; a full parse (fields.ts) would split ~30
 * fields (~50 ENRICHED) to read them. Safe on kernel records: the kernel hex-encodes any untrusted
 * value that holds a space or quote, so "name=" after a separator cannot occur inside a value.
 */

function isSeparator (c: number): boolean {
  return c === 0x20 || c === 0x1d
}

/**
 * Raw value of the first field called name in body (quotes kept), or undefined. A match counts
 * only at the start or after a space or 0x1D, so "pid" does not match inside "ppid=". The value
 * ends at a space or 0x1D.
 */
export function findField (body: string, name: string): string | undefined {
  const needle = name + '='
  let at = body.indexOf(needle)
  while (at > 0 && !isSeparator(body.charCodeAt(at - 1))) at = body.indexOf(needle, at + 1)
  if (at < 0) return undefined
  const start = at + needle.length
  let end = start
  const n = body.length
  while (end < n && !isSeparator(body.charCodeAt(end))) end++
  return body.slice(start, end)
}
