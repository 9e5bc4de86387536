//! Tests of the attestation pallet: selection, commit–reveal, verdicts and their economics.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect, BoundedVec};
use pallet_registry::MachineId;

type Err = Error<Test>;

/// The lanes a machine reveals in these tests (the chain never recomputes them: verifiers do).
fn lanes(n: u32, salt: u8) -> LanesOf {
	BoundedVec::truncate_from((0..n).map(|i| [salt ^ i as u8; 32]).collect::<Vec<_>>())
}

fn commitment_of(c: &ChallengeOf<Test>, lanes: &LanesOf) -> Hash32 {
	uranus_primitives::challenge::commitment(&c.seed, lanes)
}

fn challenge(id: ChallengeId) -> ChallengeOf<Test> {
	Challenges::<Test>::get(id).expect("open challenge")
}

/// Providers 1..=n each with one machine (2 cores, 4 GiB); all but `unverified` are marked
/// verified and the queue is emptied of them. Returns the machine ids.
fn network(n: u64, unverified: &[u64]) -> Vec<MachineId> {
	let ids: Vec<_> = (1..=n).map(|who| provider_with_machine(who, 2, 4)).collect();
	for (i, id) in ids.iter().enumerate() {
		if !unverified.contains(&(i as u64 + 1)) {
			assert_ok!(Registry::set_hardware_verified(RuntimeOrigin::root(), *id, true));
		}
	}
	Queue::<Test>::mutate(|q| q.retain(|m| unverified.iter().any(|u| ids[*u as usize - 1] == *m)));
	ids
}

fn issuance() -> u128 {
	<Balances as Inspect<AccountId>>::total_issuance()
}

fn pool() -> u128 {
	pallet_poc::Open::<Test>::get().pool
}

fn held(who: AccountId) -> u128 {
	pallet_registry::Providers::<Test>::get(who).unwrap().deposit
}

fn ended() -> Vec<(MachineId, Outcome)> {
	attest_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::ChallengeEnded { machine, outcome, .. } => Some((machine, outcome)),
			_ => None,
		})
		.collect()
}

/// Reports challenge `id`'s probe now and runs the chain to the lanes' seed (two blocks).
fn probe_and_seed(id: ChallengeId) {
	let c = challenge(id);
	assert_ok!(Attest::probe(RuntimeOrigin::signed(c.provider), id));
	run_to(System::block_number() + 2);
	assert!(challenge(id).seeded_at.is_some(), "seeded two blocks after the probe");
}

/// Commits and reveals `lanes` for challenge `id` as its provider (after its probe, when not
/// yet seeded), running the chain to the picks in between.
fn commit_and_reveal(id: ChallengeId, lanes: &LanesOf) {
	if challenge(id).seeded_at.is_none() {
		probe_and_seed(id);
	}
	let c = challenge(id);
	assert_ok!(Attest::commit(RuntimeOrigin::signed(c.provider), id, commitment_of(&c, lanes)));
	run_to(System::block_number() + 2);
	assert!(!challenge(id).picks.is_empty(), "picked two blocks after the commitment");
	assert_ok!(Attest::reveal(RuntimeOrigin::signed(c.provider), id, lanes.clone()));
}

fn seal(id: ChallengeId, v: &VerifierSlot<AccountId>, verdict: Verdict) {
	let s = verdict_seal(id, v.machine, verdict, &[v.owner as u8; 32]);
	assert_ok!(Attest::seal_verdict(RuntimeOrigin::signed(v.owner), id, s));
}

fn open(id: ChallengeId, v: &VerifierSlot<AccountId>, verdict: Verdict) {
	assert_ok!(Attest::reveal_verdict(
		RuntimeOrigin::signed(v.owner),
		id,
		verdict,
		[v.owner as u8; 32]
	));
}

/// `who` reveals `verdict` with the salt of account `salt_of` (see [`seal`]).
fn reveal_as(
	who: AccountId,
	verdict: Verdict,
	salt_of: AccountId,
) -> frame_support::dispatch::DispatchResult {
	Attest::reveal_verdict(RuntimeOrigin::signed(who), 0, verdict, [salt_of as u8; 32])
}

