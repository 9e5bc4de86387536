//! Benchmarks of `pallet-dpos`: both calls and every step of the multi-block election at
//! their worst case.
//!
//! Candidates and lenders are created through staking's own benchmark helpers
//! ([`ElectionDataProvider::add_target`] / [`ElectionDataProvider::add_voter`]), so in the
//! runtime the election reads real `pallet-staking` storage.

use super::*;
use crate::{
	pallet::{
		BalanceOf, CandidateVotes, ElectionPhase, LeaderLenders, Leaders, Pallet as Dpos, Tallies,
		Votes,
	},
	BenchmarkHelper, Phase, Ranked, Tally, VoterPages,
};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_election_provider_support::{ElectionDataProvider, ElectionProvider};
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating, UniqueSaturatedInto, Zero};

const SEED: u32 = 0;

/// Makes `n` fresh validator candidates.
fn candidates<T: Config>(n: u32, offset: u32) -> Vec<T::AccountId> {
	(0..n)
		.map(|i| {
			let who: T::AccountId = account("candidate", offset + i, SEED);
			T::DataProvider::add_target(who.clone());
			who
		})
		.collect()
}

/// Makes `n` lenders of 1,000 each, spread over `targets`.
fn lenders<T: Config>(n: u32, targets: &[T::AccountId]) {
	for i in 0..n {
		let lender: T::AccountId = account("lender", i, SEED);
		let target = targets[(i as usize) % targets.len()].clone();
		T::DataProvider::add_voter(lender, 1_000, BoundedVec::truncate_from(alloc::vec![target]));
	}
}

/// A ready result: `w` leaders, each with `b` lenders of 1 (returns the leaders).
fn ready<T: Config>(w: u32, b: u32) -> Vec<T::AccountId> {
	let leaders: Vec<T::AccountId> = (0..w).map(|i| account("leader", i, SEED)).collect();
	let ranked = leaders
		.iter()
		.enumerate()
		.map(|(i, who)| {
			let own = 1_000_000u128 - i as u128;
			Ranked {
				who: who.clone(),
				own,
				total: own,
				votes: 0,
				weight: crate::election_weight(0, own),
			}
		})
		.collect::<Vec<_>>();
	Leaders::<T>::put(BoundedVec::truncate_from(ranked));
	for (i, who) in leaders.iter().enumerate() {
		let list: Vec<(T::AccountId, u128)> =
			(0..b).map(|k| (account("small", i as u32 * 1_000 + k, SEED), 1u128)).collect();
		LeaderLenders::<T>::insert(who, BoundedVec::truncate_from(list));
	}
	ElectionPhase::<T>::put(Phase::Ready { since: Zero::zero(), candidates: w });
	leaders
}

/// A funded account.
fn funded_voter<T: Config>(name: &'static str) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, 0, SEED);
	let balance = BalanceOf::<T>::max_value() / 4u32.into();
	T::Currency::set_balance(&who, balance);
	who
}

