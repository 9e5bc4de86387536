//! Selection: which machines are challenged, by whom, and with what deadlines.
//!
//! Machines whose profile is new or changed wait in [`Queue`]; after them, a walk over machine
//! ids from a random start takes the first unverified machine it reads, else the first verified
//! one (a random re-check). Verifiers are found by a second walk: online machines of other
//! providers (one per provider), idle, not in another challenge, whose memory holds a lane. A
//! walk reads at most [`Config::MaxProbes`] machines; all randomness comes from
//! [`Config::SelectionRandomness`].

use crate::{pallet::*, types::*, WeightInfo, LOG_TARGET};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{Get, Randomness},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_registry::{MachineId, MachineOf, OnProfileChange};
use sp_crypto_hashing::blake2_256;
use sp_runtime::traits::Saturating;
use uranus_primitives::challenge::{workload_memory, ChallengeParams};

/// Lanes a verifier recomputes for a challenge of `lanes`: one per 16 lanes, 1 to 4.
pub fn picks_for(lanes: u32) -> u32 {
	(lanes / 16).clamp(1, 4)
}

/// A stream of random numbers from one hash.
pub(crate) struct Draws {
	entropy: Hash32,
	counter: u32,
}

impl Draws {
	/// Draws from `entropy`.
	pub(crate) fn new(entropy: Hash32) -> Self {
		Draws { entropy, counter: 0 }
	}

	/// The next 32 random bytes.
	pub(crate) fn next_hash(&mut self) -> Hash32 {
		self.counter = self.counter.wrapping_add(1);
		blake2_256(&(self.entropy, self.counter).encode())
	}

	/// The next number below `bound` (`bound` > 0).
	pub(crate) fn below(&mut self, bound: u64) -> u64 {
		let h = self.next_hash();
		let mut b = [0u8; 8];
		b.copy_from_slice(&h[..8]);
		u64::from_le_bytes(b) % bound.max(1)
	}
}

/// Why a selected machine's challenge did not start.
pub(crate) enum NotStarted {
	/// Its claim has no workload (more cores than lanes exist, or too little memory per core):
	/// it stays unverified.
	Unchallengeable,
	/// No verifier was found: it waits for the next selection.
	NoVerifiers,
}

/// What one selection did, for its weight.
#[derive(Default)]
pub(crate) struct SelectionWork {
	/// Machines read (queue entries and walk steps).
	pub probes: u32,
	/// Challenges started.
	pub started: u32,
}

impl<T: Config> Pallet<T> {
	/// Starts up to [`Config::ChallengesPerPeriod`] challenges at `now`; returns the weight.
	pub(crate) fn select(now: BlockNumberFor<T>) -> Weight {
		let work = Self::selection(now);
		<T as Config>::WeightInfo::walk(work.probes).saturating_add(
			<T as Config>::WeightInfo::start(T::Verifiers::get())
				.saturating_mul(work.started.into()),
		)
	}

	/// The selection at `now`, returning what it did.
	pub(crate) fn selection(now: BlockNumberFor<T>) -> SelectionWork {
		let (random, _) = T::SelectionRandomness::random(&(b"attest/select", now).encode());
		let mut draws = Draws::new(blake2_256(random.as_ref()));
		let mut work = SelectionWork::default();
		for _ in 0..T::ChallengesPerPeriod::get() {
			if Challenges::<T>::count() >= T::MaxOpen::get() {
				break;
			}
			let Some((id, machine, from_queue)) = Self::next_candidate(&mut draws, &mut work)
			else {
				break;
			};
			match Self::start(id, &machine, now, &mut draws, &mut work) {
				Ok(()) | Err(NotStarted::Unchallengeable) => {},
				Err(NotStarted::NoVerifiers) => {
					if from_queue {
						// Back to the front: it was first in line.
						Queue::<T>::mutate(|q| {
							let _ = q.force_insert_keep_left(0, id);
						});
					}
					break;
				},
			}
		}
		work
	}

