//! Unit tests: every call and error, the lease lifecycle, matching rules, self-healing and the
//! money invariants (property test over random call sequences).

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use pallet_registry::ContainerState;
use sp_runtime::{DispatchError, Perbill};
use uranus_primitives::compute::{EndCause, ResourceSpec};

/// Worst case of one replica of [`spec`] over 100 s at [`caps`] plus the image fee.
const ESCROW: Balance = 200_000 + 20_000 + 2_000 + 200 + IMAGE_FEE;

/// What `who` has in escrow (order deposits not included).
fn held(who: AccountId) -> Balance {
	<Balances as InspectHold<AccountId>>::balance_on_hold(
		&RuntimeHoldReason::Market(HoldReason::Escrow),
		&who,
	)
}

fn free(who: AccountId) -> Balance {
	<Balances as Inspect<AccountId>>::balance(&who)
}

fn usage(cpu_s: u64, gib_s: u64, mib: u64, wall_s: u64) -> Usage {
	Usage {
		cpu_micros: cpu_s * 1_000_000,
		memory_byte_seconds: gib_s * GIB,
		net_bytes: mib << 20,
		wall_millis: wall_s * 1_000,
	}
}

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// The mock's [`Config::OrderDeposit`].
const ORDER_DEPOSIT: Balance = 10;

fn container_of(lease: LeaseId) -> ContainerState {
	let c = Leases::<Test>::get(lease).unwrap().container;
	pallet_registry::Containers::<Test>::get(c).unwrap().state
}

#[test]
fn orders_need_a_verified_image_a_possible_spec_and_funds() {
	new_test_ext().execute_with(|| {
		let place = |who, image, spec: ResourceSpec, replicas, blocks| {
			Market::place_order(
				RuntimeOrigin::signed(who),
				image,
				spec,
				BoundedVec::new(),
				replicas,
				blocks,
				blocks.max(1),
				caps(),
				BoundedVec::new(),
				false,
			)
		};
		assert_noop!(place(USER, [1; 32], spec(), 1, 100), Error::<Test>::UnknownImage);
		Registry::verify_image(RuntimeOrigin::root(), IMAGE, false).unwrap();
		assert_noop!(place(USER, IMAGE, spec(), 1, 100), Error::<Test>::ImageNotVerified);
		Registry::verify_image(RuntimeOrigin::root(), IMAGE, true).unwrap();
		let no_cpu = ResourceSpec { cpu_millicores: 0, ..spec() };
		assert_noop!(place(USER, IMAGE, no_cpu, 1, 100), Error::<Test>::ImpossibleSpec);
		let below_min = ResourceSpec { memory_bytes: 1, ..spec() };
		assert_noop!(place(USER, IMAGE, below_min, 1, 100), Error::<Test>::ImpossibleSpec);
		assert_noop!(place(USER, IMAGE, spec(), 0, 100), Error::<Test>::ImpossibleSpec);
		assert_noop!(place(USER, IMAGE, spec(), 9, 100), Error::<Test>::ImpossibleSpec);
		assert_noop!(place(USER, IMAGE, spec(), 1, 0), Error::<Test>::ZeroDuration);
		let too_long = |prepaid| {
			Market::place_order(
				RuntimeOrigin::signed(USER),
				IMAGE,
				spec(),
				BoundedVec::new(),
				1,
				100,
				prepaid,
				caps(),
				BoundedVec::new(),
				false,
			)
		};
		assert_noop!(too_long(0), Error::<Test>::BadPrepaid);
		assert_noop!(too_long(101), Error::<Test>::BadPrepaid);
		assert_noop!(place(3, IMAGE, spec(), 1, 100), Error::<Test>::InsufficientFunds);
		assert_noop!(
			Market::place_order(
				RuntimeOrigin::none(),
				IMAGE,
				spec(),
				BoundedVec::new(),
				1,
				100,
				100,
				caps(),
				BoundedVec::new(),
				false
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_lease_runs_is_metered_once_per_sample_and_settles_exactly() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		let issuance = <Balances as Inspect<AccountId>>::total_issuance();
		let (user0, p0, pub0) = (free(USER) + held(USER), free(P1), free(PUBLISHER));
		assert_ok!(order(1, &[], false));
		assert_eq!(held(USER), ESCROW);
		let l = Leases::<Test>::get(0).expect("lease 0 assigned at once");
		assert_eq!((l.provider, l.state, l.prices), (P1, LeaseState::Assigned, base()));
		assert_eq!(container_of(0), ContainerState::Serving(0));

		assert_noop!(Market::ack_lease(RuntimeOrigin::signed(P2), 0), Error::<Test>::NotProvider);
		assert_noop!(
			Market::report_metering(RuntimeOrigin::signed(P1), 0, 1, usage(1, 1, 1, 1)),
			Error::<Test>::WrongState
		);
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		assert_noop!(Market::ack_lease(RuntimeOrigin::signed(P1), 0), Error::<Test>::WrongState);
		assert_eq!(free(PUBLISHER), pub0 + IMAGE_FEE);

		// Eleven blocks (1 s each) pass: reports may claim up to 12 s (one of sampling slack).
		run_online_to(12);
		// 2 core-seconds, 3 GiB-seconds, 5 MiB over 4 s with 1 GiB disk at base prices.
		let first = usage(2, 3, 5, 4);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 1, first));
		let c1 = 2_000 + 300 + 50 + 4;
		assert_eq!(Leases::<Test>::get(0).unwrap().charged, c1);
		// The same report again, an older one, or counters going down: nothing charged.
		for (seq, u) in [(1, first), (0, first), (2, usage(1, 3, 5, 4))] {
			assert_noop!(
				Market::report_metering(RuntimeOrigin::signed(P1), 0, seq, u),
				Error::<Test>::StaleReport
			);
		}
		let second = usage(5, 6, 5, 10);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 7, second));
		let c2 = 5_000 + 600 + 50 + 10;
		assert_eq!(Leases::<Test>::get(0).unwrap().charged, c2);
		assert!(market_events().contains(&Event::Charged {
			lease: 0,
			seq: 7,
			amount: c2 - c1,
			fee: (c2 - c1) / 10
		}));

		let result = BoundedVec::truncate_from(b"sha256:feed".to_vec());
		assert_ok!(Market::complete_lease(
			RuntimeOrigin::signed(P1),
			0,
			8,
			usage(6, 6, 5, 11),
			0,
			result
		));
		let total = 6_000 + 600 + 50 + 11;
		let l = Leases::<Test>::get(0).unwrap();
		assert_eq!((l.state, l.charged, l.exit_code), (LeaseState::Completed, total, Some(0)));
		assert_eq!(container_of(0), ContainerState::Idle);
		// Provider + pot + publisher + refund = escrow; nothing is held any more.
		let fee_total = (c1 / 10) + ((c2 - c1) / 10) + ((total - c2) / 10);
		assert_eq!(free(P1), p0 + total - fee_total);
		assert_eq!(free(Market::pot()), 1 + fee_total, "the pot holds the existential deposit");
		assert_eq!(held(USER), 0);
		// The order's storage deposit stays held until the order is reaped.
		assert_eq!(free(USER), user0 - total - IMAGE_FEE - ORDER_DEPOSIT);
		assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);
		assert!(market_events().contains(&Event::OrderClosed { id: 0 }));
	});
}

