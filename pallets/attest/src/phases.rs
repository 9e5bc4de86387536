//! A challenge's phases and deadlines, and the hook's step for each: the probe (one lane
//! alone), the lanes' seed two blocks after it, the commitment, the picks two blocks after
//! that, the reveal and the judgement.
//!
//! **Why the timing is relative.** A deadline in blocks set for one reference host verifies
//! "as much work as the reference does in that time", not the cores claimed: a core 1.6× as
//! fast as the reference fits twice its lanes in the deadline (an AMD EPYC against the Intel
//! Xeon the first deadline was set on). So the machine first times itself: the probe is one
//! lane of its claim's size, run alone. Its lanes, all side by side, then get that time plus
//! [`Config::SideBySideSlack`]. With `k` real cores and `c` claimed, the lanes run in
//! `⌈c / k⌉` rounds: twice the cores take twice the probe, whatever the core's speed.
//!
//! The probe is a report, not a proof, and needs none: reporting it early only shortens the
//! machine's own deadline; reporting it late (or running it slowly) lengthens the deadline to
//! `t` only by making `t` the lane time the machine is held to, so that `lanes / t` (the
//! verified throughput) can never exceed what its real cores did side by side, times the
//! slack. The lanes' seed is drawn from [`Config::PickRandomness`] two blocks after the
//! probe is on chain, so no lane can be computed while the probe's time runs.

