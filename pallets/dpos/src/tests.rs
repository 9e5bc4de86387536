//! Unit tests of every rule of the white paper's election and of voting.

use crate::{mock::*, pallet::*, Error, Event};
use frame_election_provider_support::ElectionProvider;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectFreeze, BoundedVec};
use sp_core::U256;

fn bv(v: Vec<u64>) -> BoundedVec<u64, frame_support::traits::ConstU32<4>> {
	BoundedVec::truncate_from(v)
}

/// Runs the whole collection now and returns the winners staking would get.
fn elect() -> frame_election_provider_support::BoundedSupportsOf<Dpos> {
	<Dpos as ElectionProvider>::asap();
	<Dpos as ElectionProvider>::elect(0).unwrap()
}

fn elected() -> Vec<u64> {
	let supports = elect();
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
		let (ranked, _) = Dpos::one_shot();
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
		let (ranked, _) = Dpos::one_shot();
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
		let supports = elect();
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

// ---- The multi-block election ----

use crate::{LeaderLenders, Phase, Tallies};
use frame_support::{traits::Hooks, weights::Weight};

/// A budget that fits `items` items of the heaviest pass per block.
fn budget_for(items: u32) -> Weight {
	use crate::WeightInfo as W;
	let pass = <() as W>::tally(items).max(<() as W>::rank(items)).max(<() as W>::back(items));
	<() as W>::begin().saturating_add(pass)
}

/// Runs one block's hook and returns the weight it reported.
fn block() -> Weight {
	let now = System::block_number() + 1;
	System::set_block_number(now);
	let used = Dpos::on_initialize(now);
	Dpos::do_try_state().expect("invariants hold between blocks");
	used
}

fn phase() -> Phase<u64, u64> {
	crate::ElectionPhase::<Test>::get()
}

/// Winners and supports (own first, then lenders) of the reference one-shot election.
fn reference() -> Vec<(u64, u128, Vec<(u64, u128)>)> {
	Dpos::one_shot().1
}

fn supports_of(
	s: frame_election_provider_support::BoundedSupportsOf<Dpos>,
) -> Vec<(u64, u128, Vec<(u64, u128)>)> {
	s.0.into_iter().map(|(w, s)| (w, s.total, s.voters.into_inner())).collect()
}

#[test]
fn the_collection_waits_for_the_lookahead_and_status_tells_each_phase() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 250)], &[(1, 100, 20), (2, 60, 30)]);
		Due::set(20);
		Lookahead::set(5);
		// Blocks 2..=14: the election is more than 5 blocks away; nothing happens.
		for _ in 2..=14 {
			block();
			assert_eq!(phase(), Phase::Idle);
			assert_eq!(<Dpos as ElectionProvider>::status(), Err(()));
		}
		assert_eq!(
			<Dpos as ElectionProvider>::elect(0).unwrap_err(),
			crate::election::ElectionError::NotReady
		);
		// Block 15 is 5 blocks before: the collection runs (all of it fits one block here).
		Budget::set(budget_for(2));
		block();
		assert!(dpos_events().contains(&Event::ElectionStarted { due: 20 }));
		assert!(phase().is_ongoing());
		assert_eq!(<Dpos as ElectionProvider>::status(), Ok(None));
		// Asking now fails and takes nothing away from the collection.
		assert_eq!(
			<Dpos as ElectionProvider>::elect(0).unwrap_err(),
			crate::election::ElectionError::NotReady
		);
		assert!(phase().is_ongoing());
		let blocks = run_until_ready(20);
		assert!(blocks > 1, "a budget of two voters a block takes several blocks");
		assert!(matches!(<Dpos as ElectionProvider>::status(), Ok(Some(_))));
		assert!(dpos_events().contains(&Event::ElectionReady { leaders: 3, candidates: 3 }));
		let expected = reference();
		assert_eq!(supports_of(<Dpos as ElectionProvider>::elect(0).unwrap()), expected);
		// Taken: back to idle, nothing left behind.
		assert_eq!(phase(), Phase::Idle);
		assert_eq!(<Dpos as ElectionProvider>::status(), Err(()));
		assert!(<Dpos as ElectionProvider>::elect(0).is_err());
	});
}