#[test]
fn charges_never_exceed_the_replicas_worst_case() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		// σ = 2 for every resource: the lease's prices are the order's caps.
		Sigmas::set([2_000_000; 4]);
		assert_ok!(order(1, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		// 99 blocks after its assignment the lease may have used its whole worst case.
		run_online_to(100);
		let absurd = usage(1_000_000, 1_000_000, 1_000_000, 1_000_000);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 1, absurd));
		assert_eq!(Leases::<Test>::get(0).unwrap().charged, ESCROW - IMAGE_FEE);
		assert_eq!(held(USER), 0);
		Sigmas::set([1_000_000; 4]);
	});
}

#[test]
fn an_unacknowledged_lease_moves_to_another_machine() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		assert_ok!(order(1, &[], false));
		assert_eq!(Leases::<Test>::get(0).unwrap().provider, P1);
		// The only container is busy until the timeout; a second machine appears.
		provider(P2, &[], 1);
		run_to(6);
		let failed = Leases::<Test>::get(0).unwrap();
		assert_eq!(failed.state, LeaseState::Failed);
		assert!(market_events().contains(&Event::LeaseRescheduled { lease: 0, order: 0 }));
		assert_eq!(
			pallet_registry::Containers::<Test>::get(failed.container).unwrap().state,
			ContainerState::Idle
		);
		run_to(7);
		let again = Leases::<Test>::get(1).expect("replica re-matched");
		assert_eq!(again.state, LeaseState::Assigned);
		assert_eq!(Orders::<Test>::get(0).unwrap().waiting, 0);
		assert_eq!(held(USER), ESCROW);
		// PoC recorded the failure against the first container.
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::Poc(pallet_poc::Event::ServiceRecorded {
				id,
				outcome: pallet_poc::LeaseOutcome::Failed,
				..
			}) if *id == failed.container
		)));
	});
}

#[test]
fn a_burst_of_deadlines_spills_into_the_following_blocks_then_is_refused() {
	new_test_ext().execute_with(|| {
		// Two deadlines a block, spilling over at most two more blocks: six per burst.
		MaxDeadlines::set(2);
		let (m1, m2) = (provider(P1, &[], 4), provider(P2, &[], 4));
		assert_ok!(order(6, &[], false));
		let ack_by: Vec<u64> = (0..6).map(|l| Leases::<Test>::get(l).unwrap().ack_by).collect();
		assert_eq!(ack_by, vec![6, 6, 7, 7, 8, 8]);
		for block in 6..=8 {
			assert_eq!(Deadlines::<Test>::get(block).len(), 2);
		}
		// A seventh lease would time out beyond the spill: the order is refused, nothing held.
		let before = held(USER);
		assert_noop!(order(1, &[], false), Error::<Test>::TooManyDeadlines);
		assert_eq!(held(USER), before);

		// Started in one block, the leases end at 101, 101, 102, 102, 103, 103.
		for l in 0..6 {
			let who = Leases::<Test>::get(l).unwrap().provider;
			assert_ok!(Market::ack_lease(RuntimeOrigin::signed(who), l));
		}
		let ends: Vec<_> = (0..6).map(|l| Leases::<Test>::get(l).unwrap().ends_at).collect();
		assert_eq!(ends, [101, 101, 102, 102, 103, 103].map(Some).to_vec());
		// Each expires at its own block (the machines stay online until then).
		for n in (10..=100).step_by(10) {
			run_to(n);
			Registry::heartbeat(RuntimeOrigin::signed(P1), m1).unwrap();
			Registry::heartbeat(RuntimeOrigin::signed(P2), m2).unwrap();
		}
		run_to(101);
		assert_eq!(Leases::<Test>::get(1).unwrap().state, LeaseState::Expired);
		assert_eq!(Leases::<Test>::get(2).unwrap().state, LeaseState::Running);
		run_to(103);
		assert!((0..6).all(|l| Leases::<Test>::get(l).unwrap().state == LeaseState::Expired));
	});
}

#[test]
fn labels_and_spreading_limit_where_replicas_go_and_unmatched_ones_are_refunded() {
	new_test_ext().execute_with(|| {
		provider(P1, &["ssd"], 2);
		assert_ok!(order(1, &["gpu"], false));
		assert!(Leases::<Test>::get(0).is_none());
		assert_eq!(Waiting::<Test>::get().to_vec(), vec![0]);

		assert_ok!(order(2, &["ssd"], true));
		let l = Leases::<Test>::get(0).expect("one replica on P1's machine");
		assert_eq!(l.order, 1);
		assert!(Leases::<Test>::get(1).is_none(), "the second replica needs another machine");
		assert_eq!(Orders::<Test>::get(1).unwrap().waiting, 1);
		assert_eq!(held(USER), 3 * ESCROW);

		// Nobody else comes: at the match deadline the waiting replicas are refunded.
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		run_to(25);
		assert!(market_events().contains(&Event::OrderExpired {
			id: 0,
			replicas: 1,
			refund: ESCROW
		}));
		assert!(market_events().contains(&Event::OrderExpired {
			id: 1,
			replicas: 1,
			refund: ESCROW
		}));
		assert_eq!(
			held(USER),
			ESCROW - IMAGE_FEE,
			"only the running replica stays held (its image fee paid)"
		);
	});
}

#[test]
fn prices_above_the_caps_make_orders_wait() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		Sigmas::set([3_000_000, 1_000_000, 1_000_000, 1_000_000]);
		assert_ok!(order(1, &[], false));
		assert!(Leases::<Test>::get(0).is_none());
		Sigmas::set([1_500_000, 1_000_000, 1_000_000, 1_000_000]);
		run_to(2);
		let l = Leases::<Test>::get(0).expect("matched once the price is within the caps");
		assert_eq!(l.prices.cpu_core_second, 1_500);
		Sigmas::set([1_000_000; 4]);
	});
}

#[test]
fn cancelling_stops_leases_keeps_charges_and_refunds_the_rest() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		let issuance = <Balances as Inspect<AccountId>>::total_issuance();
		assert_ok!(order(2, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		run_online_to(10);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 1, usage(10, 0, 0, 10)));
		assert_noop!(
			Market::cancel_order(RuntimeOrigin::signed(P1), 0),
			Error::<Test>::NotOrderOwner
		);
		assert_noop!(
			Market::cancel_order(RuntimeOrigin::signed(USER), 9),
			Error::<Test>::UnknownOrder
		);
		assert_ok!(Market::cancel_order(RuntimeOrigin::signed(USER), 0));
		assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Cancelled);
		assert_eq!(container_of(0), ContainerState::Idle);
		assert_eq!(held(USER), 0);
		assert!(Waiting::<Test>::get().is_empty());
		assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);
	});
}

