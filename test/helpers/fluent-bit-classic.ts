/**
 * A parser for Fluent Bit's classic configuration format, as its documentation ("Format and
 * Schema", "Commands") describes it, strict where Fluent Bit is strict:
 *   - a section is `[NAME]` at the start of a line and may not be empty;
 *   - an entry is an indented line `Key value…`: the key is the first word, the value the rest of
 *     the line; every entry of a section has the same indentation; a key needs a value;
 *   - a comment is a whole line whose first non-blank character is `#`; there are no end-of-line
 *     comments (a `#` after a value is part of the value, so it is reported as an error here);
 *   - `@INCLUDE FILE` includes another file (relative to the including file; `*` globs allowed),
 *     `@SET KEY=VALUE` defines a variable used as `${KEY}`.
 * Keys are case-insensitive and returned in lower case; section names in upper case.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, isAbsolute, join } from 'node:path'

export interface ClassicEntry { key: string, value: string, line: number }
export interface ClassicSection { name: string, file: string, line: number, entries: ClassicEntry[] }

export class ClassicConfigError extends Error {
  override name = 'ClassicConfigError'
}

function expandIncludes (pattern: string, from: string): string[] {
  const path = isAbsolute(pattern) ? pattern : join(dirname(from), pattern)
  if (!basename(path).includes('*')) return [path]
  const re = new RegExp(`^${basename(path).split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return readdirSync(dirname(path)).filter(f => re.test(f)).sort().map(f => join(dirname(path), f))
}

/** Parses a classic configuration file and the files it includes, in order. */
export function parseClassic (file: string, vars: Map<string, string> = new Map(), seen: Set<string> = new Set()): ClassicSection[] {
  if (seen.has(file)) throw new ClassicConfigError(`${file}: included twice (an @INCLUDE loop?)`)
  seen.add(file)
  const sections: ClassicSection[] = []
  let current: ClassicSection | null = null
  let indent: string | null = null
  const fail = (n: number, message: string): never => { throw new ClassicConfigError(`${file}:${n}: ${message}`) }
  const close = (): void => {
    if (current !== null && current.entries.length === 0) fail(current.line, `section [${current.name}] is empty`)
  }
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((raw, i) => {
    const n = i + 1
    const text = raw.replace(/\r$/, '')
    if (text.trim() === '' || text.trim().startsWith('#')) return
    if (text.includes('\t')) fail(n, 'tab in indentation or value')
    const command = /^@(\w+)\s+(.*)$/.exec(text)
    if (command !== null) {
      const [, name, arg] = command as unknown as [string, string, string]
      if (name.toUpperCase() === 'INCLUDE') {
        close()
        current = null
        for (const included of expandIncludes(arg.trim(), file)) sections.push(...parseClassic(included, vars, seen))
      } else if (name.toUpperCase() === 'SET') {
        const eq = arg.indexOf('=')
        if (eq <= 0) fail(n, `@SET needs KEY=VALUE, got '${arg}'`)
        vars.set(arg.slice(0, eq).trim(), arg.slice(eq + 1).trim())
      } else {
        fail(n, `unknown command @${name}`)
      }
      return
    }
    const section = /^\[([A-Za-z_]+)\]\s*$/.exec(text)
    if (section !== null) {
      close()
      current = { name: (section[1] as string).toUpperCase(), file, line: n, entries: [] }
      indent = null
      sections.push(current)
      return
    }
    const entry = /^(\s+)(\S+)(?:\s+(.*))?$/.exec(text)
    if (entry === null) return fail(n, `not a section, an indented entry, a comment or a command: '${text}'`)
    if (current === null) return fail(n, 'an entry outside any section')
    const [, lead, key, value] = entry as unknown as [string, string, string, string | undefined]
    if (indent === null) indent = lead
    else if (lead !== indent) fail(n, `indentation differs from the section's first entry (${indent.length} spaces)`)
    if (value === undefined || value.trim() === '') fail(n, `key '${key}' has no value`)
    const v = (value as string).trim()
    if (/\s#/.test(v)) fail(n, `'#' after a value is not a comment in this format: the value would be '${v}'`)
    const expanded = v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => {
      const set = vars.get(name) ?? process.env[name]
      if (set === undefined) fail(n, `\${${name}} is not defined`)
      return set as string
    })
    ;(current as ClassicSection).entries.push({ key: key.toLowerCase(), value: expanded, line: n })
  })
  close()
  return sections
}
