/**
 * Whether an input file named on the command line can be read. In: a path ("-", standard input,
 * always can). Out: null, or why not, as the message the command exits 2 with; checked before any
 * input is read, so a bad name costs no half-written output.
 */
import { accessSync, constants, statSync } from 'node:fs'

export function unreadable (file: string): string | null {
  if (file === '-') return null
  try {
    accessSync(file, constants.R_OK)
    // access() passes a directory, whose read would fail only after the files before it were done.
    return statSync(file).isDirectory() ? `cannot read ${file}: a directory` : null
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return `cannot read ${file}: ${e.code ?? e.message}`
  }
}
