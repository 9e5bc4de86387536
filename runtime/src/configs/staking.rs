//! Staking: validator deposits (`Vb`, the bond), lending (`Lb`, a nomination of exactly one
//! validator), eras, rewards and slashing (white paper §5.2).
//!
//! Validators are elected by `pallet-dpos`: the top `ValidatorCount` candidates by
//! `Wt = St · Vt` (votes times own bond plus lent stake). polkadot-sdk's on-chain sequential
//! Phragmén stays configured as [`OnChainSeqPhragmen`] for comparison and fallback tooling.

use crate::{
	currency::URA, AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeHoldReason, Session,
	Timestamp,
};
use frame_election_provider_support::{
	bounds::{ElectionBounds, ElectionBoundsBuilder},
	onchain, SequentialPhragmen,
};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::{Perbill, Perquintill};
use sp_staking::{EraIndex, SessionIndex};

/// Era and lock-in lengths.
#[cfg(feature = "fast-runtime")]
mod periods {
	use super::*;
	/// Sessions (BABE epochs) per era: an era elects the next validator set.
	pub const SESSIONS_PER_ERA: SessionIndex = 2;
	/// Eras a withdrawal stays locked (the white paper's lock-in).
	pub const BONDING_DURATION: EraIndex = 2;
	/// Eras a slash waits for cancellation by governance before it is applied.
	pub const SLASH_DEFER_DURATION: EraIndex = 0;
}
/// Era and lock-in lengths.
#[cfg(not(feature = "fast-runtime"))]
mod periods {
	use super::*;
	/// Sessions (hours) per era: one era is six hours.
	pub const SESSIONS_PER_ERA: SessionIndex = 6;
	/// Withdrawals stay locked ~28 days (112 six-hour eras): the white paper's one-month lock-in.
	pub const BONDING_DURATION: EraIndex = 112;
	/// Slashes wait ~7 days (28 eras) so governance can cancel a wrong one.
	pub const SLASH_DEFER_DURATION: EraIndex = 28;
}

parameter_types! {
	pub const SessionsPerEra: SessionIndex = periods::SESSIONS_PER_ERA;
	pub const BondingDuration: EraIndex = periods::BONDING_DURATION;
	pub const SlashDeferDuration: EraIndex = periods::SLASH_DEFER_DURATION;
	/// The white paper's 48 qualified validators, with headroom for governance to raise it.
	pub const MaxValidatorSet: u32 = 100;
	pub const MaxExposurePageSize: u32 = 256;
	pub const HistoryDepth: u32 = 84;
	/// Election bounds keep the on-chain election's weight bounded.
	pub ElectionBoundsOnChain: ElectionBounds = ElectionBoundsBuilder::default()
		.voters_count(5_000.into())
		.targets_count(1_250.into())
		.build();
	pub const MaxBackersPerWinner: u32 = 512;
	/// What the DPoS election reads from staking: up to [`MAX_CANDIDATES`] candidates and
	/// 10,000 voters (own bonds + lenders). Benchmarked on the reference machine
	/// (`docs/benchmarks.md`): `elect(v, t)` ≈ 0.57 s + 39 µs·v + 45 µs·t of execution plus 3
	/// ParityDB reads per voter and candidate, ≈ 1.5 s of the 2 s block at these bounds.
	/// 100,000 voters and 10,000 candidates measure ≈ 5 s of execution: beyond one block (a
	/// multi-block election is needed for that size). Benchmark builds lift the bounds to
	/// measure that far.
	pub DposElectionBounds: ElectionBounds = ElectionBoundsBuilder::default()
		.voters_count(ELECTION_VOTERS.into())
		.targets_count(ELECTION_TARGETS.into())
		.build();
}

/// polkadot-sdk's on-chain sequential Phragmén (not used by staking; kept for comparison).
pub struct OnChainSeqPhragmen;
impl onchain::Config for OnChainSeqPhragmen {
	type System = Runtime;
	type Solver = SequentialPhragmen<AccountId, Perbill>;
	type DataProvider = crate::Staking;
	type WeightInfo = frame_election_provider_support::weights::SubstrateWeight<Runtime>;
	type MaxBackersPerWinner = MaxBackersPerWinner;
	type MaxWinnersPerPage = MaxValidatorSet;
	type Bounds = ElectionBoundsOnChain;
	type Sort = frame_support::traits::ConstBool<true>;
}

/// Era payout: a fixed yearly inflation of total issuance, prorated by era length.
///
/// ```text
/// minted(era) = issuance × INFLATION × era_duration / YEAR
/// stakers     = minted × STAKER_SHARE
/// remainder   = minted − stakers        (the PoC reward pool: `pallet_poc::EraRemainderToPool`)
/// ```
pub struct UranusEraPayout;

/// Yearly inflation of total issuance.
pub const YEARLY_INFLATION: Perquintill = Perquintill::from_percent(5);
/// Share of each era's issuance that goes to validators and their lenders.
pub const STAKER_SHARE: Perquintill = Perquintill::from_percent(80);
const MILLISECONDS_PER_YEAR: u64 = 1000 * 3600 * 24 * 36525 / 100;

impl sp_staking::EraPayout<Balance> for UranusEraPayout {
	fn era_payout(
		_total_staked: Balance,
		total_issuance: Balance,
		era_duration_millis: u64,
	) -> (Balance, Balance) {
		let portion = Perquintill::from_rational(era_duration_millis, MILLISECONDS_PER_YEAR);
		let minted = portion * (YEARLY_INFLATION * total_issuance);
		let stakers = STAKER_SHARE * minted;
		(stakers, minted.saturating_sub(stakers))
	}
}