#[test]
fn new_machines_are_challenged_first_by_machines_of_other_providers() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let ids = network(5, &[4]);
		// Provider 4 has a second machine: it may not verify its own.
		let second = provider_with_machine(4, 2, 4);
		assert_eq!(Queue::<Test>::get().to_vec(), vec![ids[3], second]);
		run_to(10);
		let c = challenge(0);
		assert_eq!(c.machine, ids[3], "the oldest queued machine first");
		assert_eq!(c.provider, 4);
		assert_eq!(c.version, 1);
		assert_eq!(
			(c.lanes, c.log_n, c.r, c.rounds),
			(2, 20, 12, COMPUTE_ROUNDS),
			"one 1.5 GiB lane (3/4 of the claim's share) per claimed core"
		);
		assert_eq!(c.verifiers.len(), 3);
		let mut owners: Vec<_> = c.verifiers.iter().map(|v| v.owner).collect();
		owners.sort();
		owners.dedup();
		assert_eq!(owners.len(), 3, "one verifier per provider");
		assert!(owners.iter().all(|o| *o != 4), "never the challenged provider");
		// 100 rounds at 50 a block and 1.5 GiB lanes at 64 MiB a block: a reference lane of
		// 2 + 24 blocks; the probe gets twice that, the lanes (until the probe sets their
		// deadline) what the slowest probe allows, 52 + 26 + 1; verifying one pick 26.
		assert_eq!(c.probe_by, 10 + 52);
		assert_eq!((c.probed_at, c.seeded_at), (None, None));
		assert_eq!((c.commit_by, c.reveal_by, c.seal_by, c.judge_by), (62 + 2 + 79, 147, 173, 177));
		for m in core::iter::once(c.machine).chain(c.verifiers.iter().map(|v| v.machine)) {
			assert_eq!(Engaged::<Test>::get(m), Some(0));
		}
		assert_eq!(Queue::<Test>::get().to_vec(), vec![second]);
	});
}

#[test]
fn selection_follows_the_epoch_randomness_and_nothing_else() {
	// With every machine verified, the walk's start decides who is re-checked. The same chain
	// state under different randomness selects different machines; the same randomness the
	// same machine. A machine cannot know whether it is next before the randomness exists.
	let chosen = |random: u8| {
		new_test_ext().execute_with(|| {
			ChallengesPerPeriod::set(1);
			network(8, &[]);
			Random::set(sp_core::H256::repeat_byte(random));
			run_to(10);
			challenge(0).machine
		})
	};
	let picks: Vec<_> = (0..40u8).map(chosen).collect();
	let mut distinct = picks.clone();
	distinct.sort();
	distinct.dedup();
	assert_eq!(distinct.len(), 8, "every machine is re-checked under some randomness: {picks:?}");
	assert_eq!(chosen(3), chosen(3));
}

#[test]
fn a_selection_reads_a_bounded_number_of_machines() {
	new_test_ext().execute_with(|| {
		MaxProbes::set(16);
		ChallengesPerPeriod::set(2);
		// 20 providers × 4 machines, all verified, none challengeable except by re-check.
		for who in 1..=20 {
			for _ in 0..4 {
				provider_with_machine(who, 2, 4);
			}
		}
		for id in 0..80 {
			assert_ok!(Registry::set_hardware_verified(RuntimeOrigin::root(), id, true));
		}
		Queue::<Test>::kill();
		let work = Attest::selection(10);
		assert_eq!(work.started, 2);
		// Per challenge: one walk for the machine and one for its verifiers.
		assert!(work.probes <= 2 * 2 * 16, "{} machines read", work.probes);
		// Nobody can be challenged (all engaged or offline): still bounded.
		for id in 0..80 {
			pallet_registry::Machines::<Test>::mutate(id, |m| m.as_mut().unwrap().online = false);
		}
		let work = Attest::selection(20);
		assert_eq!(work.started, 0);
		assert!(work.probes <= 16, "{} machines read", work.probes);
	});
}

#[test]
fn an_honest_machine_passes_and_is_verified_and_its_verifiers_are_paid() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let ids = network(4, &[1]);
		let before = issuance();
		run_to(10);
		let c = challenge(0);
		assert_eq!(c.machine, ids[0]);
		run_to(20);
		let l = lanes(2, 1);
		commit_and_reveal(0, &l);
		let c = challenge(0);
		assert_eq!(c.picks.len(), 1);
		for v in c.verifiers.iter() {
			seal(0, v, Verdict::Valid);
		}
		let balances: Vec<_> =
			c.verifiers.iter().map(|v| Balances::free_balance(v.owner)).collect();
		for v in c.verifiers.iter() {
			open(0, v, Verdict::Valid);
		}
		assert_eq!(ended(), vec![(ids[0], Outcome::Passed)]);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(ids[0]), Some(1));
		for (v, b) in c.verifiers.iter().zip(balances) {
			assert_eq!(Balances::free_balance(v.owner), b + 7, "the fee from the PoC pool");
		}
		assert_eq!(pool(), 500 - 3 * 7);
		assert_eq!(issuance(), before);
		assert_eq!(Challenges::<Test>::count(), 0);
		assert_eq!(Engaged::<Test>::iter().count(), 0);
		assert_eq!(Due::<Test>::iter().count(), 0);
	});
}

