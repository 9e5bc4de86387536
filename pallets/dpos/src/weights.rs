//! Weights of `pallet-dpos`.
//!
//! NOT YET GENERATED: these are conservative estimates from the storage accesses below until
//! `benchmarking.rs` runs under `frame-omni-bencher` on reference hardware.

use frame_support::weights::{constants::RocksDbWeight, Weight};

/// Weight functions of `pallet-dpos`.
pub trait WeightInfo {
	/// `vote` with `n` candidates.
	fn vote(n: u32) -> Weight;
	/// `unvote`.
	fn unvote() -> Weight;
	/// The election over `v` voters and `t` candidates.
	fn elect(v: u32, t: u32) -> Weight;
}

/// Estimates: reads `Votes`, balances (hold, freeze), `n` × `CandidateVotes` (old and new),
/// `n` candidate checks; writes the same.
impl WeightInfo for () {
	fn vote(n: u32) -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(Weight::from_parts(12_000_000, 2_600).saturating_mul(n as u64))
			.saturating_add(RocksDbWeight::get().reads(5u64 + 3 * n as u64))
			.saturating_add(RocksDbWeight::get().writes(5u64 + 2 * n as u64))
	}
	fn unvote() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4u64 + 16))
			.saturating_add(RocksDbWeight::get().writes(4u64 + 16))
	}
	fn elect(v: u32, t: u32) -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(Weight::from_parts(60_000, 0).saturating_mul(v as u64))
			.saturating_add(Weight::from_parts(80_000, 0).saturating_mul(t as u64))
			.saturating_add(RocksDbWeight::get().reads(3u64 * v as u64 + 4 * t as u64))
	}
}
