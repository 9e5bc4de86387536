//! # Runtime fuzzer
//!
//! Drives the **real** Uranus runtime (the native build of `uranus-runtime`, the same code
//! as its Wasm) the way a chain does, in the manner of SRLabs' substrate-runtime-fuzzer:
//!
//! - **Input** bytes decode into a sequence of `(lapse: u8, origin: u8, call: RuntimeCall)`
//!   (SCALE, calls with a nesting limit of [`MAX_DEPTH`]). `lapse % `[`MAX_LAPSE`] blocks are
//!   closed before the call (0: the call joins the current block). At most [`MAX_CALLS`]
//!   calls and [`MAX_BLOCKS`] blocks an input.
//! - **Origins**: `origin % 7` picks one of six funded dev accounts (Alice … Ferdie) that
//!   signs the call, or root. Root calls go through `sudo` signed by a key no other origin
//!   holds, and only those [`root_allowed`] lets through (the admin surface of our pallets);
//!   `sudo` itself, inherents and calls wrapping them are never submitted by a signed origin.
//! - **Blocks** get a BABE secondary pre-digest and a timestamp inherent; every call is a
//!   signed extrinsic applied by `Executive::apply_extrinsic`, so it passes the runtime's
//!   transaction extensions (signature, era, nonce, fees, weight) before dispatch and after.
//!   A call that does not fit the block's weight is refused by them and skipped.
//! - **After every block** the [`check`] invariants must hold: total issuance is the sum of
//!   every account's free and reserved balance, the books of the market, registry, PoC and
//!   DPoS balance (`do_try_state` of each), and the block's normal-class weight stays within
//!   its limit. A violation panics: that is the crash the fuzzing engine reports.
//!
//! `make fuzz` runs the libFuzzer engine on it (`fuzz_targets/runtime.rs`); `make test` runs
//! the committed corpus (`fuzz/corpus/runtime`) and a fixed number of deterministic
//! mutations of it (`tests/corpus.rs`).

pub mod seeds;

use codec::{DecodeLimit, Encode};
use frame_support::dispatch::DispatchClass;
use sp_consensus_babe::{
	digests::{PreDigest, SecondaryPlainPreDigest},
	Slot, BABE_ENGINE_ID,
};
use sp_core::{sr25519, Pair};
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::{Header as _, IdentifyAccount, Verify},
	BuildStorage,
};
use uranus_runtime::{
	genesis_config_presets, time::SLOT_DURATION, AccountId, Executive, Header, Runtime,
	RuntimeCall, RuntimeGenesisConfig, SignedPayload, UncheckedExtrinsic,
};

/// Nesting limit when decoding a call (batches of batches …).
pub const MAX_DEPTH: u32 = 8;
/// Most calls one input submits.
pub const MAX_CALLS: usize = 96;
/// Most blocks one input builds.
pub const MAX_BLOCKS: u32 = 160;
/// `lapse % MAX_LAPSE` blocks are closed before a call.
pub const MAX_LAPSE: u8 = 32;
/// The dev accounts that sign calls (index = `origin % 7`; 6 is root).
pub const SIGNERS: [&str; 6] = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];
/// The sudo key of the fuzzed chain: held by no signing origin.
pub const ROOT_SEED: &str = "//UranusFuzzRoot";

/// What one input did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
	/// Blocks built.
	pub blocks: u32,
	/// Calls decoded and submitted.
	pub submitted: u32,
	/// Extrinsics that dispatched successfully.
	pub succeeded: u32,
	/// Extrinsics the transaction extensions refused (bad nonce, fees, weight …).
	pub invalid: u32,
	/// Calls left out (forbidden, or root calls outside the allowed subset).
	pub filtered: u32,
}

/// A chain under fuzzing: state in test externalities, driven block by block.
pub struct Chain {
	ext: sp_io::TestExternalities,
	last_header: Option<Header>,
	next_slot: u64,
	signers: Vec<sr25519::Pair>,
	root: sr25519::Pair,
	pending: Vec<UncheckedExtrinsic>,
	/// Extrinsics queued in the current block per signer (signers 0–5, root 6): the nonce
	/// offset of the next one.
	queued: [u32; 7],
	outcome: Outcome,
}

/// Merges JSON `patch` into `base` the way the node applies a preset to the default config.
fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
			for (k, v) in p {
				json_merge(b.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(b, p) => *b = p,
	}
}

