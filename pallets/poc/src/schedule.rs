//! Round-robin partition scheduling (§5.2.1): containers are partitioned into tiers by total
//! score; each round serves tier `i` `weight_i` picks, best tier first, with a cursor per tier.
//!
//! Better containers are picked more often (higher weight), and every non-empty tier is
//! visited within `Σ weight` picks, so a low-score container is still scheduled eventually.

use crate::types::Tier;

/// The tier of a total score: the first (best) tier whose `min_score` it reaches. Tiers are
/// ordered by decreasing `min_score` and the last has `min_score = 0`.
pub fn tier_of(total: u128, tiers: &[Tier]) -> u8 {
	tiers.iter().position(|t| total >= t.min_score).unwrap_or(tiers.len().saturating_sub(1)) as u8
}

/// Why a tier set is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TiersError {
	/// Not exactly the configured number of tiers.
	WrongCount,
	/// `min_score` must strictly decrease and the last tier must start at 0.
	BadThresholds,
	/// Every tier needs a weight of at least 1.
	ZeroWeight,
}

/// Checks a tier set: `count` tiers, `min_score` strictly decreasing to 0, weights ≥ 1.
pub fn validate_tiers(tiers: &[Tier], count: u32) -> Result<(), TiersError> {
	if tiers.len() != count as usize || tiers.is_empty() {
		return Err(TiersError::WrongCount);
	}
	if tiers.windows(2).any(|w| w[1].min_score >= w[0].min_score)
		|| tiers.last().map(|t| t.min_score) != Some(0)
	{
		return Err(TiersError::BadThresholds);
	}
	if tiers.iter().any(|t| t.weight == 0) {
		return Err(TiersError::ZeroWeight);
	}
	Ok(())
}
