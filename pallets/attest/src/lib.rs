//! # Attestation pallet: verified hardware without a human committee
//!
//! A machine's profile (cores, memory) is what its provider typed. This pallet lets the network
//! check it (issue #24; the design and its measurements are in this crate's `README.md`):
//!
//! 1. **Selection** ([`selection`]): every [`Config::ChallengePeriod`] blocks, up to
//!    [`Config::ChallengesPerPeriod`] machines: first those whose profile is new or changed
//!    ([`Queue`], fed by the registry's [`pallet_registry::OnProfileChange`]), then machines
//!    found by a random walk over machine ids (unverified ones first, else a random re-check).
//!    Each gets up to [`Config::Verifiers`] verifier machines of other providers, found the
//!    same way. The walk's start and the seed come from [`Config::SelectionRandomness`]
//!    (BABE's randomness from one epoch ago in the runtime): no block author chooses them and
//!    no machine knows them before that epoch. At most [`Config::MaxProbes`] machines are
//!    read per walk.
//! 2. **The workload** is [`uranus_primitives::challenge`]: one lane per claimed core, each a
//!    compute part ([`Config::ComputeRounds`] cache-sized scrypt runs, bound by the core) then
//!    a memory part (scrypt over its share of 3/4 of the claimed memory), from the seed.
//! 3. **Relative timing** ([`phases`]): the machine first runs one lane alone, the *probe*,
//!    and says when it is done ([`Pallet::probe`]): that time is this machine's own lane time,
//!    whatever its cores' speed. Two blocks later the chain draws the lanes' seed from
//!    [`Config::PickRandomness`] and gives every lane side by side that time plus
//!    [`Config::SideBySideSlack`]: twice the claimed cores run their lanes in two rounds and
//!    miss it on any CPU. The probe's own deadline ([`Config::ComputeRoundsPerBlock`],
//!    [`Config::LaneBytesPerBlock`], twice the reference hardware's time with its margin)
//!    only bounds how slow a core may be.
//! 4. **Commit–reveal** ([`Pallet::commit`], [`Pallet::reveal`]): the machine's owner commits
//!    to its lanes by `commit_by`; two blocks later the chain picks the lanes to check from
//!    [`Config::PickRandomness`] (fresh per block), so the machine could not know them when it
//!    committed; it reveals every lane by `reveal_by`, checked against the commitment.
//! 5. **Verdicts** ([`Pallet::seal_verdict`], [`Pallet::reveal_verdict`]): each verifier
//!    recomputes the picked lanes (its agent's `/v1/challenges/verify`), seals
//!    `blake2_256(challenge ‖ machine ‖ verdict ‖ salt)` by `seal_by`, then reveals once every
//!    verifier sealed or `seal_by` passed, by `judge_by`.
//! 6. **Judgement** ([`judgement`]): the majority of revealed verdicts decides. Passed: the
//!    registry marks the profile version verified (what PoC rewards read). Failed (late, not
//!    revealed, or wrong lanes): unverified, [`Config::ProviderSlash`] of the provider's deposit
//!    goes to the verifiers who found it (to the PoC pool when none had to), and every
//!    container of the machine records a failed service. Verifiers with the majority are paid
//!    [`Config::VerifierFee`] from the PoC pool; one against it loses
//!    [`Config::VerifierSlash`] of its deposit to the pool; one that did not answer loses
//!    [`Config::LazyPenalty`] chain contribution. No majority: the machine is queued again.
//!
//! Every step is bounded: [`Config::MaxOpen`] challenges at a time, each looked at by the hook
//! only at its next deadline ([`Due`]). A machine takes part in one challenge at a time, as the
//! challenged machine or as a verifier ([`Engaged`]).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod invariants;
pub mod judgement;
pub mod migrations;
pub mod phases;
pub mod selection;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use codec::Encode;
use sp_crypto_hashing::blake2_256;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::attest";

/// Most lanes a challenge has (one per claimed core).
pub type MaxLanes = frame_support::traits::ConstU32<{ uranus_primitives::challenge::MAX_LANES }>;

