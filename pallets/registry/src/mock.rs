//! A mock runtime: System, Balances, Poc (the real PoC pallet) and Registry.

use crate::{self as pallet_registry, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Everything, Hooks, VariantCountOf},
	BoundedVec,
};
use sp_runtime::BuildStorage;

pub type AccountId = u64;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poc: pallet_poc,
		Registry: pallet_registry,
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

frame_support::parameter_types! {
	pub const PocPotId: frame_support::PalletId = frame_support::PalletId(*b"ura/poc_");
}

impl pallet_poc::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type Currency = Balances;
	type PotId = PocPotId;
	type Votes = ();
	type Available = Everything;
	type HalvingPeriod = ConstU64<10_000>;
	type HeartbeatPeriod = ConstU64<10>;
	type AdjustmentPeriod = ConstU64<100>;
	type DemandHoldBlocks = ConstU32<50>;
	type MaxGradientSteps = ConstU32<8>;
	type Tiers = ConstU32<2>;
	type MaxContainers = ConstU32<1_000>;
	type MaxScan = ConstU32<64>;
	type WeightInfo = ();
}

parameter_types! {
	pub static SweepPerBlock: u32 = 16;
}

impl pallet_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contribution = Poc;
	type MachineOffline = ();
	type Obligations = ();
	type ProfileChanged = ();
	type ProviderDeposit = ConstU128<100>;
	type MachineDeposit = ConstU128<10>;
	type ContainerDeposit = ConstU128<5>;
	type ImageDeposit = ConstU128<20>;
	type VerifierOrigin = frame_system::EnsureRoot<AccountId>;
	type HardwareOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxImageRef = ConstU32<64>;
	type CoolDown = ConstU64<20>;
	type MinHeartbeatInterval = ConstU64<5>;
	type HeartbeatTimeout = ConstU64<30>;
	type SweepPerBlock = SweepPerBlock;
	type MaxText = ConstU32<32>;
	type MaxLabels = ConstU32<4>;
	type MaxMachinesPerProvider = ConstU32<3>;
	type MaxContainersPerMachine = ConstU32<4>;
	type WeightInfo = ();
}

pub const GIB: u64 = 1 << 30;

/// Test externalities: accounts 1..=10 hold 1,000; PoC has one gradient per resource and two
/// tiers.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=10).map(|a| (a, 1_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let step = |t: u64, p: u32| pallet_poc::GradientStep { threshold: t, points: p };
	pallet_poc::GenesisConfig::<Test> {
		gradients: vec![
			(pallet_poc::Resource::Cpu, vec![step(1_000, 10)]),
			(pallet_poc::Resource::Memory, vec![step(GIB, 10)]),
			(pallet_poc::Resource::Storage, vec![step(GIB, 10)]),
			(pallet_poc::Resource::Bandwidth, vec![step(1_000, 10)]),
		],
		sigmas: vec![],
		tiers: vec![
			pallet_poc::Tier { min_score: 1_000, weight: 2 },
			pallet_poc::Tier { min_score: 0, weight: 1 },
		],
		containers: vec![],
		rewards: Default::default(),
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Advances to block `n`, running `on_initialize`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Registry::on_initialize(next);
	}
}

/// Provider metadata named `name`.
pub fn meta(name: &str) -> MetaOf<Test> {
	ProviderMeta {
		name: BoundedVec::truncate_from(name.as_bytes().to_vec()),
		region: BoundedVec::truncate_from(b"eu-west".to_vec()),
		labels: BoundedVec::truncate_from(vec![BoundedVec::truncate_from(b"ssd".to_vec())]),
	}
}

/// A profile: `cores` × 2,500 MHz, `mem` GiB, 100 GiB disk, 10 MB/s.
pub fn profile(cores: u32, mem: u64) -> ProfileOf<Test> {
	HardwareProfile {
		cpu_model: BoundedVec::truncate_from(b"Test CPU".to_vec()),
		arch: BoundedVec::truncate_from(b"x86_64".to_vec()),
		logical_cores: cores,
		cpu_mhz: 2_500,
		memory_bytes: mem * GIB,
		storage_bytes: 100 * GIB,
		uplink_bps: 10_000_000,
	}
}

/// A container spec: `millicores`, `mem` GiB, 10 GiB disk, 1 MB/s.
pub fn spec(millicores: u32, mem: u64) -> ResourceSpec {
	ResourceSpec {
		cpu_millicores: millicores,
		memory_bytes: mem * GIB,
		storage_bytes: 10 * GIB,
		bandwidth_bps: 1_000_000,
	}
}

/// The events this pallet deposited.
pub fn registry_events() -> Vec<pallet_registry::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Registry(e) => Some(e),
			_ => None,
		})
		.collect()
}
