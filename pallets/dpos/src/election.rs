//! The white paper's election as staking's [`ElectionProvider`]s.
//!
//! - [`Pallet`]: the multi-block election ([`crate::collection`]). `elect` returns the result
//!   the collection finished in the blocks before; it fails with
//!   [`ElectionError::NotReady`] otherwise, and staking then keeps its validators and asks
//!   again at the next session.
//! - [`OneShotElection`]: the same election computed whole in one call
//!   ([`crate::ranking::one_shot`]), for staking's genesis election only.

use crate::{
	pallet::*,
	ranking::{one_shot, support, Outcome},
	ElectionVoter, Ranked, VoterPages, WeightInfo, LOG_TARGET,
};
use alloc::vec::Vec;
use frame_election_provider_support::{
	BoundedSupport, BoundedSupports, BoundedSupportsOf, ElectionDataProvider, ElectionProvider,
	PageIndex,
};
use frame_support::{traits::Get, BoundedVec};
use sp_runtime::traits::{UniqueSaturatedInto, Zero};

/// Why an election failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ElectionError {
	/// Staking could not provide the desired count.
	DataProvider(&'static str),
	/// Only single-page elections are supported.
	UnsupportedPage,
	/// The multi-block collection has not finished (or never started).
	NotReady,
}

/// Turns `(who, total, backers)` into staking's bounded supports.
fn bounded<T: Config>(outcome: Outcome<T::AccountId>) -> BoundedSupportsOf<Pallet<T>> {
	let supports: Vec<_> = outcome
		.into_iter()
		.map(|(who, total, voters)| {
			(who, BoundedSupport { total, voters: BoundedVec::truncate_from(voters) })
		})
		.collect();
	BoundedSupports(BoundedVec::truncate_from(supports))
}

impl<T: Config> Pallet<T> {
	/// Every voter, read through [`Config::Voters`] in one go: candidates' own bonds and
	/// lenders. Unbounded: for genesis, tests and the reference election only.
	pub fn all_voters() -> (Vec<(T::AccountId, u128)>, Vec<ElectionVoter<T::AccountId>>) {
		let (mut candidates, mut lenders) = (Vec::new(), Vec::new());
		let mut cursor = None;
		loop {
			let page = T::Voters::page(cursor.as_ref(), 1_000);
			for (who, weight, targets) in page.voters {
				if targets.len() == 1 && targets[0] == who {
					candidates.push((who, u128::from(weight)));
				} else {
					lenders.push((who, weight, targets));
				}
			}
			match page.next {
				Some(c) => cursor = Some(c),
				None => return (candidates, lenders),
			}
		}
	}

	/// The whole election computed now, in one go: every candidate ranked (best first) and
	/// the winners' supports. Unbounded: the reference the multi-block election matches.
	pub fn one_shot() -> (Vec<Ranked<T::AccountId>>, Outcome<T::AccountId>) {
		let desired =
			T::DataProvider::desired_targets().unwrap_or_default().min(T::MaxWinnersPerPage::get());
		let (candidates, lenders) = Self::all_voters();
		one_shot(
			&candidates,
			&lenders,
			|c| CandidateVotes::<T>::get(c).unique_saturated_into(),
			T::MinimumBond::get().unique_saturated_into(),
			desired as usize,
			T::MaxBackersPerWinner::get() as usize,
		)
	}
}

impl<T: Config> ElectionProvider for Pallet<T> {
	type AccountId = T::AccountId;
	type BlockNumber = frame_system::pallet_prelude::BlockNumberFor<T>;
	type Error = ElectionError;
	type MaxWinnersPerPage = T::MaxWinnersPerPage;
	type MaxBackersPerWinner = T::MaxBackersPerWinner;
	type MaxBackersPerWinnerFinal = T::MaxBackersPerWinner;
	type Pages = frame_support::traits::ConstU32<1>;
	type DataProvider = T::DataProvider;

