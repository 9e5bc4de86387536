//! Proof of Contribution in the runtime: genesis test containers, chain contribution from a
//! real dpos vote and σ adjustment at the end of an adjustment period.

use crate::chain::{account, pair, TestChain};
use frame_support::BoundedVec;
use pallet_poc::{ContributionHooks, Resource, SIGMA_ONE};
use uranus_runtime::{configs::poc::PocAdjustmentPeriod, currency::URA, Poc, Runtime, RuntimeCall};

#[test]
fn dev_genesis_containers_have_hand_computed_scores() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	chain.execute_with(|| {
		// Gradients of the presets at σ = 1 (see tests/pjs/poc.test.mjs for the arithmetic).
		for (id, owner, basic) in [(1, "//Alice", 85), (2, "//Bob", 175), (3, "//Charlie", 500)] {
			let s = Poc::score_view(id).expect("genesis container");
			assert_eq!(s.owner, account(owner));
			assert_eq!((s.basic, s.total, s.tier), (basic, basic, Some(3)));
		}
		assert_eq!(pallet_poc::Supply::<Runtime>::get()[Resource::Cpu.index()], 42_000);
	});
}

#[test]
fn a_dpos_voter_earns_chain_contribution_at_its_next_heartbeat() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	// Alice votes for the validator candidate Bob//stash with 1,000 URA.
	let vote = RuntimeCall::Dpos(pallet_dpos::Call::vote {
		candidates: BoundedVec::truncate_from(vec![account("//Bob//stash")]),
		stake: 1_000 * URA,
	});
	let xt = chain.signed(&pair("//Alice"), vote);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	chain.produce_blocks(10); // the next heartbeat period
	chain.execute_with(|| {
		let capacity = Poc::score_view(1).unwrap().capacity;
		<Poc as ContributionHooks<_>>::container_online(1, &account("//Alice"), capacity, true)
			.unwrap();
		<Poc as ContributionHooks<_>>::container_online(
			2,
			&account("//Bob"),
			Poc::score_view(2).unwrap().capacity,
			true,
		)
		.unwrap();
		let alice = Poc::score_view(1).unwrap();
		assert_eq!((alice.basic, alice.chain), (2 * 85, 20), "voter: chain contribution");
		let bob = Poc::score_view(2).unwrap();
		assert_eq!((bob.basic, bob.chain), (2 * 175, 0), "not a voter");
	});
}

#[test]
fn sigma_moves_one_bounded_step_per_adjustment_period() {
	let mut chain = TestChain::from_preset("dev");
	let period: u32 = <PocAdjustmentPeriod as frame_support::traits::Get<u32>>::get();
	chain.produce_blocks(period);
	chain.execute_with(|| {
		// No demand against 42,000 online millicores: the target is σ's floor (0.1); σ moves
		// one step (0.05) down from 1.
		let cpu = pallet_poc::Sigmas::<Runtime>::get(Resource::Cpu);
		assert_eq!(cpu.value, SIGMA_ONE - SIGMA_ONE / 20);
		assert!(frame_system::Pallet::<Runtime>::events().iter().any(|e| matches!(
			e.event,
			uranus_runtime::RuntimeEvent::Poc(pallet_poc::Event::SigmaAdjusted {
				resource: Resource::Cpu,
				..
			})
		)));
	});
}

/// A capacity: `cores` logical cores at `mhz`, `mem` GiB, `disk` GiB, `bw` bytes/s.
fn machine(cores: u32, mhz: u32, mem: u64, disk: u64, bw: u64) -> pallet_poc::ContainerCapacity {
	const GIB: u64 = 1 << 30;
	pallet_poc::ContainerCapacity {
		spec: pallet_poc::ResourceSpec {
			cpu_millicores: cores * 1_000,
			memory_bytes: mem * GIB,
			storage_bytes: disk * GIB,
			bandwidth_bps: bw,
		},
		cpu_mhz: mhz,
	}
}

/// The calibration table of `pallets/poc/README.md`: each machine class, online for good,
/// stays in its tier through whole halving cycles (after its score has settled), under the
/// genesis gradients and tiers.
#[test]
fn laptops_desktops_and_servers_land_in_the_tiers_of_the_calibration_table() {
	use uranus_runtime::configs::poc::{PocHalvingPeriod, PocHeartbeatPeriod};
	let table = [
		// 4 × 2.5 GHz, 8 GiB, 256 GiB SSD, 50 Mbit/s up.
		("laptop", machine(4, 2_500, 8, 256, 6_250_000), 85, 2u8),
		// 8 × 3.6 GHz, 32 GiB, 2 TB, 1 Gbit/s up.
		("desktop", machine(8, 3_600, 32, 2_000, 125_000_000), 200, 1),
		// 64 × 2.5 GHz, 256 GiB, 16 TB, 10 Gbit/s up.
		("server", machine(64, 2_500, 256, 16_000, 1_250_000_000), 600, 0),
	];
	let mut chain = TestChain::from_preset("dev");
	chain.execute_with(|| {
		let owner = account("//Ferdie");
		for (name, capacity, basic, _) in &table {
			assert_eq!(Poc::basic_of(capacity), *basic, "{name}'s basic contribution per period");
		}
		let (period, halving) = (PocHeartbeatPeriod::get(), PocHalvingPeriod::get());
		// Blocks are set directly: no σ adjustment runs (σ = 1, as at genesis).
		let start = frame_system::Pallet::<Runtime>::block_number();
		let (settled, end) = (start + 4 * halving, start + 8 * halving);
		let mut block = start;
		let mut checked = 0;
		while block < end {
			block += period;
			frame_system::Pallet::<Runtime>::set_block_number(block);
			for (i, (name, capacity, _, tier)) in table.iter().enumerate() {
				let id = 500 + i as pallet_poc::ContainerId;
				<Poc as ContributionHooks<_>>::container_online(id, &owner, *capacity, true)
					.unwrap();
				if block > settled {
					let view = Poc::score_view(id).unwrap();
					assert_eq!(view.tier, Some(*tier), "{name} at block {block}: {}", view.total);
					checked += 1;
				}
			}
		}
		assert!(checked >= 3 * 3 * (halving / period), "whole halving cycles were checked");
	});
}
