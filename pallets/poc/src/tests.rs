//! Unit and property tests of the PoC formulas, hooks, calls and scheduler.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use proptest::prelude::*;
use sp_runtime::DispatchError;

/// 2 cores × 2 GHz, 4 GiB, 100 GiB, 100 MB/s: gradients 20 + 40 + 50 + 100 = 210 at σ = 1.
fn standard() -> ContainerCapacity {
	cap(2, 2_000, 4, 100, 100_000_000)
}

fn total(id: ContainerId) -> u128 {
	Poc::score_view(id).expect("known container").total
}

fn online(id: ContainerId, owner: AccountId, c: ContainerCapacity) {
	assert_ok!(<Poc as ContributionHooks<AccountId>>::container_online(id, &owner, c, true));
}

// ---- formulas -------------------------------------------------------------------------------

#[test]
fn gradient_points_take_the_highest_step_reached() {
	let g = &test_gradients()[0].1;
	assert_eq!(scoring::gradient_points(g, 0), 0);
	assert_eq!(scoring::gradient_points(g, 999), 0);
	assert_eq!(scoring::gradient_points(g, 1_000), 10);
	assert_eq!(scoring::gradient_points(g, 1_999), 10);
	assert_eq!(scoring::gradient_points(g, 2_000), 20);
	assert_eq!(scoring::gradient_points(g, u64::MAX), 80);
}

#[test]
fn cpu_is_scored_by_frequency_times_cores() {
	// 2 cores × 2,000 MHz = 4,000 MHz·cores; 0.5 core × 3,000 MHz = 1,500.
	assert_eq!(standard().measure(Resource::Cpu), 4_000);
	assert_eq!(cap(0, 3_000, 0, 0, 0).measure(Resource::Cpu), 0);
	let half = ContainerCapacity {
		spec: ResourceSpec { cpu_millicores: 500, ..Default::default() },
		cpu_mhz: 3_000,
	};
	assert_eq!(half.measure(Resource::Cpu), 1_500);
}

#[test]
fn basic_contribution_is_gradient_times_sigma() {
	let g = test_gradients();
	let refs = [&g[0].1[..], &g[1].1[..], &g[2].1[..], &g[3].1[..]];
	let one = [SIGMA_ONE; 4];
	assert_eq!(scoring::basic_contribution(&standard(), &refs, &one), 210);
	// σ_cpu = 2.0, σ_bandwidth = 0.5: 20·2 + 40 + 50 + 100·0.5 = 180.
	let s = [2 * SIGMA_ONE, SIGMA_ONE, SIGMA_ONE, SIGMA_ONE / 2];
	assert_eq!(scoring::basic_contribution(&standard(), &refs, &s), 180);
}

#[test]
fn halving_is_exact_at_each_multiple_of_t() {
	let s = Score { basic: 1_000, service: 501, chain: 7, updated: 999u64 };
	// Block 999 → 1000 crosses one multiple of T = 1000.
	let d = scoring::decay(s, 1_000, 1_000);
	assert_eq!((d.basic, d.service, d.chain, d.updated), (500, 250, 3, 1_000));
	// No boundary between 1000 and 1999.
	assert_eq!(scoring::decay(d, 1_999, 1_000).total(), 753);
	// Three boundaries: ÷ 8.
	assert_eq!(scoring::decay(s, 3_500, 1_000).basic, 125);
	assert_eq!(scoring::halve(u128::MAX, 200), 0);
}

