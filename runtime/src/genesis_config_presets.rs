//! Genesis presets: `dev` (Alice alone), `local` (Alice, Bob, Charlie, Dave) and `testnet`.
//!
//! Every preset comes from one builder, [`uranus_genesis`], so the three differ only in who
//! validates, who is funded and how many validators the chain aims for. Validators bond from
//! a stash (`//Name//stash`) and register BABE + GRANDPA session keys derived from `//Name`,
//! the layout zombienet also uses.

use crate::{
	configs::staking::{MIN_NOMINATOR_BOND, MIN_VALIDATOR_BOND},
	currency::URA,
	AccountId, Balance, BalancesConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys,
	StakingConfig, SudoConfig, BABE_GENESIS_EPOCH_CONFIG,
};
use alloc::{format, vec, vec::Vec};
use frame_support::build_struct_json_patch;
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
		},
		sudo: SudoConfig { key: Some(sudo) },
	})
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
	)
}

/// `local`: Alice, Bob, Charlie and Dave validate.
pub fn local_config_genesis() -> Value {
	uranus_genesis(
		["Alice", "Bob", "Charlie", "Dave"].into_iter().map(validator_from_seed).collect(),
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		4,
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
	)
}

/// The JSON patch of preset `id`, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		// The standard preset names are accepted as aliases.
		DEV_PRESET | sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		LOCAL_PRESET | sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TESTNET_PRESET => testnet_config_genesis(),
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
