//! A mock runtime: System, Balances, the real PoC and Registry pallets, and Attest, with
//! randomness the tests set.

use crate::{self as pallet_attest, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Everything, Hooks, Randomness, VariantCountOf},
	BoundedVec,
};
use pallet_registry::{HardwareProfile, ProfileOf, ProviderMeta};
use sp_runtime::{BuildStorage, Perbill};

pub type AccountId = u64;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poc: pallet_poc,
		Registry: pallet_registry,
		Attest: pallet_attest,
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

impl pallet_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contribution = Poc;
	type MachineOffline = ();
	type Obligations = ();
	type ProfileChanged = Attest;
	type ProviderDeposit = ConstU128<1_000>;
	type MachineDeposit = ConstU128<10>;
	type ContainerDeposit = ConstU128<5>;
	type ImageDeposit = ConstU128<20>;
	type VerifierOrigin = frame_system::EnsureRoot<AccountId>;
	type HardwareOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxImageRef = ConstU32<64>;
	type CoolDown = ConstU64<20>;
	type MinHeartbeatInterval = ConstU64<5>;
	type HeartbeatTimeout = ConstU64<1_000>;
	type SweepPerBlock = ConstU32<16>;
	type MaxText = ConstU32<32>;
	type MaxLabels = ConstU32<4>;
	type MaxMachinesPerProvider = ConstU32<4>;
	type MaxContainersPerMachine = ConstU32<4>;
	type WeightInfo = ();
}

parameter_types! {
	/// What both randomness sources return; tests change it.
	pub static Random: sp_core::H256 = sp_core::H256::repeat_byte(7);
	pub static ChallengesPerPeriod: u32 = 2;
	pub static Verifiers: u32 = 3;
	pub static MaxProbes: u32 = 16;
	pub static MaxQueue: u32 = 8;
}

/// Randomness the tests set ([`Random`]), mixed with the subject.
pub struct TestRandomness;
impl Randomness<sp_core::H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		let h = sp_crypto_hashing::blake2_256(&(Random::get(), subject).encode());
		(sp_core::H256(h), System::block_number())
	}
}

/// 64 MiB of lane memory per block: a 4 GiB claim of 2 cores (1.5 GiB lanes) has 24 blocks
/// for its memory part.
pub const LANE_BYTES_PER_BLOCK: u64 = 64 << 20;
/// Compute rounds per lane; at [`COMPUTE_ROUNDS_PER_BLOCK`], 2 blocks of the deadline.
pub const COMPUTE_ROUNDS: u32 = 100;
/// Compute rounds per block.
pub const COMPUTE_ROUNDS_PER_BLOCK: u32 = 50;

impl pallet_attest::Config for Test {
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type SelectionRandomness = TestRandomness;
	type PickRandomness = TestRandomness;
	type ChallengePeriod = ConstU64<10>;
	type ChallengesPerPeriod = ChallengesPerPeriod;
	type MaxOpen = ConstU32<4>;
	type MaxQueue = MaxQueue;
	type MaxProbes = MaxProbes;
	type Verifiers = Verifiers;
	type MaxPicks = ConstU32<4>;
	type LaneBytesPerBlock = ConstU64<LANE_BYTES_PER_BLOCK>;
	type ComputeRounds = ConstU32<COMPUTE_ROUNDS>;
	type ComputeRoundsPerBlock = ConstU32<COMPUTE_ROUNDS_PER_BLOCK>;
	type SideBySideSlack = SideBySideSlack;
	type ReferenceCpuMhz = ConstU32<1_500>;
	type MinRunBlocks = ConstU64<3>;
	type RevealWindow = ConstU64<4>;
	type ProviderSlash = ProviderSlash;
	type VerifierSlash = VerifierSlash;
	type VerifierFee = ConstU128<7>;
	type LazyPenalty = ConstU128<50>;
	type WeightInfo = ();
}

parameter_types! {
	pub const ProviderSlash: Perbill = Perbill::from_percent(30);
	pub const SideBySideSlack: Perbill = Perbill::from_percent(50);
	pub const VerifierSlash: Perbill = Perbill::from_percent(10);
}

pub const GIB: u64 = 1 << 30;

/// Test externalities: accounts 1..=20 hold 10,000; the PoC pot holds 1,000 of which 500 are
/// its open pool; one gradient per resource and two tiers.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let pot = {
		use sp_runtime::traits::AccountIdConversion;
		PocPotId::get().into_account_truncating()
	};
	let mut balances: Vec<(AccountId, Balance)> = (1..=20).map(|a| (a, 10_000)).collect();
	balances.push((pot, 1_000));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
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
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_poc::Open::<Test>::mutate(|o| o.pool = 500);
	});
	ext
}

/// Advances to block `n`, running the registry's and this pallet's `on_initialize`, and
/// checks this pallet's books after every block.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Registry::on_initialize(next);
		Attest::on_initialize(next);
		Attest::do_try_state().expect("books consistent");
	}
}

/// A profile: `cores` × 2,500 MHz, `mem` GiB, 100 GiB disk.
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

/// Registers provider `who` with one machine of `cores` and `mem` GiB and one container;
/// returns the machine id.
pub fn provider_with_machine(who: AccountId, cores: u32, mem: u64) -> pallet_registry::MachineId {
	let meta = ProviderMeta {
		name: BoundedVec::truncate_from(b"p".to_vec()),
		region: BoundedVec::truncate_from(b"eu".to_vec()),
		labels: BoundedVec::new(),
	};
	if pallet_registry::Providers::<Test>::get(who).is_none() {
		Registry::register_provider(RuntimeOrigin::signed(who), meta).unwrap();
	}
	let id = pallet_registry::NextMachineId::<Test>::get();
	Registry::register_machine(RuntimeOrigin::signed(who), profile(cores, mem)).unwrap();
	let spec = uranus_primitives::compute::ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: GIB,
		storage_bytes: GIB,
		bandwidth_bps: 1_000,
	};
	Registry::add_container(RuntimeOrigin::signed(who), id, spec).unwrap();
	id
}

/// The events this pallet deposited.
pub fn attest_events() -> Vec<pallet_attest::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Attest(e) => Some(e),
			_ => None,
		})
		.collect()
}
