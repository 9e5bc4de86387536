//! The white paper's contribution formulas (§5.2.1), as pure functions.
//!
//! ```text
//! basic(c)   = Σ_r gradient_r(measured_r(c)) × σ_r          r ∈ {cpu, memory, storage, bandwidth}
//!              (added once per heartbeat period the container is online: Proof of Online time)
//! service(c) = Σ lease outcomes: +completed, −sla_missed, −failed, +(rating − 3)·rating_step
//! chain(c)   = +chain per heartbeat period while the owner voted in the current or last era
//! total(c)   = basic + service + chain, halved every T blocks
//! ```

use crate::types::{GradientStep, Score, SIGMA_ONE};
use sp_runtime::traits::AtLeast32BitUnsigned;
use uranus_primitives::compute::{ContainerCapacity, Resource};

/// Why a gradient table is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum GradientError {
	/// The table has no step.
	Empty,
	/// Thresholds are not strictly increasing.
	Unsorted,
	/// Points decrease from one step to the next.
	DecreasingPoints,
}

/// Checks that thresholds strictly increase and points never decrease.
pub fn validate_gradient(table: &[GradientStep]) -> Result<(), GradientError> {
	if table.is_empty() {
		return Err(GradientError::Empty);
	}
	for w in table.windows(2) {
		if w[1].threshold <= w[0].threshold {
			return Err(GradientError::Unsorted);
		}
		if w[1].points < w[0].points {
			return Err(GradientError::DecreasingPoints);
		}
	}
	Ok(())
}

/// `gradient_r(x)`: the points of the highest step whose threshold is at most `x` (0 below
/// the first step). Binary search: O(log steps).
pub fn gradient_points(table: &[GradientStep], measured: u64) -> u32 {
	match table.partition_point(|s| s.threshold <= measured) {
		0 => 0,
		i => table[i - 1].points,
	}
}

/// `basic = Σ_r gradient_r(measured_r) × σ_r` for one heartbeat period; σ in parts per
/// million. Never overflows: points are `u32`, σ is `u64`, four terms fit `u128`.
pub fn basic_contribution(
	capacity: &ContainerCapacity,
	gradients: &[&[GradientStep]; 4],
	sigmas: &[u64; 4],
) -> u128 {
	Resource::ALL.iter().fold(0u128, |acc, r| {
		let points = gradient_points(gradients[r.index()], capacity.measure(*r)) as u128;
		acc.saturating_add(points.saturating_mul(sigmas[r.index()] as u128) / SIGMA_ONE as u128)
	})
}

/// Halves `value` once per halving: exact integer halving (`value >> k`), 0 from 128 on.
pub fn halve(value: u128, halvings: u32) -> u128 {
	value.checked_shr(halvings).unwrap_or(0)
}

/// The number of halving boundaries (multiples of `period`) crossed from `from` to `to`.
pub fn halvings<B: AtLeast32BitUnsigned + Copy>(from: B, to: B, period: B) -> u32 {
	if period.is_zero() || to <= from {
		return 0;
	}
	let crossed = (to / period).saturating_sub(from / period);
	crossed.try_into().unwrap_or(u32::MAX)
}

/// Brings `score` up to block `now`: every component halves once per multiple of `period`
/// (the white paper's `T`) crossed since `score.updated`.
pub fn decay<B: AtLeast32BitUnsigned + Copy>(score: Score<B>, now: B, period: B) -> Score<B> {
	let k = halvings(score.updated, now, period);
	Score {
		basic: halve(score.basic, k),
		service: halve(score.service, k),
		chain: halve(score.chain, k),
		updated: if now > score.updated { now } else { score.updated },
	}
}

/// Applies a penalty: taken from the service contribution first, then from the basic one.
pub fn penalise<B>(score: &mut Score<B>, points: u128) {
	let from_service = points.min(score.service);
	score.service -= from_service;
	score.basic = score.basic.saturating_sub(points - from_service);
}

/// Applies a user's rating `r` (clamped to 1–5): `(r − 3) × step` added to the service
/// contribution, or taken as a penalty when below 3.
pub fn rate<B>(score: &mut Score<B>, r: u8, step: u128) {
	let r = r.clamp(1, 5);
	let delta = step.saturating_mul((r as i32 - 3).unsigned_abs() as u128);
	if r >= 3 {
		score.service = score.service.saturating_add(delta);
	} else {
		penalise(score, delta);
	}
}