	/// Returns the finished multi-block result and forgets it.
	fn elect(page: PageIndex) -> Result<BoundedSupportsOf<Self>, Self::Error> {
		if page != 0 {
			return Err(ElectionError::UnsupportedPage);
		}
		let desired = T::DataProvider::desired_targets().map_err(ElectionError::DataProvider)?;
		let Some((mut leaders, candidates)) = Self::take_result() else {
			log::warn!(target: LOG_TARGET, "election asked for before the collection finished");
			return Err(ElectionError::NotReady);
		};
		// Every leader's list was read and removed, the first `desired` become supports.
		let backers = leaders.iter().map(|(_, l)| l.len() as u32).max().unwrap_or(0);
		// Staking asks inside its session hook: account for it in the block.
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			T::WeightInfo::elect(leaders.len() as u32, backers),
			frame_support::dispatch::DispatchClass::Mandatory,
		);
		leaders.truncate(desired as usize);
		let outcome: Outcome<T::AccountId> = leaders
			.into_iter()
			.map(|(leader, lenders)| {
				let (total, voters) = support(&leader.who, leader.own, &lenders);
				(leader.who, total, voters)
			})
			.collect();
		let elected = outcome.len() as u32;
		log::info!(target: LOG_TARGET, "elected {elected} of {candidates} candidates");
		Self::deposit_event(Event::Elected { elected, candidates });
		Ok(bounded::<T>(outcome))
	}

	/// The blocks a collection may take: [`Config::ElectionLookahead`].
	fn duration() -> Self::BlockNumber {
		T::ElectionLookahead::get()
	}

	/// Starts a collection now unless one is under way or ready.
	fn start() -> Result<(), Self::Error> {
		if matches!(ElectionPhase::<T>::get(), crate::Phase::Idle) {
			Self::begin(frame_system::Pallet::<T>::block_number());
		}
		Ok(())
	}

	/// `Err(())`: idle; `Ok(None)`: collecting; `Ok(Some(w))`: ready, `elect` weighs `w`.
	fn status() -> Result<Option<frame_support::weights::Weight>, ()> {
		match ElectionPhase::<T>::get() {
			crate::Phase::Idle => Err(()),
			crate::Phase::Ready { .. } => Ok(Some(T::WeightInfo::elect(
				T::MaxWinnersPerPage::get(),
				T::MaxBackersPerWinner::get(),
			))),
			_ => Ok(None),
		}
	}

	/// Finishes the collection at once (tests and benchmarks).
	#[cfg(any(feature = "runtime-benchmarks", feature = "std"))]
	fn asap() {
		Self::collect_all(frame_system::Pallet::<T>::block_number());
	}
}

/// The election computed whole in one call, for staking's genesis election (a handful of
/// stakers; the multi-block collection cannot run before the first block).
pub struct OneShotElection<T>(core::marker::PhantomData<T>);

impl<T: Config> ElectionProvider for OneShotElection<T> {
	type AccountId = T::AccountId;
	type BlockNumber = frame_system::pallet_prelude::BlockNumberFor<T>;
	type Error = ElectionError;
	type MaxWinnersPerPage = T::MaxWinnersPerPage;
	type MaxBackersPerWinner = T::MaxBackersPerWinner;
	type MaxBackersPerWinnerFinal = T::MaxBackersPerWinner;
	type Pages = frame_support::traits::ConstU32<1>;
	type DataProvider = T::DataProvider;

	fn elect(page: PageIndex) -> Result<BoundedSupportsOf<Self>, Self::Error> {
		if page != 0 {
			return Err(ElectionError::UnsupportedPage);
		}
		T::DataProvider::desired_targets().map_err(ElectionError::DataProvider)?;
		let (ranked, outcome) = Pallet::<T>::one_shot();
		Pallet::<T>::deposit_event(Event::Elected {
			elected: outcome.len() as u32,
			candidates: ranked.len() as u32,
		});
		Ok(bounded::<T>(outcome))
	}

	fn duration() -> Self::BlockNumber {
		Zero::zero()
	}

	fn start() -> Result<(), Self::Error> {
		Ok(())
	}

	/// Never under way: the election runs whole inside `elect`.
	fn status() -> Result<Option<frame_support::weights::Weight>, ()> {
		Err(())
	}
}