#[test]
fn sigma_steps_toward_the_target_without_overshooting() {
	let s = Sigma { value: SIGMA_ONE, min: SIGMA_ONE / 10, max: 10 * SIGMA_ONE, max_step: 50_000 };
	assert_eq!(coefficients::step(&s, 2 * SIGMA_ONE), 1_050_000);
	assert_eq!(coefficients::step(&s, 1_020_000), 1_020_000);
	assert_eq!(coefficients::step(&s, 0), 950_000);
	// λ̂ = 4 units/block, W = 50, supply 2,000: ρ = 0.1 → 100,000 ppm.
	assert_eq!(coefficients::lambda_micro(400, 100), 4_000_000);
	assert_eq!(coefficients::target(4_000_000, 50, 2_000, &s), 100_000);
	// Clamped to the bounds; no supply with demand → max.
	assert_eq!(coefficients::target(1, 50, 2_000, &s), SIGMA_ONE / 10);
	assert_eq!(coefficients::target(1, 50, 0, &s), 10 * SIGMA_ONE);
}

// ---- hooks ---------------------------------------------------------------------------------

#[test]
fn a_heartbeat_accrues_once_per_period() {
	execute(|| {
		online(1, 7, standard());
		assert_eq!(total(1), 210);
		run_to(9);
		online(1, 7, standard());
		assert_eq!(total(1), 210, "same period: nothing more");
		run_to(10);
		online(1, 7, standard());
		assert_eq!(total(1), 420);
		// Missed periods accrue nothing: the next heartbeat adds one period only.
		run_to(55);
		online(1, 7, standard());
		assert_eq!(total(1), 630);
		assert!(poc_events().contains(&Event::Accrued {
			id: 1,
			basic: 210,
			chain: 0,
			total: 630,
			tier: 2
		}));
	});
}

#[test]
fn voters_earn_chain_contribution() {
	execute(|| {
		set_voted(7, true);
		online(1, 7, standard());
		let v = Poc::score_view(1).unwrap();
		assert_eq!((v.basic, v.chain, v.total), (210, 20, 230));
	});
}

#[test]
fn scores_halve_lazily_every_t_blocks() {
	execute(|| {
		online(1, 7, standard());
		run_to(999);
		assert_eq!(total(1), 210);
		run_to(1_000);
		assert_eq!(total(1), 105);
		run_to(3_000);
		assert_eq!(total(1), 26); // 210 >> 3
	});
}

#[test]
fn lease_outcomes_change_the_service_contribution() {
	execute(|| {
		online(1, 7, standard());
		Poc::lease_outcome(1, LeaseOutcome::Completed { sla_met: true, rating: Some(5) });
		assert_eq!(Poc::score_view(1).unwrap().service, 700); // 500 + 2·100
		Poc::lease_outcome(1, LeaseOutcome::Completed { sla_met: false, rating: Some(1) });
		// +500 − 300 − 2·100 = 0 net.
		assert_eq!(Poc::score_view(1).unwrap().service, 700);
		Poc::lease_outcome(1, LeaseOutcome::Failed);
		let v = Poc::score_view(1).unwrap();
		// −1000: 700 from service, 300 from basic.
		assert_eq!((v.service, v.basic), (0, 0));
		Poc::lease_outcome(99, LeaseOutcome::Failed); // unknown: ignored
												// A later rating alone: 4 stars = +100, 2 stars = −100 (nothing left to take).
		Poc::lease_outcome(1, LeaseOutcome::Rated(4));
		assert_eq!(Poc::score_view(1).unwrap().service, 100);
		Poc::lease_outcome(1, LeaseOutcome::Rated(2));
		assert_eq!(Poc::score_view(1).unwrap().service, 0);
	});
}

#[test]
fn going_offline_leaves_scheduling_and_supply() {
	execute(|| {
		online(1, 7, standard());
		assert_eq!(Supply::<Test>::get()[0], 2_000);
		Poc::container_offline(1);
		assert_eq!(Supply::<Test>::get(), [0; 4]);
		assert_eq!(Poc::score_view(1).unwrap().tier, None);
		assert!(Poc::next_candidates(&ResourceSpec::default(), 1).is_empty());
		// Coming back the same period re-enters scheduling without a second accrual.
		online(1, 7, standard());
		assert_eq!(total(1), 210);
		assert_eq!(Poc::score_view(1).unwrap().tier, Some(2));
	});
}

