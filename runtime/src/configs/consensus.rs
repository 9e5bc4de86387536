//! Consensus: BABE block production, GRANDPA finality, session rotation and the path from an
//! equivocation proof to a slash.
//!
//! ```text
//! BABE/GRANDPA equivocation proof + historical key-ownership proof
//!   -> pallet_{babe,grandpa}::EquivocationReportSystem (unsigned report, validated in the pool)
//!   -> pallet_offences (deduplicates, records the offence)
//!   -> pallet_staking::OnOffenceHandler (computes and applies the slash)
//!   -> pallet_session::DisablingStrategy (disables the offender for the era)
//! ```

use crate::{
	time::{EPOCH_DURATION_IN_SLOTS, MILLI_SECS_PER_BLOCK},
	AccountId, Babe, Balances, Historical, Offences, Runtime, RuntimeCall, RuntimeEvent,
	SessionKeys, Staking, UncheckedExtrinsic,
};
use frame_support::{parameter_types, traits::KeyOwnerProofSystem};
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::OpaqueKeys;

parameter_types! {
	/// One BABE epoch = one session.
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: u64 = MILLI_SECS_PER_BLOCK;
	/// Unsigned equivocation reports stay valid in the pool for one epoch.
	pub const ReportLongevity: u64 = EPOCH_DURATION_IN_SLOTS;
	/// Upper bound on the validator set (the white paper elects 48; headroom for growth).
	pub const MaxAuthorities: u32 = 100;
	/// Upper bound on the lenders (nominators) of one validator recorded in an exposure page.
	pub const MaxNominators: u32 = 512;
	/// GRANDPA set-id → session entries kept for equivocation proofs: one bonding period.
	pub MaxSetIdSessionEntries: u64 =
		(crate::configs::staking::BondingDuration::get() as u64) * (crate::configs::staking::SessionsPerEra::get() as u64);
	/// Session keys carry a deposit, returned when the keys are purged.
	pub const KeyDeposit: crate::Balance = crate::currency::deposit(1, 64);
}

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	/// Sessions drive epoch changes, so the validator set and the BABE authorities move together.
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = crate::Session;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = MaxNominators;
	type KeyOwnerProof =
		<Historical as KeyOwnerProofSystem<(KeyTypeId, pallet_babe::AuthorityId)>>::Proof;
	type EquivocationReportSystem =
		pallet_babe::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = MaxNominators;
	type MaxSetIdSessionEntries = MaxSetIdSessionEntries;
	type KeyOwnerProof =
		<Historical as KeyOwnerProofSystem<(KeyTypeId, sp_consensus_grandpa::AuthorityId)>>::Proof;
	type EquivocationReportSystem =
		pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_authorship::Config for Runtime {
	/// The author is the session validator at the BABE authority index of the pre-digest.
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	/// Staking counts authored blocks as era points.
	type EventHandler = Staking;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	type SessionManager = pallet_session::historical::NoteHistoricalRoot<Self, Staking>;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = pallet_session::disabling::UpToLimitWithReEnablingDisablingStrategy;
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = KeyDeposit;
}

impl pallet_session::historical::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type FullIdentification = ();
	type FullIdentificationOf = pallet_staking::UnitIdentificationOf<Self>;
}

impl pallet_offences::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
	type OnOffenceHandler = Staking;
}

/// How runtime code wraps a call into an extrinsic (needed to submit unsigned reports).
impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

/// Bare (unsigned) extrinsics: equivocation reports, validated by their pallets.
impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}
