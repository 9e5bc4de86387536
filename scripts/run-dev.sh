#!/usr/bin/env bash
# Installs prerequisites, builds the release binaries and starts a development chain: the
# provider agent on 127.0.0.1:8700 (data in /tmp/uranus-dev-agent) and the node with Alice as
# the only validator (state in a temporary directory), RPC on ws://127.0.0.1:9944. Once the
# RPC is up, the provider key //Alice (override with URANUS_PROVIDER_SURI, empty to skip) is
# inserted, so the off-chain worker registers this machine from the agent's hardware; once
# it is a provider, its lease gateway (https://127.0.0.1:8443, URANUS_GATEWAY_PORT) is
# announced on chain with `uranus provider set-gateway`, so users reach their leases' logs,
# shells and results with the `uranus` CLI or the console.
# The Uranus Console is built and served on http://127.0.0.1:8080 (URANUS_CONSOLE_PORT).
# Extra arguments go to the node, e.g. `scripts/run-dev.sh --rpc-port 9955`. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked --workspace --bins
AGENT_BIN="$CARGO_TARGET_DIR/release/uranus-agent"
AGENT_DATA="${URANUS_AGENT_DATA:-/tmp/uranus-dev-agent}"
mkdir -p "$AGENT_DATA"
GATEWAY_PORT="${URANUS_GATEWAY_PORT:-8443}"
"$AGENT_BIN" run --data-dir "$AGENT_DATA" --listen 127.0.0.1:8700 \
  --gateway-listen "127.0.0.1:$GATEWAY_PORT" --node-rpc http://127.0.0.1:9944 &
AGENT_PID=$!
trap 'kill $AGENT_PID 2>/dev/null || true' EXIT
echo "==> uranus-agent on http://127.0.0.1:8700 (token: $AGENT_DATA/agent.token), lease gateway on https://127.0.0.1:$GATEWAY_PORT"
CONSOLE_PORT="${URANUS_CONSOLE_PORT:-8080}"
(cd console && npm ci --no-audit --no-fund --loglevel=error && node build.mjs)
node console/serve.mjs "$CONSOLE_PORT" &
CONSOLE_PID=$!
trap 'kill $AGENT_PID $CONSOLE_PID 2>/dev/null || true' EXIT
echo "==> Uranus Console on http://127.0.0.1:$CONSOLE_PORT/ (talks to ws://127.0.0.1:9944)"
PROVIDER_SURI="${URANUS_PROVIDER_SURI-//Alice}"
insert_provider_key() {
  local rpc=http://127.0.0.1:9944 body
  for _ in $(seq 1 120); do
    body=$(printf '{"id":1,"jsonrpc":"2.0","method":"author_insertKey","params":["cmpt","%s","%s"]}' \
      "$PROVIDER_SURI" "$("$URANUS_NODE" key inspect --scheme sr25519 --output-type json "$PROVIDER_SURI" | sed -n 's/.*"publicKey": *"\(0x[0-9a-f]*\)".*/\1/p')")
    if curl -sf -H 'Content-Type: application/json' -d "$body" "$rpc" >/dev/null 2>&1; then
      echo "==> provider key $PROVIDER_SURI inserted: the off-chain worker registers this machine"
      return
    fi
    sleep 1
  done
  echo "could not insert the provider key over RPC" >&2
}
# Announces the gateway once the worker has registered the provider (the chain refuses it
# before: registry.NotProvider), retrying for up to 5 minutes.
announce_gateway() {
  local fingerprint
  fingerprint=$("$AGENT_BIN" gateway-fingerprint --data-dir "$AGENT_DATA")
  for _ in $(seq 1 60); do
    if URANUS_SURI="$PROVIDER_SURI" "$CARGO_TARGET_DIR/release/uranus" provider set-gateway \
      --gateway-url "https://127.0.0.1:$GATEWAY_PORT" --tls-sha256 "$fingerprint" >/dev/null 2>&1; then
      echo "==> lease gateway https://127.0.0.1:$GATEWAY_PORT announced (certificate SHA-256 $fingerprint)"
      return
    fi
    sleep 5
  done
  echo "could not announce the lease gateway (is $PROVIDER_SURI a provider yet?)" >&2
}
if [ -n "$PROVIDER_SURI" ]; then (insert_provider_key && announce_gateway) & fi
echo "==> uranus-node --dev (polkadot.js: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944)"
"$URANUS_NODE" --dev --tmp --rpc-cors all \
  --agent-url http://127.0.0.1:8700 --agent-token-file "$AGENT_DATA/agent.token" "$@"