#[test]
fn sigma_follows_demand_every_adjustment_period() {
	execute(|| {
		online(1, 7, standard()); // supply: 2,000 millicores
		for _ in 0..4 {
			Poc::note_demand(&ResourceSpec { cpu_millicores: 100, ..Default::default() });
		}
		run_to(100);
		// λ̂ = 400 / 100 = 4 per block; target 0.1; σ falls one step to 0.95.
		assert_eq!(Sigmas::<Test>::get(Resource::Cpu).value, 950_000);
		assert!(poc_events().contains(&Event::SigmaAdjusted {
			resource: Resource::Cpu,
			old: SIGMA_ONE,
			new: 950_000,
			lambda_micro: 4_000_000,
			supply: 2_000,
			target: 100_000,
		}));
		// No demand for the other resources: their σ fell one step too. The next accrual is
		// 20·0.95 + 40·0.95 + 50·0.95 + 100·0.95 = 19 + 38 + 47 + 95 (each floored) = 199.
		assert_eq!(Sigmas::<Test>::get(Resource::Bandwidth).value, 950_000);
		run_to(110);
		online(1, 7, standard());
		assert_eq!(Poc::score_view(1).unwrap().basic, 210 + 199);
	});
}

// ---- calls ---------------------------------------------------------------------------------

#[test]
fn admin_calls_check_origin_and_input() {
	execute(|| {
		let steps = |v: Vec<(u64, u32)>| {
			BoundedVec::try_from(
				v.into_iter()
					.map(|(threshold, points)| GradientStep { threshold, points })
					.collect::<Vec<_>>(),
			)
			.unwrap()
		};
		assert_noop!(
			Poc::set_gradient(RuntimeOrigin::signed(1), Resource::Cpu, steps(vec![(1, 1)])),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Poc::set_gradient(RuntimeOrigin::root(), Resource::Cpu, steps(vec![])),
			Error::<Test>::EmptyGradient
		);
		assert_noop!(
			Poc::set_gradient(RuntimeOrigin::root(), Resource::Cpu, steps(vec![(5, 1), (5, 2)])),
			Error::<Test>::UnsortedGradient
		);
		assert_noop!(
			Poc::set_gradient(RuntimeOrigin::root(), Resource::Cpu, steps(vec![(1, 5), (9, 2)])),
			Error::<Test>::DecreasingPoints
		);
		assert_ok!(Poc::set_gradient(RuntimeOrigin::root(), Resource::Cpu, steps(vec![(1, 7)])));
		assert_eq!(Gradients::<Test>::get(Resource::Cpu).len(), 1);

		let bad = Sigma { value: 5, min: 10, max: 20, max_step: 1 };
		assert_noop!(
			Poc::set_sigma_bounds(RuntimeOrigin::root(), Resource::Cpu, bad),
			Error::<Test>::BadSigmaBounds
		);
		let zero_step = Sigma { value: 10, min: 10, max: 20, max_step: 0 };
		assert_noop!(
			Poc::set_sigma_bounds(RuntimeOrigin::root(), Resource::Cpu, zero_step),
			Error::<Test>::BadSigmaBounds
		);
		let good = Sigma { value: 15, min: 10, max: 20, max_step: 1 };
		assert_noop!(
			Poc::set_sigma_bounds(RuntimeOrigin::signed(1), Resource::Cpu, good),
			DispatchError::BadOrigin
		);
		assert_ok!(Poc::set_sigma_bounds(RuntimeOrigin::root(), Resource::Cpu, good));

		let tiers = |v: Vec<(u128, u32)>| {
			BoundedVec::truncate_from(
				v.into_iter().map(|(min_score, weight)| Tier { min_score, weight }).collect(),
			)
		};
		assert_noop!(
			Poc::set_tiers(RuntimeOrigin::root(), tiers(vec![(5, 1), (0, 1)])),
			Error::<Test>::WrongTierCount
		);
		assert_noop!(
			Poc::set_tiers(RuntimeOrigin::root(), tiers(vec![(5, 1), (6, 1), (0, 1)])),
			Error::<Test>::BadTierThresholds
		);
		assert_noop!(
			Poc::set_tiers(RuntimeOrigin::root(), tiers(vec![(9, 1), (5, 1), (1, 1)])),
			Error::<Test>::BadTierThresholds
		);
		assert_noop!(
			Poc::set_tiers(RuntimeOrigin::root(), tiers(vec![(9, 1), (5, 0), (0, 1)])),
			Error::<Test>::ZeroTierWeight
		);
		assert_noop!(
			Poc::set_tiers(RuntimeOrigin::signed(1), tiers(vec![(9, 1), (5, 1), (0, 1)])),
			DispatchError::BadOrigin
		);
		assert_ok!(Poc::set_tiers(RuntimeOrigin::root(), tiers(vec![(9, 1), (5, 1), (0, 1)])));

		let points = ContributionPoints { completed: 1, ..Default::default() };
		assert_noop!(Poc::set_points(RuntimeOrigin::signed(1), points), DispatchError::BadOrigin);
		assert_ok!(Poc::set_points(RuntimeOrigin::root(), points));
		assert_eq!(Points::<Test>::get().completed, 1);
	});
}

