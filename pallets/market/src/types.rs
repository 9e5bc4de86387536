//! Orders and leases.

use crate::pricing::{Prices, Usage};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use uranus_primitives::compute::{ContainerId, EndCause, ResourceSpec};

/// Identifier of an order.
pub type OrderId = u64;
/// Identifier of a lease (also the agent's job id).
pub type LeaseId = u64;

/// An order: `replicas` copies of an image, each on its own container.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxLabels, MaxLabelLen, MaxReplicas, MaxArgs, MaxArgLen))]
pub struct Order<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxLabels: Get<u32>,
	MaxLabelLen: Get<u32>,
	MaxReplicas: Get<u32>,
	MaxArgs: Get<u32>,
	MaxArgLen: Get<u32>,
> {
	/// Who placed it and pays.
	pub owner: AccountId,
	/// The image's manifest digest.
	pub image: [u8; 32],
	/// Resources of each replica.
	pub spec: ResourceSpec,
	/// Command run instead of the image's entrypoint and cmd (empty: the image's).
	pub command: BoundedVec<BoundedVec<u8, MaxArgLen>, MaxArgs>,
	/// Replicas wanted.
	pub replicas: u32,
	/// Longest run of each replica, blocks.
	pub max_blocks: BlockNumber,
	/// Blocks of each replica's worst case paid into escrow so far (≤ `max_blocks`); a lease
	/// that used up all but [`crate::Config::LowEscrowBlocks`] of it pauses until a top-up.
	pub prepaid_blocks: BlockNumber,
	/// The most the owner pays per unit.
	pub caps: Prices,
	/// Labels a provider must carry (node affinity).
	pub labels: BoundedVec<BoundedVec<u8, MaxLabelLen>, MaxLabels>,
	/// Replicas on different machines (anti-affinity).
	pub spread: bool,
	/// The image's usage fee when the order was placed: each lease pays this much to the
	/// publisher when it starts, whatever the publisher sets later.
	pub image_fee: u128,
	/// Escrow of one replica (its worst case over `prepaid_blocks` plus the image fee).
	pub escrow_per_replica: u128,
	/// Escrow still held for this order; every charge of its leases comes from it alone.
	pub held: u128,
	/// Storage deposit held from the owner until the order is reaped.
	pub deposit: u128,
	/// Replicas waiting for a container.
	pub waiting: u32,
	/// Waiting replicas are refunded from this block on.
	pub match_deadline: BlockNumber,
	/// Its leases, current and past.
	pub leases: BoundedVec<LeaseId, MaxReplicas>,
}

/// Where a lease is.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum LeaseState {
	/// Waiting for the provider's acknowledgement.
	Assigned,
	/// The provider runs it.
	Running,
	/// Its escrow ran low: the provider froze the job (state kept) until the owner tops the
	/// order up.
	Paused,
	/// It ran to its end (`exit_code` of the job).
	Completed,
	/// The provider failed it, did not acknowledge it or went offline (re-scheduled).
	Failed,
	/// It reached its maximum duration.
	Expired,
	/// The owner cancelled it.
	Cancelled,
}

impl LeaseState {
	/// Whether the lease still holds its container.
	pub fn is_active(&self) -> bool {
		matches!(self, LeaseState::Assigned | LeaseState::Running | LeaseState::Paused)
	}

	/// Whether the provider runs (or froze) the job and may report metering.
	pub fn is_started(&self) -> bool {
		matches!(self, LeaseState::Running | LeaseState::Paused)
	}
}

/// A user's dispute of an ended lease.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Dispute<BlockNumber> {
	/// Not disputed.
	#[default]
	None,
	/// Disputed at block `at`: `amount` of the provider's earnings is held until resolved.
	Open {
		/// Held from the provider.
		amount: u128,
		/// Opened at.
		at: BlockNumber,
	},
	/// Resolved by the dispute origin: `refunded` went back to the user, `slashed` of the
	/// provider's deposit too.
	Resolved {
		/// Moved from the held amount to the user.
		refunded: u128,
		/// Slashed from the provider's deposit to the user.
		slashed: u128,
	},
	/// The dispute origin did not act within [`crate::Config::DisputeTimeout`]: `released`
	/// went back to the provider.
	Lapsed {
		/// Released to the provider.
		released: u128,
	},
}

impl<BlockNumber> Dispute<BlockNumber> {
	/// Whether the dispute waits for the dispute origin.
	pub fn is_open(&self) -> bool {
		matches!(self, Dispute::Open { .. })
	}
}

/// A lease: one replica of an order on one container.
#[derive(
	CloneNoBound,
	DebugNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxResult))]
pub struct Lease<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxResult: Get<u32>,
> {
	/// Its order.
	pub order: OrderId,
	/// Who pays.
	pub user: AccountId,
	/// The container running it.
	pub container: ContainerId,
	/// The container's machine.
	pub machine: u64,
	/// The provider paid for it.
	pub provider: AccountId,
	/// Prices fixed when it was made (σ-scaled base prices, within the order's caps).
	pub prices: Prices,
	/// The image publisher and its fee, paid when the provider starts the lease.
	pub publisher: AccountId,
	/// The usage fee its order captured (paid from the order's escrow when it starts).
	pub image_fee: u128,
	/// Where it is.
	pub state: LeaseState,
	/// Made at.
	pub assigned_at: BlockNumber,
	/// Made at this time of the chain's clock (Unix ms): metering is bounded by the time
	/// really elapsed, whatever slots the chain missed.
	pub assigned_ms: u64,
	/// The provider must acknowledge by then.
	pub ack_by: BlockNumber,
	/// The provider acknowledged it (its job started) at this block.
	pub started_at: Option<BlockNumber>,
	/// It ends (expires) at this block once running.
	pub ends_at: Option<BlockNumber>,
	/// The last accepted metering sequence number.
	pub last_seq: u64,
	/// The block of the last accepted report (or of the start).
	pub reported_at: BlockNumber,
	/// The longest run of blocks without an accepted report while it ran (an SLA signal).
	pub longest_gap: BlockNumber,
	/// The usage last accepted.
	pub usage: Usage,
	/// Charged so far (provider share + protocol fee), excluding the image fee.
	pub charged: u128,
	/// The most usage can be charged (the replica's worst case at the caps).
	pub cap: u128,
	/// The most usage can be charged with the escrow paid so far (≤ `cap`; grows with
	/// top-ups).
	pub allotment: u128,
	/// The job's exit code, once completed.
	pub exit_code: Option<i32>,
	/// Digest or URI of the job's result.
	pub result: BoundedVec<u8, MaxResult>,
	/// It ended at this block.
	pub ended_at: Option<BlockNumber>,
	/// Why it failed, when it did (who bears it: [`EndCause::provider_at_fault`]).
	pub end_cause: Option<EndCause>,
	/// The user's 1–5 rating, once given.
	pub rating: Option<u8>,
	/// The user's dispute.
	pub dispute: Dispute<BlockNumber>,
}
