//! Chain specifications built from the runtime's genesis presets.

use sc_service::ChainType;
use uranus_primitives::currency::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL};
use uranus_runtime::{genesis_config_presets as presets, WASM_BINARY};

/// The chain specification type of Uranus (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and SS58 format, read by wallets such as polkadot.js.
pub fn properties() -> sc_service::Properties {
	let mut p = sc_service::Properties::new();
	p.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), SS58_PREFIX.into());
	p
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "Development wasm not available (built with SKIP_WASM_BUILD?)".into())
}

/// `--dev`: Alice alone.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Uranus Development")
		.with_id("uranus_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(presets::DEV_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Uranus Local Testnet")
		.with_id("uranus_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(presets::LOCAL_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain testnet`: a four-validator test network on the **well-known development keys**
/// (Alice … Dave validate, Alice is sudo): throw-away, so it is a `Local` chain, never `Live`.
/// A real network builds its spec from its operators' keys with `uranus-node live-spec`.
pub fn testnet_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Uranus Testnet (development keys)")
		.with_id("uranus_testnet")
		.with_protocol_id("ura")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(presets::TESTNET_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain bench`: the dev chain plus 20,000 funded load-test senders (`//Sender//{i}`).
/// The genesis patch is computed natively here (deriving the keys in Wasm takes minutes).
pub fn bench_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Uranus Bench")
		.with_id("uranus_bench")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_patch(presets::bench_config_genesis())
		.with_properties(properties())
		.build())
}
