//! The market in the runtime, with signed extrinsics only: Ferdie offers a container, Dave
//! publishes an image that sudo verifies, Eve orders it; the lease is made on Ferdie's
//! container at the σ-scaled genesis prices, acknowledged, metered and completed, and the
//! escrow ends exactly with Ferdie, the pot, Dave and Eve.

use crate::chain::{
	account, offer_whole_machine, ok, one_core_spec, order_one_core, publish_verified_image,
	twice_the_base_prices, TestChain,
};
use frame_support::{traits::fungible::InspectHold, BoundedVec};
use pallet_market::{LeaseState, Usage};
use uranus_runtime::{Balances, Market, Runtime, RuntimeCall, RuntimeEvent};

const GIB: u64 = 1 << 30;

fn market_events(chain: &mut TestChain) -> Vec<pallet_market::Event<Runtime>> {
	chain.execute_with(|| {
		frame_system::Pallet::<Runtime>::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Market(e) => Some(e),
				_ => None,
			})
			.collect()
	})
}

#[test]
fn an_order_is_leased_metered_and_settled_exactly() {
	let mut chain = TestChain::from_preset("dev");
	chain.produce_block(vec![]);
	offer_whole_machine(&mut chain, "//Ferdie", 100 * GIB, 10_000_000);
	let digest = [0xbb; 32];
	let fee = 1_000_000_000; // 1 mURA per lease.
	publish_verified_image(&mut chain, digest, fee);

	let base = uranus_runtime::genesis_config_presets::market_base_prices();
	let eve = account("//Eve");
	let dave_before = chain.execute_with(|| Balances::free_balance(account("//Dave")));
	order_one_core(&mut chain, "//Eve", digest, &["/bin/sh", "-c", "echo hi"]);
	let escrow = chain.execute_with(|| {
		let lease = pallet_market::Leases::<Runtime>::get(0).expect("a lease at once");
		assert_eq!(lease.provider, account("//Ferdie"));
		assert_eq!(lease.container, 1_000);
		assert_eq!(lease.state, LeaseState::Assigned);
		// σ = 1.0 at genesis: the lease gets the base prices.
		assert_eq!(lease.prices, base);
		<Balances as InspectHold<_>>::balance_on_hold(&escrow_reason(), &eve)
	});
	// 100 blocks × 3 s at the caps + the image fee.
	assert_eq!(
		escrow,
		pallet_market::pricing::worst_cost(&one_core_spec(), 300, &twice_the_base_prices()) + fee
	);

	ok(&mut chain, "//Ferdie", RuntimeCall::Market(pallet_market::Call::ack_lease { lease: 0 }));
	let usage = Usage {
		cpu_micros: 2_500_000,
		memory_byte_seconds: 3 * GIB,
		net_bytes: 4 << 20,
		wall_millis: 5_000,
	};
	ok(
		&mut chain,
		"//Ferdie",
		RuntimeCall::Market(pallet_market::Call::report_metering { lease: 0, seq: 1, usage }),
	);
	let mut events = market_events(&mut chain);
	ok(
		&mut chain,
		"//Ferdie",
		RuntimeCall::Market(pallet_market::Call::complete_lease {
			lease: 0,
			seq: 2,
			usage,
			exit_code: 0,
			result: BoundedVec::new(),
		}),
	);
	events.extend(market_events(&mut chain));
	let charged = pallet_market::pricing::cost(&usage, GIB, &base);
	assert!(charged > 0);
	let protocol = charged / 20;
	chain.execute_with(|| {
		let lease = pallet_market::Leases::<Runtime>::get(0).unwrap();
		assert_eq!((lease.state, lease.charged), (LeaseState::Completed, charged));
		assert_eq!(<Balances as InspectHold<_>>::balance_on_hold(&escrow_reason(), &eve), 0);
		// The order's storage deposit stays held until the order is reaped.
		assert_eq!(
			<Balances as InspectHold<_>>::total_balance_on_hold(&eve),
			<uranus_runtime::configs::market::OrderDeposit as frame_support::traits::Get<u128>>::get()
		);
		let ed = uranus_runtime::currency::EXISTENTIAL_DEPOSIT;
		// The protocol fees passed through the market pot: half to the PoC reward pool, the
		// rest to the treasury.
		assert_eq!(Balances::free_balance(Market::pot()), ed, "the pot keeps its ED");
		let to_pool: u128 = events
			.iter()
			.filter_map(|e| match e {
				pallet_market::Event::Charged { fee, .. } => Some(fee / 2),
				_ => None,
			})
			.sum();
		assert_eq!(pallet_poc::Open::<Runtime>::get().pool, to_pool);
		let treasury = uranus_runtime::configs::treasury::TreasuryAccount::get();
		assert_eq!(Balances::free_balance(treasury), ed + protocol - to_pool);
		assert_eq!(Balances::free_balance(account("//Dave")), dave_before + fee);
	});
	// Ferdie received exactly charged − 5% (his own transaction fees aside).
	let received: u128 = events
		.iter()
		.filter_map(|e| match e {
			pallet_market::Event::Charged { amount, fee, .. } => Some(amount - fee),
			_ => None,
		})
		.sum();
	assert_eq!(received, charged - protocol);
	let refund = events.iter().find_map(|e| match e {
		pallet_market::Event::LeaseEnded { refund, .. } => Some(*refund),
		_ => None,
	});
	assert_eq!(refund, Some(escrow - charged - fee));
}

/// Why the market holds a user's funds as escrow.
fn escrow_reason() -> uranus_runtime::RuntimeHoldReason {
	pallet_market::HoldReason::Escrow.into()
}
