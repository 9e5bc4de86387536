//! A mock runtime: System, Balances and Dpos, with staking's election data mocked.

use crate as pallet_dpos;
use frame_election_provider_support::{
	bounds::{DataProviderBounds, ElectionBounds, ElectionBoundsBuilder},
	data_provider, ElectionDataProvider, PageIndex, VoterOf,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Contains, VariantCountOf},
	BoundedVec,
};
use sp_runtime::BuildStorage;
use std::cell::RefCell;

pub type AccountId = u64;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Dpos: pallet_dpos,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

parameter_types! {
	/// Staking's validator count.
	pub static Desired: u32 = 2;
	pub static Era: u32 = 7;
	pub static MinBond: Balance = 100;
	pub Bounds: ElectionBounds = ElectionBoundsBuilder::default().build();
}

thread_local! {
	/// Electable targets (validators) staking would return.
	static TARGETS: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
	/// Electing voters: validators' self votes and lenders' nominations.
	static VOTERS: RefCell<Vec<(AccountId, u64, Vec<AccountId>)>> = const { RefCell::new(Vec::new()) };
}

/// Staking's election data, from the thread-locals above.
pub struct MockStaking;
impl ElectionDataProvider for MockStaking {
	type AccountId = AccountId;
	type BlockNumber = u64;
	type MaxVotesPerVoter = ConstU32<16>;

	fn electable_targets(
		_bounds: DataProviderBounds,
		_page: PageIndex,
	) -> data_provider::Result<Vec<AccountId>> {
		Ok(TARGETS.with(|t| t.borrow().clone()))
	}

	fn electing_voters(
		_bounds: DataProviderBounds,
		_page: PageIndex,
	) -> data_provider::Result<Vec<VoterOf<Self>>> {
		Ok(VOTERS.with(|v| {
			v.borrow()
				.iter()
				.map(|(v, w, t)| (*v, *w, BoundedVec::truncate_from(t.clone())))
				.collect()
		}))
	}

	fn desired_targets() -> data_provider::Result<u32> {
		Ok(Desired::get())
	}

	fn next_election_prediction(now: u64) -> u64 {
		now + 10
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_voter(voter: AccountId, weight: u64, targets: BoundedVec<AccountId, ConstU32<16>>) {
		VOTERS.with(|v| v.borrow_mut().push((voter, weight, targets.into_inner())));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_target(target: AccountId) {
		TARGETS.with(|t| t.borrow_mut().push(target));
		VOTERS.with(|v| v.borrow_mut().push((target, 100_000, vec![target])));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn clear() {
		set_staking(&[], &[]);
	}
}

/// Candidates are staking's targets.
pub struct IsTarget;
impl Contains<AccountId> for IsTarget {
	fn contains(who: &AccountId) -> bool {
		TARGETS.with(|t| t.borrow().contains(who))
	}
}

impl pallet_dpos::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DataProvider = MockStaking;
	type Candidates = IsTarget;
	type MinimumBond = MinBond;
	type CurrentEra = Era;
	type MaxVotes = ConstU32<4>;
	type VoteDeposit = ConstU128<5>;
	type MaxWinnersPerPage = ConstU32<64>;
	type MaxBackersPerWinner = ConstU32<8>;
	type ElectionBounds = Bounds;
	type WeightInfo = ();
}

/// Builds the test externalities: accounts 1..=100 hold 1,000 each.
pub struct ExtBuilder;
impl ExtBuilder {
	/// Externalities for the benchmark tests.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn bench_ext() -> sp_io::TestExternalities {
		let t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| {
			System::set_block_number(1);
			set_staking(&[], &[]);
			Desired::set(48);
		});
		ext
	}

	pub fn build_and_execute(test: impl FnOnce()) {
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=100).map(|a| (a, 1_000)).collect(),
			..Default::default()
		}
		.assimilate_storage(&mut t)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| {
			System::set_block_number(1);
			set_staking(&[], &[]);
			Desired::set(2);
			MinBond::set(100);
			test();
			Dpos::do_try_state().expect("invariants hold");
		});
	}
}

/// The events this pallet deposited.
pub fn dpos_events() -> Vec<pallet_dpos::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Dpos(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Registers validator candidates with own bonds, and lenders `(lender, amount, validator)`.
pub fn set_staking(validators: &[(AccountId, u64)], lenders: &[(AccountId, u64, AccountId)]) {
	TARGETS.with(|t| *t.borrow_mut() = validators.iter().map(|(v, _)| *v).collect());
	let mut voters: Vec<_> = validators.iter().map(|(v, b)| (*v, *b, vec![*v])).collect();
	voters.extend(lenders.iter().map(|(l, a, v)| (*l, *a, vec![*v])));
	VOTERS.with(|v| *v.borrow_mut() = voters);
}
