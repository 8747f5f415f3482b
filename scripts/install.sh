#!/usr/bin/env bash
# Installs netfilter as an auditd plugin (`make install` runs it after building):
#   PREFIX       the built package: dist/, production node_modules/, schemas/, package.json, and
#                the plugin wrapper netfilter-plugin          (default /usr/local/lib/netfilter)
#   CONFIG_DIR   plugin.json, netfilter's config in plugin mode (default /etc/netfilter); an
#                existing one is kept unless --force-config
#   PLUGIN_DIR   netfilter.conf for auditd                      (default /etc/audit/plugins.d)
#   RULES_FILE   the audit rules, from `netfilter rules RULES_ARGS`
#                                                   (default /etc/audit/rules.d/netfilter.rules)
#   OUTPUT       where the plugin writes events, put in a new plugin.json
#                                                       (default /var/log/netfilter/events.json)
#   NODE         absolute path of node >= 20 written into the wrapper (default: node on PATH)
#   STDERR_LOG   where the plugin's stderr goes (auditd gives it /dev/null)
#                                           (default: plugin.err beside the output file; empty: none)
#   BIN_LINK     a symlink to netfilter for the command line (default /usr/local/bin/netfilter;
#                empty: none)
# Each can be given as an environment variable or as an option (--prefix DIR, --config-dir DIR,
# --plugin-dir DIR, --rules-file FILE, --output FILE, --node PATH, --stderr-log FILE,
# --bin-link PATH, --rules-args "ARGS"); --no-rules skips the rules file.
#
# auditd starts plugins with an empty environment and (3.0.x) at most two arguments, and only if
# the plugin's path is a root-owned regular file with mode bits 0750 and no group/other write. So
# the wrapper names node, netfilter and the config by absolute path, and everything is installed
# owned by root. Run as root. Prints what it does; changes nothing in the running auditd (the
# last lines say how to load the rules and the plugin).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local/lib/netfilter}
CONFIG_DIR=${CONFIG_DIR:-/etc/netfilter}
PLUGIN_DIR=${PLUGIN_DIR:-/etc/audit/plugins.d}
RULES_FILE=${RULES_FILE:-/etc/audit/rules.d/netfilter.rules}
OUTPUT=${OUTPUT:-/var/log/netfilter/events.json}
NODE=${NODE:-$(command -v node || true)}
BIN_LINK=${BIN_LINK-/usr/local/bin/netfilter}
RULES_ARGS=${RULES_ARGS:-}
WITH_RULES=1
FORCE_CONFIG=0

usage() {
  sed -n '2,27s/^# \{0,1\}//p' "$0"
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) PREFIX=$2; shift 2 ;;
    --config-dir) CONFIG_DIR=$2; shift 2 ;;
    --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
    --rules-file) RULES_FILE=$2; shift 2 ;;
    --output) OUTPUT=$2; shift 2 ;;
    --node) NODE=$2; shift 2 ;;
    --bin-link) BIN_LINK=$2; shift 2 ;;
    --stderr-log) STDERR_LOG=$2; shift 2 ;;
    --rules-args) RULES_ARGS=$2; shift 2 ;;
    --no-rules) WITH_RULES=0; shift ;;
    --force-config) FORCE_CONFIG=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 >&2 ;;
  esac
done

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "netfilter install: $*"; }

