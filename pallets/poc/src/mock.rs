//! A mock runtime: System, Balances and Poc, with votes and availability from thread-locals.

use crate::{self as pallet_poc, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Contains, Hooks},
};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeSet};

pub type AccountId = u64;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poc: pallet_poc,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

/// Plancks.
pub type Balance = u128;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = frame_support::traits::ConstU128<1>;
	type AccountStore = System;
}

thread_local! {
	static VOTERS: RefCell<BTreeSet<AccountId>> = const { RefCell::new(BTreeSet::new()) };
	static BUSY: RefCell<BTreeSet<ContainerId>> = const { RefCell::new(BTreeSet::new()) };
}

/// Accounts that voted recently.
pub fn set_voted(who: AccountId, voted: bool) {
	VOTERS.with(|v| {
		if voted {
			v.borrow_mut().insert(who);
		} else {
			v.borrow_mut().remove(&who);
		}
	});
}

/// Marks a container busy (serving a lease) or idle.
pub fn set_busy(id: ContainerId, busy: bool) {
	BUSY.with(|b| {
		if busy {
			b.borrow_mut().insert(id);
		} else {
			b.borrow_mut().remove(&id);
		}
	});
}

pub struct MockVotes;
impl VoteHistory<AccountId> for MockVotes {
	fn voted_recently(who: &AccountId) -> bool {
		VOTERS.with(|v| v.borrow().contains(who))
	}
}

pub struct Idle;
impl Contains<ContainerId> for Idle {
	fn contains(id: &ContainerId) -> bool {
		BUSY.with(|b| !b.borrow().contains(id))
	}
}

parameter_types! {
	pub static MaxScan: u32 = 64;
	pub const PocPotId: frame_support::PalletId = frame_support::PalletId(*b"ura/poc_");
}

impl pallet_poc::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type Currency = Balances;
	type PotId = PocPotId;
	type Votes = MockVotes;
	type Available = Idle;
	type HalvingPeriod = ConstU64<1_000>;
	type HeartbeatPeriod = ConstU64<10>;
	type AdjustmentPeriod = ConstU64<100>;
	type DemandHoldBlocks = ConstU32<50>;
	type MaxGradientSteps = ConstU32<8>;
	type Tiers = ConstU32<3>;
	type MaxContainers = ConstU32<200_000>;
	type MaxScan = MaxScan;
	type WeightInfo = ();
}

pub const GIB: u64 = 1 << 30;

/// An account that pays protocol fees into the pool in the tests.
pub const FEE_PAYER: AccountId = 999;

/// Gradients used by the tests: easy numbers.
pub fn test_gradients() -> Vec<(Resource, Vec<GradientStep>)> {
	let s = |t: u64, p: u32| GradientStep { threshold: t, points: p };
	vec![
		// CPU in MHz·cores: 2 GHz × 1 core = 2000.
		(Resource::Cpu, vec![s(1_000, 10), s(2_000, 20), s(8_000, 80)]),
		(Resource::Memory, vec![s(GIB, 10), s(4 * GIB, 40)]),
		(Resource::Storage, vec![s(10 * GIB, 5), s(100 * GIB, 50)]),
		(Resource::Bandwidth, vec![s(1_000_000, 1), s(100_000_000, 100)]),
	]
}

/// Tiers used by the tests: ≥ 10,000 (weight 4), ≥ 1,000 (weight 2), the rest (weight 1).
pub fn test_tiers() -> Vec<Tier> {
	vec![
		Tier { min_score: 10_000, weight: 4 },
		Tier { min_score: 1_000, weight: 2 },
		Tier { min_score: 0, weight: 1 },
	]
}

/// A capacity: `cores` cores at `mhz`, `mem` GiB, `disk` GiB, `bw` bytes/s.
pub fn cap(cores: u32, mhz: u32, mem: u64, disk: u64, bw: u64) -> ContainerCapacity {
	ContainerCapacity {
		spec: ResourceSpec {
			cpu_millicores: cores * 1000,
			memory_bytes: mem * GIB,
			storage_bytes: disk * GIB,
			bandwidth_bps: bw,
		},
		cpu_mhz: mhz,
	}
}

/// Test externalities with the test gradients and tiers, no containers.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(FEE_PAYER, 1_000_000_000)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_poc::GenesisConfig::<Test> {
		gradients: test_gradients(),
		sigmas: vec![],
		tiers: test_tiers(),
		containers: vec![],
		rewards: RewardParams::default(),
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		VOTERS.with(|v| v.borrow_mut().clear());
		BUSY.with(|b| b.borrow_mut().clear());
		MaxScan::set(64);
	});
	ext
}

/// Runs `test` and checks the invariants afterwards.
pub fn execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Poc::do_try_state().expect("invariants hold");
	});
}

/// Advances to block `n`, running `on_initialize`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Poc::on_initialize(next);
	}
}

/// The events this pallet deposited.
pub fn poc_events() -> Vec<pallet_poc::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Poc(e) => Some(e),
			_ => None,
		})
		.collect()
}
