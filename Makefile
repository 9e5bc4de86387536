# Uranus: the two commands a newcomer needs, plus maintenance targets.
.PHONY: run test test-slow build release chain-specs setup bench fuzz

## Install prerequisites, build the node and start a dev chain on ws://127.0.0.1:9944.
run:
	scripts/run-dev.sh

## Run every test (Rust, polkadot.js, browser, zombienet) against real builds, in parallel lanes,
## with a per-phase time table and a leak check at the end (scripts/test.sh).
test:
	scripts/test.sh

## Slow suites: 100 fresh dev-node starts, each until its first finalized block; the zombienet
## hardware challenge of workload v2 (attest.zndsl); the runtime upgrade checks (try-runtime
## build: every migration's pre/post checks, try_state). CI runs one of them per change, in
## rotation, plus those the change touches (scripts/test-slow.sh ci).
test-slow: build
	scripts/test-slow.sh all

setup:
	scripts/setup.sh

build: setup
	. scripts/env.sh && cargo build --release --locked --workspace --bins

## Production release in dist/: stripped node (production runtime) and agent, the runtime Wasm
## and its hash (docs/operators.md). `make build` afterwards restores the dev node.
release: setup
	scripts/release.sh

## Regenerate chain-specs/ from the runtime presets.
chain-specs: build
	. scripts/env.sh && for c in local testnet; do "$$URANUS_NODE" export-chain-spec --chain $$c > chain-specs/$$c.json; done

## Benchmark our pallets on this machine: regenerates weights.rs and docs/benchmarks.md.
bench:
	scripts/bench.sh full

## Fuzz the runtime with libFuzzer for FUZZ_SECONDS (default 1800); crashes in fuzz/artifacts/.
fuzz:
	scripts/fuzz.sh