#[test]
fn a_machine_going_offline_reschedules_its_leases() {
	new_test_ext().execute_with(|| {
		let m = provider(P1, &[], 1);
		assert_ok!(order(1, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		provider(P2, &[], 1);
		Registry::heartbeat(RuntimeOrigin::signed(P2), 1).ok();
		// P1 stays silent past the heartbeat timeout; P2 keeps beating.
		for n in [10, 20, 30] {
			run_to(n);
			Registry::heartbeat(RuntimeOrigin::signed(P2), 1).unwrap();
		}
		run_to(33);
		assert!(!pallet_registry::Machines::<Test>::get(m).unwrap().online);
		assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Failed);
		run_to(34);
		assert_eq!(Leases::<Test>::get(1).expect("re-matched").provider, P2);
	});
}

#[test]
fn an_expired_lease_ends_and_refunds() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		assert_ok!(order(1, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		// The provider keeps its machine online until the lease's end.
		for n in (10..=100).step_by(10) {
			run_to(n);
			Registry::heartbeat(RuntimeOrigin::signed(P1), 0).unwrap();
		}
		run_to(101);
		assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Expired);
		assert_eq!(held(USER), 0);
		assert_eq!(container_of(0), ContainerState::Idle);
	});
}

#[test]
fn only_the_admin_sets_base_prices() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Market::set_base_prices(RuntimeOrigin::signed(USER), caps()),
			DispatchError::BadOrigin
		);
		assert_ok!(Market::set_base_prices(RuntimeOrigin::root(), caps()));
		assert_eq!(BasePrices::<Test>::get(), caps());
	});
}

/// Worst case of one replica over `s` seconds at [`caps`] (CPU, memory, network, storage).
fn worst(s: u128) -> Balance {
	(2_000 + 200 + 20 + 2) * s
}

#[test]
fn a_lease_pauses_when_its_escrow_runs_low_and_resumes_after_a_top_up() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		let issuance = <Balances as Inspect<AccountId>>::total_issuance();
		// 15 of 100 blocks prepaid: 15 s of the worst case at the caps (30 s at base prices).
		assert_ok!(order_prepaid(1, &[], false, 15));
		assert_eq!(held(USER), worst(15) + IMAGE_FEE);
		let l = Leases::<Test>::get(0).unwrap();
		assert_eq!((l.allotment, l.cap), (worst(15), worst(100)));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		// 12 s of a full core and 1 GiB at base prices: 1,100 × 12 + 12 (disk) = 13,212;
		// what is left (33,330 − 13,212) covers more than 10 s (11,110 at base prices).
		run_online_to(12);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 1, usage(12, 12, 0, 12)));
		assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Running);
		// 22 s: 24,222 charged, 9,108 left < 11,110: paused.
		run_online_to(22);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 2, usage(22, 22, 0, 22)));
		let l = Leases::<Test>::get(0).unwrap();
		assert_eq!(l.state, LeaseState::Paused);
		assert!(
			market_events().contains(&Event::LeasePaused { lease: 0, left: worst(15) - 24_222 })
		);
		// A paused lease is still metered, never beyond what was prepaid.
		run_online_to(99);
		assert_ok!(Market::report_metering(RuntimeOrigin::signed(P1), 0, 3, usage(99, 99, 0, 99)));
		assert_eq!(Leases::<Test>::get(0).unwrap().charged, worst(15));
		assert_eq!(held(USER), 0);

		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(P1), 0, 10),
			Error::<Test>::NotOrderOwner
		);
		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(USER), 7, 10),
			Error::<Test>::UnknownOrder
		);
		assert_ok!(Market::top_up(RuntimeOrigin::signed(USER), 0, 1_000));
		// Capped at the order's 100 blocks: 85 more blocks of the worst case for one replica.
		assert_eq!(held(USER), worst(85));
		let l = Leases::<Test>::get(0).unwrap();
		assert_eq!((l.state, l.allotment), (LeaseState::Running, worst(100)));
		assert!(market_events().contains(&Event::LeaseResumed { lease: 0 }));
		assert!(market_events().contains(&Event::OrderToppedUp {
			id: 0,
			blocks: 85,
			amount: worst(85)
		}));
		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(USER), 0, 1),
			Error::<Test>::FullyPrepaid
		);
		run_online_to(100);
		assert_ok!(Market::complete_lease(
			RuntimeOrigin::signed(P1),
			0,
			4,
			usage(100, 100, 0, 100),
			0,
			BoundedVec::new()
		));
		assert_eq!(held(USER), 0);
		assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);
		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(USER), 0, 1),
			Error::<Test>::FullyPrepaid
		);
	});
}

#[test]
fn a_closed_order_cannot_be_topped_up() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		assert_ok!(order_prepaid(1, &[], false, 15));
		assert_ok!(Market::cancel_order(RuntimeOrigin::signed(USER), 0));
		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(USER), 0, 10),
			Error::<Test>::OrderClosed
		);
		assert_ok!(order_prepaid(1, &[], false, 15));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 1));
		// The user spent almost everything: the top-up cannot be held.
		<Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
			&USER,
			1 + worst(1),
		);
		assert_noop!(
			Market::top_up(RuntimeOrigin::signed(USER), 1, 85),
			Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn users_rate_ended_leases_once() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		assert_ok!(order(1, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(USER), 0, 5),
			Error::<Test>::WrongState
		);
		assert_ok!(Market::complete_lease(
			RuntimeOrigin::signed(P1),
			0,
			1,
			usage(1, 1, 0, 1),
			0,
			BoundedVec::new()
		));
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(P1), 0, 5),
			Error::<Test>::NotLeaseUser
		);
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(USER), 0, 0),
			Error::<Test>::BadRating
		);
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(USER), 0, 6),
			Error::<Test>::BadRating
		);
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(USER), 9, 5),
			Error::<Test>::UnknownLease
		);
		assert_ok!(Market::rate_lease(RuntimeOrigin::signed(USER), 0, 5));
		assert_eq!(Leases::<Test>::get(0).unwrap().rating, Some(5));
		assert!(market_events().contains(&Event::LeaseRated { lease: 0, stars: 5 }));
		let container = Leases::<Test>::get(0).unwrap().container;
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::Poc(pallet_poc::Event::ServiceRecorded {
				id,
				outcome: pallet_poc::LeaseOutcome::Rated(5),
				..
			}) if *id == container
		)));
		assert_noop!(
			Market::rate_lease(RuntimeOrigin::signed(USER), 0, 4),
			Error::<Test>::AlreadyRated
		);
	});
}

