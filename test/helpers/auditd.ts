/**
 * End-to-end tests against the kernel's audit subsystem and a real auditd, shared by every test
 * that needs them (test/e2e/auditd.test.ts, the correlate tests).
 *
 *   const why = auditUnavailable()           // null, or auditctl's error: t.skip LOUDLY with it
 *   await withAuditd({ rules, plugin: { config: { stats: true } } }, async ctx => {
 *     …make traffic…
 *     const [ev] = await ctx.waitForEvents('curl connect', e => e.process.pid === pid)
 *   })
 *
 * withAuditd takes an exclusive lock (only one auditd can own the kernel's audit pid, and tap runs
 * test files in parallel), starts its OWN auditd (`auditd -n -c DIR`: its own auditd.conf, log file
 * and plugin_dir under a temporary DIR, log_format ENRICHED) with netfilter as its plugin, loads
 * the rules with auditctl, runs the body, and then restores the kernel's state whatever happened:
 * the rules it added deleted, its auditd stopped with SIGTERM (and waited for), the enabled flag and
 * backlog settings put back. withAuditLock alone is for tests that only load rules.
 *
 * A test process killed before its cleanup (tap's timeout, SIGKILL) leaves its state file in the
 * lock; the next user sees that the owner is gone, stops the leftover auditd, deletes the leftover
 * rules and restores the saved settings before it starts.
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync,
  rmSync, statSync, writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { BIN, BIN_NODE_OPTIONS } from './filter.js'
import type { NetworkEvent } from '../../src/events/network-event.js'

export const AUDITCTL = '/usr/sbin/auditctl'
export const AUDITD = '/usr/sbin/auditd'
export const LOCK_DIR = '/tmp/netfilter-auditd.lock'

/** `auditctl -s`, by name: enabled, failure, pid, rate_limit, backlog_limit, lost, backlog, backlog_wait_time, … */
export type AuditStatus = Record<string, number>

export class AuditctlError extends Error {
  override name = 'AuditctlError'
  constructor (readonly args: readonly string[], readonly status: number | null, readonly stderr: string) {
    super(`auditctl ${args.join(' ')} failed (status ${String(status)}): ${stderr.trim()}`)
  }
}

/** Runs auditctl; throws AuditctlError with its message when it fails. Returns stdout. */
export function auditctl (...args: string[]): string {
  try {
    return execFileSync(AUDITCTL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const e = err as { status?: number | null, stderr?: string, stdout?: string, message: string }
    if (e.status === undefined) throw err // auditctl missing: not "the kernel has no audit", a broken set-up
    throw new AuditctlError(args, e.status ?? null, `${e.stderr ?? ''}${e.stdout ?? ''}` || e.message)
  }
}

export function auditStatus (): AuditStatus {
  const status: AuditStatus = {}
  for (const line of auditctl('-s').split('\n')) {
    const m = /^(\w+) (\d+)/.exec(line)
    if (m !== null) status[m[1] as string] = Number(m[2])
  }
  return status
}

/**
 * Null when the kernel's audit subsystem answers (`auditctl -s` works), else why not: the one
 * reason an audit end-to-end test may skip. A missing auditctl is not such a reason (it throws:
 * `make test` installs auditd).
 */
export function auditUnavailable (): string | null {
  if (!existsSync(AUDITCTL)) throw new Error(`${AUDITCTL} is missing: install auditd (scripts/install-test-deps.sh does)`)
  try {
    auditStatus()
    return null
  } catch (err) {
    if (err instanceof AuditctlError) return `the kernel's audit subsystem is not available here: ${err.message}`
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// The lock and its state file

interface LockState {
  owner: { pid: number, start: string }
  /** Settings as they were before, to put back. */
  saved: AuditStatus | null
  /** Rules this owner added (auditctl arguments starting with -a), to delete. */
  rules: string[][]
  auditd: { pid: number, start: string, dir: string } | null
}

/**
 * A live process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for the
 * owner; null when there is no such process or it has exited and awaits its parent (a zombie).
 */
function startTime (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] === 'Z' || fields[0] === 'X') return null
    return fields[19] ?? null
  } catch {
    return null
  }
}

