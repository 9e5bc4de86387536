//! The multi-block election: three passes in `on_initialize`, each block within
//! [`Config::ElectionBudget`].
//!
//! ```text
//! Idle ──(due within ElectionLookahead)──▶ Tallying ──▶ Ranking ──▶ Backing ──▶ Ready
//!   ▲                                                                          │
//!   └────────────── elect() takes the result / it expires ◀─────────────────────┘
//! ```
//!
//! 1. **Tallying** reads the voters a page at a time ([`Config::Voters`], candidates first):
//!    a self-vote opens the candidate's tally (`Vb`), a lender adds its stake to the tally of
//!    the candidate it backs (`Vt`). Every voter counts; there is no voter bound.
//! 2. **Ranking** drains the tallies a batch at a time, reads `St` and keeps the best
//!    `MaxWinnersPerPage` by `Wt` in [`Leaders`]; `elect` takes the top `desired` of them, so
//!    a change of staking's validator count still counts.
//! 3. **Backing** reads the voters again and keeps each leader's largest lenders in
//!    [`LeaderLenders`] (the supports staking pays and slashes).
//!
//! A stake is counted as it stands when its page is read; `St` when its candidate is ranked.
//! A change after that counts from the next election. Each pass resumes from a cursor, so
//! voters added or removed elsewhere in the list are neither skipped nor counted twice.

