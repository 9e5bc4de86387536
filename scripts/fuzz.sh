#!/usr/bin/env bash
# Fuzzes the real runtime with libFuzzer (cargo-fuzz on a nightly toolchain) for
# FUZZ_SECONDS (default 1800). The committed corpus (fuzz/corpus/runtime) seeds it and is only
# read; new inputs go to a scratch corpus, crashes to fuzz/artifacts/runtime/. Prints
# libFuzzer's final stats (executions, coverage edges `cov`, features `ft`).
#   FUZZ_SECONDS=60 make fuzz     # a short run
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
seconds="${FUZZ_SECONDS:-1800}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# The native runtime is what runs; its Wasm is not needed. The instrumented nightly build
# lives in its own target dir so that it never locks or invalidates the normal one.
export SKIP_WASM_BUILD=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/uranus/fuzz-target}"
scratch="${FUZZ_CORPUS:-$(mktemp -d /tmp/uranus-fuzz-corpus.XXXXXX)}"
mkdir -p fuzz/artifacts/runtime "$scratch"
echo "==> fuzzing the runtime for ${seconds} s (new inputs: $scratch)"
start=$(date +%s)
cargo +nightly fuzz run --fuzz-dir fuzz --features libfuzzer --release runtime \
  "$scratch" fuzz/corpus/runtime -- \
  -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=60 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix=fuzz/artifacts/runtime/ 2>&1 | tee /tmp/uranus-fuzz.log
echo "==> fuzz: $(( $(date +%s) - start )) s in all (build included); $(ls "$scratch" | wc -l) inputs in $scratch"
grep -E '^stat::|DONE|cov:' /tmp/uranus-fuzz.log | tail -12
