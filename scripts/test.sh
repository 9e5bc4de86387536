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
  echo "==> sTPS load harness, smoke mode (tests/pjs/load/stps.mjs --smoke)"
  (cd tests/pjs && node load/stps.mjs --smoke) 2>&1 | tee /tmp/uranus-stps-smoke.log || status=1
  echo "==> metering load harness, smoke mode (tests/pjs/load/metering.mjs --smoke)"
  (cd tests/pjs && node load/metering.mjs --smoke) 2>&1 | grep -vE 'REGISTRY|API/INIT' | tee /tmp/uranus-metering-smoke.log || status=1
else
  echo "uranus-node was not built: skipping polkadot.js tests" >&2
  status=1
fi

echo "==> start/stop soak, short (scripts/start-soak.sh 5; make test-slow runs 100)"
if [ -x "$URANUS_NODE" ]; then
  scripts/start-soak.sh 5 2>&1 | tee /tmp/uranus-start-soak.log || status=1
else
  status=1
fi

echo "==> zombienet tests (zombienet/)"
zn_pass=0; zn_fail=0
if [ -x "$URANUS_NODE" ]; then
  (cd zombienet && npm ci --no-audit --no-fund --loglevel=error) || status=1
  # Starts an agent on 127.0.0.1:$1 with a fresh data dir; sets ZN_DIR and ZN_PID.
  zn_agent() {
    ZN_DIR=$(mktemp -d "/tmp/uranus-zn-agent-$1.XXXXXX")
    "$CARGO_TARGET_DIR/release/uranus-agent" run --data-dir "$ZN_DIR" --listen "127.0.0.1:$1" \
      2> "$ZN_DIR.log" &
    ZN_PID=$!
  }
  # The `provider` network's full node talks to the first agent (zombienet/provider.toml), the
  # `attest` network's two providers to both (zombienet/attest.toml).
  zn_agent 8710; ZN_AGENT_PID=$ZN_PID
  export AGENT_URL=http://127.0.0.1:8710 AGENT_TOKEN_FILE="$ZN_DIR/agent.token"
  zn_agent 8711; ZN_AGENT2_PID=$ZN_PID
  export AGENT2_URL=http://127.0.0.1:8711 AGENT2_TOKEN_FILE="$ZN_DIR/agent.token"
  trap 'kill $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true' EXIT
  for t in smoke validator-loss election provider attest; do
    t0=$(date +%s)
    if (cd zombienet && NODE_BIN="$URANUS_NODE" npx zombienet -p native -l text test "$t.zndsl") > "/tmp/uranus-zombienet-$t.log" 2>&1; then
      zn_pass=$((zn_pass + 1)); echo "zombienet $t: ok ($(( $(date +%s) - t0 )) s)"
    else
      zn_fail=$((zn_fail + 1)); status=1; echo "zombienet $t: FAILED ($(( $(date +%s) - t0 )) s)"
      grep -E '✅|❌|Error' "/tmp/uranus-zombienet-$t.log" | tail -20 || true
    fi
    grep -E 'finality-|caught-up|provider key|machine [0-9]+ on|heartbeat moved|^challenge [0-9]+ of' "/tmp/uranus-zombienet-$t.log" || true
  done
  # Let both agents drain their warm pools (network namespaces, veths, firewall rules) before
  # the script exits: a second signal from the EXIT trap would cut the drain short.
  kill $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true
  wait $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true
  trap - EXIT
else
  zn_fail=5; status=1
fi

echo "==> summary"
grep -E '^test result:' /tmp/uranus-cargo-test.log || true
grep -E '^# (tests|pass|fail)' /tmp/uranus-pjs-test.log || true
grep -E '^stps' /tmp/uranus-stps-smoke.log || true
grep -E '^metering' /tmp/uranus-metering-smoke.log || true
grep -E '^start-soak' /tmp/uranus-start-soak.log || true
echo "zombienet: $zn_pass passed, $zn_fail failed"
echo "total test time: $(( $(date +%s) - start )) s"
exit $status