	/// The next machine to challenge: from the queue, else from a random walk.
	fn next_candidate(
		draws: &mut Draws,
		work: &mut SelectionWork,
	) -> Option<(MachineId, MachineOf<T>, bool)> {
		let mut queue = Queue::<T>::get();
		let mut kept = Vec::new();
		let mut found = None;
		while !queue.is_empty() {
			let id = queue.remove(0);
			work.probes = work.probes.saturating_add(1);
			let Some(m) = pallet_registry::Machines::<T>::get(id) else { continue };
			if pallet_registry::Pallet::<T>::hardware_verified(id, &m) {
				continue;
			}
			if Self::challengeable(id, &m) {
				found = Some((id, m, true));
				break;
			}
			// Offline, serving a lease or in another challenge: it keeps its place.
			kept.push(id);
		}
		for id in kept.into_iter().rev() {
			let _ = queue.try_insert(0, id);
		}
		Queue::<T>::put(queue);
		if found.is_some() {
			return found;
		}
		let mut recheck = None;
		for (id, m) in Self::walk(draws, work) {
			if !Self::challengeable(id, &m) {
				continue;
			}
			if !pallet_registry::Pallet::<T>::hardware_verified(id, &m) {
				return Some((id, m, false));
			}
			if recheck.is_none() {
				recheck = Some((id, m, false));
			}
		}
		recheck
	}

	/// Up to [`Config::MaxProbes`] machines from a random id on, wrapping around.
	fn walk(draws: &mut Draws, work: &mut SelectionWork) -> Vec<(MachineId, MachineOf<T>)> {
		let next_id = pallet_registry::NextMachineId::<T>::get();
		if next_id == 0 {
			return Vec::new();
		}
		let steps = next_id.min(T::MaxProbes::get() as u64);
		let start = draws.below(next_id);
		let mut found = Vec::new();
		for i in 0..steps {
			let id = (start + i) % next_id;
			work.probes = work.probes.saturating_add(1);
			if let Some(m) = pallet_registry::Machines::<T>::get(id) {
				found.push((id, m));
			}
		}
		found
	}

	/// Whether machine `id` can take part in a challenge now: online, idle, in none.
	fn challengeable(id: MachineId, m: &MachineOf<T>) -> bool {
		m.online && !Engaged::<T>::contains_key(id) && !pallet_registry::Pallet::<T>::serving(m)
	}

	/// Starts a challenge of machine `id`, if it has a valid claim and at least one verifier
	/// is found.
	fn start(
		id: MachineId,
		m: &MachineOf<T>,
		now: BlockNumberFor<T>,
		draws: &mut Draws,
		work: &mut SelectionWork,
	) -> Result<(), NotStarted> {
		let challenge_id = NextChallengeId::<T>::get();
		let seed = blake2_256(&(draws.next_hash(), b"seed", challenge_id).encode());
		let params = match ChallengeParams::for_claim(
			seed,
			m.profile.logical_cores,
			m.profile.memory_bytes,
			T::ComputeRounds::get(),
		) {
			Ok(p) => p,
			Err(e) => {
				// Not challengeable as claimed (too many cores or too little memory per core):
				// it stays unverified.
				log::debug!(target: LOG_TARGET, "machine {id} cannot be challenged: {e:?}");
				return Err(NotStarted::Unchallengeable);
			},
		};
		let verifiers = Self::find_verifiers(id, &m.owner, params.memory_per_lane(), draws, work);
		if verifiers.is_empty() {
			return Err(NotStarted::NoVerifiers);
		}
		let (lane, verify) = Self::durations(&params);
		let (probe_by, commit_by) = Self::initial_deadlines(now, lane);
		let (reveal_by, seal_by, judge_by) =
			crate::phases::after_commit(commit_by, T::RevealWindow::get(), verify);
		let due = probe_by.saturating_add(1u32.into());
		let machines: Vec<MachineId> = verifiers.iter().map(|v| v.machine).collect();
		let challenge = Challenge {
			machine: id,
			provider: m.owner.clone(),
			version: m.version,
			seed,
			lanes: params.lanes,
			log_n: params.log_n,
			r: params.r,
			rounds: params.rounds,
			started: now,
			probe_by,
			probed_at: None,
			seeded_at: None,
			commit_by,
			reveal_by,
			seal_by,
			judge_by,
			commitment: None,
			committed_at: None,
			picks: BoundedVec::new(),
			revealed: false,
			verifiers: BoundedVec::truncate_from(verifiers),
			due,
		};
		NextChallengeId::<T>::put(challenge_id.saturating_add(1));
		Engaged::<T>::insert(id, challenge_id);
		for v in &machines {
			Engaged::<T>::insert(v, challenge_id);
		}
		Self::schedule(challenge_id, due);
		Challenges::<T>::insert(challenge_id, challenge);
		work.started = work.started.saturating_add(1);
		Self::deposit_event(Event::ChallengeStarted {
			id: challenge_id,
			machine: id,
			seed,
			lanes: params.lanes,
			log_n: params.log_n,
			r: params.r,
			rounds: params.rounds,
			probe_by,
			verifiers: machines,
		});
		Ok(())
	}

