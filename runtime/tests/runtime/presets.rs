//! Every preset builds a genesis state with the validators, balances and keys it promises.

use crate::chain::{account, genesis_config, TestChain};
use frame_support::traits::fungible::Inspect;
use sp_runtime::BuildStorage;
use uranus_runtime::{
	genesis_config_presets::{self as presets, ENDOWMENT, VALIDATOR_BOND},
	Balances, Runtime,
};

fn stash(name: &str) -> uranus_runtime::AccountId {
	account(&format!("//{name}//stash"))
}

#[test]
fn preset_names_are_dev_local_and_testnet() {
	let names: Vec<String> = presets::preset_names().into_iter().map(|p| p.into()).collect();
	assert_eq!(names, vec!["dev", "local", "testnet"]);
	assert!(presets::get_preset(&"unknown".into()).is_none());
}

#[test]
fn every_preset_builds_a_genesis_state() {
	for name in ["dev", "local", "testnet", "development", "local_testnet"] {
		genesis_config(name).build_storage().unwrap_or_else(|e| panic!("{name}: {e}"));
	}
}

#[test]
fn dev_preset_has_alice_as_the_only_validator() {
	let mut chain = TestChain::from_preset("dev");
	chain.execute_with(|| {
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![stash("Alice")]);
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_grandpa::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_staking::ValidatorCount::<Runtime>::get(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(account("//Alice")));
		for who in ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"] {
			assert_eq!(Balances::balance(&account(who)), ENDOWMENT, "{who}");
		}
	});
}

#[test]
fn local_preset_has_four_bonded_validators_with_session_keys() {
	let mut chain = TestChain::from_preset("local");
	chain.execute_with(|| {
		let expected: Vec<_> = ["Alice", "Bob", "Charlie", "Dave"].into_iter().map(stash).collect();
		let mut validators = pallet_session::Validators::<Runtime>::get();
		validators.sort();
		let mut sorted = expected.clone();
		sorted.sort();
		assert_eq!(validators, sorted);
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(pallet_grandpa::Authorities::<Runtime>::get().len(), 4);
		for s in &expected {
			let ledger = pallet_staking::Ledger::<Runtime>::get(s).expect("stash is bonded");
			assert_eq!(ledger.active, VALIDATOR_BOND);
			assert!(pallet_session::NextKeys::<Runtime>::get(s).is_some());
			assert!(pallet_staking::Validators::<Runtime>::contains_key(s));
		}
	});
}

#[test]
fn testnet_preset_aims_for_the_white_papers_48_validators() {
	let mut chain = TestChain::from_preset("testnet");
	chain.execute_with(|| {
		assert_eq!(pallet_staking::ValidatorCount::<Runtime>::get(), 48);
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 4);
		assert_eq!(
			pallet_staking::MinValidatorBond::<Runtime>::get(),
			uranus_runtime::configs::staking::MIN_VALIDATOR_BOND
		);
	});
}
