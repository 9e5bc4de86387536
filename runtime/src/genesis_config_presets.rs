//! Genesis presets: `dev` (Alice alone), `local` (Alice, Bob, Charlie, Dave) and `testnet`.
//!
//! Every preset comes from one builder, [`uranus_genesis`], so the three differ only in who
//! validates, who is funded and how many validators the chain aims for. Validators bond from
//! a stash (`//Name//stash`) and register BABE + GRANDPA session keys derived from `//Name`,
//! the layout zombienet also uses.

use crate::{
	configs::staking::{MAX_CANDIDATES, MIN_NOMINATOR_BOND, MIN_VALIDATOR_BOND},
	currency::{MICRO_URA, URA},
	AccountId, Balance, BalancesConfig, MarketConfig, PocConfig, RuntimeGenesisConfig,
	SessionConfig, SessionKeys, StakingConfig, SudoConfig, BABE_GENESIS_EPOCH_CONFIG,
};
use alloc::{format, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_poc::{ContainerCapacity, ContainerId, GradientStep, Resource, ResourceSpec, Tier};
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::{crypto::get_public_from_string_or_panic, sr25519};
use sp_genesis_builder::{self, PresetId};
use sp_keyring::Sr25519Keyring;
use sp_staking::StakerStatus;

/// Preset id of the single-validator development chain.
pub const DEV_PRESET: &str = "dev";
/// Preset id of the four-validator local network.
pub const LOCAL_PRESET: &str = "local";
/// Preset id of the public test network.
pub const TESTNET_PRESET: &str = "testnet";
/// Preset id of the load-test chain: `dev` plus [`BENCH_SENDERS`] funded senders.
pub const BENCH_PRESET: &str = "bench";
/// Senders the `bench` preset funds (`//Sender//0` …), one transfer each in the sTPS test.
pub const BENCH_SENDERS: u32 = 20_000;
/// Balance of every bench sender.
pub const BENCH_SENDER_BALANCE: Balance = 1_000 * URA;

/// Balance of every endowed account.
pub const ENDOWMENT: Balance = 1_000_000 * URA;
/// Bond of every genesis validator.
pub const VALIDATOR_BOND: Balance = 100_000 * URA;

/// A genesis validator: its stash account and session keys.
#[derive(Clone)]
pub struct GenesisValidator {
	/// The stash that bonds and is the session validator id.
	pub stash: AccountId,
	/// BABE and GRANDPA keys.
	pub keys: SessionKeys,
}

/// A validator whose keys derive from `//{seed}` and whose stash is `//{seed}//stash`.
pub fn validator_from_seed(seed: &str) -> GenesisValidator {
	let stash =
		get_public_from_string_or_panic::<sr25519::Public>(&format!("{seed}//stash")).into();
	let keys = SessionKeys {
		babe: get_public_from_string_or_panic::<BabeId>(seed),
		grandpa: get_public_from_string_or_panic::<GrandpaId>(seed),
	};
	GenesisValidator { stash, keys }
}

/// The one builder behind every preset.
pub fn uranus_genesis(
	validators: Vec<GenesisValidator>,
	endowed: Vec<AccountId>,
	sudo: AccountId,
	validator_count: u32,
	poc_containers: Vec<(ContainerId, AccountId, ContainerCapacity)>,
) -> Value {
	let mut balances: Vec<(AccountId, Balance)> =
		endowed.iter().cloned().map(|a| (a, ENDOWMENT)).collect();
	for v in &validators {
		if !balances.iter().any(|(a, _)| a == &v.stash) {
			balances.push((v.stash.clone(), ENDOWMENT));
		}
	}
	let minimum_validator_count = 1;

	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		babe: crate::BabeConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|v| (v.stash.clone(), v.stash.clone(), v.keys.clone()))
				.collect::<Vec<_>>(),
		},
		staking: StakingConfig {
			validator_count,
			minimum_validator_count,
			invulnerables: Vec::new(),
			stakers: validators
				.iter()
				.map(|v| (
					v.stash.clone(),
					v.stash.clone(),
					VALIDATOR_BOND,
					StakerStatus::Validator
				))
				.collect::<Vec<_>>(),
			min_validator_bond: MIN_VALIDATOR_BOND,
			min_nominator_bond: MIN_NOMINATOR_BOND,
			max_validator_count: Some(MAX_CANDIDATES),
		},
		sudo: SudoConfig { key: Some(sudo) },
		poc: PocConfig {
			gradients: poc_gradients(),
			tiers: poc_tiers(),
			containers: poc_containers,
		},
		market: MarketConfig { base_prices: market_base_prices() },
	})
}

const GIB: u64 = 1 << 30;

/// Base prices of the market (scaled by PoC's σ, bounded by each order's caps), in plancks:
/// 10 µURA per core-second, 1 µURA per GiB-second of memory, 0.1 mURA per MiB of traffic,
/// 0.01 µURA per GiB-second of storage.
pub fn market_base_prices() -> pallet_market::Prices {
	pallet_market::Prices {
		cpu_core_second: 10 * MICRO_URA,
		memory_gib_second: MICRO_URA,
		network_mib: 100 * MICRO_URA,
		storage_gib_second: MICRO_URA / 100,
	}
}

