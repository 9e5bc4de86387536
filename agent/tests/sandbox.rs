//! A job is a stranger's code. From inside a real container (runc, the busybox test image
//! carrying the sandbox probe `tests/probe/probe.c`), every way out a hostile tenant would
//! try is denied, the container's root is an unprivileged user on the host, and the image's
//! `User` is who the job runs as.

mod common;

use common::*;
use std::{os::unix::fs::MetadataExt, path::PathBuf, time::Duration};
use uranus_primitives::agent::{JobState, JobStatus};

/// Runs `script` (as `sh -c`) of `image` to its end: (status, logs, the job's scratch
/// directory on the host, which stays mounted until the job is deleted).
async fn run_to_end(agent: &AgentProcess, image: &str, script: &str) -> (JobStatus, String) {
	let id = lease();
	let (code, body) = agent.submit(&shell_job(id, image, script, limits(500, 64))).await;
	let log = std::fs::read_to_string(agent.data_dir.with_extension("log")).unwrap_or_default();
	assert_eq!(code, 201, "{body}\nagent log:\n{log}");
	let (status, _) = agent.wait_final(id, Duration::from_secs(60)).await;
	let logs = agent.logs(id).await;
	(status, logs)
}

/// The scratch volume of the one job `agent` ran (volumes come from the provisioner's pool
/// under `<data>/provision`; it stays mounted until the job is deleted).
fn scratch_of(agent: &AgentProcess) -> PathBuf {
	let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
	let root = agent.data_dir.join("provision");
	let held: Vec<PathBuf> = mounts
		.lines()
		.filter_map(|l| l.split_whitespace().nth(1).map(PathBuf::from))
		.filter(|m| m.starts_with(&root))
		.filter(|m| {
			std::fs::read_dir(m)
				.map(|d| d.flatten().any(|e| e.file_name() != "lost+found"))
				.unwrap_or(false)
		})
		.collect();
	assert_eq!(held.len(), 1, "one volume holds the job's files: {held:?}");
	held[0].clone()
}

