//! Unit tests of every rule of the white paper's election and of voting.

use crate::{mock::*, pallet::*, Error, Event};
use frame_election_provider_support::ElectionProvider;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectFreeze, BoundedVec};
use sp_core::U256;

fn bv(v: Vec<u64>) -> BoundedVec<u64, frame_support::traits::ConstU32<4>> {
	BoundedVec::truncate_from(v)
}

fn elected() -> Vec<u64> {
	let supports = <Dpos as ElectionProvider>::elect(0).unwrap();
	supports.0.into_iter().map(|(who, _)| who).collect()
}

fn frozen(who: u64) -> u128 {
	Balances::balance_frozen(&RuntimeFreezeReason::Dpos(crate::FreezeReason::Voting), &who)
}

#[test]
fn without_votes_the_weight_is_the_total_stake() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 250)], &[(1, 100, 20)]);
		// Vt: 10 → 300, 20 → 200 + 100 = 300, 30 → 250. Tie 10/20 broken by account id.
		let (ranked, _, _) = Dpos::rank().unwrap();
		let w: Vec<_> = ranked.iter().map(|r| (r.who, r.total, r.weight)).collect();
		assert_eq!(
			w,
			vec![
				(10, 300, U256::from(300)),
				(20, 300, U256::from(300)),
				(30, 250, U256::from(250))
			]
		);
		assert_eq!(elected(), vec![10, 20]);
	});
}

#[test]
fn votes_multiply_the_total_stake() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 150)], &[]);
		// 30 has the least stake but 2 votes: Wt = (400 + 200) · 150 = 90,000 > 300.
		assert_ok!(Dpos::vote(RuntimeOrigin::signed(1), bv(vec![30]), 400));
		assert_ok!(Dpos::vote(RuntimeOrigin::signed(2), bv(vec![30, 20]), 200));
		assert_eq!(CandidateVotes::<Test>::get(30), 600);
		assert_eq!(CandidateVotes::<Test>::get(20), 200);
		let (ranked, _, _) = Dpos::rank().unwrap();
		assert_eq!(ranked[0].who, 30);
		assert_eq!(ranked[0].weight, U256::from(600u128 * 150));
		assert_eq!(ranked[1].who, 20);
		assert_eq!(ranked[1].weight, U256::from(200u128 * 200));
		assert_eq!(elected(), vec![30, 20]);
	});
}

#[test]
fn weights_never_overflow() {
	let w = crate::election_weight(u128::MAX, u128::MAX);
	assert_eq!(w, U256::from(u128::MAX) * U256::from(u128::MAX));
	assert_eq!(crate::election_weight(0, 7), U256::from(7));
}

#[test]
fn a_candidate_below_the_minimum_bond_is_not_electable() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 99), (30, 100)], &[(1, 900, 20)]);
		// 20 has Vt = 999 but only 99 of its own: below B_Min = 100.
		assert_eq!(elected(), vec![10, 30]);
		MinBond::set(101);
		Desired::set(3);
		assert_eq!(elected(), vec![10]);
	});
}

#[test]
fn only_the_top_desired_targets_are_elected() {
	ExtBuilder::build_and_execute(|| {
		let validators: Vec<(u64, u64)> = (1..=49).map(|i| (1_000 + i, 100 + i)).collect();
		set_staking(&validators, &[]);
		Desired::set(48);
		let winners = elected();
		assert_eq!(winners.len(), 48);
		// The 49th (lowest stake: 1001 with 101) is out.
		assert!(!winners.contains(&1_001));
		assert!(winners.contains(&1_002));
	});
}

#[test]
fn supports_are_own_bond_plus_lenders() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200)], &[(1, 50, 10), (2, 70, 10), (3, 5, 20)]);
		let supports = <Dpos as ElectionProvider>::elect(0).unwrap();
		let (who, s) = &supports.0[0];
		assert_eq!(*who, 10);
		assert_eq!(s.total, 420);
		let mut backers = s.voters.to_vec();
		backers.sort();
		assert_eq!(backers, vec![(1, 50), (2, 70), (10, 300)]);
		assert!(dpos_events().contains(&Event::Elected { elected: 2, candidates: 2 }));
	});
}

#[test]
fn a_voters_freeze_equals_its_stake_and_disappears_on_unvote() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200)], &[]);
		assert_ok!(Dpos::vote(RuntimeOrigin::signed(1), bv(vec![10]), 600));
		assert_eq!(frozen(1), 600);
		assert_eq!(Balances::free_balance(1), 1_000 - 5, "the deposit is held, the stake stays");
		assert_eq!(Dpos::last_voted_era(&1), Some(7));
		// Changing the vote moves St and the freeze follows.
		assert_ok!(Dpos::vote(RuntimeOrigin::signed(1), bv(vec![20]), 250));
		assert_eq!(frozen(1), 250);
		assert_eq!(CandidateVotes::<Test>::get(10), 0);
		assert!(!CandidateVotes::<Test>::contains_key(10));
		assert_eq!(CandidateVotes::<Test>::get(20), 250);
		assert_ok!(Dpos::unvote(RuntimeOrigin::signed(1)));
		assert_eq!(frozen(1), 0);
		assert_eq!(Balances::free_balance(1), 1_000);
		assert_eq!(CandidateVotes::<Test>::get(20), 0);
		assert!(Votes::<Test>::get(1).is_none());
		assert!(dpos_events().contains(&Event::Unvoted { who: 1, stake: 250 }));
	});
}

#[test]
fn frozen_stake_cannot_be_transferred() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300)], &[]);
		assert_ok!(Dpos::vote(RuntimeOrigin::signed(1), bv(vec![10]), 900));
		assert!(Balances::transfer_allow_death(RuntimeOrigin::signed(1), 2, 200).is_err());
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(1), 2, 90));
	});
}

#[test]
fn bad_votes_are_refused_and_change_nothing() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200)], &[]);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::signed(1), bv(vec![]), 10),
			Error::<Test>::NoCandidates
		);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::signed(1), bv(vec![10]), 0),
			Error::<Test>::ZeroStake
		);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::signed(1), bv(vec![10, 10]), 10),
			Error::<Test>::DuplicateCandidate
		);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::signed(1), bv(vec![99]), 10),
			Error::<Test>::NotACandidate
		);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::signed(1), bv(vec![10]), 996),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Dpos::unvote(RuntimeOrigin::signed(1)), Error::<Test>::NotVoting);
		assert_noop!(
			Dpos::vote(RuntimeOrigin::root(), bv(vec![10]), 10),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn only_single_page_elections_are_supported() {
	ExtBuilder::build_and_execute(|| {
		assert_eq!(
			<Dpos as ElectionProvider>::elect(1).unwrap_err(),
			crate::election::ElectionError::UnsupportedPage
		);
	});
}

/// Defect #18.13: the election is synchronous, so nothing is ever "ongoing" between two
/// `elect` calls; staking's `election_ongoing()` (status().is_ok()) must answer false.
#[test]
fn no_election_is_reported_as_ongoing() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 250)], &[]);
		assert_eq!(<Dpos as ElectionProvider>::status(), Err(()));
		// Electing changes nothing: the election ran to its end within the call.
		let _ = elected();
		assert_eq!(<Dpos as ElectionProvider>::status(), Err(()));
	});
}
