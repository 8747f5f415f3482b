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
  return findValue(body, name + '=')
}

/** findField with the "name=" to search for given, so callers with a fixed name make no string. */
export function findValue (body: string, needle: string): string | undefined {
  let at = body.indexOf(needle)
  while (at > 0 && !isSeparator(body.charCodeAt(at - 1))) at = body.indexOf(needle, at + 1)
  if (at < 0) return undefined
  const start = at + needle.length
  return body.slice(start, valueEnd(body, start))
}

/** Where the value starting at start ends: the next space or 0x1D, or the end of the body. */
function valueEnd (body: string, start: number): number {
  const n = body.length
  // Most values are a few characters long: those are checked one by one.
  const near = Math.min(n, start + 24)
  for (let i = start; i < near; i++) {
    if (isSeparator(body.charCodeAt(i))) return i
  }
  if (near === n) return n
  // A long value (exe, proctitle, saddr): the native searches are faster than a loop.
  const space = body.indexOf(' ', near)
  const gs = body.indexOf('\x1d', near)
  if (space < 0) return gs < 0 ? n : gs
  return gs < 0 || space < gs ? space : gs
}
