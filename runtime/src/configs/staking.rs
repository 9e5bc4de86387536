//! Staking: validator deposits (`Vb`, the bond), lending (`Lb`, a nomination of exactly one
//! validator), eras, rewards and slashing (white paper §5.2).
//!
//! Validators are elected by `pallet-dpos`: the top `ValidatorCount` candidates by
//! `Wt = St · Vt` (votes times own bond plus lent stake). polkadot-sdk's on-chain sequential
//! Phragmén stays configured as [`OnChainSeqPhragmen`] for comparison and fallback tooling.

use crate::{
	currency::URA, AccountId, Balance, Balances, BlockNumber, Runtime, RuntimeEvent,
	RuntimeHoldReason, Session, Timestamp,
};
use frame_election_provider_support::{
	bounds::{ElectionBounds, ElectionBoundsBuilder},
	onchain, SequentialPhragmen,
};
use frame_support::{parameter_types, traits::ConstU32, weights::Weight};
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
	/// Blocks the DPoS election collects for (a session is 10 blocks).
	pub const ELECTION_LOOKAHEAD: crate::BlockNumber = 8;
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
	/// Blocks the DPoS election collects for: 15 minutes, three times what 100,000 voters
	/// and 10,000 candidates take (`pallets/dpos/README.md`).
	pub const ELECTION_LOOKAHEAD: crate::BlockNumber = 150;
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
	/// The DPoS election may spend a quarter of a block's weight in any one block.
	pub DposElectionBudget: Weight =
		Perbill::from_percent(25) * crate::configs::RuntimeBlockWeights::get().max_block;
	/// The DPoS collection starts this many blocks before staking asks for the election.
	pub const DposElectionLookahead: BlockNumber = periods::ELECTION_LOOKAHEAD;
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
	/// Genesis has a handful of stakers and no block to collect in: elected in one go.
	type GenesisElectionProvider = pallet_dpos::election::OneShotElection<Runtime>;
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

/// Most validator candidates staking accepts (`MaxValidatorsCount` at genesis). The DPoS
/// election has no candidate or voter bound; this keeps the validator list governable.
pub const MAX_CANDIDATES: u32 = 1_000;

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

/// Benchmark set-up the DPoS pallet cannot do through staking's data provider.
#[cfg(feature = "runtime-benchmarks")]
pub struct DposBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_dpos::BenchmarkHelper for DposBenchmarkHelper {
	fn set_desired_targets(count: u32) {
		pallet_staking::ValidatorCount::<Runtime>::put(count);
	}
}

/// Staking's electing voters for the DPoS election, a page at a time: every validator's own
/// bond (a self-vote), then every nominator (lender), each map in storage-key order.
///
/// A voter's weight is staking's own (`weight_of`: the active bond as a vote weight); a voter
/// with none is skipped, as in staking's snapshot.
pub struct StakingVoters;
impl pallet_dpos::VoterPages<AccountId> for StakingVoters {
	fn page(
		cursor: Option<&pallet_dpos::VoterCursor<AccountId>>,
		max: u32,
	) -> pallet_dpos::VoterPage<AccountId> {
		use pallet_dpos::{VoterCursor, VoterPage};
		use pallet_staking::{Nominators, Validators};
		let weight_of = pallet_staking::Pallet::<Runtime>::weight_of;
		let mut out = alloc::vec::Vec::new();
		let mut last = cursor.cloned();
		let mut visited = 0u32;
		let validators = match cursor {
			None => Some(Validators::<Runtime>::iter()),
			Some(VoterCursor::Candidate(after)) => {
				Some(Validators::<Runtime>::iter_from(Validators::<Runtime>::hashed_key_for(after)))
			},
			Some(VoterCursor::Lender(_)) => None,
		};
		if let Some(validators) = validators {
			for (v, _) in validators {
				if visited == max {
					return VoterPage { voters: out, visited, next: last };
				}
				visited += 1;
				let weight = weight_of(&v);
				if weight > 0 {
					out.push((v.clone(), weight, alloc::vec![v.clone()]));
				}
				last = Some(VoterCursor::Candidate(v));
			}
		}
		let nominators = match cursor {
			Some(VoterCursor::Lender(after)) => {
				Nominators::<Runtime>::iter_from(Nominators::<Runtime>::hashed_key_for(after))
			},
			_ => Nominators::<Runtime>::iter(),
		};
		for (n, nominations) in nominators {
			if visited == max {
				return VoterPage { voters: out, visited, next: last };
			}
			visited += 1;
			let weight = weight_of(&n);
			if weight > 0 && !nominations.targets.is_empty() {
				out.push((n.clone(), weight, nominations.targets.into_inner()));
			}
			last = Some(VoterCursor::Lender(n));
		}
		VoterPage { voters: out, visited, next: None }
	}
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
	type Voters = StakingVoters;
	type Candidates = StakingCandidates;
	type MinimumBond = MinimumValidatorBond;
	type CurrentEra = StakingCurrentEra;
	type MaxVotes = MaxVotes;
	type VoteDeposit = VoteDeposit;
	type MaxWinnersPerPage = MaxValidatorSet;
	type MaxBackersPerWinner = MaxBackersPerWinner;
	type ElectionLookahead = DposElectionLookahead;
	type ElectionBudget = DposElectionBudget;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = DposBenchmarkHelper;
	type WeightInfo = pallet_dpos::weights::SubstrateWeight<Runtime>;
}
