//! Types of the PoC pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use uranus_primitives::compute::ContainerCapacity;

/// Fixed-point one for σ: σ is stored in parts per million (1_000_000 = 1.0).
pub const SIGMA_ONE: u64 = 1_000_000;

/// One step of a gradient table: a measured value of at least `threshold` scores `points`.
#[derive(
	Clone,
	Copy,
	Debug,
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
pub struct GradientStep {
	/// The smallest measured value (in the resource's unit) that earns `points`.
	pub threshold: u64,
	/// Points per heartbeat period at or above `threshold`.
	pub points: u32,
}

/// A gradient table: thresholds strictly increasing, points non-decreasing.
pub type Gradient<S> = BoundedVec<GradientStep, S>;

/// A resource's coefficient σ and its governance bounds, all in parts per million.
#[derive(
	Clone,
	Copy,
	Debug,
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
pub struct Sigma {
	/// The current σ.
	pub value: u64,
	/// The lowest σ governance allows.
	pub min: u64,
	/// The highest σ governance allows.
	pub max: u64,
	/// The largest change of σ in one adjustment period.
	pub max_step: u64,
}

impl Default for Sigma {
	fn default() -> Self {
		Sigma {
			value: SIGMA_ONE,
			min: SIGMA_ONE / 10,
			max: 10 * SIGMA_ONE,
			max_step: SIGMA_ONE / 20,
		}
	}
}

/// Points for lease outcomes (service contribution) and for voting (chain contribution).
#[derive(
	Clone,
	Copy,
	Debug,
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
pub struct ContributionPoints {
	/// Added when a lease completes.
	pub completed: u64,
	/// Taken when a completed lease missed its SLA.
	pub sla_missed: u64,
	/// Taken when a lease fails, expires unacknowledged or its machine goes offline.
	pub failed: u64,
	/// Per rating point away from 3 (of 1–5): `(rating − 3) × rating_step`.
	pub rating_step: u64,
	/// Added per heartbeat period when the owner voted in the current or last era.
	pub chain: u64,
}

impl Default for ContributionPoints {
	fn default() -> Self {
		ContributionPoints {
			completed: 500,
			sla_missed: 300,
			failed: 1_000,
			rating_step: 100,
			chain: 20,
		}
	}
}

/// A scheduling tier: containers whose total score is at least `min_score` (and below the
/// tier above), served `weight` picks per round.
#[derive(
	Clone,
	Copy,
	Debug,
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
pub struct Tier {
	/// The lowest total score of the tier.
	pub min_score: u128,
	/// Picks per round-robin round.
	pub weight: u32,
}

/// A container's contribution, stored with the block it was last brought up to date.
///
/// Every component halves each time a multiple of the halving period `T` is crossed; the
/// halving is applied lazily ([`crate::scoring::decay`]) when the score is read or written.
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
pub struct Score<BlockNumber> {
	/// Basic contribution: Σ gradient × σ per online heartbeat period.
	pub basic: u128,
	/// Service contribution: from lease outcomes and ratings.
	pub service: u128,
	/// Chain contribution: from the owner's votes.
	pub chain: u128,
	/// The block the components are valid at.
	pub updated: BlockNumber,
}

impl<B> Score<B> {
	/// Total = basic + service + chain.
	pub fn total(&self) -> u128 {
		self.basic.saturating_add(self.service).saturating_add(self.chain)
	}
}

/// Where a schedulable container sits: its tier and its index in that tier.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Slot {
	/// The tier.
	pub tier: u8,
	/// The index in `TierMembers[tier]`.
	pub index: u32,
}

/// What PoC knows about a container.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ContainerRecord<AccountId, BlockNumber> {
	/// The provider account (its votes are the chain contribution).
	pub owner: AccountId,
	/// The capacity last reported.
	pub capacity: ContainerCapacity,
	/// The contribution.
	pub score: Score<BlockNumber>,
	/// The heartbeat period of the last accrual.
	pub last_period: u32,
	/// The scheduling slot while the container is online.
	pub slot: Option<Slot>,
}

