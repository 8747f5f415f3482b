/**
 * Command line → Settings.
 * In: argv (without node and script). Out: validated Settings, or a UsageError naming the flag and
 * the problem (the caller exits 2). Defaults live here, in one place, and --help prints them.
 */
import { parseArgs } from 'node:util'

export interface Settings {
  files: string[]
  stats: boolean
  eventTimeoutMs: number
  idleTimeoutMs: number
  maxInflight: number
  maxLineBytes: number
  help: boolean
  version: boolean
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const DEFAULTS = {
  eventTimeoutSeconds: 2,
  idleTimeoutMs: 500,
  maxInflight: 16384,
  maxLineBytes: 1048576
} as const

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  stats: { type: 'boolean' },
  'event-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-inflight': { type: 'string' },
  'max-line-bytes': { type: 'string' }
} as const

function number (flag: string, text: string | undefined, fallback: number, min: number, integer: boolean): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    const what = integer ? 'an integer' : 'a number'
    throw new UsageError(`--${flag}: expected ${what} >= ${min}, got '${text}'`)
  }
  return n
}

export function parseCommandLine (argv: readonly string[]): Settings {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    // parseArgs's messages name the flag ("Unknown option '--foo'"); keep them, drop its advice.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
  const v = parsed.values
  const eventTimeout = number('event-timeout', v['event-timeout'], DEFAULTS.eventTimeoutSeconds, 0.001, false)
  return {
    files: parsed.positionals.length === 0 ? ['-'] : parsed.positionals,
    stats: v.stats === true,
    eventTimeoutMs: Math.round(eventTimeout * 1000),
    idleTimeoutMs: number('idle-timeout', v['idle-timeout'], DEFAULTS.idleTimeoutMs, 0, true),
    maxInflight: number('max-inflight', v['max-inflight'], DEFAULTS.maxInflight, 1, true),
    maxLineBytes: number('max-line-bytes', v['max-line-bytes'], DEFAULTS.maxLineBytes, 64, true),
    help: v.help === true,
    version: v.version === true
  }
}

export const HELP = `Usage: netfilter [OPTION]... [FILE]...

Reads Linux audit records and writes one JSON object per line for each IPv4/IPv6
network event (socket, connect, accept/accept4, bind, sendto/sendmsg, …): the
decoded address, the syscall's result and the process and user that made it.
Every other event (unix and netlink sockets, exec, …) is dropped and counted.

FILE is an audit log (plain or .gz); none or "-" reads standard input. Input may
be auditd's log (RAW or ENRICHED), an auditd plugin stream (with EOE records),
lines with a node= prefix, syslog- or journal-wrapped records, or the kernel's
numeric form ("audit: type=1306 audit(…): saddr=…"). Other lines are skipped.

Options:
  --stats                 at exit, print a JSON summary to stderr: lines, records,
                          events, kept, dropped by reason, malformed, evicted, …
  --event-timeout SEC     complete an event once the log's own clock is SEC
                          seconds past it; log files have no EOE record to end
                          an event (default ${DEFAULTS.eventTimeoutSeconds}, like auditd's end_of_event_timeout)
  --idle-timeout MS       on a live stream (a pipe or socket on stdin), complete
                          an event after MS milliseconds without a new record
                          for it, so nothing waits for the next line; 0 turns
                          this off (default ${DEFAULTS.idleTimeoutMs})
  --max-inflight N        keep at most N incomplete events in memory; beyond it
                          the oldest is completed early and counted as evicted
                          (default ${DEFAULTS.maxInflight})
  --max-line-bytes N      drop (and count as malformed) lines longer than N
                          bytes (default ${DEFAULTS.maxLineBytes})
  -h, --help              show this help and exit
  -V, --version           print the version and exit

Output: one JSON object per line; the fields are described in
schemas/event.schema.json (time, event_id, node, syscall, arch, result, exit,
errno, family, remote, local, fd, process, user, tty, key).

Exit status: 0 on success (also when the reader of stdout goes away early),
1 on a read or write error, 2 on a bad option or an unreadable FILE.

Examples:
  netfilter /var/log/audit/audit.log
  zcat audit.log.1.gz | netfilter --stats > net.jsonl
  netfilter /var/log/audit/audit.log.1 /var/log/audit/audit.log | jq 'select(.result != "failed")'
  ausearch --raw -k net_connect | netfilter
`