#[test]
fn heartbeats_need_tiers_and_room() {
	new_test_ext().execute_with(|| {
		TierParams::<Test>::kill();
		assert_eq!(
			<Poc as ContributionHooks<AccountId>>::container_online(1, &7, standard(), true),
			Err(Error::<Test>::NoTiers.into())
		);
	});
}

// ---- scheduling ----------------------------------------------------------------------------

/// Puts containers `ids` into `tier` directly (scores chosen to match the tier).
fn in_tier(ids: impl IntoIterator<Item = ContainerId>, tier: u8) {
	let score = [20_000u128, 2_000, 10][tier as usize];
	for id in ids {
		online(id, id, standard());
		let mut r = Containers::<Test>::get(id).unwrap();
		r.score.service = score;
		Pallet::<Test>::place(id, &mut r, tier);
		Containers::<Test>::insert(id, r);
	}
}

#[test]
fn tiers_are_served_in_weighted_round_robin() {
	execute(|| {
		in_tier([1, 2], 0);
		in_tier([11, 12], 1);
		in_tier([21], 2);
		let any = ResourceSpec::default();
		let picks: Vec<_> = (0..14).map(|_| Poc::next_candidates(&any, 1)[0]).collect();
		// Round: tier 0 × 4, tier 1 × 2, tier 2 × 1; cursors rotate inside each tier.
		assert_eq!(picks, vec![1, 2, 1, 2, 11, 12, 21, 1, 2, 1, 2, 11, 12, 21]);
	});
}

#[test]
fn candidates_fit_the_spec_are_idle_and_distinct() {
	execute(|| {
		in_tier([1, 2, 3], 0);
		online(4, 4, cap(8, 3_000, 64, 1_000, 1_000_000_000)); // the only big one (tier 2)
		set_busy(2, true);
		let picks = Poc::next_candidates(&ResourceSpec::default(), 10);
		assert_eq!(picks.len(), 3);
		assert!(!picks.contains(&2));
		let big = ResourceSpec { memory_bytes: 32 * GIB, ..Default::default() };
		assert_eq!(Poc::next_candidates(&big, 3), vec![4]);
	});
}

