#!/usr/bin/env bash
# Installs prerequisites, builds the release binaries and starts a development chain: the
# provider agent on 127.0.0.1:8700 (data in /tmp/uranus-dev-agent) and the node with Alice as
# the only validator (state in a temporary directory), RPC on ws://127.0.0.1:9944.
# Extra arguments go to the node, e.g. `scripts/run-dev.sh --rpc-port 9955`. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked --workspace --bins
AGENT_BIN="$CARGO_TARGET_DIR/release/uranus-agent"
AGENT_DATA="${URANUS_AGENT_DATA:-/tmp/uranus-dev-agent}"
mkdir -p "$AGENT_DATA"
"$AGENT_BIN" run --data-dir "$AGENT_DATA" --listen 127.0.0.1:8700 &
AGENT_PID=$!
trap 'kill $AGENT_PID 2>/dev/null || true' EXIT
echo "==> uranus-agent on http://127.0.0.1:8700 (token: $AGENT_DATA/agent.token)"
echo "==> uranus-node --dev (polkadot.js: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944)"
"$URANUS_NODE" --dev --tmp --rpc-cors all "$@"
