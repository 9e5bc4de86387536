//! Hardware attestation in the runtime, block by block: four providers register machines, the
//! hook selects the first for a challenge with verifiers of the others, the machine reports
//! its probe, commits and reveals with signed extrinsics, the verifiers seal and reveal verdicts, and the machine
//! is verified; a machine that never answers fails at its deadline and its provider is slashed
//! into the PoC pool.

use crate::chain::{pair, profile, register_provider_with_machine, TestChain};
use frame_support::BoundedVec;
use pallet_attest::{verdict_seal, Challenges, Event as AttestEvent, Failure, Outcome, Verdict};
use uranus_runtime::{Runtime, RuntimeCall, RuntimeEvent, System, UncheckedExtrinsic};

const MIB: u64 = 1 << 20;

/// Produces a block of `xts`, asserting each dispatched, and returns its events. A block that
/// opens a session is left empty first (its hooks fill it), as a node's pool would carry the
/// transactions to the next.
fn block_events(chain: &mut TestChain, xts: Vec<UncheckedExtrinsic>) -> Vec<RuntimeEvent> {
	// BABE ends an epoch (and the session with it) once a block's slot is an epoch past its
	// start; the harness gives each block the next slot.
	let opens_session = chain.execute_with(|| {
		let next_slot = u64::from(pallet_babe::CurrentSlot::<Runtime>::get()) + 1;
		let start = u64::from(pallet_babe::Pallet::<Runtime>::current_epoch_start());
		next_slot.saturating_sub(start) >= <Runtime as pallet_babe::Config>::EpochDuration::get()
	});
	if opens_session && !xts.is_empty() {
		chain.produce_block(vec![]);
	}
	for r in chain.produce_block(xts) {
		r.expect("valid").expect("dispatched");
	}
	chain.execute_with(|| System::events().into_iter().map(|r| r.event).collect())
}