use crate::{pallet::*, selection, types::*, WeightInfo};
use codec::Encode;
use frame_support::{
	traits::{Get, Randomness},
	weights::Weight,
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_crypto_hashing::blake2_256;
use sp_runtime::traits::Saturating;

/// The deadlines after the lanes' commitment: `(reveal_by, seal_by, judge_by)`.
pub fn after_commit<B: Saturating + Copy>(commit_by: B, window: B, verify: B) -> (B, B, B) {
	let reveal_by = commit_by.saturating_add(window);
	let seal_by = reveal_by.saturating_add(verify);
	(reveal_by, seal_by, seal_by.saturating_add(window))
}

impl<T: Config> Pallet<T> {
	/// Blocks the lanes side by side get after the probe took `probe` blocks:
	/// `probe + ⌈probe · SideBySideSlack⌉ + 1` (the commitment's own block), at least
	/// [`Config::MinRunBlocks`].
	pub fn side_by_side_blocks(probe: BlockNumberFor<T>) -> BlockNumberFor<T> {
		let slack = T::SideBySideSlack::get().mul_ceil(probe);
		probe.saturating_add(slack).saturating_add(1u32.into()).max(T::MinRunBlocks::get())
	}

	/// The probe's deadline and the latest `commit_by` a challenge started at `now` can get,
	/// for a lane of `lane` blocks on the reference hardware with its margin: the probe gets
	/// twice that (a core at least half as fast), the lanes what the slowest probe allows.
	pub fn initial_deadlines(
		now: BlockNumberFor<T>,
		lane: BlockNumberFor<T>,
	) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		let probe_time = lane.saturating_add(lane);
		let probe_by = now.saturating_add(probe_time);
		let commit_by = probe_by
			.saturating_add(2u32.into())
			.saturating_add(Self::side_by_side_blocks(probe_time));
		(probe_by, commit_by)
	}

	/// Runs the challenges due at `now`; returns the weight used.
	pub(crate) fn advance_due(now: BlockNumberFor<T>) -> Weight {
		let due = Due::<T>::take(now);
		let mut weight = <T as Config>::WeightInfo::advance_idle();
		for id in due {
			weight.saturating_accrue(Self::advance(id, now));
		}
		weight
	}

	/// The hook's step for challenge `id` at `now`: a missed deadline fails it, a probe two
	/// blocks old gets the lanes' seed, a commitment two blocks old gets its picks, a passed
	/// `judge_by` judges it. Returns the weight used.
	pub(crate) fn advance(id: ChallengeId, now: BlockNumberFor<T>) -> Weight {
		let w = <T as Config>::WeightInfo::advance_judge(
			T::Verifiers::get(),
			<T as pallet_registry::Config>::MaxContainersPerMachine::get(),
		);
		let Some(mut c) = Challenges::<T>::get(id) else { return w };
		let two: BlockNumberFor<T> = 2u32.into();
		match (c.probed_at, c.seeded_at) {
			(None, _) if now > c.probe_by => {
				Self::end(id, c, Outcome::Failed(Failure::Late));
				return w;
			},
			(Some(at), None) if now >= at.saturating_add(two) => Self::seed_lanes(id, &mut c, now),
			_ => {},
		}
		match (c.commitment, c.committed_at) {
			(None, _) if now > c.commit_by => {
				Self::end(id, c, Outcome::Failed(Failure::Late));
				return w;
			},
			(Some(commitment), Some(at)) if c.picks.is_empty() && now >= at.saturating_add(two) => {
				Self::pick(id, &mut c, &commitment);
			},
			_ => {},
		}
		if !c.revealed && now > c.reveal_by {
			Self::end(id, c, Outcome::Failed(Failure::NotRevealed));
			return w;
		}
		if c.revealed && now > c.judge_by {
			Self::judge(id, c);
			return w;
		}
		Self::reschedule(id, &mut c, now);
		Challenges::<T>::insert(id, c);
		w
	}

	/// Draws the lanes' seed from this block's [`Config::PickRandomness`] (which did not
	/// exist when the probe was reported) and sets the deadlines from the probe's time.
	fn seed_lanes(id: ChallengeId, c: &mut ChallengeOf<T>, now: BlockNumberFor<T>) {
		let probe = c.probed_at.unwrap_or(c.started).saturating_sub(c.started);
		let (random, _) = T::PickRandomness::random(&(b"attest/lanes", id).encode());
		c.seed = blake2_256(&(b"uranus/lanes/v1", random, c.seed).encode());
		c.seeded_at = Some(now);
		c.commit_by = now.saturating_add(Self::side_by_side_blocks(probe));
		let (_, verify) = Self::durations(&c.params());
		let (reveal_by, seal_by, judge_by) =
			after_commit(c.commit_by, T::RevealWindow::get(), verify);
		(c.reveal_by, c.seal_by, c.judge_by) = (reveal_by, seal_by, judge_by);
		Self::deposit_event(Event::LanesSeeded { id, seed: c.seed, commit_by: c.commit_by });
	}

	/// Picks the lanes to check from this block's [`Config::PickRandomness`].
	fn pick(id: ChallengeId, c: &mut ChallengeOf<T>, commitment: &Hash32) {
		let (random, _) = T::PickRandomness::random(&(b"attest/picks", id).encode());
		let entropy = blake2_256(&(random, commitment).encode());
		let k = selection::picks_for(c.lanes).min(T::MaxPicks::get());
		let picks = uranus_primitives::challenge::pick_lanes(&entropy, c.lanes, k);
		c.picks = BoundedVec::truncate_from(picks.clone());
		Self::deposit_event(Event::LanesPicked { id, picks });
	}

	/// The block the hook must next look at `c`.
	pub(crate) fn next_due(c: &ChallengeOf<T>) -> BlockNumberFor<T> {
		let one: BlockNumberFor<T> = 1u32.into();
		let two: BlockNumberFor<T> = 2u32.into();
		match (c.probed_at, c.seeded_at, c.committed_at) {
			(None, _, _) => c.probe_by.saturating_add(one),
			(Some(at), None, _) => at.saturating_add(two),
			(_, _, None) => c.commit_by.saturating_add(one),
			(_, _, Some(at)) if c.picks.is_empty() => at.saturating_add(two),
			(_, _, Some(_)) if !c.revealed => c.reveal_by.saturating_add(one),
			(_, _, Some(_)) => c.judge_by.saturating_add(one),
		}
	}

	/// Moves `c`'s entry in [`Due`] to its next deadline (after `now`).
	pub(crate) fn reschedule(id: ChallengeId, c: &mut ChallengeOf<T>, now: BlockNumberFor<T>) {
		let next = Self::next_due(c).max(now.saturating_add(1u32.into()));
		if next == c.due {
			return;
		}
		Self::unschedule(id, c.due);
		Self::schedule(id, next);
		c.due = next;
	}

	/// Adds `id` to [`Due`] at `at`. Each open challenge has one entry and at most
	/// [`Config::MaxOpen`] are open, so the entry always fits.
	pub(crate) fn schedule(id: ChallengeId, at: BlockNumberFor<T>) {
		Due::<T>::mutate(at, |ids| {
			if ids.try_push(id).is_err() {
				log::error!(target: crate::LOG_TARGET, "more than MaxOpen challenges due at once");
			}
		});
	}

	/// Removes `id` from [`Due`] at `at`.
	pub(crate) fn unschedule(id: ChallengeId, at: BlockNumberFor<T>) {
		Due::<T>::mutate_exists(at, |ids| {
			if let Some(list) = ids {
				list.retain(|x| *x != id);
				if list.is_empty() {
					*ids = None;
				}
			}
		});
	}
}
