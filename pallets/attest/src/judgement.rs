//! Judgement: the majority of verdicts, and what each party gains or loses.
//!
//! Balances only move (held deposit → verifiers or the PoC pot, PoC pool → verifiers): nothing
//! is minted or burnt, so total issuance is unchanged by any outcome.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_poc::LeaseOutcome;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

impl<T: Config> Pallet<T> {
	/// The outcome the revealed verdicts give: the strict majority, else inconclusive.
	pub fn majority(c: &ChallengeOf<T>) -> Outcome {
		let valid = c.verifiers.iter().filter(|v| v.verdict == Some(Verdict::Valid)).count();
		let invalid = c.verifiers.iter().filter(|v| v.verdict == Some(Verdict::Invalid)).count();
		if valid > invalid {
			Outcome::Passed
		} else if invalid > valid {
			Outcome::Failed(Failure::WrongLanes)
		} else {
			Outcome::Inconclusive
		}
	}

	/// Judges challenge `id` by its verdicts and ends it.
	pub(crate) fn judge(id: ChallengeId, c: ChallengeOf<T>) {
		let outcome = Self::majority(&c);
		Self::end(id, c, outcome);
	}

	/// Ends challenge `id` with `outcome`: the machine's verification, slashes, fees and
	/// penalties, then the challenge's storage is removed.
	pub(crate) fn end(id: ChallengeId, c: ChallengeOf<T>, outcome: Outcome) {
		let majority = match outcome {
			Outcome::Passed => Some(Verdict::Valid),
			Outcome::Failed(Failure::WrongLanes) => Some(Verdict::Invalid),
			_ => None,
		};
		// Verifiers are judged only once there was something to verify.
		let winners: Vec<&VerifierSlot<T::AccountId>> = match majority {
			Some(m) => c.verifiers.iter().filter(|v| v.verdict == Some(m)).collect(),
			None => Vec::new(),
		};
		if c.revealed && !c.picks.is_empty() {
			for v in c.verifiers.iter() {
				match v.verdict {
					None => Self::absent(id, v),
					Some(verdict) if Some(verdict) == majority => {
						let amount =
							pallet_poc::Pallet::<T>::pay_from_pool(&v.owner, T::VerifierFee::get());
						Self::deposit_event(Event::VerifierPaid {
							id,
							machine: v.machine,
							who: v.owner.clone(),
							amount,
						});
					},
					Some(_) if majority.is_some() => Self::dissent(id, v),
					// A tie: nobody is right or wrong.
					Some(_) => {},
				}
			}
		}
		match outcome {
			Outcome::Passed => {
				if pallet_registry::Machines::<T>::get(c.machine)
					.is_some_and(|m| m.version == c.version)
				{
					let (blocks, cpu_mhz) = Self::measured_speed(&c);
					pallet_registry::Pallet::<T>::mark_verified_measured(
						c.machine, c.version, cpu_mhz,
					);
					Self::deposit_event(Event::SpeedMeasured {
						id,
						machine: c.machine,
						lanes: c.lanes,
						blocks,
						cpu_mhz,
					});
				}
			},
			Outcome::Failed(_) => {
				pallet_registry::Pallet::<T>::mark_unverified(c.machine);
				if let Some(m) = pallet_registry::Machines::<T>::get(c.machine) {
					for cid in m.containers.iter() {
						pallet_poc::Pallet::<T>::do_outcome(*cid, LeaseOutcome::Failed);
					}
				}
				Self::slash_provider(&c.provider, &winners);
			},
			Outcome::Inconclusive => Self::enqueue(c.machine),
		}
		Engaged::<T>::remove(c.machine);
		for v in c.verifiers.iter() {
			Engaged::<T>::remove(v.machine);
		}
		Lanes::<T>::remove(id);
		Challenges::<T>::remove(id);
		Self::deposit_event(Event::ChallengeEnded { id, machine: c.machine, outcome });
	}

	/// The blocks the lanes took side by side (seed to commitment) and the per-core speed
	/// that gives, as logical MHz: [`Config::ReferenceCpuMhz`] for a lane in the reference
	/// time with its margin ([`Self::durations`]), proportionally more for a faster one.
	/// The lanes' time, not the probe's, so that no report changes it: a machine claiming
	/// twice its cores runs them in twice the time and counts as cores of half the speed.
	pub fn measured_speed(c: &ChallengeOf<T>) -> (BlockNumberFor<T>, u32) {
		let start = c.seeded_at.unwrap_or(c.started);
		let blocks = c.committed_at.unwrap_or(c.commit_by).saturating_sub(start);
		let taken: u64 = blocks.saturated_into::<u64>().max(1);
		let reference: u64 = Self::durations(&c.params()).0.saturated_into();
		let mhz = u64::from(T::ReferenceCpuMhz::get()).saturating_mul(reference) / taken;
		(blocks, mhz.min(u64::from(u32::MAX)) as u32)
	}

	/// Slashes [`Config::ProviderSlash`] of a failed provider's deposit: in equal parts to
	/// the verifiers who found the failure, or into the PoC pool when it failed on time alone.
	fn slash_provider(provider: &T::AccountId, winners: &[&VerifierSlot<T::AccountId>]) {
		let Some(p) = pallet_registry::Providers::<T>::get(provider) else { return };
		let total = T::ProviderSlash::get().mul_floor(p.deposit);
		if total.is_zero() {
			return;
		}
		if winners.is_empty() {
			let pot = pallet_poc::Pallet::<T>::pot();
			let moved = pallet_registry::Pallet::<T>::slash_provider_amount(provider, total, &pot);
			pallet_poc::Pallet::<T>::credit_pool(moved.saturated_into());
			return;
		}
		let each = total / (winners.len() as u32).into();
		for v in winners {
			pallet_registry::Pallet::<T>::slash_provider_amount(provider, each, &v.owner);
		}
	}

	/// A verifier against the majority: [`Config::VerifierSlash`] of its owner's deposit goes
	/// into the PoC pool.
	fn dissent(id: ChallengeId, v: &VerifierSlot<T::AccountId>) {
		let pot = pallet_poc::Pallet::<T>::pot();
		let amount = pallet_registry::Providers::<T>::get(&v.owner)
			.map(|p| T::VerifierSlash::get().mul_floor(p.deposit))
			.unwrap_or_default();
		let moved = pallet_registry::Pallet::<T>::slash_provider_amount(&v.owner, amount, &pot);
		let moved: u128 = moved.saturated_into();
		pallet_poc::Pallet::<T>::credit_pool(moved);
		Self::deposit_event(Event::VerifierDissented {
			id,
			machine: v.machine,
			who: v.owner.clone(),
			amount: moved,
		});
	}

	/// A verifier that revealed no verdict loses [`Config::LazyPenalty`] chain contribution on
	/// each of its machine's containers.
	fn absent(id: ChallengeId, v: &VerifierSlot<T::AccountId>) {
		if let Some(m) = pallet_registry::Machines::<T>::get(v.machine) {
			for cid in m.containers.iter() {
				pallet_poc::Pallet::<T>::do_chain_penalty(*cid, T::LazyPenalty::get());
			}
		}
		Self::deposit_event(Event::VerifierAbsent { id, machine: v.machine });
	}
}
