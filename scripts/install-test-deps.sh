#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as oracles and real components:
#   python3-audit  libauparse, the reference parser the differential test compares against
#   laurel         the closest peer (an auditd plugin in Rust), the other differential test's oracle
#   auditd         auditd, auditctl, ausearch: the real daemon and kernel rules in end-to-end tests
#   rsyslog        a real rsyslogd running netfilter through omprog
#   curl           a real client making connections over loopback
#   iproute2, nftables, tcpdump   network namespaces, a REJECT rule and packet capture (correlate)
# Needs root (or sudo). Does nothing when everything is already there.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import auparse' 2>/dev/null || missing+=(python3-audit)
command -v ausearch >/dev/null 2>&1 || missing+=(auditd)
[ -x /usr/sbin/laurel ] || missing+=(laurel)
[ -x /usr/sbin/rsyslogd ] || missing+=(rsyslog)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-test-deps: need root to install: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
