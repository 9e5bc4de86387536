//! Governance: public referenda decided by conviction voting (white paper §5.2: the community
//! votes out offline or misbehaving validators), with the preimage and scheduler pallets
//! they need.
//!
//! Three tracks, enough for a young chain:
//!
//! | id | track | origin | for | decision deposit |
//! |---|---|---|---|---|
//! | 0 | `root` | `Root` | anything: removing a validator (`staking.force_unstake`), `B_Min` and other limits (`staking.set_staking_configs`), `staking.set_validator_count`, runtime upgrades | 10,000 URA |
//! | 1 | `staking_admin` | [`origins::Origin::StakingAdmin`] | staking's admin calls: `manual_slash` of a misbehaving validator, `cancel_deferred_slash`, `set_min_commission` | 1,000 URA |
//! | 2 | `treasurer` | [`origins::Origin::Treasurer`] | treasury spends (`treasury.spend_local`, `treasury.spend`) of up to [`origins::MAX_TREASURER_SPEND`] each | 1,000 URA |
//!
//! Periods (normal / `fast-runtime` blocks) are in [`periods`].

use crate::{
	currency::URA, AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System,
};
use alloc::borrow::Cow;
use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration, tokens::currency::ActiveIssuanceOf, AsEnsureOriginWithArg,
		ConstU32, EqualPrivilegeOnly, LinearStoragePrice,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSigned};
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::Perbill;