#[test]
fn every_block_stays_within_the_budget_and_the_result_equals_the_one_shot_election() {
	ExtBuilder::build_and_execute(|| {
		let validators: Vec<(u64, u64)> =
			(0..40).map(|i| (1_000 + i, 100 + (i * 37) % 90)).collect();
		let lenders: Vec<(u64, u64, u64)> =
			(0..600).map(|i| (10_000 + i, 1 + (i * 7919) % 500, 1_000 + (i * 13) % 40)).collect();
		set_staking(&validators, &lenders);
		for (i, voter) in (1..=20u64).enumerate() {
			assert_ok!(Dpos::vote(
				RuntimeOrigin::signed(voter),
				bv(vec![1_000 + (i as u64 * 3) % 40]),
				10 + i as u128 * 40
			));
		}
		Desired::set(12);
		let expected = reference();
		assert_eq!(expected.len(), 12);
		Due::set(System::block_number() + 1);
		let budget = budget_for(25);
		Budget::set(budget);
		let mut blocks = 0;
		loop {
			let used = block();
			assert!(used.all_lte(budget), "block {blocks} used {used} of {budget}");
			blocks += 1;
			if matches!(phase(), Phase::Ready { .. }) {
				break;
			}
			assert!(blocks < 200, "the collection must finish");
		}
		// 640 voters read twice at a few dozen a block, plus ranking: many blocks.
		assert!(blocks >= 5, "took {blocks} blocks");
		assert_eq!(supports_of(<Dpos as ElectionProvider>::elect(0).unwrap()), expected);
	});
}

#[test]
fn no_voter_is_dropped_and_the_smallest_lenders_are_left_out_of_supports() {
	ExtBuilder::build_and_execute(|| {
		// 5,000 lenders behind one candidate: every one counts in Vt.
		let lenders: Vec<(u64, u64, u64)> =
			(0..5_000).map(|i| (10_000 + i, 1 + i % 10, 10)).collect();
		let lent: u128 = lenders.iter().map(|(_, a, _)| u128::from(*a)).sum();
		set_staking(&[(10, 300), (20, 200)], &lenders);
		Desired::set(1);
		let supports = elect();
		let (who, s) = &supports.0[0];
		assert_eq!(*who, 10);
		let (ranked, _) = Dpos::one_shot();
		assert_eq!(ranked[0].total, 300 + lent, "Vt counts every lender");
		// The support lists the own bond and the 7 largest lenders (MaxBackersPerWinner = 8):
		// amount 10, the lowest accounts first among equals.
		let voters = s.voters.to_vec();
		assert_eq!(voters.len(), 8);
		assert_eq!(voters[0], (10, 300));
		let expected: Vec<(u64, u128)> = (0..7).map(|k| (10_000 + 9 + 10 * k, 10)).collect();
		assert_eq!(voters[1..].to_vec(), expected);
		assert_eq!(s.total, 300 + 70);
	});
}

#[test]
fn a_result_nobody_takes_expires_and_is_recomputed_with_the_new_stakes() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 100)], &[]);
		Desired::set(1);
		Due::set(System::block_number() + 1);
		run_until_ready(5);
		// Staking does not come (a forced-off era): the result gets old.
		set_candidate(30, 900);
		for _ in 0..5 {
			block();
		}
		assert!(matches!(phase(), Phase::Ready { .. }));
		block();
		assert!(dpos_events().contains(&Event::ElectionExpired));
		run_until_ready(5);
		assert_eq!(elected_now(), vec![30]);
	});
}

/// Takes the ready result (no forced collection).
fn elected_now() -> Vec<u64> {
	<Dpos as ElectionProvider>::elect(0).unwrap().0.into_iter().map(|(w, _)| w).collect()
}