#[test]
fn a_machine_that_misses_the_deadline_fails_and_is_slashed_into_the_pool() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		// Every machine verified: a random re-check.
		network(4, &[]);
		let before = issuance();
		run_to(10);
		let c = challenge(0);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(c.machine), Some(1));
		run_to(c.probe_by + 1);
		// No probe by its deadline: the hook failed it first, the probe has nowhere to go.
		assert_noop!(Attest::probe(RuntimeOrigin::signed(c.provider), 0), Err::UnknownChallenge);
		assert_eq!(ended(), vec![(c.machine, Outcome::Failed(Failure::Late))]);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(c.machine), None);
		assert_eq!(held(c.provider), 700, "30 % of the 1,000 deposit");
		assert_eq!(pool(), 500 + 300, "into the PoC pool: no verifier had to work");
		// Its container recorded a failed service.
		let cid = pallet_registry::Machines::<Test>::get(c.machine).unwrap().containers[0];
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Poc(pallet_poc::Event::ServiceRecorded {
				id,
				outcome: pallet_poc::LeaseOutcome::Failed,
				..
			}) if id == cid
		)));
		assert_eq!(issuance(), before);
	});
}

#[test]
fn commit_reveal_refuses_late_foreign_and_mismatched_steps() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let ids = network(4, &[1]);
		run_to(10);
		let l = lanes(2, 9);
		// The lanes wait for their seed, which waits for the probe.
		assert_noop!(Attest::commit(RuntimeOrigin::signed(1), 0, [1; 32]), Err::NotSeeded);
		assert_noop!(Attest::probe(RuntimeOrigin::signed(2), 0), Err::NotChallenged);
		assert_ok!(Attest::probe(RuntimeOrigin::signed(1), 0));
		assert_noop!(Attest::probe(RuntimeOrigin::signed(1), 0), Err::AlreadyProbed);
		run_to(11);
		assert_noop!(Attest::commit(RuntimeOrigin::signed(1), 0, [1; 32]), Err::NotSeeded);
		run_to(12);
		let c = challenge(0);
		let commitment = commitment_of(&c, &l);
		assert_noop!(Attest::commit(RuntimeOrigin::signed(2), 0, commitment), Err::NotChallenged);
		assert_noop!(Attest::reveal(RuntimeOrigin::signed(1), 0, l.clone()), Err::NotCommitted);
		assert_ok!(Attest::commit(RuntimeOrigin::signed(1), 0, commitment));
		assert_noop!(
			Attest::commit(RuntimeOrigin::signed(1), 0, commitment),
			Err::AlreadyCommitted
		);
		run_to(14);
		// Verifiers have nothing to check before the reveal.
		let v = challenge(0).verifiers[0].clone();
		assert_noop!(
			Attest::seal_verdict(RuntimeOrigin::signed(v.owner), 0, [1; 32]),
			Err::NothingToVerify
		);
		assert_noop!(
			Attest::reveal(RuntimeOrigin::signed(1), 0, lanes(2, 8)),
			Err::CommitmentMismatch
		);
		assert_noop!(Attest::reveal(RuntimeOrigin::signed(1), 0, lanes(3, 9)), Err::WrongLaneCount);
		run_to(c.reveal_by);
		// Never revealed: it fails once `reveal_by` passed.
		run_to(c.reveal_by + 1);
		assert_eq!(ended(), vec![(ids[0], Outcome::Failed(Failure::NotRevealed))]);
		assert_noop!(Attest::reveal(RuntimeOrigin::signed(1), 0, l), Err::UnknownChallenge);
	});
}