/// The `dev` chain's genesis with the fuzzing root key as sudo (funded).
fn genesis(root: &AccountId) -> sp_runtime::Storage {
	let patch = genesis_config_presets::get_preset(&genesis_config_presets::DEV_PRESET.into())
		.expect("dev");
	let mut patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
	patch["sudo"]["key"] = serde_json::json!(root);
	patch["balances"]["balances"]
		.as_array_mut()
		.expect("dev funds accounts")
		.push(serde_json::json!([root, genesis_config_presets::ENDOWMENT]));
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("genesis decodes");
	config.build_storage().expect("genesis builds")
}

/// The dev key pair of `seed`.
pub fn pair(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(seed, None).expect("valid seed")
}

/// The account of `pair`.
pub fn account_of(pair: &sr25519::Pair) -> AccountId {
	<uranus_runtime::Signature as Verify>::Signer::from(pair.public()).into_account()
}

/// Whether a signed origin may submit `call`: never `sudo`, never an inherent, never a call
/// wrapping one of them.
pub fn forbidden(call: &RuntimeCall) -> bool {
	use pallet_utility::Call as U;
	match call {
		RuntimeCall::Sudo(_) | RuntimeCall::Timestamp(_) => true,
		RuntimeCall::Utility(U::batch { calls })
		| RuntimeCall::Utility(U::batch_all { calls })
		| RuntimeCall::Utility(U::force_batch { calls }) => calls.iter().any(forbidden),
		RuntimeCall::Utility(U::as_derivative { call, .. })
		| RuntimeCall::Utility(U::with_weight { call, .. })
		| RuntimeCall::Utility(U::dispatch_as { call, .. }) => forbidden(call),
		RuntimeCall::Utility(U::if_else { main, fallback }) => {
			forbidden(main) || forbidden(fallback)
		},
		RuntimeCall::Utility(U::dispatch_as_fallible { call, .. }) => forbidden(call),
		_ => false,
	}
}

/// The root calls the fuzzer may make (through `sudo`): the admin surface of our pallets,
/// which the market's and registry's books must survive.
pub fn root_allowed(call: &RuntimeCall) -> bool {
	matches!(
		call,
		RuntimeCall::Market(pallet_market::Call::set_base_prices { .. })
			| RuntimeCall::Market(pallet_market::Call::resolve_dispute { .. })
			| RuntimeCall::Registry(pallet_registry::Call::verify_image { .. })
			| RuntimeCall::Poc(_)
	)
}

impl Chain {
	/// A fresh `dev` chain at block 0.
	pub fn new() -> Self {
		let root = pair(ROOT_SEED);
		let ext = sp_io::TestExternalities::new(genesis(&account_of(&root)));
		Chain {
			ext,
			last_header: None,
			next_slot: 1_000,
			signers: SIGNERS.iter().map(|s| pair(s)).collect(),
			root,
			pending: Vec::new(),
			queued: [0; 7],
			outcome: Outcome::default(),
		}
	}

	/// What the chain did so far.
	pub fn outcome(&self) -> &Outcome {
		&self.outcome
	}

	/// Runs `f` against the chain state.
	pub fn execute_with<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	/// Queues `call` from origin `origin` (see the module docs) for the current block.
	pub fn submit(&mut self, origin: u8, call: RuntimeCall) {
		let index = (origin % 7) as usize;
		let (signer, call) = if index == SIGNERS.len() {
			if !root_allowed(&call) {
				self.outcome.filtered += 1;
				return;
			}
			let sudo = RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) });
			(self.root.clone(), sudo)
		} else {
			if forbidden(&call) {
				self.outcome.filtered += 1;
				return;
			}
			(self.signers[index].clone(), call)
		};
		let nonce_offset = self.queued[index];
		self.queued[index] += 1;
		let xt = self.ext.execute_with(|| sign(&signer, call, nonce_offset));
		self.pending.push(xt);
		self.outcome.submitted += 1;
	}

	/// Closes the current block (its queued extrinsics applied), then checks the invariants.
	pub fn close_block(&mut self) {
		let xts = core::mem::take(&mut self.pending);
		self.queued = [0; 7];
		let slot = self.next_slot;
		self.next_slot += 1;
		let parent = self.last_header.clone();
		let mut outcome = self.outcome.clone();
		let header = self.ext.execute_with(|| {
			let (number, parent_hash) = match &parent {
				Some(h) => (h.number() + 1, h.hash()),
				None => (1, frame_system::Pallet::<Runtime>::block_hash(0)),
			};
			let validators = pallet_session::Validators::<Runtime>::get().len() as u64;
			let pre = PreDigest::SecondaryPlain(SecondaryPlainPreDigest {
				authority_index: (slot % validators.max(1)) as u32,
				slot: Slot::from(slot),
			});
			let digest =
				Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre.encode())] };
			let header =
				Header::new(number, Default::default(), Default::default(), parent_hash, digest);
			Executive::initialize_block(&header);
			let now = slot * SLOT_DURATION;
			let inherent =
				UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
					now,
				}));
			Executive::apply_extrinsic(inherent)
				.expect("the timestamp inherent is valid")
				.expect("the timestamp inherent dispatches");
			for xt in xts {
				match Executive::apply_extrinsic(xt) {
					Ok(Ok(())) => outcome.succeeded += 1,
					Ok(Err(_)) => {},
					Err(_) => outcome.invalid += 1,
				}
			}
			check_weight();
			let header = Executive::finalize_block();
			check();
			header
		});
		outcome.blocks += 1;
		self.outcome = outcome;
		self.last_header = Some(header);
	}
}

