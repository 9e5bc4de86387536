//! A mock runtime: System, Balances and Dpos, with staking's election data mocked.

use crate as pallet_dpos;
use crate::{ElectionVoter, VoterCursor, VoterPage};
use frame_election_provider_support::{
	bounds::DataProviderBounds, data_provider, ElectionDataProvider, PageIndex, VoterOf,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Contains, VariantCountOf},
	weights::Weight,
	BoundedVec,
};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};

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
	/// The block staking will next elect in.
	pub static Due: u64 = 10;
	pub static Lookahead: u64 = 5;
	/// Unlimited unless a test narrows it to force several blocks.
	pub static Budget: Weight = Weight::MAX;
}

thread_local! {
	/// Validator candidates and their own bonds, in "storage order" (by account).
	static CANDIDATES: RefCell<BTreeMap<AccountId, u64>> = const { RefCell::new(BTreeMap::new()) };
	/// Lenders: their stake and the candidates they back.
	static LENDERS: RefCell<BTreeMap<AccountId, (u64, Vec<AccountId>)>> = const { RefCell::new(BTreeMap::new()) };
}

thread_local! {
	/// Every voter a page returned, tagged with the pass that read it (1 or 3).
	pub static READS: RefCell<Vec<(u8, ElectionVoter<AccountId>)>> = const { RefCell::new(Vec::new()) };
}

/// Every voter as staking's snapshot would list it: candidates' self-votes, then lenders.
fn all_voters() -> Vec<VoterOf<MockStaking>> {
	let mut out: Vec<VoterOf<MockStaking>> = CANDIDATES.with(|c| {
		c.borrow().iter().map(|(v, b)| (*v, *b, BoundedVec::truncate_from(vec![*v]))).collect()
	});
	LENDERS.with(|l| {
		out.extend(
			l.borrow().iter().map(|(v, (w, t))| (*v, *w, BoundedVec::truncate_from(t.clone()))),
		)
	});
	out
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
		Ok(CANDIDATES.with(|c| c.borrow().keys().copied().collect()))
	}

	fn electing_voters(
		_bounds: DataProviderBounds,
		_page: PageIndex,
	) -> data_provider::Result<Vec<VoterOf<Self>>> {
		Ok(all_voters())
	}

	fn desired_targets() -> data_provider::Result<u32> {
		Ok(Desired::get())
	}

	fn next_election_prediction(_now: u64) -> u64 {
		Due::get()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_voter(voter: AccountId, weight: u64, targets: BoundedVec<AccountId, ConstU32<16>>) {
		LENDERS.with(|l| l.borrow_mut().insert(voter, (weight, targets.into_inner())));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_target(target: AccountId) {
		CANDIDATES.with(|c| c.borrow_mut().insert(target, 100_000));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn clear() {
		set_staking(&[], &[]);
	}
}

impl pallet_dpos::VoterPages<AccountId> for MockStaking {
	fn page(cursor: Option<&VoterCursor<AccountId>>, max: u32) -> VoterPage<AccountId> {
		use core::ops::Bound::{Excluded, Unbounded};
		let mut out = Vec::new();
		let mut last = cursor.cloned();
		let mut visited = 0u32;
		let candidates_from = match cursor {
			None => Some(Unbounded),
			Some(VoterCursor::Candidate(a)) => Some(Excluded(*a)),
			Some(VoterCursor::Lender(_)) => None,
		};
		if let Some(from) = candidates_from {
			let done = CANDIDATES.with(|c| {
				for (v, b) in c.borrow().range((from, Unbounded)) {
					if visited == max {
						return false;
					}
					visited += 1;
					last = Some(VoterCursor::Candidate(*v));
					if *b > 0 {
						out.push((*v, *b, vec![*v]));
					}
				}
				true
			});
			if !done {
				let pass = match crate::ElectionPhase::<Test>::get() {
					crate::Phase::Backing { .. } => 3,
					_ => 1,
				};
				READS.with(|r| r.borrow_mut().extend(out.iter().cloned().map(|v| (pass, v))));
				return VoterPage { voters: out, visited, next: last };
			}
		}
		let lenders_from = match cursor {
			Some(VoterCursor::Lender(a)) => Excluded(*a),
			_ => Unbounded,
		};
		let done = LENDERS.with(|l| {
			for (v, (w, t)) in l.borrow().range((lenders_from, Unbounded)) {
				if visited == max {
					return false;
				}
				visited += 1;
				last = Some(VoterCursor::Lender(*v));
				if *w > 0 {
					out.push((*v, *w, t.clone()));
				}
			}
			true
		});
		let pass = match crate::ElectionPhase::<Test>::get() {
			crate::Phase::Backing { .. } => 3,
			_ => 1,
		};
		READS.with(|r| r.borrow_mut().extend(out.iter().cloned().map(|v| (pass, v))));
		VoterPage { voters: out, visited, next: if done { None } else { last } }
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for MockStaking {
	fn set_desired_targets(count: u32) {
		Desired::set(count);
	}
}

/// Candidates are staking's targets.
pub struct IsTarget;
impl Contains<AccountId> for IsTarget {
	fn contains(who: &AccountId) -> bool {
		CANDIDATES.with(|c| c.borrow().contains_key(who))
	}
}

impl pallet_dpos::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DataProvider = MockStaking;
	type Voters = MockStaking;
	type Candidates = IsTarget;
	type MinimumBond = MinBond;
	type CurrentEra = Era;
	type MaxVotes = ConstU32<4>;
	type VoteDeposit = ConstU128<5>;
	type MaxWinnersPerPage = ConstU32<64>;
	type MaxBackersPerWinner = ConstU32<8>;
	type ElectionLookahead = Lookahead;
	type ElectionBudget = Budget;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockStaking;
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
			Due::set(10);
			Lookahead::set(5);
			Budget::set(Weight::MAX);
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
	CANDIDATES.with(|c| *c.borrow_mut() = validators.iter().copied().collect());
	LENDERS
		.with(|l| *l.borrow_mut() = lenders.iter().map(|(l, a, v)| (*l, (*a, vec![*v]))).collect());
}

/// Sets (or with 0, removes) a candidate's own bond.
pub fn set_candidate(who: AccountId, bond: u64) {
	CANDIDATES.with(|c| {
		if bond == 0 {
			c.borrow_mut().remove(&who);
		} else {
			c.borrow_mut().insert(who, bond);
		}
	});
}

/// Sets (or with 0, removes) a lender's stake and target.
pub fn set_lender(who: AccountId, amount: u64, target: AccountId) {
	LENDERS.with(|l| {
		if amount == 0 {
			l.borrow_mut().remove(&who);
		} else {
			l.borrow_mut().insert(who, (amount, vec![target]));
		}
	});
}

/// Runs blocks from the current one until the election is ready (or `max` blocks pass);
/// returns how many blocks it took.
pub fn run_until_ready(max: u64) -> u64 {
	use frame_support::traits::Hooks;
	for i in 0..max {
		let now = System::block_number() + 1;
		System::set_block_number(now);
		Dpos::on_initialize(now);
		Dpos::do_try_state().expect("invariants hold between blocks");
		if matches!(crate::ElectionPhase::<Test>::get(), crate::Phase::Ready { .. }) {
			return i + 1;
		}
	}
	max
}