#[test]
fn a_reveal_after_its_deadline_is_refused() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		network(4, &[1]);
		run_to(10);
		probe_and_seed(0);
		let c = challenge(0);
		let l = lanes(2, 9);
		run_to(c.commit_by);
		assert_ok!(Attest::commit(RuntimeOrigin::signed(1), 0, commitment_of(&c, &l)));
		// The hook is what ends it; a call in the block after the deadline is refused by the
		// call itself too (a block whose hook has not run yet for it).
		System::set_block_number(c.reveal_by + 1);
		assert_noop!(Attest::reveal(RuntimeOrigin::signed(1), 0, l), Err::TooLate);
	});
}

/// Runs a challenge of machine 1 (provider 1) whose verifiers (providers 2–4) answer
/// `answers` in order (`None`: never seals). Returns the verifier slots.
fn run_with_verdicts(answers: [Option<Verdict>; 3]) -> Vec<VerifierSlot<AccountId>> {
	ChallengesPerPeriod::set(1);
	network(4, &[1]);
	run_to(10);
	commit_and_reveal(0, &lanes(2, 1));
	let mut vs = challenge(0).verifiers.to_vec();
	vs.sort_by_key(|v| v.owner);
	for (v, a) in vs.iter().zip(answers) {
		if let Some(verdict) = a {
			seal(0, v, verdict);
		}
	}
	let c = challenge(0);
	if answers.iter().any(|a| a.is_none()) {
		// Not every verifier sealed: verdicts open once `seal_by` passed.
		let first = vs.iter().zip(answers).find(|(_, a)| a.is_some()).unwrap();
		assert_noop!(reveal_as(first.0.owner, Verdict::Valid, first.0.owner), Err::SealsPending);
		run_to(c.seal_by + 1);
	}
	for (v, a) in vs.iter().zip(answers) {
		if let Some(verdict) = a {
			open(0, v, verdict);
		}
	}
	if Challenges::<Test>::contains_key(0) {
		run_to(c.judge_by + 1);
	}
	vs
}

#[test]
fn two_honest_verifiers_outvote_a_liar_who_is_slashed() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		let vs = run_with_verdicts([
			Some(Verdict::Invalid),
			Some(Verdict::Invalid),
			Some(Verdict::Valid),
		]);
		assert_eq!(ended(), vec![(0, Outcome::Failed(Failure::WrongLanes))]);
		// The failed provider's 300 goes to the two who found it; the liar loses 10 % of its
		// deposit to the pool; the two are paid their fee.
		assert_eq!(held(1), 700);
		assert_eq!(held(vs[2].owner), 900);
		assert_eq!(Balances::free_balance(vs[0].owner), 10_000 - 1_000 - 10 - 5 + 150 + 7);
		assert_eq!(Balances::free_balance(vs[1].owner), 10_000 - 1_000 - 10 - 5 + 150 + 7);
		assert_eq!(Balances::free_balance(vs[2].owner), 10_000 - 1_000 - 10 - 5);
		assert_eq!(pool(), 500 + 100 - 14);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(0), None);
		assert_eq!(issuance(), before);
	});
}

#[test]
fn a_lying_verifier_cannot_fail_an_honest_machine() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		let vs =
			run_with_verdicts([Some(Verdict::Valid), Some(Verdict::Invalid), Some(Verdict::Valid)]);
		assert_eq!(ended(), vec![(0, Outcome::Passed)]);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(0), Some(1));
		assert_eq!(held(1), 1_000);
		assert_eq!(held(vs[1].owner), 900);
		assert_eq!(issuance(), before);
	});
}

#[test]
fn a_lazy_verifier_loses_chain_contribution_and_a_tie_requeues_the_machine() {
	new_test_ext().execute_with(|| {
		let before = issuance();
		let vs = run_with_verdicts([Some(Verdict::Valid), None, Some(Verdict::Invalid)]);
		assert_eq!(ended(), vec![(0, Outcome::Inconclusive)]);
		// Queued again (and taken by the selection of the block that judged it).
		let queued = attest_events().iter().filter(|e| **e == Event::Queued { machine: 0 }).count();
		assert_eq!(queued, 2, "checked again");
		// A tie: nobody slashed, nobody paid.
		for who in 1..=4 {
			assert_eq!(held(who), 1_000);
		}
		assert_eq!(pool(), 500);
		let lazy = &vs[1];
		let cid = pallet_registry::Machines::<Test>::get(lazy.machine).unwrap().containers[0];
		assert!(attest_events().contains(&Event::VerifierAbsent { id: 0, machine: lazy.machine }));
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Poc(pallet_poc::Event::ChainPenalised { id, points: 50, .. }) if id == cid
		)));
		assert_eq!(issuance(), before);
	});
}