#[test]
fn the_scheduler_examines_at_most_max_scan_containers() {
	execute(|| {
		in_tier(1..=50, 2);
		MaxScan::set(5);
		let impossible = ResourceSpec { cpu_millicores: u32::MAX, ..Default::default() };
		assert!(Poc::next_candidates(&impossible, 1).is_empty());
		// Five members examined (skipping empty tiers costs no examination).
		assert_eq!(TierCursor::<Test>::get(2), 5);
		MaxScan::set(64);
		assert!(Poc::next_candidates(&impossible, 1).is_empty());
		assert_eq!(TierCursor::<Test>::get(2), (5 + 64) % 50);
	});
}

#[test]
fn silent_containers_are_dropped_from_scheduling_lazily() {
	execute(|| {
		online(1, 7, standard());
		online(2, 7, standard());
		run_to(30); // period 3: both last heard in period 0
		online(2, 7, standard());
		let picks = Poc::next_candidates(&ResourceSpec::default(), 2);
		assert_eq!(picks, vec![2]);
		assert_eq!(Poc::score_view(1).unwrap().tier, None);
		assert!(poc_events().contains(&Event::WentOffline { id: 1 }));
	});
}

// ---- properties ----------------------------------------------------------------------------

// ---- rewards --------------------------------------------------------------------------------

/// 1 core × 1 GHz (10) + 4 GiB (40): basic 50 per period at σ = 1.
fn fifty() -> ContainerCapacity {
	cap(1, 1_000, 4, 0, 0)
}

/// 1 core × 1 GHz (10) + 1 GiB (10) + 10 GiB of disk (5): basic 25 per period.
fn twenty_five() -> ContainerCapacity {
	cap(1, 1_000, 1, 10, 0)
}

/// Ends the reward period with `amount` of era inflation, through the runtime's handler.
fn end_era(amount: Balance) {
	use frame_support::traits::{fungible::Balanced, OnUnbalanced};
	let credit = <Balances as Balanced<AccountId>>::issue(amount);
	EraRemainderToPool::<Test>::on_unbalanced(credit);
}

/// A heartbeat on unverified hardware.
fn online_unverified(id: ContainerId, owner: AccountId, c: ContainerCapacity) {
	assert_ok!(<Poc as ContributionHooks<AccountId>>::container_online(id, &owner, c, false));
}

/// Heartbeats of `(id, owner, capacity)` once per heartbeat period for `periods` periods.
fn heartbeats(containers: &[(ContainerId, AccountId, ContainerCapacity)], periods: u64) {
	for _ in 0..periods {
		for (id, owner, c) in containers {
			online(*id, *owner, *c);
		}
		run_to(System::block_number() + 10);
	}
}

fn free(who: AccountId) -> Balance {
	<Balances as frame_support::traits::fungible::Inspect<AccountId>>::balance(&who)
}

fn claim(who: AccountId) -> Balance {
	let before = free(who);
	assert_ok!(Poc::claim_rewards(RuntimeOrigin::signed(who)));
	free(who) - before
}

#[test]
fn rewards_follow_score_times_online_time() {
	execute(|| {
		// Same online time, scores 2:1 at every heartbeat.
		heartbeats(&[(1, 7, fifty()), (2, 8, twenty_five())], 5);
		// Score-blocks: Σ_{k=1..5} 50k × 10 = 7,500 and half that.
		assert_eq!(Shares::<Test>::get(7).unwrap().score_blocks, 7_500);
		assert_eq!(Shares::<Test>::get(8).unwrap().score_blocks, 3_750);
		end_era(3_000_000);
		assert_eq!(Poc::pending_rewards(&7).claimable, 2_000_000);
		assert_eq!(Poc::pending_rewards(&8).claimable, 1_000_000);
		assert_eq!(claim(7), 2_000_000);
		assert_eq!(claim(8), 1_000_000);
		assert!(Closed::<Test>::iter().next().is_none(), "the book closes with its last share");
	});
}

