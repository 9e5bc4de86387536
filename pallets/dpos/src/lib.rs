//! # DPoS pallet
//!
//! The white paper's delegated proof of stake (§5.2, steps 1–4) on top of `pallet-staking`:
//!
//! - **Registration** (`Vb ≥ B_Min`) and **lending** (`Lb`, one validator per lender) are
//!   staking's `bond` + `validate` and `nominate`; this pallet reads them a page at a time
//!   through [`Config::Voters`].
//! - **Voting**: [`Call::vote`] freezes part of the voter's balance (it stays in the account)
//!   and counts it for up to [`Config::MaxVotes`] candidates; [`Call::unvote`] thaws it.
//! - **Election**: [`Pallet`] is staking's [`ElectionProvider`]. It ranks every candidate with
//!   at least the minimum bond by
//!
//! ```text
//! Vt = Vb + Σ Lb            (own bond + lent stake)
//! St = Σ stake of votes     (frozen balances voting for the candidate)
//! Wt = St · Vt  if St > 0,  else  Wt = Vt          (computed in U256)
//! ```
//!
//!   and elects the top `desired_targets` (48 on the testnet), ties broken by account id.
//!   Supports are the candidate's own bond plus its largest lenders, so staking pays and
//!   slashes lenders with their validator.
//! - **Multi-block**: the election is computed over several blocks before staking asks for
//!   it ([`collection`]): [`Config::ElectionLookahead`] blocks before the predicted election,
//!   `on_initialize` sums every voter into per-candidate tallies, ranks the tallies, then
//!   collects the leaders' lenders, each block spending at most [`Config::ElectionBudget`].
//!   `elect` returns the finished result; if it is not finished, the election fails and
//!   staking keeps the current validators until the next session. No voter bound: every
//!   voter counts. The design and its costs are in this pallet's `README.md`.
//! - **Chain contribution**: [`Pallet::last_voted_era`] tells the PoC pallet who voted when.
//!
//! ## Invariants
//! - `CandidateVotes[c]` = Σ `stake` over `Votes` that list `c`.
//! - A voter's freeze under [`FreezeReason::Voting`] equals its vote's `stake`.
//! - Collection state exists only while an election is under way or ready: `Idle` leaves no
//!   tallies, leaders or lender lists; leaders are sorted and at most `desired`; a lender
//!   list belongs to a leader, is sorted and bounded.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod collection;
pub mod election;
pub mod ranking;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::dpos";

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_election_provider_support::ElectionDataProvider;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectFreeze, MutateFreeze, MutateHold},
			tokens::Precision,
			Contains,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, Zero};
	use sp_staking::EraIndex;

	/// The balance type of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A vote record of this runtime.
	pub type VoteOf<T> =
		Vote<<T as frame_system::Config>::AccountId, BalanceOf<T>, <T as Config>::MaxVotes>;

	/// The storage version: 0, the layout this pallet launched with. A change of a stored
	/// type bumps it and ships a `VersionedMigration` (see pallet-market's `migrations`).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet freezes funds.
	#[pallet::composite_enum]
	pub enum FreezeReason {
		/// The balance backs a vote.
		#[codec(index = 0)]
		Voting,
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for storing a vote record.
		#[codec(index = 0)]
		VoteDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency votes freeze and deposits are held in.
		type Currency: InspectFreeze<Self::AccountId, Id = Self::RuntimeFreezeReason>
			+ MutateFreeze<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching freeze reason.
		type RuntimeFreezeReason: From<FreezeReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Staking: the number of validators wanted (desired targets) and when the next
		/// election is due.
		type DataProvider: ElectionDataProvider<
			AccountId = Self::AccountId,
			BlockNumber = BlockNumberFor<Self>,
		>;

		/// Staking's candidates (own bonds) and lenders, a page at a time.
		type Voters: VoterPages<Self::AccountId>;

		/// Accounts that can be voted for (validator candidates).
		type Candidates: Contains<Self::AccountId>;

		/// `B_Min`: the own bond a candidate needs to be electable.
		type MinimumBond: Get<BalanceOf<Self>>;

		/// The current era, recorded with each vote (chain contribution).
		type CurrentEra: Get<EraIndex>;

		/// Most candidates one vote may list.
		#[pallet::constant]
		type MaxVotes: Get<u32>;

		/// Deposit held for a vote record.
		#[pallet::constant]
		type VoteDeposit: Get<BalanceOf<Self>>;

		/// Most validators one election returns.
		type MaxWinnersPerPage: Get<u32>;

		/// Most backers (own bond + lenders) recorded per validator.
		type MaxBackersPerWinner: Get<u32>;

		/// How many blocks before the predicted election the collection starts. It must
		/// exceed the blocks a collection takes (`README.md` → *Election at scale*).
		#[pallet::constant]
		type ElectionLookahead: Get<BlockNumberFor<Self>>;

		/// The most weight the collection spends in one block.
		#[pallet::constant]
		type ElectionBudget: Get<Weight>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;

		/// Set-up the benchmarks need from the runtime.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// The standing vote of each voter.
	#[pallet::storage]
	pub type Votes<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, VoteOf<T>>;

	/// `St`: the stake voting for each candidate.
	#[pallet::storage]
	pub type CandidateVotes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// The era in which each account last voted (chain contribution for PoC).
	#[pallet::storage]
	pub type LastVotedEra<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, EraIndex>;

	/// Where the multi-block election stands.
	#[pallet::storage]
	pub type ElectionPhase<T: Config> =
		StorageValue<_, Phase<T::AccountId, BlockNumberFor<T>>, ValueQuery>;

	/// Pass 1: each candidate's own bond and total stake, summed over the voters read so far.
	#[pallet::storage]
	pub type Tallies<T: Config> = CountedStorageMap<_, Twox64Concat, T::AccountId, Tally>;

	/// Pass 2: the best candidates so far, best first (at most `desired`).
	#[pallet::storage]
	pub type Leaders<T: Config> =
		StorageValue<_, BoundedVec<Ranked<T::AccountId>, T::MaxWinnersPerPage>, ValueQuery>;

	/// Pass 3: each leader's largest lenders (at most `MaxBackersPerWinner − 1`).
	#[pallet::storage]
	pub type LeaderLenders<T: Config> =
		StorageMap<_, Twox64Concat, T::AccountId, LenderList<T::AccountId, T::MaxBackersPerWinner>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` votes with `stake` (frozen) for `candidates`.
		Voted { who: T::AccountId, stake: BalanceOf<T>, candidates: alloc::vec::Vec<T::AccountId> },
		/// `who` removed its vote; its stake is no longer frozen.
		Unvoted { who: T::AccountId, stake: BalanceOf<T> },
		/// An election chose `elected` validators out of `candidates`.
		Elected { elected: u32, candidates: u32 },
		/// The multi-block collection began (the election is due at about `due`).
		ElectionStarted { due: BlockNumberFor<T> },
		/// The collection finished: `leaders` of `candidates` are ready for staking.
		ElectionReady { leaders: u32, candidates: u32 },
		/// A finished result went unused for `ElectionLookahead` blocks and is recomputed.
		ElectionExpired,
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A vote must list at least one candidate.
		NoCandidates,
		/// A candidate is listed twice.
		DuplicateCandidate,
		/// A listed account is not a validator candidate.
		NotACandidate,
		/// The stake must be positive.
		ZeroStake,
		/// The stake exceeds the voter's balance (after the vote deposit).
		InsufficientBalance,
		/// The account has no vote to remove.
		NotVoting,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Advances the multi-block election within [`Config::ElectionBudget`].
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::collect(now)
		}

		fn integrity_test() {
			assert!(T::MaxVotes::get() >= 1, "a voter must be able to vote for someone");
			assert!(T::MaxWinnersPerPage::get() >= 1, "the election must elect someone");
			assert!(T::MaxBackersPerWinner::get() >= 1, "a winner has at least its own bond");
			assert!(
				!T::ElectionLookahead::get().is_zero(),
				"the collection needs at least one block"
			);
			let budget = T::ElectionBudget::get();
			for (pass, one) in [
				("tally", T::WeightInfo::tally(1)),
				("rank", T::WeightInfo::rank(1)),
				("back", T::WeightInfo::back(1)),
			] {
				assert!(
					T::WeightInfo::begin().saturating_add(one).all_lte(budget),
					"the election budget must fit one item of the {pass} pass"
				);
			}
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Votes for `candidates` with `stake`, replacing any earlier vote of the caller.
		///
		/// The dispatch origin must be `Signed`. `stake` is frozen on the caller's account (it
		/// can overlap with its staking bond) and counts fully for every listed candidate. A
		/// deposit is held for the record on the first vote. Emits [`Event::Voted`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::vote(candidates.len() as u32))]
		pub fn vote(
			origin: OriginFor<T>,
			candidates: BoundedVec<T::AccountId, T::MaxVotes>,
			#[pallet::compact] stake: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!candidates.is_empty(), Error::<T>::NoCandidates);
			ensure!(!stake.is_zero(), Error::<T>::ZeroStake);
			for (i, c) in candidates.iter().enumerate() {
				ensure!(!candidates[..i].contains(c), Error::<T>::DuplicateCandidate);
				ensure!(T::Candidates::contains(c), Error::<T>::NotACandidate);
			}
			let old = Votes::<T>::get(&who);
			let deposit = old.as_ref().map(|v| v.deposit).unwrap_or_else(T::VoteDeposit::get);
			let already_held = old.as_ref().map(|v| v.deposit).unwrap_or_else(Zero::zero);
			let total = T::Currency::total_balance(&who);
			ensure!(
				stake.saturating_add(deposit.saturating_sub(already_held)) <= total,
				Error::<T>::InsufficientBalance
			);

			// Checks done; write.
			if old.is_none() && !deposit.is_zero() {
				T::Currency::hold(&HoldReason::VoteDeposit.into(), &who, deposit)?;
			}
			if let Some(old) = &old {
				for c in old.candidates.iter() {
					CandidateVotes::<T>::mutate_exists(c, |s| {
						let left = s.unwrap_or_default().saturating_sub(old.stake);
						*s = if left.is_zero() { None } else { Some(left) };
					});
				}
			}
			for c in candidates.iter() {
				CandidateVotes::<T>::mutate(c, |s| *s = s.saturating_add(stake));
			}
			T::Currency::set_freeze(&FreezeReason::Voting.into(), &who, stake)?;
			LastVotedEra::<T>::insert(&who, T::CurrentEra::get());
			Self::deposit_event(Event::Voted {
				who: who.clone(),
				stake,
				candidates: candidates.to_vec(),
			});
			Votes::<T>::insert(&who, Vote { stake, candidates, deposit });
			Ok(())
		}

		/// Removes the caller's vote: its stake is thawed and the deposit released.
		///
		/// The dispatch origin must be `Signed`. Emits [`Event::Unvoted`].
		#[pallet::call_index(1)]
		pub fn unvote(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let vote = Votes::<T>::take(&who).ok_or(Error::<T>::NotVoting)?;
			for c in vote.candidates.iter() {
				CandidateVotes::<T>::mutate_exists(c, |s| {
					let left = s.unwrap_or_default().saturating_sub(vote.stake);
					*s = if left.is_zero() { None } else { Some(left) };
				});
			}
			T::Currency::thaw(&FreezeReason::Voting.into(), &who)?;
			if !vote.deposit.is_zero() {
				T::Currency::release(
					&HoldReason::VoteDeposit.into(),
					&who,
					vote.deposit,
					Precision::BestEffort,
				)?;
			}
			Self::deposit_event(Event::Unvoted { who, stake: vote.stake });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The era in which `who` last voted (chain contribution).
		pub fn last_voted_era(who: &T::AccountId) -> Option<EraIndex> {
			LastVotedEra::<T>::get(who)
		}

		/// Checks the pallet's invariants (try-runtime's `try_state`, the tests and the
		/// runtime fuzzer).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			let mut sums: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (who, vote) in Votes::<T>::iter() {
				ensure!(
					T::Currency::balance_frozen(&FreezeReason::Voting.into(), &who) == vote.stake,
					"freeze differs from the vote's stake"
				);
				for c in vote.candidates.iter() {
					let e = sums.entry(c.clone()).or_default();
					*e = e.saturating_add(vote.stake);
				}
			}
			for (c, s) in CandidateVotes::<T>::iter() {
				ensure!(sums.remove(&c) == Some(s), "CandidateVotes differs from the votes");
			}
			ensure!(sums.is_empty(), "a voted candidate has no CandidateVotes entry");
			Self::collection_try_state()
		}
	}
}
