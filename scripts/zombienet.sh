#!/usr/bin/env bash
# Runs zombienet tests (zombienet/<name>.zndsl) against the release node, with the two
# uranus-agents the provider networks need (127.0.0.1:8710 and :8711, fresh data dirs).
#   scripts/zombienet.sh smoke validator-loss election provider upgrade   (make test)
#   scripts/zombienet.sh attest                                           (make test-slow)
# Each test's log is /tmp/uranus-zombienet-<name>.log; prints a line per test and a summary
# line "zombienet: P passed, F failed"; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
pass=0; fail=0
if [ ! -x "$URANUS_NODE" ]; then
  echo "uranus-node was not built" >&2
  echo "zombienet: 0 passed, $# failed"
  exit 1
fi
(cd zombienet && npm ci --no-audit --no-fund --loglevel=error) || exit 1
# Starts an agent on 127.0.0.1:$1 with a fresh data dir; sets ZN_DIR and ZN_PID.
zn_agent() {
  ZN_DIR=$(mktemp -d "/tmp/uranus-zn-agent-$1.XXXXXX")
  "$CARGO_TARGET_DIR/release/uranus-agent" run --data-dir "$ZN_DIR" --listen "127.0.0.1:$1" \
    2> "$ZN_DIR.log" &
  ZN_PID=$!
}
# The `provider` network's full node talks to the first agent (zombienet/provider.toml), the
# `attest` and `upgrade` networks' two providers to both.
zn_agent 8710; ZN_AGENT_PID=$ZN_PID
export AGENT_URL=http://127.0.0.1:8710 AGENT_TOKEN_FILE="$ZN_DIR/agent.token"
zn_agent 8711; ZN_AGENT2_PID=$ZN_PID
export AGENT2_URL=http://127.0.0.1:8711 AGENT2_TOKEN_FILE="$ZN_DIR/agent.token"
trap 'kill $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true' EXIT
# The `upgrade` network starts on the previous release's runtime.
export UPGRADE_CHAIN_SPEC=/tmp/uranus-zn-local-previous.json
node zombienet/scripts/previous-spec.js "$UPGRADE_CHAIN_SPEC" || exit 1
for t in "$@"; do
  t0=$(date +%s)
  if (cd zombienet && NODE_BIN="$URANUS_NODE" npx zombienet -p native -l text test "$t.zndsl") > "/tmp/uranus-zombienet-$t.log" 2>&1; then
    pass=$((pass + 1)); echo "zombienet $t: ok ($(( $(date +%s) - t0 )) s)"
  else
    fail=$((fail + 1)); echo "zombienet $t: FAILED ($(( $(date +%s) - t0 )) s)"
    grep -E '✅|❌|Error' "/tmp/uranus-zombienet-$t.log" | tail -20 || true
  fi
  # A js-script that crashes can leave the network's nodes behind: stop them.
  pkill -f -- "--base-path /tmp/zombie-" 2>/dev/null || true
  grep -E 'finality-|caught-up|provider key|machine [0-9]+ on|heartbeat moved|^challenge [0-9]+ of|^upgrade: (spec|code|polkadot|all|after|before)' "/tmp/uranus-zombienet-$t.log" | cut -c1-300 || true
done
# Let both agents drain their warm pools (network namespaces, veths, firewall rules) before
# the script exits: a second signal from the EXIT trap would cut the drain short.
kill $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true
wait $ZN_AGENT_PID $ZN_AGENT2_PID 2>/dev/null || true
trap - EXIT
echo "zombienet: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
