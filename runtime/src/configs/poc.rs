//! Proof of Contribution (white paper §5.2.1–5.2.2): container scores, σ and scheduling.
//!
//! Periods (normal runtime / `fast-runtime`): heartbeat 10 min / 10 blocks, σ adjustment
//! 1 h / 100 blocks, halving `T` 7 days / 2,000 blocks.

use crate::{time::*, AccountId, BlockNumber, Runtime, RuntimeEvent};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Contains},
};
use frame_system::EnsureRoot;

#[cfg(feature = "fast-runtime")]
parameter_types! {
	pub const PocHeartbeatPeriod: BlockNumber = 10;
	pub const PocAdjustmentPeriod: BlockNumber = 100;
	pub const PocHalvingPeriod: BlockNumber = 2_000;
}
#[cfg(not(feature = "fast-runtime"))]
parameter_types! {
	pub const PocHeartbeatPeriod: BlockNumber = 10 * MINUTES;
	pub const PocAdjustmentPeriod: BlockNumber = HOURS;
	pub const PocHalvingPeriod: BlockNumber = 7 * DAYS;
}

parameter_types! {
	/// The PoC reward pool's account.
	pub const PocPotId: frame_support::PalletId = frame_support::PalletId(*b"ura/poc_");
	/// `W`: a demanded unit is assumed to stay in use for about an hour.
	pub const PocDemandHoldBlocks: u32 = HOURS;
}

/// What the scheduler may propose: registry containers that are idle on an online machine;
/// containers the registry does not know are the genesis test containers of dev presets.
pub struct SchedulableContainers;
impl Contains<pallet_poc::ContainerId> for SchedulableContainers {
	fn contains(id: &pallet_poc::ContainerId) -> bool {
		if pallet_registry::Containers::<Runtime>::contains_key(id) {
			pallet_registry::IdleContainers::<Runtime>::contains(id)
		} else {
			true
		}
	}
}

/// Chain contribution: the account voted with `pallet-dpos` in the current or last era.
pub struct DposVoteHistory;
impl pallet_poc::VoteHistory<AccountId> for DposVoteHistory {
	fn voted_recently(who: &AccountId) -> bool {
		let era = pallet_staking::CurrentEra::<Runtime>::get().unwrap_or(0);
		pallet_dpos::LastVotedEra::<Runtime>::get(who)
			.is_some_and(|voted| voted.saturating_add(1) >= era)
	}
}

impl pallet_poc::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = EnsureRoot<AccountId>;
	type Currency = crate::Balances;
	type PotId = PocPotId;
	type Votes = DposVoteHistory;
	/// Idle containers on online machines (and the genesis test containers).
	type Available = SchedulableContainers;
	type HalvingPeriod = PocHalvingPeriod;
	type HeartbeatPeriod = PocHeartbeatPeriod;
	type AdjustmentPeriod = PocAdjustmentPeriod;
	type DemandHoldBlocks = PocDemandHoldBlocks;
	type MaxGradientSteps = ConstU32<16>;
	type Tiers = ConstU32<4>;
	type MaxContainers = ConstU32<100_000>;
	type MaxScan = ConstU32<64>;
	type WeightInfo = pallet_poc::weights::SubstrateWeight<Runtime>;
}
