/**
 * The --help text. Kept beside the option table (options.ts); test/cli checks that every option is
 * explained here and in schemas/config.schema.json.
 */
import { DEFAULTS } from './options.js'

export const HELP = `Usage: netfilter [OPTION]... [FILE]...

Reads Linux audit records and writes one JSON object per line for each IPv4/IPv6
network event (socket, connect, accept/accept4, bind, sendto/sendmsg, …): the
decoded address, transport and direction, the syscall's result and the process
and user that made it. Every other event (unix and netlink sockets, exec, …) is
dropped and counted.

FILE is an audit log (plain or .gz); none or "-" reads standard input. Input may
be auditd's log (RAW or ENRICHED), an auditd plugin stream (with EOE records),
lines with a node= prefix, syslog- or journal-wrapped records, or the kernel's
numeric form ("audit: type=1306 audit(…): saddr=…"). Other lines are skipped.

Selection and filters (lists: repeat the flag or separate values with commas):
  --family LIST           also keep these address families: unix, netlink,
                          packet, vsock, … or a number (inet and inet6 are
                          always kept). AF_PACKET sockets are how sniffers and
                          some backdoors listen.
  --exclude-loopback      drop events whose address is loopback (127.0.0.0/8,
                          ::1, and ::ffff:127.0.0.0/104)
  --include-cidr LIST     keep only events whose address (remote, or local for
                          bind) is in one of these IPv4/IPv6 ranges; events with
                          no address (socket()) are dropped. An IPv4-mapped
                          address is matched as IPv4.
  --exclude-cidr LIST     drop events whose address is in one of these ranges
  --result LIST           keep only these results: success, in_progress, failed
  --key LIST              keep only events logged by a rule with one of these
                          keys (auditctl -k)
  --exe LIST              keep only events whose executable matches one of these
                          globs ("/usr/bin/*", "**/python3*") or, prefixed with
                          re:, regular expressions ("re:^/usr/bin/(curl|wget)$")
  --syscall LIST          keep only these syscalls (socket, connect, accept4,
                          bind, sendto, sendmsg, …)

Event assembly:
  --event-timeout SEC     complete an event once the log's own clock is SEC
                          seconds past it; log files have no EOE record to end
                          an event (default ${DEFAULTS['event-timeout']}, like auditd's end_of_event_timeout)
  --idle-timeout MS       on a live stream (a pipe or socket on stdin), complete
                          an event after MS milliseconds without a new record
                          for it, so nothing waits for the next line; 0 turns
                          this off (default ${DEFAULTS['idle-timeout']})
  --max-inflight N        keep at most N incomplete events in memory; beyond it
                          the oldest is completed early and counted as evicted
                          (default ${DEFAULTS['max-inflight']})
  --max-line-bytes N      drop (and count as malformed) lines longer than N
                          bytes (default ${DEFAULTS['max-line-bytes']})

Other:
  -c, --config FILE       read options from a JSON file: every option above by
                          its long name, e.g. {"exclude-loopback": true,
                          "family": ["packet"], "result": ["success"]}; flags
                          on the command line override it (--no-stats and
                          --no-exclude-loopback turn off what the file turned
                          on). The file is checked against
                          schemas/config.schema.json at start.
  --stats                 at exit, print a JSON summary to stderr: lines, records,
                          events, kept, dropped by reason, filtered, malformed,
                          evicted, lost events (serial gaps) per node, …
  -h, --help              show this help and exit
  -V, --version           print the version and exit

Output: one JSON object per line; the fields are described in
schemas/event.schema.json. transport (tcp, udp, …) and local are filled from the
socket() and bind() calls seen earlier on the same (node, pid, fd); when they
were not seen, transport is null and transport_hint may carry a guess from the
port or the call (accept implies a connection-oriented socket).

Exit status: 0 on success (also when the reader of stdout goes away early),
1 on a read or write error, 2 on a bad option, config file or input file.

Examples:
  netfilter /var/log/audit/audit.log
  zcat audit.log.1.gz | netfilter --stats > net.jsonl
  netfilter --exclude-loopback --result success,in_progress /var/log/audit/audit.log
  netfilter --family packet --syscall socket,bind audit.log    # raw-socket listeners
  netfilter --exe '/usr/bin/curl' --include-cidr 10.0.0.0/8,2001:db8::/32 audit.log
  netfilter --config /etc/netfilter/config.json                # auditd plugin mode
  ausearch --raw -k net_connect | netfilter
`
