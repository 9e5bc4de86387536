//! A minimal block producer for runtime tests: builds genesis from a preset and executes
//! blocks through `frame_executive::Executive` with BABE pre-digests and timestamps, the way
//! the node's block builder does.

use codec::Encode;
use frame_support::traits::Get;
use sp_consensus_babe::{
	digests::{PreDigest, SecondaryPlainPreDigest},
	Slot, BABE_ENGINE_ID,
};
use sp_core::{sr25519, Pair};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::{Header as _, IdentifyAccount, Verify},
	BuildStorage,
};
use uranus_runtime::{
	genesis_config_presets, time::SLOT_DURATION, AccountId, Executive, Header, Runtime,
	RuntimeCall, RuntimeGenesisConfig, SignedPayload, UncheckedExtrinsic,
};

/// Merges JSON `patch` into `base` the way the node applies a preset to the default config.
pub fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
			for (k, v) in p {
				json_merge(b.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(b, p) => *b = p,
	}
}

/// The full genesis config of preset `id` (the preset patch applied to the defaults).
pub fn genesis_config(id: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&id.into()).expect("preset exists");
	let patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	json_merge(&mut config, patch);
	serde_json::from_value(config).expect("preset decodes into RuntimeGenesisConfig")
}

/// The account of a dev seed such as `//Alice`.
pub fn account(seed: &str) -> AccountId {
	sr25519::Pair::from_string(seed, None).expect("valid seed").public().into()
}

/// A chain in test externalities, driven block by block.
pub struct TestChain {
	/// The externalities holding the chain state.
	pub ext: sp_io::TestExternalities,
	/// The header of the last finalized (built) block.
	pub last_header: Option<Header>,
	/// The next BABE slot.
	pub next_slot: u64,
}

impl TestChain {
	/// Genesis from preset `id`, with a memory keystore for session-key generation.
	pub fn from_preset(id: &str) -> Self {
		let storage = genesis_config(id).build_storage().expect("genesis builds");
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
		// Start far from slot 0, as a real chain does.
		Self { ext, last_header: None, next_slot: 1_000 }
	}

	/// Runs `f` against the chain state.
	pub fn execute_with<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	/// Builds one block in the next slot containing the timestamp inherent and `xts`; returns
	/// the result of applying each extrinsic.
	pub fn produce_block(
		&mut self,
		xts: Vec<UncheckedExtrinsic>,
	) -> Vec<sp_runtime::ApplyExtrinsicResult> {
		let slot = self.next_slot;
		self.next_slot += 1;
		let parent = self.last_header.clone();
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
			header
		});
		let _ = header;
		let results = self.ext.execute_with(|| {
			let now = slot * SLOT_DURATION;
			let mut results = Vec::new();
			let inherent =
				UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
					now,
				}));
			Executive::apply_extrinsic(inherent)
				.expect("timestamp inherent is valid")
				.expect("timestamp inherent dispatches");
			for xt in xts {
				results.push(Executive::apply_extrinsic(xt));
			}
			results
		});
		let header = self.ext.execute_with(|| Executive::finalize_block());
		self.last_header = Some(header);
		results
	}

	/// Produces `n` empty blocks.
	pub fn produce_blocks(&mut self, n: u32) {
		for _ in 0..n {
			self.produce_block(Vec::new());
		}
	}

	/// Produces blocks until the session index reaches `index`.
	pub fn run_to_session(&mut self, index: u32) {
		let epoch = <uranus_runtime::configs::consensus::EpochDuration as Get<u64>>::get();
		let limit = epoch * (index as u64 + 2) + 10;
		for _ in 0..limit {
			if self.execute_with(|| pallet_session::CurrentIndex::<Runtime>::get()) >= index {
				return;
			}
			self.produce_block(Vec::new());
		}
		panic!("session {index} not reached within {limit} blocks");
	}

	/// Produces blocks until the active era reaches `index`.
	pub fn run_to_active_era(&mut self, index: u32) {
		let per_era = uranus_runtime::configs::staking::SessionsPerEra::get();
		for _ in 0..(per_era * (index + 2)) {
			let active =
				self.execute_with(|| pallet_staking::ActiveEra::<Runtime>::get().map(|e| e.index));
			if active.unwrap_or(0) >= index {
				return;
			}
			let next = self.execute_with(|| pallet_session::CurrentIndex::<Runtime>::get()) + 1;
			self.run_to_session(next);
		}
		panic!("active era {index} not reached");
	}

	/// Advances `eras` eras past the active one, then one more session, so the set elected for
	/// that era is the session's validator set.
	pub fn run_eras_then_session(&mut self, eras: u32) {
		let era = self.execute_with(|| {
			pallet_staking::ActiveEra::<Runtime>::get().map(|e| e.index).unwrap_or(0)
		});
		self.run_to_active_era(era + eras);
		let next = self.execute_with(|| pallet_session::CurrentIndex::<Runtime>::get()) + 1;
		self.run_to_session(next);
	}

	/// Signs `call` by `signer` with the current nonce and a mortal era, as a wallet would.
	pub fn signed(&mut self, signer: &sr25519::Pair, call: RuntimeCall) -> UncheckedExtrinsic {
		self.execute_with(|| sign(signer, call))
	}
}