#[test]
fn changes_during_the_collection_count_once_ahead_of_the_cursor_and_next_time_behind_it() {
	ExtBuilder::build_and_execute(|| {
		// Candidates 10..=50, lenders 100..=400 (10 each, all backing 10).
		let validators: Vec<(u64, u64)> = (1..=5).map(|i| (i * 10, 1_000)).collect();
		let lenders: Vec<(u64, u64, u64)> = (100..=400).map(|l| (l, 10, 10)).collect();
		set_staking(&validators, &lenders);
		Desired::set(2);
		Due::set(System::block_number() + 1);
		Budget::set(budget_for(10));
		// The first block reads the candidates and the first lenders.
		block();
		let Phase::Tallying { cursor: Some(crate::VoterCursor::Lender(at)) } = phase() else {
			panic!("still tallying lenders: {:?}", phase());
		};
		assert!((100..400).contains(&at), "cursor at {at}");
		// Behind the cursor: lender 100 moves to 20 and candidate 30 doubles its bond. Ahead:
		// lender 400 leaves, lender 500 arrives for 50 with 5,000.
		set_lender(100, 10, 20);
		set_candidate(30, 2_000);
		set_lender(400, 0, 0);
		set_lender(500, 5_000, 50);
		run_until_ready(500);
		let tallied: Vec<(u64, u128)> =
			crate::Leaders::<Test>::get().iter().take(2).map(|l| (l.who, l.total)).collect();
		// 50: 1,000 + 5,000 (new, read). 10: 1,000 + 10 · 300 (100 read before it moved, 400
		// gone before it was read).
		assert_eq!(tallied, vec![(50, 6_000), (10, 4_000)]);
		// The next election sees 100 under 20 and 30's new bond.
		assert_eq!(elected_now(), vec![50, 10]);
		Due::set(System::block_number() + 1);
		run_until_ready(500);
		let tallied: Vec<(u64, u128)> =
			crate::Leaders::<Test>::get().iter().map(|l| (l.who, l.total)).collect();
		assert_eq!(tallied, vec![(50, 6_000), (10, 3_990), (30, 2_000), (20, 1_010), (40, 1_000)]);
		assert!(Tallies::<Test>::count() == 0 && LeaderLenders::<Test>::get(30).is_none());
	});
}

mod property {
	use super::*;
	use proptest::prelude::*;

	/// A change to staking between two blocks of the collection.
	#[derive(Debug, Clone)]
	enum Change {
		Bond(u64, u64),
		Lend(u64, u64, u64),
	}

	fn change() -> impl Strategy<Value = Change> {
		prop_oneof![
			(1..=12u64, 0..400u64).prop_map(|(c, b)| Change::Bond(c * 10, b)),
			(1_000..=1_060u64, 0..300u64, 1..=12u64).prop_map(|(l, a, c)| Change::Lend(
				l,
				a,
				c * 10
			)),
		]
	}