const alive = (p: { pid: number, start: string }): boolean => startTime(p.pid) === p.start

/** Whether a process runs (an exited process awaiting its parent, a zombie, does not). */
export function running (pid: number): boolean {
  return startTime(pid) !== null
}

function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

let held: LockState | null = null

function saveState (): void {
  if (held === null) return
  writeFileSync(`${LOCK_DIR}/state.json.tmp`, JSON.stringify(held))
  renameSync(`${LOCK_DIR}/state.json.tmp`, `${LOCK_DIR}/state.json`)
}

function readState (): LockState | null {
  try {
    return JSON.parse(readFileSync(`${LOCK_DIR}/state.json`, 'utf8')) as LockState
  } catch {
    return null
  }
}

/** Deletes a rule given as the arguments that added it; false when the kernel had no such rule. */
function deleteRule (args: readonly string[]): boolean {
  try {
    auditctl(...args.map((a, i) => i === 0 && (a === '-a' || a === '-A') ? '-d' : a))
    return true
  } catch (err) {
    if (err instanceof AuditctlError && /No such file or directory|No rule matches/i.test(err.stderr)) return false
    throw err
  }
}

/** Puts back the settings a test changed: enabled flag, backlog limit, backlog wait time. */
function restoreSettings (saved: AuditStatus): void {
  const now = auditStatus()
  if (saved['backlog_limit'] !== undefined && now['backlog_limit'] !== saved['backlog_limit']) auditctl('-b', String(saved['backlog_limit']))
  if (saved['backlog_wait_time'] !== undefined && now['backlog_wait_time'] !== saved['backlog_wait_time']) {
    auditctl('--backlog_wait_time', String(saved['backlog_wait_time']))
  }
  if (saved['enabled'] !== undefined && saved['enabled'] !== 2 && now['enabled'] !== saved['enabled']) auditctl('-e', String(saved['enabled']))
}

/** Stops an auditd by pid with SIGTERM, then SIGKILL after timeoutMs; resolves once it is gone. */
async function stopProcess (p: { pid: number, start: string }, timeoutMs = 10000): Promise<void> {
  if (!alive(p)) return
  process.kill(p.pid, 'SIGTERM')
  for (let waited = 0; alive(p); waited += 50) {
    if (waited > timeoutMs) {
      process.kill(p.pid, 'SIGKILL')
      timeoutMs = Infinity
    }
    await sleep(50)
  }
}

/** Undoes what a dead owner left: its auditd, its rules, its settings. */
async function recover (state: LockState, log: (m: string) => void): Promise<void> {
  log(`auditd lock: owner ${state.owner.pid} is gone; cleaning up after it`)
  for (const r of state.rules) if (deleteRule(r)) log(`  deleted leftover rule: ${r.join(' ')}`)
  if (state.auditd !== null && alive(state.auditd)) {
    log(`  stopping leftover auditd ${state.auditd.pid}`)
    await stopProcess(state.auditd)
  }
  if (state.saved !== null) restoreSettings(state.saved)
}

export interface LockOptions {
  /** How long to wait for another test's session to end (default 240 s). */
  lockTimeoutMs?: number
  log?: (message: string) => void
}

/**
 * Runs fn holding the exclusive audit lock (a directory, /tmp/netfilter-auditd.lock). A lock whose
 * owner process is gone is taken over after undoing what that owner left behind. While held, the
 * state (saved settings, added rules, auditd) is kept in the lock so it can be undone even if this
 * process is killed; on a normal exit and on SIGTERM/SIGINT it is undone here.
 */
