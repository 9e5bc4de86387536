//! Community governance: public referenda on the `root` track, decided by conviction voting,
//! change `B_Min` (staking's minimum validator bond) and upgrade the runtime without stopping
//! the chain (authorize the new code's hash, then anyone applies the code).

use crate::chain::{account, pair, TestChain};
use codec::Encode;
use frame_support::{traits::Bounded, BoundedVec};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_staking::ConfigOp;
use sp_core::{
	traits::{ReadRuntimeVersion, ReadRuntimeVersionExt},
	Hasher,
};
use sp_runtime::{traits::BlakeTwo256, DispatchError};
use uranus_runtime::{currency::URA, OriginCaller, Runtime, RuntimeCall, RuntimeEvent, System};

/// Submits `proposal` as referendum `index` on the `root` track, places its decision deposit,
/// checks that Alice cannot dispatch it herself, and votes aye with 900,000 URA each from
/// Alice, Bob and Charlie (~17 % of the issuance). Then runs the 80 blocks it needs: support
/// needed falls from 50 % to 5 % over the 60-block decision period, then 4 blocks of
/// confirmation and the enactment delay.
fn pass_root_referendum(chain: &mut TestChain, index: u32, proposal: RuntimeCall) {
	let submit = RuntimeCall::Referenda(pallet_referenda::Call::submit {
		proposal_origin: Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
		proposal: Bounded::Inline(BoundedVec::truncate_from(proposal.encode())),
		enactment_moment: frame_support::traits::schedule::DispatchTime::After(1),
	});
	let alice = pair("//Alice");
	let xt = chain.signed(&alice, submit);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	let deposit = RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit { index });
	let xt = chain.signed(&alice, deposit);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();

	// A wrong origin cannot shortcut it.
	let direct = chain.signed(&alice, proposal);
	assert_eq!(
		chain.produce_block(vec![direct])[0].clone().unwrap(),
		Err(DispatchError::BadOrigin)
	);

	for who in ["//Alice", "//Bob", "//Charlie"] {
		let vote = RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
			poll_index: index,
			vote: AccountVote::Standard {
				vote: Vote { aye: true, conviction: Conviction::Locked1x },
				balance: 900_000 * URA,
			},
		});
		let xt = chain.signed(&pair(who), vote);
		chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	}
	chain.produce_blocks(80);
	chain.execute_with(|| {
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(pallet_referenda::ReferendumInfo::Approved(..))
		));
	});
}

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
	chain.execute_with(|| {
		assert_eq!(pallet_staking::MinValidatorBond::<Runtime>::get(), 1_000 * URA);
	});
	pass_root_referendum(&mut chain, 0, proposal);
	chain.execute_with(|| {
		assert_eq!(pallet_staking::MinValidatorBond::<Runtime>::get(), new_min);
		// Voters' balances stay locked by conviction, not spent.
		assert!(pallet_balances::Pallet::<Runtime>::free_balance(account("//Bob")) > 900_000 * URA);
	});
}

/// Reads a runtime's version the way the node does: from the Wasm's `runtime_version` section.
struct EmbeddedVersion;

impl ReadRuntimeVersion for EmbeddedVersion {
	fn read_runtime_version(
		&self,
		wasm_code: &[u8],
		_ext: &mut dyn sp_externalities::Externalities,
	) -> Result<Vec<u8>, String> {
		let blob = sc_executor_common::runtime_blob::RuntimeBlob::uncompress_if_needed(wasm_code)
			.map_err(|e| e.to_string())?;
		sc_executor::read_embedded_version(&blob)
			.map_err(|e| e.to_string())?
			.map(|v| v.encode())
			.ok_or_else(|| "no runtime_version section".into())
	}
}

/// This build's runtime Wasm with its embedded version raised to `spec_version` + 1: the code
/// of a runtime N+1, as an upgrade proposal carries it (compressed). Its code is runtime N's,
/// which these native tests never execute; the node-level upgrade from a previous release runs
/// in zombienet (`zombienet/upgrade.zndsl`).
fn next_runtime_code() -> Vec<u8> {
	let compressed = uranus_runtime::WASM_BINARY
		.expect("the runtime Wasm: run these tests without SKIP_WASM_BUILD");
	let wasm = sp_maybe_compressed_blob::decompress(compressed, 64 << 20).expect("decompresses");
	let mut version = uranus_runtime::VERSION;
	version.spec_version += 1;
	let wasm = sp_version::embed::embed_runtime_version(&wasm, version).expect("embeds");
	sp_maybe_compressed_blob::compress_strongly(&wasm, 64 << 20).expect("compresses")
}

/// Whether `System::AuthorizedUpgrade` (private to frame-system) holds an authorization.
fn upgrade_authorized() -> bool {
	frame_support::storage::unhashed::exists(&frame_support::storage::storage_prefix(
		b"System",
		b"AuthorizedUpgrade",
	))
}

fn system_events() -> Vec<RuntimeEvent> {
	System::events().into_iter().map(|r| r.event).collect()
}

#[test]
fn a_passed_referendum_upgrades_the_runtime_and_only_to_the_authorized_code() {
	let mut chain = TestChain::from_preset("local");
	chain.ext.register_extension(ReadRuntimeVersionExt::new(EmbeddedVersion));
	chain.produce_block(vec![]);
	let code = next_runtime_code();
	let code_hash = BlakeTwo256::hash(&code);
	let alice = pair("//Alice");
	let apply = |code: &[u8]| {
		RuntimeCall::System(frame_system::Call::apply_authorized_upgrade { code: code.to_vec() })
	};

	// Nobody can set the code or apply an upgrade that governance has not authorized.
	let set_code = chain
		.signed(&alice, RuntimeCall::System(frame_system::Call::set_code { code: code.clone() }));
	assert_eq!(
		chain.produce_block(vec![set_code])[0].clone().unwrap(),
		Err(DispatchError::BadOrigin)
	);
	let early = chain.signed(&alice, apply(&code));
	assert_eq!(
		chain.produce_block(vec![early])[0].clone().unwrap(),
		Err(frame_system::Error::<Runtime>::NothingAuthorized.into())
	);

	pass_root_referendum(
		&mut chain,
		0,
		RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash }),
	);
	chain.execute_with(|| {
		// Enacted a few blocks ago (its `UpgradeAuthorized` event is gone with that block).
		assert!(upgrade_authorized());
	});

	// Other code than the authorized hash is refused and leaves the authorization standing.
	let other = chain.signed(&alice, apply(uranus_runtime::WASM_BINARY.unwrap()));
	assert_eq!(
		chain.produce_block(vec![other])[0].clone().unwrap(),
		Err(frame_system::Error::<Runtime>::Unauthorized.into())
	);
	let old_code =
		chain.execute_with(|| sp_io::storage::get(sp_core::storage::well_known_keys::CODE));

	// Anyone may apply the authorized code; it becomes the chain's code in that block.
	let bob = pair("//Bob");
	let xt = chain.signed(&bob, apply(&code));
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
	chain.execute_with(|| {
		assert!(system_events()
			.contains(&RuntimeEvent::System(frame_system::Event::CodeUpdated { hash: code_hash })));
		let stored = sp_io::storage::get(sp_core::storage::well_known_keys::CODE).unwrap();
		assert_eq!(stored.as_ref(), code.as_slice());
		assert_ne!(old_code.as_deref(), Some(code.as_slice()));
		assert!(!upgrade_authorized());
	});
}
