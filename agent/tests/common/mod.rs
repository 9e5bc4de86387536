//! Test harness: a real `docker-registry` on loopback, a busybox image built with umoci and
//! pushed with skopeo, and the real `uranus-agent` binary run as a child process.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::OnceLock,
	time::{Duration, Instant},
};
use uranus_primitives::agent::{JobRequest, JobStatus, MeteringReport, ResourceLimits};

/// A free loopback port.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(cmd: &mut Command) -> String {
	let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
	assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
	String::from_utf8_lossy(&out.stdout).to_string()
}

/// Fails clearly when the machine lacks what these tests need.
pub fn require_environment() {
	// SAFETY: geteuid has no preconditions.
	assert_eq!(
		unsafe { libc::geteuid() },
		0,
		"agent integration tests need root (runc, netns, mounts)"
	);
	for tool in ["runc", "docker-registry", "umoci", "skopeo", "ip", "mkfs.ext4", "busybox", "cc"] {
		assert!(
			Command::new("sh")
				.arg("-c")
				.arg(format!("command -v {tool} >/dev/null"))
				.status()
				.unwrap()
				.success(),
			"{tool} is not installed (scripts/setup.sh installs it)"
		);
	}
}

/// A registry on loopback, killed when the test process ends.
pub struct Registry {
	/// `127.0.0.1:<port>`.
	pub addr: String,
	_child: Child,
	_dir: tempfile::TempDir,
}

/// The shared registry and the digest-pinned references pushed to it.
pub struct Fixtures {
	/// The registry.
	pub registry: Registry,
	/// `127.0.0.1:<port>/test/busybox@sha256:…`.
	pub busybox: String,
	/// An image whose layer contains `../evil`.
	pub traversal: String,
	/// The busybox image with `User` = `1234:1234` in its config.
	pub busybox_user: String,
	/// The busybox image whose `WorkingDir` is a leaked descriptor's path
	/// (`/proc/self/fd/7`), which runc refuses.
	pub busybox_leaky_cwd: String,
}

static FIXTURES: OnceLock<Fixtures> = OnceLock::new();

/// Starts the registry and pushes the images, once per test process.
pub fn fixtures() -> &'static Fixtures {
	FIXTURES.get_or_init(|| {
		require_environment();
		let registry = start_registry();
		let (busybox, busybox_user, busybox_leaky_cwd) = push_busybox(&registry.addr);
		let traversal = push_traversal_image(&registry.addr);
		Fixtures { registry, busybox, traversal, busybox_user, busybox_leaky_cwd }
	})
}

/// Spawns `cmd` so that it is killed when this test process ends, however it ends: the
/// fixtures live in a `static`, whose destructor never runs. The kernel sends SIGKILL when the
/// thread that spawned the child exits (`PR_SET_PDEATHSIG`), so it is spawned from a thread
/// that lives as long as the process.
fn spawn_dying_with_process(mut cmd: Command) -> Child {
	use std::os::unix::process::CommandExt;
	let (tx, rx) = std::sync::mpsc::channel();
	std::thread::spawn(move || {
		// SAFETY: prctl is async-signal-safe and touches no memory of the parent.
		unsafe {
			cmd.pre_exec(|| {
				if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
					Ok(())
				} else {
					Err(std::io::Error::last_os_error())
				}
			})
		};
		tx.send(cmd.spawn()).unwrap();
		loop {
			std::thread::park();
		}
	});
	rx.recv().unwrap().expect("docker-registry starts")
}

fn start_registry() -> Registry {
	let dir = tempfile::tempdir().unwrap();
	let port = free_port();
	let addr = format!("127.0.0.1:{port}");
	let config = dir.path().join("config.yml");
	std::fs::write(
		&config,
		format!(
			"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
			dir.path().join("data").display()
		),
	)
	.unwrap();
	let mut cmd = Command::new("docker-registry");
	cmd.arg("serve").arg(&config).stdout(Stdio::null()).stderr(Stdio::null());
	let child = spawn_dying_with_process(cmd);
	let start = Instant::now();
	loop {
		if std::net::TcpStream::connect(&addr).is_ok() {
			break;
		}
		assert!(start.elapsed() < Duration::from_secs(30), "registry did not come up");
		std::thread::sleep(Duration::from_millis(100));
	}
	Registry { addr, _child: child, _dir: dir }
}

