//! Benchmarks of `pallet-dpos`: both calls at their worst case and the election itself.
//!
//! Candidates and lenders are created through staking's own benchmark helpers
//! ([`ElectionDataProvider::add_target`] / [`ElectionDataProvider::add_voter`]), so in the
//! runtime the election reads real `pallet-staking` storage.

use super::*;
use crate::pallet::{BalanceOf, CandidateVotes, Pallet as Dpos, Votes};
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_election_provider_support::{ElectionDataProvider, ElectionProvider};
use frame_support::{
	traits::{fungible::Mutate, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

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

	/// The election over `t` candidates (each voted for) and `v` lenders spread over them.
	#[benchmark]
	fn elect(v: Linear<1_000, 100_000>, t: Linear<1_000, 10_000>) -> Result<(), BenchmarkError> {
		T::DataProvider::clear();
		let targets = candidates::<T>(t, 0);
		for (i, c) in targets.iter().enumerate() {
			CandidateVotes::<T>::insert(c, BalanceOf::<T>::from(1_000u32 + i as u32));
		}
		for i in 0..v {
			let lender: T::AccountId = account("lender", i, SEED);
			let target = targets[(i % t) as usize].clone();
			T::DataProvider::add_voter(
				lender,
				1_000,
				BoundedVec::truncate_from(alloc::vec![target]),
			);
		}

		let supports;
		#[block]
		{
			supports = <Dpos<T> as ElectionProvider>::elect(0)
				.map_err(|_| BenchmarkError::Stop("election failed"))?;
		}

		assert!(!supports.is_empty());
		Ok(())
	}

	impl_benchmark_test_suite!(Dpos, crate::mock::ExtBuilder::bench_ext(), crate::mock::Test);
}