#[test]
fn an_offline_period_earns_nothing() {
	execute(|| {
		// Both online in era 0; only provider 7 in era 1.
		heartbeats(&[(1, 7, fifty()), (2, 8, fifty())], 3);
		end_era(1_000_000);
		heartbeats(&[(1, 7, fifty())], 3);
		end_era(1_000_000);
		assert_eq!(claim(8), 500_000, "half of era 0, nothing of era 1");
		assert_eq!(claim(7), 500_000 + 1_000_000);
		assert_noop!(Poc::claim_rewards(RuntimeOrigin::signed(8)), Error::<Test>::NothingToClaim);
	});
}

#[test]
fn halving_applies_to_the_rewarded_score() {
	execute(|| {
		// Blocks are set directly: no σ adjustment runs in between (σ stays 1).
		System::set_block_number(981);
		online(1, 7, fifty()); // period 98: score 50
		System::set_block_number(991);
		online(1, 7, fifty()); // period 99: score 100
		System::set_block_number(1_001);
		online(1, 7, fifty()); // period 100, after the halving at 1,000: 100 / 2 + 50 = 100
		System::set_block_number(1_011);
		online(1, 7, fifty()); // 150
		assert_eq!(total(1), 150);
		assert_eq!(Shares::<Test>::get(7).unwrap().score_blocks, (50 + 100 + 100 + 150) * 10);
	});
}

#[test]
fn unverified_hardware_earns_the_configured_share_of_basic_contribution() {
	execute(|| {
		// Default: nothing for the basic contribution of unverified hardware.
		heartbeats(&[(1, 7, fifty())], 2);
		online_unverified(2, 8, fifty());
		run_to(System::block_number() + 10);
		online_unverified(2, 8, fifty());
		assert!(Shares::<Test>::get(8).is_none());
		end_era(900);
		assert_noop!(Poc::claim_rewards(RuntimeOrigin::signed(8)), Error::<Test>::NothingToClaim);
		assert_eq!(claim(7), 900);

		// Governance lets unverified hardware earn half its basic contribution.
		let params = RewardParams {
			unverified_basic: sp_runtime::Perbill::from_percent(50),
			..Default::default()
		};
		assert_noop!(
			Poc::set_reward_params(RuntimeOrigin::signed(7), params),
			DispatchError::BadOrigin
		);
		assert_ok!(Poc::set_reward_params(RuntimeOrigin::root(), params));
		run_to(System::block_number() + 10);
		online(1, 7, fifty()); // 150 (verified)
		online_unverified(2, 8, fifty()); // 150, rewarded as 75
		end_era(900);
		assert_eq!(claim(7), 600);
		assert_eq!(claim(8), 300);

		// Service contribution counts in full on unverified hardware.
		Poc::do_outcome(2, LeaseOutcome::Completed { sla_met: true, rating: None });
		run_to(System::block_number() + 10);
		let points = Points::<Test>::get().completed as u128;
		online_unverified(2, 8, fifty()); // basic 200 → 100, service 500
		assert_eq!(Shares::<Test>::get(8).unwrap().score_blocks, (100 + points) * 10);
	});
}

#[test]
fn fees_join_the_open_pool_and_an_empty_period_carries_everything() {
	execute(|| {
		assert_ok!(Poc::fund(&FEE_PAYER, 1_000));
		end_era(500); // nobody earned: 1,500 carried
		assert_eq!(Open::<Test>::get().pool, 1_500);
		assert!(Closed::<Test>::iter().next().is_none());
		heartbeats(&[(1, 7, fifty())], 1);
		end_era(0);
		assert_eq!(claim(7), 1_500);
		assert!(poc_events().contains(&Event::PoolFunded { amount: 1_000 }));
		assert!(poc_events().iter().any(|e| matches!(
			e,
			Event::PeriodClosed { period: 0, pool: 1_500, score_blocks: 0, carried: 1_500 }
		)));
	});
}