#[test]
fn a_dispute_holds_the_providers_earnings_until_resolved() {
	new_test_ext().execute_with(|| {
		provider(P1, &[], 1);
		let issuance = <Balances as Inspect<AccountId>>::total_issuance();
		assert_ok!(order(2, &[], false));
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), 0));
		assert_noop!(
			Market::dispute_lease(RuntimeOrigin::signed(USER), 0, 100),
			Error::<Test>::DisputeWindowClosed
		);
		run_online_to(11);
		assert_ok!(Market::complete_lease(
			RuntimeOrigin::signed(P1),
			0,
			1,
			usage(10, 0, 0, 10),
			0,
			BoundedVec::new()
		));
		let charged = Leases::<Test>::get(0).unwrap().charged;
		assert_eq!(charged, 10_000 + 10);
		let earned = charged - charged / 10;
		assert_noop!(
			Market::dispute_lease(RuntimeOrigin::signed(P1), 0, 100),
			Error::<Test>::NotLeaseUser
		);
		assert_noop!(
			Market::dispute_lease(RuntimeOrigin::signed(USER), 0, 0),
			Error::<Test>::NothingToDispute
		);
		let p1_before = free(P1);
		// More than the provider earned: only its earnings are held.
		assert_ok!(Market::dispute_lease(RuntimeOrigin::signed(USER), 0, u128::MAX));
		assert_eq!(
			Leases::<Test>::get(0).unwrap().dispute,
			Dispute::Open { amount: earned, at: 11 }
		);
		assert_eq!(
			<Balances as InspectHold<AccountId>>::balance_on_hold(
				&RuntimeHoldReason::Market(HoldReason::Dispute),
				&P1
			),
			earned
		);
		assert_noop!(
			Market::dispute_lease(RuntimeOrigin::signed(USER), 0, 1),
			Error::<Test>::AlreadyDisputed
		);
		assert_noop!(
			Market::resolve_dispute(
				RuntimeOrigin::signed(USER),
				0,
				Perbill::one(),
				Perbill::zero()
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Market::resolve_dispute(RuntimeOrigin::root(), 9, Perbill::one(), Perbill::zero()),
			Error::<Test>::UnknownLease
		);
		let user_before = free(USER);
		// Half refunded, 10 % of the provider's 100 deposit slashed to the user.
		assert_ok!(Market::resolve_dispute(
			RuntimeOrigin::root(),
			0,
			Perbill::from_percent(50),
			Perbill::from_percent(10)
		));
		assert_eq!(free(USER), user_before + earned / 2 + 10);
		assert_eq!(free(P1), p1_before - earned / 2);
		assert_eq!(pallet_registry::Providers::<Test>::get(P1).unwrap().deposit, 90);
		assert_eq!(
			Leases::<Test>::get(0).unwrap().dispute,
			Dispute::Resolved { refunded: earned / 2, slashed: 10 }
		);
		assert!(market_events().contains(&Event::DisputeResolved {
			lease: 0,
			refunded: earned / 2,
			slashed: 10
		}));
		assert_noop!(
			Market::resolve_dispute(RuntimeOrigin::root(), 0, Perbill::one(), Perbill::zero()),
			Error::<Test>::NoOpenDispute
		);
		assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);

		// The second replica runs on the freed container; past the window it cannot be
		// disputed.
		run_online_to(12);
		let second = *Orders::<Test>::get(0).unwrap().leases.last().unwrap();
		assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), second));
		assert_ok!(Market::complete_lease(
			RuntimeOrigin::signed(P1),
			second,
			1,
			usage(1, 0, 0, 1),
			0,
			BoundedVec::new()
		));
		run_online_to(12 + 51);
		assert_noop!(
			Market::dispute_lease(RuntimeOrigin::signed(USER), second, 1),
			Error::<Test>::DisputeWindowClosed
		);
	});
}

mod invariants {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Place(u32, bool, u64),
		TopUp(u64, u64),
		Rate(u64, u8),
		Dispute(u64, u128),
		Resolve(u64, u32, u32),
		Ack(u64),
		Report(u64, u64, u64),
		Complete(u64, u64),
		Fail(u64, EndCause),
		Cancel(u64),
		Lapse(u64),
		Reap(u64),
		Advance(u64),
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(1u32..4, any::<bool>(), prop_oneof![Just(12u64), Just(30), Just(100)])
				.prop_map(|(r, s, p)| Op::Place(r, s, p)),
			(0u64..4, 1u64..60).prop_map(|(o, b)| Op::TopUp(o, b)),
			(0u64..8, 0u8..7).prop_map(|(l, s)| Op::Rate(l, s)),
			(0u64..8, 0u128..20_000).prop_map(|(l, a)| Op::Dispute(l, a)),
			(0u64..8, 0u32..=100, 0u32..=100).prop_map(|(l, r, s)| Op::Resolve(l, r, s)),
			(0u64..8).prop_map(Op::Ack),
			(0u64..8, 0u64..12, 0u64..500).prop_map(|(l, s, c)| Op::Report(l, s, c)),
			(0u64..8, 0u64..500).prop_map(|(l, c)| Op::Complete(l, c)),
			(
				0u64..8,
				prop_oneof![
					Just(EndCause::Lost),
					Just(EndCause::ImagePull),
					Just(EndCause::SpecRejected)
				]
			)
				.prop_map(|(l, c)| Op::Fail(l, c)),
			(0u64..4).prop_map(Op::Cancel),
			(0u64..8).prop_map(Op::Lapse),
			(0u64..4).prop_map(Op::Reap),
			(1u64..40).prop_map(Op::Advance),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]
		#[test]
		fn money_is_conserved_and_escrow_covers_what_can_be_charged(ops in prop::collection::vec(op(), 1..40)) {
			new_test_ext().execute_with(|| {
				provider(P1, &[], 2);
				provider(P2, &[], 1);
				let issuance = <Balances as Inspect<AccountId>>::total_issuance();
				let start: Balance = [USER, P1, P2, PUBLISHER].iter().map(|a| <Balances as Inspect<AccountId>>::total_balance(a)).sum();
				for op in ops {
					let p = |l: u64| Leases::<Test>::get(l).map_or(P1, |l| l.provider);
					let _ = match op {
						Op::Place(r, s, p) => order_prepaid(r, &[], s, p),
						Op::TopUp(o, b) => Market::top_up(RuntimeOrigin::signed(USER), o, b),
						Op::Rate(l, s) => Market::rate_lease(RuntimeOrigin::signed(USER), l, s),
						Op::Dispute(l, a) => Market::dispute_lease(RuntimeOrigin::signed(USER), l, a),
						Op::Resolve(l, r, s) => Market::resolve_dispute(
							RuntimeOrigin::root(), l, Perbill::from_percent(r), Perbill::from_percent(s)),
						Op::Ack(l) => Market::ack_lease(RuntimeOrigin::signed(p(l)), l),
						Op::Report(l, seq, c) => Market::report_metering(
							RuntimeOrigin::signed(p(l)), l, seq, usage(c, c / 2, c / 3, c)),
						Op::Complete(l, c) => Market::complete_lease(
							RuntimeOrigin::signed(p(l)), l, 100, usage(c, c, c, c), 0, BoundedVec::new()),
						Op::Fail(l, c) => Market::fail_lease(RuntimeOrigin::signed(p(l)), l, c),
						Op::Cancel(o) => Market::cancel_order(RuntimeOrigin::signed(USER), o),
						Op::Lapse(l) => Market::lapse_dispute(RuntimeOrigin::signed(P2), l),
						Op::Reap(o) => Market::reap_order(RuntimeOrigin::signed(P2), o),
						Op::Advance(n) => { run_online_to(System::block_number() + n); Ok(()) },
					};
					// Every book of the market, the registry and PoC is consistent.
					Market::do_try_state().unwrap();
					Registry::do_try_state().unwrap();
					Poc::do_try_state().unwrap();
					// Nothing is minted or burnt.
					assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);
					// What is held for orders is exactly the user's escrow hold.
					let order_held: Balance = Orders::<Test>::iter_values().map(|o| o.held).sum();
					assert_eq!(order_held, held(USER));
					// Every active lease can still be charged up to its cap from escrow.
					for (_, o) in Orders::<Test>::iter() {
						let owed: Balance = o.leases.iter()
							.filter_map(|l| Leases::<Test>::get(l))
							.filter(|l| l.state.is_active())
							.map(|l| l.allotment - l.charged + if l.state == LeaseState::Assigned { l.image_fee } else { 0 })
							.sum();
						assert!(o.held >= owed, "escrow {} < still chargeable {}", o.held, owed);
					}
				}
				// Provider + publisher + pot + user (incl. refunds) = what they had.
				let end: Balance = [USER, P1, P2, PUBLISHER, Market::pot()].iter().map(|a| <Balances as Inspect<AccountId>>::total_balance(a)).sum::<Balance>() - 1;
				let deposits: Balance = 0;
				assert_eq!(end + deposits, start);
			});
		}
	}
}

