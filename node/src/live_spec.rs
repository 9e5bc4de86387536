//! `uranus-node live-spec`: the chain spec of a `Live` network from its operator's keys.
//!
//! The committed specs (`dev`, `local`, `testnet`) use the well-known development keys and
//! are never `Live`: anyone could sign as their validators or their sudo. A live network gets
//! its spec from this command, which takes each genesis validator's stash and session keys
//! and the governance (sudo) account, and refuses every well-known development key.
//!
//! ```text
//! uranus-node live-spec --name "Uranus" --id uranus \
//!   --validator <stash>,<babe>,<grandpa> [--validator …] \
//!   --sudo <account> [--endow <account>]… [--validator-count 48] [--bootnode <multiaddr>]… [--raw]
//! ```
//! Accounts and BABE keys are sr25519, GRANDPA keys ed25519; each given as SS58 or `0x` hex
//! of the public key (`uranus-node key inspect` prints both).

use crate::chain_spec::{properties, ChainSpec};
use sc_service::ChainType;
use sp_core::{crypto::Ss58Codec, ed25519, sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use uranus_runtime::{
	genesis_config_presets::{uranus_genesis, GenesisValidator},
	AccountId, SessionKeys, WASM_BINARY,
};

/// Options of `uranus-node live-spec`.
#[derive(Debug, Clone, clap::Parser)]
pub struct LiveSpecCmd {
	/// The network's name.
	#[arg(long)]
	pub name: String,

	/// The network's id (also the directory name of its database).
	#[arg(long)]
	pub id: String,

	/// The libp2p protocol id.
	#[arg(long, default_value = "ura")]
	pub protocol_id: String,

	/// A genesis validator: `<stash>,<babe>,<grandpa>` (repeat for each).
	#[arg(long = "validator", required = true)]
	pub validators: Vec<String>,

	/// The sudo account (the network's governance until referenda take over).
	#[arg(long)]
	pub sudo: String,

	/// An account funded at genesis (repeat); validators' stashes and sudo are funded too.
	#[arg(long = "endow")]
	pub endowed: Vec<String>,

	/// How many validators staking elects.
	#[arg(long, default_value_t = 48)]
	pub validator_count: u32,

	/// A boot node's multiaddress (repeat).
	#[arg(long = "bootnode")]
	pub boot_nodes: Vec<String>,

	/// Print the raw spec (storage as key/value pairs) instead of the genesis config.
	#[arg(long)]
	pub raw: bool,
}

/// The development seeds whose keys are public knowledge (`sp-keyring`).
fn dev_seeds() -> Vec<String> {
	Sr25519Keyring::iter().map(|k| format!("{k:?}")).collect()
}

/// Every public key (32 bytes) derivable from a development seed the way the presets and
/// tools derive them: `//Name`, `//Name//stash`, as sr25519 and ed25519.
fn dev_keys() -> Vec<([u8; 32], String)> {
	let mut keys = Vec::new();
	for seed in dev_seeds() {
		for path in [format!("//{seed}"), format!("//{seed}//stash")] {
			let sr = sr25519::Pair::from_string(&path, None).expect("dev seeds derive");
			let ed = ed25519::Pair::from_string(&path, None).expect("dev seeds derive");
			keys.push((sr.public().0, path.clone()));
			keys.push((ed.public().0, path));
		}
	}
	keys
}

/// A 32-byte public key given as SS58 or `0x` hex.
fn public_bytes(what: &str, s: &str) -> Result<[u8; 32], String> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes = hex::decode(hex).map_err(|e| format!("{what} {s}: bad hex: {e}"))?;
		return bytes.try_into().map_err(|_| format!("{what} {s}: not 32 bytes"));
	}
	sr25519::Public::from_ss58check(s)
		.map(|p| p.0)
		.map_err(|e| format!("{what} {s}: neither SS58 nor 0x hex: {e:?}"))
}

impl LiveSpecCmd {
	/// The spec as JSON, or why it cannot be built (a development key, a malformed key,
	/// a validator given twice).
	pub fn generate(&self) -> Result<String, String> {
		let dev = dev_keys();
		let checked = |what: &str, s: &str| -> Result<[u8; 32], String> {
			let key = public_bytes(what, s)?;
			if let Some((_, path)) = dev.iter().find(|(k, _)| *k == key) {
				return Err(format!(
					"{what} {s} is the well-known development key {path}: a live network needs \
					 its operators' own keys"
				));
			}
			Ok(key)
		};
		let account = |what: &str, s: &str| checked(what, s).map(AccountId::from);
		let mut validators: Vec<GenesisValidator> = Vec::new();
		for v in &self.validators {
			let parts: Vec<&str> = v.split(',').map(str::trim).collect();
			let [stash, babe, grandpa] = parts[..] else {
				return Err(format!("validator {v}: expected <stash>,<babe>,<grandpa>"));
			};
			let stash = account("validator stash", stash)?;
			if validators.iter().any(|g| g.stash == stash) {
				return Err(format!("validator stash {stash} given twice"));
			}
			let babe = checked("BABE key", babe)?;
			let grandpa = checked("GRANDPA key", grandpa)?;
			let keys = SessionKeys {
				babe: sr25519::Public::from_raw(babe).into(),
				grandpa: ed25519::Public::from_raw(grandpa).into(),
			};
			validators.push(GenesisValidator { stash, keys });
		}
		let sudo = account("sudo account", &self.sudo)?;
		let mut endowed = vec![sudo.clone()];
		for e in &self.endowed {
			endowed.push(account("endowed account", e)?);
		}
		if self.validator_count < validators.len() as u32 {
			return Err("validator-count is below the number of genesis validators".into());
		}
		let wasm = WASM_BINARY.ok_or("this node was built without its runtime's Wasm")?;
		let boot_nodes = self
			.boot_nodes
			.iter()
			.map(|b| b.parse().map_err(|e| format!("boot node {b}: {e:?}")))
			.collect::<Result<Vec<_>, _>>()?;
		let spec = ChainSpec::builder(wasm, None)
			.with_name(&self.name)
			.with_id(&self.id)
			.with_protocol_id(&self.protocol_id)
			.with_chain_type(ChainType::Live)
			.with_boot_nodes(boot_nodes)
			.with_genesis_config_patch(uranus_genesis(
				validators,
				endowed,
				sudo,
				self.validator_count,
				Vec::new(),
			))
			.with_properties(properties())
			.build();
		sc_service::ChainSpec::as_json(&spec, self.raw)
	}

	/// Prints the spec to standard output.
	pub fn run(&self) -> sc_cli::Result<()> {
		let json = self.generate().map_err(sc_cli::Error::Input)?;
		println!("{json}");
		Ok(())
	}
}
