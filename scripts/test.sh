#!/usr/bin/env bash
# Runs every Uranus test: Rust unit, runtime and node tests (release profile, one build), then
# the polkadot.js end-to-end tests against the real node. Prints each runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

start=$(date +%s)
status=0

echo "==> cargo build --release --workspace --bins (the node, agent and uranus CLI the end-to-end tests run)"
cargo build --release --locked --workspace --bins 2>&1 | tail -n 3 || status=1

echo "==> cargo test --release --workspace"
cargo test --release --locked --workspace --no-fail-fast 2>&1 | tee /tmp/uranus-cargo-test.log || status=1

echo "==> polkadot.js tests (tests/pjs)"
if [ -x "$URANUS_NODE" ]; then
  (cd tests/pjs && npm ci --no-audit --no-fund --loglevel=error && npm test) 2>&1 | tee /tmp/uranus-pjs-test.log || status=1
  echo "==> sTPS load harness, smoke mode (tests/pjs/load/stps.mjs --smoke)"
  (cd tests/pjs && node load/stps.mjs --smoke) 2>&1 | tee /tmp/uranus-stps-smoke.log || status=1
  echo "==> metering load harness, smoke mode (tests/pjs/load/metering.mjs --smoke)"
  (cd tests/pjs && node load/metering.mjs --smoke) 2>&1 | grep -vE 'REGISTRY|API/INIT' | tee /tmp/uranus-metering-smoke.log || status=1
else
  echo "uranus-node was not built: skipping polkadot.js tests" >&2
  status=1
fi

echo "==> Uranus Console: type check and browser tests (console/, Debian chromium + playwright-core)"
if [ -x "$URANUS_NODE" ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error && npm run --silent typecheck && npm test) 2>&1 \
    | grep -vE 'REGISTRY|API/INIT' | tee /tmp/uranus-console-test.log || status=1
else
  status=1
fi

echo "==> start/stop soak, short (scripts/start-soak.sh 5; make test-slow runs 100)"
if [ -x "$URANUS_NODE" ]; then
  scripts/start-soak.sh 5 2>&1 | tee /tmp/uranus-start-soak.log || status=1
else
  status=1
fi

echo "==> zombienet tests (zombienet/; make test-slow adds attest)"
scripts/zombienet.sh smoke validator-loss election provider upgrade 2>&1 | tee /tmp/uranus-zombienet.log || status=1

echo "==> summary"
grep -E '^test result:' /tmp/uranus-cargo-test.log || true
grep -E '^# (tests|pass|fail)' /tmp/uranus-pjs-test.log || true
grep -E '^# (tests|pass|fail)' /tmp/uranus-console-test.log | sed 's/^# /console: /' || true
grep -E '^stps' /tmp/uranus-stps-smoke.log || true
grep -E '^metering' /tmp/uranus-metering-smoke.log || true
grep -E '^start-soak' /tmp/uranus-start-soak.log || true
grep -E '^zombienet: [0-9]+ passed' /tmp/uranus-zombienet.log || echo "zombienet: did not run"
echo "total test time: $(( $(date +%s) - start )) s"
exit $status