[ "$(id -u)" -eq 0 ] || die "run as root: auditd only starts plugins owned by root"
for d in "$PREFIX" "$CONFIG_DIR" "$PLUGIN_DIR" "$RULES_FILE" "$OUTPUT"; do
  case $d in /*) ;; *) die "paths must be absolute (auditd gives plugins no working directory to rely on): $d" ;; esac
done
case $NODE in /*) ;; *) die "node not found as an absolute path (got '${NODE}'); give --node /path/to/node" ;; esac
[ -x "$NODE" ] || die "$NODE is not executable"
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "$NODE is Node.js $major; netfilter needs 20 or later"
[ -f "$ROOT/dist/bin.js" ] || die "$ROOT/dist/bin.js is missing: build first (make build)"
[ -d "$ROOT/node_modules" ] || die "$ROOT/node_modules is missing: run npm ci (make deps)"

# 1. The package: dist, schemas, package.json and the production dependencies only.
install -d -o root -g root -m 0755 "$PREFIX"
rm -rf "$PREFIX/dist" "$PREFIX/schemas" "$PREFIX/node_modules"
cp -R "$ROOT/dist" "$ROOT/schemas" "$PREFIX/"
cp "$ROOT/package.json" "$PREFIX/"
deps=$(cd "$ROOT" && npm ls --omit=dev --parseable --all) || die "npm ls reports a broken dependency tree: run npm ci"
count=0
while IFS= read -r dir; do
  rel=${dir#"$ROOT"/}
  [ "$rel" = "$dir" ] && continue # the package itself
  mkdir -p "$PREFIX/$rel"
  cp -R "$dir/." "$PREFIX/$rel/"
  count=$((count + 1))
done <<< "$deps"
chown -R root:root "$PREFIX"
chmod -R go-w "$PREFIX"
chmod 0755 "$PREFIX/dist/bin.js"
say "installed the package in $PREFIX (dist, schemas, package.json, $count production packages)"

# 2. netfilter's config in plugin mode, with its output file.
install -d -o root -g root -m 0755 "$CONFIG_DIR"
if [ -e "$CONFIG_DIR/plugin.json" ] && [ "$FORCE_CONFIG" -eq 0 ]; then
  say "kept the existing $CONFIG_DIR/plugin.json (--force-config replaces it)"
else
  tmp=$(mktemp)
  OUTPUT=$OUTPUT "$NODE" -e '
    const fs = require("fs")
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
    c.output = process.env.OUTPUT
    process.stdout.write(JSON.stringify(c, null, 2) + "\n")' "$ROOT/examples/auditd/plugin.json" > "$tmp"
  install -o root -g root -m 0640 "$tmp" "$CONFIG_DIR/plugin.json"
  rm -f "$tmp"
  say "wrote $CONFIG_DIR/plugin.json (output $OUTPUT)"
fi
# The config must be valid, or the plugin exits 2 at every start until auditd gives up.
check=$("$NODE" "$PREFIX/dist/bin.js" --config "$CONFIG_DIR/plugin.json" --version 2>&1) || die "$CONFIG_DIR/plugin.json is not valid: $check"
out=$("$NODE" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).output ?? ""' "$CONFIG_DIR/plugin.json")
if [ -n "$out" ]; then
  install -d -o root -g root -m 0750 "$(dirname "$out")"
  say "events go to $out (directory $(dirname "$out"), root:root 0750)"
else
  say "warning: $CONFIG_DIR/plugin.json has no output: events would go to auditd's stdout"
fi

# 3. The wrapper auditd runs: absolute paths only, and no arguments needed from auditd. auditd
# points the stdout and stderr of itself and its plugins at /dev/null, so netfilter's messages
# (a bad config, a full disk, --stats) go to STDERR_LOG instead.
wrapper="$PREFIX/netfilter-plugin"
STDERR_LOG=${STDERR_LOG-$(dirname "${out:-/var/log/netfilter/x}")/plugin.err}
redirect=""
if [ -n "$STDERR_LOG" ]; then
  case $STDERR_LOG in /*) ;; *) die "STDERR_LOG must be absolute: $STDERR_LOG" ;; esac
  install -d -o root -g root -m 0750 "$(dirname "$STDERR_LOG")"
  redirect=" 2>>$STDERR_LOG"
fi
# The wrapper starts node itself, so it gives node the options the netfilter command's shebang
# gives (src/bin.ts: "#!/usr/bin/env -S node OPTIONS").
node_options=$(sed -n '1s|^#!/usr/bin/env -S node ||p' "$PREFIX/dist/bin.js")
command="$NODE${node_options:+ $node_options} $PREFIX/dist/bin.js --config $CONFIG_DIR/plugin.json$redirect"
tmp=$(mktemp)
cat > "$tmp" <<EOF
#!/bin/sh
# auditd plugin entry point, written by netfilter's scripts/install.sh. auditd runs plugins with
# an empty environment and at most two arguments (3.0.x), so every path here is absolute.
exec $command
EOF
install -o root -g root -m 0750 "$tmp" "$wrapper"
rm -f "$tmp"
say "wrote $wrapper (root:root 0750): exec $command"

# 4. The plugin conf for auditd.
install -d -o root -g root -m 0750 "$PLUGIN_DIR"
tmp=$(mktemp)
sed "s|^path = .*|path = $wrapper|" "$ROOT/examples/auditd/netfilter.conf" > "$tmp"
install -o root -g root -m 0640 "$tmp" "$PLUGIN_DIR/netfilter.conf"
rm -f "$tmp"
say "wrote $PLUGIN_DIR/netfilter.conf (path = $wrapper)"

# 5. The audit rules.
if [ "$WITH_RULES" -eq 1 ]; then
  install -d -o root -g root -m 0750 "$(dirname "$RULES_FILE")"
  tmp=$(mktemp)
  # shellcheck disable=SC2086 # RULES_ARGS is a list of options
  "$NODE" "$PREFIX/dist/bin.js" rules $RULES_ARGS > "$tmp"
  install -o root -g root -m 0640 "$tmp" "$RULES_FILE"
  rm -f "$tmp"
  say "wrote $RULES_FILE (netfilter rules $RULES_ARGS: $(grep -c '^-a' "$RULES_FILE") rules)"
fi

# 6. The command line.
if [ -n "$BIN_LINK" ]; then
  install -d "$(dirname "$BIN_LINK")"
  ln -sfn "$PREFIX/dist/bin.js" "$BIN_LINK"
  say "linked $BIN_LINK -> $PREFIX/dist/bin.js"
fi

# What auditd checks before it starts a plugin (auditd 3.0.9 audispd-pconfig.c): a regular file
# owned by root, rwxr-x--- at least, no write for group or others.
read -r uid mode <<< "$(stat -c '%u %a' "$wrapper")"
[ "$uid" -eq 0 ] && [ $((8#$mode & 8#0772)) -eq $((8#0750)) ] || die "$wrapper is uid $uid mode $mode: auditd would refuse it"

# Processes forked before auditing was first enabled since boot are never audited (the kernel gives
# a process its audit context at fork): audit=1 on the kernel's command line closes that gap.
if [ -r /proc/cmdline ] && ! grep -qw 'audit=1' /proc/cmdline; then
  say "note: this boot has no audit=1 on the kernel command line: processes started before auditd first enabled auditing are never audited (docs/deploy-auditd.md, Troubleshooting)"
fi

say "done. Next:"
[ "$WITH_RULES" -eq 1 ] && say "  augenrules --load                     # load the rules (auditctl -l | grep net_ to check)"
say "  auditctl --signal HUP                 # auditd reloads and starts the plugin (or: service auditd reload)"
say "  tail -f $out"