/// Signs `call` by `signer` against the current state (nonce, genesis hash, era).
pub fn sign(signer: &sr25519::Pair, call: RuntimeCall) -> UncheckedExtrinsic {
	let who: AccountId = signer.public().into();
	let nonce = frame_system::Pallet::<Runtime>::account_nonce(&who);
	let current = frame_system::Pallet::<Runtime>::block_number().saturating_sub(1) as u64;
	let ext = uranus_runtime::tx_extension(Era::mortal(64, current), nonce, 0);
	let payload = SignedPayload::new(call, ext).expect("implicit data is available");
	let signature = payload.using_encoded(|p| signer.sign(p));
	let (call, ext, _) = payload.deconstruct();
	let signer_account =
		<<uranus_runtime::Signature as Verify>::Signer as From<sr25519::Public>>::from(
			signer.public(),
		)
		.into_account();
	UncheckedExtrinsic::new_signed(call, signer_account.into(), signature.into(), ext)
}

/// A dev key pair such as `//Alice`.
pub fn pair(seed: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(seed, None).expect("valid seed")
}

/// Applies `call`, signed by `signer`, in a block of its own; panics unless it dispatched.
pub fn ok(chain: &mut TestChain, signer: &str, call: RuntimeCall) {
	let xt = chain.signed(&pair(signer), call);
	chain.produce_block(vec![xt])[0].clone().unwrap().unwrap();
}

/// Bounded text.
pub fn text<S: frame_support::traits::Get<u32>>(s: &str) -> frame_support::BoundedVec<u8, S> {
	frame_support::BoundedVec::truncate_from(s.as_bytes().to_vec())
}

/// A hardware profile of `cores` cores at `mhz`, `memory_bytes`, `storage_bytes` and
/// `uplink_bps`.
pub fn profile(
	cores: u32,
	mhz: u32,
	memory_bytes: u64,
	storage_bytes: u64,
	uplink_bps: u64,
) -> pallet_registry::HardwareProfile<<Runtime as pallet_registry::Config>::MaxText> {
	pallet_registry::HardwareProfile {
		cpu_model: text("Test CPU"),
		arch: text("x86_64"),
		logical_cores: cores,
		cpu_mhz: mhz,
		memory_bytes,
		storage_bytes,
		uplink_bps,
	}
}

