//! Where new tokens and fees go, over several eras of real blocks: era inflation (stakers'
//! share paid by `payout_stakers` by exposure after commission, the rest to the PoC pool), PoC
//! rewards by score × online time (verified hardware only by default), protocol fees split
//! between the PoC pool and the treasury.

use crate::chain::*;
use frame_support::traits::fungible::Inspect;
use sp_runtime::Perbill;
use uranus_runtime::{
	configs::staking::{UranusEraPayout, MIN_VALIDATOR_BOND},
	currency::URA,
	AccountId, Balances, Poc, Runtime, RuntimeCall, RuntimeEvent,
};

const GIB: u64 = 1 << 30;

fn events(chain: &mut TestChain) -> Vec<RuntimeEvent> {
	chain.execute_with(|| {
		frame_system::Pallet::<Runtime>::events().into_iter().map(|r| r.event).collect()
	})
}

fn total(chain: &mut TestChain, who: &AccountId) -> u128 {
	chain.execute_with(|| <Balances as Inspect<AccountId>>::total_balance(who))
}

fn active_era(chain: &mut TestChain) -> u32 {
	chain.execute_with(|| pallet_staking::ActiveEra::<Runtime>::get().map(|e| e.index).unwrap_or(0))
}

fn sudo(chain: &mut TestChain, call: RuntimeCall) {
	ok(chain, "//Alice", RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) }));
}

/// Produces blocks until the active era changes; returns the events of the block that ended
/// the era (staking's `EraPaid`, PoC's `PeriodClosed`) together with the total issuance before
/// it, the era's start and its end as staking sees it (the last timestamp before that block:
/// the era ends in `on_initialize`, before the block's timestamp is set).
fn end_era(chain: &mut TestChain) -> (Vec<RuntimeEvent>, u128, u64, u64) {
	let era = active_era(chain);
	let started =
		chain.execute_with(|| pallet_staking::ActiveEra::<Runtime>::get().unwrap().start.unwrap());
	for _ in 0..10_000 {
		let issuance = chain.execute_with(Balances::total_issuance);
		let now = chain.execute_with(pallet_timestamp::Now::<Runtime>::get);
		chain.produce_block(vec![]);
		if active_era(chain) > era {
			return (events(chain), issuance, started, now);
		}
	}
	panic!("era {era} did not end");
}