/// Attacks found by the adversarial review (issue #18), one test per defect, each written
/// before its fix and seen failing on the code it fixes.
mod attacks {
	use super::*;

	/// Reads the pallet's own invariants too.
	fn checked() {
		Market::do_try_state().expect("the market's books are consistent");
	}

	/// Σ of every order's `held` is the user's escrow hold, and no order lists a lease of
	/// another order.
	fn books_balance(user: AccountId) {
		checked();
		let sum: Balance =
			Orders::<Test>::iter_values().filter(|o| o.owner == user).map(|o| o.held).sum();
		assert_eq!(
			sum,
			<Balances as InspectHold<AccountId>>::balance_on_hold(
				&RuntimeHoldReason::Market(HoldReason::Escrow),
				&user
			)
		);
		for (id, o) in Orders::<Test>::iter() {
			for l in o.leases.iter() {
				let lease = Leases::<Test>::get(l).expect("every listed lease exists");
				assert_eq!(lease.order, id, "order {id} lists lease {l} of order {}", lease.order);
			}
		}
	}

	/// #18.1: a re-match that fails half way must not leave a lease id in the order that
	/// the next (someone else's) lease reuses.
	#[test]
	fn a_failed_rematch_leaves_no_phantom_lease_id() {
		new_test_ext().execute_with(|| {
			const VICTIM: AccountId = 4;
			<Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
				&VICTIM, 10_000_000,
			);
			// 7 replicas (MaxReplicas 8) on P1's seven containers.
			provider(P1, &[], 4);
			provider(P1, &[], 3);
			assert_ok!(order(7, &[], false));
			assert_eq!(Orders::<Test>::get(0).unwrap().leases.len(), 7);
			// Two fail; P2 offers two containers elsewhere, but the order has room for only
			// one more lease.
			provider(P2, &[], 2);
			assert_ok!(Market::fail_lease(signed(P1), 0, EndCause::Lost));
			assert_ok!(Market::fail_lease(signed(P1), 1, EndCause::Lost));
			run_to(2);
			books_balance(USER);
			// Someone else's order takes the next lease id.
			assert_ok!(Market::place_order(
				signed(VICTIM),
				IMAGE,
				spec(),
				BoundedVec::new(),
				1,
				100,
				100,
				caps(),
				BoundedVec::new(),
				false,
			));
			let victims: Vec<LeaseId> = Leases::<Test>::iter()
				.filter(|(_, l)| l.user == VICTIM)
				.map(|(id, _)| id)
				.collect();
			assert_eq!(victims.len(), 1);
			books_balance(USER);
			// Cancelling the first order must not touch the victim's lease.
			assert_ok!(Market::cancel_order(signed(USER), 0));
			assert_eq!(Leases::<Test>::get(victims[0]).unwrap().state, LeaseState::Assigned);
			books_balance(USER);
			books_balance(VICTIM);
		});
	}

	/// #18.2: a lease timing out while the waiting queue is full must be refunded, not lost
	/// with its escrow held outside every order.
	#[test]
	fn a_replica_that_cannot_wait_is_refunded() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			// Sixteen orders nobody can serve fill the queue (MaxWaiting 16).
			for _ in 0..16 {
				assert_ok!(order(1, &["gpu"], false));
			}
			assert_eq!(Waiting::<Test>::get().len(), 16);
			// P1 never acknowledges lease 0: at its deadline it cannot wait again.
			run_to(6);
			assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Failed);
			assert!(market_events().contains(&Event::OrderClosed { id: 0 }));
			assert_eq!(held(USER), 16 * ESCROW);
			books_balance(USER);
		});
	}

	/// #18.3: a publisher raising the fee must not make a lease pay more than its order
	/// reserved, nor take it from the user's other orders.
	#[test]
	fn a_raised_image_fee_cannot_drain_other_orders() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			// Another order of the user's waits with eight replicas' escrow.
			assert_ok!(order(8, &["gpu"], false));
			assert_eq!(held(USER), 9 * ESCROW);
			assert_ok!(Registry::set_image_fee(signed(PUBLISHER), IMAGE, 1_000_000));
			// P1 fails the lease; P2's container takes the replica at the new fee.
			provider(P2, &[], 1);
			assert_ok!(Market::fail_lease(signed(P1), 0, EndCause::Lost));
			// Order 1 is ahead in the queue: order 0 is retried in the next block.
			run_to(3);
			let l = *Orders::<Test>::get(0).unwrap().leases.last().unwrap();
			assert_eq!(Leases::<Test>::get(l).unwrap().provider, P2);
			let publisher = free(PUBLISHER);
			let _ = Market::ack_lease(signed(P2), l);
			assert_eq!(free(PUBLISHER), publisher + IMAGE_FEE, "the fee the order reserved");
			assert_eq!(Orders::<Test>::get(1).unwrap().held, 8 * ESCROW);
			books_balance(USER);
		});
	}

	/// #18.4: a first report of absurd counters charges only what the spec can consume in
	/// the time the lease ran.
	#[test]
	fn metering_beyond_physics_is_clamped() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			assert_ok!(Market::ack_lease(signed(P1), 0));
			run_to(3);
			let huge = u64::MAX / 2;
			let absurd = Usage {
				cpu_micros: huge,
				memory_byte_seconds: huge,
				net_bytes: huge,
				wall_millis: huge,
			};
			assert_ok!(Market::report_metering(signed(P1), 0, 1, absurd));
			let l = Leases::<Test>::get(0).unwrap();
			// Assigned at block 1, now 3: two 1 s blocks plus the sampling slack.
			let slack: u64 =
				<<Test as Config>::MeteringSlackMillis as frame_support::traits::Get<u64>>::get();
			let seconds = 2 + slack / 1_000;
			let physical = pricing::worst_cost(&spec(), seconds, &l.prices);
			assert!(
				l.charged <= physical,
				"charged {} > physically possible {physical}",
				l.charged
			);
			assert!(l.charged > 0);
			assert!(market_events()
				.iter()
				.any(|e| matches!(e, Event::UsageClamped { lease: 0, .. })));
		});
	}

	/// Slots the chain missed do not cut an honest provider's pay: the bound follows the
	/// chain's clock, not only the blocks.
	#[test]
	fn missed_slots_still_count_as_time() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			assert_ok!(Market::ack_lease(signed(P1), 0));
			// One block later, but 20 s later by the clock.
			MissedMs::set(19_000);
			run_to(2);
			assert_ok!(Market::report_metering(signed(P1), 0, 1, usage(20, 20, 0, 20)));
			assert!(!market_events().iter().any(|e| matches!(e, Event::UsageClamped { .. })));
			assert_eq!(Leases::<Test>::get(0).unwrap().usage, usage(20, 20, 0, 20));
			MissedMs::set(0);
		});
	}

	/// #18.7: placing and cancelling orders is free demand: σ's demand must count started
	/// leases only.
	#[test]
	fn cancelled_orders_add_no_demand() {
		new_test_ext().execute_with(|| {
			for _ in 0..5 {
				assert_ok!(order(8, &["gpu"], false));
				let id = NextOrderId::<Test>::get() - 1;
				assert_ok!(Market::cancel_order(signed(USER), id));
			}
			assert_eq!(pallet_poc::Demand::<Test>::get().units, [0; 4]);
			// A lease its provider started is demand.
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			assert_eq!(pallet_poc::Demand::<Test>::get().units, [0; 4]);
			let l = Leases::<Test>::iter_keys().next().unwrap();
			assert_ok!(Market::ack_lease(signed(P1), l));
			assert_eq!(pallet_poc::Demand::<Test>::get().units[0], 1_000);
		});
	}

	/// #18.12: a provider with an open dispute cannot leave with its deposit.
	#[test]
	fn an_open_dispute_blocks_deregistration() {
		new_test_ext().execute_with(|| {
			let m = provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			assert_ok!(Market::ack_lease(signed(P1), 0));
			run_to(3);
			assert_ok!(Market::complete_lease(
				signed(P1),
				0,
				1,
				usage(1, 1, 0, 1),
				0,
				BoundedVec::new()
			));
			assert_ok!(Market::dispute_lease(signed(USER), 0, 100));
			assert_ok!(Registry::remove_machine(signed(P1), m));
			assert_noop!(
				Registry::deregister_provider(signed(P1)),
				pallet_registry::Error::<Test>::ObligationsPending
			);
		});
	}
}

