#!/usr/bin/env bash
# make test: every Uranus test against real builds, scheduled on this machine's two cores.
#
#   1. build       one cargo invocation builds the binaries and every test target (one
#                  feature resolution, so nothing is compiled twice); its full log is printed
#   2. calibrated  the tests whose deadlines are calibrated to this CPU and memory run alone:
#                  the hardware-challenge pjs test, the zombienet upgrade with its challenge
#   3. lanes       three lanes side by side, of about equal length: Rust tests (one cargo
#                  test) and a zombienet network; the polkadot.js files and the load smokes;
#                  the console's browser tests and two zombienet networks
#   4. leak check  nothing the tests started or made may be left (scripts/leak-check.sh)
#
# Every phase has a time limit that kills its whole process group. Each phase's output is in
# $URANUS_TEST_LOGS/<phase>.log (default /tmp/uranus-test); a failed phase prints its tail.
# At the end: each runner's summary and a table of every phase with its lane, start and wall
# time. Exits non-zero if any phase failed.
# URANUS_TEST_ONLY="name ..." runs only those phases (after the build); for trying one lane.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
. scripts/env.sh

logs="${URANUS_TEST_LOGS:-/tmp/uranus-test}"
rm -rf "$logs"; mkdir -p "$logs"
table="$logs/phases.tsv"
run_start=$(date +%s)
only="${URANUS_TEST_ONLY:-}"
lane=main

# phase NAME LIMIT CMD...: runs CMD in its own process group with LIMIT seconds (then the
# group gets SIGTERM, and SIGKILL 30 s later), output to $logs/NAME.log; records the result.
phase() {
  local name=$1 limit=$2 t0 rc dt note=""
  shift 2
  if [ -n "$only" ] && [ "$name" != leak-check ] && [[ " $only " != *" $name "* ]]; then return 0; fi
  t0=$(date +%s)
  echo "==> [$lane] $name"
  # `bash -c` so that CMD may be one of the functions below (exported).
  timeout -k 30 "$limit" bash -c '"$@"' "$name" "$@" > "$logs/$name.log" 2>&1 < /dev/null
  rc=$?
  dt=$(( $(date +%s) - t0 ))
  [ "$rc" -eq 124 ] && note=", over its ${limit} s limit"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$lane" "$rc" "$(( t0 - run_start ))" "$dt" >> "$table"
  if [ "$rc" -eq 0 ]; then
    echo "==> [$lane] $name: ok ($dt s)"
  else
    echo "==> [$lane] $name: FAILED (exit $rc$note, $dt s; $logs/$name.log)"
    tail -n 40 "$logs/$name.log" | sed "s/^/    $name | /"
  fi
  return "$rc"
}

