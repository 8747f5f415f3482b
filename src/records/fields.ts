/**
 * Stage 2b: record body → fields, for records of kept events only (lazy, off the hot path).
 * In: the text after "): ". Out: a Map from field name to its raw value text, quotes kept, so the
 * decoders can tell "quoted" from hex-encoded from bare. ENRICHED fields after the 0x1D separator
 * (or after the space syslog put in its place) arrive under their upper-case names; a user-space
 * msg='…' is opened and its inner fields added. The first occurrence of a name wins. A Map, not an
 * object, so hostile names such as __proto__ are plain keys. Values in braces end at the first "}".
 */

const SPACE = 0x20
const GS = 0x1d
const EQ = 0x3d
const DQUOTE = 0x22
const SQUOTE = 0x27
const LBRACE = 0x7b

function isSep (c: number): boolean {
  return c === SPACE || c === GS || c === 0x09
}

export function parseFields (body: string, into: Map<string, string> = new Map()): Map<string, string> {
  const n = body.length
  let i = 0
  while (i < n) {
    while (i < n && isSep(body.charCodeAt(i))) i++
    if (i >= n) break
    const keyStart = i
    while (i < n && body.charCodeAt(i) !== EQ && !isSep(body.charCodeAt(i))) i++
    if (i >= n || body.charCodeAt(i) !== EQ) continue // a word without "=": not a field
    const key = body.slice(keyStart, i)
    i++
    const valueStart = i
    const c = body.charCodeAt(i)
    let value: string
    if (c === DQUOTE || c === SQUOTE) {
      const close = body.indexOf(c === DQUOTE ? '"' : "'", i + 1)
      const end = close < 0 ? n : close + 1
      value = body.slice(valueStart, end)
      i = end
      if (c === SQUOTE && key === 'msg') {
        parseFields(value.slice(1, close < 0 ? undefined : -1), into)
      }
    } else if (c === LBRACE) {
      const close = body.indexOf('}', i + 1)
      const end = close < 0 ? n : close + 1
      value = body.slice(valueStart, end)
      i = end
    } else {
      while (i < n && !isSep(body.charCodeAt(i))) i++
      value = body.slice(valueStart, i)
    }
    if (!into.has(key)) into.set(key, value)
  }
  return into
}