#[test]
fn era_inflation_pays_stakers_by_exposure_after_commission_and_the_rest_funds_poc() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let alice = account("//Alice//stash");
	let ferdie = account("//Ferdie");
	let lent = 400 * URA;

	// Alice validates with a 10 % commission; Ferdie lends to her, paid to his free balance.
	let commission = Perbill::from_percent(10);
	ok(
		&mut chain,
		"//Alice//stash",
		RuntimeCall::Staking(pallet_staking::Call::validate {
			prefs: pallet_staking::ValidatorPrefs { commission, blocked: false },
		}),
	);
	ok(
		&mut chain,
		"//Ferdie",
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: lent,
			payee: pallet_staking::RewardDestination::Stash,
		}),
	);
	ok(
		&mut chain,
		"//Ferdie",
		RuntimeCall::Staking(pallet_staking::Call::nominate {
			targets: vec![alice.clone().into()],
		}),
	);

	// Two era changes later Ferdie's stake backs Alice in the active era.
	let first = active_era(&mut chain);
	chain.run_to_active_era(first + 2);
	let era = active_era(&mut chain);
	let exposure = chain.execute_with(|| {
		pallet_staking::ErasStakersOverview::<Runtime>::get(era, &alice).expect("Alice elected")
	});
	assert_eq!(exposure.total, exposure.own + lent, "Vt = Vb + Lb");
	assert!(exposure.own >= MIN_VALIDATOR_BOND);
	let pot = Poc::pot();
	let pot_before = total(&mut chain, &pot);

	// The era ends: its inflation is computed from issuance and duration.
	let (ended, issuance, started, now) = end_era(&mut chain);
	let (validator_payout, remainder) = ended
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Staking(pallet_staking::Event::EraPaid {
				era_index,
				validator_payout,
				remainder,
			}) if *era_index == era => Some((*validator_payout, *remainder)),
			_ => None,
		})
		.expect("EraPaid");
	assert_eq!(
		(validator_payout, remainder),
		<UranusEraPayout as sp_staking::EraPayout<u128>>::era_payout(0, issuance, now - started)
	);
	assert!(validator_payout > 0 && remainder > 0);
	assert!((remainder * 4).abs_diff(validator_payout) <= 4, "stakers 80 %, PoC 20 % (rounding)");
	// Only the remainder is minted at the era's end (stakers' share at payout): it is in
	// the PoC pot, and it closed PoC's reward period.
	let issuance_after = chain.execute_with(Balances::total_issuance);
	assert_eq!(issuance_after, issuance + remainder);
	assert_eq!(total(&mut chain, &pot), pot_before + remainder);
	assert!(ended.iter().any(|e| matches!(
		e,
		RuntimeEvent::Poc(pallet_poc::Event::PeriodClosed { pool, .. }) if *pool >= remainder
	)));

	// Alice authored every block of the era (dev has one validator): all its points.
	let points = chain.execute_with(|| pallet_staking::ErasRewardPoints::<Runtime>::get(era));
	assert_eq!(points.individual.get(&alice), Some(&points.total));
	assert!(points.total > 0, "era points from authoring");

	// Anyone pays the era out, as Apps' Staking → Payouts does.
	let (alice_before, ferdie_before) = (total(&mut chain, &alice), total(&mut chain, &ferdie));
	ok(
		&mut chain,
		"//Bob",
		RuntimeCall::Staking(pallet_staking::Call::payout_stakers {
			validator_stash: alice.clone(),
			era,
		}),
	);
	let rewarded: Vec<(AccountId, u128)> = events(&mut chain)
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Staking(pallet_staking::Event::Rewarded { stash, amount, .. }) => {
				Some((stash, amount))
			},
			_ => None,
		})
		.collect();
	let paid_to =
		|who: &AccountId| rewarded.iter().filter(|(s, _)| s == who).map(|(_, a)| *a).sum::<u128>();
	let (to_alice, to_ferdie) = (paid_to(&alice), paid_to(&ferdie));
	assert_eq!(total(&mut chain, &alice) - alice_before, to_alice);
	assert_eq!(total(&mut chain, &ferdie) - ferdie_before, to_ferdie);

	// Σ payouts = the era's staker payout (within rounding).
	let paid = to_alice + to_ferdie;
	// Issuance grew by exactly the era's inflation as it was paid: the remainder at the era's
	// end, the stakers' share at payout (less the payout transaction's fee, which is burnt).
	let payout_fee: u128 = events(&mut chain)
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, tip, .. },
			) => Some(actual_fee + tip),
			_ => None,
		})
		.sum();
	assert_eq!(
		chain.execute_with(Balances::total_issuance),
		issuance + remainder + paid - payout_fee,
		"issuance: + remainder + staker payouts − the burnt fee"
	);
	let tolerance = validator_payout / 1_000_000_000 + 2;
	assert!(
		paid <= validator_payout && validator_payout - paid <= tolerance,
		"{paid} vs {validator_payout}"
	);
	// The lender's share is lent / Vt of what is left after the commission.
	let after_commission = validator_payout - commission * validator_payout;
	let expected_ferdie = Perbill::from_rational(lent, exposure.total) * after_commission;
	assert!(to_ferdie.abs_diff(expected_ferdie) <= tolerance, "{to_ferdie} vs {expected_ferdie}");
	let expected_alice = commission * validator_payout
		+ Perbill::from_rational(exposure.own, exposure.total) * after_commission;
	assert!(to_alice.abs_diff(expected_alice) <= tolerance, "{to_alice} vs {expected_alice}");
	// A second payout of the same era is refused.
	let again = chain.signed(
		&pair("//Bob"),
		RuntimeCall::Staking(pallet_staking::Call::payout_stakers { validator_stash: alice, era }),
	);
	assert!(chain.produce_block(vec![again])[0].clone().unwrap().is_err());
}

