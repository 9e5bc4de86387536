//! The provider's off-chain worker in the real runtime: its signed transactions (mortal era,
//! the runtime's transaction extensions, the `cmpt` key) are accepted by block execution, and
//! three runs against a mocked agent register provider, machine and container, which PoC then
//! scores.

use crate::chain::TestChain;
use codec::Decode;
use sp_core::offchain::{
	testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::traits::IdentifyAccount;
use uranus_primitives::{agent::HardwareInfo, worker::DEFAULT_AGENT_URL};
use uranus_runtime::{Poc, Runtime, UncheckedExtrinsic, Worker};

#[test]
fn the_workers_signed_transactions_register_the_agents_machine() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let (offchain, http) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let keystore = MemoryKeystore::new();
	let key = keystore.sr25519_generate_new(pallet_worker::KEY_TYPE, Some("//Ferdie")).unwrap();
	let ferdie: uranus_runtime::AccountId = sp_runtime::MultiSigner::from(key).into_account();
	chain.ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	chain.ext.register_extension(OffchainDbExt::new(offchain));
	chain.ext.register_extension(TransactionPoolExt::new(pool));
	chain.ext.register_extension(KeystoreExt::new(keystore));

	let hardware = HardwareInfo {
		cpu_model: "Test CPU".into(),
		logical_cores: 4,
		cpu_mhz: 3_000,
		memory_total_bytes: 8 << 30,
		memory_available_bytes: 6 << 30,
		storage_total_bytes: 200 << 30,
		storage_available_bytes: 100 << 30,
		arch: "x86_64".into(),
		uplink_bytes_per_sec: Some(50_000_000),
		cgroup_mode: "v2".into(),
		runtime: "runc".into(),
	};
	for _ in 0..2 {
		http.write().expect_request(PendingRequest {
			method: "GET".into(),
			uri: format!("{DEFAULT_AGENT_URL}/v1/hardware"),
			response: Some(serde_json::to_vec(&hardware).unwrap()),
			sent: true,
			..Default::default()
		});
	}

	for expected in ["RegisterProvider", "RegisterMachine", "AddContainer(0)"] {
		let outcome = chain.execute_with(|| {
			let n = frame_system::Pallet::<Runtime>::block_number();
			sp_io::storage::start_transaction();
			let outcome = Worker::run(n);
			sp_io::storage::rollback_transaction();
			outcome
		});
		assert_eq!(format!("{outcome:?}"), format!("Ok(Sent({expected}))"));
		let raw = pool_state.write().transactions.pop().expect("a transaction");
		let xt = UncheckedExtrinsic::decode(&mut &raw[..]).expect("the runtime's extrinsic");
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}

	chain.execute_with(|| {
		let machine = pallet_registry::Machines::<Runtime>::get(0).expect("machine 0");
		assert_eq!(machine.owner, ferdie);
		assert_eq!(machine.profile, Worker::profile(&hardware));
		assert_eq!(machine.containers.len(), 1);
		let score = Poc::score_view(machine.containers[0]).expect("PoC scores the container");
		assert_eq!(score.owner, ferdie);
		assert!(score.basic > 0);
	});
}