fn skopeo_push_and_digest(layout: &Path, tag: &str, registry: &str, repo: &str) -> String {
	let dest = format!("docker://{registry}/{repo}:{tag}");
	run(Command::new("skopeo")
		.args(["copy", "--quiet", "--dest-tls-verify=false"])
		.arg(format!("oci:{}:{tag}", layout.display()))
		.arg(&dest));
	let out = run(Command::new("skopeo").args(["inspect", "--tls-verify=false", &dest]));
	let v: serde_json::Value = serde_json::from_str(&out).unwrap();
	format!("{registry}/{repo}@{}", v["Digest"].as_str().unwrap())
}

/// Pushes busybox with the sandbox probe (`/bin/probe`, `tests/probe/probe.c` built static):
/// `(image, image whose config sets User 1234:1234, image whose WorkingDir is
/// /proc/self/fd/7)`.
fn push_busybox(registry: &str) -> (String, String, String) {
	let dir = tempfile::tempdir().unwrap();
	let layout = dir.path().join("oci");
	let image = format!("{}:bb", layout.display());
	run(Command::new("umoci").args(["init", "--layout"]).arg(&layout));
	run(Command::new("umoci").args(["new", "--image", &image]));
	let bundle = dir.path().join("bundle");
	run(Command::new("umoci").args(["unpack", "--image", &image]).arg(&bundle));
	let rootfs = bundle.join("rootfs");
	for d in ["bin", "proc", "sys", "dev", "tmp", "scratch", "etc"] {
		std::fs::create_dir_all(rootfs.join(d)).unwrap();
	}
	let busybox = String::from_utf8(
		Command::new("sh").args(["-c", "command -v busybox"]).output().unwrap().stdout,
	)
	.unwrap();
	std::fs::copy(busybox.trim(), rootfs.join("bin/busybox")).unwrap();
	let probe = manifest_dir().join("tests/probe/probe.c");
	run(Command::new("cc")
		.args(["-static", "-O2", "-o"])
		.arg(rootfs.join("bin/probe"))
		.arg(&probe));
	let applets = run(Command::new(busybox.trim()).arg("--list"));
	for a in applets.lines().filter(|a| !a.is_empty() && *a != "busybox") {
		let _ = std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(a));
	}
	run(Command::new("umoci").args(["repack", "--image", &image]).arg(&bundle));
	run(Command::new("umoci").args([
		"config",
		"--image",
		&image,
		"--config.cmd=/bin/sh",
		"--config.cmd=-c",
		"--config.cmd=echo hello-from-image",
		"--config.env=PATH=/bin",
		"--tag=1.0",
	]));
	run(Command::new("umoci").args([
		"config",
		"--image",
		&format!("{}:1.0", layout.display()),
		"--config.user=1234:1234",
		"--tag=user",
	]));
	run(Command::new("umoci").args([
		"config",
		"--image",
		&format!("{}:1.0", layout.display()),
		"--config.workingdir=/proc/self/fd/7",
		"--tag=leaky-cwd",
	]));
	(
		skopeo_push_and_digest(&layout, "1.0", registry, "test/busybox"),
		skopeo_push_and_digest(&layout, "user", registry, "test/busybox"),
		skopeo_push_and_digest(&layout, "leaky-cwd", registry, "test/busybox"),
	)
}

fn sha256_hex(b: &[u8]) -> String {
	hex::encode(Sha256::digest(b))
}

