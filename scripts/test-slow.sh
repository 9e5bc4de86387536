#!/usr/bin/env bash
# The slow suites, which do not fit in `make test`:
#   soak-1 … soak-5    20 fresh dev-node starts each, until the first finalized block
#                      (scripts/start-soak.sh; the five together are the 100-start soak)
#   zombienet-attest   the hardware challenge of workload v2 on a live network (attest.zndsl)
#   try-runtime        the runtime upgrade checks in a try-runtime build: every migration's
#                      pre/post checks and every pallet's try_state (tests/runtime/upgrade.rs)
#
#   scripts/test-slow.sh all          every suite (make test-slow)
#   scripts/test-slow.sh ci           what CI runs after make test: one suite chosen by the
#                                     commit hash (the slots rotate), plus every suite whose
#                                     code the change touches (runtime/ or a pallet's
#                                     migrations -> try-runtime; pallets/attest or the agent's
#                                     challenge code -> zombienet-attest)
#   scripts/test-slow.sh SUITE...     the named suites
# The change is the diff from $URANUS_CI_BASE, else from the last commit CI tested on this
# machine (recorded in the target dir) when it is an ancestor of HEAD, else from HEAD~1.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

SLOTS=(soak-1 soak-2 soak-3 soak-4 soak-5 zombienet-attest try-runtime)
last_tested="$CARGO_TARGET_DIR/.uranus-ci-last-tested"

run_suite() {
  case "$1" in
    soak-[1-5]) scripts/start-soak.sh 20 ;;
    zombienet-attest) scripts/zombienet.sh attest ;;
    try-runtime)
      SKIP_WASM_BUILD=1 cargo test --release --locked -p uranus-runtime \
        --features try-runtime,fast-runtime --test runtime upgrade:: ;;
    *) echo "unknown slow suite: $1 (one of ${SLOTS[*]})" >&2; return 2 ;;
  esac
}

# The suites CI runs for this commit, one per line, with the reason.
ci_choice() {
  local head slot base changed
  head=$(git rev-parse HEAD)
  slot=$(( 16#${head:0:8} % ${#SLOTS[@]} ))
  echo "${SLOTS[$slot]} rotation (slot $slot of ${#SLOTS[@]}, from the commit hash)"
  base="${URANUS_CI_BASE:-}"
  if [ -z "$base" ] && [ -f "$last_tested" ]; then
    base=$(cat "$last_tested")
    git merge-base --is-ancestor "$base" HEAD 2>/dev/null || base=""
  fi
  base="${base:-$(git rev-parse HEAD~1 2>/dev/null || git rev-parse HEAD)}"
  changed=$(git diff --name-only "$base" HEAD)
  if grep -qE '^runtime/|^pallets/[^/]+/src/migrations' <<<"$changed"; then
    echo "try-runtime path trigger (runtime/ or a pallet's migrations changed since ${base:0:10})"
  fi
  if grep -qE '^pallets/attest/|^agent/src/challenge\.rs$' <<<"$changed"; then
    echo "zombienet-attest path trigger (pallets/attest or agent/src/challenge.rs changed since ${base:0:10})"
  fi
}

case "${1:-}" in
  all) suites=(soak-all zombienet-attest try-runtime) ;;
  ci)
    ci_choice | sed 's/^/slow suite: /'
    mapfile -t suites < <(ci_choice | awk '{print $1}' | awk '!seen[$0]++')
    ;;
  '') echo "usage: $0 all | ci | SUITE... (${SLOTS[*]})" >&2; exit 2 ;;
  *) suites=("$@") ;;
esac

status=0
for s in "${suites[@]}"; do
  t0=$(date +%s)
  if [ "$s" = soak-all ]; then scripts/start-soak.sh 100; else run_suite "$s"; fi
  rc=$?
  echo "slow suite $s: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") ($(( $(date +%s) - t0 )) s)"
  [ $rc -eq 0 ] || status=1
done
[ "${1:-}" = ci ] && [ $status -eq 0 ] && git rev-parse HEAD > "$last_tested"
exit $status