/// `signer` registers as a provider with one 8-core 3 GHz 16 GiB machine (its containers
/// come from [`add_containers`]).
fn provider(chain: &mut TestChain, signer: &str) {
	register_provider_with_machine(
		chain,
		signer,
		profile(8, 3_000, 16 * GIB, 200 * GIB, 100_000_000),
	);
}

fn container_spec() -> pallet_poc::ResourceSpec {
	pallet_poc::ResourceSpec {
		cpu_millicores: 2_000,
		memory_bytes: 4 * GIB,
		storage_bytes: 50 * GIB,
		bandwidth_bps: 25_000_000,
	}
}

/// The calls adding `n` containers to `machine` (one batch).
fn add_containers(machine: u64, n: u32) -> RuntimeCall {
	let calls = (0..n)
		.map(|_| {
			RuntimeCall::Registry(pallet_registry::Call::add_container {
				machine,
				spec: container_spec(),
			})
		})
		.collect();
	RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
}

/// Heartbeats of `(signer, machine)` in one block.
fn heartbeats(chain: &mut TestChain, machines: &[(&str, u64)]) {
	let xts = machines
		.iter()
		.map(|(signer, id)| {
			chain.signed(
				&pair(signer),
				RuntimeCall::Registry(pallet_registry::Call::heartbeat { id: *id }),
			)
		})
		.collect();
	for r in chain.produce_block(xts) {
		r.unwrap().unwrap();
	}
}

/// What closed periods owe `who` beyond what it was credited before.
fn claimable(chain: &mut TestChain, who: &AccountId) -> u128 {
	chain.execute_with(|| Poc::pending_rewards(who).claimable)
}

