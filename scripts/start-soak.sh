#!/usr/bin/env bash
# Start/stop soak of the dev node: N fresh `uranus-node --dev --tmp` starts (default 100),
# each run until its first finalized block (or a 90 s timeout), then stopped with SIGINT.
# Reports every failure with the tail of its log, and the time to the first finalized block.
#   scripts/start-soak.sh [N]         (make test-slow runs 100, make test a short one)
# Extra node arguments come from SOAK_NODE_ARGS (e.g. "--pool-type single-state").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
n="${1:-100}"
[ -x "$URANUS_NODE" ] || { echo "build the node first (make build)" >&2; exit 1; }
logs=$(mktemp -d /tmp/uranus-soak.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc() { curl -s -m 2 -H 'Content-Type: application/json' -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$2\",\"params\":$3}" "http://127.0.0.1:$1" 2>/dev/null || true; }
finalized_number() {
  local hash; hash=$(rpc "$1" chain_getFinalizedHead '[]' | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p')
  [ -n "$hash" ] || { echo 0; return; }
  local num; num=$(rpc "$1" chain_getHeader "[\"$hash\"]" | sed -n 's/.*"number":"\(0x[0-9a-f]*\)".*/\1/p')
  echo $(( ${num:-0} ))
}
fails=0; total_ms=0; ok=0; max_ms=0
for i in $(seq 1 "$n"); do
  rpc_port=$(free_port); p2p_port=$(free_port)
  log="$logs/start-$i.log"
  # shellcheck disable=SC2086
  "$URANUS_NODE" --dev --tmp --rpc-port "$rpc_port" --port "$p2p_port" --no-prometheus \
    --no-telemetry ${SOAK_NODE_ARGS:-} > "$log" 2>&1 &
  pid=$!
  t0=$(date +%s%N); result=timeout
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then result=exited; break; fi
    if [ "$(finalized_number "$rpc_port")" -ge 1 ]; then result=ok; break; fi
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 90000 ] && break
    sleep 0.2
  done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$result" = ok ]; then
    ok=$((ok + 1)); total_ms=$((total_ms + ms)); [ "$ms" -gt "$max_ms" ] && max_ms=$ms
    rm -f "$log"
  else
    fails=$((fails + 1))
    echo "start $i: $result after $ms ms; log $log:"; tail -5 "$log" | sed 's/^/    /'
  fi
done
mean=$(( ok > 0 ? total_ms / ok : 0 ))
echo "start-soak: $ok/$n starts reached a finalized block, $fails failed; first finalized block after mean $mean ms, max $max_ms ms"
[ "$fails" -eq 0 ]