/// The outcome of a lease, reported by the market (service contribution).
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum LeaseOutcome {
	/// The lease ran to completion; `rating` is the user's 1–5 rating, if any.
	Completed {
		/// Whether the provider met the lease's SLA.
		sla_met: bool,
		/// The user's rating.
		rating: Option<u8>,
	},
	/// The lease failed on the provider's side, was never acknowledged or its machine went
	/// offline.
	Failed,
	/// The user rated an ended lease 1–5 (3 is neutral).
	Rated(u8),
}

/// Demand recorded in the current adjustment window.
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
)]
pub struct DemandWindow<BlockNumber> {
	/// Demanded units of each resource since `started`.
	pub units: [u128; 4],
	/// The first block of the window.
	pub started: BlockNumber,
}

/// A score as the runtime API returns it (decayed to the block it is read at).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreView<AccountId> {
	/// The container's owner.
	pub owner: AccountId,
	/// Basic contribution.
	pub basic: u128,
	/// Service contribution.
	pub service: u128,
	/// Chain contribution.
	pub chain: u128,
	/// basic + service + chain.
	pub total: u128,
	/// The scheduling tier, while online.
	pub tier: Option<u8>,
	/// The capacity last reported.
	pub capacity: ContainerCapacity,
}

/// σ of one resource as the runtime API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigmaView {
	/// The resource.
	pub resource: uranus_primitives::compute::Resource,
	/// σ and its bounds (parts per million).
	pub sigma: Sigma,
	/// The last λ̂: demanded units per block, in millionths.
	pub lambda_micro: u128,
	/// The online supply of the resource.
	pub supply: u128,
}

/// A tier as the runtime API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierView {
	/// Its parameters.
	pub tier: Tier,
	/// Containers in it.
	pub size: u32,
}

/// Governance-set reward parameters.
#[derive(
	Clone,
	Copy,
	Debug,
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
pub struct RewardParams {
	/// Share of the market's protocol fees paid into the PoC reward pool (the rest goes to
	/// the treasury).
	pub fee_share: sp_runtime::Perbill,
	/// Share of its basic contribution a container on a machine whose hardware is not
	/// verified is rewarded for (service and chain contribution count in full).
	pub unverified_basic: sp_runtime::Perbill,
}

impl Default for RewardParams {
	fn default() -> Self {
		RewardParams {
			fee_share: sp_runtime::Perbill::from_percent(50),
			unverified_basic: sp_runtime::Perbill::zero(),
		}
	}
}

/// The reward period being accumulated (one staking era).
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
)]
pub struct OpenPeriod {
	/// Funds in the pool so far (fees, plus what earlier periods left over).
	pub pool: u128,
	/// Σ over providers of their score-blocks in this period.
	pub score_blocks: u128,
	/// Providers holding a share of this period.
	pub shares: u32,
}

/// A reward period that ended: its pool is divided among its shares as they are settled.
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
)]
pub struct ClosedPeriod {
	/// The pool to divide.
	pub pool: u128,
	/// Σ score-blocks of all shares of the period.
	pub score_blocks: u128,
	/// What settled shares were credited so far.
	pub paid: u128,
	/// Shares not settled yet; the book is deleted (its rounding dust carried to the open
	/// period) when the last one settles.
	pub unsettled: u32,
}

/// A provider's share of one reward period: Σ over its containers' heartbeats of
/// `reward score × heartbeat period` (score-blocks).
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
)]
pub struct RewardShare {
	/// The reward period.
	pub period: u32,
	/// The provider's score-blocks in it.
	pub score_blocks: u128,
}

/// A provider's rewards as the runtime API returns them.
#[derive(
	Clone, Debug, Default, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct PendingRewards {
	/// What `claim_rewards` pays now: credited rewards plus the provider's share of ended
	/// periods not yet settled.
	pub claimable: u128,
	/// The reward period being accumulated.
	pub period: u32,
	/// The provider's score-blocks in it.
	pub accruing_score_blocks: u128,
	/// Everyone's score-blocks in it.
	pub period_score_blocks: u128,
	/// The period's pool so far (the era's inflation share is added when it ends).
	pub period_pool: u128,
}
