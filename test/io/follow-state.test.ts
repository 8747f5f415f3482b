/**
 * The --state file (src/io/follow-state.ts). Documented behaviour (module header, StateFile): JSON
 * {path, dev, ino, offset, saved_at} replaced atomically; read back at start; a file that is absent,
 * not JSON, not a position or kept for another path is not used (the reason is given); a path that
 * cannot be used at all is a StateError; the final save at a clean stop is the last one.
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { StateError, StateFile, checkStatePath } from '../../src/io/follow-state.js'

const base = mkdtempSync(`${tmpdir()}/netfilter-state-`)
const dir = (): string => mkdtempSync(`${base}/t-`)
const FOLLOWED = '/var/log/audit/audit.log'

function stateFile (path: string, warnings: string[] = []): StateFile {
  return new StateFile(path, FOLLOWED, m => warnings.push(m))
}

t.test('a saved position is read back; the file holds path, dev, ino, offset and saved_at', async t => {
  const path = `${dir()}/state.json`
  await stateFile(path).save({ dev: 2049, ino: 131, offset: 28121 })
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  t.same(Object.keys(json).sort(), ['dev', 'ino', 'offset', 'path', 'saved_at'])
  t.equal(json['path'], FOLLOWED)
  t.ok(!Number.isNaN(Date.parse(String(json['saved_at']))), 'saved_at is a time')
  t.same(await stateFile(path).load(), { position: { dev: 2049, ino: 131, offset: 28121 }, problem: null })
})

t.test('saves replace the file whole and leave no temporary file behind', async t => {
  const d = dir()
  const state = stateFile(`${d}/state.json`)
  await Promise.all([1, 2, 3, 4, 5].map(async offset => await state.save({ dev: 1, ino: 2, offset })))
  t.same(readdirSync(d), ['state.json'])
  t.same((await stateFile(`${d}/state.json`).load()).position, { dev: 1, ino: 2, offset: 5 }, 'the last save asked for wins')
})

t.test('the path is kept absolute and compared absolute', async t => {
  const path = `${dir()}/state.json`
  const relative = new StateFile(path, 'audit.log', () => {})
  await relative.save({ dev: 1, ino: 2, offset: 3 })
  t.equal((JSON.parse(readFileSync(path, 'utf8')) as { path: string }).path, resolve('audit.log'))
  t.same((await new StateFile(path, resolve('audit.log'), () => {}).load()).position, { dev: 1, ino: 2, offset: 3 })
})

t.test('a state file that cannot be used says why, and gives no position', async t => {
  const d = dir()
  const cases: ReadonlyArray<readonly [string | null, RegExp]> = [
    [null, /no saved position/],
    ['{"path": "/var/log/audit/audit.log", "dev": 1,', /not valid JSON/],
    ['[]', /not a saved position/],
    ['{"path": "/var/log/audit/audit.log", "dev": 1, "ino": 2, "offset": -1}', /not a saved position/],
    ['{"path": "/var/log/audit/audit.log", "dev": 1, "ino": "2", "offset": 0}', /not a saved position/],
    ['{"path": "/var/log/other.log", "dev": 1, "ino": 2, "offset": 0, "saved_at": "x"}', /it is for \/var\/log\/other.log/]
  ]
  for (const [i, [content, reason]] of cases.entries()) {
    const path = `${d}/state-${i}.json`
    if (content !== null) writeFileSync(path, content)
    const r = await stateFile(path).load()
    t.equal(r.position, null, String(content))
    t.match(r.problem, reason, String(content))
  }
})

t.test('a state file that cannot be read at all is a StateError', async t => {
  const path = `${dir()}/state.json`
  mkdirSync(path)
  await t.rejects(stateFile(path).load(), StateError)
})

t.test('checkStatePath: a new file in a writable directory, or an existing file, is fine', t => {
  const d = dir()
  t.doesNotThrow(() => checkStatePath(`${d}/state.json`))
  writeFileSync(`${d}/old.json`, '{}')
  t.doesNotThrow(() => checkStatePath(`${d}/old.json`))
  t.end()
})

t.test('checkStatePath: a directory, or a directory that does not exist, is a StateError naming the path', t => {
  const d = dir()
  for (const [path, reason] of [[d, /not a regular file/], [`${d}/no-such-dir/state.json`, /ENOENT/]] as const) {
    let error: unknown
    try {
      checkStatePath(path)
    } catch (e) {
      error = e
    }
    t.ok(error instanceof StateError, path)
    t.match((error as Error).message, path)
    t.match((error as Error).message, reason)
  }
  t.end()
})

t.test('a failing save is reported once, not thrown', async t => {
  const warnings: string[] = []
  const state = stateFile(`${dir()}/no-such-dir/state.json`, warnings)
  await state.save({ dev: 1, ino: 2, offset: 3 })
  await state.save({ dev: 1, ino: 2, offset: 4 })
  t.equal(warnings.length, 1)
  t.match(warnings[0], /cannot save the position.*ENOENT/)
})

t.test('after close, a late save does not replace the final position', async t => {
  const path = `${dir()}/state.json`
  const state = stateFile(path)
  const final = state.close({ dev: 1, ino: 2, offset: 100 })
  const late = state.save({ dev: 1, ino: 2, offset: 50 })
  await Promise.all([final, late])
  t.same((await stateFile(path).load()).position, { dev: 1, ino: 2, offset: 100 })
})
