//! Types of the DPoS pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::U256;

/// A standing vote: `stake` frozen on the voter's account, counted for every candidate.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(MaxVotes))]
pub struct Vote<AccountId, Balance, MaxVotes: Get<u32>> {
	/// The frozen balance backing the vote.
	pub stake: Balance,
	/// The candidates voted for (distinct).
	pub candidates: BoundedVec<AccountId, MaxVotes>,
	/// The deposit held for storing this record.
	pub deposit: Balance,
}

/// A candidate's standing in an election.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ranked<AccountId> {
	/// The candidate.
	pub who: AccountId,
	/// `Vb`: its own bond.
	pub own: u128,
	/// `Vt = Vb + Lb`: own bond plus lent stake.
	pub total: u128,
	/// `St`: stake voting for it.
	pub votes: u128,
	/// `Wt = St · Vt`, or `Vt` when `St = 0`.
	pub weight: U256,
}

/// `Wt = St · Vt`, or `Wt = Vt` when nobody votes (`St = 0`); never overflows.
pub fn election_weight(votes: u128, total: u128) -> U256 {
	if votes == 0 {
		U256::from(total)
	} else {
		U256::from(votes).saturating_mul(U256::from(total))
	}
}