/// Orders pay for their storage, disputes end, the queue moves and the indexes answer.
mod upkeep {
	use super::*;
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	fn deposit_held(who: AccountId) -> Balance {
		<Balances as InspectHold<AccountId>>::balance_on_hold(
			&RuntimeHoldReason::Market(HoldReason::OrderDeposit),
			&who,
		)
	}

	/// Runs lease 0 of a one-replica order from block 1 to its completion at block 3.
	fn completed_lease() {
		provider(P1, &[], 1);
		assert_ok!(order(1, &[], false));
		assert_ok!(Market::ack_lease(signed(P1), 0));
		run_to(3);
		assert_ok!(Market::complete_lease(
			signed(P1),
			0,
			1,
			usage(1, 1, 0, 1),
			0,
			BoundedVec::new()
		));
	}

	#[test]
	fn an_order_holds_a_deposit_until_it_is_reaped_after_the_dispute_window() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			assert_ok!(order(1, &[], false));
			assert_eq!(deposit_held(USER), ORDER_DEPOSIT);
			assert_noop!(Market::reap_order(signed(P2), 0), Error::<Test>::OrderActive);
			assert_ok!(Market::ack_lease(signed(P1), 0));
			run_to(3);
			assert_ok!(Market::complete_lease(
				signed(P1),
				0,
				1,
				usage(1, 1, 0, 1),
				0,
				BoundedVec::new()
			));
			let charged = Leases::<Test>::get(0).unwrap().charged;
			// Closed, but the user may still dispute for 50 blocks.
			assert_noop!(Market::reap_order(signed(P2), 0), Error::<Test>::DisputesPending);
			run_to(3 + 51);
			assert_noop!(Market::reap_order(signed(P2), 9), Error::<Test>::UnknownOrder);
			assert_ok!(Market::reap_order(signed(P2), 0));
			assert!(Orders::<Test>::get(0).is_none() && Leases::<Test>::get(0).is_none());
			assert_eq!(OrdersOf::<Test>::iter_prefix(USER).count(), 0);
			assert_eq!(LeasesOfProvider::<Test>::iter_prefix(P1).count(), 0);
			assert_eq!(deposit_held(USER), 0);
			assert!(market_events().contains(&Event::OrderReaped {
				id: 0,
				owner: USER,
				leases: 1,
				charged,
				deposit: ORDER_DEPOSIT
			}));
			Market::do_try_state().unwrap();
		});
	}

	#[test]
	fn an_order_that_would_hold_nothing_is_refused() {
		new_test_ext().execute_with(|| {
			assert_ok!(Registry::set_image_fee(signed(PUBLISHER), IMAGE, 0));
			assert_noop!(
				Market::place_order(
					signed(USER),
					IMAGE,
					spec(),
					BoundedVec::new(),
					1,
					100,
					100,
					Prices::default(),
					BoundedVec::new(),
					false,
				),
				Error::<Test>::ZeroEscrow
			);
			// Without funds for the deposit nothing is held.
			assert_noop!(
				Market::place_order(
					signed(3),
					IMAGE,
					spec(),
					BoundedVec::new(),
					1,
					100,
					100,
					caps(),
					BoundedVec::new(),
					false,
				),
				Error::<Test>::InsufficientFunds
			);
		});
	}

	#[test]
	fn an_unresolved_dispute_lapses_to_the_provider_who_may_then_leave() {
		new_test_ext().execute_with(|| {
			completed_lease();
			assert_ok!(Market::dispute_lease(signed(USER), 0, u128::MAX));
			assert_eq!(OpenDisputes::<Test>::get(P1), 1);
			let Dispute::Open { amount, .. } = Leases::<Test>::get(0).unwrap().dispute else {
				panic!("dispute open")
			};
			assert_noop!(Market::lapse_dispute(signed(P1), 1), Error::<Test>::UnknownLease);
			// The dispute origin has 30 blocks.
			run_to(3 + 30);
			assert_noop!(Market::lapse_dispute(signed(P1), 0), Error::<Test>::DisputeNotExpired);
			run_to(3 + 31);
			let p1 = free(P1);
			assert_ok!(Market::lapse_dispute(signed(USER), 0));
			assert_eq!(free(P1), p1 + amount);
			assert_eq!(
				Leases::<Test>::get(0).unwrap().dispute,
				Dispute::Lapsed { released: amount }
			);
			assert!(market_events().contains(&Event::DisputeLapsed { lease: 0, released: amount }));
			assert_noop!(Market::lapse_dispute(signed(P1), 0), Error::<Test>::NoOpenDispute);
			assert_eq!(OpenDisputes::<Test>::get(P1), 0);
			Market::do_try_state().unwrap();
			// Nothing holds the provider any more.
			let m = pallet_registry::MachinesOf::<Test>::iter_key_prefix(P1).next().unwrap();
			assert_ok!(Registry::remove_machine(signed(P1), m));
			assert_ok!(Registry::deregister_provider(signed(P1)));
		});
	}

	#[test]
	fn a_resolved_dispute_frees_the_provider() {
		new_test_ext().execute_with(|| {
			completed_lease();
			assert_ok!(Market::dispute_lease(signed(USER), 0, 100));
			let m = pallet_registry::MachinesOf::<Test>::iter_key_prefix(P1).next().unwrap();
			assert_ok!(Registry::remove_machine(signed(P1), m));
			assert_ok!(Market::resolve_dispute(
				RuntimeOrigin::root(),
				0,
				Perbill::one(),
				Perbill::zero()
			));
			assert_ok!(Registry::deregister_provider(signed(P1)));
			Market::do_try_state().unwrap();
		});
	}

	#[test]
	fn several_waiting_orders_match_in_one_block() {
		new_test_ext().execute_with(|| {
			for _ in 0..3 {
				assert_ok!(order(1, &["ssd"], false));
			}
			assert_eq!(Waiting::<Test>::get().len(), 3);
			provider(P1, &["ssd"], 3);
			run_to(2);
			assert!(Waiting::<Test>::get().is_empty());
			assert_eq!(Leases::<Test>::iter().count(), 3);
			Market::do_try_state().unwrap();
		});
	}

	#[test]
	fn the_indexes_page_an_owners_orders_and_a_providers_leases() {
		new_test_ext().execute_with(|| {
			const OTHER: AccountId = 4;
			<Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
				&OTHER, 10_000_000,
			);
			provider(P1, &[], 4);
			provider(P2, &[], 1);
			for _ in 0..3 {
				assert_ok!(order(1, &[], false));
			}
			assert_ok!(Market::place_order(
				signed(OTHER),
				IMAGE,
				spec(),
				BoundedVec::new(),
				1,
				100,
				100,
				caps(),
				BoundedVec::new(),
				false,
			));
			let first = Market::order_views(Some(USER), None, 2);
			assert_eq!(first.len(), 2);
			let rest = Market::order_views(Some(USER), Some(first[1].id), 10);
			let mut ids: Vec<_> = first.iter().chain(rest.iter()).map(|o| o.id).collect();
			ids.sort();
			assert_eq!(ids, vec![0, 1, 2]);
			assert_eq!(Market::order_views(Some(OTHER), None, 10).len(), 1);
			let of = |p| {
				let mut v: Vec<_> = Market::lease_views(None, Some(p), None, 10)
					.into_iter()
					.map(|l| l.id)
					.collect();
				v.sort();
				v
			};
			let all: Vec<_> = Leases::<Test>::iter().collect();
			let mut p1: Vec<_> =
				all.iter().filter(|(_, l)| l.provider == P1).map(|(i, _)| *i).collect();
			p1.sort();
			assert_eq!(of(P1), p1);
			assert_eq!(of(P1).len() + of(P2).len(), 4);
		});
	}

	#[test]
	fn the_v1_migration_captures_fees_and_fills_the_indexes() {
		new_test_ext().execute_with(|| {
			completed_lease();
			assert_ok!(Market::dispute_lease(signed(USER), 0, 100));
			assert_ok!(order(2, &["gpu"], false));
			// Rewrite the state as v0 left it: orders without fee and deposit, no indexes.
			let orders: Vec<_> = Orders::<Test>::iter().collect();
			for (id, o) in orders.iter() {
				let old = crate::migrations::v0::OldOrder {
					owner: o.owner,
					image: o.image,
					spec: o.spec,
					command: o.command.clone(),
					replicas: o.replicas,
					max_blocks: o.max_blocks,
					prepaid_blocks: o.prepaid_blocks,
					caps: o.caps,
					labels: o.labels.clone(),
					spread: o.spread,
					escrow_per_replica: o.escrow_per_replica,
					held: o.held,
					waiting: o.waiting,
					match_deadline: o.match_deadline,
					leases: o.leases.clone(),
				};
				frame_support::storage::unhashed::put_raw(
					&Orders::<Test>::hashed_key_for(id),
					&old.encode(),
				);
			}
			let leases: Vec<_> = Leases::<Test>::iter().collect();
			for (id, l) in leases.iter() {
				let old = crate::migrations::v0::OldLease {
					order: l.order,
					user: l.user,
					container: l.container,
					machine: l.machine,
					provider: l.provider,
					prices: l.prices,
					publisher: l.publisher,
					image_fee: l.image_fee,
					state: l.state,
					assigned_at: l.assigned_at,
					ack_by: l.ack_by,
					ends_at: l.ends_at,
					last_seq: l.last_seq,
					usage: l.usage,
					charged: l.charged,
					cap: l.cap,
					allotment: l.allotment,
					exit_code: l.exit_code,
					result: l.result.clone(),
					ended_at: l.ended_at,
					rating: l.rating,
					dispute: l.dispute,
				};
				frame_support::storage::unhashed::put_raw(
					&Leases::<Test>::hashed_key_for(id),
					&old.encode(),
				);
			}
			let _ = OrdersOf::<Test>::clear(u32::MAX, None);
			let _ = LeasesOfProvider::<Test>::clear(u32::MAX, None);
			let _ = OpenDisputes::<Test>::clear(u32::MAX, None);
			StorageVersion::new(0).put::<Market>();

			crate::migrations::MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Market::on_chain_storage_version(), StorageVersion::new(1));
			for (id, o) in orders {
				let migrated = Orders::<Test>::get(id).unwrap();
				assert_eq!(migrated.image_fee, IMAGE_FEE, "the fee v0 reserved");
				assert_eq!(migrated.deposit, 0);
				assert_eq!((migrated.held, migrated.leases), (o.held, o.leases));
				assert!(OrdersOf::<Test>::contains_key(USER, id));
			}
			assert!(LeasesOfProvider::<Test>::contains_key(P1, 0));
			let l = Leases::<Test>::get(0).expect("the lease survived the migration");
			assert_eq!(
				(l.started_at, l.end_cause, l.charged),
				(Some(1), None, leases[0].1.charged)
			);
			assert_eq!(OpenDisputes::<Test>::get(P1), 1);
			// A second run does nothing: the version is 1 now.
			let before = Orders::<Test>::get(1).unwrap();
			crate::migrations::MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Orders::<Test>::get(1).unwrap(), before);
		});
	}
}