/// `signer` registers as a provider (region `eu`) and registers a machine of `profile`.
pub fn register_provider_with_machine(
	chain: &mut TestChain,
	signer: &str,
	profile: pallet_registry::HardwareProfile<<Runtime as pallet_registry::Config>::MaxText>,
) {
	use pallet_registry::{Call, ProviderMeta};
	let meta = ProviderMeta {
		name: text(signer.trim_start_matches("//")),
		region: text("eu"),
		labels: frame_support::BoundedVec::new(),
	};
	ok(chain, signer, RuntimeCall::Registry(Call::register_provider { meta }));
	ok(chain, signer, RuntimeCall::Registry(Call::register_machine { profile }));
}

/// `signer` registers as a provider, registers a 4-core 3 GHz 8 GiB machine with
/// `storage_bytes` of disk and `uplink_bps` of uplink, and offers all of it as one container
/// (machine 0's first: id 1,000); returns the container's spec.
pub fn offer_whole_machine(
	chain: &mut TestChain,
	signer: &str,
	storage_bytes: u64,
	uplink_bps: u64,
) -> pallet_poc::ResourceSpec {
	let spec = pallet_poc::ResourceSpec {
		cpu_millicores: 4_000,
		memory_bytes: 8 << 30,
		storage_bytes,
		bandwidth_bps: uplink_bps,
	};
	register_provider_with_machine(
		chain,
		signer,
		profile(4, 3_000, 8 << 30, storage_bytes, uplink_bps),
	);
	let add = pallet_registry::Call::add_container { machine: 0, spec };
	ok(chain, signer, RuntimeCall::Registry(add));
	spec
}

/// Dave publishes busybox 1.36 as image `digest` with a `fee` per lease, and sudo (Alice)
/// verifies it.
pub fn publish_verified_image(chain: &mut TestChain, digest: [u8; 32], fee: u128) {
	use pallet_registry::Call;
	let publish = Call::publish_image {
		name: text("127.0.0.1:5000/busybox"),
		version: text("1.36"),
		digest,
		size_bytes: 2_000_000,
		min_resources: pallet_poc::ResourceSpec::default(),
		fee,
	};
	ok(chain, "//Dave", RuntimeCall::Registry(publish));
	let verify = RuntimeCall::Registry(Call::verify_image { digest, approve: true });
	ok(chain, "//Alice", RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(verify) }));
}

/// `signer` orders one replica of image `image` running `command` for 100 blocks, all prepaid,
/// on one core (`one_core_spec`) at up to twice the base prices.
pub fn order_one_core(chain: &mut TestChain, signer: &str, image: [u8; 32], command: &[&str]) {
	let command = frame_support::BoundedVec::truncate_from(
		command
			.iter()
			.map(|a| frame_support::BoundedVec::truncate_from(a.as_bytes().to_vec()))
			.collect(),
	);
	let call = pallet_market::Call::place_order {
		image,
		spec: one_core_spec(),
		command,
		replicas: 1,
		max_blocks: 100,
		prepaid_blocks: 100,
		caps: twice_the_base_prices(),
		labels: frame_support::BoundedVec::new(),
		spread: false,
	};
	ok(chain, signer, RuntimeCall::Market(call));
}

/// Price caps at twice the genesis base prices (σ = 1 at genesis: any lease fits them).
pub fn twice_the_base_prices() -> pallet_market::Prices {
	let base = genesis_config_presets::market_base_prices();
	pallet_market::Prices {
		cpu_core_second: base.cpu_core_second * 2,
		memory_gib_second: base.memory_gib_second * 2,
		network_mib: base.network_mib * 2,
		storage_gib_second: base.storage_gib_second * 2,
	}
}

/// One core, 1 GiB of memory, 1 GiB of storage, 1 MiB/s.
pub fn one_core_spec() -> pallet_poc::ResourceSpec {
	pallet_poc::ResourceSpec {
		cpu_millicores: 1_000,
		memory_bytes: 1 << 30,
		storage_bytes: 1 << 30,
		bandwidth_bps: 1 << 20,
	}
}
