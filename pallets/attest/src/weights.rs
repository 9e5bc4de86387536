//! Weights of the attestation pallet.
//!
//! Placeholder values until `scripts/bench.sh` generates them (see `benchmarking.rs`).

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Weight functions of this pallet.
pub trait WeightInfo {
	fn commit() -> Weight;
	fn reveal(l: u32) -> Weight;
	fn seal_verdict() -> Weight;
	fn reveal_verdict(v: u32, c: u32) -> Weight;
	fn advance_idle() -> Weight;
	fn advance_judge(v: u32, c: u32) -> Weight;
	fn walk(p: u32) -> Weight;
	fn start(v: u32) -> Weight;
}

/// Weights measured on the reference machine.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn commit() -> Weight {
		Weight::from_parts(40_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads_writes(3, 3))
	}
	fn reveal(l: u32) -> Weight {
		Weight::from_parts(50_000_000, 3_600)
			.saturating_add(Weight::from_parts(400_000, 32).saturating_mul(l.into()))
			.saturating_add(T::DbWeight::get().reads_writes(3, 4))
	}
	fn seal_verdict() -> Weight {
		Weight::from_parts(30_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn reveal_verdict(v: u32, c: u32) -> Weight {
		Self::advance_judge(v, c).saturating_add(Weight::from_parts(30_000_000, 0))
	}
	fn advance_idle() -> Weight {
		Weight::from_parts(5_000_000, 1_500).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn advance_judge(v: u32, c: u32) -> Weight {
		Weight::from_parts(120_000_000, 20_000)
			.saturating_add(Weight::from_parts(60_000_000, 6_000).saturating_mul(v.into()))
			.saturating_add(Weight::from_parts(40_000_000, 3_000).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads_writes(10, 10))
			.saturating_add(T::DbWeight::get().reads_writes(4, 4).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads_writes(6, 6).saturating_mul(c.into()))
	}
	fn walk(p: u32) -> Weight {
		Weight::from_parts(20_000_000, 1_500)
			.saturating_add(Weight::from_parts(15_000_000, 3_600).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2).saturating_mul(p.into()))
	}
	fn start(v: u32) -> Weight {
		Weight::from_parts(80_000_000, 4_000)
			.saturating_add(Weight::from_parts(20_000_000, 3_600).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads_writes(6, 6))
			.saturating_add(T::DbWeight::get().reads_writes(2, 1).saturating_mul(v.into()))
	}
}

impl WeightInfo for () {
	fn commit() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn reveal(_: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn seal_verdict() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn reveal_verdict(_: u32, _: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn advance_idle() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn advance_judge(_: u32, _: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn walk(_: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn start(_: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
}
