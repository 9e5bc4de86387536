#!/usr/bin/env bash
# Production release: the production runtime (`--no-default-features`: 6 s slots, one-hour
# sessions, 28-day lock-in) inside a stripped `uranus-node`, a stripped `uranus-agent`, the
# runtime's compressed Wasm and its hashes, in dist/.
#   scripts/release.sh            build and print the Wasm's blake2-256 (the on-chain code hash)
#   scripts/release.sh --verify   also rebuild the runtime from clean and check the hash repeats
#   scripts/release.sh --runtime-only
#                                 only the production runtime Wasm and its hashes (CI runs this
#                                 on every change, after `make test`). Cached by content: when
#                                 nothing the runtime is built from changed since the last build
#                                 (runtime/, pallets/, primitives/, the manifests and lock file,
#                                 rustc, the clone's path), the cached Wasm is used.
# The production runtime's Wasm has its own name in the shared target dir
# (wbuild/uranus-runtime/uranus_runtime_production.*, runtime/build.rs), so building it does not
# make the next `make test` rebuild the dev runtime. The full release's node
# (`--no-default-features`) does replace target/release/uranus-node: `make build` restores the
# dev node (`fast-runtime`) the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
dist=dist
mkdir -p "$dist"
wasm="$CARGO_TARGET_DIR/release/wbuild/uranus-runtime/uranus_runtime_production.compact.compressed.wasm"
hash_of() {
  python3 -c 'import hashlib,sys; d=open(sys.argv[1],"rb").read(); print("0x"+hashlib.blake2b(d,digest_size=32).hexdigest(), hashlib.sha256(d).hexdigest(), len(d))' "$1"
}
build() {
  cargo build --release --locked -p uranus-node --no-default-features
  cargo build --release --locked -p uranus-agent
}
# What the production runtime is built from: tracked and uncommitted content of its sources,
# the toolchain and the clone's absolute path (docs/operators.md: the hash depends on both).
runtime_inputs_key() {
  local paths=(runtime pallets primitives Cargo.toml Cargo.lock .cargo)
  { git ls-files -s -- "${paths[@]}"; git diff HEAD -- "${paths[@]}"
    git ls-files --others --exclude-standard -- "${paths[@]}" | xargs -r sha256sum
    rustc -vV; pwd; } | sha256sum | cut -c1-32
}
if [ "${1:-}" = "--runtime-only" ]; then
  cache="$CARGO_TARGET_DIR/production-runtime/$(runtime_inputs_key).wasm"
  if [ -f "$cache" ]; then
    echo "==> production runtime: unchanged since its last build (cache $cache)"
  else
    # `-p uranus-runtime` alone resolves the runtime's own default features: no `fast-runtime`.
    echo "==> production runtime (cargo build -p uranus-runtime: 6 s slots, hour sessions)"
    cargo build --release --locked -p uranus-runtime
    mkdir -p "$(dirname "$cache")"
    # One cached Wasm is enough: the newest replaces the others.
    find "$(dirname "$cache")" -name '*.wasm' -delete
    cp "$wasm" "$cache"
  fi
  cp "$cache" "$dist/uranus_runtime.compact.compressed.wasm"
  read -r blake sha size < <(hash_of "$dist/uranus_runtime.compact.compressed.wasm")
  echo "production runtime: $size bytes, blake2-256 $blake, sha256 $sha"
  echo "commit $(git rev-parse HEAD), $(rustc --version)"
  exit 0
fi
echo "==> production build (uranus-node --no-default-features, uranus-agent)"
build
strip -o "$dist/uranus-node" "$CARGO_TARGET_DIR/release/uranus-node"
strip -o "$dist/uranus-agent" "$CARGO_TARGET_DIR/release/uranus-agent"
cp "$wasm" "$dist/uranus_runtime.compact.compressed.wasm"
read -r blake sha size < <(hash_of "$dist/uranus_runtime.compact.compressed.wasm")
version=$("$dist/uranus-node" --version)
{
  echo "node:    $version"
  echo "commit:  $(git rev-parse HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "rustc:   $(rustc --version)"
  echo "runtime: uranus_runtime.compact.compressed.wasm, $size bytes"
  echo "         blake2-256 $blake (the code hash a runtime upgrade enacts)"
  echo "         sha256     $sha"
} | tee "$dist/RELEASE"
if [ "${1:-}" = "--verify" ]; then
  echo "==> rebuilding the runtime from clean to check the hash repeats"
  cargo clean --release -p uranus-runtime
  build
  read -r blake2 _ _ < <(hash_of "$wasm")
  if [ "$blake2" = "$blake" ]; then
    echo "reproducible: the rebuilt runtime hashes to $blake2 again" | tee -a "$dist/RELEASE"
  else
    echo "NOT reproducible: rebuilt runtime hashes to $blake2, first build $blake" | tee -a "$dist/RELEASE"
    exit 1
  fi
fi
echo "==> $dist/: uranus-node, uranus-agent, the runtime Wasm, RELEASE (run 'make build' to restore the dev node)"
