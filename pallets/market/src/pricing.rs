//! Prices and charges: pure arithmetic, no storage.
//!
//! Units (all prices in plancks, 10⁻¹² URA):
//!
//! | resource | price unit | metered as |
//! |---|---|---|
//! | CPU | one core-second of CPU time | `cpu_micros` / 10⁶ |
//! | memory | one GiB-second | `memory_byte_seconds` / 2³⁰ |
//! | network | one MiB sent or received | (`net_rx_bytes` + `net_tx_bytes`) / 2²⁰ |
//! | storage | one GiB-second of the reserved scratch volume | `disk_bytes` × wall seconds / 2³⁰ |
//!
//! **Effective price** of resource r when a lease is made:
//! `p_r = base_r × σ_r / σ₁` (σ from PoC, σ₁ = 1.0), and the order matches only while
//! `p_r ≤ cap_r` for every r — the user's caps bound what σ-driven demand can cost. The lease
//! keeps the prices it was made with.
//!
//! **Escrow** of one replica = the worst case the lease can consume at its caps:
//! `spec × max duration × caps` + the image's usage fee, plus the protocol fee on it.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use uranus_primitives::compute::ResourceSpec;

/// Bytes in a GiB.
pub const GIB: u128 = 1 << 30;
/// Bytes in a MiB.
pub const MIB: u128 = 1 << 20;
/// Microseconds in a second.
pub const MICROS: u128 = 1_000_000;
/// σ = 1.0 (PoC's fixed point).
pub const SIGMA_ONE: u128 = 1_000_000;

/// A price per unit of each resource (see the module docs for the units).
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
	/// Per core-second of CPU time.
	pub cpu_core_second: u128,
	/// Per GiB-second of memory.
	pub memory_gib_second: u128,
	/// Per MiB of network traffic.
	pub network_mib: u128,
	/// Per GiB-second of reserved storage.
	pub storage_gib_second: u128,
}

impl Prices {
	/// `base` scaled by σ (PoC order: CPU, memory, storage, bandwidth).
	pub fn scaled(base: &Prices, sigmas: [u64; 4]) -> Prices {
		let s = |p: u128, sigma: u64| p.saturating_mul(sigma as u128) / SIGMA_ONE;
		Prices {
			cpu_core_second: s(base.cpu_core_second, sigmas[0]),
			memory_gib_second: s(base.memory_gib_second, sigmas[1]),
			storage_gib_second: s(base.storage_gib_second, sigmas[2]),
			network_mib: s(base.network_mib, sigmas[3]),
		}
	}

	/// Whether every price is within `caps`.
	pub fn within(&self, caps: &Prices) -> bool {
		self.cpu_core_second <= caps.cpu_core_second
			&& self.memory_gib_second <= caps.memory_gib_second
			&& self.network_mib <= caps.network_mib
			&& self.storage_gib_second <= caps.storage_gib_second
	}
}

/// Cumulative usage of a lease, as the agent meters it.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
	/// CPU time, µs.
	pub cpu_micros: u64,
	/// Memory × time, byte-seconds.
	pub memory_byte_seconds: u64,
	/// Network bytes received and sent.
	pub net_bytes: u64,
	/// Wall time run, ms.
	pub wall_millis: u64,
}

impl Usage {
	/// Whether no counter is below `earlier`'s (cumulative counters never shrink).
	pub fn dominates(&self, earlier: &Usage) -> bool {
		self.cpu_micros >= earlier.cpu_micros
			&& self.memory_byte_seconds >= earlier.memory_byte_seconds
			&& self.net_bytes >= earlier.net_bytes
			&& self.wall_millis >= earlier.wall_millis
	}

	/// Each counter at most `bound`'s.
	pub fn capped_by(&self, bound: &Usage) -> Usage {
		Usage {
			cpu_micros: self.cpu_micros.min(bound.cpu_micros),
			memory_byte_seconds: self.memory_byte_seconds.min(bound.memory_byte_seconds),
			net_bytes: self.net_bytes.min(bound.net_bytes),
			wall_millis: self.wall_millis.min(bound.wall_millis),
		}
	}
}

/// What an agent's cumulative metering report charges for (network: received and sent).
impl From<&uranus_primitives::agent::MeteringReport> for Usage {
	fn from(m: &uranus_primitives::agent::MeteringReport) -> Usage {
		Usage {
			cpu_micros: m.cpu_micros,
			memory_byte_seconds: m.memory_byte_seconds,
			net_bytes: m.net_rx_bytes.saturating_add(m.net_tx_bytes),
			wall_millis: m.wall_millis,
		}
	}
}

/// The most one replica of `spec` can have used after `millis` of wall time: every core
/// busy, all memory held, the uplink saturated. What a metering report may claim.
pub fn usage_bound(spec: &ResourceSpec, millis: u64) -> Usage {
	Usage {
		// millicores × ms = µs of CPU time.
		cpu_micros: (spec.cpu_millicores as u64).saturating_mul(millis),
		memory_byte_seconds: mul_millis(spec.memory_bytes, millis),
		net_bytes: mul_millis(spec.bandwidth_bps, millis),
		wall_millis: millis,
	}
}

/// `per_second × millis / 1000` without overflow.
fn mul_millis(per_second: u64, millis: u64) -> u64 {
	((per_second as u128).saturating_mul(millis as u128) / 1_000).min(u64::MAX as u128) as u64
}

