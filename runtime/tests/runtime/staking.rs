//! Era changes elect validators from bonds and lent stake.

use crate::chain::{account, pair, TestChain};
use codec::Encode;
use uranus_runtime::{
	configs::staking::MIN_VALIDATOR_BOND, currency::URA, Runtime, RuntimeCall, SessionKeys,
};

#[test]
fn era_change_elects_the_genesis_validators() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	chain.run_to_active_era(1);
	chain.execute_with(|| {
		assert_eq!(pallet_staking::ActiveEra::<Runtime>::get().map(|e| e.index), Some(1));
		let elected: Vec<_> = pallet_staking::ErasStakersOverview::<Runtime>::iter_prefix(1)
			.map(|(v, _)| v)
			.collect();
		assert_eq!(elected.len(), 4);
	});
}

#[test]
fn a_new_candidate_with_keys_and_lent_stake_is_elected_at_the_next_era() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let eve = pair("//Eve");
	let ferdie = pair("//Ferdie");

	// Eve bonds a deposit, registers session keys (with an ownership proof) and validates.
	let keys = chain.execute_with(|| SessionKeys::generate(&account("//Eve").encode(), None));
	let session_keys = keys.keys.clone();
	let calls = vec![
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: MIN_VALIDATOR_BOND * 2,
			payee: pallet_staking::RewardDestination::Staked,
		}),
		RuntimeCall::Session(pallet_session::Call::set_keys {
			keys: session_keys,
			proof: keys.proof.encode(),
		}),
		RuntimeCall::Staking(pallet_staking::Call::validate {
			prefs: pallet_staking::ValidatorPrefs::default(),
		}),
	];
	for call in calls {
		let xt = chain.signed(&eve, call);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	// Ferdie lends to Eve (nominates exactly one validator).
	for call in [
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: 500 * URA,
			payee: pallet_staking::RewardDestination::Staked,
		}),
		RuntimeCall::Staking(pallet_staking::Call::nominate {
			targets: vec![account("//Eve").into()],
		}),
	] {
		let xt = chain.signed(&ferdie, call);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	// Lending to two validators is refused: a lender backs one validator.
	let xt = chain.signed(
		&ferdie,
		RuntimeCall::Staking(pallet_staking::Call::nominate {
			targets: vec![account("//Eve").into(), account("//Alice//stash").into()],
		}),
	);
	assert!(chain.produce_block(vec![xt])[0].clone().unwrap().is_err());

	// Governance (sudo for now) raises the validator count to make room.
	let xt = chain.signed(
		&pair("//Alice"),
		RuntimeCall::Sudo(pallet_sudo::Call::sudo {
			call: Box::new(RuntimeCall::Staking(pallet_staking::Call::set_validator_count {
				new: 5,
			})),
		}),
	);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();

	// The session after the era change carries the new set.
	chain.run_eras_then_session(1);
	chain.execute_with(|| {
		let era = pallet_staking::ActiveEra::<Runtime>::get().unwrap().index;
		let overview = pallet_staking::ErasStakersOverview::<Runtime>::get(era, account("//Eve"))
			.expect("Eve is elected");
		assert_eq!(overview.own, MIN_VALIDATOR_BOND * 2);
		assert_eq!(overview.total, MIN_VALIDATOR_BOND * 2 + 500 * URA, "Vt = Vb + Lb");
		assert!(pallet_session::Validators::<Runtime>::get().contains(&account("//Eve")));
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 5);
	});
}

#[test]
fn votes_elect_a_candidate_with_a_small_bond_over_larger_unvoted_ones() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let eve = pair("//Eve");

	// Eve bonds only the minimum (the genesis validators bond 100,000 URA) and validates.
	let keys = chain.execute_with(|| SessionKeys::generate(&account("//Eve").encode(), None));
	for call in [
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: MIN_VALIDATOR_BOND,
			payee: pallet_staking::RewardDestination::Staked,
		}),
		RuntimeCall::Session(pallet_session::Call::set_keys {
			keys: keys.keys,
			proof: keys.proof.encode(),
		}),
		RuntimeCall::Staking(pallet_staking::Call::validate {
			prefs: pallet_staking::ValidatorPrefs::default(),
		}),
	] {
		let xt = chain.signed(&eve, call);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	// Ferdie lends to Eve; Alice votes for Eve with 1,000 URA (frozen, not transferred).
	let xt = chain.signed(
		&pair("//Ferdie"),
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: 500 * URA,
			payee: pallet_staking::RewardDestination::Staked,
		}),
	);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	let xt = chain.signed(
		&pair("//Ferdie"),
		RuntimeCall::Staking(pallet_staking::Call::nominate {
			targets: vec![account("//Eve").into()],
		}),
	);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	let xt = chain.signed(
		&pair("//Alice"),
		RuntimeCall::Dpos(pallet_dpos::Call::vote {
			candidates: vec![account("//Eve")].try_into().unwrap(),
			stake: 1_000 * URA,
		}),
	);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	chain.execute_with(|| {
		assert_eq!(pallet_dpos::CandidateVotes::<Runtime>::get(account("//Eve")), 1_000 * URA);
		assert!(pallet_dpos::Pallet::<Runtime>::last_voted_era(&account("//Alice")).is_some());
	});

	// Still 4 seats: Eve (Wt = St·Vt) displaces one of the unvoted genesis validators (Wt = Vt).
	chain.run_eras_then_session(1);
	chain.execute_with(|| {
		let validators = pallet_session::Validators::<Runtime>::get();
		assert_eq!(validators.len(), 4);
		assert!(validators.contains(&account("//Eve")), "{validators:?}");
		let era = pallet_staking::ActiveEra::<Runtime>::get().unwrap().index;
		let overview =
			pallet_staking::ErasStakersOverview::<Runtime>::get(era, account("//Eve")).unwrap();
		assert_eq!(
			overview.total,
			MIN_VALIDATOR_BOND + 500 * URA,
			"supports: own bond + lent stake"
		);
	});

	// Alice withdraws her vote: Eve's Wt falls back to Vt and the next election drops her.
	// (The era after the current one may already be planned, so look one era further.)
	let xt = chain.signed(&pair("//Alice"), RuntimeCall::Dpos(pallet_dpos::Call::unvote {}));
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	chain.run_eras_then_session(2);
	chain.execute_with(|| {
		assert!(!pallet_session::Validators::<Runtime>::get().contains(&account("//Eve")));
	});
}