	/// The top `cap` of `lenders` (largest first, ties: lower account).
	fn top(mut lenders: Vec<(u64, u128)>, cap: usize) -> Vec<(u64, u128)> {
		lenders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
		lenders.truncate(cap);
		lenders
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// For random stakes, lendings and votes, and random staking changes between the
		/// blocks of a collection, the winners equal the one-shot election over the voters as
		/// the collection read them (every voter once; a change counts if its page comes after
		/// it), and each support lists the largest lenders of the backing pass. Without
		/// changes this is the one-shot election over the chain's state.
		#[test]
		fn the_multi_block_election_equals_the_one_shot_election(
			bonds in proptest::collection::vec(0..400u64, 12),
			lends in proptest::collection::vec((0..300u64, 1..=12u64), 0..60),
			votes in proptest::collection::vec((1..=60u64, 1..=12u64, 1..500u128), 0..20),
			desired in 1..8u32,
			per_block in 1..12u32,
			changes in proptest::collection::vec(proptest::option::of(change()), 0..30),
		) {
			ExtBuilder::build_and_execute(|| {
				let validators: Vec<(u64, u64)> =
					bonds.iter().enumerate().filter(|(_, b)| **b > 0).map(|(i, b)| ((i as u64 + 1) * 10, *b)).collect();
				let lenders: Vec<(u64, u64, u64)> = lends
					.iter()
					.enumerate()
					.filter(|(_, (a, _))| *a > 0)
					.map(|(i, (a, c))| (1_000 + i as u64, *a, c * 10))
					.collect();
				set_staking(&validators, &lenders);
				for (voter, c, stake) in votes.iter() {
					if <IsTarget as frame_support::traits::Contains<u64>>::contains(&(c * 10)) {
						let _ = Dpos::vote(RuntimeOrigin::signed(*voter), bv(vec![c * 10]), *stake);
					}
				}
				Desired::set(desired);
				let unchanged = reference();
				READS.with(|r| r.borrow_mut().clear());
				Due::set(System::block_number() + 1);
				Budget::set(budget_for(per_block));
				let mut changes = changes.clone().into_iter();
				let mut blocks = 0;
				let mut changed = false;
				while !matches!(phase(), Phase::Ready { .. }) {
					block();
					blocks += 1;
					assert!(blocks < 1_000, "the collection must finish");
					if let Some(Some(c)) = changes.next() {
						changed = true;
						match c {
							Change::Bond(who, b) => set_candidate(who, b),
							Change::Lend(who, a, to) => set_lender(who, a, to),
						}
					}
				}
				let reads = READS.with(|r| r.borrow().clone());
				let pass = |p: u8| -> (Vec<(u64, u128)>, Vec<crate::ElectionVoter<u64>>) {
					let mut cands = Vec::new();
					let mut lends = Vec::new();
					for (q, v) in reads.iter().filter(|(q, _)| *q == p) {
						let _ = q;
						if v.2 == vec![v.0] { cands.push((v.0, u128::from(v.1))) } else { lends.push(v.clone()) }
					}
					(cands, lends)
				};
				// Every voter read once per pass.
				for p in [1u8, 3] {
					let mut seen: Vec<u64> = reads.iter().filter(|(q, _)| *q == p).map(|(_, v)| v.0).collect();
					let n = seen.len();
					seen.sort();
					seen.dedup();
					assert_eq!(seen.len(), n, "a voter was read twice in pass {p}");
				}
				let (c1, l1) = pass(1);
				let (expected_ranked, _) = crate::ranking::one_shot(
					&c1, &l1, |c| CandidateVotes::<Test>::get(c), MinBond::get(), desired as usize, 8,
				);
				let expected_winners: Vec<u64> =
					expected_ranked.iter().take(desired as usize).map(|r| r.who).collect();
				let got = supports_of(<Dpos as ElectionProvider>::elect(0).unwrap());
				let winners: Vec<u64> = got.iter().map(|(w, _, _)| *w).collect();
				assert_eq!(winners, expected_winners);
				let (_, l3) = pass(3);
				for ((w, total, voters), r) in got.iter().zip(expected_ranked.iter()) {
					assert_eq!(voters[0], (*w, r.own), "own bond first");
					let lent: Vec<(u64, u128)> = l3
						.iter()
						.filter(|v| v.2 == vec![*w])
						.map(|v| (v.0, u128::from(v.1)))
						.collect();
					assert_eq!(voters[1..].to_vec(), top(lent, 7));
					assert_eq!(*total, voters.iter().map(|(_, x)| x).sum::<u128>());
				}
				if !changed {
					assert_eq!(got, unchanged);
				}
			});
		}
	}
}

#[test]
fn a_validator_count_raised_after_ranking_still_elects_that_many() {
	ExtBuilder::build_and_execute(|| {
		set_staking(&[(10, 300), (20, 200), (30, 250)], &[]);
		Desired::set(1);
		Due::set(System::block_number() + 1);
		run_until_ready(5);
		// Governance raises the count after the ranking: the runners-up were kept.
		Desired::set(3);
		assert_eq!(elected_now(), vec![10, 30, 20]);
	});
}
