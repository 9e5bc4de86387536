//! Helpers for tests that run the real `uranus-node` binary and talk to it over JSON-RPC.
#![allow(dead_code)]

use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, ExitStatus, Stdio},
	sync::mpsc,
	time::{Duration, Instant},
};

/// The node binary cargo built for these tests.
pub fn node_bin() -> PathBuf {
	// `URANUS_TEST_NODE_BIN` runs the tests against another build (e.g. the one before a fix,
	// to see a test fail first).
	std::env::var_os("URANUS_TEST_NODE_BIN")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_uranus-node")))
}

/// This package's directory in the checkout being tested, read at run time (cargo sets
/// `CARGO_MANIFEST_DIR` for test binaries): a binary reused from a shared target dir built in
/// another checkout would otherwise read that checkout's files.
pub fn manifest_dir() -> PathBuf {
	std::env::var_os("CARGO_MANIFEST_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running node; killed on drop if the test did not stop it.
pub struct Node {
	/// The child process.
	pub child: Child,
	/// The RPC port on 127.0.0.1.
	pub rpc_port: u16,
	/// Lines the node logged (stderr), collected in the background.
	pub logs: mpsc::Receiver<String>,
}

impl Node {
	/// Starts `uranus-node` with `args` plus loopback RPC/P2P/Prometheus ports.
	pub fn start(args: &[&str]) -> Node {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let prom_port = free_port();
		let mut child = Command::new(node_bin())
			.args(args)
			.args([
				"--rpc-port",
				&rpc_port.to_string(),
				"--port",
				&p2p_port.to_string(),
				"--prometheus-port",
				&prom_port.to_string(),
				"--no-mdns",
				"--no-telemetry",
			])
			.stdout(Stdio::null())
			.stderr(Stdio::piped())
			.spawn()
			.expect("uranus-node starts");
		let stderr = child.stderr.take().unwrap();
		let (tx, logs) = mpsc::channel();
		std::thread::spawn(move || {
			for line in BufReader::new(stderr).lines().map_while(Result::ok) {
				let _ = tx.send(line);
			}
		});
		Node { child, rpc_port, logs }
	}

	/// One JSON-RPC call over HTTP; `None` while the server is not up.
	pub fn rpc(&self, method: &str, params: serde_json::Value) -> Option<serde_json::Value> {
		let body =
			serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
				.to_string();
		let mut stream = TcpStream::connect(("127.0.0.1", self.rpc_port)).ok()?;
		stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
		let request = format!(
			"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
			body.len(),
			body
		);
		stream.write_all(request.as_bytes()).ok()?;
		let mut response = String::new();
		stream.read_to_string(&mut response).ok()?;
		let json = response.split("\r\n\r\n").nth(1)?;
		let value: serde_json::Value = serde_json::from_str(json.trim()).ok()?;
		value.get("result").cloned()
	}

	/// Waits until `f` returns `Some`, polling every 500 ms, for at most `timeout`.
	pub fn wait_for<T>(
		&self,
		timeout: Duration,
		mut f: impl FnMut(&Node) -> Option<T>,
	) -> Option<T> {
		let start = Instant::now();
		while start.elapsed() < timeout {
			if let Some(v) = f(self) {
				return Some(v);
			}
			std::thread::sleep(Duration::from_millis(500));
		}
		None
	}

	/// The number of the latest finalized block.
	pub fn finalized_number(&self) -> Option<u64> {
		let hash = self.rpc("chain_getFinalizedHead", serde_json::json!([]))?;
		let header = self.rpc("chain_getHeader", serde_json::json!([hash]))?;
		u64::from_str_radix(header.get("number")?.as_str()?.trim_start_matches("0x"), 16).ok()
	}

	/// Sends SIGINT and waits for the process to exit.
	pub fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
		let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
		let start = Instant::now();
		while start.elapsed() < timeout {
			if let Ok(Some(status)) = self.child.try_wait() {
				return Some(status);
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		None
	}

	/// All log lines received so far.
	pub fn drain_logs(&self) -> Vec<String> {
		self.logs.try_iter().collect()
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}
