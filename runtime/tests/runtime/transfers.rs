//! Transfers and fees through `frame-executive`, and session rotation.

use crate::chain::{account, pair, TestChain};
use frame_support::traits::fungible::Inspect;
use uranus_runtime::{currency::URA, Balances, Runtime, RuntimeCall, RuntimeEvent, System};

#[test]
fn signed_transfer_moves_funds_and_charges_a_fee() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let alice = pair("//Alice");
	let bob = account("//Bob");
	let (alice_before, bob_before) =
		chain.execute_with(|| (Balances::balance(&account("//Alice")), Balances::balance(&bob)));

	let amount = 42 * URA;
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: bob.clone().into(),
		value: amount,
	});
	let xt = chain.signed(&alice, call);
	let results = chain.produce_block(vec![xt]);
	assert_eq!(results.len(), 1);
	results[0].clone().expect("valid transaction").expect("dispatch succeeds");

	chain.execute_with(|| {
		let fee = System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::TransactionPayment(
					pallet_transaction_payment::Event::TransactionFeePaid {
						actual_fee, who, ..
					},
				) if who == account("//Alice") => Some(actual_fee),
				_ => None,
			})
			.expect("fee event");
		assert!(fee > 0, "a fee is charged");
		assert_eq!(Balances::balance(&bob), bob_before + amount);
		assert_eq!(Balances::balance(&account("//Alice")), alice_before - amount - fee);
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Balances(pallet_balances::Event::Transfer { .. })
		)));
		assert_eq!(System::account_nonce(account("//Alice")), 1);
	});
}

#[test]
fn transfer_with_a_bad_signature_is_rejected_and_charges_nothing() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: account("//Bob").into(),
		value: URA,
	});
	// Signed by Bob's key but claiming to be Alice.
	let mut xt = chain.signed(&pair("//Bob"), call);
	if let sp_runtime::generic::Preamble::Signed(ref mut who, _, _) = xt.preamble {
		*who = account("//Alice").into();
	}
	let before = chain.execute_with(|| Balances::balance(&account("//Alice")));
	let results = chain.produce_block(vec![xt]);
	assert!(results[0].is_err(), "invalid signature is rejected: {:?}", results[0]);
	chain.execute_with(|| assert_eq!(Balances::balance(&account("//Alice")), before));
}

#[test]
fn sessions_rotate_with_babe_epochs() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let start = chain.execute_with(|| pallet_session::CurrentIndex::<Runtime>::get());
	chain.run_to_session(start + 2);
	chain.execute_with(|| {
		assert_eq!(pallet_session::CurrentIndex::<Runtime>::get(), start + 2);
		assert!(pallet_babe::EpochIndex::<Runtime>::get() >= 2);
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 4);
	});
}
