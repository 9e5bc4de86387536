//! # Uranus runtime
//!
//! The FRAME runtime of the Uranus compute-market chain, compiled to Wasm.
//!
//! ## Consensus (white paper §5.2)
//! - Block production: BABE (VRF-selected slot leaders, unpredictable order every slot).
//! - Finality: GRANDPA (BFT, more than 2/3 of validators).
//! - Validator set: `pallet-staking` (deposit `Vb` = bond, lending `Lb` = nomination) elected by
//!   `pallet-dpos` (`Wt = St · Vt`, stake-weighted votes) and rotated through `pallet-session`;
//!   one BABE epoch is one session.
//! - Misbehaviour: BABE and GRANDPA equivocation reports go through `pallet-offences` into
//!   staking slashing, proven against historical session data.
//!
//! ## Layout
//! - [`configs`]: one `impl pallet_x::Config for Runtime` per pallet, grouped by concern.
//! - [`apis`]: the runtime APIs the node and wallets call.
//! - [`genesis_config_presets`]: the `dev`, `local` and `testnet` presets.
#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]

// The Wasm of this very build (`build.rs`): the production runtime's under its own name.
#[cfg(all(feature = "std", feature = "fast-runtime"))]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));
#[cfg(all(feature = "std", not(feature = "fast-runtime")))]
include!(concat!(env!("OUT_DIR"), "/uranus_runtime_production"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys};
use sp_version::RuntimeVersion;

pub use uranus_primitives::{
	currency, AccountId, Balance, BlockNumber, Hash, Moment, Nonce, Signature,
};

/// Opaque types: what the node needs to know about the runtime without knowing its calls.
pub mod opaque {
	use super::*;
	use alloc::vec::Vec;
	use sp_runtime::traits::BlakeTwo256;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator: BABE for block production, GRANDPA for finality.
		pub struct SessionKeys {
			/// Block production key (sr25519, VRF).
			pub babe: super::Babe,
			/// Finality voting key (ed25519).
			pub grandpa: super::Grandpa,
		}
	}
}
pub use opaque::SessionKeys;

/// The runtime version. Bump `spec_version` with every change of runtime logic.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("uranus"),
	impl_name: alloc::borrow::Cow::Borrowed("uranus"),
	authoring_version: 1,
	spec_version: 112,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Block timing. The `fast-runtime` feature shortens slots, epochs (sessions) and eras so that
/// tests and local networks see session rotation and elections within minutes.
pub mod time {
	use super::{BlockNumber, Moment};

	/// Target time between two blocks, in milliseconds.
	#[cfg(feature = "fast-runtime")]
	pub const MILLI_SECS_PER_BLOCK: Moment = 3_000;
	/// Target time between two blocks, in milliseconds.
	#[cfg(not(feature = "fast-runtime"))]
	pub const MILLI_SECS_PER_BLOCK: Moment = 6_000;

	/// One BABE slot lasts one target block time.
	pub const SLOT_DURATION: Moment = MILLI_SECS_PER_BLOCK;

	/// Blocks per minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day.
	pub const DAYS: BlockNumber = HOURS * 24;

	/// Length of a BABE epoch, which is also the length of a session.
	#[cfg(feature = "fast-runtime")]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = 10;
	/// Length of a BABE epoch, which is also the length of a session.
	#[cfg(not(feature = "fast-runtime"))]
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = HOURS;

	/// Epoch length in slots (one slot per block at best).
	pub const EPOCH_DURATION_IN_SLOTS: u64 = EPOCH_DURATION_IN_BLOCKS as u64;

	/// BABE's probability `c = (1, 4)` that a slot has a primary leader: secondary slots fill
	/// the rest, so every slot gets a block.
	pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
}

/// The BABE epoch configuration at genesis.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: time::PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, sp_runtime::traits::BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with its justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier type.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions, in the order wallets sign them.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Builds the transaction extensions for a signed transaction.
pub fn tx_extension(era: generic::Era, nonce: Nonce, tip: Balance) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(era),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations applied on runtime upgrade, each guarded by its pallet's storage
/// version (a migration already applied does nothing).
type Migrations = (
	pallet_market::migrations::MigrateV0ToV1<Runtime>,
	pallet_attest::migrations::MigrateV0ToV1<Runtime>,
	pallet_attest::migrations::MigrateV1ToV2<Runtime>,
);

/// Executive: dispatches calls to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// The runtime: one line per pallet. Indices are never reused.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	/// Accounts, blocks, events.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	/// BABE block production; must come before `Timestamp` (it checks the slot on set).
	#[runtime::pallet_index(1)]
	pub type Babe = pallet_babe;
	/// Block timestamp inherent.
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	/// The native token URA.
	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances;
	/// Transaction fees.
	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment;
	/// Block author tracking (for rewards and equivocation reporters).
	#[runtime::pallet_index(5)]
	pub type Authorship = pallet_authorship;
	/// Validator deposits, lending (nomination), eras, rewards and slashing.
	#[runtime::pallet_index(6)]
	pub type Staking = pallet_staking;
	/// Offence bookkeeping between equivocation reports and slashing.
	#[runtime::pallet_index(7)]
	pub type Offences = pallet_offences;
	/// Session (epoch) rotation of the validator set and its keys.
	#[runtime::pallet_index(8)]
	pub type Session = pallet_session;
	/// Historical validator sets, for proving key ownership in past sessions.
	#[runtime::pallet_index(9)]
	pub type Historical = pallet_session::historical;
	/// GRANDPA finality.
	#[runtime::pallet_index(10)]
	pub type Grandpa = pallet_grandpa;
	/// Batch dispatch.
	#[runtime::pallet_index(11)]
	pub type Utility = pallet_utility;
	/// Superuser for dev/local/testnet chains until governance lands.
	#[runtime::pallet_index(12)]
	pub type Sudo = pallet_sudo;
	/// DPoS votes and the white paper's election (`Wt = St · Vt`, top `ValidatorCount`).
	#[runtime::pallet_index(13)]
	pub type Dpos = pallet_dpos;

	#[runtime::pallet_index(14)]
	pub type Poc = pallet_poc;

	#[runtime::pallet_index(15)]
	pub type Registry = pallet_registry;

	#[runtime::pallet_index(16)]
	pub type Worker = pallet_worker;

	#[runtime::pallet_index(17)]
	pub type Market = pallet_market;

	#[runtime::pallet_index(18)]
	pub type Attest = pallet_attest;

	#[runtime::pallet_index(20)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(21)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(22)]
	pub type ConvictionVoting = pallet_conviction_voting;

	#[runtime::pallet_index(23)]
	pub type Referenda = pallet_referenda;

	#[runtime::pallet_index(24)]
	pub type Origins = configs::governance::origins;

	/// The on-chain treasury: the market's protocol fees not paid to PoC rewards, spent by
	/// referenda (`treasurer` track) or root.
	#[runtime::pallet_index(25)]
	pub type Treasury = pallet_treasury;
}