#[test]
fn poc_rewards_follow_score_and_online_time_and_unverified_hardware_earns_its_fraction() {
	let mut chain = TestChain::from_preset("dev");
	// No worker answers hardware challenges here: selections are paused (in the first block,
	// keeping the block numbers below) so that the scores follow online time alone (a failed
	// challenge records a failed service).
	let pause = RuntimeCall::Attest(pallet_attest::Call::set_paused { paused: true });
	let pause = chain.signed(
		&pair("//Alice"),
		RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(pause) }),
	);
	chain.produce_block(vec![pause])[0].clone().unwrap().unwrap();
	let (ferdie, eve, dave) = (account("//Ferdie"), account("//Eve"), account("//Dave"));
	// Ferdie: two containers, Eve: one (same capacity): scores 2:1. Dave: one, unverified.
	provider(&mut chain, "//Ferdie");
	provider(&mut chain, "//Eve");
	provider(&mut chain, "//Dave");
	for machine in [0, 1] {
		sudo(
			&mut chain,
			RuntimeCall::Registry(pallet_registry::Call::set_hardware_verified {
				id: machine,
				verified: true,
			}),
		);
	}
	let machines = [("//Ferdie", 0u64), ("//Eve", 1), ("//Dave", 2)];
	// All containers appear in the same block, so their scores stay in step.
	let xts = vec![
		chain.signed(&pair("//Ferdie"), add_containers(0, 2)),
		chain.signed(&pair("//Eve"), add_containers(1, 1)),
		chain.signed(&pair("//Dave"), add_containers(2, 1)),
	];
	for r in chain.produce_block(xts) {
		r.unwrap().unwrap();
	}
	let period = <uranus_runtime::configs::poc::PocHeartbeatPeriod as frame_support::traits::Get<
		u32,
	>>::get();

	// Let the era of the setup end, then one whole era of heartbeats every period.
	let _ = end_era(&mut chain);
	let online_for_an_era = |chain: &mut TestChain, machines: &[(&str, u64)]| {
		let era = active_era(chain);
		loop {
			heartbeats(chain, machines);
			chain.produce_blocks(period - 1);
			if active_era(chain) > era {
				return;
			}
		}
	};
	let before = [&ferdie, &eve, &dave].map(|w| claimable(&mut chain, w));
	online_for_an_era(&mut chain, &machines);
	let earned = [&ferdie, &eve, &dave].map(|w| claimable(&mut chain, w));
	let era_reward = |i: usize| earned[i] - before[i];
	assert!(era_reward(1) > 0, "Eve earned");
	// 2:1 within rounding (one planck per settlement).
	assert!(
		era_reward(0).abs_diff(2 * era_reward(1)) <= 2,
		"{} vs 2 × {}",
		era_reward(0),
		era_reward(1)
	);
	assert_eq!(era_reward(2), 0, "unverified hardware: basic contribution earns 0 by default");

	// Eve goes offline for an era: she earns nothing of it, Ferdie keeps earning.
	let before = [&ferdie, &eve].map(|w| claimable(&mut chain, w));
	online_for_an_era(&mut chain, &[("//Ferdie", 0), ("//Dave", 2)]);
	let earned = [&ferdie, &eve].map(|w| claimable(&mut chain, w));
	assert!(earned[0] > before[0]);
	assert_eq!(earned[1], before[1], "offline: nothing");

	// Governance lets unverified hardware earn half of its basic contribution.
	sudo(
		&mut chain,
		RuntimeCall::Poc(pallet_poc::Call::set_reward_params {
			params: pallet_poc::RewardParams {
				fee_share: Perbill::from_percent(50),
				unverified_basic: Perbill::from_percent(50),
			},
		}),
	);
	let dave_score = chain.execute_with(|| Poc::score_view(1_003).unwrap().total);
	let eve_score = chain.execute_with(|| Poc::score_view(1_002).unwrap().total);
	assert!(dave_score > eve_score, "Dave stayed online while Eve was away");
	heartbeats(&mut chain, &[("//Eve", 1), ("//Dave", 2)]);
	let shares = chain.execute_with(|| {
		[&eve, &dave].map(|w| pallet_poc::Shares::<Runtime>::get(w).unwrap().score_blocks)
	});
	let (eve_now, dave_now) = chain.execute_with(|| {
		(Poc::score_view(1_002).unwrap().total, Poc::score_view(1_003).unwrap().total)
	});
	assert_eq!(shares[0], eve_now * period as u128);
	assert_eq!(shares[1], dave_now / 2 * period as u128, "half of Dave's basic contribution");

	// Claiming pays what was credited; the pot keeps what it owes the others.
	let paid_before = total(&mut chain, &ferdie);
	let owed = claimable(&mut chain, &ferdie);
	ok(&mut chain, "//Ferdie", RuntimeCall::Poc(pallet_poc::Call::claim_rewards {}));
	let claimed = events(&mut chain).into_iter().find_map(|e| match e {
		RuntimeEvent::Poc(pallet_poc::Event::RewardsClaimed { who, amount }) if who == ferdie => {
			Some(amount)
		},
		_ => None,
	});
	assert_eq!(claimed, Some(owed));
	assert!(total(&mut chain, &ferdie) > paid_before);
	chain.execute_with(|| Poc::do_try_state().expect("PoC's books balance"));
}