export async function withAuditLock<T> (fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  if (held !== null) throw new Error('withAuditLock: already held by this process (nested use)')
  const log = opts.log ?? (() => {})
  const me = { pid: process.pid, start: startTime(process.pid) ?? '' }
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 240000)
  for (let waitedNote = false; ;) {
    try {
      mkdirSync(LOCK_DIR, { mode: 0o700 })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const state = readState()
    if (state === null) {
      // Created but not yet written: the owner is between mkdir and its first write. Stale only
      // if it stays that way.
      const ageMs = Date.now() - (mtimeMs(LOCK_DIR) ?? Date.now())
      if (ageMs > 10000) rmSync(LOCK_DIR, { recursive: true, force: true })
    } else if (!alive(state.owner)) {
      await recover(state, log)
      rmSync(LOCK_DIR, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new Error(`could not take ${LOCK_DIR} within ${opts.lockTimeoutMs ?? 240000} ms: held by pid ${String(state?.owner.pid)}`)
    }
    if (!waitedNote) log(`auditd lock: waiting for pid ${String(state?.owner.pid)}`)
    waitedNote = true
    await sleep(200)
  }
  held = { owner: me, saved: null, rules: [], auditd: null }
  saveState()
  const onSignal = (sig: NodeJS.Signals): void => {
    emergencyCleanup()
    process.kill(process.pid, sig)
  }
  process.on('exit', emergencyCleanup)
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  try {
    return await fn()
  } finally {
    // Whatever fn left: its rules, its settings. Should that fail, the state stays in the lock
    // for the next user to undo (emergencyCleanup, then recover).
    const state = held
    removeRules()
    if (state.saved !== null) restoreSettings(state.saved)
    process.off('exit', emergencyCleanup)
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    held = null
    rmSync(LOCK_DIR, { recursive: true, force: true })
  }
}

function mtimeMs (path: string): number | null {
  try {
    return statSync(path).mtimeMs
  } catch {
    return null
  }
}

/** Synchronous last-resort cleanup (process exit or a signal in the middle of a test). */
function emergencyCleanup (): void {
  const state = held
  if (state === null) return
  try {
    for (const r of state.rules) deleteRule(r)
    state.rules = []
    if (state.auditd !== null && alive(state.auditd)) {
      process.kill(state.auditd.pid, 'SIGTERM')
      for (let i = 0; i < 200 && alive(state.auditd); i++) execFileSync('sleep', ['0.05'])
    }
    if (state.saved !== null) restoreSettings(state.saved)
    held = null
    rmSync(LOCK_DIR, { recursive: true, force: true })
  } catch {
    // The state file stays in the lock: the next user recovers from it.
  }
}

function requireLock (what: string): LockState {
  if (held === null) throw new Error(`${what}: call inside withAuditLock or withAuditd`)
  return held
}

/** Saves the settings to restore at the end (once per lock). */
function rememberSettings (): void {
  const state = requireLock('rememberSettings')
  if (state.saved === null) {
    state.saved = auditStatus()
    saveState()
  }
}

// ---------------------------------------------------------------------------------------------
// Rules

/**
 * The rules of an audit rules file (auditctl -R syntax) as auditctl argument lists. Only rule lines
 * (-a/-A) are accepted: a rules file for augenrules must not carry -D, -b or -e, which would act
 * on the whole system.
 */
export function parseRules (text: string): string[][] {
  const rules: string[][] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (/["']/.test(line)) throw new Error(`parseRules: quoted values are not supported: ${line}`)
    const args = line.split(/\s+/)
    if (args[0] !== '-a' && args[0] !== '-A') throw new Error(`parseRules: not a rule (-a/-A): ${line}`)
    rules.push(args)
  }
  return rules
}

export interface LoadedRules {
  /** Rules added by this call, as auditctl arguments. */
  added: string[][]
  /** Rules the kernel already had (left alone, and not deleted at the end). */
  existing: string[][]
}

/**
 * Loads rules into the kernel one by one (as auditctl -R does), remembering each one added so it
 * is deleted when the lock is released (or by removeRules). Needs the lock.
 */
export function loadRules (text: string, log: (m: string) => void = () => {}): LoadedRules {
  const state = requireLock('loadRules')
  rememberSettings()
  const out: LoadedRules = { added: [], existing: [] }
  for (const args of parseRules(text)) {
    try {
      state.rules.push(args)
      saveState() // before adding, so a kill between the two still finds it
      auditctl(...args)
      out.added.push(args)
    } catch (err) {
      state.rules.pop()
      saveState()
      if (err instanceof AuditctlError && /Rule exists/i.test(err.stderr)) {
        log(`rule already in the kernel, left alone: ${args.join(' ')}`)
        out.existing.push(args)
        continue
      }
      throw err
    }
  }
  return out
}

/**
 * Loads a rules file with `auditctl -R FILE`, as augenrules does. Every rule of the file is
 * remembered for deletion first, so use keys nothing else uses (a rule the kernel already had
 * would be deleted at the end too). Needs the lock. Returns the rules, as auditctl arguments.
 */
export function loadRulesFile (path: string): string[][] {
  const state = requireLock('loadRulesFile')
  rememberSettings()
  const rules = parseRules(readFileSync(path, 'utf8'))
  state.rules.push(...rules)
  saveState()
  auditctl('-R', path)
  return rules
}

/** Deletes the rules this process added (all of them, or those given). */
export function removeRules (rules?: readonly string[][]): void {
  const state = requireLock('removeRules')
  const which = rules ?? [...state.rules]
  for (const r of which) {
    deleteRule(r)
    state.rules = state.rules.filter(x => x !== r && x.join(' ') !== r.join(' '))
    saveState()
  }
}

/** Rule lines currently in the kernel (auditctl -l), [] for none. */
export function listRules (): string[] {
  return auditctl('-l').split('\n').filter(l => l.startsWith('-'))
}

// ---------------------------------------------------------------------------------------------
// auditd with the netfilter plugin

export interface PluginOptions {
  /**
   * netfilter's config file content (options by long name). `output` defaults to ctx.output, and
   * is where ctx.events() reads. Ignored when `conf` is given.
   */
  config?: Record<string, unknown>
  /**
   * The plugin conf to put in plugin_dir instead of the one written here (e.g. an installed
   * netfilter.conf); `output` must then name the file its netfilter writes.
   */
  conf?: string
  output?: string
  /**
   * Where the plugin's stderr goes. auditd gives its plugins /dev/null, so the wrapper written
   * here redirects it (default DIR/plugin.stderr); with `conf`, name the file its wrapper uses.
   */
  stderr?: string
}

export interface AuditdOptions extends LockOptions {
  /** Audit rules (auditctl -R syntax) loaded once auditd runs, deleted before it stops. */
  rules?: string
  /** The netfilter plugin (default: this checkout's dist/bin.js with config {}), or false for none. */
  plugin?: PluginOptions | false
  logFormat?: 'ENRICHED' | 'RAW'
  /** Kernel backlog limit while the test runs (default 8192; restored after). */
  backlogLimit?: number
  /** Extra auditd.conf lines (key = value), replacing the defaults of the same keys. */
  auditdConf?: Record<string, string | number>
}

export interface AuditdContext {
  /**
   * The temporary directory holding auditd.conf, plugins/, the audit log and the output; removed
   * when fn succeeds (read what you need inside fn), kept when it fails.
   */
  dir: string
  auditdPid: number
  /** auditd's log file (its own, in dir). */
  auditLog: string
  /** The file the netfilter plugin writes. */
  output: string
  /** The plugin's stderr (auditd itself gives plugins /dev/null; see PluginOptions.stderr). */
  stderrFile: string
  rules: LoadedRules
  /** The running plugin's pid (a child of auditd), or null. */
  pluginPid: () => number | null
  /** The complete JSON lines of the output file, parsed (a line being written is left out). */
  events: () => NetworkEvent[]
  /** Waits (bounded polling) until at least `count` events match; returns the matching ones. */
  waitForEvents: (what: string, match: (e: NetworkEvent) => boolean, count?: number, timeoutMs?: number) => Promise<NetworkEvent[]>
  /** Waits (bounded polling) until check returns something other than undefined/false/null. */
  waitFor: <T>(what: string, check: () => T | undefined | false | null, timeoutMs?: number) => Promise<T>
  stderr: () => string
  auditLogText: () => string
  signal: (sig: NodeJS.Signals) => void
}

function readText (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Parses the complete lines of a JSON-lines file; a partly written last line is left out. */
export function readEvents (path: string): NetworkEvent[] {
  const text = readText(path)
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as NetworkEvent)
}

/** Children of a process, from /proc. */
function childrenOf (pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readText(`/proc/${entry}/stat`)
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]
    if (ppid === String(pid)) out.push(Number(entry))
  }
  return out
}