/// Benchmark sizes for staking.
pub struct StakingBenchmarkingConfig;
impl pallet_staking::BenchmarkingConfig for StakingBenchmarkingConfig {
	type MaxValidators = ConstU32<1000>;
	type MaxNominators = ConstU32<1000>;
}

impl pallet_staking::Config for Runtime {
	type OldCurrency = Balances;
	type Currency = Balances;
	type CurrencyBalance = Balance;
	type RuntimeHoldReason = RuntimeHoldReason;
	type UnixTime = Timestamp;
	type CurrencyToVote = sp_staking::currency_to_vote::U128CurrencyToVote;
	type ElectionProvider = crate::Dpos;
	type GenesisElectionProvider = crate::Dpos;
	/// A lender backs exactly one validator (`Vt = Vb + Lb`).
	type NominationsQuota = pallet_staking::FixedNominationsQuota<1>;
	type HistoryDepth = HistoryDepth;
	/// The non-staker share of era issuance funds the PoC reward pool and ends its period.
	type RewardRemainder = pallet_poc::EraRemainderToPool<Runtime>;
	type RuntimeEvent = RuntimeEvent;
	/// Slashed funds are burned.
	type Slash = ();
	type Reward = ();
	type SessionsPerEra = SessionsPerEra;
	type BondingDuration = BondingDuration;
	type SlashDeferDuration = SlashDeferDuration;
	/// Root or a passed `staking_admin` referendum (force_unstake, set_staking_configs, …).
	type AdminOrigin = frame_support::traits::EitherOfDiverse<
		EnsureRoot<AccountId>,
		crate::configs::governance::origins::EnsureStakingAdmin,
	>;
	type SessionInterface = Self;
	type EraPayout = UranusEraPayout;
	type NextNewSession = Session;
	type MaxExposurePageSize = MaxExposurePageSize;
	type MaxValidatorSet = MaxValidatorSet;
	type VoterList = pallet_staking::UseNominatorsAndValidatorsMap<Self>;
	type TargetList = pallet_staking::UseValidatorsMap<Self>;
	type MaxUnlockingChunks = ConstU32<32>;
	type MaxControllersInDeprecationBatch = ConstU32<100>;
	type EventListeners = ();
	type Filter = frame_support::traits::Nothing;
	type BenchmarkingConfig = StakingBenchmarkingConfig;
	type WeightInfo = pallet_staking::weights::SubstrateWeight<Runtime>;
}

/// Most validator candidates staking accepts (`MaxValidatorsCount` at genesis), so that the
/// election's candidate bound is never exceeded (staking refuses the whole snapshot then).
pub const MAX_CANDIDATES: u32 = 1_000;
#[cfg(not(feature = "runtime-benchmarks"))]
const ELECTION_TARGETS: u32 = MAX_CANDIDATES;
#[cfg(not(feature = "runtime-benchmarks"))]
const ELECTION_VOTERS: u32 = 10_000;
#[cfg(feature = "runtime-benchmarks")]
const ELECTION_TARGETS: u32 = 10_000;
#[cfg(feature = "runtime-benchmarks")]
const ELECTION_VOTERS: u32 = 100_000;

/// The minimum bond of a validator (`B_Min` in the white paper), set at genesis.
pub const MIN_VALIDATOR_BOND: Balance = 1_000 * URA;
/// The minimum amount a lender may lend (nominate with).
pub const MIN_NOMINATOR_BOND: Balance = 10 * URA;

parameter_types! {
	/// Most candidates one DPoS vote may list.
	pub const MaxVotes: u32 = 16;
	/// Deposit held for a vote record (one item of up to 16 account ids).
	pub const VoteDeposit: Balance = crate::currency::deposit(1, 16 * 32 + 48);
}

/// Staking's validator candidates can be voted for.
pub struct StakingCandidates;
impl frame_support::traits::Contains<AccountId> for StakingCandidates {
	fn contains(who: &AccountId) -> bool {
		pallet_staking::Validators::<Runtime>::contains_key(who)
	}
}

/// `B_Min`: staking's minimum validator bond (genesis-set, changeable by root).
pub struct MinimumValidatorBond;
impl frame_support::traits::Get<Balance> for MinimumValidatorBond {
	fn get() -> Balance {
		pallet_staking::MinValidatorBond::<Runtime>::get()
	}
}

/// The era being planned or active.
pub struct StakingCurrentEra;
impl frame_support::traits::Get<EraIndex> for StakingCurrentEra {
	fn get() -> EraIndex {
		pallet_staking::CurrentEra::<Runtime>::get().unwrap_or(0)
	}
}

impl pallet_dpos::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeFreezeReason = crate::RuntimeFreezeReason;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DataProvider = crate::Staking;
	type Candidates = StakingCandidates;
	type MinimumBond = MinimumValidatorBond;
	type CurrentEra = StakingCurrentEra;
	type MaxVotes = MaxVotes;
	type VoteDeposit = VoteDeposit;
	type MaxWinnersPerPage = MaxValidatorSet;
	type MaxBackersPerWinner = MaxBackersPerWinner;
	type ElectionBounds = DposElectionBounds;
	type WeightInfo = pallet_dpos::weights::SubstrateWeight<Runtime>;
}
