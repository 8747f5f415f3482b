#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as oracles and real components:
#   python3-audit  libauparse, the reference parser the differential test compares against
#   auditd         ausyscall/ausearch (and, for later end-to-end tests, the daemon itself)
# Needs root (or sudo). Does nothing when everything is already there.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import auparse' 2>/dev/null || missing+=(python3-audit)
command -v ausearch >/dev/null 2>&1 || missing+=(auditd)
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