/// A stake well inside a funded voter's balance.
fn stake<T: Config>() -> BalanceOf<T> {
	T::VoteDeposit::get().saturating_mul(1_000u32.into()).saturating_add(1_000u32.into())
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `vote` listing `n` candidates, replacing an earlier vote for `MaxVotes` others (both
	/// tallies are rewritten: the worst case).
	#[benchmark]
	fn vote(n: Linear<1, { T::MaxVotes::get() }>) -> Result<(), BenchmarkError> {
		let max = T::MaxVotes::get();
		let voter = funded_voter::<T>("voter");
		let old: BoundedVec<_, T::MaxVotes> = BoundedVec::truncate_from(candidates::<T>(max, 0));
		Dpos::<T>::vote(RawOrigin::Signed(voter.clone()).into(), old, stake::<T>())?;
		let new: BoundedVec<_, T::MaxVotes> = BoundedVec::truncate_from(candidates::<T>(n, max));
		let amount = stake::<T>().saturating_add(1u32.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(voter.clone()), new.clone(), amount);

		let record = Votes::<T>::get(&voter).ok_or(BenchmarkError::Stop("vote missing"))?;
		assert_eq!(record.candidates, new);
		assert_eq!(CandidateVotes::<T>::get(&new[0]), amount);
		Ok(())
	}

	/// `unvote` of a vote listing `MaxVotes` candidates.
	#[benchmark]
	fn unvote() -> Result<(), BenchmarkError> {
		let voter = funded_voter::<T>("voter");
		let list: BoundedVec<_, T::MaxVotes> =
			BoundedVec::truncate_from(candidates::<T>(T::MaxVotes::get(), 0));
		Dpos::<T>::vote(RawOrigin::Signed(voter.clone()).into(), list, stake::<T>())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(voter.clone()));

		assert!(Votes::<T>::get(&voter).is_none());
		Ok(())
	}

	/// The collection's start in its worst case: a ready result with `MaxWinnersPerPage`
	/// leaders went unused, is forgotten and a new collection begins.
	#[benchmark]
	fn begin() -> Result<(), BenchmarkError> {
		let w = T::MaxWinnersPerPage::get();
		ready::<T>(w, 1);
		let now = T::ElectionLookahead::get().saturating_add(2u32.into());
		frame_system::Pallet::<T>::set_block_number(now);

		let started;
		#[block]
		{
			started = Dpos::<T>::start_if_due(now);
		}

		assert!(started);
		assert!(matches!(ElectionPhase::<T>::get(), Phase::Tallying { cursor: None }));
		Ok(())
	}

	/// Pass 1 over a page of `n` lenders, each adding to the tally of a different candidate
	/// (a read and a write each).
	#[benchmark]
	fn tally(n: Linear<1, 5_000>) -> Result<(), BenchmarkError> {
		T::DataProvider::clear();
		let tallied: Vec<T::AccountId> = (0..n).map(|i| account("tallied", i, SEED)).collect();
		for who in tallied.iter() {
			Tallies::<T>::insert(who, Tally { own: 1, total: 1 });
		}
		lenders::<T>(n, &tallied);

		#[block]
		{
			Dpos::<T>::tally_page(T::Voters::page(None, n).voters);
		}

		for who in tallied.iter() {
			assert_eq!(Tallies::<T>::get(who).map(|t| t.total), Some(1_001));
		}
		Ok(())
	}

	/// Pass 2 over `n` tallies, each displacing the last of `MaxWinnersPerPage` leaders.
	#[benchmark]
	fn rank(n: Linear<1, 5_000>) -> Result<(), BenchmarkError> {
		let desired = T::MaxWinnersPerPage::get();
		let min: u128 = T::MinimumBond::get().unique_saturated_into();
		let min = min.max(1);
		let leaders: Vec<_> = (0..desired)
			.map(|i| {
				let who: T::AccountId = account("leader", i, SEED);
				Ranked {
					who,
					own: min,
					total: min,
					votes: 0,
					weight: crate::election_weight(0, min),
				}
			})
			.collect();
		Leaders::<T>::put(BoundedVec::truncate_from(leaders));
		for i in 0..n {
			let who: T::AccountId = account("tallied", i, SEED);
			let own = min.saturating_add(u128::from(i));
			Tallies::<T>::insert(&who, Tally { own, total: own.saturating_mul(2) });
			CandidateVotes::<T>::insert(&who, BalanceOf::<T>::from(1_000u32 + i));
		}
		ElectionPhase::<T>::put(Phase::Ranking { seen: 0 });

		let taken;
		#[block]
		{
			taken = Dpos::<T>::rank_batch(n);
		}

		assert_eq!(taken, n);
		assert_eq!(Tallies::<T>::count(), 0);
		Ok(())
	}

	/// Pass 3 over a page of `n` lenders backing the `MaxWinnersPerPage` leaders, whose
	/// lender lists are full of smaller lenders: every one enters a list.
	#[benchmark]
	fn back(n: Linear<1, 5_000>) -> Result<(), BenchmarkError> {
		T::DataProvider::clear();
		let w = T::MaxWinnersPerPage::get();
		let cap = T::MaxBackersPerWinner::get().saturating_sub(1);
		let leaders = ready::<T>(w, cap);
		ElectionPhase::<T>::put(Phase::Backing { cursor: None, candidates: w });
		lenders::<T>(n, &leaders);

		#[block]
		{
			Dpos::<T>::back_page(T::Voters::page(None, n).voters);
		}

		let first = LeaderLenders::<T>::get(&leaders[0]).unwrap_or_default();
		assert!(cap == 0 || first.first().map(|l| l.1) == Some(1_000));
		Ok(())
	}

	/// `elect` returning a ready result of `w` leaders with `b` lenders each.
	#[benchmark]
	fn elect(
		w: Linear<1, { T::MaxWinnersPerPage::get() }>,
		b: Linear<0, { T::MaxBackersPerWinner::get().saturating_sub(1) }>,
	) -> Result<(), BenchmarkError> {
		T::BenchmarkHelper::set_desired_targets(w);
		ready::<T>(w, b);

		let supports;
		#[block]
		{
			supports = <Dpos<T> as ElectionProvider>::elect(0)
				.map_err(|_| BenchmarkError::Stop("election failed"))?;
		}

		assert_eq!(supports.len() as u32, w);
		assert!(matches!(ElectionPhase::<T>::get(), Phase::Idle));
		Ok(())
	}

	impl_benchmark_test_suite!(Dpos, crate::mock::ExtBuilder::bench_ext(), crate::mock::Test);
}
