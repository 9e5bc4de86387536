//! A mock runtime with the real registry and PoC pallets, sr25519 accounts and signed test
//! extrinsics, plus off-chain test externalities: an HTTP mock answering with the agent's real
//! JSON types, a transaction pool and a keystore.

use crate::{self as pallet_worker, *};
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, VariantCountOf},
};
use sp_core::{
	offchain::{
		testing::{self, OffchainState, PoolState},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	},
	sr25519, Pair,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{generic, traits::IdentityLookup, BuildStorage};
use std::sync::Arc;
use uranus_primitives::agent::HardwareInfo;
use uranus_primitives::agent_token::{AgentTokenExt, SharedToken};

pub type AccountId = sr25519::Public;
pub type Balance = u128;
pub type Extrinsic = generic::UncheckedExtrinsic<AccountId, RuntimeCall, sr25519::Signature, ()>;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Poc: pallet_poc,
		Registry: pallet_registry,
		Market: pallet_market,
		Attest: pallet_attest,
		Worker: pallet_worker,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
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
	type MaxText = ConstU32<64>;
	type MaxLabels = ConstU32<4>;
	type MaxMachinesPerProvider = ConstU32<3>;
	type MaxContainersPerMachine = ConstU32<4>;
	type WeightInfo = ();
}

impl frame_system::offchain::SigningTypes for Test {
	type Public = sr25519::Public;
	type Signature = sr25519::Signature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, _: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, ())
	}
}

/// Signed test extrinsics: the signature covers the encoded call and the nonce.
impl<C> frame_system::offchain::CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: sr25519::Public,
		account: AccountId,
		nonce: <Test as frame_system::Config>::Nonce,
	) -> Option<Extrinsic> {
		let signature = (&call, nonce).using_encoded(|payload| A::sign(payload, public))?;
		Some(Extrinsic::new_signed(call, account, signature, ()))
	}
}

parameter_types! {
	pub const SideBySideSlack: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
	pub const AgentTimeoutMs: u64 = 2_000;
	pub const Sigmas: [u64; 4] = [1_000_000; 4];
	pub const PotId: frame_support::PalletId = frame_support::PalletId(*b"ura/mkt_");
	pub const ProtocolFee: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(5);
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
	type MillisPerBlock = ConstU64<3_000>;
	type AckTimeout = ConstU64<10>;
	type MatchWindow = ConstU64<100>;
	type MaxReplicas = ConstU32<8>;
	type MaxWaiting = ConstU32<16>;
	type MaxDeadlinesPerBlock = ConstU32<32>;
	type DeadlineSpill = ConstU32<2>;
	type MaxResult = ConstU32<128>;
	type MaxArgs = ConstU32<8>;
	type MaxArgLen = ConstU32<64>;
	type LowEscrowBlocks = ConstU64<5>;
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

/// Fixed randomness: the worker tests place challenges in storage themselves.
pub struct FixedRandomness;
impl frame_support::traits::Randomness<sp_core::H256, u64> for FixedRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		(sp_core::H256(sp_io::hashing::blake2_256(subject)), System::block_number())
	}
}

impl pallet_attest::Config for Test {
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type SelectionRandomness = FixedRandomness;
	type PickRandomness = FixedRandomness;
	type ChallengePeriod = ConstU64<1_000_000>;
	type ChallengesPerPeriod = ConstU32<1>;
	type MaxOpen = ConstU32<4>;
	type MaxQueue = ConstU32<8>;
	type MaxProbes = ConstU32<8>;
	type Verifiers = ConstU32<3>;
	type MaxPicks = ConstU32<4>;
	type LaneBytesPerBlock = ConstU64<{ 64 << 20 }>;
	type ComputeRounds = ConstU32<100>;
	type ComputeRoundsPerBlock = ConstU32<50>;
	type SideBySideSlack = SideBySideSlack;
	type ReferenceCpuMhz = ConstU32<1_500>;
	type MinRunBlocks = ConstU64<3>;
	type RevealWindow = ConstU64<4>;
	type ProviderSlash = ProviderSlash;
	type VerifierSlash = ProviderSlash;
	type VerifierFee = ConstU128<1>;
	type LazyPenalty = ConstU128<1>;
	type WeightInfo = ();
}

parameter_types! {
	pub const ProviderSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
	/// The verification deadline of the mock (milliseconds).
	pub const VerifyTimeoutMs: u64 = 60_000;
}