export async function pollUntil<T> (what: string, check: () => T | undefined | false | null, timeoutMs: number, diagnose: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = check()
    if (v !== undefined && v !== false && v !== null) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diagnose()}`)
    await sleep(50)
  }
}

function auditdConf (dir: string, opts: AuditdOptions): string {
  const conf: Record<string, string | number> = {
    local_events: 'yes',
    write_logs: 'yes',
    log_file: `${dir}/log/audit.log`,
    log_group: 'root',
    log_format: opts.logFormat ?? 'ENRICHED',
    flush: 'INCREMENTAL_ASYNC',
    freq: 50,
    max_log_file: 64,
    num_logs: 2,
    max_log_file_action: 'ROTATE',
    name_format: 'NONE',
    // A nearly full /tmp must not suspend the test's auditd.
    space_left: 2,
    space_left_action: 'IGNORE',
    admin_space_left: 1,
    admin_space_left_action: 'IGNORE',
    disk_full_action: 'IGNORE',
    disk_error_action: 'IGNORE',
    use_libwrap: 'no',
    tcp_listen_queue: 5,
    tcp_max_per_addr: 1,
    tcp_client_max_idle: 0,
    transport: 'TCP',
    distribute_network: 'no',
    q_depth: 2000,
    overflow_action: 'SYSLOG',
    max_restarts: 10,
    plugin_dir: `${dir}/plugins`,
    end_of_event_timeout: 2,
    ...opts.auditdConf
  }
  return Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n'
}

/**
 * The plugin wrapper for this checkout: auditd execs plugins with an empty environment and at most
 * two arguments (3.0.x), so it names node and every file by absolute path, with the Node option
 * scripts/install.sh's wrapper gives. Root-owned, mode 0750, as auditd requires of a plugin's path.
 */
export function writePluginWrapper (path: string, config: string, stderr: string): void {
  writeFileSync(path, `#!/bin/sh\nexec ${[realpathSync(process.execPath), ...BIN_NODE_OPTIONS].join(' ')} ${BIN} --config ${config} 2>>${stderr}\n`)
  chmodSync(path, 0o750)
}

