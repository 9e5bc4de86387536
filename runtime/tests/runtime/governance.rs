//! Community governance: a public referendum on the `root` track, decided by conviction
//! voting, changes `B_Min` (staking's minimum validator bond).

use crate::chain::{account, pair, TestChain};
use codec::Encode;
use frame_support::{traits::Bounded, BoundedVec};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_staking::ConfigOp;
use uranus_runtime::{currency::URA, OriginCaller, Runtime, RuntimeCall};

#[test]
fn a_passed_referendum_changes_the_minimum_validator_bond() {
	let mut chain = TestChain::from_preset("local");
	chain.produce_block(vec![]);
	let new_min = 2_000 * URA;
	let proposal = RuntimeCall::Staking(pallet_staking::Call::set_staking_configs {
		min_nominator_bond: ConfigOp::Noop,
		min_validator_bond: ConfigOp::Set(new_min),
		max_nominator_count: ConfigOp::Noop,
		max_validator_count: ConfigOp::Noop,
		chill_threshold: ConfigOp::Noop,
		min_commission: ConfigOp::Noop,
		max_staked_rewards: ConfigOp::Noop,
	});
	let submit = RuntimeCall::Referenda(pallet_referenda::Call::submit {
		proposal_origin: Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
		proposal: Bounded::Inline(BoundedVec::truncate_from(proposal.encode())),
		enactment_moment: frame_support::traits::schedule::DispatchTime::After(1),
	});
	let alice = pair("//Alice");
	let xt = chain.signed(&alice, submit);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	let deposit =
		RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit { index: 0 });
	let xt = chain.signed(&alice, deposit);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();

	// A wrong origin cannot shortcut it.
	let direct = chain.signed(&alice, proposal.clone());
	assert!(chain.produce_block(vec![direct])[0].clone().unwrap().is_err());

	for who in ["//Alice", "//Bob", "//Charlie"] {
		let vote = RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
			poll_index: 0,
			vote: AccountVote::Standard {
				vote: Vote { aye: true, conviction: Conviction::Locked1x },
				balance: 900_000 * URA,
			},
		});
		let xt = chain.signed(&pair(who), vote);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	chain.execute_with(|| {
		assert_eq!(pallet_staking::MinValidatorBond::<Runtime>::get(), 1_000 * URA);
	});
	// Support needed falls from 50 % to 5 % over the 60-block decision period; the ayes hold
	// ~17 % of the issuance, then 4 blocks of confirmation and the enactment delay.
	chain.produce_blocks(80);
	chain.execute_with(|| {
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(0),
			Some(pallet_referenda::ReferendumInfo::Approved(..))
		));
		assert_eq!(pallet_staking::MinValidatorBond::<Runtime>::get(), new_min);
		// Voters' balances stay locked by conviction, not spent.
		assert!(pallet_balances::Pallet::<Runtime>::free_balance(account("//Bob")) > 900_000 * URA);
	});
}
