//! Storage migrations of the attestation pallet.
//!
//! **v0 → v1** ([`MigrateV0ToV1`]): every open [`crate::Challenge`] gains `rounds`, the
//! compute rounds of its lanes. v0 challenges were started for the workload without a compute
//! part, so they get `rounds = 0`: their lanes are the memory part alone, exactly what the
//! machine was asked for, and agents of either version compute and verify them alike. New
//! challenges get [`crate::Config::ComputeRounds`].
//!
//! **v1 → v2** ([`MigrateV1ToV2`]): every open challenge gains the probe's fields. v1
//! challenges were started with an absolute deadline and their lanes' seed: they count as
//! probed and seeded at their start, and keep their deadlines and seed, so agents already
//! running their lanes finish them. New challenges start with the probe.
//!
//! At most [`crate::Config::MaxOpen`] challenges are open, so one block holds it.

use crate::{pallet::*, Hash32, VerifierSlot};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_registry::MachineId;

#[cfg(feature = "try-runtime")]
use alloc::vec::Vec;

/// The v0 layout of a challenge.
pub mod v0 {
	use super::*;

	/// A challenge as v0 stored it (no compute rounds).
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OldChallenge<AccountId, BlockNumber, Picks, Verifiers> {
		pub machine: MachineId,
		pub provider: AccountId,
		pub version: u32,
		pub seed: Hash32,
		pub lanes: u32,
		pub log_n: u8,
		pub r: u32,
		pub started: BlockNumber,
		pub commit_by: BlockNumber,
		pub reveal_by: BlockNumber,
		pub seal_by: BlockNumber,
		pub judge_by: BlockNumber,
		pub commitment: Option<Hash32>,
		pub committed_at: Option<BlockNumber>,
		pub picks: Picks,
		pub revealed: bool,
		pub verifiers: Verifiers,
		pub due: BlockNumber,
	}

	/// A v0 challenge of runtime `T`.
	pub type OldChallengeOf<T> = OldChallenge<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		BoundedVec<u32, <T as Config>::MaxPicks>,
		BoundedVec<VerifierSlot<<T as frame_system::Config>::AccountId>, <T as Config>::Verifiers>,
	>;
}

/// The v1 layout of a challenge.
pub mod v1 {
	use super::*;

	/// A challenge as v1 stored it (compute rounds, no probe).
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OldChallenge<AccountId, BlockNumber, Picks, Verifiers> {
		pub machine: MachineId,
		pub provider: AccountId,
		pub version: u32,
		pub seed: Hash32,
		pub lanes: u32,
		pub log_n: u8,
		pub r: u32,
		pub rounds: u32,
		pub started: BlockNumber,
		pub commit_by: BlockNumber,
		pub reveal_by: BlockNumber,
		pub seal_by: BlockNumber,
		pub judge_by: BlockNumber,
		pub commitment: Option<Hash32>,
		pub committed_at: Option<BlockNumber>,
		pub picks: Picks,
		pub revealed: bool,
		pub verifiers: Verifiers,
		pub due: BlockNumber,
	}

	/// A v1 challenge of runtime `T`.
	pub type OldChallengeOf<T> = OldChallenge<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		BoundedVec<u32, <T as Config>::MaxPicks>,
		BoundedVec<VerifierSlot<<T as frame_system::Config>::AccountId>, <T as Config>::Verifiers>,
	>;

	/// `Challenges` as v1 stored it.
	#[frame_support::storage_alias]
	pub type Challenges<T: Config> =
		CountedStorageMap<Pallet<T>, Twox64Concat, crate::ChallengeId, OldChallengeOf<T>>;
}

/// `c` as v1 stored it (without its probe): what tests write to check the migration.
pub fn as_v1<T: Config>(c: &ChallengeOf<T>) -> v1::OldChallengeOf<T> {
	v1::OldChallenge {
		machine: c.machine,
		provider: c.provider.clone(),
		version: c.version,
		seed: c.seed,
		lanes: c.lanes,
		log_n: c.log_n,
		r: c.r,
		rounds: c.rounds,
		started: c.started,
		commit_by: c.commit_by,
		reveal_by: c.reveal_by,
		seal_by: c.seal_by,
		judge_by: c.judge_by,
		commitment: c.commitment,
		committed_at: c.committed_at,
		picks: c.picks.clone(),
		revealed: c.revealed,
		verifiers: c.verifiers.clone(),
		due: c.due,
	}
}