export function pluginConf (path: string): string {
  return ['active = yes', 'direction = out', `path = ${path}`, 'type = always', 'format = string', ''].join('\n')
}

/**
 * Starts a private auditd with the netfilter plugin, loads the rules, runs fn, and restores the
 * kernel's audit state afterwards (see the file comment). Holds the audit lock throughout.
 */
export async function withAuditd<T> (opts: AuditdOptions, fn: (ctx: AuditdContext) => Promise<T>): Promise<T> {
  const log = opts.log ?? (() => {})
  return await withAuditLock(async () => {
    const state = requireLock('withAuditd')
    rememberSettings()
    const status = auditStatus()
    if (status['enabled'] === 2) throw new Error('the audit configuration is locked (enabled 2, auditctl -e 2): rules cannot be changed until reboot')
    const holder = status['pid'] ?? 0
    if (holder !== 0) {
      const exe = readText(`/proc/${holder}/cmdline`).split('\0').join(' ').trim()
      throw new Error(`another audit daemon owns the kernel's audit pid (pid ${holder}${exe === '' ? '' : `: ${exe}`}); ` +
        'stop it (systemctl stop auditd) to run the auditd end-to-end tests')
    }

    const dir = mkdtempSync(`${tmpdir()}/netfilter-auditd-`)
    mkdirSync(`${dir}/log`)
    mkdirSync(`${dir}/plugins`)
    let output = `${dir}/events.json`
    let stderrFile = `${dir}/plugin.stderr`
    if (opts.plugin !== false) {
      const plugin = opts.plugin ?? {}
      if (plugin.conf !== undefined) {
        if (plugin.output === undefined) throw new Error('withAuditd: plugin.conf needs plugin.output')
        output = plugin.output
        stderrFile = plugin.stderr ?? stderrFile
        writeFileSync(`${dir}/plugins/netfilter.conf`, plugin.conf)
      } else {
        output = plugin.output ?? output
        stderrFile = plugin.stderr ?? stderrFile
        writeFileSync(`${dir}/plugin.json`, JSON.stringify({ output, ...plugin.config }, null, 2))
        writePluginWrapper(`${dir}/netfilter-plugin`, `${dir}/plugin.json`, stderrFile)
        writeFileSync(`${dir}/plugins/netfilter.conf`, pluginConf(`${dir}/netfilter-plugin`))
      }
    }
    writeFileSync(`${dir}/auditd.conf`, auditdConf(dir, opts), { mode: 0o640 })
    if (opts.backlogLimit !== 0) auditctl('-b', String(opts.backlogLimit ?? 8192))

    // auditd points its stdout and stderr at /dev/null whatever it is given; its messages go to
    // syslog and its log.
    const child = spawn(AUDITD, ['-n', '-c', dir], { stdio: 'ignore' })
    let exited: string | null = null
    child.on('exit', (code, sig) => { exited = `auditd exited (${String(code ?? sig)})` })
    const childPid = child.pid
    if (childPid === undefined) throw new Error('auditd did not start')
    const diagnose = (): string => `\n${exited ?? 'auditd running'}; plugin stderr: ${readText(stderrFile).slice(-2000)}`
    await pollUntil('auditd to start', () => exited === null ? startTime(childPid) : exited, 5000, diagnose)
    state.auditd = { pid: childPid, start: startTime(childPid) ?? '', dir }
    saveState()

    let result: T
    let succeeded = false
    try {
      await pollUntil('auditd to own the kernel\'s audit pid', () => {
        if (exited !== null) throw new Error(`auditd -n -c ${dir} stopped at start${diagnose()}`)
        return auditStatus()['pid'] === childPid
      }, 10000, diagnose)
      const pluginPid = (): number | null => childrenOf(childPid)[0] ?? null
      if (opts.plugin !== false) await pollUntil('auditd to start the plugin', pluginPid, 10000, diagnose)
      const loaded = opts.rules === undefined ? { added: [], existing: [] } : loadRules(opts.rules, log)
      const ctx: AuditdContext = {
        dir,
        auditdPid: childPid,
        auditLog: `${dir}/log/audit.log`,
        output,
        stderrFile,
        rules: loaded,
        pluginPid,
        events: () => readEvents(output),
        waitFor: async (what, check, timeoutMs = 20000) => await pollUntil(what, check, timeoutMs, diagnose),
        waitForEvents: async (what, match, count = 1, timeoutMs = 20000) => await pollUntil(what, () => {
          const found = readEvents(output).filter(match)
          return found.length >= count ? found : null
        }, timeoutMs, () => `\n${readEvents(output).length} events in ${output}, plugin pid ${String(pluginPid())}${diagnose()}`),
        stderr: () => readText(stderrFile),
        auditLogText: () => readText(`${dir}/log/audit.log`),
        signal: sig => { process.kill(childPid, sig) }
      }
      result = await fn(ctx)
      succeeded = true
    } finally {
      // Rules first (no more events), then the daemon (it signals the plugin), then the settings.
      const errors: unknown[] = []
      try { removeRules() } catch (err) { errors.push(err) }
      try {
        // auditd signals its plugins and exits without waiting for them: wait here, so that when
        // withAuditd returns the plugin has written everything and is gone.
        const plugins = childrenOf(childPid).map(pid => ({ pid, start: startTime(pid) ?? '' }))
        if (state.auditd !== null) await stopProcess(state.auditd)
        state.auditd = null
        saveState()
        await pollUntil('the plugin to exit after auditd', () => plugins.every(p => !alive(p)), 15000, diagnose)
      } catch (err) { errors.push(err) }
      try {
        if (state.saved !== null) restoreSettings(state.saved)
      } catch (err) { errors.push(err) }
      if (errors.length > 0) throw errors[0] as Error
      // Kept when something failed, for a look at auditd's log and the plugin's stderr.
      if (succeeded) rmSync(dir, { recursive: true, force: true })
      else log(`auditd test directory kept: ${dir}`)
    }
    return result
  }, opts)
}
