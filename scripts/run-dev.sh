#!/usr/bin/env bash
# Installs prerequisites, builds the release node and starts a development chain
# (Alice validating alone, state in a temporary directory). RPC: ws://127.0.0.1:9944.
# Extra arguments are passed to the node, e.g. `scripts/run-dev.sh --rpc-port 9955`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked -p uranus-node
echo "==> starting $URANUS_NODE --dev (polkadot.js: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944)"
exec "$URANUS_NODE" --dev --tmp --rpc-cors all "$@"
