//! Types of the DPoS pallet.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_election_provider_support::VoteWeight;
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
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
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

impl<AccountId: Ord> Ranked<AccountId> {
	/// Whether `self` ranks before `other`: higher `Wt` first, ties by the lower account id.
	pub fn ranks_before(&self, other: &Self) -> bool {
		self.weight > other.weight || (self.weight == other.weight && self.who < other.who)
	}
}

/// `Wt = St · Vt`, or `Wt = Vt` when nobody votes (`St = 0`); never overflows.
pub fn election_weight(votes: u128, total: u128) -> U256 {
	if votes == 0 {
		U256::from(total)
	} else {
		U256::from(votes).saturating_mul(U256::from(total))
	}
}

/// One electing voter as staking sees it: the account, its vote weight (active bond) and the
/// candidates it backs. A candidate's own bond is a voter backing only itself.
pub type ElectionVoter<AccountId> = (AccountId, VoteWeight, Vec<AccountId>);

/// Where a pass over the voters stands: after this candidate's self-vote, or after this
/// lender. Candidates come first.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum VoterCursor<AccountId> {
	/// The last candidate (own bond) read.
	Candidate(AccountId),
	/// The last lender read.
	Lender(AccountId),
}

/// Staking's electing voters, read a page at a time.
///
/// Every candidate's self-vote comes before any lender. Each list is in an order that adding
/// or removing other entries does not disturb (storage key order), so a cursor stays valid
/// between blocks, even when its own entry has since been removed.
pub trait VoterPages<AccountId> {
	/// Visits up to `max` voters after `cursor` (from the first when `None`). Voters with no
	/// weight are skipped but count as visited.
	fn page(cursor: Option<&VoterCursor<AccountId>>, max: u32) -> VoterPage<AccountId>;
}

/// A page of voters read through [`VoterPages`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VoterPage<AccountId> {
	/// The voters with weight.
	pub voters: Vec<ElectionVoter<AccountId>>,
	/// How many entries were visited (the work done), at most the page's `max`.
	pub visited: u32,
	/// The cursor after the last visited entry; `None` when the list is exhausted.
	pub next: Option<VoterCursor<AccountId>>,
}

/// A candidate's stake summed over the voters read so far.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Tally {
	/// `Vb`: its own bond (its self-vote).
	pub own: u128,
	/// `Vt`: own bond plus everything lent to it.
	pub total: u128,
}

/// The lenders backing an elected candidate, largest first (ties: lower account first),
/// bounded: the smallest are the ones left out.
pub type LenderList<AccountId, Max> = BoundedVec<(AccountId, u128), Max>;

/// Where the multi-block election stands.
#[derive(
	Clone,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Phase<AccountId, BlockNumber> {
	/// Nothing under way; `elect` has nothing to return.
	#[default]
	Idle,
	/// Pass 1: summing each candidate's own bond and lent stake into `Tallies`.
	Tallying {
		/// Where the pass over the voters stands (`None`: at the start).
		cursor: Option<VoterCursor<AccountId>>,
	},
	/// Pass 2: ranking the tallies by `Wt` into `Leaders` (the top `MaxWinnersPerPage`, so
	/// that a change of staking's validator count until the election still finds them).
	Ranking {
		/// Candidates ranked so far.
		seen: u32,
	},
	/// Pass 3: collecting the leaders' lenders into `LeaderLenders`.
	Backing {
		/// Where the pass over the voters stands.
		cursor: Option<VoterCursor<AccountId>>,
		/// How many candidates were ranked.
		candidates: u32,
	},
	/// The result is complete; `elect` returns it until it expires.
	Ready {
		/// The block it was completed in.
		since: BlockNumber,
		/// How many candidates were ranked.
		candidates: u32,
	},
}

impl<AccountId, BlockNumber> Phase<AccountId, BlockNumber> {
	/// Whether a collection is under way (not idle, not ready).
	pub fn is_ongoing(&self) -> bool {
		!matches!(self, Phase::Idle | Phase::Ready { .. })
	}
}

/// Benchmark set-up that staking's data provider does not offer.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Sets how many validators staking wants.
	fn set_desired_targets(count: u32);
}
