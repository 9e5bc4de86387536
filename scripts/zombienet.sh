#!/usr/bin/env bash
# Runs zombienet tests (zombienet/<name>.zndsl) against the release node, with the two
# uranus-agents the provider networks need (free loopback ports, fresh data dirs).
#   scripts/zombienet.sh validator-loss election provider upgrade   (make test)
#   scripts/zombienet.sh attest                                     (make test-slow)
# Several instances may run side by side: each has its own agents (their cgroups, networks
# and ports are their own), its own network directories (/tmp/zombie-uranus-*) and stops only
# the processes it started. Each network runs in its own process group, which is stopped
# (SIGTERM, then SIGKILL) once its test ends, and its directory is removed; a failed test's
# node logs are kept in /tmp/uranus-zombienet-<name>-logs/.
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
[ -d zombienet/node_modules ] || (cd zombienet && npm ci --no-audit --no-fund --loglevel=error) || exit 1
run_dir=$(mktemp -d /tmp/uranus-zn.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
agent_pids=(); network_pgid=""

# Stops process group $1: SIGTERM, up to 20 s for it to go, then SIGKILL.
stop_group() {
  local pgid=$1 i
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for i in $(seq 1 40); do kill -0 -- "-$pgid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}
# Lets the agents drain their warm pools (network namespaces, veths, firewall rules, loop
# devices): SIGTERM and a wait, SIGKILL only if one hangs.
stop_agents() {
  local pid i
  for pid in "${agent_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${agent_pids[@]}"; do
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  agent_pids=()
}
cleanup() {
  [ -n "$network_pgid" ] && stop_group "$network_pgid"
  stop_agents
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Starts an agent on a free loopback port with a fresh data dir; sets ZN_URL and ZN_TOKEN.
zn_agent() {
  local port dir
  port=$(free_port); dir="$run_dir/agent-$1"
  mkdir -p "$dir"; chmod 0711 "$run_dir"
  "$CARGO_TARGET_DIR/release/uranus-agent" run --data-dir "$dir/data" --listen "127.0.0.1:$port" \
    2> "$dir.log" &
  agent_pids+=($!)
  ZN_URL="http://127.0.0.1:$port"; ZN_TOKEN="$dir/data/agent.token"
}
# The `provider` network's full node talks to the first agent (zombienet/provider.toml), the
# `attest` and `upgrade` networks' two providers to both.
zn_agent 1; export AGENT_URL=$ZN_URL AGENT_TOKEN_FILE=$ZN_TOKEN
zn_agent 2; export AGENT2_URL=$ZN_URL AGENT2_TOKEN_FILE=$ZN_TOKEN
# The `upgrade` network starts on the previous release's runtime.
export UPGRADE_CHAIN_SPEC="$run_dir/local-previous.json"
node zombienet/scripts/previous-spec.js "$UPGRADE_CHAIN_SPEC" || exit 1
for t in "$@"; do
  t0=$(date +%s)
  log="/tmp/uranus-zombienet-$t.log"
  dir="/tmp/zombie-uranus-$t-$$"
  rm -rf "$dir" "/tmp/uranus-zombienet-$t-logs"
  # Its own session and process group: every node zombienet starts is in it.
  (cd zombienet && NODE_BIN="$URANUS_NODE" exec setsid npx zombienet -p native -l text -d "$dir" -f \
    test "$t.zndsl") > "$log" 2>&1 &
  zn_pid=$!
  network_pgid=$zn_pid
  if wait "$zn_pid"; then
    pass=$((pass + 1)); echo "zombienet $t: ok ($(( $(date +%s) - t0 )) s)"
  else
    fail=$((fail + 1)); echo "zombienet $t: FAILED ($(( $(date +%s) - t0 )) s)"
    grep -E '✅|❌|Error' "$log" | tail -20 || true
    mkdir -p "/tmp/uranus-zombienet-$t-logs"
    cp "$dir"/*.log "/tmp/uranus-zombienet-$t-logs/" 2>/dev/null || true
  fi
  # A js-script that crashed can leave the network's nodes behind: stop its group.
  stop_group "$network_pgid"; network_pgid=""
  rm -rf "$dir"
  grep -E 'finality-|caught-up|provider key|machine [0-9]+ on|heartbeat moved|^challenge [0-9]+ of|^upgrade: (spec|code|polkadot|all|after|before)|^election:' "$log" | cut -c1-300 || true
done
cleanup; trap - EXIT
echo "zombienet: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