/// The genesis gradient tables (governance changes them with `poc.set_gradient`):
/// CPU in MHz·cores, memory and storage in bytes, bandwidth in bytes per second. The top step
/// (a 64-core server's class) is worth 150, so that the machine classes of
/// `pallets/poc/README.md` (laptop 85, desktop 200, server 600 per period) are more than
/// 2.13× apart and a score's halving swing (×2) never carries one class into another's tier.
pub fn poc_gradients() -> Vec<(Resource, Vec<GradientStep>)> {
	let table = |steps: &[(u64, u32)]| {
		steps
			.iter()
			.map(|(threshold, points)| GradientStep { threshold: *threshold, points: *points })
			.collect()
	};
	vec![
		(Resource::Cpu, table(&[(1_000, 10), (4_000, 25), (16_000, 50), (64_000, 150)])),
		(Resource::Memory, table(&[(GIB, 10), (4 * GIB, 25), (16 * GIB, 50), (64 * GIB, 150)])),
		(
			Resource::Storage,
			table(&[(10 * GIB, 10), (100 * GIB, 25), (1_000 * GIB, 50), (10_000 * GIB, 150)]),
		),
		(
			Resource::Bandwidth,
			table(&[(1_000_000, 10), (10_000_000, 25), (100_000_000, 50), (1_000_000_000, 150)]),
		),
	]
}

/// Heartbeat periods per halving period (`N`): 1,008 (7 days of 10 minutes), or 200 in the
/// fast runtime.
pub fn poc_periods_per_halving() -> u128 {
	use crate::configs::poc::{PocHalvingPeriod, PocHeartbeatPeriod};
	(PocHalvingPeriod::get() / PocHeartbeatPeriod::get().max(1)) as u128
}

/// Four scheduling tiers, best first, served 8 : 4 : 2 : 1 per round.
///
/// A machine with basic contribution `B` per period, online for good, swings between about
/// `0.94·B·N` (just after a halving) and `2·B·N` (just before), `N` =
/// [`poc_periods_per_halving`]. The bounds sit between the classes' swings: ≥ 450·N (servers:
/// 564–1,195·N), ≥ 175·N (desktops: 188–398·N), ≥ 70·N (laptops: 80–169·N); below that,
/// machines still building their score. Calibration table: `pallets/poc/README.md`.
pub fn poc_tiers() -> Vec<Tier> {
	let n = poc_periods_per_halving();
	vec![
		Tier { min_score: 450 * n, weight: 8 },
		Tier { min_score: 175 * n, weight: 4 },
		Tier { min_score: 70 * n, weight: 2 },
		Tier { min_score: 0, weight: 1 },
	]
}

/// Test containers of the `dev` and `local` presets (until providers register machines):
/// Alice, Bob and Charlie each offer one, from small to large.
pub fn poc_test_containers() -> Vec<(ContainerId, AccountId, ContainerCapacity)> {
	let c = |cores: u32, mhz: u32, mem: u64, disk: u64, bw: u64| ContainerCapacity {
		spec: ResourceSpec {
			cpu_millicores: cores * 1000,
			memory_bytes: mem * GIB,
			storage_bytes: disk * GIB,
			bandwidth_bps: bw,
		},
		cpu_mhz: mhz,
	};
	vec![
		(1, Sr25519Keyring::Alice.to_account_id(), c(2, 2_400, 4, 50, 10_000_000)),
		(2, Sr25519Keyring::Bob.to_account_id(), c(8, 3_000, 32, 500, 100_000_000)),
		(3, Sr25519Keyring::Charlie.to_account_id(), c(32, 3_500, 128, 4_000, 1_000_000_000)),
	]
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// `dev`: Alice is the only validator; all well-known dev accounts are funded.
pub fn development_config_genesis() -> Value {
	uranus_genesis(
		vec![validator_from_seed("Alice")],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		1,
		poc_test_containers(),
	)
}

/// `local`: Alice, Bob, Charlie and Dave validate.
pub fn local_config_genesis() -> Value {
	uranus_genesis(
		["Alice", "Bob", "Charlie", "Dave"].into_iter().map(validator_from_seed).collect(),
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		4,
		poc_test_containers(),
	)
}

/// `testnet`: four bootstrap validators; the validator count aims at the white paper's 48 as
/// candidates bond.
pub fn testnet_config_genesis() -> Value {
	uranus_genesis(
		["Alice", "Bob", "Charlie", "Dave"].into_iter().map(validator_from_seed).collect(),
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		48,
		Vec::new(),
	)
}

/// Load-test sender `i`: the account of `//Sender//{i}`.
pub fn bench_sender(i: u32) -> AccountId {
	// The helper prefixes `//`.
	get_public_from_string_or_panic::<sr25519::Public>(&format!("Sender//{i}")).into()
}

/// `bench`: the `dev` chain plus [`BENCH_SENDERS`] senders holding [`BENCH_SENDER_BALANCE`]
/// each (derives 20,000 keys: the node builds this natively, see `uranus-node --chain bench`).
pub fn bench_config_genesis() -> Value {
	let mut patch = development_config_genesis();
	let balances = patch["balances"]["balances"].as_array_mut().expect("dev funds accounts");
	for i in 0..BENCH_SENDERS {
		balances.push(serde_json::json!([bench_sender(i), BENCH_SENDER_BALANCE]));
	}
	patch
}

/// The JSON patch of preset `id`, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		// The standard preset names are accepted as aliases.
		DEV_PRESET | sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		LOCAL_PRESET | sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TESTNET_PRESET => testnet_config_genesis(),
		BENCH_PRESET => bench_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of all presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_PRESET), PresetId::from(LOCAL_PRESET), PresetId::from(TESTNET_PRESET)]
}