#[test]
fn the_majority_of_those_who_answered_decides() {
	new_test_ext().execute_with(|| {
		let vs = run_with_verdicts([None, Some(Verdict::Invalid), None]);
		assert_eq!(ended(), vec![(0, Outcome::Failed(Failure::WrongLanes))]);
		// The one who answered gets the whole slash.
		assert_eq!(held(1), 700);
		assert_eq!(Balances::free_balance(vs[1].owner), 10_000 - 1_000 - 10 - 5 + 300 + 7);
	});
}

#[test]
fn seals_bind_each_verifier_to_its_own_verdict() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		network(4, &[1]);
		run_to(10);
		commit_and_reveal(0, &lanes(2, 1));
		let c = challenge(0);
		let (a, b) = (&c.verifiers[0], &c.verifiers[1]);
		assert_noop!(Attest::seal_verdict(RuntimeOrigin::signed(1), 0, [0; 32]), Err::NotVerifier);
		seal(0, a, Verdict::Invalid);
		assert_noop!(
			Attest::seal_verdict(RuntimeOrigin::signed(a.owner), 0, [0; 32]),
			Err::AlreadySealed
		);
		// `b` copies `a`'s seal: it opens for `a`'s machine only, never for `b`'s.
		let copied = verdict_seal(0, a.machine, Verdict::Invalid, &[a.owner as u8; 32]);
		assert_ok!(Attest::seal_verdict(RuntimeOrigin::signed(b.owner), 0, copied));
		seal(0, &c.verifiers[2], Verdict::Valid);
		assert_noop!(reveal_as(b.owner, Verdict::Invalid, a.owner), Err::SealMismatch);
		assert_noop!(reveal_as(a.owner, Verdict::Valid, a.owner), Err::SealMismatch);
		open(0, a, Verdict::Invalid);
		assert_noop!(reveal_as(a.owner, Verdict::Invalid, a.owner), Err::VerdictRevealed);
		run_to(c.seal_by);
		System::set_block_number(c.judge_by + 1);
		let last = c.verifiers[2].owner;
		assert_noop!(reveal_as(last, Verdict::Valid, last), Err::TooLate);
	});
}

#[test]
fn a_profile_changed_during_its_challenge_is_not_verified_by_it() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		network(4, &[1]);
		run_to(10);
		assert_ok!(Registry::update_machine(RuntimeOrigin::signed(1), 0, profile(4, 8)));
		assert_eq!(Queue::<Test>::get().to_vec(), vec![0], "the new profile waits its turn");
		commit_and_reveal(0, &lanes(2, 1));
		let c = challenge(0);
		for v in c.verifiers.iter() {
			seal(0, v, Verdict::Valid);
		}
		for v in c.verifiers.iter() {
			open(0, v, Verdict::Valid);
		}
		assert_eq!(ended(), vec![(0, Outcome::Passed)]);
		assert_eq!(pallet_registry::VerifiedMachines::<Test>::get(0), None);
	});
}

#[test]
fn no_verifier_means_no_challenge_yet() {
	new_test_ext().execute_with(|| {
		// One provider alone: its machines cannot verify each other.
		provider_with_machine(1, 2, 4);
		provider_with_machine(1, 2, 4);
		run_to(10);
		assert_eq!(Challenges::<Test>::count(), 0);
		assert_eq!(Queue::<Test>::get().to_vec(), vec![0, 1], "both still wait");
		// A second provider arrives: the first machine is challenged, verified by it.
		let other = provider_with_machine(2, 2, 4);
		run_to(20);
		let c = challenge(0);
		assert_eq!(c.machine, 0);
		assert_eq!(c.verifiers.iter().map(|v| v.machine).collect::<Vec<_>>(), vec![other]);
	});
}

#[test]
fn machines_serving_leases_or_offline_are_not_challenged_now() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let ids = network(4, &[1]);
		let cid = pallet_registry::Machines::<Test>::get(ids[0]).unwrap().containers[0];
		pallet_registry::Pallet::<Test>::set_container_state(
			cid,
			pallet_registry::ContainerState::Serving(1),
		);
		run_to(10);
		// Machine 1 keeps its place; a verified machine is re-checked instead.
		assert_eq!(Queue::<Test>::get().to_vec(), vec![ids[0]]);
		assert_ne!(challenge(0).machine, ids[0]);
	});
}