/// #18.8 and #18.9: providers are not punished for users' mistakes, and the SLA is derived.
mod fault_and_sla {
	use super::*;

	fn place(spec: ResourceSpec) -> sp_runtime::DispatchResult {
		Market::place_order(
			signed(USER),
			IMAGE,
			spec,
			BoundedVec::new(),
			1,
			100,
			100,
			caps(),
			BoundedVec::new(),
			false,
		)
	}

	/// The last completion outcome PoC recorded for `container`.
	fn sla_of(container: u64) -> Option<bool> {
		System::events().iter().rev().find_map(|r| match &r.event {
			RuntimeEvent::Poc(pallet_poc::Event::ServiceRecorded {
				id,
				outcome: pallet_poc::LeaseOutcome::Completed { sla_met, .. },
				..
			}) if *id == container => Some(*sla_met),
			_ => None,
		})
	}

	/// #18.8: specs no agent runs are refused by the pallet.
	#[test]
	fn specs_below_the_agents_minimums_are_refused() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 1);
			let no_disk = ResourceSpec { storage_bytes: 0, ..spec() };
			assert_noop!(place(no_disk), Error::<Test>::ImpossibleSpec);
			let tiny_memory = ResourceSpec { memory_bytes: 2 << 20, ..spec() };
			assert_noop!(place(tiny_memory), Error::<Test>::ImpossibleSpec);
		});
	}

	/// #18.9: a provider that acknowledged late and left the lease unmetered for long did
	/// not meet the SLA.
	#[test]
	fn a_late_silent_provider_misses_the_sla() {
		new_test_ext().execute_with(|| {
			let m = provider(P1, &[], 2);
			// Acknowledged at once and metered every few blocks: met.
			assert_ok!(order(1, &[], false));
			assert_ok!(Market::ack_lease(signed(P1), 0));
			for (seq, b) in [(1, 4u64), (2, 8), (3, 12)] {
				run_to(b);
				assert_ok!(Market::report_metering(signed(P1), 0, seq, usage(1, 1, 0, seq)));
			}
			assert_ok!(Market::complete_lease(
				signed(P1),
				0,
				4,
				usage(2, 2, 0, 4),
				0,
				BoundedVec::new()
			));
			let good = Leases::<Test>::get(0).unwrap().container;
			assert_eq!(sla_of(good), Some(true));
			// Acknowledged 4 blocks after assignment, then silent for 25 blocks: missed.
			assert_ok!(order(1, &[], false));
			let lease = 1;
			run_to(16);
			assert_ok!(Market::ack_lease(signed(P1), lease));
			run_to(30);
			Registry::heartbeat(signed(P1), m).unwrap();
			run_to(41);
			assert_ok!(Market::complete_lease(
				signed(P1),
				lease,
				1,
				usage(1, 1, 0, 1),
				0,
				BoundedVec::new()
			));
			let bad = Leases::<Test>::get(lease).unwrap().container;
			assert_eq!(sla_of(bad), Some(false));
		});
	}

	/// #18.8: a job the agent refuses (or an image its registry cannot serve) ends the lease
	/// without penalty and refunds the user; a cause on the provider's side re-schedules.
	#[test]
	fn only_the_providers_faults_cost_it() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 2);
			assert_ok!(order(2, &[], false));
			let penalised = |l: LeaseId| {
				let c = Leases::<Test>::get(l).unwrap().container;
				System::events().iter().any(|r| {
					matches!(
						&r.event,
						RuntimeEvent::Poc(pallet_poc::Event::ServiceRecorded {
							id,
							outcome: pallet_poc::LeaseOutcome::Failed,
							..
						}) if *id == c
					)
				})
			};
			assert_ok!(Market::fail_lease(signed(P1), 0, EndCause::SpecRejected));
			let l = Leases::<Test>::get(0).unwrap();
			assert_eq!((l.state, l.end_cause), (LeaseState::Failed, Some(EndCause::SpecRejected)));
			assert!(!penalised(0), "no penalty");
			assert_eq!(Orders::<Test>::get(0).unwrap().waiting, 0, "not re-scheduled");
			assert!(market_events().contains(&Event::LeaseEnded {
				lease: 0,
				state: LeaseState::Failed,
				exit_code: None,
				refund: ESCROW
			}));
			assert_ok!(Market::fail_lease(signed(P1), 1, EndCause::ImagePull));
			assert!(penalised(1), "penalised");
			assert_eq!(Orders::<Test>::get(0).unwrap().waiting, 1, "re-scheduled");
			assert!(market_events()
				.contains(&Event::LeaseFailed { lease: 1, cause: EndCause::ImagePull }));
			Market::do_try_state().unwrap();
		});
	}
}