impl pallet_worker::Config for Test {
	type AuthorityId = crypto::ProviderAuthId;
	type AgentTimeoutMs = AgentTimeoutMs;
	type VerifyTimeoutMs = VerifyTimeoutMs;
	type ResendAfter = ConstU64<10>;
	type MaxBackoff = ConstU64<64>;
}

pub const GIB: u64 = 1 << 30;

/// The provider key's account (`//Provider`).
pub fn provider() -> AccountId {
	sr25519::Pair::from_string("//Provider", None).unwrap().public()
}

/// Handles on the off-chain test environment's HTTP mock and transaction pool.
pub struct Env {
	pub http: Arc<parking_lot::RwLock<OffchainState>>,
	pub pool: Arc<parking_lot::RwLock<PoolState>>,
}

/// Externalities with the provider funded; `with_key` puts its key in the keystore.
pub fn env(with_key: bool) -> (sp_io::TestExternalities, Env) {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(provider(), 1_000_000)],
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
	let mut ext = sp_io::TestExternalities::new(t);
	let (offchain, http) = testing::TestOffchainExt::new();
	let (pool_ext, pool) = testing::TestTransactionPoolExt::new();
	let keystore = MemoryKeystore::new();
	if with_key {
		keystore.sr25519_generate_new(KEY_TYPE, Some("//Provider")).unwrap();
	}
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool_ext));
	ext.register_extension(KeystoreExt::new(keystore));
	ext.register_extension(AgentTokenExt::new(AGENT_TOKEN.with(|t| t.clone())));
	ext.execute_with(|| System::set_block_number(1));
	(ext, Env { http, pool })
}

thread_local! {
	/// The token the node holds for the tests' off-chain worker runs (empty: none).
	pub static AGENT_TOKEN: SharedToken = Default::default();
}

/// What the agent reports: `cores` cores, `mem` GiB memory.
pub fn hardware(cores: u32, mem: u64) -> HardwareInfo {
	HardwareInfo {
		cpu_model: "AMD EPYC 7B13".into(),
		logical_cores: cores,
		cpu_mhz: 2_450,
		memory_total_bytes: mem * GIB,
		memory_available_bytes: mem * GIB / 2,
		storage_total_bytes: 200 * GIB,
		storage_available_bytes: 150 * GIB,
		arch: "x86_64".into(),
		uplink_bytes_per_sec: Some(12_500_000),
		cgroup_mode: "hybrid".into(),
		runtime: "runc".into(),
	}
}

impl Env {
	/// Expects one `GET /v1/hardware` (with `token` as bearer, if any) answered with `body`.
	pub fn expect_hardware(&self, url: &str, token: Option<&str>, body: Vec<u8>) {
		self.http.write().expect_request(testing::PendingRequest {
			method: "GET".into(),
			uri: format!("{url}/v1/hardware"),
			headers: token
				.map(|t| vec![("Authorization".into(), format!("Bearer {t}"))])
				.unwrap_or_default(),
			response: Some(body),
			sent: true,
			..Default::default()
		});
	}

	/// The calls submitted since the last look, with their signers.
	pub fn submitted(&self) -> Vec<(AccountId, RuntimeCall)> {
		use codec::Decode;
		let txs = std::mem::take(&mut self.pool.write().transactions);
		txs.into_iter()
			.map(|raw| {
				let xt = Extrinsic::decode(&mut &raw[..]).expect("a signed extrinsic");
				match xt.preamble {
					generic::Preamble::Signed(who, signature, _) => {
						let nonce = System::account_nonce(who);
						assert!(
							sp_runtime::traits::Verify::verify(
								&signature,
								&(&xt.function, nonce).encode()[..],
								&who
							),
							"the provider key signed the call"
						);
						(who, xt.function)
					},
					other => panic!("not signed: {other:?}"),
				}
			})
			.collect()
	}
}

/// Runs the worker at block `n` the way the node does: on a copy of the chain state that is
/// thrown away afterwards (the signer bumps the nonce in it); off-chain storage persists.
pub fn ocw(n: u64) -> Result<Outcome, (WorkerError, u64)> {
	sp_io::storage::start_transaction();
	let result = Worker::run(n);
	sp_io::storage::rollback_transaction();
	result
}

/// The mock's clock: three seconds a block (there is no timestamp pallet here).
pub struct BlockClock;
impl frame_support::traits::UnixTime for BlockClock {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(System::block_number() * 3_000)
	}
}