#[test]
fn protocol_fees_are_split_between_the_poc_pool_and_the_treasury() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	offer_whole_machine(&mut chain, "//Ferdie", 100 * GIB, 10_000_000);
	let digest = [0xcc; 32];
	publish_verified_image(&mut chain, digest, 0);
	let treasury = uranus_runtime::configs::treasury::TreasuryAccount::get();
	let (treasury_before, pool_before) = (
		total(&mut chain, &treasury),
		chain.execute_with(|| pallet_poc::Open::<Runtime>::get().pool),
	);
	order_one_core(&mut chain, "//Eve", digest, &["/bin/sh", "-c", "echo hi"]);
	ok(&mut chain, "//Ferdie", RuntimeCall::Market(pallet_market::Call::ack_lease { lease: 0 }));
	let usage = pallet_market::Usage {
		cpu_micros: 20_000_000,
		memory_byte_seconds: 30 * GIB,
		net_bytes: 40 << 20,
		wall_millis: 50_000,
	};
	ok(
		&mut chain,
		"//Ferdie",
		RuntimeCall::Market(pallet_market::Call::report_metering { lease: 0, seq: 1, usage }),
	);
	let fee: u128 = events(&mut chain)
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Market(pallet_market::Event::Charged { fee, .. }) => Some(fee),
			_ => None,
		})
		.sum();
	assert!(fee > 0);
	let to_pool = Perbill::from_percent(50).mul_floor(fee);
	assert_eq!(
		chain.execute_with(|| pallet_poc::Open::<Runtime>::get().pool),
		pool_before + to_pool
	);
	assert_eq!(total(&mut chain, &treasury), treasury_before + (fee - to_pool));
	// The market pot keeps only its existential deposit.
	let market_pot = uranus_runtime::Market::pot();
	assert_eq!(
		chain.execute_with(|| Balances::free_balance(&market_pot)),
		uranus_runtime::currency::EXISTENTIAL_DEPOSIT
	);

	// The treasury spends by governance (root here; a `treasurer` referendum on a live chain).
	let bob = account("//Bob");
	let bob_before = total(&mut chain, &bob);
	sudo(
		&mut chain,
		RuntimeCall::Treasury(pallet_treasury::Call::spend_local {
			amount: fee - to_pool,
			beneficiary: bob.clone().into(),
		}),
	);
	let spend_period =
		<uranus_runtime::configs::treasury::SpendPeriod as frame_support::traits::Get<u32>>::get();
	chain.produce_blocks(spend_period + 1);
	assert_eq!(total(&mut chain, &bob), bob_before + (fee - to_pool));
}

#[test]
fn the_rewarded_score_halves_with_the_score() {
	use uranus_runtime::configs::poc::{PocHalvingPeriod, PocHeartbeatPeriod};
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let ferdie = account("//Ferdie");
	provider(&mut chain, "//Ferdie");
	sudo(
		&mut chain,
		RuntimeCall::Registry(pallet_registry::Call::set_hardware_verified {
			id: 0,
			verified: true,
		}),
	);
	ok(&mut chain, "//Ferdie", add_containers(0, 1));
	let (period, halving) = (PocHeartbeatPeriod::get(), PocHalvingPeriod::get());
	// (block, score after the heartbeat, score-blocks it added to Ferdie's share, the basic
	// contribution it accrued: σ moves with demand, so it is read from the `Accrued` event)
	let mut seen: Vec<(u32, u128, u128, u128)> = Vec::new();
	chain.produce_blocks(period);
	loop {
		let now = chain.execute_with(frame_system::Pallet::<Runtime>::block_number);
		if now > halving + 2 * period {
			break;
		}
		let before = chain.execute_with(|| {
			let open = pallet_poc::RewardPeriod::<Runtime>::get();
			pallet_poc::Shares::<Runtime>::get(&ferdie)
				.filter(|s| s.period == open)
				.map_or(0, |s| s.score_blocks)
		});
		heartbeats(&mut chain, &[("//Ferdie", 0)]);
		let (score, after) = chain.execute_with(|| {
			(
				Poc::score_view(1_000).unwrap().total,
				pallet_poc::Shares::<Runtime>::get(&ferdie).unwrap().score_blocks,
			)
		});
		assert_eq!(after - before, score * period as u128, "a period of the current score");
		let basic = events(&mut chain)
			.into_iter()
			.find_map(|e| match e {
				RuntimeEvent::Poc(pallet_poc::Event::Accrued { basic, .. }) => Some(basic),
				_ => None,
			})
			.expect("the heartbeat accrued");
		seen.push((now + 1, score, after - before, basic));
		chain.produce_blocks(period - 1);
	}
	let crossing = seen.iter().position(|(b, ..)| *b > halving).expect("crossed a halving");
	let (_, score_before, added_before, _) = seen[crossing - 1];
	let (_, score_after, added_after, basic) = seen[crossing];
	assert_eq!(score_after, score_before / 2 + basic, "the score halved, then accrued");
	assert!(added_after < added_before, "and so did the reward share it earns");
}
