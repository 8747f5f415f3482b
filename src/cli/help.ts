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
numeric form ("audit: type=1306 audit(…): saddr=…"). Other lines are skipped
(for \`ausearch -i\` output, use \`ausearch --raw\` instead).

Selection and filters (lists: repeat the flag or separate values with commas;
--exe patterns only by repeating the flag, as globs may hold commas):
  --family LIST           also keep these address families: unix, netlink,
                          packet, vsock, … or a number (inet and inet6 are
                          always kept). AF_PACKET sockets are how sniffers and
                          some backdoors listen.
  --accept-without-address
                          also keep accept/accept4 calls that logged no address
                          (libuv, so every Node.js server, passes NULL), when the
                          listening fd is known from its socket()/bind() to be
                          inet/inet6: remote is then null, local and transport
                          come from the listener
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

Event assembly (an event is complete at a PROCTITLE that follows its SYSCALL:
the kernel writes PROCTITLE last; out of that order, once it has its SYSCALL,
PROCTITLE and, for a socket call other than socket(), SOCKADDR; the rules below
complete the others):
  --event-timeout SEC     complete an event once the log's own clock is SEC
                          seconds past it; log files have no EOE record to end
                          an event (default ${DEFAULTS['event-timeout']}, like auditd's end_of_event_timeout)
  --idle-timeout MS       on a live stream (stdin a pipe or socket, or a named
                          pipe as FILE), complete an event after MS milliseconds
                          without a new record for it, so nothing waits for the
                          next line; 0 turns this off (default ${DEFAULTS['idle-timeout']})
  --max-inflight N        keep at most N incomplete events in memory; beyond it
                          the oldest is completed early and counted as evicted
                          (default ${DEFAULTS['max-inflight']})
  --max-line-bytes N      drop (and count as malformed) lines longer than N
                          bytes (default ${DEFAULTS['max-line-bytes']})

Output:
  --format FORMAT         native (schemas/event.schema.json), ecs (Elastic Common
                          Schema, as Auditbeat's auditd module) or ocsf (OCSF
                          1.1.0 Network Activity, class 4001) (default ${DEFAULTS.format})
  -o, --output FILE       append JSON lines to FILE instead of stdout; SIGHUP
                          reopens it (logrotate's postrotate); a write error
                          (disk full, permission) stops netfilter with status 1
  --forward TARGET        send events to a Fluentd/Fluent Bit forward input at
                          HOST:PORT, [IPv6]:PORT or unix:PATH (PackedForward,
                          event time with millisecond precision); reconnects
                          with back-off and pauses input rather than drop
  --tag TAG               forward-protocol tag (default ${DEFAULTS.tag})
  --ack                   with --forward: the peer acknowledges every chunk;
                          unacknowledged events are sent again (at least once)
  --forward-timeout MS    at the end of input or on SIGTERM, wait at most MS
                          for pending events to be delivered (default ${DEFAULTS['forward-timeout']})
  --forward-max-pending N pause input while N events wait for the peer
                          (default ${DEFAULTS['forward-max-pending']})
  --confirm               for rsyslog omprog with confirmMessages="on": print OK
                          when ready and one OK per input line once it is
                          handled (events written to --output or delivered to
                          --forward); stdout carries nothing else, so --output
                          or --forward is required

Following a file (tail -F, for Fluent Bit's exec input or a service of its own):
  --follow                read the one FILE as it grows until SIGTERM/SIGINT,
                          across rotation (auditd renames audit.log to
                          audit.log.1 and starts a new one; the old file is read
                          to its end first) and truncation; a FILE that does not
                          exist yet is waited for. Starts at the end of FILE;
                          events complete after --idle-timeout, as on a live
                          stream. Not with --confirm, standard input or a named
                          pipe (a pipe is read as it comes without --follow).
  --from-start            with --follow: begin at the start of FILE, not its end
  --state FILE            with --follow: save the read position in FILE (JSON,
                          replaced atomically) whenever every event read so far
                          is written, and at a clean stop; at start resume from
                          it (in the rotated audit.log.1, .2, … first if the log
                          was rotated meanwhile), so a restart after SIGTERM
                          loses and repeats nothing (see docs/follow.md)
  --poll-interval MS      with --follow: look for new lines every MS milliseconds
                          (default ${DEFAULTS['poll-interval']})

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

Signals: SIGTERM/SIGINT stop reading, complete pending events, deliver them (and
with --follow --state save the position) and exit 0; a repeated SIGTERM does not
cut that short, a second SIGINT quits at once (status 130); SIGHUP reopens
--output; SIGUSR1 prints the --stats summary to stderr.

Exit status: 0 on success (also when the reader of stdout goes away early),
1 on a read or output error (or events left undelivered at --forward-timeout),
2 on a bad option, config file or input file.

Examples:
  netfilter /var/log/audit/audit.log
  zcat audit.log.1.gz | netfilter --stats > net.jsonl
  netfilter --exclude-loopback --result success,in_progress /var/log/audit/audit.log
  netfilter --family packet --syscall socket,bind audit.log    # raw-socket listeners
  netfilter --exe '/usr/bin/curl' --include-cidr 10.0.0.0/8,2001:db8::/32 audit.log
  netfilter --config /etc/netfilter/config.json                # auditd plugin mode
  netfilter --format ecs --forward 127.0.0.1:24224 --ack audit.log
  netfilter --confirm --output /var/log/netfilter/events.json  # rsyslog omprog
  netfilter --follow --state /var/lib/netfilter/state.json /var/log/audit/audit.log
  ausearch --raw -k net_connect | netfilter
`
