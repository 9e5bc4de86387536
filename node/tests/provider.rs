//! The provider path end to end: a release `uranus-node --dev` and a real `uranus-agent` on
//! loopback. Once the provider key is inserted over RPC, the off-chain worker registers the
//! provider and its machine with the agent's real hardware figures, offers it as a container
//! PoC scores, and keeps sending heartbeats; when the agent stops the heartbeats stop and the
//! registry marks the machine offline; when it is back the machine comes back online.

mod common;

use common::{free_port, node_bin, Node};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use std::{
	io::{Read, Write},
	net::TcpStream,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The agent binary cargo built next to the node.
fn agent_bin() -> PathBuf {
	let bin = node_bin().with_file_name("uranus-agent");
	assert!(bin.exists(), "{} is missing: cargo build --release -p uranus-agent", bin.display());
	bin
}

/// A running agent; stopped on drop.
struct Agent {
	child: Child,
	port: u16,
}

impl Agent {
	fn start(data_dir: &Path, port: u16) -> Agent {
		let log = std::fs::File::create(data_dir.with_extension("log")).unwrap();
		let child = Command::new(agent_bin())
			.args(["run", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
			.arg(data_dir)
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("uranus-agent starts");
		let start = Instant::now();
		// The agent binds its port before it writes its token (a first start makes it).
		let token = data_dir.join("agent.token");
		while TcpStream::connect(("127.0.0.1", port)).is_err()
			|| std::fs::read_to_string(&token).map_or(true, |t| t.trim().len() < 32)
		{
			assert!(start.elapsed() < Duration::from_secs(30), "the agent did not come up");
			std::thread::sleep(Duration::from_millis(100));
		}
		Agent { child, port }
	}

	/// `GET path` with the agent's token.
	fn get(&self, path: &str, token: &str) -> Value {
		let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
		write!(
			s,
			"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
		)
		.unwrap();
		let mut response = String::new();
		s.read_to_string(&mut response).unwrap();
		let body = response.split("\r\n\r\n").nth(1).expect("an HTTP body");
		serde_json::from_str(body.trim()).expect("JSON")
	}

	/// SIGTERM, so that the agent drains its warm pool (network namespaces, veths, firewall
	/// rules, loop devices); SIGKILL only if it has not exited within 30 s.
	fn stop(&mut self) {
		if let Ok(None) = self.child.try_wait() {
			let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
			let start = Instant::now();
			while start.elapsed() < Duration::from_secs(30) {
				if let Ok(Some(_)) = self.child.try_wait() {
					return;
				}
				std::thread::sleep(Duration::from_millis(100));
			}
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Agent {
	fn drop(&mut self) {
		self.stop();
	}
}

fn best_number(node: &Node) -> u64 {
	node.rpc("chain_getHeader", json!([]))
		.and_then(|h| h["number"].as_str().map(|n| u64::from_str_radix(&n[2..], 16).unwrap()))
		.unwrap_or(0)
}

/// The machines the registry lists for `owner` (an SS58 address).
fn machines(node: &Node, owner: &str) -> Vec<Value> {
	node.rpc("registry_machines", json!([owner, null, 10]))
		.and_then(|v| v.as_array().cloned())
		.unwrap_or_default()
}

#[test]
fn the_worker_registers_the_agents_machine_and_heartbeats_until_the_agent_stops() {
	let dir = std::env::temp_dir().join(format!("uranus-provider-e2e-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).unwrap();
	let agent_dir = dir.join("agent");
	std::fs::create_dir_all(&agent_dir).unwrap();
	let agent_port = free_port();
	let mut agent = Agent::start(&agent_dir, agent_port);
	let token_file = agent_dir.join("agent.token");
	let token = std::fs::read_to_string(&token_file).unwrap().trim().to_string();
	let hardware = agent.get("/v1/hardware", &token);

	let agent_url = format!("http://127.0.0.1:{agent_port}");
	let node = Node::start(&[
		"--dev",
		"--tmp",
		"--offchain-worker",
		"always",
		"--agent-url",
		&agent_url,
		"--agent-token-file",
		token_file.to_str().unwrap(),
		"--provider-name",
		"e2e-provider",
		"--provider-region",
		"loopback",
		"--provider-label",
		"ssd",
		"-luranus::worker=debug",
	]);
	node.wait_for(Duration::from_secs(60), |n| (best_number(n) >= 1).then_some(()))
		.expect("the dev chain produces blocks");

	// The provider key: //Dave (endowed on the dev chain).
	let pair = sr25519::Pair::from_string("//Dave", None).unwrap();
	let public = format!("0x{}", hex::encode(pair.public().0));
	assert_eq!(
		node.rpc("author_insertKey", json!(["cmpt", "//Dave", public])),
		Some(Value::Null),
		"the provider key is inserted"
	);
	let inserted_at = best_number(&node);
	let dave = pair.public().to_ss58check_with_version(42u16.into());
	let dave_default = pair.public().to_ss58check();

	// Provider, machine and one container appear with the agent's real figures.
	let owner_param = dave.clone();
	let machine = node
		.wait_for(Duration::from_secs(120), |n| {
			machines(n, &owner_param)
				.into_iter()
				.find(|m| m["containers"].as_array().is_some_and(|c| !c.is_empty()))
		})
		.unwrap_or_else(|| {
			panic!(
				"no machine with a container for {dave}; node log:\n{}",
				node.drain_logs().join("\n")
			)
		});
	let registered_at = best_number(&node);
	println!(
		"machine registered with its container {} blocks after the key was inserted",
		registered_at - inserted_at
	);
	let provider = node.rpc("registry_provider", json!([dave])).expect("provider view");
	assert_eq!(provider["name"], "e2e-provider");
	assert_eq!(provider["region"], "loopback");
	assert_eq!(provider["labels"], json!(["ssd"]));
	assert_eq!(provider["machines"], 1);
	let owner = machine["owner"].as_str().unwrap();
	assert!(owner == dave || owner == dave_default, "owner {owner} is Dave");
	assert_eq!(machine["cpuModel"], hardware["cpu_model"]);
	assert_eq!(machine["arch"], hardware["arch"]);
	assert_eq!(machine["logicalCores"], hardware["logical_cores"]);
	assert_eq!(machine["cpuMhz"], hardware["cpu_mhz"]);
	assert_eq!(machine["memoryBytes"], hardware["memory_total_bytes"]);
	assert_eq!(machine["storageBytes"], hardware["storage_total_bytes"]);
	assert_eq!(machine["version"], 1);
	assert_eq!(machine["online"], true);
	let id = machine["id"].as_u64().unwrap();
	let container = &machine["containers"][0];
	let cores = hardware["logical_cores"].as_u64().unwrap();
	assert_eq!(container["spec"]["cpuMillicores"].as_u64(), Some(cores * 1000));
	assert_eq!(container["spec"]["memoryBytes"], hardware["memory_total_bytes"]);
	assert_eq!(container["lease"], Value::Null);
	let cid = container["id"].as_u64().unwrap();
	let score = node.rpc("poc_score", json!([cid])).expect("poc_score answers");
	assert!(score.is_object(), "PoC knows container {cid}: {score}");

	// Heartbeats continue: the last heartbeat block moves forward twice.
	let mut last = machine["lastHeartbeat"].as_u64().unwrap();
	for _ in 0..2 {
		let next = node
			.wait_for(Duration::from_secs(60), |n| {
				let m = n.rpc("registry_machine", json!([id]))?;
				let hb = m["lastHeartbeat"].as_u64()?;
				(hb > last).then_some(hb)
			})
			.expect("another heartbeat");
		println!("heartbeat at block {next} (previous {last})");
		last = next;
	}

	// The worker authenticated with the token (the agent answers nothing without it), which
	// the node holds in memory: the off-chain database, which the unsafe RPC
	// `offchain_localStorageGet` reads, holds the worker's configuration and not the secret.
	let key = format!("0x{}", hex::encode(b"uranus::worker::config"));
	let stored = node
		.rpc("offchain_localStorageGet", json!(["PERSISTENT", key]))
		.expect("offchain_localStorageGet answers");
	let stored = stored.as_str().expect("the worker's configuration is stored");
	assert!(stored.contains(&hex::encode(agent_url.as_bytes())), "not the configuration: {stored}");
	assert!(
		!stored.contains(&hex::encode(token.as_bytes())),
		"the agent token is readable over RPC in the off-chain database: {stored}"
	);

	// The agent stops: no more heartbeats, the machine goes offline after the timeout.
	agent.stop();
	let stopped_at = best_number(&node);
	let offline_at = node
		.wait_for(Duration::from_secs(180), |n| {
			let m = n.rpc("registry_machine", json!([id]))?;
			(m["online"] == false).then(|| best_number(n))
		})
		.expect("the machine goes offline");
	println!(
		"agent stopped at block {stopped_at}, last heartbeat {last}, offline at block {offline_at}"
	);
	assert!(offline_at > last + 20, "offline only after HeartbeatTimeout (20 blocks)");
	let logs = node.drain_logs();
	assert!(
		logs.iter().any(|l| l.contains("uranus::worker") && l.contains("agent:")),
		"the worker logged the agent failure"
	);

	// The agent is back (same data, same port): heartbeats resume and the machine is online.
	let _agent = Agent::start(&agent_dir, agent_port);
	node.wait_for(Duration::from_secs(240), |n| {
		let m = n.rpc("registry_machine", json!([id]))?;
		(m["online"] == true).then_some(())
	})
	.expect("the machine comes back online");
	println!("online again at block {}", best_number(&node));
	let m = node.rpc("registry_machine", json!([id])).unwrap();
	assert_eq!(m["version"], 1, "same hardware: no update");
	assert_eq!(machines(&node, &dave).len(), 1, "no second registration");
	let _ = std::fs::remove_dir_all(&dir);
}
