#!/usr/bin/python3
"""Reference oracle for netfilter: list IPv4/IPv6 network events via libauparse.

Usage: /usr/bin/python3 test/oracle/auparse-network.py FILE [FILE...]

Each FILE (plain text or gzip; detected by magic bytes) is parsed independently
with a fresh auparse.AuParser(AUSOURCE_FILE, path), i.e. the same file source
ausearch-style tools use, so event grouping (EOE, timeouts, EOF flush) is
auparse's own.  gzip input is first decompressed to a temporary file.

An event is kept if
  * any SOCKADDR record's `saddr`, as interpreted by auparse_interpret_field,
    has family inet/inet6 (`{ saddr_fam=inet laddr=... lport=... }`), or
  * its SYSCALL record's interpreted `syscall` is `socket` and raw a0 is
    2 (AF_INET) or 0xa (AF_INET6), or
  * (i386 etc.) its interpreted `syscall` is `socketcall(socket)` and the raw
    a0 of its SOCKETCALL record is 2 or 0xa.

One JSON object per kept event on stdout (keys sorted):
  event_id  "SECONDS.MILLIS:SERIAL" (millis zero-padded to 3 digits)
  exe       interpreted exe (hex decoded, unquoted, AUPARSE_ESC_RAW) or null;
            if the decoded bytes are not UTF-8 (the binding cannot return
            them) the hex is decoded here with U+FFFD replacement
  family    "inet" | "inet6"
  file      the FILE argument as given
  ip        laddr from the first inet/inet6 SOCKADDR, or null
  node      node= name, or null
  pid       int, or null if the event has no pid field
  port      lport from the first inet/inet6 SOCKADDR (int), or null
  syscall   interpreted syscall name, or null if the event has no SYSCALL

At the end one JSON summary line goes to stderr.
"""

import gzip
import json
import os
import re
import shutil
import sys
import tempfile

import auparse

FAMILY_BY_A0 = {2: "inet", 10: "inet6"}
# numeric record types (get_type_name() raises LookupError on e.g. UNKNOWN[1420])
AUDIT_SYSCALL = 1300
AUDIT_SOCKETCALL = 1304
AUDIT_SOCKADDR = 1306
# auditd >= 3 prints saddr_fam=, older enriched logs printed fam=
SADDR_FAM_RE = re.compile(r"(?:^|[{\s])(?:saddr_)?fam=(\S+)")
LADDR_RE = re.compile(r"\sladdr=(\S+)")
LPORT_RE = re.compile(r"\slport=(\d+)")


def record_fields(au):
    """Yield field names of the current record, leaving the cursor on each."""
    if not au.first_field():
        return
    while True:
        yield au.get_field_name()
        if not au.next_field():
            return


def safe_interpret(au):
    try:
        return au.interpret_field()
    except Exception:  # interpretation may fail on odd input
        return None


def decode_untrusted(raw):
    """Fallback for exe values auparse decodes to non-UTF-8 bytes."""
    if raw is None:
        return None
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1]
    try:
        return bytes.fromhex(raw).decode("utf-8", errors="replace")
    except ValueError:
        return raw


def parse_int(text, base=10):
    try:
        return int(text, base)
    except (TypeError, ValueError):
        return None


def examine_event(au):
    """Return an output dict (without `file`) if the event is kept, else None."""
    syscall = None
    sys_a0 = None
    pid = None
    exe = None
    socketcall_a0 = None
    sock = None  # (family, ip, port) of first inet/inet6 SOCKADDR
    seen_syscall = False

    au.first_record()
    while True:
        rtype = au.get_type()
        if rtype == AUDIT_SYSCALL and not seen_syscall:
            seen_syscall = True
            for name in record_fields(au):
                if name == "syscall":
                    syscall = safe_interpret(au)
                elif name == "a0":
                    sys_a0 = parse_int(au.get_field_str(), 16)
                elif name == "pid":
                    pid = parse_int(au.get_field_str())
                elif name == "exe":
                    exe = safe_interpret(au)
                    if exe is None:
                        # the binding raises UnicodeDecodeError when the
                        # decoded bytes are not UTF-8: decode the hex here
                        exe = decode_untrusted(au.get_field_str())
        elif rtype == AUDIT_SOCKETCALL and socketcall_a0 is None:
            for name in record_fields(au):
                if name == "a0":
                    socketcall_a0 = parse_int(au.get_field_str(), 16)
                    break
        elif rtype == AUDIT_SOCKADDR and sock is None:
            for name in record_fields(au):
                if name != "saddr":
                    continue
                interp = safe_interpret(au) or ""
                m = SADDR_FAM_RE.search(interp)
                fam = m.group(1) if m else None
                if fam in ("inet", "inet6"):
                    ip = LADDR_RE.search(interp)
                    port = LPORT_RE.search(interp)
                    sock = (fam, ip.group(1) if ip else None,
                            int(port.group(1)) if port else None)
                break
        if not au.next_record():
            break

    if sock is not None:
        family, ip, port = sock
    elif syscall == "socket" and sys_a0 in FAMILY_BY_A0:
        family, ip, port = FAMILY_BY_A0[sys_a0], None, None
    elif syscall == "socketcall(socket)" and socketcall_a0 in FAMILY_BY_A0:
        family, ip, port = FAMILY_BY_A0[socketcall_a0], None, None
    else:
        return None

    ts = au.get_timestamp()
    return {
        "event_id": "%d.%03d:%d" % (ts.sec, ts.milli, ts.serial),
        "syscall": syscall,
        "family": family,
        "ip": ip,
        "port": port,
        "pid": pid,
        "exe": exe,
        "node": ts.host or None,
    }


def is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def process(path, out):
    tmp = None
    src = path
    if is_gzip(path):
        fd, tmp = tempfile.mkstemp(prefix="auparse-oracle-", suffix=".log")
        with os.fdopen(fd, "wb") as dst, gzip.open(path, "rb") as gz:
            shutil.copyfileobj(gz, dst, 1 << 20)
        src = tmp
    events = kept = 0
    try:
        au = auparse.AuParser(auparse.AUSOURCE_FILE, src)
        au.set_escape_mode(auparse.AUPARSE_ESC_RAW)
        while au.parse_next_event():
            events += 1
            rec = examine_event(au)
            if rec is not None:
                kept += 1
                rec["file"] = path
                out.write(json.dumps(rec, sort_keys=True) + "\n")
    finally:
        if tmp is not None:
            os.unlink(tmp)
    return events, kept


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: %s FILE [FILE...]\n" % argv[0])
        return 2
    out = sys.stdout
    total_events = total_kept = 0
    per_file = {}
    for path in argv[1:]:
        events, kept = process(path, out)
        out.flush()
        per_file[path] = {"events": events, "kept": kept}
        total_events += events
        total_kept += kept
    sys.stderr.write(json.dumps({"events": total_events, "kept": total_kept,
                                 "files": per_file}, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