/// What `usage` costs at `prices` with `disk_bytes` of reserved storage.
pub fn cost(usage: &Usage, disk_bytes: u64, prices: &Prices) -> u128 {
	let cpu = (usage.cpu_micros as u128).saturating_mul(prices.cpu_core_second) / MICROS;
	let mem = (usage.memory_byte_seconds as u128).saturating_mul(prices.memory_gib_second) / GIB;
	let net = (usage.net_bytes as u128).saturating_mul(prices.network_mib) / MIB;
	let sto = (disk_bytes as u128)
		.saturating_mul(usage.wall_millis as u128)
		.saturating_mul(prices.storage_gib_second)
		/ (GIB * 1_000);
	cpu.saturating_add(mem).saturating_add(net).saturating_add(sto)
}

/// The most one replica of `spec` can use in `seconds`: every core busy, all memory held,
/// the uplink saturated, the disk reserved.
pub fn worst_usage(spec: &ResourceSpec, seconds: u64) -> Usage {
	Usage {
		cpu_micros: (spec.cpu_millicores as u64).saturating_mul(1_000).saturating_mul(seconds),
		memory_byte_seconds: spec.memory_bytes.saturating_mul(seconds),
		net_bytes: spec.bandwidth_bps.saturating_mul(seconds),
		wall_millis: seconds.saturating_mul(1_000),
	}
}

/// The most one replica of `spec` can be charged in `seconds` at `prices`.
pub fn worst_cost(spec: &ResourceSpec, seconds: u64, prices: &Prices) -> u128 {
	cost(&worst_usage(spec, seconds), spec.storage_bytes, prices)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn prices() -> Prices {
		Prices {
			cpu_core_second: 1_000,
			memory_gib_second: 100,
			network_mib: 10,
			storage_gib_second: 1,
		}
	}

	#[test]
	fn each_resource_is_charged_in_its_unit() {
		let p = prices();
		let one = |u: Usage, disk| cost(&u, disk, &p);
		assert_eq!(one(Usage { cpu_micros: 2_500_000, ..Default::default() }, 0), 2_500);
		assert_eq!(
			one(Usage { memory_byte_seconds: 3 * GIB as u64, ..Default::default() }, 0),
			300
		);
		assert_eq!(one(Usage { net_bytes: 5 * MIB as u64, ..Default::default() }, 0), 50);
		assert_eq!(one(Usage { wall_millis: 4_000, ..Default::default() }, 2 * GIB as u64), 8);
	}

	#[test]
	fn the_worst_case_bounds_any_usage_within_the_spec() {
		let spec = ResourceSpec {
			cpu_millicores: 1_500,
			memory_bytes: GIB as u64,
			storage_bytes: GIB as u64,
			bandwidth_bps: MIB as u64,
		};
		let p = prices();
		let worst = worst_cost(&spec, 10, &p);
		// 1.5 cores × 10 s × 1,000 + 1 GiB × 10 s × 100 + 10 MiB × 10 + 1 GiB × 10 s × 1.
		assert_eq!(worst, 15_000 + 1_000 + 100 + 10);
		let within = Usage {
			cpu_micros: 15_000_000,
			memory_byte_seconds: 10 * GIB as u64,
			net_bytes: 10 * MIB as u64,
			wall_millis: 10_000,
		};
		assert_eq!(cost(&within, spec.storage_bytes, &p), worst);
	}

	#[test]
	fn sigma_scales_base_prices_and_caps_bound_them() {
		let base = prices();
		let doubled = Prices::scaled(&base, [2_000_000, 1_000_000, 500_000, 1_000_000]);
		assert_eq!(doubled.cpu_core_second, 2_000);
		assert_eq!(doubled.memory_gib_second, 100);
		assert_eq!(doubled.storage_gib_second, 0);
		assert!(!doubled.within(&base));
		assert!(base.within(&doubled) || base.storage_gib_second > doubled.storage_gib_second);
		assert!(Prices::scaled(&base, [SIGMA_ONE as u64; 4]).within(&base));
	}

	#[test]
	fn the_usage_bound_is_the_worst_case_of_the_elapsed_time() {
		let spec = ResourceSpec {
			cpu_millicores: 1_500,
			memory_bytes: GIB as u64,
			storage_bytes: GIB as u64,
			bandwidth_bps: MIB as u64,
		};
		assert_eq!(usage_bound(&spec, 10_000), worst_usage(&spec, 10));
		// 2.5 s: 1.5 cores → 3.75 s of CPU time.
		let b = usage_bound(&spec, 2_500);
		assert_eq!((b.cpu_micros, b.wall_millis), (3_750_000, 2_500));
		let huge = Usage {
			cpu_micros: u64::MAX,
			memory_byte_seconds: u64::MAX,
			net_bytes: 1,
			wall_millis: u64::MAX,
		};
		let capped = huge.capped_by(&b);
		assert_eq!((capped.cpu_micros, capped.net_bytes), (3_750_000, 1));
		assert!(usage_bound(&spec, u64::MAX).cpu_micros == u64::MAX);
	}

	#[test]
	fn huge_counters_saturate_instead_of_overflowing() {
		let max = Usage {
			cpu_micros: u64::MAX,
			memory_byte_seconds: u64::MAX,
			net_bytes: u64::MAX,
			wall_millis: u64::MAX,
		};
		let p = Prices {
			cpu_core_second: u128::MAX,
			memory_gib_second: u128::MAX,
			network_mib: u128::MAX,
			storage_gib_second: u128::MAX,
		};
		assert!(cost(&max, u64::MAX, &p) > 0);
	}
}