/// An OCI layout whose only layer holds `../evil`, written by hand (no tool would make it).
fn push_traversal_image(registry: &str) -> String {
	let dir = tempfile::tempdir().unwrap();
	let layout = dir.path().join("oci");
	let blobs = layout.join("blobs/sha256");
	std::fs::create_dir_all(&blobs).unwrap();

	let mut tar_bytes = Vec::new();
	{
		let mut b = tar::Builder::new(&mut tar_bytes);
		let data = b"pwned";
		let mut h = tar::Header::new_gnu();
		h.set_entry_type(tar::EntryType::Regular);
		h.set_size(data.len() as u64);
		h.set_mode(0o644);
		let name = b"../evil";
		h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
		h.set_cksum();
		b.append(&h, &data[..]).unwrap();
		b.finish().unwrap();
	}
	let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
	std::io::Write::write_all(&mut gz, &tar_bytes).unwrap();
	let layer = gz.finish().unwrap();
	let layer_digest = sha256_hex(&layer);
	std::fs::write(blobs.join(&layer_digest), &layer).unwrap();

	let config = serde_json::json!({
		"architecture": "amd64", "os": "linux",
		"config": { "Cmd": ["/bin/sh"] },
		"rootfs": { "type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(&tar_bytes))] }
	})
	.to_string();
	let config_digest = sha256_hex(config.as_bytes());
	std::fs::write(blobs.join(&config_digest), &config).unwrap();

	let manifest = serde_json::json!({
		"schemaVersion": 2,
		"mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": { "mediaType": "application/vnd.oci.image.config.v1+json",
			"digest": format!("sha256:{config_digest}"), "size": config.len() },
		"layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
			"digest": format!("sha256:{layer_digest}"), "size": layer.len() }]
	})
	.to_string();
	let manifest_digest = sha256_hex(manifest.as_bytes());
	std::fs::write(blobs.join(&manifest_digest), &manifest).unwrap();
	std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
	std::fs::write(
		layout.join("index.json"),
		serde_json::json!({
			"schemaVersion": 2,
			"manifests": [{ "mediaType": "application/vnd.oci.image.manifest.v1+json",
				"digest": format!("sha256:{manifest_digest}"), "size": manifest.len(),
				"annotations": { "org.opencontainers.image.ref.name": "evil" } }]
		})
		.to_string(),
	)
	.unwrap();
	skopeo_push_and_digest(&layout, "evil", registry, "test/evil")
}

/// The agent binary the tests run: this build's, or `URANUS_TEST_AGENT_BIN` (e.g. an earlier
/// build, to see a regression test fail on the code before its fix).
pub fn agent_bin() -> PathBuf {
	std::env::var_os("URANUS_TEST_AGENT_BIN")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_uranus-agent")))
}

/// A running agent process.
pub struct AgentProcess {
	/// The child.
	pub child: Child,
	/// `http://127.0.0.1:<port>`.
	pub base: String,
	/// The API token.
	pub token: String,
	/// The data directory.
	pub data_dir: PathBuf,
	port: u16,
	/// One client for every request (a new one per request costs more than a job start).
	client: reqwest::Client,
}

impl AgentProcess {
	/// Starts the agent on `data_dir` (a new port each time).
	pub fn start(data_dir: &Path) -> AgentProcess {
		Self::start_on(data_dir, free_port())
	}

	/// Starts the agent on `data_dir` and `port`.
	pub fn start_on(data_dir: &Path, port: u16) -> AgentProcess {
		Self::start_with(data_dir, port, &[])
	}

	/// Starts the agent on `data_dir` and `port` with extra `run` arguments.
	pub fn start_with(data_dir: &Path, port: u16, extra: &[&str]) -> AgentProcess {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(data_dir.with_extension("log"))
			.unwrap();
		let child = Command::new(agent_bin())
			.args(["run", "--sample-interval-ms", "200", "--listen"])
			.arg(format!("127.0.0.1:{port}"))
			.arg("--data-dir")
			.arg(data_dir)
			.args(extra)
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("agent starts");
		let base = format!("http://127.0.0.1:{port}");
		let start = Instant::now();
		// The API answers once the agent has started (it binds its port first).
		loop {
			if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
				&& data_dir.join("agent.token").exists()
			{
				break;
			}
			assert!(start.elapsed() < Duration::from_secs(30), "agent did not come up");
			std::thread::sleep(Duration::from_millis(50));
		}
		let token =
			std::fs::read_to_string(data_dir.join("agent.token")).unwrap().trim().to_string();
		AgentProcess {
			child,
			base,
			token,
			data_dir: data_dir.to_path_buf(),
			port,
			client: reqwest::Client::new(),
		}
	}