	/// Up to [`Config::Verifiers`] machines of providers other than `provider` (one each),
	/// online, idle, in no challenge, with memory for a lane of `lane_bytes`.
	fn find_verifiers(
		challenged: MachineId,
		provider: &T::AccountId,
		lane_bytes: u64,
		draws: &mut Draws,
		work: &mut SelectionWork,
	) -> Vec<VerifierSlot<T::AccountId>> {
		let wanted = T::Verifiers::get() as usize;
		let mut chosen: Vec<VerifierSlot<T::AccountId>> = Vec::new();
		for (id, m) in Self::walk(draws, work) {
			if chosen.len() >= wanted {
				break;
			}
			if id == challenged
				|| m.owner == *provider
				|| chosen.iter().any(|v| v.owner == m.owner)
				|| workload_memory(m.profile.memory_bytes) < lane_bytes
				|| !Self::challengeable(id, &m)
			{
				continue;
			}
			chosen.push(VerifierSlot { machine: id, owner: m.owner, seal: None, verdict: None });
		}
		chosen
	}

	/// Blocks for one lane on the reference hardware with its margin, and for verifying the
	/// picks: a lane's compute rounds over [`Config::ComputeRoundsPerBlock`] plus its bytes
	/// over [`Config::LaneBytesPerBlock`]; a verifier recomputes its picks one after another,
	/// so it gets that times the picks. At least [`Config::MinRunBlocks`] each. The probe is
	/// allowed twice the lane ([`Self::initial_deadlines`]); the lanes' own deadline comes
	/// from the probe ([`crate::phases`]).
	pub fn durations(params: &ChallengeParams) -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		let lane_blocks = u64::from(params.rounds)
			.div_ceil(u64::from(T::ComputeRoundsPerBlock::get().max(1)))
			.saturating_add(params.memory_per_lane().div_ceil(T::LaneBytesPerBlock::get().max(1)));
		let picks = picks_for(params.lanes).min(T::MaxPicks::get()) as u64;
		let verify_blocks = lane_blocks.saturating_mul(picks);
		let min = T::MinRunBlocks::get();
		let to_blocks = |b: u64| -> BlockNumberFor<T> {
			let b: u32 = b.min(u32::MAX as u64) as u32;
			let b: BlockNumberFor<T> = b.into();
			b.max(min)
		};
		(to_blocks(lane_blocks), to_blocks(verify_blocks))
	}

	/// Puts machine `id` at the end of the queue (once); a full queue leaves it to the walk.
	pub(crate) fn enqueue(id: MachineId) {
		let queued = Queue::<T>::mutate(|q| {
			if q.contains(&id) {
				return false;
			}
			q.try_push(id).is_ok()
		});
		if queued {
			Self::deposit_event(Event::Queued { machine: id });
		}
	}
}

/// The registry's profile changes queue the machine for a challenge.
impl<T: Config> OnProfileChange for Pallet<T> {
	fn profile_changed(id: MachineId, _version: u32) {
		Self::enqueue(id);
	}
}