impl Default for Chain {
	fn default() -> Self {
		Self::new()
	}
}

/// Signs `call` by `signer` against the current state, `offset` transactions after its
/// current nonce (earlier ones of the same block are still queued).
fn sign(signer: &sr25519::Pair, call: RuntimeCall, offset: u32) -> UncheckedExtrinsic {
	let who = account_of(signer);
	let nonce = frame_system::Pallet::<Runtime>::account_nonce(&who) + offset;
	// Immortal: the genesis hash is always known, whichever block the call lands in.
	let ext = uranus_runtime::tx_extension(Era::Immortal, nonce, 0);
	let payload = SignedPayload::new(call, ext).expect("implicit data is available");
	let signature = payload.using_encoded(|p| signer.sign(p));
	let (call, ext, _) = payload.deconstruct();
	UncheckedExtrinsic::new_signed(call, who.into(), signature.into(), ext)
}

/// The normal-class weight of the block so far is within its limit.
fn check_weight() {
	let weights = <Runtime as frame_system::Config>::BlockWeights::get();
	let used = frame_system::Pallet::<Runtime>::block_weight();
	let normal = weights.get(DispatchClass::Normal);
	if let Some(max) = normal.max_total {
		assert!(
			used.get(DispatchClass::Normal).all_lte(max),
			"normal weight {:?} over its limit {max:?}",
			used.get(DispatchClass::Normal)
		);
	}
}

/// The invariants of the module docs; panics on a violation.
pub fn check() {
	let mut sum: u128 = 0;
	for (_, info) in frame_system::Account::<Runtime>::iter() {
		sum = sum.saturating_add(info.data.free).saturating_add(info.data.reserved);
	}
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	assert_eq!(sum, issuance, "total issuance differs from Σ free + reserved");
	pallet_market::Pallet::<Runtime>::do_try_state().expect("market books");
	pallet_registry::Pallet::<Runtime>::do_try_state().expect("registry books");
	pallet_poc::Pallet::<Runtime>::do_try_state().expect("PoC books");
	pallet_dpos::Pallet::<Runtime>::do_try_state().expect("DPoS books");
}

/// Runs one input (see the module docs) on a fresh chain; panics when an invariant breaks.
pub fn run(mut data: &[u8]) -> Outcome {
	let mut chain = Chain::new();
	chain.close_block();
	let mut calls = 0;
	while !data.is_empty() && calls < MAX_CALLS && chain.outcome.blocks < MAX_BLOCKS {
		let Ok((lapse, origin)) = <(u8, u8)>::decode_with_depth_limit(MAX_DEPTH, &mut data) else {
			break;
		};
		let Ok(call) = RuntimeCall::decode_with_depth_limit(MAX_DEPTH, &mut data) else { break };
		for _ in 0..(lapse % MAX_LAPSE) {
			chain.close_block();
		}
		chain.submit(origin, call);
		calls += 1;
	}
	chain.close_block();
	chain.outcome
}

/// Encodes one step of an input: `lapse` blocks, then `call` from `origin` (the seed
/// corpus and tests write inputs with it).
pub fn step(lapse: u8, origin: u8, call: RuntimeCall) -> Vec<u8> {
	(lapse, origin, call).encode()
}

/// The origin byte of root.
pub const ROOT: u8 = 6;