#[test]
fn governance_pauses_selections_and_open_challenges_finish() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		network(4, &[1, 2]);
		run_to(10);
		assert_eq!(Challenges::<Test>::count(), 1);
		assert_noop!(
			Attest::set_paused(RuntimeOrigin::signed(1), true),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(Attest::set_paused(RuntimeOrigin::root(), true));
		assert!(attest_events().contains(&Event::PausedSet { paused: true }));
		// The open challenge runs out (no probe: late); no new one starts while paused.
		run_to(70);
		assert_eq!(ended().len(), 1);
		assert_eq!(Challenges::<Test>::count(), 0);
		assert_eq!(NextChallengeId::<Test>::get(), 1);
		assert_ok!(Attest::set_paused(RuntimeOrigin::root(), false));
		run_to(80);
		assert_eq!(Challenges::<Test>::count(), 1, "selections resume");
	});
}

#[test]
fn the_migrations_keep_open_challenges_on_the_workload_and_deadline_they_started_with() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let ids = network(4, &[4]);
		run_to(10);
		let started = challenge(0);
		assert_eq!(started.machine, ids[3]);
		// Rewrite it as v0 stored it: no compute rounds, no probe.
		let old = crate::migrations::as_v0::<Test>(&started);
		frame_support::storage::unhashed::put_raw(
			&Challenges::<Test>::hashed_key_for(0),
			&old.encode(),
		);
		StorageVersion::new(0).put::<Attest>();

		crate::migrations::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Attest::on_chain_storage_version(), StorageVersion::new(1));
		let v1 = crate::migrations::v1::Challenges::<Test>::get(0).expect("decodes as v1");
		assert_eq!(v1.rounds, 0, "v0 challenges had no compute part");
		// A second run does nothing.
		crate::migrations::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(crate::migrations::v1::Challenges::<Test>::get(0), Some(v1.clone()));

		crate::migrations::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Attest::on_chain_storage_version(), StorageVersion::new(2));
		let migrated = challenge(0);
		assert_eq!(migrated.params().rounds, 0);
		// Its lanes were already seeded with its seed and deadline: it counts as probed and
		// seeded at its start, so an agent running its lanes finishes them.
		assert_eq!(
			(migrated.probe_by, migrated.probed_at, migrated.seeded_at),
			(started.started, Some(started.started), Some(started.started))
		);
		assert_eq!(crate::migrations::as_v1::<Test>(&migrated), v1);
		assert_ok!(Attest::do_try_state());
		crate::migrations::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(challenge(0), migrated);
		// It runs on: committed by its old deadline, it is picked and revealed as before.
		let l = lanes(2, 1);
		commit_and_reveal(0, &l);
		assert!(challenge(0).revealed);
	});
}

#[test]
fn the_lanes_get_the_probes_time_and_half_again_on_any_core() {
	// A core 1.6× the reference's runs its probe (one lane alone) in 8 blocks, not the 26 a
	// reference lane gets: its lanes side by side get 8 + 4 + 1 blocks. Its real cores run
	// them in 10; twice the cores it has run them in two rounds, 16, and fail (the absolute
	// deadline of a reference lane, 26, let such a claim through on a fast CPU).
	let run = |lanes_blocks: u64| {
		new_test_ext().execute_with(|| {
			ChallengesPerPeriod::set(1);
			network(4, &[1]);
			run_to(10);
			let probe_seed = challenge(0).seed;
			run_to(18);
			probe_and_seed(0);
			let c = challenge(0);
			assert_eq!((c.probed_at, c.seeded_at), (Some(18), Some(20)));
			assert_ne!(c.seed, probe_seed, "the lanes' seed is drawn after the probe");
			assert!(attest_events().contains(&Event::Probed { id: 0, blocks: 8 }));
			assert!(attest_events().contains(&Event::LanesSeeded {
				id: 0,
				seed: c.seed,
				commit_by: 20 + 13
			}));
			assert_eq!((c.reveal_by, c.seal_by, c.judge_by), (37, 63, 67));
			run_to(20 + lanes_blocks);
			assert!(lanes_blocks <= 13 || ended().len() == 1, "failed at commit_by + 1");
			let done = Attest::commit(RuntimeOrigin::signed(1), 0, commitment_of(&c, &lanes(2, 3)));
			run_to(c.commit_by + 1);
			(done, ended(), c.machine)
		})
	};
	let (honest, ended, _) = run(10);
	assert_ok!(honest);
	assert!(ended.is_empty(), "committed in time, the challenge goes on");
	let (twice, ended, machine) = run(16);
	// The hook failed it late at `commit_by + 1`: the commitment has nowhere to go.
	assert_eq!(twice, Err(Err::UnknownChallenge.into()));
	assert_eq!(ended, vec![(machine, Outcome::Failed(Failure::Late))]);
}

