//! A real BABE equivocation proof, reported on chain, slashes the offender's bond.

use crate::chain::{account, TestChain};
use frame_support::traits::KeyOwnerProofSystem;
use sp_consensus_babe::{
	digests::{CompatibleDigestItem, PreDigest, SecondaryPlainPreDigest},
	AuthorityPair, EquivocationProof, Slot,
};
use sp_core::Pair;
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::Header as _,
};
use uranus_runtime::{
	configs::staking::SlashDeferDuration, genesis_config_presets::VALIDATOR_BOND, Header,
	Historical, Runtime, RuntimeCall, RuntimeEvent, System, UncheckedExtrinsic,
};

/// Two different headers for the same slot, both sealed by `offender`.
fn equivocating_headers(
	offender: &AuthorityPair,
	index: u32,
	slot: Slot,
	number: u32,
) -> (Header, Header) {
	let make = |state_byte: u8| {
		let pre =
			PreDigest::SecondaryPlain(SecondaryPlainPreDigest { authority_index: index, slot });
		let mut header = Header::new(
			number,
			Default::default(),
			sp_core::H256::repeat_byte(state_byte),
			Default::default(),
			Digest { logs: vec![DigestItem::babe_pre_digest(pre)] },
		);
		let seal = DigestItem::babe_seal(offender.sign(header.hash().as_ref()));
		header.digest_mut().push(seal);
		header
	};
	(make(1), make(2))
}

/// A report of `//Alice` equivocating in the current slot, built against the current state:
/// two sealed headers and a historical key-ownership proof, as the node would submit it.
fn alice_equivocation_report() -> RuntimeCall {
	let alice_stash = account("//Alice//stash");
	let alice_babe = AuthorityPair::from_string("//Alice", None).unwrap();
	let validators = pallet_session::Validators::<Runtime>::get();
	let index = validators.iter().position(|v| v == &alice_stash).unwrap() as u32;
	let slot = pallet_babe::CurrentSlot::<Runtime>::get();
	let (first, second) = equivocating_headers(&alice_babe, index, slot, System::block_number());
	let proof = EquivocationProof {
		offender: alice_babe.public(),
		slot,
		first_header: first,
		second_header: second,
	};
	let key_owner_proof =
		Historical::prove((sp_consensus_babe::KEY_TYPE, alice_babe.public())).unwrap();
	RuntimeCall::Babe(pallet_babe::Call::report_equivocation_unsigned {
		equivocation_proof: Box::new(proof),
		key_owner_proof,
	})
}

#[test]
fn babe_equivocation_report_slashes_the_offender() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_blocks(2);
	let alice_stash = account("//Alice//stash");
	let (call, bonded_before) = chain.execute_with(|| {
		let bonded = pallet_staking::Ledger::<Runtime>::get(&alice_stash).unwrap().active;
		(alice_equivocation_report(), bonded)
	});
	assert_eq!(bonded_before, VALIDATOR_BOND);

	// The report is an unsigned extrinsic included in a block, as the node submits it.
	let results = chain.produce_block(vec![UncheckedExtrinsic::new_bare(call.clone())]);
	results[0].clone().expect("report is valid").expect("report dispatches");

	chain.execute_with(|| {
		let events: Vec<_> = System::events().into_iter().map(|r| r.event).collect();
		assert!(events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Offences(pallet_offences::Event::Offence { kind, .. })
				if kind == b"babe:equivocatio"
		)));
		assert!(events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Staking(pallet_staking::Event::SlashReported { validator, .. })
				if validator == &alice_stash
		)));
	});

	if SlashDeferDuration::get() == 0 {
		// Applied immediately: 1 of 4 validators equivocated → (3·1/4)² = 56.25% slashed.
		chain.execute_with(|| {
			let bonded = pallet_staking::Ledger::<Runtime>::get(&alice_stash).unwrap().active;
			let expected =
				VALIDATOR_BOND - sp_runtime::Perbill::from_rational(9u32, 16u32) * VALIDATOR_BOND;
			assert_eq!(bonded, expected, "the offender's bond is slashed");
			assert!(System::events().iter().any(|r| matches!(
				&r.event,
				RuntimeEvent::Staking(pallet_staking::Event::Slashed { staker, .. }) if staker == &alice_stash
			)));
		});
	} else {
		// Deferred for governance review: the slash is queued against the offender.
		chain.execute_with(|| {
			let queued = pallet_staking::UnappliedSlashes::<Runtime>::iter()
				.any(|(_, slashes)| slashes.iter().any(|s| s.validator == alice_stash));
			assert!(queued, "the slash is queued");
		});
	}

	// The same report again is a duplicate and is refused.
	let again = chain.produce_block(vec![UncheckedExtrinsic::new_bare(call)]);
	assert!(again[0].is_err() || again[0].clone().unwrap().is_err());
}

#[test]
fn a_lender_is_slashed_with_its_validator() {
	use crate::chain::pair;
	use uranus_runtime::currency::URA;
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let alice_stash = account("//Alice//stash");
	let ferdie = account("//Ferdie");
	// Ferdie lends 10,000 URA to Alice's validator.
	for call in [
		RuntimeCall::Staking(pallet_staking::Call::bond {
			value: 10_000 * URA,
			payee: pallet_staking::RewardDestination::Staked,
		}),
		RuntimeCall::Staking(pallet_staking::Call::nominate {
			targets: vec![alice_stash.clone().into()],
		}),
	] {
		let xt = chain.signed(&pair("//Ferdie"), call);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	// Once the next era is active, Ferdie's stake is part of Alice's exposure.
	let era = chain.execute_with(|| pallet_staking::ActiveEra::<Runtime>::get().unwrap().index);
	chain.run_to_active_era(era + 2);
	chain.produce_blocks(1);
	let call = chain.execute_with(|| {
		let era = pallet_staking::ActiveEra::<Runtime>::get().unwrap().index;
		let overview =
			pallet_staking::ErasStakersOverview::<Runtime>::get(era, &alice_stash).unwrap();
		assert_eq!(overview.total, VALIDATOR_BOND + 10_000 * URA, "Vt = Vb + Lb");
		alice_equivocation_report()
	});
	chain.produce_block(vec![UncheckedExtrinsic::new_bare(call)])[0].clone().unwrap().unwrap();
	if SlashDeferDuration::get() == 0 {
		chain.execute_with(|| {
			let fraction = sp_runtime::Perbill::from_rational(9u32, 16u32);
			let lender = pallet_staking::Ledger::<Runtime>::get(&ferdie).unwrap().active;
			assert_eq!(
				lender,
				10_000 * URA - fraction * (10_000 * URA),
				"the lender shares the slash"
			);
			let validator = pallet_staking::Ledger::<Runtime>::get(&alice_stash).unwrap().active;
			assert_eq!(validator, VALIDATOR_BOND - fraction * VALIDATOR_BOND);
		});
	}
}
