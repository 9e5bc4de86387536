//! Weights of `pallet-poc`.
//!
//! Regenerate with `make bench` (`uranus-node benchmark pallet --pallet pallet_poc`); until
//! then these are the storage accesses of each path at ParityDB-like costs.

use frame_support::weights::{constants::ParityDbWeight, Weight};

/// Weight functions of `pallet-poc`.
pub trait WeightInfo {
	/// `set_gradient` with `n` steps.
	fn set_gradient(n: u32) -> Weight;
	/// `set_sigma_bounds`.
	fn set_sigma_bounds() -> Weight;
	/// `set_tiers`.
	fn set_tiers() -> Weight;
	/// `set_points`.
	fn set_points() -> Weight;
	/// `on_initialize` on a block without σ adjustment.
	fn on_initialize_idle(c: u32) -> Weight;
	/// `on_initialize` adjusting σ of every resource.
	fn on_initialize_adjust(c: u32) -> Weight;
	/// The registry's heartbeat hook ([`crate::ContributionHooks::container_online`]).
	fn container_online(c: u32) -> Weight;
	/// [`crate::ContributionHooks::container_offline`].
	fn container_offline(c: u32) -> Weight;
	/// [`crate::ContributionHooks::lease_outcome`].
	fn lease_outcome(c: u32) -> Weight;
	/// [`crate::ContributionHooks::note_demand`].
	fn note_demand() -> Weight;
	/// [`crate::Scheduler::next_candidates`] examining up to `MaxScan` containers for `n`;
	/// `c` (containers known) is a benchmark component showing the cost does not grow with it.
	fn next_candidates(n: u32, c: u32) -> Weight;
}

impl WeightInfo for () {
	fn set_gradient(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_000)
			.saturating_add(Weight::from_parts(100_000, 12).saturating_mul(n as u64))
			.saturating_add(ParityDbWeight::get().writes(1))
	}
	fn set_sigma_bounds() -> Weight {
		Weight::from_parts(10_000_000, 1_000).saturating_add(ParityDbWeight::get().writes(1))
	}
	fn set_tiers() -> Weight {
		Weight::from_parts(10_000_000, 1_000).saturating_add(ParityDbWeight::get().writes(1))
	}
	fn set_points() -> Weight {
		Weight::from_parts(10_000_000, 1_000).saturating_add(ParityDbWeight::get().writes(1))
	}
	fn on_initialize_idle(_c: u32) -> Weight {
		Weight::from_parts(1_000_000, 0)
	}
	fn on_initialize_adjust(_c: u32) -> Weight {
		Weight::from_parts(40_000_000, 2_000)
			.saturating_add(ParityDbWeight::get().reads(7))
			.saturating_add(ParityDbWeight::get().writes(7))
	}
	fn container_online(_c: u32) -> Weight {
		Weight::from_parts(60_000_000, 6_000)
			.saturating_add(ParityDbWeight::get().reads(12))
			.saturating_add(ParityDbWeight::get().writes(8))
	}
	fn container_offline(_c: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads(4))
			.saturating_add(ParityDbWeight::get().writes(5))
	}
	fn lease_outcome(_c: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(ParityDbWeight::get().reads(6))
			.saturating_add(ParityDbWeight::get().writes(6))
	}
	fn note_demand() -> Weight {
		Weight::from_parts(5_000_000, 600)
			.saturating_add(ParityDbWeight::get().reads(1))
			.saturating_add(ParityDbWeight::get().writes(1))
	}
	fn next_candidates(n: u32, _c: u32) -> Weight {
		Weight::from_parts(20_000_000, 2_000)
			.saturating_add(Weight::from_parts(2_000_000, 400).saturating_mul(n as u64))
			.saturating_add(ParityDbWeight::get().reads(8 + 64 * 3))
			.saturating_add(ParityDbWeight::get().writes(2 + 64))
	}
}