#[test]
fn rounding_dust_goes_to_the_next_period_when_the_last_share_settles() {
	execute(|| {
		heartbeats(&[(1, 7, fifty()), (2, 8, fifty()), (3, 9, fifty())], 1);
		end_era(1_000); // three equal shares: 333 each, 1 of dust
		assert_eq!(claim(7), 333);
		assert_eq!(claim(8), 333);
		assert_eq!(Open::<Test>::get().pool, 0, "dust waits for the last share");
		assert_eq!(claim(9), 333);
		assert_eq!(Open::<Test>::get().pool, 1);
		assert!(Closed::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_share_of_an_ended_period_is_credited_at_the_next_heartbeat_and_never_expires() {
	execute(|| {
		heartbeats(&[(1, 7, fifty())], 1);
		end_era(700);
		// Credited, not paid, at the next heartbeat: the provider claims whenever it likes.
		online(1, 7, fifty());
		assert_eq!(Owed::<Test>::get(7), 700);
		assert!(poc_events().contains(&Event::RewardCredited { who: 7, period: 0, amount: 700 }));
		for _ in 0..50 {
			end_era(0);
		}
		assert_eq!(Poc::pending_rewards(&7).claimable, 700);
		assert_eq!(claim(7), 700);
		assert!(poc_events().contains(&Event::RewardsClaimed { who: 7, amount: 700 }));
	});
}

#[test]
fn the_pot_always_covers_what_it_owes() {
	execute(|| {
		for era in 0..6u64 {
			heartbeats(&[(1, 7, fifty()), (2, 8, twenty_five()), (3, 9, standard())], era % 3 + 1);
			assert_ok!(Poc::fund(&FEE_PAYER, 1_234));
			end_era(10_007 * era as u128);
			if era % 2 == 0 {
				let _ = Poc::claim_rewards(RuntimeOrigin::signed(8));
			}
			Poc::do_try_state().expect("books balance");
		}
		let pot = free(Poc::pot());
		assert!(pot >= Poc::pot_liabilities());
	});
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(200))]

	/// Halving after k·T blocks divides by 2^k (exact integer shift: the rounding is the floor).
	#[test]
	fn halving_after_k_periods_divides_by_two_to_the_k(
		value in any::<u128>(),
		start in 0u64..1_000_000,
		k in 0u32..140,
		t in 1u64..10_000,
	) {
		let s = Score { basic: value, service: 0, chain: 0, updated: start };
		let d = scoring::decay(s, start + k as u64 * t, t);
		let expected = if k >= 128 { 0 } else { value >> k };
		prop_assert_eq!(d.basic, expected);
		// Within rounding of value / 2^k.
		if k < 128 {
			let exact = value as f64 / 2f64.powi(k as i32);
			prop_assert!((d.basic as f64 - exact).abs() <= 1.0 + exact * 1e-12);
		}
	}

	/// No overflow or panic for maximal inputs anywhere in the formulas.
	#[test]
	fn formulas_never_overflow(
		measure in any::<u64>(),
		mhz in any::<u32>(),
		millicores in any::<u32>(),
		points in any::<u32>(),
		sigma in any::<u64>(),
		units in any::<u128>(),
		blocks in any::<u32>(),
		hold in any::<u32>(),
		supply in any::<u128>(),
	) {
		let table = [GradientStep { threshold: 0, points }];
		let c = ContainerCapacity {
			spec: ResourceSpec {
				cpu_millicores: millicores,
				memory_bytes: measure,
				storage_bytes: measure,
				bandwidth_bps: measure,
			},
			cpu_mhz: mhz,
		};
		let b = scoring::basic_contribution(&c, &[&table, &table, &table, &table], &[sigma; 4]);
		prop_assert!(b <= 4 * (u32::MAX as u128) * (u64::MAX as u128) / SIGMA_ONE as u128);
		let l = coefficients::lambda_micro(units, blocks);
		let s = Sigma { value: sigma, min: 0, max: u64::MAX, max_step: sigma.max(1) };
		let t = coefficients::target(l, hold, supply, &s);
		let _ = coefficients::step(&s, t);
		let mut score = Score { basic: u128::MAX, service: u128::MAX, chain: u128::MAX, updated: 0u32 };
		prop_assert_eq!(score.total(), u128::MAX);
		scoring::penalise(&mut score, u128::MAX);
		score = scoring::decay(score, u32::MAX, 1);
		prop_assert_eq!(score.basic, 0);
	}

	/// Every non-empty tier is served within Σ weights picks, from any round-robin state.
	#[test]
	fn every_tier_is_served_within_the_sum_of_weights(
		sizes in proptest::collection::vec(0u64..4, 3),
		weights in proptest::collection::vec(1u32..5, 3),
		start_tier in 0u8..3,
		start_served in 0u32..5,
		warmup in 0usize..20,
	) {
		new_test_ext().execute_with(|| {
			let tiers: Vec<Tier> = [1_000_000u128, 1_000, 0]
				.iter()
				.zip(weights.iter())
				.map(|(m, w)| Tier { min_score: *m, weight: *w })
				.collect();
			TierParams::<Test>::put(BoundedVec::truncate_from(tiers));
			let mut next = 1;
			let mut tier_of = std::collections::BTreeMap::new();
			for (t, n) in sizes.iter().enumerate() {
				let ids: Vec<_> = (next..next + n).collect();
				next += n;
				for id in &ids { tier_of.insert(*id, t as u8); }
				in_tier(ids, t as u8);
			}
			Round::<Test>::put((start_tier, start_served));
			let any = ResourceSpec::default();
			for _ in 0..warmup { let _ = Poc::next_candidates(&any, 1); }
			let bound: u32 = weights.iter().sum();
			let mut seen = std::collections::BTreeSet::new();
			for _ in 0..bound {
				if let Some(id) = Poc::next_candidates(&any, 1).first() {
					seen.insert(tier_of[id]);
				}
			}
			for (t, n) in sizes.iter().enumerate() {
				assert_eq!(seen.contains(&(t as u8)), *n > 0, "tier {t} served iff non-empty");
			}
		});
	}

	/// σ converges toward λ·W/supply on a Poisson demand stream, each step bounded.
	#[test]
	fn sigma_converges_on_poisson_demand(
		lambda in 1.0f64..200.0,
		supply in 1_000u128..100_000,
		seed in any::<u64>(),
	) {
		use rand::{rngs::SmallRng, SeedableRng};
		use rand_distr::{Distribution, Poisson};
		let mut rng = SmallRng::seed_from_u64(seed);
		let poisson = Poisson::new(lambda).unwrap();
		let (hold, window) = (50u32, 600u32);
		let mut s = Sigma { value: SIGMA_ONE, min: SIGMA_ONE / 100, max: 100 * SIGMA_ONE, max_step: SIGMA_ONE / 20 };
		let ideal = (lambda * hold as f64 / supply as f64 * 1e6).clamp(s.min as f64, s.max as f64);
		let mut last_gap = f64::MAX;
		for period in 0..400 {
			let units: u128 = (0..window).map(|_| poisson.sample(&mut rng) as u128).sum();
			let t = coefficients::target(coefficients::lambda_micro(units, window), hold, supply, &s);
			let next = coefficients::step(&s, t);
			prop_assert!(next.abs_diff(s.value) <= s.max_step, "step bounded");
			prop_assert!(s.min <= next && next <= s.max, "within bounds");
			s.value = next;
			let gap = (s.value as f64 - ideal).abs();
			if period < 10 { last_gap = gap; }
			let _ = last_gap;
		}
		// The MLE over a window of 600 blocks has relative error ~ 1/sqrt(600·λ) (< 5%).
		let tolerance = ideal * 0.1 + s.max_step as f64;
		prop_assert!(
			(s.value as f64 - ideal).abs() <= tolerance,
			"σ {} far from λW/S {}", s.value, ideal
		);
	}
}
