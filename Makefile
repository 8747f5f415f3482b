# netfilter — every set-up step lives here, so a fresh Debian machine with Node 20 needs only:
#   make demo   install, build, run the filter on the bundled example
#   make test   install what the tests need, type-check, run every test
.DEFAULT_GOAL := demo
NODE_BIN := node_modules/.bin

.PHONY: deps install build demo test typecheck test-deps bench bench-latency fuzz check-generated clean

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

# Installs netfilter as an auditd plugin, as root (docs/deploy-auditd.md); PREFIX, CONFIG_DIR,
# PLUGIN_DIR, RULES_FILE, OUTPUT, STDERR_LOG, NODE, BIN_LINK and RULES_ARGS override its
# destinations, e.g. make install RULES_ARGS=--udp.
install: build
	scripts/install.sh

# tsc writes dist/; the command, dist/bin.js, is then bundled into one file (scripts/bundle-bin.mjs).
dist/bin.js: node_modules/.installed tsconfig.json tsconfig.build.json scripts/bundle-bin.mjs $(shell find src -name '*.ts')
	$(NODE_BIN)/tsc -p tsconfig.build.json
	node scripts/bundle-bin.mjs
	@chmod +x dist/bin.js

build: dist/bin.js

demo: build
	@echo '== netfilter --stats examples/audit.log   (127 audit records: python, curl, wget, perl, node; unix and packet noise)'
	node dist/bin.js --stats examples/audit.log

typecheck: deps
	$(NODE_BIN)/tsc -p tsconfig.json --noEmit

test-deps:
	scripts/install-test-deps.sh

test: build test-deps typecheck
	$(NODE_BIN)/tap

# The fuzz properties of `make test`, long: NETFILTER_FUZZ_RUNS runs per property, a fresh seed.
FUZZ_RUNS ?= 20000
fuzz: build
	NETFILTER_FUZZ_RUNS=$(FUZZ_RUNS) NETFILTER_FUZZ_SEED=$${NETFILTER_FUZZ_SEED:-$$(date +%s)} $(NODE_BIN)/tap --timeout 7200 test/fuzz

# Throughput against laurel, ausearch and plain Node loops on a 200 MB real-shaped corpus, RSS
# flatness and netfilter's and laurel's sustained rate on 4x that, then bench-latency; figures go
# to docs/performance.md. Options (--runs, --min-mb, ...) are listed at the top of bench/run.js.
# Takes several minutes.
bench: build
	node bench/run.js

# Streaming latency alone: events fed at a steady rate, with and without EOE records.
bench-latency: build
	node bench/latency.mjs

check-generated:
	node scripts/gen-tables.mjs --check

clean:
	rm -rf dist .tap coverage node_modules/.installed
