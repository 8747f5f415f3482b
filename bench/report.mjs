// Helpers shared by the bench scripts: a description of the machine and of the
// moment (for the figures to be judged later), and the rewrite of one marked block of
// docs/performance.md. In: nothing but the OS; out: strings, and the doc file rewritten in place.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const DOC = `${ROOT}docs/performance.md`
/** Where make bench keeps its corpora and snapshots between runs. */
export const CACHE = `${ROOT}bench/.cache`

/** The corpora make bench has cached, smallest first (none before its first run). */
export function cachedCorpora () {
  const names = existsSync(CACHE) ? readdirSync(CACHE).filter(f => /^corpus-.*\.log$/.test(f)) : []
  return names.map(f => `${CACHE}/${f}`).sort((a, b) => statSync(a).size - statSync(b).size)
}

/**
 * The input a bench script reads: FILE when given (it must exist), else the smallest or the largest
 * corpus make bench has cached. Says why and exits 2 when there is none.
 */
export function benchInput (script, given, which) {
  const cached = cachedCorpora()
  const input = given ?? (which === 'smallest' ? cached[0] : cached.at(-1))
  if (input === undefined) {
    console.error(`${script}: no cached corpus: run \`make bench\` once, or pass --input FILE`)
    process.exit(2)
  }
  if (!existsSync(input)) {
    console.error(`${script}: ${input}: no such file`)
    process.exit(2)
  }
  return input
}

function git (...args) {
  return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim()
}

/** The full commit id of a revision (a sha, a tag, HEAD~2…); throws when git does not know it. */
export const commitOf = rev => git('rev-parse', '--verify', `${rev}^{commit}`)

/**
 * dist/bin.js of a commit, built once into bench/.cache/rev-<sha>/ (a git worktree, node_modules
 * shared with this tree) as `make build` builds it, and reused: for before/after comparisons.
 */
export function buildRevision (sha) {
  const dir = `${CACHE}/rev-${sha.slice(0, 12)}`
  if (!existsSync(`${dir}/dist/bin.js`)) {
    if (!existsSync(dir)) git('worktree', 'add', '--detach', '--force', dir, sha)
    if (!existsSync(`${dir}/node_modules`)) symlinkSync(`${ROOT}node_modules`, `${dir}/node_modules`)
    execFileSync(`${ROOT}node_modules/.bin/tsc`, ['-p', `${dir}/tsconfig.build.json`], { stdio: 'inherit' })
    // Revisions since the command is bundled: built as `make build` builds them, so start-up compares.
    if (existsSync(`${dir}/scripts/bundle-bin.mjs`)) execFileSync(process.execPath, [`${dir}/scripts/bundle-bin.mjs`], { stdio: 'inherit' })
  }
  return `${dir}/dist/bin.js`
}

/**
 * PATH with the directory of the Node running the bench first: netfilter is run as a command, and
 * its shebang's "env node" must find that same Node.
 */
export const PATH_WITH_THIS_NODE = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`

/** CPU model, cores, RAM and load average, taken when called (call it before the first run). */
export function machine () {
  const c = cpus()
  const load = loadavg().map(x => x.toFixed(2)).join(' / ')
  return {
    cpu: c[0]?.model?.trim() ?? '?',
    cores: c.length,
    ramGiB: (totalmem() / 2 ** 30).toFixed(1),
    load,
    text: `${c.length} × ${c[0]?.model?.trim() ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average at start ${load} (1/5/15 min)`
  }
}

/** The date and time in UTC, to the minute: figures on a shared machine belong to a moment. */
export const now = () => new Date().toISOString().replace(/:\d\d\.\d+Z$/, 'Z').replace('T', ' ')

/**
 * Replaces what stands between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in docs/performance.md.
 * Missing markers are an error rather than an append, so figures never land in the wrong place.
 */
export function writeDocBlock (name, body) {
  const begin = `<!-- ${name}:begin -->`
  const end = `<!-- ${name}:end -->`
  const doc = readFileSync(DOC, 'utf8')
  const i = doc.indexOf(begin)
  const j = doc.indexOf(end)
  if (i < 0 || j < i) throw new Error(`${DOC}: markers ${begin} … ${end} not found`)
  writeFileSync(DOC, `${doc.slice(0, i + begin.length)}\n${body.trimEnd()}\n${doc.slice(j)}`)
}

/** Nearest-rank percentile of an ascending array (p in 0..1). */
export function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

/** Median (the upper one for an even count, so it is always a measured value). */
export const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
