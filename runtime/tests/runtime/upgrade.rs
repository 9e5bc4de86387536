//! Runtime upgrades, as the try-runtime tool runs them (`--features try-runtime`, in `make
//! test-slow`): every migration of the runtime with its pre/post checks, then every pallet's
//! `try_state`, over a chain built by executing blocks, with a provider, an image, an order
//! and its lease on it. And a market still at storage version 0 is brought to 1 by the upgrade,
//! as is an attestation pallet with a challenge open in its v0 layout.

use crate::chain::{offer_whole_machine, order_one_core, publish_verified_image, TestChain};
use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::UpgradeCheckSelect;
use uranus_runtime::{Attest, Dpos, Executive, Market, Poc, Registry, Runtime, Worker};

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
			(Attest::on_chain_storage_version(), Attest::in_code_storage_version()),
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

#[test]
fn an_open_challenge_stored_by_attest_v0_keeps_its_workload_through_the_upgrade() {
	use codec::Encode;
	use pallet_attest::Challenges;
	let (mut chain, _) = crate::attest::until_first_challenge();
	chain.execute_with(|| {
		let (id, c) = Challenges::<Runtime>::iter().next().expect("a challenge is open");
		assert!(c.rounds > 0, "new challenges have compute rounds");
		// The challenge as attest v0 stored it: no rounds.
		let old = pallet_attest::migrations::as_v0::<Runtime>(&c);
		frame_support::storage::unhashed::put_raw(
			&Challenges::<Runtime>::hashed_key_for(id),
			&old.encode(),
		);
		StorageVersion::new(0).put::<Attest>();
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("v0 → v1 → v2 migrates, its checks and every try_state pass");
		assert_eq!(Attest::on_chain_storage_version(), StorageVersion::new(2));
		let migrated = Challenges::<Runtime>::get(id).expect("still open");
		assert_eq!(migrated.rounds, 0, "it keeps the workload it was started with");
		// Its lanes were seeded at its start with its deadlines: no probe for it.
		assert_eq!(migrated.seeded_at, Some(c.started));
		let as_started = pallet_attest::ChallengeOf::<Runtime> {
			rounds: c.rounds,
			probe_by: c.probe_by,
			probed_at: None,
			seeded_at: None,
			..migrated
		};
		assert_eq!(as_started, c);
	});
}