	/// Kills the agent with SIGKILL (no cleanup at all).
	pub fn kill_9(&mut self) {
		self.child.kill().unwrap();
		self.child.wait().unwrap();
	}

	/// Stops the agent with SIGTERM (a clean shutdown) and waits up to 30 s for it to exit.
	pub fn terminate(&mut self) -> std::process::ExitStatus {
		// SAFETY: kill has no memory-safety preconditions.
		unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
		let start = Instant::now();
		loop {
			if let Some(status) = self.child.try_wait().unwrap() {
				return status;
			}
			assert!(start.elapsed() < Duration::from_secs(30), "the agent did not stop on SIGTERM");
			std::thread::sleep(Duration::from_millis(20));
		}
	}

	/// The port it listens on.
	pub fn port(&self) -> u16 {
		self.port
	}

	/// An authorized client request.
	pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
		self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token)
	}

	/// `POST /v1/jobs`.
	pub async fn submit(&self, req: &JobRequest) -> (u16, serde_json::Value) {
		let r = self.req(reqwest::Method::POST, "/v1/jobs").json(req).send().await.unwrap();
		let status = r.status().as_u16();
		(status, r.json().await.unwrap())
	}

	/// `GET path`, decoded as JSON.
	pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
		self.req(reqwest::Method::GET, path).send().await.unwrap().json().await.unwrap()
	}

	/// `GET /v1/jobs/{id}`.
	pub async fn job(&self, id: u64) -> JobStatus {
		self.get_json(&format!("/v1/jobs/{id}")).await
	}

	/// `GET /v1/jobs/{id}/metering`.
	pub async fn metering(&self, id: u64) -> MeteringReport {
		self.get_json(&format!("/v1/jobs/{id}/metering")).await
	}

	/// `GET /v1/jobs/{id}/logs`.
	pub async fn logs(&self, id: u64) -> String {
		self.req(reqwest::Method::GET, &format!("/v1/jobs/{id}/logs"))
			.send()
			.await
			.unwrap()
			.text()
			.await
			.unwrap()
	}

	/// Waits until job `id` has ended and its final sample was taken.
	pub async fn wait_final(&self, id: u64, timeout: Duration) -> (JobStatus, MeteringReport) {
		let start = Instant::now();
		loop {
			let st = self.job(id).await;
			if st.state.is_final() {
				let m = self.metering(id).await;
				if m.is_final {
					return (st, m);
				}
			}
			assert!(start.elapsed() < timeout, "job {id} did not end: {st:?}");
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
	}
}

