//! σ coefficients from demand (§5.2.2): the Poisson maximum-likelihood estimate of demand
//! and a bounded negative-feedback step.
//!
//! ```text
//! λ̂_r      = (Σ demanded units of r in the window) / (blocks in the window)   Poisson MLE = sample mean
//! ρ_r      = λ̂_r × W / supply_r        W = mean blocks a demanded unit stays in use (Little's law)
//! target_r = clamp(ρ_r, σ_min, σ_max)
//! σ_r'     = σ_r + clamp(target_r − σ_r, −max_step, +max_step)
//! ```
//!
//! A scarce resource (demand above supply) raises its σ, so containers offering it earn more
//! contribution and are scheduled earlier, which attracts supply and lowers ρ again: negative
//! feedback. The step never overshoots the target, so σ approaches a fixed target
//! monotonically and always stays within `[σ_min, σ_max]`.

use crate::types::{Sigma, SIGMA_ONE};

/// λ̂ in millionths of a unit per block: the sample mean of the window.
pub fn lambda_micro(units: u128, blocks: u32) -> u128 {
	if blocks == 0 {
		return 0;
	}
	units.saturating_mul(1_000_000) / blocks as u128
}

/// `target = clamp(λ̂ × W / supply, min, max)` in parts per million. No supply: `max`.
pub fn target(lambda_micro: u128, hold_blocks: u32, supply: u128, sigma: &Sigma) -> u64 {
	if supply == 0 {
		return if lambda_micro == 0 { sigma.value.clamp(sigma.min, sigma.max) } else { sigma.max };
	}
	// λ̂_micro / 10^6 × W / supply × 10^6 (ppm) = λ̂_micro × W / supply.
	let ratio = lambda_micro.saturating_mul(hold_blocks as u128) / supply;
	let ppm = u64::try_from(ratio).unwrap_or(u64::MAX);
	debug_assert!(SIGMA_ONE > 0);
	ppm.clamp(sigma.min, sigma.max)
}

/// Moves σ toward `target` by at most `max_step`, never past it, within the bounds.
pub fn step(sigma: &Sigma, target: u64) -> u64 {
	let current = sigma.value.clamp(sigma.min, sigma.max);
	let next = if target > current {
		current.saturating_add((target - current).min(sigma.max_step))
	} else {
		current.saturating_sub((current - target).min(sigma.max_step))
	};
	next.clamp(sigma.min, sigma.max)
}