use crate::{
	pallet::*,
	ranking::{insert_leader, insert_lender, shares},
	ElectionVoter, Phase, Ranked, Tally, VoterPages, WeightInfo, LOG_TARGET,
};
use alloc::{
	collections::{btree_map::BTreeMap, btree_set::BTreeSet},
	vec::Vec,
};
use frame_election_provider_support::ElectionDataProvider;
use frame_support::{
	traits::Get,
	weights::{Weight, WeightMeter},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

/// Most items one step of a pass handles, whatever the budget.
pub const MAX_STEP: u32 = 20_000;

/// How many items of a pass fit in `remaining`, for a pass weighing `w(n)` for `n` items
/// (linear), at most [`MAX_STEP`].
pub fn fit(remaining: Weight, w: impl Fn(u32) -> Weight) -> u32 {
	let base = w(0);
	let per = w(1).saturating_sub(base);
	if !base.saturating_add(per).all_lte(remaining) {
		return 0;
	}
	let left = remaining.saturating_sub(base);
	let by = |have: u64, each: u64| if each == 0 { u64::MAX } else { have / each };
	let n = by(left.ref_time(), per.ref_time()).min(by(left.proof_size(), per.proof_size()));
	n.min(u64::from(MAX_STEP)) as u32
}

/// Whether a voter is a candidate's self-vote (its own bond).
fn is_self_vote<A: PartialEq>(voter: &ElectionVoter<A>) -> bool {
	voter.2.len() == 1 && voter.2[0] == voter.0
}

impl<T: Config> Pallet<T> {
	/// `on_initialize`: starts the collection when the election is near, advances it, and
	/// expires a result nobody took. Returns the weight used.
	pub fn collect(now: BlockNumberFor<T>) -> Weight {
		let mut meter = WeightMeter::with_limit(T::ElectionBudget::get());
		meter.consume(T::WeightInfo::begin());
		if Self::start_if_due(now) {
			Self::advance(&mut meter, now);
		}
		meter.consumed()
	}

	/// Starts a collection when the election is within [`Config::ElectionLookahead`], and
	/// replaces a result older than that. Returns whether a collection is under way.
	pub(crate) fn start_if_due(now: BlockNumberFor<T>) -> bool {
		match ElectionPhase::<T>::get() {
			Phase::Idle => {
				let due = T::DataProvider::next_election_prediction(now);
				if due.saturating_sub(now) > T::ElectionLookahead::get() {
					return false;
				}
				Self::begin(due);
				true
			},
			Phase::Ready { since, .. } => {
				if now.saturating_sub(since) <= T::ElectionLookahead::get() {
					return false;
				}
				Self::clear_result();
				Self::deposit_event(Event::ElectionExpired);
				Self::begin(T::DataProvider::next_election_prediction(now));
				true
			},
			_ => true,
		}
	}

	/// Starts a collection (the election is due at about `due`).
	pub(crate) fn begin(due: BlockNumberFor<T>) {
		ElectionPhase::<T>::put(Phase::Tallying { cursor: None });
		Self::deposit_event(Event::ElectionStarted { due });
	}

	/// Runs the passes as far as `meter` allows.
	pub fn advance(meter: &mut WeightMeter, now: BlockNumberFor<T>) {
		loop {
			let next = match ElectionPhase::<T>::get() {
				Phase::Tallying { cursor } => {
					let n = fit(meter.remaining(), T::WeightInfo::tally);
					if n == 0 {
						return;
					}
					let page = T::Voters::page(cursor.as_ref(), n);
					meter.consume(T::WeightInfo::tally(page.visited.min(n)));
					Self::tally_page(page.voters);
					match page.next {
						Some(c) => Phase::Tallying { cursor: Some(c) },
						None => Phase::Ranking { seen: 0 },
					}
				},
				Phase::Ranking { seen } => {
					let n = fit(meter.remaining(), T::WeightInfo::rank);
					if n == 0 {
						return;
					}
					let ranked = Self::rank_batch(n);
					meter.consume(T::WeightInfo::rank(ranked));
					if ranked < n {
						Phase::Backing { cursor: None, candidates: seen.saturating_add(ranked) }
					} else {
						Phase::Ranking { seen: seen.saturating_add(ranked) }
					}
				},
				Phase::Backing { cursor, candidates } => {
					let n = fit(meter.remaining(), T::WeightInfo::back);
					if n == 0 {
						return;
					}
					let page = T::Voters::page(cursor.as_ref(), n);
					meter.consume(T::WeightInfo::back(page.visited.min(n)));
					Self::back_page(page.voters);
					match page.next {
						Some(c) => Phase::Backing { cursor: Some(c), candidates },
						None => {
							let leaders = Leaders::<T>::decode_len().unwrap_or(0) as u32;
							log::info!(
								target: LOG_TARGET,
								"election ready: {leaders} leaders of {candidates} candidates"
							);
							Self::deposit_event(Event::ElectionReady { leaders, candidates });
							Phase::Ready { since: now, candidates }
						},
					}
				},
				Phase::Idle | Phase::Ready { .. } => return,
			};
			ElectionPhase::<T>::put(next);
		}
	}

	/// Pass 1: adds a page of voters to the tallies. A lender counts only for candidates
	/// already tallied (all candidates come before any lender).
	pub(crate) fn tally_page(page: Vec<ElectionVoter<T::AccountId>>) {
		for voter in page {
			if is_self_vote(&voter) {
				let bond = u128::from(voter.1);
				Tallies::<T>::insert(&voter.0, Tally { own: bond, total: bond });
				continue;
			}
			let (_, weight, targets) = voter;
			let n = targets.len();
			for (target, amount) in targets.into_iter().zip(shares(u128::from(weight), n)) {
				if let Some(mut t) = Tallies::<T>::get(&target) {
					t.total = t.total.saturating_add(amount);
					Tallies::<T>::insert(&target, t);
				}
			}
		}
	}

	/// Pass 2: ranks up to `n` tallies into [`Leaders`] (the best `MaxWinnersPerPage`);
	/// returns how many it took.
	pub(crate) fn rank_batch(n: u32) -> u32 {
		let keep = T::MaxWinnersPerPage::get() as usize;
		let batch: Vec<(T::AccountId, Tally)> = Tallies::<T>::drain().take(n as usize).collect();
		let taken = batch.len() as u32;
		let min_bond: u128 = T::MinimumBond::get().unique_saturated_into();
		let mut leaders = Leaders::<T>::get().into_inner();
		for (who, tally) in batch {
			if tally.own == 0 || tally.own < min_bond {
				continue;
			}
			let votes: u128 = CandidateVotes::<T>::get(&who).unique_saturated_into();
			let entry = Ranked {
				weight: crate::election_weight(votes, tally.total),
				who,
				own: tally.own,
				total: tally.total,
				votes,
			};
			insert_leader(&mut leaders, entry, keep);
		}
		Leaders::<T>::put(BoundedVec::truncate_from(leaders));
		taken
	}

	/// Pass 3: adds the lenders of a page that back a leader to the leaders' lists.
	pub(crate) fn back_page(page: Vec<ElectionVoter<T::AccountId>>) {
		let leaders: BTreeSet<T::AccountId> =
			Leaders::<T>::get().into_iter().map(|l| l.who).collect();
		let cap = T::MaxBackersPerWinner::get().saturating_sub(1) as usize;
		let mut lists: BTreeMap<T::AccountId, Vec<(T::AccountId, u128)>> = BTreeMap::new();
		for voter in page {
			if is_self_vote(&voter) {
				continue;
			}
			let (lender, weight, targets) = voter;
			let n = targets.len();
			for (target, amount) in targets.into_iter().zip(shares(u128::from(weight), n)) {
				if !leaders.contains(&target) {
					continue;
				}
				let list = lists.entry(target.clone()).or_insert_with(|| {
					LeaderLenders::<T>::get(&target).map(|l| l.into_inner()).unwrap_or_default()
				});
				insert_lender(list, (lender.clone(), amount), cap);
			}
		}
		for (leader, list) in lists {
			LeaderLenders::<T>::insert(leader, BoundedVec::truncate_from(list));
		}
	}

	/// Takes the finished result: the leaders with their lender lists, and how many
	/// candidates were ranked. `None` (and nothing changes) unless the result is ready.
	pub(crate) fn take_result(
	) -> Option<(Vec<(Ranked<T::AccountId>, Vec<(T::AccountId, u128)>)>, u32)> {
		let Phase::Ready { candidates, .. } = ElectionPhase::<T>::get() else {
			return None;
		};
		let result = Leaders::<T>::take()
			.into_iter()
			.map(|l| {
				let lenders = LeaderLenders::<T>::take(&l.who).map(|x| x.into_inner());
				(l, lenders.unwrap_or_default())
			})
			.collect();
		ElectionPhase::<T>::put(Phase::Idle);
		Some((result, candidates))
	}

	/// Forgets a result or a collection under way, bounded by the leaders and candidates.
	pub(crate) fn clear_result() {
		for l in Leaders::<T>::take() {
			LeaderLenders::<T>::remove(&l.who);
		}
		let _ = Tallies::<T>::clear(u32::MAX, None);
		ElectionPhase::<T>::put(Phase::Idle);
	}

	/// Runs a whole collection now, whatever its weight (genesis tooling, `asap`, tests).
	pub fn collect_all(now: BlockNumberFor<T>) {
		if !ElectionPhase::<T>::get().is_ongoing() {
			Self::clear_result();
			Self::begin(now);
		}
		Self::advance(&mut WeightMeter::new(), now);
	}

	/// The collection's invariants (part of `try_state`).
	pub(crate) fn collection_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::ensure;
		let phase = ElectionPhase::<T>::get();
		let leaders = Leaders::<T>::get();
		ensure!(
			leaders.windows(2).all(|w| w[0].ranks_before(&w[1])),
			"leaders are not in rank order"
		);
		let cap = T::MaxBackersPerWinner::get().saturating_sub(1) as usize;
		for (leader, list) in LeaderLenders::<T>::iter() {
			ensure!(leaders.iter().any(|l| l.who == leader), "a lender list without its leader");
			ensure!(list.len() <= cap, "a lender list is over its bound");
			ensure!(
				list.windows(2).all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)),
				"a lender list is not largest first"
			);
		}
		match phase {
			Phase::Idle => {
				ensure!(leaders.is_empty(), "leaders while idle");
				ensure!(Tallies::<T>::count() == 0, "tallies while idle");
				ensure!(LeaderLenders::<T>::iter_keys().next().is_none(), "lenders while idle");
			},
			Phase::Tallying { .. } => {
				ensure!(leaders.is_empty(), "leaders before ranking");
			},
			Phase::Ranking { .. } => {
				ensure!(LeaderLenders::<T>::iter_keys().next().is_none(), "lenders before backing");
			},
			Phase::Backing { .. } | Phase::Ready { .. } => {
				ensure!(Tallies::<T>::count() == 0, "tallies left after ranking");
			},
		}
		Ok(())
	}
}