/// The syscalls and files a container breakout goes through (see the probe): namespaces of
/// its own (the first step of most kernel exploits from a container), mounts, tracing,
/// io_uring, eBPF, perf, keyrings, `/proc/sys`, chroot, personality, userfaultfd.
const ATTEMPTS: &[&str] = &[
	"clone_newuser",
	"clone_newns",
	"clone_newnet",
	"clone3_newuser",
	"unshare_user",
	"mount_tmpfs",
	"ptrace_attach",
	"io_uring_setup",
	"bpf",
	"perf_event_open",
	"keyctl",
	"add_key",
	"write_proc_sys",
	"chroot",
	"setns",
	"personality",
	"userfaultfd",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_way_out_of_the_container_is_denied() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let (status, logs) = run_to_end(&agent, &fx.busybox, "/bin/probe").await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	let allowed: Vec<&str> = ATTEMPTS
		.iter()
		.copied()
		.filter(|a| !logs.lines().any(|l| l.starts_with(&format!("{a} denied"))))
		.collect();
	assert!(allowed.is_empty(), "allowed from inside the container: {allowed:?}\n{logs}");
	// The job still does ordinary work: threads, pipes, files, its own processes.
	let (status, logs) =
		run_to_end(&agent, &fx.busybox, "echo a | cat > /tmp/x && sort /tmp/x && ps | wc -l").await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert!(logs.starts_with("a\n"), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn container_root_is_an_unprivileged_user_on_the_host() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let (status, logs) =
		run_to_end(&agent, &fx.busybox, "id -u; touch /scratch/made-by-root").await;
	let scratch = scratch_of(&agent);
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert_eq!(logs.trim(), "0", "the job is root inside its container");
	let host_uid = std::fs::metadata(scratch.join("made-by-root")).unwrap().uid();
	assert!(host_uid >= 1 << 31, "the container's root is host uid {host_uid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_images_user_runs_the_job() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let (status, logs) =
		run_to_end(&agent, &fx.busybox_user, "id -u; id -g; touch /scratch/mine").await;
	let scratch = scratch_of(&agent);
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert_eq!(logs.split_whitespace().collect::<Vec<_>>(), ["1234", "1234"], "{logs}");
	let meta = std::fs::metadata(scratch.join("mine")).unwrap();
	assert!(meta.uid() >= 1 << 31 && meta.uid() % 65_536 == 1234, "host uid {}", meta.uid());
}

/// #37 defect 6: an image whose `WorkingDir` runc refuses (a leaked descriptor's path) made
/// the container fail at start, and the job ended `lost`, the provider's fault (penalised,
/// re-scheduled) for what the image's publisher wrote.
#[tokio::test(flavor = "multi_thread")]
async fn an_image_whose_working_directory_the_runtime_refuses_is_the_images_fault() {
	use uranus_primitives::compute::EndCause;
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let (status, logs) = run_to_end(&agent, &fx.busybox_leaky_cwd, "pwd").await;
	assert_eq!(status.state, JobState::Failed, "{status:?}\n{logs}");
	assert_eq!(status.cause, Some(EndCause::ImageUnusable), "{status:?}");
	assert_eq!(status.started_at_ms, None, "it never started");
	assert!(status.reason.as_deref().unwrap_or("").contains("/proc/self/fd/7"), "{status:?}");
}

/// The job's network namespace belongs to its user namespace (so that `runc exec` can join
/// it), but the job has no `CAP_NET_ADMIN` there: it cannot take another address (another
/// job's, to spoof it), drop its route or its interface, nor make interfaces of its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_cannot_reconfigure_the_network_its_user_namespace_owns() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let script = "ip addr add 10.213.0.6/30 dev eth0 && echo ADDED
		ip route del default && echo UNROUTED
		ip link set eth0 down && echo DOWN
		ip link add dummy0 type dummy && echo MADE
		ip -o -4 addr show dev eth0
		ip route show default
		true";
	let (status, logs) = run_to_end(&agent, &fx.busybox, script).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	for done in ["ADDED", "UNROUTED", "DOWN", "MADE"] {
		assert!(!logs.lines().any(|l| l == done), "the job could: {done}\n{logs}");
	}
	assert_eq!(logs.lines().filter(|l| l.contains("inet ")).count(), 1, "one address:\n{logs}");
	assert!(logs.lines().any(|l| l.starts_with("default via 10.213.")), "its route:\n{logs}");
}

/// Waits until job `id`'s log holds a line with `needle`; returns that line.
async fn log_line(agent: &AgentProcess, id: u64, needle: &str) -> String {
	let start = std::time::Instant::now();
	loop {
		if let Some(l) = agent.logs(id).await.lines().find(|l| l.contains(needle)) {
			return l.to_string();
		}
		assert!(start.elapsed() < Duration::from_secs(30), "job {id} never logged {needle:?}");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
}

/// Jobs are strangers to the host and to each other: a host service listening on every
/// address does not answer a job (through its gateway, the host end of its veth), nor does
/// another job's listener. Tested with egress on, when the host forwards for jobs.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_reaches_neither_host_services_nor_other_jobs() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start_with(&dir.path().join("agent"), free_port(), &["--job-egress"]);
	let host = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
	let host_port = host.local_addr().unwrap().port();
	host.set_nonblocking(true).unwrap();

	let b = lease();
	let listen = "ip -o -4 addr show dev eth0; nc -l -p 7000 && echo B_WAS_REACHED";
	let (code, body) = agent.submit(&shell_job(b, &fx.busybox, listen, limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	let line = log_line(&agent, b, "inet ").await;
	let b_ip = line
		.split_whitespace()
		.skip_while(|w| *w != "inet")
		.nth(1)
		.and_then(|a| a.split('/').next())
		.unwrap()
		.to_string();

	let probe = format!(
		"nc -w 3 $URANUS_GATEWAY {host_port} -e /bin/true && echo REACHED_HOST
		nc -w 3 {b_ip} 7000 -e /bin/true && echo REACHED_JOB
		true"
	);
	let (status, logs) = run_to_end(&agent, &fx.busybox, &probe).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert!(!logs.contains("REACHED_HOST"), "a host service answered a job:\n{logs}");
	assert!(host.accept().is_err(), "the host service saw a connection from a job");
	assert!(!logs.contains("REACHED_JOB"), "job {b} at {b_ip} answered another job:\n{logs}");
	assert!(!agent.logs(b).await.contains("B_WAS_REACHED"));
	let r = agent.req(reqwest::Method::DELETE, &format!("/v1/jobs/{b}")).send().await.unwrap();
	assert_eq!(r.status(), 200);
}

/// #37 defect 7: a job's traffic was bounded by nothing but the veth, so one cheap lease
/// could fill the provider's uplink. It is shaped to the lease's `bandwidth_bps` each way:
/// what the job sends on its end (in its namespace), what it receives on the host's end.
#[tokio::test(flavor = "multi_thread")]
async fn a_jobs_traffic_is_shaped_to_what_its_lease_paid_for() {
	use std::io::Read;
	const RATE: u64 = 512 << 10;
	const SENT: u64 = 3 << 20;
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	// The job serves 3 MiB to whoever connects (the host may open connections to a job).
	let script = format!("dd if=/dev/zero bs=64k count={} 2>/dev/null | nc -l -p 7100", SENT >> 16);
	let mut req = shell_job(id, &fx.busybox, &script, limits(500, 64));
	req.limits.bandwidth_bps = RATE;
	let (code, body) = agent.submit(&req).await;
	assert_eq!(code, 201, "{body}");
	let status = loop {
		let s = agent.job(id).await;
		if s.started_at_ms.is_some() || s.state.is_final() {
			break s;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	};
	let net = status.network.clone().expect("a network");
	// The host's end shapes what the job receives.
	let ifaces =
		std::process::Command::new("ip").args(["-o", "-4", "addr", "show"]).output().unwrap();
	let host_if = String::from_utf8_lossy(&ifaces.stdout)
		.lines()
		.find(|l| l.contains(&format!("inet {}/", net.host_ip)))
		.and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
		.expect("the job's host interface");
	let qdisc =
		std::process::Command::new("tc").args(["qdisc", "show", "dev", &host_if]).output().unwrap();
	let qdisc = String::from_utf8_lossy(&qdisc.stdout).to_string();
	assert!(qdisc.contains("tbf") && qdisc.contains("rate 4194Kbit"), "{host_if}: {qdisc}");

	// What the job sends is paced: 3 MiB at 512 KiB/s takes about 6 s (a bucket of 32 KiB
	// and a queue of 100 ms aside), where the veth alone carries it in milliseconds.
	let started = std::time::Instant::now();
	let mut stream = loop {
		match std::net::TcpStream::connect((net.job_ip.as_str(), 7100)) {
			Ok(s) => break s,
			Err(e) => {
				assert!(started.elapsed() < Duration::from_secs(20), "connect: {e}");
				std::thread::sleep(Duration::from_millis(100));
			},
		}
	};
	stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
	let t0 = std::time::Instant::now();
	let mut got = 0u64;
	let mut buf = vec![0u8; 64 << 10];
	while got < SENT {
		match stream.read(&mut buf) {
			Ok(0) => break,
			Ok(n) => got += n as u64,
			Err(e) => panic!("read after {got} bytes: {e}"),
		}
	}
	let took = t0.elapsed();
	// The job's `nc` ends when its peer goes.
	drop(stream);
	println!(
		"{got} bytes from the job in {took:?} at {} KiB/s",
		got as f64 / took.as_secs_f64() / 1024.0
	);
	assert_eq!(got, SENT, "all of it arrived");
	// A lower bound only (shaping can only slow it down): at most ~1.5 times the rate.
	let floor = Duration::from_secs_f64(SENT as f64 / (RATE as f64 * 1.5));
	assert!(took >= floor, "{got} bytes in {took:?}: faster than 1.5 x {RATE} B/s");
	let (status, metering) = agent.wait_final(id, Duration::from_secs(30)).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}");
	let metered = metering.net_rx_bytes + metering.net_tx_bytes;
	assert!(metered >= SENT, "the shaped bytes are metered: {metering:?}");
}

/// Outbound traffic is a provider's policy: off by default; when on, a job reaches public
/// addresses (as the host, masqueraded) but never private ranges.
#[tokio::test(flavor = "multi_thread")]
async fn egress_is_off_by_default_and_never_reaches_private_ranges() {
	let fx = fixtures();
	let (outside, _serial) = OutsideNet::create();
	let got = outside.listen(9000);
	let dir = test_dir();
	let send = format!(
		"echo hi | nc -w 3 {OUTSIDE_PUBLIC} 9000 && echo REACHED_PUBLIC
		echo hi | nc -w 3 {OUTSIDE_PRIVATE} 9000 && echo REACHED_PRIVATE
		true"
	);

	let off = AgentProcess::start(&dir.path().join("off"));
	let (status, logs) = run_to_end(&off, &fx.busybox, &send).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert!(!logs.contains("REACHED"), "egress is off by default:\n{logs}");
	drop(off);

	let on = AgentProcess::start_with(&dir.path().join("on"), free_port(), &["--job-egress"]);
	let (status, logs) = run_to_end(&on, &fx.busybox, &send).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert!(logs.contains("REACHED_PUBLIC"), "egress on reaches public addresses:\n{logs}");
	assert!(!logs.contains("REACHED_PRIVATE"), "private ranges stay closed:\n{logs}");
	let (peer, bytes) = got.recv_timeout(Duration::from_secs(5)).unwrap();
	assert_eq!((peer.as_str(), bytes), ("203.0.113.1", 3), "masqueraded as the host");
	assert!(got.try_recv().is_err(), "only the public address was reached");
}