/// The attestation events among `events`.
fn attest(events: Vec<RuntimeEvent>) -> Vec<AttestEvent<Runtime>> {
	events
		.into_iter()
		.filter_map(|e| match e {
			RuntimeEvent::Attest(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// Produces a block of `xts`, asserting each dispatched, and returns its attestation events.
fn block(chain: &mut TestChain, xts: Vec<UncheckedExtrinsic>) -> Vec<AttestEvent<Runtime>> {
	attest(block_events(chain, xts))
}

/// Produces blocks until one deposits an attestation event `pred` accepts; returns it and
/// all events of its block.
fn until_with(
	chain: &mut TestChain,
	max: u32,
	pred: impl Fn(&AttestEvent<Runtime>) -> bool,
) -> (AttestEvent<Runtime>, Vec<RuntimeEvent>) {
	for _ in 0..max {
		let events = block_events(chain, vec![]);
		if let Some(e) = attest(events.clone()).into_iter().find(|e| pred(e)) {
			return (e, events);
		}
	}
	panic!("no such event within {max} blocks");
}

/// Produces blocks until one deposits an attestation event `pred` accepts; returns it.
fn until(
	chain: &mut TestChain,
	max: u32,
	pred: impl Fn(&AttestEvent<Runtime>) -> bool,
) -> AttestEvent<Runtime> {
	until_with(chain, max, pred).0
}

fn call(c: pallet_attest::Call<Runtime>) -> RuntimeCall {
	RuntimeCall::Attest(c)
}

const PROVIDERS: [&str; 4] = ["//Ferdie", "//Eve", "//Dave", "//Charlie"];

/// The dev seed of provider account `who`.
fn owner_seed(who: &uranus_runtime::AccountId) -> &'static str {
	PROVIDERS.into_iter().find(|s| crate::chain::account(s) == *who).expect("a provider")
}

/// A dev chain where the four providers registered small machines (2 cores, 4 MiB: 1 MiB
/// lanes), run until the first challenge starts; returns the chain and that event.
pub(crate) fn until_first_challenge() -> (TestChain, AttestEvent<Runtime>) {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	for who in PROVIDERS {
		register_provider_with_machine(&mut chain, who, profile(2, 3_000, 4 * MIB, 1 << 30, 1));
	}
	let started = until(&mut chain, 30, |e| matches!(e, AttestEvent::ChallengeStarted { .. }));
	(chain, started)
}

#[test]
fn a_machine_proves_its_claim_to_other_providers_machines_and_is_verified() {
	let (mut chain, started) = until_first_challenge();
	let AttestEvent::ChallengeStarted { id, machine, lanes, verifiers, .. } = started else {
		unreachable!()
	};
	assert_eq!(machine, 0, "the first machine registered is first in line");
	assert_eq!(lanes, 2);
	assert_eq!(verifiers.len(), 3, "one machine of each other provider");
	let probe_seed = chain.execute_with(|| Challenges::<Runtime>::get(id).unwrap().seed);
	let ferdie = pair("//Ferdie");
	// The block after the selection opens a session whose hooks fill it: probe in the next.
	block(&mut chain, vec![]);

	// The machine reports its probe (one lane alone); two blocks later the chain draws the
	// lanes' seed and their deadline from the probe's time.
	let xt = chain.signed(&ferdie, call(pallet_attest::Call::probe { id }));
	let probed = block(&mut chain, vec![xt]);
	assert!(probed.iter().any(|e| matches!(e, AttestEvent::Probed { id: i, .. } if *i == id)));
	let seeded = until(&mut chain, 3, |e| matches!(e, AttestEvent::LanesSeeded { .. }));
	let c = chain.execute_with(|| Challenges::<Runtime>::get(id).unwrap());
	assert_eq!(seeded, AttestEvent::LanesSeeded { id, seed: c.seed, commit_by: c.commit_by });
	assert_ne!(c.seed, probe_seed, "the lanes' seed did not exist before the probe");

	// The machine commits to its lanes, then reveals them after the picks.
	let revealed: pallet_attest::LanesOf = BoundedVec::truncate_from(vec![[1u8; 32], [2u8; 32]]);
	let commitment = uranus_primitives::challenge::commitment(&c.seed, &revealed);
	let xt = chain.signed(&ferdie, call(pallet_attest::Call::commit { id, commitment }));
	assert!(block(&mut chain, vec![xt]).contains(&AttestEvent::Committed { id, commitment }));
	until(&mut chain, 3, |e| matches!(e, AttestEvent::LanesPicked { .. }));
	let xt = chain.signed(&ferdie, call(pallet_attest::Call::reveal { id, lanes: revealed }));
	assert!(block(&mut chain, vec![xt]).contains(&AttestEvent::LanesRevealed { id }));

	// Each verifier seals, then reveals, its verdict: all valid.
	let c = chain.execute_with(|| Challenges::<Runtime>::get(id).unwrap());
	let mut seals = Vec::new();
	let mut opens = Vec::new();
	for v in c.verifiers.iter() {
		let seed = owner_seed(&v.owner);
		let salt = [v.machine as u8; 32];
		let seal = verdict_seal(id, v.machine, Verdict::Valid, &salt);
		seals.push(chain.signed(&pair(seed), call(pallet_attest::Call::seal_verdict { id, seal })));
		opens.push((seed, salt));
	}
	block(&mut chain, seals);
	// One verdict a block: each may be the last, whose weight covers a whole judgement.
	let mut events = Vec::new();
	for (seed, salt) in opens {
		let open = call(pallet_attest::Call::reveal_verdict { id, verdict: Verdict::Valid, salt });
		let xt = chain.signed(&pair(seed), open);
		events = block(&mut chain, vec![xt]);
	}
	assert!(events.contains(&AttestEvent::ChallengeEnded {
		id,
		machine,
		outcome: Outcome::Passed
	}));
	chain.execute_with(|| {
		assert_eq!(pallet_registry::VerifiedMachines::<Runtime>::get(machine), Some(1));
		assert!(Challenges::<Runtime>::get(id).is_none());
		pallet_attest::Pallet::<Runtime>::do_try_state().expect("books consistent");
	});
}

#[test]
fn a_machine_that_never_answers_fails_at_its_deadline_and_is_slashed() {
	let (mut chain, started) = until_first_challenge();
	let AttestEvent::ChallengeStarted { id, machine, .. } = started else { unreachable!() };
	let (provider, deposit) = chain.execute_with(|| {
		let provider = Challenges::<Runtime>::get(id).unwrap().provider;
		let deposit = pallet_registry::Providers::<Runtime>::get(&provider).unwrap().deposit;
		(provider, deposit)
	});
	// No probe by `probe_by` (twice a reference lane after the start): late.
	let probe_by = chain.execute_with(|| Challenges::<Runtime>::get(id).unwrap().probe_by);
	let (ended, events) =
		until_with(&mut chain, 60, |e| matches!(e, AttestEvent::ChallengeEnded { .. }));
	assert_eq!(chain.execute_with(System::block_number), probe_by + 1);
	assert_eq!(
		ended,
		AttestEvent::ChallengeEnded { id, machine, outcome: Outcome::Failed(Failure::Late) }
	);
	let pot = pallet_poc::Pallet::<Runtime>::pot();
	let slash = deposit / 10;
	assert!(events.contains(&RuntimeEvent::Registry(pallet_registry::Event::ProviderSlashed {
		who: provider.clone(),
		amount: slash,
		to: pot,
	})));
	assert!(events.contains(&RuntimeEvent::Poc(pallet_poc::Event::PoolFunded { amount: slash })));
	chain.execute_with(|| {
		let after = pallet_registry::Providers::<Runtime>::get(&provider).unwrap().deposit;
		assert_eq!(deposit - after, slash, "10 % of the provider deposit");
		assert_eq!(pallet_registry::VerifiedMachines::<Runtime>::get(machine), None);
		pallet_attest::Pallet::<Runtime>::do_try_state().expect("books consistent");
	});
}
