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
		for (id, owner, basic) in [(1, "//Alice", 85), (2, "//Bob", 175), (3, "//Charlie", 350)] {
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
		<Poc as ContributionHooks<_>>::container_online(1, &account("//Alice"), capacity).unwrap();
		<Poc as ContributionHooks<_>>::container_online(2, &account("//Bob"), {
			Poc::score_view(2).unwrap().capacity
		})
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
