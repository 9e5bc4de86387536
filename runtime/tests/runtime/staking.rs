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

	// The election is collected in the blocks before it is due (`DposElectionLookahead`):
	// stakes changed inside that window count from the election after. Two eras on, the
	// session carries the new set.
	chain.run_eras_then_session(2);
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

	// Still 4 seats: Eve (Wt = St·Vt) displaces one of the unvoted genesis validators (Wt = Vt)
	// (at the first election collected after the vote).
	chain.run_eras_then_session(2);
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

/// An account made from a number (bulk lenders and candidates).
fn numbered(kind: u8, i: u32) -> uranus_runtime::AccountId {
	let mut raw = [kind; 32];
	raw[28..].copy_from_slice(&i.to_be_bytes());
	raw.into()
}

/// Dispatches a staking call as `who`, outside any block (bulk set-up).
fn as_signed(who: &uranus_runtime::AccountId, call: RuntimeCall) {
	use sp_runtime::traits::Dispatchable;
	call.dispatch(uranus_runtime::RuntimeOrigin::signed(who.clone())).expect("set-up call works");
}

/// 12,000 lenders (more than the old one-block election's 10,000-voter bound) and 200
/// candidates: the election is collected over several blocks, each within a quarter of the
/// block, every lender counts in `Vt`, and the supports keep the largest lenders.
#[test]
fn twelve_thousand_lenders_all_count_in_an_election_spread_over_blocks() {
	use frame_support::{dispatch::DispatchClass, traits::fungible::Mutate, weights::Weight};
	use pallet_staking::RewardDestination::Staked;
	const LENDERS: u32 = 12_000;
	const CANDIDATES: u32 = 200;
	const LENT: u128 = 10 * URA;

	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let heavy = numbered(1, 0);
	let light = numbered(2, 0);
	chain.execute_with(|| {
		// `light` has more of its own bond than any genesis validator (100,000 URA), `heavy`
		// only the minimum plus 12,000 lenders of 10 URA: 121,000 URA if all of them count,
		// 101,000 if only 10,000 did.
		let bond = |who: &uranus_runtime::AccountId, value: u128| {
			uranus_runtime::Balances::set_balance(who, value + 10 * URA);
			as_signed(
				who,
				RuntimeCall::Staking(pallet_staking::Call::bond { value, payee: Staked }),
			);
		};
		let validate = |who: &uranus_runtime::AccountId| {
			as_signed(
				who,
				RuntimeCall::Staking(pallet_staking::Call::validate {
					prefs: pallet_staking::ValidatorPrefs::default(),
				}),
			)
		};
		bond(&heavy, MIN_VALIDATOR_BOND);
		// It will be the only validator: it needs session keys.
		let keys = SessionKeys::generate(&heavy.encode(), None);
		as_signed(
			&heavy,
			RuntimeCall::Session(pallet_session::Call::set_keys {
				keys: keys.keys,
				proof: keys.proof.encode(),
			}),
		);
		validate(&heavy);
		bond(&light, 115_000 * URA);
		validate(&light);
		for i in 1..CANDIDATES {
			let c = numbered(3, i);
			bond(&c, MIN_VALIDATOR_BOND);
			validate(&c);
		}
		for i in 0..LENDERS {
			let l = numbered(4, i);
			bond(&l, LENT);
			as_signed(
				&l,
				RuntimeCall::Staking(pallet_staking::Call::nominate {
					targets: vec![heavy.clone().into()],
				}),
			);
		}
		// One seat: only the best candidate wins.
		pallet_staking::ValidatorCount::<Runtime>::put(1);
	});

	// Run until the collection is ready; every block spends at most a quarter of the block
	// on it (the mandatory weight of an idle block plus the budget).
	let budget = uranus_runtime::configs::staking::DposElectionBudget::get();
	let mandatory = |chain: &mut TestChain| {
		chain.execute_with(|| {
			*frame_system::Pallet::<Runtime>::block_weight().get(DispatchClass::Mandatory)
		})
	};
	chain.produce_block(vec![]);
	let idle = mandatory(&mut chain);
	let mut collecting = 0;
	let mut heaviest = Weight::zero();
	let session =
		|chain: &mut TestChain| chain.execute_with(pallet_session::CurrentIndex::<Runtime>::get);
	for _ in 0..60 {
		let before = session(&mut chain);
		chain.produce_block(vec![]);
		// A session change declares the whole block (pallet-session): not comparable.
		let rotated = session(&mut chain) != before;
		let phase = chain.execute_with(pallet_dpos::ElectionPhase::<Runtime>::get);
		let used = mandatory(&mut chain);
		if collecting > 0 || phase.is_ongoing() || matches!(phase, pallet_dpos::Phase::Ready { .. })
		{
			collecting += 1;
		}
		if (phase.is_ongoing() || matches!(phase, pallet_dpos::Phase::Ready { .. })) && !rotated {
			heaviest = heaviest.max(used);
			assert!(
				used.all_lte(idle.saturating_add(budget)),
				"a collection block weighs {used} (idle {idle}, budget {budget})"
			);
		}
		if let pallet_dpos::Phase::Ready { candidates, .. } = phase {
			let leaders = chain.execute_with(pallet_dpos::Leaders::<Runtime>::get);
			// Ours, `light` and the four genesis validators.
			assert_eq!(candidates, CANDIDATES + 5, "every candidate ranked");
			assert_eq!(leaders[0].who, heavy);
			assert_eq!(leaders[0].total, MIN_VALIDATOR_BOND + LENT * LENDERS as u128);
			break;
		}
	}
	assert!(collecting >= 2, "12,000 lenders take more than one block ({collecting})");
	println!("collection: {collecting} blocks, heaviest {heaviest} (idle {idle}, budget {budget})");

	chain.run_eras_then_session(1);
	chain.execute_with(|| {
		let era = pallet_staking::ActiveEra::<Runtime>::get().unwrap().index;
		let overview =
			pallet_staking::ErasStakersOverview::<Runtime>::get(era, &heavy).expect("elected");
		// The support keeps the own bond and the 511 largest lenders (all equal: the lowest
		// account ids); the rest count in Vt but are not exposed.
		assert_eq!(overview.own, MIN_VALIDATOR_BOND);
		assert_eq!(overview.total, MIN_VALIDATOR_BOND + 511 * LENT);
		assert_eq!(overview.nominator_count, 511);
		assert!(pallet_staking::ErasStakersOverview::<Runtime>::get(era, &light).is_none());
	});
}

