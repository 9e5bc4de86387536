//! The measured base weights (`runtime/src/weights/`, written by `uranus-node benchmark
//! overhead` and `storage`) are in sane bounds. They were the runtime library's own unit
//! tests; they live here so that `cargo test` compiles the runtime crate once.

use frame_support::weights::constants::{WEIGHT_REF_TIME_PER_MICROS, WEIGHT_REF_TIME_PER_MILLIS};
use uranus_runtime::weights::{
	block_weights::BlockExecutionWeight, extrinsic_weights::ExtrinsicBaseWeight,
	paritydb_weights::constants::ParityDbWeight,
};

#[test]
fn block_execution_weight_is_between_100_us_and_50_ms() {
	let w = BlockExecutionWeight::get().ref_time();
	assert!(w >= 100 * WEIGHT_REF_TIME_PER_MICROS, "at least 100 µs: {w}");
	assert!(w <= 50 * WEIGHT_REF_TIME_PER_MILLIS, "at most 50 ms: {w}");
}

#[test]
fn extrinsic_base_weight_is_between_10_us_and_1_ms() {
	let w = ExtrinsicBaseWeight::get().ref_time();
	assert!(w >= 10 * WEIGHT_REF_TIME_PER_MICROS, "at least 10 µs: {w}");
	assert!(w <= WEIGHT_REF_TIME_PER_MILLIS, "at most 1 ms: {w}");
}

#[test]
fn paritydb_reads_and_writes_are_between_1_us_and_1_ms() {
	let db = ParityDbWeight::get();
	for (what, w) in [("read", db.reads(1).ref_time()), ("write", db.writes(1).ref_time())] {
		assert!(w >= WEIGHT_REF_TIME_PER_MICROS, "{what} at least 1 µs: {w}");
		assert!(w <= WEIGHT_REF_TIME_PER_MILLIS, "{what} at most 1 ms: {w}");
	}
}
