//! A mock runtime with the real balances, PoC and registry pallets: providers, machines and
//! containers are registered through the registry's own calls and PoC schedules them.

use crate::{self as pallet_market, *};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, Hooks, VariantCountOf},
	BoundedVec, PalletId,
};
use pallet_registry::{HardwareProfile, ProviderMeta};
use sp_runtime::{BuildStorage, Perbill};
use uranus_primitives::compute::ResourceSpec;

pub type AccountId = u64;
pub type Balance = u128;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poc: pallet_poc,
		Registry: pallet_registry,
		Market: pallet_market,
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
	type Available = pallet_registry::IdleContainers<Test>;
	type HalvingPeriod = ConstU64<10_000>;
	type HeartbeatPeriod = ConstU64<10>;
	type AdjustmentPeriod = ConstU64<100>;
	type DemandHoldBlocks = ConstU32<50>;
	type MaxGradientSteps = ConstU32<8>;
	type Tiers = ConstU32<1>;
	type MaxContainers = ConstU32<1_000>;
	type MaxScan = ConstU32<64>;
	type WeightInfo = ();
}

impl pallet_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Contribution = Poc;
	type MachineOffline = Market;
	type Obligations = Market;
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
	type SweepPerBlock = ConstU32<16>;
	type MaxText = ConstU32<32>;
	type MaxLabels = ConstU32<4>;
	type MaxMachinesPerProvider = ConstU32<4>;
	type MaxContainersPerMachine = ConstU32<4>;
	type WeightInfo = ();
}

parameter_types! {
	pub static Sigmas: [u64; 4] = [1_000_000; 4];
	pub static MaxDeadlines: u32 = 32;
	pub const PotId: PalletId = PalletId(*b"ura/mkt_");
	pub const ProtocolFee: Perbill = Perbill::from_percent(10);
}

impl pallet_market::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Escrow = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Scheduler = Poc;
	type Sigmas = Sigmas;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type PotId = PotId;
	type ProtocolFee = ProtocolFee;
	type OnProtocolFee = ();
	type MillisPerBlock = ConstU64<1_000>;
	type AckTimeout = ConstU64<5>;
	type MatchWindow = ConstU64<20>;
	type MaxReplicas = ConstU32<8>;
	type MaxWaiting = ConstU32<16>;
	type MaxDeadlinesPerBlock = MaxDeadlines;
	type DeadlineSpill = ConstU32<2>;
	type MaxResult = ConstU32<128>;
	type MaxArgs = ConstU32<8>;
	type MaxArgLen = ConstU32<64>;
	type LowEscrowBlocks = ConstU64<10>;
	type DisputeWindow = ConstU64<50>;
	type DisputeOrigin = frame_system::EnsureRoot<AccountId>;
	type MeteringSlackMillis = ConstU64<1_000>;
	type UnixTime = BlockClock;
	type DisputeTimeout = ConstU64<30>;
	type OrderDeposit = ConstU128<10>;
	type MaxMatchesPerBlock = ConstU32<4>;
	type SlaAckBlocks = ConstU64<3>;
	type SlaMaxGap = ConstU64<20>;
	type WeightInfo = ();
}

pub const GIB: u64 = 1 << 30;
/// The user.
pub const USER: AccountId = 1;
/// Providers.
pub const P1: AccountId = 10;
pub const P2: AccountId = 11;
/// The image publisher.
pub const PUBLISHER: AccountId = 20;
/// The busybox image digest.
pub const IMAGE: [u8; 32] = [0xbb; 32];
/// Its usage fee.
pub const IMAGE_FEE: Balance = 50;

/// Base prices: 1,000 per core-second, 100 per GiB-second, 10 per MiB, 1 per GiB-second.
pub fn base() -> Prices {
	Prices {
		cpu_core_second: 1_000,
		memory_gib_second: 100,
		network_mib: 10,
		storage_gib_second: 1,
	}
}

/// Caps: twice the base prices.
pub fn caps() -> Prices {
	Prices {
		cpu_core_second: 2_000,
		memory_gib_second: 200,
		network_mib: 20,
		storage_gib_second: 2,
	}
}

/// One replica: 1 core, 1 GiB, 1 GiB disk, 1 MiB/s.
pub fn spec() -> ResourceSpec {
	ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: GIB,
		storage_bytes: GIB,
		bandwidth_bps: 1 << 20,
	}
}