/// The scale: 100,000 lenders and 10,000 candidates on the real staking pallet. Every
/// block of the collection stays within `DposElectionBudget` (a quarter of the block) by the
/// benchmarked weights, and the result equals the one-shot election. Prints the blocks each
/// pass took (`docs/benchmarks.md`); about ten seconds natively.
#[test]
fn an_election_of_100000_lenders_and_10000_candidates_stays_within_a_quarter_of_each_block() {
	use frame_support::{traits::fungible::Mutate, weights::WeightMeter};
	use pallet_staking::RewardDestination::Staked;
	const LENDERS: u32 = 100_000;
	const CANDIDATES: u32 = 10_000;

	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	chain.execute_with(|| {
		pallet_staking::MaxValidatorsCount::<Runtime>::put(CANDIDATES + 10);
		pallet_staking::MaxNominatorsCount::<Runtime>::kill();
		pallet_staking::ValidatorCount::<Runtime>::put(48);
		for i in 0..CANDIDATES {
			let c = numbered(5, i);
			let bond = MIN_VALIDATOR_BOND + u128::from(i) * URA;
			uranus_runtime::Balances::set_balance(&c, bond + 10 * URA);
			as_signed(
				&c,
				RuntimeCall::Staking(pallet_staking::Call::bond { value: bond, payee: Staked }),
			);
			as_signed(
				&c,
				RuntimeCall::Staking(pallet_staking::Call::validate {
					prefs: pallet_staking::ValidatorPrefs::default(),
				}),
			);
		}
		for i in 0..LENDERS {
			let l = numbered(6, i);
			let value = 10 * URA + u128::from(i % 97) * URA;
			uranus_runtime::Balances::set_balance(&l, value + 10 * URA);
			as_signed(
				&l,
				RuntimeCall::Staking(pallet_staking::Call::bond { value, payee: Staked }),
			);
			as_signed(
				&l,
				RuntimeCall::Staking(pallet_staking::Call::nominate {
					targets: vec![numbered(5, (i * 7_919) % CANDIDATES).into()],
				}),
			);
		}
	});

	// Drive the collection block by block with the runtime's budget, as on_initialize does.
	let budget = uranus_runtime::configs::staking::DposElectionBudget::get();
	let max_block = uranus_runtime::configs::RuntimeBlockWeights::get().max_block;
	let (blocks, passes, heaviest) = chain.execute_with(|| {
		let expected = pallet_dpos::Pallet::<Runtime>::one_shot().1;
		pallet_dpos::ElectionPhase::<Runtime>::put(pallet_dpos::Phase::Tallying { cursor: None });
		let mut blocks = 0u32;
		let mut passes: std::collections::BTreeMap<&'static str, u32> = Default::default();
		let mut heaviest = frame_support::weights::Weight::zero();
		loop {
			let pass = match pallet_dpos::ElectionPhase::<Runtime>::get() {
				pallet_dpos::Phase::Tallying { .. } => "tally",
				pallet_dpos::Phase::Ranking { .. } => "rank",
				pallet_dpos::Phase::Backing { .. } => "back",
				_ => break,
			};
			*passes.entry(pass).or_default() += 1;
			let mut meter = WeightMeter::with_limit(budget);
			meter.consume(<pallet_dpos::weights::SubstrateWeight<Runtime> as pallet_dpos::WeightInfo>::begin());
			pallet_dpos::Pallet::<Runtime>::advance(&mut meter, blocks);
			assert!(meter.consumed().all_lte(budget));
			heaviest = heaviest.max(meter.consumed());
			blocks += 1;
			assert!(blocks < 1_000);
		}
		let supports = <pallet_dpos::Pallet<Runtime> as frame_election_provider_support::ElectionProvider>::elect(0)
			.expect("ready");
		let got: Vec<_> =
			supports.into_iter().map(|(w, s)| (w, s.total, s.voters.into_inner())).collect();
		assert_eq!(got, expected, "the multi-block result equals the one-shot election");
		(blocks, passes, heaviest)
	});
	println!(
		"100,000 lenders, 10,000 candidates: {blocks} blocks ({passes:?}); heaviest block {:.1} % \
		 of the block's weight (budget {:.1} %)",
		heaviest.ref_time() as f64 * 100.0 / max_block.ref_time() as f64,
		budget.ref_time() as f64 * 100.0 / max_block.ref_time() as f64,
	);
}
