#!/usr/bin/env bash
# Runs every Uranus test: Rust unit, runtime and node tests (release profile, one build), then
# the polkadot.js end-to-end tests against the real node. Prints each runner's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

start=$(date +%s)
status=0

echo "==> cargo test --release --workspace"
cargo test --release --locked --workspace --no-fail-fast 2>&1 | tee /tmp/uranus-cargo-test.log || status=1

echo "==> polkadot.js tests (tests/pjs)"
if [ -x "$URANUS_NODE" ]; then
  (cd tests/pjs && npm ci --no-audit --no-fund --loglevel=error && npm test) 2>&1 | tee /tmp/uranus-pjs-test.log || status=1
else
  echo "uranus-node was not built: skipping polkadot.js tests" >&2
  status=1
fi

echo "==> summary"
grep -E '^test result:' /tmp/uranus-cargo-test.log || true
grep -E '^# (tests|pass|fail)' /tmp/uranus-pjs-test.log || true
echo "total test time: $(( $(date +%s) - start )) s"
exit $status
