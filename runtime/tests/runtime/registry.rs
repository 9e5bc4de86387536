//! The registry in the runtime: a provider registers a machine and a container with signed
//! extrinsics; PoC scores and schedules the container; silence takes it offline.

use crate::chain::{account, offer_whole_machine, pair, TestChain};
use pallet_poc::Scheduler;
use uranus_runtime::{Poc, Runtime, RuntimeCall};

const GIB: u64 = 1 << 30;

#[test]
fn a_registered_container_is_scored_scheduled_and_dropped_when_silent() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let spec = offer_whole_machine(&mut chain, "//Ferdie", 200 * GIB, 50_000_000);
	let ferdie = pair("//Ferdie");
	chain.execute_with(|| {
		let score = Poc::score_view(1_000).expect("PoC knows the container");
		assert_eq!(score.owner, account("//Ferdie"));
		// 4 cores × 3,000 MHz = 12,000 → 25; 8 GiB → 25; 200 GiB → 25; 50 MB/s → 25.
		assert_eq!(score.basic, 100);
		assert!(Poc::next_candidates(&spec, 5).contains(&1_000));
	});
	// No heartbeat for longer than the timeout: offline, no longer proposed.
	chain.produce_blocks(40);
	chain.execute_with(|| {
		assert!(!pallet_registry::Machines::<Runtime>::get(0).unwrap().online);
		assert!(!Poc::next_candidates(&spec, 5).contains(&1_000));
	});
	let xt =
		chain.signed(&ferdie, RuntimeCall::Registry(pallet_registry::Call::heartbeat { id: 0 }));
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	chain.execute_with(|| assert!(Poc::next_candidates(&spec, 5).contains(&1_000)));
}