# The pjs and console files, one phase each (`node --test` per file).
pjs() { (cd tests/pjs && exec node --test --test-concurrency=1 "$1.test.mjs"); }
# pipefail: the phase runs in a fresh `bash -c`, which does not inherit it, and a failed
# `node --test` must not pass as grep's success.
console_tests() {
  set -o pipefail
  cd console && npm run --silent typecheck && node --test --test-concurrency=1 tests/*.test.mjs 2>&1 \
    | grep -vE 'REGISTRY|API/INIT'
}
cargo_tests() { cargo test --release --locked --workspace --no-fail-fast "$@"; }
export -f pjs console_tests cargo_tests

scripts/leak-check.sh snapshot "$logs/host-before.txt"

# 1. Build. The npm installs go alongside (network and disk, little CPU).
lane=build
( for d in tests/pjs console zombienet; do
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
  done ) > "$logs/npm-ci.log" 2>&1 &
npm_pid=$!
echo "==> [build] cargo build --release --workspace --bins --tests (full log below; timings in $CARGO_TARGET_DIR/cargo-timings/)"
build_t0=$(date +%s)
cargo build --release --locked --workspace --bins --tests --timings 2>&1 | tee "$logs/build.log"
build_rc=${PIPESTATUS[0]}
printf '%s\t%s\t%s\t%s\t%s\n' build build "$build_rc" 0 "$(( $(date +%s) - build_t0 ))" >> "$table"
python3 scripts/source-mtimes.py save || true
echo "==> [build] $(grep -c '^ *Compiling ' "$logs/build.log") crates compiled, $(( $(date +%s) - build_t0 )) s"
wait "$npm_pid"; npm_rc=$?
[ "$npm_rc" -eq 0 ] || { echo "npm ci failed:"; cat "$logs/npm-ci.log"; }

status=0
if [ "$build_rc" -ne 0 ] || [ "$npm_rc" -ne 0 ]; then
  status=1
else
  # 2. Calibrated tests, alone on the machine.
  lane=calibrated
  phase pjs-attest 1800 pjs attest || status=1
  phase zombienet-upgrade 1200 scripts/zombienet.sh upgrade || status=1

  # 3. Three lanes side by side.
  rust_lane() {
    local s=0
    lane=rust
    # One cargo invocation for every test target: selecting targets (`--lib`, `--bins`) would
    # override `test = false` and compile the node and the runtime in test mode once more.
    # The summary below breaks it down by test binary.
    phase cargo-test 2400 cargo_tests || s=1
    phase zombienet-election 1200 scripts/zombienet.sh election || s=1
    return $s
  }
  pjs_lane() {
    local s=0 f
    lane=pjs
    for f in dev-node poc rewards market gateway; do phase "pjs-$f" 1200 pjs "$f" || s=1; done
    phase stps-smoke 600 bash -c 'cd tests/pjs && node load/stps.mjs --smoke' || s=1
    phase metering-smoke 900 bash -c 'cd tests/pjs && node load/metering.mjs --smoke' || s=1
    return $s
  }
  web_lane() {
    local s=0 t
    lane=web
    phase console 1500 console_tests || s=1
    for t in validator-loss provider; do
      phase "zombienet-$t" 1200 scripts/zombienet.sh "$t" || s=1
    done
    return $s
  }
  rust_lane & rust_pid=$!
  pjs_lane & pjs_pid=$!
  web_lane & web_pid=$!
  for pid in $rust_pid $pjs_pid $web_pid; do wait "$pid" || status=1; done
fi

# 4. Nothing left behind.
lane=hygiene
phase leak-check 60 scripts/leak-check.sh check "$logs/host-before.txt" || status=1
cat "$logs/leak-check.log"

echo "==> summary"
# cargo test: a line per test binary with its result and its own time.
awk '/^ +Running /{ p = $NF; gsub(/[()]/, "", p); n = split(p, a, "/"); sub(/-[0-9a-f]+$/, "", a[n])
       bin = a[n] " " $(NF - 1) }
     /^test result:/{ sub(/^test result: /, ""); printf "cargo %-34s %s\n", bin, $0 }' \
  "$logs/cargo-test.log" 2>/dev/null || true
for f in "$logs"/pjs-*.log "$logs"/console.log; do
  [ -f "$f" ] || continue
  echo "$(basename "$f" .log): $(grep -E '^# (pass|fail) ' "$f" | tr '\n' ' ')"
done
grep -hE '^stps' "$logs/stps-smoke.log" 2>/dev/null || true
grep -hE '^metering' "$logs/metering-smoke.log" 2>/dev/null || true
grep -hE '^zombienet: [0-9]+ passed' "$logs"/zombienet-*.log 2>/dev/null || true
echo
echo "==> phases (wall time; lanes run side by side, so the total is less than their sum)"
printf '%-22s %-11s %-7s %9s %8s\n' phase lane result 'start s' 'wall s'
sort -t$'\t' -k4,4n "$table" | while IFS=$'\t' read -r name ln rc start dt; do
  [ "$rc" -eq 0 ] && r=ok || r="FAIL($rc)"
  printf '%-22s %-11s %-7s %9s %8s\n' "$name" "$ln" "$r" "$start" "$dt"
done
awk -F'\t' '{ s[$2] += $5 } END { for (l in s) printf "lane %-11s busy %6d s\n", l, s[l] }' "$table" | sort
echo "total: $(( $(date +%s) - run_start )) s (make test, from setup to the leak check)"
exit $status
