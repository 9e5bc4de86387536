//! Runtime upgrades, as the try-runtime tool runs them (`--features try-runtime`, in `make
//! test-slow`): every migration of the runtime with its pre/post checks, then every pallet's
//! `try_state`, over a chain built by executing blocks, with a provider, an image, an order
//! and its lease on it. And a market still at storage version 0 is brought to 1 by the upgrade.

use crate::chain::{offer_whole_machine, order_one_core, publish_verified_image, TestChain};
use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::UpgradeCheckSelect;
use uranus_runtime::{Dpos, Executive, Market, Poc, Registry, Worker};

const GIB: u64 = 1 << 30;

/// A dev chain on which Ferdie offers a container, Dave publishes a verified image and Eve's
/// order of it got a lease.
fn chain_with_a_lease() -> TestChain {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	offer_whole_machine(&mut chain, "//Ferdie", 100 * GIB, 10_000_000);
	let digest = [0xbb; 32];
	publish_verified_image(&mut chain, digest, 1_000_000_000);
	order_one_core(&mut chain, "//Eve", digest, &[]);
	chain.produce_blocks(2);
	assert!(chain
		.execute_with(|| pallet_market::Leases::<uranus_runtime::Runtime>::get(0))
		.is_some());
	chain
}

#[test]
fn the_upgrade_checks_and_every_pallets_invariants_hold_over_a_live_chain() {
	let mut chain = chain_with_a_lease();
	chain.execute_with(|| {
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("pre/post checks and try_state pass");
		println!("runtime upgrade over a chain with a lease: {weight:?}");
		// Nothing is left to migrate: every pallet is at its in-code storage version.
		assert_eq!(Market::on_chain_storage_version(), Market::in_code_storage_version());
		assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(1));
		for (on_chain, in_code) in [
			(Dpos::on_chain_storage_version(), Dpos::in_code_storage_version()),
			(Poc::on_chain_storage_version(), Poc::in_code_storage_version()),
			(Registry::on_chain_storage_version(), Registry::in_code_storage_version()),
			(Worker::on_chain_storage_version(), Worker::in_code_storage_version()),
		] {
			assert_eq!(on_chain, in_code);
		}
	});
}

#[test]
fn a_market_at_storage_version_0_is_migrated_by_the_upgrade() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_blocks(2);
	chain.execute_with(|| {
		StorageVersion::new(0).put::<Market>();
		Executive::try_runtime_upgrade(UpgradeCheckSelect::PreAndPost).expect("v0 → v1 migrates");
		assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(1));
		// A second upgrade finds nothing to do and its checks still pass.
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).expect("idempotent");
		assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(1));
	});
}