/// `who` registers as a provider with `labels` and a machine holding `containers` containers
/// of [`spec`]; returns the machine id.
pub fn provider(who: AccountId, labels: &[&str], containers: u32) -> u64 {
	if pallet_registry::Providers::<Test>::get(who).is_none() {
		let meta = ProviderMeta {
			name: BoundedVec::truncate_from(b"p".to_vec()),
			region: BoundedVec::truncate_from(b"r".to_vec()),
			labels: BoundedVec::truncate_from(
				labels.iter().map(|l| BoundedVec::truncate_from(l.as_bytes().to_vec())).collect(),
			),
		};
		Registry::register_provider(RuntimeOrigin::signed(who), meta).unwrap();
	}
	let id = pallet_registry::NextMachineId::<Test>::get();
	let profile = HardwareProfile {
		cpu_model: BoundedVec::truncate_from(b"cpu".to_vec()),
		arch: BoundedVec::truncate_from(b"x86_64".to_vec()),
		logical_cores: 8,
		cpu_mhz: 2_000,
		memory_bytes: 16 * GIB,
		storage_bytes: 100 * GIB,
		uplink_bps: 100 << 20,
	};
	Registry::register_machine(RuntimeOrigin::signed(who), profile).unwrap();
	for _ in 0..containers {
		Registry::add_container(RuntimeOrigin::signed(who), id, spec()).unwrap();
	}
	id
}

/// Externalities: funded accounts, one PoC tier, base prices, the verified image.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(USER, 100_000_000),
			(P1, 10_000),
			(P2, 10_000),
			(PUBLISHER, 1_000),
			(3, 100),
		],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_poc::GenesisConfig::<Test> {
		gradients: vec![],
		sigmas: vec![],
		tiers: vec![pallet_poc::Tier { min_score: 0, weight: 1 }],
		containers: vec![],
		rewards: Default::default(),
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_market::GenesisConfig::<Test> { base_prices: base(), _marker: Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| {
		System::set_block_number(1);
		Registry::publish_image(
			RuntimeOrigin::signed(PUBLISHER),
			BoundedVec::truncate_from(b"127.0.0.1:5000/busybox".to_vec()),
			BoundedVec::truncate_from(b"1.36".to_vec()),
			IMAGE,
			2_000_000,
			ResourceSpec { cpu_millicores: 100, memory_bytes: 1 << 20, ..Default::default() },
			IMAGE_FEE,
		)
		.unwrap();
		Registry::verify_image(RuntimeOrigin::root(), IMAGE, true).unwrap();
	});
	ext
}

/// Advances to block `n`, running the market's and the registry's `on_initialize`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Registry::on_initialize(next);
		Market::on_initialize(next);
	}
}

/// Advances to block `n` like [`run_to`], every machine's owner sending a heartbeat every 10
/// blocks so that machines stay online.
pub fn run_online_to(n: u64) {
	while System::block_number() < n {
		run_to(System::block_number() + 1);
		if System::block_number() % 10 == 0 {
			let machines: Vec<_> = pallet_registry::Machines::<Test>::iter().collect();
			for (id, m) in machines {
				let _ = Registry::heartbeat(RuntimeOrigin::signed(m.owner), id);
			}
		}
	}
}

/// Places an order of `replicas` × [`spec`] for 100 blocks (all prepaid) at [`caps`].
pub fn order(replicas: u32, labels: &[&str], spread: bool) -> sp_runtime::DispatchResult {
	order_prepaid(replicas, labels, spread, 100)
}

/// Places an order of `replicas` × [`spec`] for 100 blocks, `prepaid` of them paid.
pub fn order_prepaid(
	replicas: u32,
	labels: &[&str],
	spread: bool,
	prepaid: u64,
) -> sp_runtime::DispatchResult {
	Market::place_order(
		RuntimeOrigin::signed(USER),
		IMAGE,
		spec(),
		BoundedVec::truncate_from(vec![BoundedVec::truncate_from(b"/bin/true".to_vec())]),
		replicas,
		100,
		prepaid,
		caps(),
		BoundedVec::truncate_from(
			labels.iter().map(|l| BoundedVec::truncate_from(l.as_bytes().to_vec())).collect(),
		),
		spread,
	)
}

/// The events this pallet deposited.
pub fn market_events() -> Vec<pallet_market::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Market(e) => Some(e),
			_ => None,
		})
		.collect()
}

parameter_types! {
	/// Time the chain's clock ran ahead of its blocks (slots nobody produced).
	pub static MissedMs: u64 = 0;
}

/// The mock's clock: one second a block plus [`MissedMs`] (there is no timestamp pallet).
pub struct BlockClock;
impl frame_support::traits::UnixTime for BlockClock {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(System::block_number() * 1_000 + MissedMs::get())
	}
}
