# Shared environment for the scripts: one target dir outside the clone, reused between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/uranus/target}"
export URANUS_NODE="${URANUS_NODE:-$CARGO_TARGET_DIR/release/uranus-node}"
mkdir -p "$CARGO_TARGET_DIR"
