//! Starts the real release node with `--dev --tmp`, waits for finality over RPC and shuts it
//! down cleanly.

mod common;

use common::Node;
use std::time::Duration;

#[test]
fn dev_node_finalizes_blocks_and_shuts_down_cleanly() {
	let mut node = Node::start(&["--dev", "--tmp"]);

	let finalized =
		node.wait_for(Duration::from_secs(180), |n| n.finalized_number().filter(|&f| f >= 3));
	let logs = node.drain_logs();
	assert!(
		finalized.is_some(),
		"no finalized block >= 3 within 180 s; last log lines:\n{}",
		logs.iter().rev().take(30).rev().cloned().collect::<Vec<_>>().join("\n")
	);

	// The chain reports our token properties and name.
	let props = node.rpc("system_properties", serde_json::json!([])).expect("properties");
	assert_eq!(props["tokenSymbol"], "URA");
	assert_eq!(props["tokenDecimals"], 12);
	assert_eq!(props["ss58Format"], 42);
	let chain = node.rpc("system_chain", serde_json::json!([])).expect("chain name");
	assert_eq!(chain, "Uranus Development");

	// The node's extra RPCs answer.
	let methods = node.rpc("rpc_methods", serde_json::json!([])).expect("rpc_methods");
	let methods: Vec<String> = methods["methods"]
		.as_array()
		.unwrap()
		.iter()
		.map(|m| m.as_str().unwrap().to_string())
		.collect();
	for m in [
		"system_accountNextIndex",
		"payment_queryInfo",
		"babe_epochAuthorship",
		"grandpa_roundState",
		"author_submitExtrinsic",
		"state_getMetadata",
	] {
		assert!(methods.iter().any(|x| x == m), "missing RPC method {m}");
	}

	let status = node.stop(Duration::from_secs(60)).expect("node exits after SIGINT");
	assert!(status.success(), "clean shutdown, got {status:?}");
}