#[test]
fn the_probe_is_refused_late_and_the_slowest_probe_bounds_the_lanes() {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		network(4, &[1]);
		run_to(10);
		let c = challenge(0);
		// The slowest probe accepted (twice a reference lane) gives the latest lanes' deadline,
		// the one the challenge started with.
		run_to(c.probe_by);
		probe_and_seed(0);
		assert_eq!(challenge(0).commit_by, c.commit_by);
		assert_eq!(challenge(0).judge_by, c.judge_by);
		System::set_block_number(c.probe_by + 1);
		assert_noop!(Attest::probe(RuntimeOrigin::signed(1), 0), Err::AlreadyProbed);
	});
}

/// Runs a challenge of a machine claiming `cores` (4 GiB, provider 1) whose probe is reported
/// `probe` blocks after the start and whose lanes are committed `lanes_blocks` after their
/// seed; three verifiers find it valid. Returns the speed measured, its claimed cores and the
/// capacity PoC scores its container at after its next heartbeat.
fn measured_after(cores: u32, probe: u64, lanes_blocks: u64) -> (u32, u32, u64) {
	new_test_ext().execute_with(|| {
		ChallengesPerPeriod::set(1);
		let m = provider_with_machine(1, cores, 4);
		for who in 2..=4 {
			let id = provider_with_machine(who, 2, 4);
			assert_ok!(Registry::set_hardware_verified(RuntimeOrigin::root(), id, true));
		}
		Queue::<Test>::mutate(|q| q.retain(|x| *x == m));
		run_to(10);
		assert_eq!(challenge(0).machine, m);
		run_to(10 + probe);
		probe_and_seed(0);
		let seeded = challenge(0).seeded_at.unwrap();
		run_to(seeded + lanes_blocks);
		commit_and_reveal(0, &lanes(cores, 1));
		let vs = challenge(0).verifiers.to_vec();
		for v in &vs {
			seal(0, v, Verdict::Valid);
		}
		for v in &vs {
			open(0, v, Verdict::Valid);
		}
		assert_eq!(ended(), vec![(m, Outcome::Passed)]);
		let mhz = pallet_registry::VerifiedCpuMhz::<Test>::get(m).expect("measured");
		assert!(attest_events().contains(&Event::SpeedMeasured {
			id: 0,
			machine: m,
			lanes: cores,
			blocks: lanes_blocks,
			cpu_mhz: mhz
		}));
		// PoC scores the verified machine's cores at the measured speed, not the claimed one.
		run_to(System::block_number() + 10);
		assert_ok!(Registry::heartbeat(RuntimeOrigin::signed(1), m));
		let cid = pallet_registry::Machines::<Test>::get(m).unwrap().containers[0];
		let scored = pallet_poc::Containers::<Test>::get(cid).unwrap().capacity;
		assert_eq!(scored.cpu_mhz, mhz);
		(mhz, cores, scored.measure(uranus_primitives::compute::Resource::Cpu))
	})
}

#[test]
fn a_verified_machine_is_scored_at_the_speed_its_lanes_showed_and_more_cores_gain_nothing() {
	// The honest machine: 2 cores, its probe in 10 blocks, its lanes side by side in 12. A
	// reference lane of its claim takes 2 + 24 blocks with the margin: 1 500 MHz × 26 / 12.
	let (honest, _, honest_cpu) = measured_after(2, 10, 12);
	assert_eq!(honest, 1_500 * 26 / 12);
	// The same hardware claiming 4 cores passes only by reporting its probe late (20) so
	// that its lanes in two rounds (24) fit: its cores count as a quarter of the speed
	// (reference lane 2 + 12 blocks for the smaller lanes, taken in 24), and 4 of them
	// score less than the 2 real ones.
	let (cheat, cores, cheat_cpu) = measured_after(4, 20, 24);
	assert_eq!((cheat, cores), (1_500 * 14 / 24, 4));
	assert!(cheat_cpu < honest_cpu, "{cheat_cpu} ≥ {honest_cpu}");
}
