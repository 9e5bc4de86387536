//! Weights of `pallet-market`.
//!
//! NOT YET GENERATED: estimates from each call's storage accesses (ParityDB costs) until
//! `benchmarking.rs` lands and `make bench` measures them.

use frame_support::weights::{constants::ParityDbWeight, Weight};

/// Weight functions of `pallet-market`.
pub trait WeightInfo {
	/// `place_order` of `r` replicas (each may become a lease).
	fn place_order(r: u32) -> Weight;
	/// `ack_lease`.
	fn ack_lease() -> Weight;
	/// `report_metering`.
	fn report_metering() -> Weight;
	/// `complete_lease`.
	fn complete_lease() -> Weight;
	/// `fail_lease` (re-schedules the replica).
	fn fail_lease() -> Weight;
	/// `cancel_order` with `r` leases.
	fn cancel_order(r: u32) -> Weight;
	/// `set_base_prices`.
	fn set_base_prices() -> Weight;
	/// `top_up` of an order with `r` leases.
	fn top_up(r: u32) -> Weight;
	/// `rate_lease`.
	fn rate_lease() -> Weight;
	/// `dispute_lease`.
	fn dispute_lease() -> Weight;
	/// `resolve_dispute` (slashes a provider deposit).
	fn resolve_dispute() -> Weight;
	/// `on_initialize` handling `d` deadlines and `m` waiting orders.
	fn on_initialize(d: u32, m: u32) -> Weight;
}

fn rw(r: u64, w: u64) -> Weight {
	ParityDbWeight::get().reads_writes(r, w)
}

impl WeightInfo for () {
	fn place_order(r: u32) -> Weight {
		// Image, hold, PoC scheduling (up to 64 candidates × container, machine, provider).
		Weight::from_parts(2_500_000_000, 60_000)
			.saturating_add(Weight::from_parts(200_000_000, 8_000).saturating_mul(r as u64))
			.saturating_add(rw(8 + 3 * 64 + 8 * r as u64, 6 + 6 * r as u64))
	}
	fn ack_lease() -> Weight {
		Weight::from_parts(150_000_000, 12_000).saturating_add(rw(6, 6))
	}
	fn report_metering() -> Weight {
		Weight::from_parts(200_000_000, 12_000).saturating_add(rw(8, 7))
	}
	fn complete_lease() -> Weight {
		Weight::from_parts(300_000_000, 16_000).saturating_add(rw(14, 12))
	}
	fn fail_lease() -> Weight {
		Weight::from_parts(300_000_000, 16_000).saturating_add(rw(14, 12))
	}
	fn cancel_order(r: u32) -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(Weight::from_parts(250_000_000, 12_000).saturating_mul(r as u64))
			.saturating_add(rw(3 + 10 * r as u64, 3 + 8 * r as u64))
	}
	fn set_base_prices() -> Weight {
		Weight::from_parts(20_000_000, 0).saturating_add(rw(0, 1))
	}
	fn top_up(r: u32) -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(Weight::from_parts(20_000_000, 2_000).saturating_mul(r as u64))
			.saturating_add(rw(3 + r as u64, 3 + r as u64))
	}
	fn rate_lease() -> Weight {
		Weight::from_parts(60_000_000, 8_000).saturating_add(rw(5, 4))
	}
	fn dispute_lease() -> Weight {
		Weight::from_parts(80_000_000, 8_000).saturating_add(rw(4, 3))
	}
	fn resolve_dispute() -> Weight {
		Weight::from_parts(150_000_000, 12_000).saturating_add(rw(8, 7))
	}
	fn on_initialize(d: u32, m: u32) -> Weight {
		Weight::from_parts(5_000_000, 2_000)
			.saturating_add(Weight::from_parts(300_000_000, 16_000).saturating_mul(d as u64))
			.saturating_add(Weight::from_parts(2_500_000_000, 60_000).saturating_mul(m as u64))
			.saturating_add(rw(
				2 + 14 * d as u64 + 200 * m as u64,
				1 + 12 * d as u64 + 20 * m as u64,
			))
	}
}
