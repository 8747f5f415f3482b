#!/usr/bin/env -S node --v8-pool-size=1
/**
 * The `netfilter` command: flags → run the pipeline → exit status. Subcommands (netfilter rules,
 * netfilter correlate) live in their own modules, loaded only when named.
 * --v8-pool-size=1 (above; Node takes it only on its command line): Node gives V8 four background
 * threads, whatever the host's cores, for its optimising compiler and collector. netfilter's heap is
 * small, and on a 2-core host those threads took CPU from the main thread while it warmed up; one
 * thread made a 217 MB run about 5 % faster (docs/performance.md).
 * Only the option parser is loaded before --help/--version are answered, so those return as fast
 * as Node starts (rsyslog's omprog restarts the program). Exit 0 on success or when the reader of
 * stdout went away, 1 on a read or write error, 2 on a bad option or unreadable input file.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { EventEmitter } from 'node:events'
import { UsageError, parseCommandLine, type Settings } from './cli/options.js'
import { HELP } from './cli/help.js'
import { packageFile } from './package-files.js'
import { unreadable } from './cli/unreadable.js'

function fail (status: number, message: string): never {
  process.stderr.write(`netfilter: ${message}\n`)
  process.exit(status)
}

/**
 * --follow: the file may not exist yet (it is waited for), but one that exists must be readable;
 * the --state file must be readable and replaceable, so a bad path fails now, not at the first save.
 */
async function checkFollow (settings: Settings): Promise<void> {
  const file = settings.files[0] ?? '-'
  try {
    accessSync(file, constants.R_OK)
    const st = statSync(file)
    if (st.isDirectory()) fail(2, `cannot follow ${file}: a directory`)
    // Following reads a file again from where it stopped as it grows; a pipe cannot be read again.
    if (!st.isFile()) fail(2, `cannot follow ${file}: not a regular file (a named pipe is read as it comes without --follow)`)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code !== 'ENOENT') fail(2, `cannot read ${file}: ${e.code ?? e.message}`)
  }
  if (settings.state === null) return
  const { StateError, checkStatePath } = await import('./io/follow-state.js')
  try {
    checkStatePath(settings.state)
  } catch (err) {
    if (err instanceof StateError) fail(2, `--state: ${err.message}`)
    throw err
  }
}

/** Subcommand name → module whose main(argv) returns the exit status. */
const SUBCOMMANDS: Readonly<Record<string, string>> = {
  rules: './cli/rules.js',
  correlate: './correlate/cli.js'
}

async function main (): Promise<void> {
  const sub = SUBCOMMANDS[process.argv[2] ?? '']
  if (sub !== undefined) {
    const mod = await import(sub) as { main: (argv: string[]) => Promise<number> }
    process.exitCode = await mod.main(process.argv.slice(3))
    return
  }
  // SIGTERM (auditd, rsyslog, systemd) and SIGINT: stop reading, then complete and write what was
  // read. Installed first, so a signal that arrives during start-up is not fatal. Kept installed:
  // a SIGTERM repeated while the stop is under way (waiting for a --forward peer, say) would
  // otherwise kill the process with what it still holds; a supervisor's SIGKILL is the hard stop.
  // A second SIGINT (^C twice at a terminal) quits at once, status 130, as the user asked twice.
  const stop = new AbortController()
  process.on('SIGTERM', () => stop.abort())
  process.on('SIGINT', () => {
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
  })
  // SIGHUP (logrotate's postrotate, auditd's reload): reopen --output. SIGUSR1: statistics now.
  const control = new EventEmitter()
  process.on('SIGHUP', () => control.emit('reopen'))
  process.on('SIGUSR1', () => control.emit('stats'))

  let settings: Settings
  try {
    settings = parseCommandLine(process.argv.slice(2))
  } catch (err) {
    if (err instanceof UsageError) fail(2, `${err.message}\nTry 'netfilter --help' for more information.`)
    throw err
  }
  if (settings.help) {
    process.stdout.write(HELP)
    return
  }
  if (settings.version) {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }
    process.stdout.write(`netfilter ${pkg.version}\n`)
    return
  }
  if (!settings.follow) {
    for (const file of settings.files) {
      const problem = unreadable(file)
      if (problem !== null) fail(2, problem)
    }
  }
  else await checkFollow(settings)

  // V8 runs a function in its interpreter until the function has been called for a while, then
  // makes baseline code (Sparkplug), then optimised code. The filter's functions all get hot within
  // the first megabytes, and until optimised code is ready they run in the interpreter, several
  // times slower: with baseline code made at each function's first call (a fast, unoptimising
  // translation of its bytecode), the bench's 217 MB took 5-9 % less CPU time and its first 22 MB
  // 4.6 % fewer instructions (docs/performance.md). Set here, after --help and --version are
  // answered (they gain nothing from it), and before the pipeline's functions are first compiled.
  // node:v8 is loaded here rather than imported at the top, where every start, --version's too,
  // would load it.
  const { setFlagsFromString } = await import('node:v8')
  setFlagsFromString('--always-sparkplug')
  const { run } = await import('./pipeline.js')
  // A guard against silent loss: if Node runs out of work while run() is still pending (nothing
  // left to wake it: a bug), say so and fail instead of exiting 0 with events undelivered.
  let finished = false
  process.once('beforeExit', () => {
    if (!finished) fail(1, 'internal error: stopped waiting with work pending; output may be incomplete')
  })
  let result
  try {
    result = await run({
      files: settings.files,
      eventTimeoutMs: settings.eventTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      maxInflight: settings.maxInflight,
      maxLineBytes: settings.maxLineBytes,
      keepFamilies: settings.keepFamilies,
      acceptWithoutAddress: settings.acceptWithoutAddress,
      filters: settings.filters,
      format: settings.format,
      output: settings.output,
      forward: settings.forward,
      tag: settings.tag,
      ack: settings.ack,
      forwardTimeoutMs: settings.forwardTimeoutMs,
      forwardMaxPending: settings.forwardMaxPending,
      confirm: settings.confirm,
      follow: settings.follow
        ? { fromStart: settings.fromStart, statePath: settings.state, pollIntervalMs: settings.pollIntervalMs }
        : null
    }, {
      stdin: process.stdin,
      stdout: process.stdout,
      signal: stop.signal,
      control,
      warn: message => process.stderr.write(`netfilter: ${message}\n`)
    })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    fail(1, `read error: ${e.message}`)
  }
  finished = true
  if (settings.stats) process.stderr.write(JSON.stringify(result.stats) + '\n')
  if (result.outputError !== null) fail(1, `output error: ${result.outputError.message}`)
  // Each read error was said as it happened (run's warn); the status says the run failed.
  if (result.readError !== null) process.exit(1)
  // Input may still be open (a closed reader stops us early); nothing more is to be read.
  process.exit(0)
}

main().catch((err: unknown) => fail(1, (err as Error).stack ?? String(err)))