/// #18.10: what hooks do is charged at its worst.
mod hook_weights {
	use super::*;
	use frame_support::traits::Hooks;

	/// The sweep that takes a machine offline charges the market's re-scheduling of each of
	/// its leases (before, the sweep's weight ignored the leases entirely).
	#[test]
	fn the_sweep_charges_the_rescheduling_of_offline_leases() {
		new_test_ext().execute_with(|| {
			provider(P1, &[], 2);
			assert_ok!(order(2, &[], false));
			for l in 0..2 {
				assert_ok!(Market::ack_lease(RuntimeOrigin::signed(P1), l));
			}
			run_to(31);
			System::set_block_number(32);
			let weight = Registry::on_initialize(32);
			assert_eq!(Leases::<Test>::get(0).unwrap().state, LeaseState::Failed);
			let per_lease = <() as crate::WeightInfo>::fail_lease();
			// One machine checked by the sweep, plus its two leases re-scheduled.
			let sweep = <() as pallet_registry::WeightInfo>::sweep(1);
			assert!(
				weight.all_gte(sweep.saturating_add(per_lease.saturating_mul(2))),
				"{weight:?} does not cover the sweep {sweep:?} and two re-schedulings of {per_lease:?}"
			);
		});
	}

	/// `on_initialize` charges the dearer of missed acknowledgements and expiries for its
	/// deadlines, and each matched order's measured scan and matching on top.
	#[test]
	fn on_initialize_charges_expiries_and_scans() {
		use crate::WeightInfo;
		let w = |d, m| Market::on_initialize_weight(d, m);
		let expiries = <() as WeightInfo>::on_initialize_expiry(10);
		let misses = <() as WeightInfo>::on_initialize(10, 0);
		assert!(w(10, 0).all_gte(expiries) && w(10, 0).all_gte(misses));
		let matching = <() as WeightInfo>::on_initialize(0, 1)
			.saturating_sub(<() as WeightInfo>::on_initialize(0, 0));
		assert!(w(10, 1).all_gte(expiries.saturating_add(matching)));
	}
}