/// `c` as v0 stored it (without its rounds): what tests write to check the migration.
pub fn as_v0<T: Config>(c: &ChallengeOf<T>) -> v0::OldChallengeOf<T> {
	v0::OldChallenge {
		machine: c.machine,
		provider: c.provider.clone(),
		version: c.version,
		seed: c.seed,
		lanes: c.lanes,
		log_n: c.log_n,
		r: c.r,
		started: c.started,
		commit_by: c.commit_by,
		reveal_by: c.reveal_by,
		seal_by: c.seal_by,
		judge_by: c.judge_by,
		commitment: c.commitment,
		committed_at: c.committed_at,
		picks: c.picks.clone(),
		revealed: c.revealed,
		verifiers: c.verifiers.clone(),
		due: c.due,
	}
}

/// The v0 → v1 step without its version check; use [`MigrateV0ToV1`].
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut count = 0u64;
		v1::Challenges::<T>::translate::<v0::OldChallengeOf<T>, _>(|_, c| {
			count += 1;
			Some(v1::OldChallenge {
				machine: c.machine,
				provider: c.provider,
				version: c.version,
				seed: c.seed,
				lanes: c.lanes,
				log_n: c.log_n,
				r: c.r,
				rounds: 0,
				started: c.started,
				commit_by: c.commit_by,
				reveal_by: c.reveal_by,
				seal_by: c.seal_by,
				judge_by: c.judge_by,
				commitment: c.commitment,
				committed_at: c.committed_at,
				picks: c.picks,
				revealed: c.revealed,
				verifiers: c.verifiers,
				due: c.due,
			})
		});
		T::DbWeight::get().reads_writes(count, count)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(Challenges::<T>::count().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u32::decode(&mut &state[..])
			.map_err(|_| sp_runtime::TryRuntimeError::Other("pre-upgrade state"))?;
		let mut after = 0u32;
		for (_, c) in v1::Challenges::<T>::iter() {
			after += 1;
			ensure!(c.rounds == 0, "a migrated challenge keeps the workload it was started with");
		}
		ensure!(before == after, "every open challenge decodes after the migration");
		Ok(())
	}
}

/// v0 → v1, guarded by the pallet's storage version (it runs once).
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// The v1 → v2 step without its version check; use [`MigrateV1ToV2`].
pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut count = 0u64;
		Challenges::<T>::translate::<v1::OldChallengeOf<T>, _>(|_, c| {
			count += 1;
			Some(crate::Challenge {
				machine: c.machine,
				provider: c.provider,
				version: c.version,
				seed: c.seed,
				lanes: c.lanes,
				log_n: c.log_n,
				r: c.r,
				rounds: c.rounds,
				started: c.started,
				probe_by: c.started,
				probed_at: Some(c.started),
				seeded_at: Some(c.started),
				commit_by: c.commit_by,
				reveal_by: c.reveal_by,
				seal_by: c.seal_by,
				judge_by: c.judge_by,
				commitment: c.commitment,
				committed_at: c.committed_at,
				picks: c.picks,
				revealed: c.revealed,
				verifiers: c.verifiers,
				due: c.due,
			})
		});
		T::DbWeight::get().reads_writes(count, count)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok(v1::Challenges::<T>::count().encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u32::decode(&mut &state[..])
			.map_err(|_| sp_runtime::TryRuntimeError::Other("pre-upgrade state"))?;
		let mut after = 0u32;
		for (_, c) in Challenges::<T>::iter() {
			after += 1;
			ensure!(c.seeded_at == Some(c.started), "a migrated challenge keeps its lanes");
		}
		ensure!(before == after, "every open challenge decodes after the migration");
		Pallet::<T>::do_try_state()
	}
}

/// v1 → v2, guarded by the pallet's storage version (it runs once).
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
