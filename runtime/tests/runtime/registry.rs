//! The registry in the runtime: a provider registers a machine and a container with signed
//! extrinsics; PoC scores and schedules the container; silence takes it offline.

use crate::chain::{account, pair, TestChain};
use frame_support::BoundedVec;
use pallet_poc::{ResourceSpec, Scheduler};
use pallet_registry::{HardwareProfile, ProviderMeta};
use uranus_runtime::{Poc, Runtime, RuntimeCall};

const GIB: u64 = 1 << 30;

#[test]
fn a_registered_container_is_scored_scheduled_and_dropped_when_silent() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let ferdie = pair("//Ferdie");
	let text = |s: &str| BoundedVec::truncate_from(s.as_bytes().to_vec());
	let profile = HardwareProfile {
		cpu_model: text("Test CPU"),
		arch: text("x86_64"),
		logical_cores: 4,
		cpu_mhz: 3_000,
		memory_bytes: 8 * GIB,
		storage_bytes: 200 * GIB,
		uplink_bps: 50_000_000,
	};
	let spec = ResourceSpec {
		cpu_millicores: 4_000,
		memory_bytes: 8 * GIB,
		storage_bytes: 200 * GIB,
		bandwidth_bps: 50_000_000,
	};
	for call in [
		RuntimeCall::Registry(pallet_registry::Call::register_provider {
			meta: ProviderMeta {
				name: text("ferdie"),
				region: text("eu"),
				labels: BoundedVec::new(),
			},
		}),
		RuntimeCall::Registry(pallet_registry::Call::register_machine { profile }),
		RuntimeCall::Registry(pallet_registry::Call::add_container { machine: 0, spec }),
	] {
		let xt = chain.signed(&ferdie, call);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
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
