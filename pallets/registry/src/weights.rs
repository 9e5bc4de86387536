//! Weights of `pallet-registry`.
//!
//! NOT YET GENERATED: estimates from each call's storage accesses (ParityDB costs) until
//! `benchmarking.rs` lands and `make bench` measures them.

use frame_support::weights::{constants::ParityDbWeight, Weight};

/// Weight functions of `pallet-registry`.
pub trait WeightInfo {
	/// `register_provider`.
	fn register_provider() -> Weight;
	/// `update_provider`.
	fn update_provider() -> Weight;
	/// `deregister_provider`.
	fn deregister_provider() -> Weight;
	/// `withdraw_provider`.
	fn withdraw_provider() -> Weight;
	/// `register_machine`.
	fn register_machine() -> Weight;
	/// `update_machine` on a machine with the maximum of containers.
	fn update_machine() -> Weight;
	/// `remove_machine` with `c` containers.
	fn remove_machine(c: u32) -> Weight;
	/// `add_container` on a machine with the maximum of containers.
	fn add_container() -> Weight;
	/// `remove_container`.
	fn remove_container() -> Weight;
	/// `heartbeat` of a machine with `c` containers (each reported to PoC).
	fn heartbeat(c: u32) -> Weight;
	/// The offline sweep checking `n` machines.
	fn sweep(n: u32) -> Weight;
	/// `publish_image`.
	fn publish_image() -> Weight;
	/// `set_image_fee`.
	fn set_image_fee() -> Weight;
	/// `verify_image`.
	fn verify_image() -> Weight;
	/// `remove_image`.
	fn remove_image() -> Weight;
}

fn rw(r: u64, w: u64) -> Weight {
	ParityDbWeight::get().reads_writes(r, w)
}

impl WeightInfo for () {
	fn register_provider() -> Weight {
		Weight::from_parts(60_000_000, 4_000).saturating_add(rw(3, 3))
	}
	fn update_provider() -> Weight {
		Weight::from_parts(30_000_000, 4_000).saturating_add(rw(1, 1))
	}
	fn deregister_provider() -> Weight {
		Weight::from_parts(30_000_000, 4_000).saturating_add(rw(1, 1))
	}
	fn withdraw_provider() -> Weight {
		Weight::from_parts(60_000_000, 4_000).saturating_add(rw(3, 3))
	}
	fn register_machine() -> Weight {
		Weight::from_parts(70_000_000, 6_000).saturating_add(rw(4, 5))
	}
	fn update_machine() -> Weight {
		Weight::from_parts(60_000_000, 40_000).saturating_add(rw(1 + 32, 1))
	}
	fn remove_machine(c: u32) -> Weight {
		Weight::from_parts(70_000_000, 6_000)
			.saturating_add(Weight::from_parts(60_000_000, 3_000).saturating_mul(c as u64))
			.saturating_add(rw(4 + 8 * c as u64, 4 + 8 * c as u64))
	}
	fn add_container() -> Weight {
		Weight::from_parts(200_000_000, 40_000).saturating_add(rw(4 + 32 + 17, 4 + 8))
	}
	fn remove_container() -> Weight {
		Weight::from_parts(120_000_000, 8_000).saturating_add(rw(4 + 5, 4 + 6))
	}
	fn heartbeat(c: u32) -> Weight {
		Weight::from_parts(30_000_000, 6_000)
			.saturating_add(Weight::from_parts(170_000_000, 12_000).saturating_mul(c as u64))
			.saturating_add(rw(1 + 18 * c as u64, 1 + 8 * c as u64))
	}
	fn sweep(n: u32) -> Weight {
		Weight::from_parts(2_000_000, 0)
			.saturating_add(Weight::from_parts(5_000_000, 6_000).saturating_mul(n as u64))
			.saturating_add(rw(2 + n as u64, 1))
	}
	fn publish_image() -> Weight {
		Weight::from_parts(60_000_000, 4_000).saturating_add(rw(3, 3))
	}
	fn set_image_fee() -> Weight {
		Weight::from_parts(30_000_000, 4_000).saturating_add(rw(1, 1))
	}
	fn verify_image() -> Weight {
		Weight::from_parts(30_000_000, 4_000).saturating_add(rw(1, 1))
	}
	fn remove_image() -> Weight {
		Weight::from_parts(60_000_000, 4_000).saturating_add(rw(3, 3))
	}
}
