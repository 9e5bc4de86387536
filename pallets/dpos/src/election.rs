//! The white paper's election as staking's [`ElectionProvider`].
//!
//! ```text
//! for every electable target c with own bond Vb(c) ≥ B_Min:
//!     Vt(c) = Vb(c) + Σ_lenders Lb        (voters = staking's self-votes and nominations)
//!     St(c) = CandidateVotes[c]
//!     Wt(c) = St(c) · Vt(c)  or  Vt(c) if St(c) = 0
//! winners = top desired_targets by (Wt desc, account asc)
//! support(c) = [(c, Vb)] + [(lender, Lb)]   (largest backers first, bounded)
//! ```
//!
//! Cost: one pass over at most `ElectionBounds` voters and targets plus one `CandidateVotes`
//! read per target, then a sort: O(V + T log T).

use crate::{election_weight, pallet::*, Ranked, WeightInfo, LOG_TARGET};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use frame_election_provider_support::{
	BoundedSupport, BoundedSupports, BoundedSupportsOf, ElectionDataProvider, ElectionProvider,
	PageIndex,
};
use frame_support::{traits::Get, BoundedVec};
use sp_runtime::traits::{UniqueSaturatedInto, Zero};

/// Why an election failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ElectionError {
	/// Staking could not provide voters, targets or the desired count.
	DataProvider(&'static str),
	/// Only single-page elections are supported.
	UnsupportedPage,
}

impl<T: Config> Pallet<T> {
	/// Ranks every electable candidate (highest `Wt` first) and returns each one's backers.
	///
	/// Also returns how many voters (self-bonds and lenders) were read.
	pub fn rank() -> Result<
		(Vec<Ranked<T::AccountId>>, BTreeMap<T::AccountId, Vec<(T::AccountId, u128)>>, u32),
		ElectionError,
	> {
		let bounds = T::ElectionBounds::get();
		let targets = T::DataProvider::electable_targets(bounds.targets, 0)
			.map_err(ElectionError::DataProvider)?;
		let voters = T::DataProvider::electing_voters(bounds.voters, 0)
			.map_err(ElectionError::DataProvider)?;

		let voters_read = voters.len() as u32;
		let mut own: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		let mut backers: BTreeMap<T::AccountId, Vec<(T::AccountId, u128)>> = BTreeMap::new();
		for t in targets.iter() {
			backers.insert(t.clone(), Vec::new());
		}
		for (voter, weight, votes) in voters.into_iter() {
			let n = votes.len() as u128;
			if n == 0 {
				continue;
			}
			let share = weight as u128 / n;
			let mut rest = weight as u128 % n;
			for target in votes.into_iter() {
				let amount = share
					+ if rest > 0 {
						rest -= 1;
						1
					} else {
						0
					};
				if target == voter {
					own.insert(voter.clone(), amount);
				}
				if let Some(list) = backers.get_mut(&target) {
					list.push((voter.clone(), amount));
				}
			}
		}

		let min_bond: u128 = T::MinimumBond::get().unique_saturated_into();
		let mut ranked: Vec<Ranked<T::AccountId>> = targets
			.into_iter()
			.filter_map(|who| {
				let own_bond = *own.get(&who)?;
				if own_bond < min_bond || own_bond.is_zero() {
					return None;
				}
				let total = backers
					.get(&who)
					.map(|b| b.iter().fold(0u128, |acc, (_, x)| acc.saturating_add(*x)))
					.unwrap_or(own_bond);
				let votes: u128 = CandidateVotes::<T>::get(&who).unique_saturated_into();
				Some(Ranked {
					weight: election_weight(votes, total),
					who,
					own: own_bond,
					total,
					votes,
				})
			})
			.collect();
		ranked.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.who.cmp(&b.who)));
		Ok((ranked, backers, voters_read))
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

	fn elect(page: PageIndex) -> Result<BoundedSupportsOf<Self>, Self::Error> {
		if page != 0 {
			return Err(ElectionError::UnsupportedPage);
		}
		let desired = T::DataProvider::desired_targets().map_err(ElectionError::DataProvider)?;
		let desired = desired.min(T::MaxWinnersPerPage::get()) as usize;
		let (ranked, mut backers, voters_read) = Self::rank()?;
		let candidates = ranked.len() as u32;
		// The election runs inside staking's session hook: account for it in the block.
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			T::WeightInfo::elect(voters_read, candidates),
			frame_support::dispatch::DispatchClass::Mandatory,
		);

		let mut supports = Vec::new();
		for winner in ranked.into_iter().take(desired) {
			let mut list = backers.remove(&winner.who).unwrap_or_default();
			// Largest backers first; the candidate's own bond always stays.
			list.sort_by(|a, b| (b.0 == winner.who).cmp(&(a.0 == winner.who)).then(b.1.cmp(&a.1)));
			list.truncate(T::MaxBackersPerWinner::get() as usize);
			let total = list.iter().fold(0u128, |acc, (_, x)| acc.saturating_add(*x));
			let voters: BoundedVec<_, T::MaxBackersPerWinner> = BoundedVec::truncate_from(list);
			supports.push((winner.who, BoundedSupport { total, voters }));
		}
		let elected = supports.len() as u32;
		log::info!(target: LOG_TARGET, "elected {elected} of {candidates} candidates");
		Self::deposit_event(Event::Elected { elected, candidates });
		Ok(BoundedSupports(BoundedVec::truncate_from(supports)))
	}

	fn duration() -> Self::BlockNumber {
		Zero::zero()
	}

	fn start() -> Result<(), Self::Error> {
		Ok(())
	}

	/// The election runs whole inside [`ElectionProvider::elect`]: between two calls nothing
	/// is ever under way, so the answer is always "not doing anything" (`Err(())`), and
	/// staking's `election_ongoing()` is false.
	fn status() -> Result<Option<frame_support::weights::Weight>, ()> {
		Err(())
	}
}
