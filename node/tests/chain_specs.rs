//! The committed chain specs in `chain-specs/` must match what the presets generate.
//!
//! Everything is compared except the Wasm `code` blob (its bytes depend on the toolchain that
//! built it); regenerate with `make chain-specs` after changing a preset.

mod common;

use std::process::Command;

fn generated(chain: &str) -> serde_json::Value {
	let out = Command::new(common::node_bin())
		.args(["export-chain-spec", "--chain", chain])
		.output()
		.expect("export-chain-spec runs");
	assert!(
		out.status.success(),
		"export-chain-spec failed: {}",
		String::from_utf8_lossy(&out.stderr)
	);
	serde_json::from_slice(&out.stdout).expect("chain spec is JSON")
}

fn committed(chain: &str) -> serde_json::Value {
	let path = common::manifest_dir().join("../chain-specs").join(format!("{chain}.json"));
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
	serde_json::from_str(&text).expect("committed chain spec is JSON")
}

fn without_code(mut spec: serde_json::Value) -> serde_json::Value {
	if let Some(g) = spec.pointer_mut("/genesis/runtimeGenesis").and_then(|g| g.as_object_mut()) {
		g.remove("code");
	}
	spec
}

#[test]
fn committed_chain_specs_match_the_presets() {
	for chain in ["local", "testnet"] {
		let generated = without_code(generated(chain));
		let committed = without_code(committed(chain));
		assert_eq!(
			committed, generated,
			"chain-specs/{chain}.json drifted from the `{chain}` preset: run `make chain-specs`"
		);
	}
}

#[test]
fn committed_chain_specs_start_a_node() {
	// The committed spec is loadable by path and carries the runtime code.
	let path = common::manifest_dir().join("../chain-specs/local.json");
	let out = Command::new(common::node_bin())
		.args(["build-spec", "--chain"])
		.arg(&path)
		.args(["--raw", "--disable-default-bootnode"])
		.output()
		.expect("build-spec runs");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let raw: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert!(raw.pointer("/genesis/raw/top/0x3a636f6465").is_some(), "raw spec has :code");
}