/// `method path` on the agent at `port` with `token`, blocking (for `Drop`, which cannot
/// await): the response body, or `None` if the agent does not answer.
fn blocking_request(port: u16, token: &str, method: &str, path: &str) -> Option<String> {
	use std::io::{Read, Write};
	let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
	s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
	write!(
		s,
		"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	)
	.ok()?;
	let mut response = String::new();
	s.read_to_string(&mut response).ok()?;
	response.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
}

impl Drop for AgentProcess {
	fn drop(&mut self) {
		// SIGTERM first: the agent then destroys the networks and volumes its pool holds.
		// (Only while the child is not reaped: its pid is still its own.)
		if let Ok(None) = self.child.try_wait() {
			// A test that failed half-way leaves jobs running; an agent keeps running jobs
			// across its restarts by design, so remove them first (DELETE releases each
			// job's container, network, firewall rules and volume).
			let jobs = blocking_request(self.port, &self.token, "GET", "/v1/jobs")
				.and_then(|body| serde_json::from_str::<Vec<JobStatus>>(&body).ok())
				.unwrap_or_default();
			for job in jobs {
				let path = format!("/v1/jobs/{}", job.lease_id);
				let _ = blocking_request(self.port, &self.token, "DELETE", &path);
			}
			// SAFETY: kill has no memory-safety preconditions.
			unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
			let start = Instant::now();
			while start.elapsed() < Duration::from_secs(10) {
				if matches!(self.child.try_wait(), Ok(Some(_))) {
					break;
				}
				std::thread::sleep(Duration::from_millis(20));
			}
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
		// Jobs that ended keep their scratch volume until DELETE; release what the test left
		// so that loop devices and mounts do not pile up across runs.
		let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
		for m in mounts.lines().filter_map(|l| l.split_whitespace().nth(1)) {
			if Path::new(m).starts_with(&self.data_dir) {
				let _ = Command::new("umount").arg("-l").arg(m).status();
			}
		}
	}
}

/// A job request running `script` under `sh -c` with the given limits.
pub fn shell_job(lease: u64, image: &str, script: &str, limits: ResourceLimits) -> JobRequest {
	JobRequest {
		lease_id: lease,
		image: image.to_string(),
		command: vec!["/bin/sh".into(), "-c".into(), script.into()],
		env: vec![],
		limits,
	}
}

/// Limits: `cpu` millicores, `mem` MiB, 64 pids, 32 MiB disk.
pub fn limits(cpu: u32, mem_mib: u64) -> ResourceLimits {
	ResourceLimits {
		cpu_millicores: cpu,
		memory_bytes: mem_mib << 20,
		pids: 64,
		disk_bytes: 32 << 20,
		bandwidth_bps: 0,
	}
}

/// A fresh lease id, unique across tests and runs.
pub fn lease() -> u64 {
	static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
	let base = (std::process::id() as u64) << 20;
	base + NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
}

/// Serializes CPU-sensitive tests so they do not steal each other's cycles.
pub static CPU_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A temporary directory for an agent's data that a container's root (an unprivileged host
/// user under user namespaces) can traverse, as `/var/lib` can in production.
pub fn test_dir() -> tempfile::TempDir {
	use std::os::unix::fs::PermissionsExt;
	let dir = tempfile::tempdir().unwrap();
	std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
	dir
}

/// "The outside world" for egress tests: a network namespace this test creates, joined to
/// the host by a veth pair, holding a public-looking address (203.0.113.2, TEST-NET-3) and
/// a private one (192.168.251.2). The host side has .1 of each. Listeners run inside it, so
/// no test traffic ever leaves namespaces the test made. Removed on drop.
pub struct OutsideNet {
	/// The namespace's name.
	pub netns: String,
	host_if: String,
}

/// The outside namespace's public-looking address.
pub const OUTSIDE_PUBLIC: &str = "203.0.113.2";
/// The outside namespace's private address.
pub const OUTSIDE_PRIVATE: &str = "192.168.251.2";

impl OutsideNet {
	/// Creates the namespace and its link (serialized: the addresses are fixed).
	pub fn create() -> (OutsideNet, std::sync::MutexGuard<'static, ()>) {
		static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
		let guard = ONE.lock().unwrap_or_else(|e| e.into_inner());
		let netns = "uranus-test-outside".to_string();
		let host_if = "uto0".to_string();
		let quiet = |args: &[&str]| {
			let _ = Command::new("ip").args(args).stderr(Stdio::null()).status();
		};
		quiet(&["netns", "del", &netns]);
		quiet(&["link", "del", &host_if]);
		for args in [
			vec!["netns", "add", &netns],
			vec!["link", "add", &host_if, "type", "veth", "peer", "name", "uto1"],
			vec!["link", "set", "uto1", "netns", &netns],
			vec!["addr", "add", "203.0.113.1/24", "dev", &host_if],
			vec!["addr", "add", "192.168.251.1/24", "dev", &host_if],
			vec!["link", "set", &host_if, "up"],
			vec!["-n", &netns, "addr", "add", "203.0.113.2/24", "dev", "uto1"],
			vec!["-n", &netns, "addr", "add", "192.168.251.2/24", "dev", "uto1"],
			vec!["-n", &netns, "link", "set", "uto1", "up"],
			vec!["-n", &netns, "link", "set", "lo", "up"],
		] {
			run(Command::new("ip").args(&args));
		}
		(OutsideNet { netns, host_if }, guard)
	}

	/// A TCP listener on `port` inside the namespace: every connection's peer address and
	/// byte count go to the returned channel.
	pub fn listen(&self, port: u16) -> std::sync::mpsc::Receiver<(String, usize)> {
		use std::io::Read;
		let (tx, rx) = std::sync::mpsc::channel();
		let (ready_tx, ready_rx) = std::sync::mpsc::channel();
		let path = format!("/var/run/netns/{}", self.netns);
		std::thread::spawn(move || {
			let ns = std::fs::File::open(&path).unwrap();
			// SAFETY: `ns` is an open namespace file; setns changes only this thread's
			// network namespace.
			let rc =
				unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWNET) };
			assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
			let listener = TcpListener::bind(("0.0.0.0", port)).unwrap();
			ready_tx.send(()).unwrap();
			for conn in listener.incoming() {
				let Ok(mut conn) = conn else { continue };
				let peer = conn.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
				let mut buf = Vec::new();
				let _ = conn.read_to_end(&mut buf);
				if tx.send((peer, buf.len())).is_err() {
					break;
				}
			}
		});
		ready_rx.recv().unwrap();
		rx
	}
}

impl Drop for OutsideNet {
	fn drop(&mut self) {
		let _ = Command::new("ip").args(["netns", "del", &self.netns]).status();
		let _ = Command::new("ip").args(["link", "del", &self.host_if]).status();
	}
}

/// A TCP proxy on loopback in front of `target` that can hold new connections (they wait,
/// unanswered, until released): a registry that is slow to answer.
pub struct HeldProxy {
	/// `127.0.0.1:<port>`.
	pub addr: String,
	hold: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HeldProxy {
	/// A proxy to `target` (`host:port`), holding connections from the start.
	pub fn new(target: &str) -> HeldProxy {
		use std::sync::atomic::Ordering;
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let addr = listener.local_addr().unwrap().to_string();
		let hold = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
		let (held, target) = (hold.clone(), target.to_string());
		std::thread::spawn(move || {
			for client in listener.incoming().flatten() {
				let (held, target) = (held.clone(), target.clone());
				std::thread::spawn(move || {
					while held.load(Ordering::SeqCst) {
						std::thread::sleep(Duration::from_millis(20));
					}
					let Ok(server) = std::net::TcpStream::connect(&target) else { return };
					let (mut c2, mut s2) =
						(client.try_clone().unwrap(), server.try_clone().unwrap());
					let (mut client, mut server) = (client, server);
					std::thread::spawn(move || {
						let _ = std::io::copy(&mut c2, &mut s2);
						let _ = s2.shutdown(std::net::Shutdown::Write);
					});
					let _ = std::io::copy(&mut server, &mut client);
					let _ = client.shutdown(std::net::Shutdown::Write);
				});
			}
		});
		HeldProxy { addr, hold }
	}

	/// Lets held and new connections through.
	pub fn release(&self) {
		self.hold.store(false, std::sync::atomic::Ordering::SeqCst);
	}

	/// `image` (`registry/repo@digest`) as pulled through this proxy.
	pub fn image(&self, image: &str) -> String {
		let (_, rest) = image.split_once('/').unwrap();
		format!("{}/{rest}", self.addr)
	}
}

/// This package's directory in the checkout being tested. Read at run time (cargo sets
/// `CARGO_MANIFEST_DIR` for test binaries): a test binary reused from a shared target dir
/// built in another checkout would otherwise carry that checkout's path.
pub fn manifest_dir() -> std::path::PathBuf {
	std::env::var_os("CARGO_MANIFEST_DIR")
		.map(std::path::PathBuf::from)
		.unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