/// The custom origins referenda dispatch with (one per non-root track).
#[frame_support::pallet]
pub mod origins {
	use frame_support::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Origins of the governance tracks.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// A referendum of the `staking_admin` track passed.
		StakingAdmin,
		/// A referendum of the `treasurer` track passed.
		Treasurer,
	}

	/// The most one `treasurer` referendum may spend: 100,000 URA.
	pub const MAX_TREASURER_SPEND: crate::Balance = 100_000 * crate::currency::URA;

	/// Succeeds for [`Origin::Treasurer`] with the most it may spend.
	pub struct EnsureTreasurer;
	impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for EnsureTreasurer
	where
		O: Into<Result<Origin, O>>,
	{
		type Success = crate::Balance;
		fn try_origin(o: O) -> Result<Self::Success, O> {
			o.into().and_then(|origin| match origin {
				Origin::Treasurer => Ok(MAX_TREASURER_SPEND),
				other => Err(O::from(other)),
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		fn try_successful_origin() -> Result<O, ()> {
			Ok(O::from(Origin::Treasurer))
		}
	}

	/// Succeeds for [`Origin::StakingAdmin`].
	pub struct EnsureStakingAdmin;
	impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for EnsureStakingAdmin
	where
		O: Into<Result<Origin, O>>,
	{
		type Success = ();
		fn try_origin(o: O) -> Result<Self::Success, O> {
			o.into().and_then(|origin| match origin {
				Origin::StakingAdmin => Ok(()),
				other => Err(O::from(other)),
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		fn try_successful_origin() -> Result<O, ()> {
			Ok(O::from(Origin::StakingAdmin))
		}
	}
}

impl origins::Config for Runtime {}

/// Referendum periods in blocks.
#[cfg(not(feature = "fast-runtime"))]
pub mod periods {
	use crate::{time::*, BlockNumber};
	/// Minimum wait after submission before deciding.
	pub const PREPARE: BlockNumber = 2 * HOURS;
	/// How long a referendum may be decided.
	pub const DECISION: BlockNumber = 7 * DAYS;
	/// How long approval must hold before it passes.
	pub const CONFIRM_ROOT: BlockNumber = DAYS;
	/// Confirmation of staking-admin referenda.
	pub const CONFIRM_STAKING: BlockNumber = 3 * HOURS;
	/// Minimum delay between approval and enactment.
	pub const ENACTMENT: BlockNumber = DAYS;
	/// Enactment delay of staking-admin referenda.
	pub const ENACTMENT_STAKING: BlockNumber = 10 * MINUTES;
	/// Lock period per conviction level.
	pub const VOTE_LOCKING: BlockNumber = 7 * DAYS;
	/// Undecided referenda can be cancelled after this.
	pub const UNDECIDING_TIMEOUT: BlockNumber = 14 * DAYS;
}
/// Referendum periods in blocks (short, for dev and test chains).
#[cfg(feature = "fast-runtime")]
pub mod periods {
	use crate::BlockNumber;
	/// Minimum wait after submission before deciding.
	pub const PREPARE: BlockNumber = 2;
	/// How long a referendum may be decided.
	pub const DECISION: BlockNumber = 60;
	/// How long approval must hold before it passes.
	pub const CONFIRM_ROOT: BlockNumber = 4;
	/// Confirmation of staking-admin referenda.
	pub const CONFIRM_STAKING: BlockNumber = 2;
	/// Minimum delay between approval and enactment.
	pub const ENACTMENT: BlockNumber = 2;
	/// Enactment delay of staking-admin referenda.
	pub const ENACTMENT_STAKING: BlockNumber = 1;
	/// Lock period per conviction level.
	pub const VOTE_LOCKING: BlockNumber = 10;
	/// Undecided referenda can be cancelled after this.
	pub const UNDECIDING_TIMEOUT: BlockNumber = 100;
}

parameter_types! {
	pub const PreimageBaseDeposit: Balance = crate::currency::deposit(2, 64);
	pub const PreimageByteDeposit: Balance = crate::currency::deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * crate::configs::RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	pub const VoteLockingPeriod: BlockNumber = periods::VOTE_LOCKING;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type Polls = Referenda;
	/// Turnout is measured against the active issuance.
	type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	type VoteLockingPeriod = VoteLockingPeriod;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

/// Pads a track name to the fixed 25 bytes referenda stores.
const fn name(s: &str) -> [u8; 25] {
	let bytes = s.as_bytes();
	let mut out = [0u8; 25];
	let mut i = 0;
	while i < bytes.len() && i < 25 {
		out[i] = bytes[i];
		i += 1;
	}
	out
}

const fn percent(x: u32) -> Perbill {
	Perbill::from_percent(x)
}

/// The track set.
static TRACKS: [Track<u16, Balance, BlockNumber>; 3] = [
	Track {
		id: 0,
		info: TrackInfo {
			name: name("root"),
			max_deciding: 1,
			decision_deposit: 10_000 * URA,
			prepare_period: periods::PREPARE,
			decision_period: periods::DECISION,
			confirm_period: periods::CONFIRM_ROOT,
			min_enactment_period: periods::ENACTMENT,
			min_approval: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(50),
				ceil: percent(100),
			},
			min_support: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(5),
				ceil: percent(50),
			},
		},
	},
	Track {
		id: 1,
		info: TrackInfo {
			name: name("staking_admin"),
			max_deciding: 10,
			decision_deposit: 1_000 * URA,
			prepare_period: periods::PREPARE,
			decision_period: periods::DECISION,
			confirm_period: periods::CONFIRM_STAKING,
			min_enactment_period: periods::ENACTMENT_STAKING,
			min_approval: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(50),
				ceil: percent(100),
			},
			min_support: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(1),
				ceil: percent(20),
			},
		},
	},
	Track {
		id: 2,
		info: TrackInfo {
			name: name("treasurer"),
			max_deciding: 10,
			decision_deposit: 1_000 * URA,
			prepare_period: periods::PREPARE,
			decision_period: periods::DECISION,
			confirm_period: periods::CONFIRM_STAKING,
			min_enactment_period: periods::ENACTMENT,
			min_approval: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(50),
				ceil: percent(100),
			},
			min_support: Curve::LinearDecreasing {
				length: percent(100),
				floor: percent(2),
				ceil: percent(25),
			},
		},
	},
];

/// Maps origins to tracks: `Root` → 0, `StakingAdmin` → 1, `Treasurer` → 2.
pub struct Tracks;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
	type Id = u16;
	type RuntimeOrigin = <RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		TRACKS.iter().map(Cow::Borrowed)
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(0),
			OriginCaller::Origins(origins::Origin::StakingAdmin) => Ok(1),
			OriginCaller::Origins(origins::Origin::Treasurer) => Ok(2),
			_ => Err(()),
		}
	}
}

parameter_types! {
	pub const SubmissionDeposit: Balance = 100 * URA;
	pub const UndecidingTimeout: BlockNumber = periods::UNDECIDING_TIMEOUT;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Any account may submit (with the submission deposit).
	type SubmitOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Slashed deposits are burned.
	type Slash = ();
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = ConstU32<1>;
	type Tracks = Tracks;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}