/// The seal of verifier `machine`'s `verdict` on challenge `id`: what
/// [`Pallet::seal_verdict`] takes and [`Pallet::reveal_verdict`] opens. The challenge and the
/// machine are inside so that one verifier cannot copy another's seal.
pub fn verdict_seal(
	id: ChallengeId,
	machine: pallet_registry::MachineId,
	verdict: Verdict,
	salt: &Hash32,
) -> Hash32 {
	blake2_256(&(b"uranus/verdict/v1", id, machine, verdict.byte(), salt).encode())
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Randomness};
	use frame_system::pallet_prelude::*;
	use pallet_registry::MachineId;
	use sp_runtime::{traits::Saturating, Perbill};

	/// An open challenge of this runtime.
	pub type ChallengeOf<T> = Challenge<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::Verifiers,
		<T as Config>::MaxPicks,
	>;

	/// The lanes a machine reveals.
	pub type LanesOf = BoundedVec<Hash32, MaxLanes>;

	/// v1: challenges store their compute rounds; v2: their probe ([`crate::migrations`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_registry::Config + pallet_poc::Config {
		/// Who may pause and resume the selection of new challenges (root / governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Randomness no single block author controls and nobody knows long ahead: where the
		/// selection walks start and the challenges' seeds (BABE's from one epoch ago).
		type SelectionRandomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Randomness new in every block: the lanes picked after a commitment (BABE's VRF
		/// output of the parent block).
		type PickRandomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Blocks between selections.
		#[pallet::constant]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;

		/// Challenges started per selection at most.
		#[pallet::constant]
		type ChallengesPerPeriod: Get<u32>;

		/// Challenges open at a time at most.
		#[pallet::constant]
		type MaxOpen: Get<u32>;

		/// Machines waiting in the queue at most (more are found by the random walk).
		#[pallet::constant]
		type MaxQueue: Get<u32>;

		/// Machines one walk reads at most.
		#[pallet::constant]
		type MaxProbes: Get<u32>;

		/// Verifiers a challenge asks for (at least one is needed to start it).
		#[pallet::constant]
		type Verifiers: Get<u32>;

		/// Lanes a verifier recomputes at most.
		#[pallet::constant]
		type MaxPicks: Get<u32>;

		/// Lane memory an honest machine fills and mixes per block, per lane with all its
		/// lanes running, including the margin: the memory part's share of the deadline is
		/// `lane bytes / this`.
		#[pallet::constant]
		type LaneBytesPerBlock: Get<u64>;

		/// Compute rounds per lane of new challenges (at most
		/// [`uranus_primitives::challenge::MAX_ROUNDS`]).
		#[pallet::constant]
		type ComputeRounds: Get<u32>;

		/// Compute rounds an honest core runs per block, including the margin: the compute
		/// part's share of the deadline is `rounds / this`.
		#[pallet::constant]
		type ComputeRoundsPerBlock: Get<u32>;

		/// How much longer than the probe (one lane alone) the lanes side by side may take:
		/// the memory bandwidth they share and the timing's noise. Twice the real cores take
		/// twice the probe, so this must stay well below 100 %.
		#[pallet::constant]
		type SideBySideSlack: Get<Perbill>;

		/// The logical MHz a core counts as whose lanes side by side take the reference
		/// lane's time with its margin ([`Self::durations`]); a machine verified by a
		/// challenge is scored at this times the reference time over its lanes' time
		/// (`registry.VerifiedCpuMhz`), not at the frequency it claims.
		#[pallet::constant]
		type ReferenceCpuMhz: Get<u32>;

		/// Shortest time for the workload and for verifying it, blocks.
		#[pallet::constant]
		type MinRunBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks to reveal lanes after `commit_by`, and verdicts after `seal_by`.
		#[pallet::constant]
		type RevealWindow: Get<BlockNumberFor<Self>>;

		/// Share of a failing provider's deposit slashed.
		#[pallet::constant]
		type ProviderSlash: Get<Perbill>;

		/// Share of a dissenting verifier's provider deposit slashed to the PoC pool.
		#[pallet::constant]
		type VerifierSlash: Get<Perbill>;

		/// What a verifier with the majority is paid from the PoC pool.
		#[pallet::constant]
		type VerifierFee: Get<u128>;

		/// Chain contribution a verifier that did not answer loses, per container.
		#[pallet::constant]
		type LazyPenalty: Get<u128>;

		/// Weights of this pallet.
		type WeightInfo: WeightInfo;
	}

	/// Open challenges.
	#[pallet::storage]
	pub type Challenges<T: Config> =
		CountedStorageMap<_, Twox64Concat, ChallengeId, ChallengeOf<T>>;

	/// The lanes a challenged machine revealed, until its challenge ends.
	#[pallet::storage]
	pub type Lanes<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, LanesOf>;

	/// Machines taking part in an open challenge (challenged or verifying), and which.
	#[pallet::storage]
	pub type Engaged<T: Config> = StorageMap<_, Twox64Concat, MachineId, ChallengeId>;

	/// Challenges the hook looks at in a block (each is in exactly one entry).
	#[pallet::storage]
	pub type Due<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ChallengeId, T::MaxOpen>,
		ValueQuery,
	>;

	/// Machines whose profile is new or changed, oldest first.
	#[pallet::storage]
	pub type Queue<T: Config> = StorageValue<_, BoundedVec<MachineId, T::MaxQueue>, ValueQuery>;

	/// The next challenge id.
	#[pallet::storage]
	pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

	/// Whether selections are paused (open challenges still run to their end).
	#[pallet::storage]
	pub type Paused<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Machine `machine` must run the probe (one lane of `log_n`, `r`, `rounds` from
		/// `seed`) by `probe_by`, then its `lanes`; `verifiers` will check it.
		ChallengeStarted {
			id: ChallengeId,
			machine: MachineId,
			seed: Hash32,
			lanes: u32,
			log_n: u8,
			r: u32,
			rounds: u32,
			probe_by: BlockNumberFor<T>,
			verifiers: alloc::vec::Vec<MachineId>,
		},
		/// The machine ran its probe (one lane alone) in `blocks`.
		Probed { id: ChallengeId, blocks: BlockNumberFor<T> },
		/// The lanes' `seed` was drawn: every lane, side by side, by `commit_by`.
		LanesSeeded { id: ChallengeId, seed: Hash32, commit_by: BlockNumberFor<T> },
		/// The challenged machine committed to its lanes.
		Committed { id: ChallengeId, commitment: Hash32 },
		/// The lanes the verifiers recompute were picked.
		LanesPicked { id: ChallengeId, picks: alloc::vec::Vec<u32> },
		/// The challenged machine revealed its lanes (they match its commitment).
		LanesRevealed { id: ChallengeId },
		/// Verifier `machine` sealed its verdict.
		VerdictSealed { id: ChallengeId, machine: MachineId },
		/// Verifier `machine` revealed `verdict`.
		VerdictRevealed { id: ChallengeId, machine: MachineId, verdict: Verdict },
		/// Passed: `machine`'s `lanes` took `blocks` side by side, so PoC scores its cores
		/// at `cpu_mhz` each.
		SpeedMeasured {
			id: ChallengeId,
			machine: MachineId,
			lanes: u32,
			blocks: BlockNumberFor<T>,
			cpu_mhz: u32,
		},
		/// The challenge of `machine` ended with `outcome`.
		ChallengeEnded { id: ChallengeId, machine: MachineId, outcome: Outcome },
		/// Verifier `machine` (owner `who`) was paid `amount` from the PoC pool.
		VerifierPaid { id: ChallengeId, machine: MachineId, who: T::AccountId, amount: u128 },
		/// Verifier `machine` voted against the majority: its owner lost `amount`.
		VerifierDissented { id: ChallengeId, machine: MachineId, who: T::AccountId, amount: u128 },
		/// Verifier `machine` did not reveal a verdict: it lost chain contribution.
		VerifierAbsent { id: ChallengeId, machine: MachineId },
		/// Machine `machine` waits for a challenge.
		Queued { machine: MachineId },
		/// Selections were paused (`true`) or resumed (`false`).
		PausedSet { paused: bool },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No open challenge has this id.
		UnknownChallenge,
		/// The caller does not own the challenged machine.
		NotChallenged,
		/// The machine already committed.
		AlreadyCommitted,
		/// The machine already reported its probe.
		AlreadyProbed,
		/// The lanes' seed is not drawn yet (the probe comes first).
		NotSeeded,
		/// The deadline for this step passed.
		TooLate,
		/// Nothing is committed yet.
		NotCommitted,
		/// The lanes are already revealed.
		AlreadyRevealed,
		/// The revealed lanes are not as many as the challenge has.
		WrongLaneCount,
		/// The revealed lanes do not hash to the commitment.
		CommitmentMismatch,
		/// The caller owns none of the challenge's verifier machines.
		NotVerifier,
		/// The lanes are not revealed or not picked yet: there is nothing to verify.
		NothingToVerify,
		/// This verifier already sealed its verdict.
		AlreadySealed,
		/// This verifier has not sealed a verdict.
		NotSealed,
		/// Verdicts are revealed once every verifier sealed or `seal_by` passed.
		SealsPending,
		/// The verdict and salt do not open the seal.
		SealMismatch,
		/// This verifier already revealed its verdict.
		VerdictRevealed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let mut weight = Self::advance_due(now);
			let period = T::ChallengePeriod::get();
			if !period.is_zero() && (now % period).is_zero() && !Paused::<T>::get() {
				weight.saturating_accrue(Self::select(now));
			}
			weight
		}

		fn integrity_test() {
			assert!(!T::ChallengePeriod::get().is_zero(), "selections need a period");
			assert!(T::MaxOpen::get() >= T::ChallengesPerPeriod::get(), "a selection must fit");
			assert!(T::Verifiers::get() >= 1, "a challenge needs a verifier");
			assert!(T::MaxPicks::get() >= 1, "a verifier checks at least one lane");
			assert!(T::MaxProbes::get() >= 1, "walks must read machines");
			assert!(T::LaneBytesPerBlock::get() > 0, "the deadline divides by it");
			assert!(T::ComputeRoundsPerBlock::get() > 0, "the deadline divides by it");
			assert!(T::ReferenceCpuMhz::get() > 0, "verified cores need a speed");
			assert!(
				T::SideBySideSlack::get() < Perbill::from_percent(100),
				"twice the cores must not fit in the lanes' deadline"
			);
			assert!(
				T::ComputeRounds::get() <= uranus_primitives::challenge::MAX_ROUNDS,
				"agents refuse more compute rounds"
			);
			assert!(
				T::RevealWindow::get() >= 3u32.into(),
				"lanes are picked two blocks after the commitment, before reveal_by"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// The challenged machine's owner commits to its lanes
		/// (`uranus_primitives::challenge::commitment`), once they are seeded. Origin: signed
		/// by the owner, by `commit_by`. Emits [`Event::Committed`]; [`Error::AlreadyCommitted`],
		/// [`Error::NotSeeded`], [`Error::TooLate`], [`Error::NotChallenged`].
		#[pallet::call_index(0)]
		pub fn commit(origin: OriginFor<T>, id: ChallengeId, commitment: Hash32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
			ensure!(c.provider == who, Error::<T>::NotChallenged);
			ensure!(c.commitment.is_none(), Error::<T>::AlreadyCommitted);
			ensure!(c.seeded_at.is_some(), Error::<T>::NotSeeded);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= c.commit_by, Error::<T>::TooLate);
			c.commitment = Some(commitment);
			c.committed_at = Some(now);
			Self::reschedule(id, &mut c, now);
			Challenges::<T>::insert(id, c);
			Self::deposit_event(Event::Committed { id, commitment });
			Ok(())
		}

		/// The challenged machine's owner reveals every lane, in lane order; they must hash to
		/// the commitment. Origin: signed by the owner, after committing and by `reveal_by`.
		/// Emits [`Event::LanesRevealed`]; [`Error::CommitmentMismatch`],
		/// [`Error::WrongLaneCount`], [`Error::NotCommitted`], [`Error::TooLate`].
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::reveal(lanes.len() as u32))]
		pub fn reveal(origin: OriginFor<T>, id: ChallengeId, lanes: LanesOf) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
			ensure!(c.provider == who, Error::<T>::NotChallenged);
			let commitment = c.commitment.ok_or(Error::<T>::NotCommitted)?;
			ensure!(!c.revealed, Error::<T>::AlreadyRevealed);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= c.reveal_by, Error::<T>::TooLate);
			ensure!(lanes.len() as u32 == c.lanes, Error::<T>::WrongLaneCount);
			ensure!(
				uranus_primitives::challenge::commitment(&c.seed, &lanes) == commitment,
				Error::<T>::CommitmentMismatch
			);
			c.revealed = true;
			Self::reschedule(id, &mut c, now);
			Challenges::<T>::insert(id, c);
			Lanes::<T>::insert(id, lanes);
			Self::deposit_event(Event::LanesRevealed { id });
			Ok(())
		}

		/// A verifier's owner seals its verdict ([`verdict_seal`]) once the lanes are revealed
		/// and picked. Origin: signed by the owner of a verifier machine, by `seal_by`. Emits
		/// [`Event::VerdictSealed`]; [`Error::NotVerifier`], [`Error::NothingToVerify`],
		/// [`Error::AlreadySealed`], [`Error::TooLate`].
		#[pallet::call_index(2)]
		pub fn seal_verdict(origin: OriginFor<T>, id: ChallengeId, seal: Hash32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
			ensure!(c.revealed && !c.picks.is_empty(), Error::<T>::NothingToVerify);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= c.seal_by, Error::<T>::TooLate);
			let slot =
				c.verifiers.iter_mut().find(|v| v.owner == who).ok_or(Error::<T>::NotVerifier)?;
			ensure!(slot.seal.is_none(), Error::<T>::AlreadySealed);
			slot.seal = Some(seal);
			let machine = slot.machine;
			Challenges::<T>::insert(id, c);
			Self::deposit_event(Event::VerdictSealed { id, machine });
			Ok(())
		}

		/// A verifier's owner opens its seal with the verdict and salt, once every verifier
		/// sealed or `seal_by` passed. The last verdict judges the challenge at once. Origin:
		/// signed by the owner of a verifier machine, by `judge_by`. Emits
		/// [`Event::VerdictRevealed`] (and the judgement's events); [`Error::SealsPending`],
		/// [`Error::SealMismatch`], [`Error::NotSealed`], [`Error::VerdictRevealed`].
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::reveal_verdict(T::Verifiers::get(), <T as pallet_registry::Config>::MaxContainersPerMachine::get()))]
		pub fn reveal_verdict(
			origin: OriginFor<T>,
			id: ChallengeId,
			verdict: Verdict,
			salt: Hash32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= c.judge_by, Error::<T>::TooLate);
			ensure!(
				now > c.seal_by || c.verifiers.iter().all(|v| v.seal.is_some()),
				Error::<T>::SealsPending
			);
			let slot =
				c.verifiers.iter_mut().find(|v| v.owner == who).ok_or(Error::<T>::NotVerifier)?;
			let seal = slot.seal.ok_or(Error::<T>::NotSealed)?;
			ensure!(slot.verdict.is_none(), Error::<T>::VerdictRevealed);
			ensure!(
				verdict_seal(id, slot.machine, verdict, &salt) == seal,
				Error::<T>::SealMismatch
			);
			slot.verdict = Some(verdict);
			let machine = slot.machine;
			Self::deposit_event(Event::VerdictRevealed { id, machine, verdict });
			if c.verifiers.iter().all(|v| v.verdict.is_some()) {
				Self::unschedule(id, c.due);
				Self::judge(id, c);
			} else {
				Challenges::<T>::insert(id, c);
			}
			Ok(())
		}

		/// Pauses (`true`) or resumes (`false`) the selection of new challenges; open ones run
		/// to their end. Origin: [`Config::AdminOrigin`] of this pallet. Emits [`Event::PausedSet`].
		#[pallet::call_index(4)]
		pub fn set_paused(origin: OriginFor<T>, paused: bool) -> DispatchResult {
			<T as Config>::AdminOrigin::ensure_origin(origin)?;
			Paused::<T>::put(paused);
			Self::deposit_event(Event::PausedSet { paused });
			Ok(())
		}

		/// The challenged machine's owner reports its probe done: one lane of the claim's
		/// size from the first seed, run alone. Its time is the machine's own lane time, which
		/// its lanes side by side must match (the result is not checked: reporting early only
		/// shortens the lanes' deadline, reporting late only lengthens it to what the machine
		/// could do anyway with its real cores). Origin: signed by the owner, by `probe_by`.
		/// Emits [`Event::Probed`]; [`Error::AlreadyProbed`], [`Error::TooLate`],
		/// [`Error::NotChallenged`].
		#[pallet::call_index(5)]
		pub fn probe(origin: OriginFor<T>, id: ChallengeId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut c = Challenges::<T>::get(id).ok_or(Error::<T>::UnknownChallenge)?;
			ensure!(c.provider == who, Error::<T>::NotChallenged);
			ensure!(c.probed_at.is_none(), Error::<T>::AlreadyProbed);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now <= c.probe_by, Error::<T>::TooLate);
			c.probed_at = Some(now);
			Self::reschedule(id, &mut c, now);
			let blocks = now.saturating_sub(c.started);
			Challenges::<T>::insert(id, c);
			Self::deposit_event(Event::Probed { id, blocks });
			Ok(())
		}
	}
}
