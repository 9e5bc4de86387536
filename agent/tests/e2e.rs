//! End-to-end tests of the real agent binary with real runc, a real registry and real
//! images. Run as root on a machine with runc, docker-registry, umoci and skopeo.

mod common;

use common::*;
use reqwest::Method;
use std::time::Duration;
use uranus_primitives::{
	agent::{HardwareInfo, JobState, JobStatus},
	compute::EndCause,
};

const CLK_TCK_MICROS: u64 = 10_000; // USER_HZ = 100

fn field(logs: &str, key: &str) -> u64 {
	logs.split_whitespace()
		.find_map(|t| t.strip_prefix(&format!("{key}=")))
		.and_then(|v| v.parse().ok())
		.unwrap_or_else(|| panic!("no {key}= in job output:\n{logs}"))
}

/// rx and tx bytes of `eth0` from the `/proc/net/dev` the job printed.
fn eth0_counters(logs: &str) -> (u64, u64) {
	let line = logs
		.lines()
		.find(|l| l.trim_start().starts_with("eth0:"))
		.unwrap_or_else(|| panic!("no eth0 line in the job's /proc/net/dev:\n{logs}"));
	let f: Vec<u64> =
		line.trim_start()["eth0:".len()..].split_whitespace().map(|v| v.parse().unwrap()).collect();
	(f[0], f[8])
}

#[tokio::test(flavor = "multi_thread")]
async fn hardware_is_reported_and_needs_the_token() {
	let _ = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let hw: HardwareInfo =
		agent.req(Method::GET, "/v1/hardware").send().await.unwrap().json().await.unwrap();
	assert!(hw.logical_cores >= 1 && hw.memory_total_bytes > 0 && hw.storage_total_bytes > 0);
	assert_eq!(hw.runtime, "runc");
	assert!(["v1", "v2", "hybrid"].contains(&hw.cgroup_mode.as_str()));
	let anon = reqwest::get(format!("{}/v1/hardware", agent.base)).await.unwrap();
	assert_eq!(anon.status(), 401);
	let body: serde_json::Value = anon.json().await.unwrap();
	assert_eq!(body["error"], "unauthorized");
	let health = reqwest::get(format!("{}/v1/health", agent.base)).await.unwrap();
	assert_eq!(health.status(), 200);
	// A second agent measures its uplink against the first one's sink (bounded: one 4 MiB POST).
	let sink = format!("{}/v1/sink", agent.base);
	let other = AgentProcess::start_with(
		&dir.path().join("other"),
		free_port(),
		&["--uplink-endpoint", &sink],
	);
	let mut uplink = None;
	for _ in 0..100 {
		let hw: HardwareInfo =
			other.req(Method::GET, "/v1/hardware").send().await.unwrap().json().await.unwrap();
		if hw.uplink_bytes_per_sec.is_some() {
			uplink = hw.uplink_bytes_per_sec;
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let uplink = uplink.expect("uplink measured");
	println!("uplink self-test on loopback: {uplink} bytes/s");
	assert!(uplink > 1_000_000, "loopback moves more than 1 MB/s: {uplink}");
	// The token file is private.
	use std::os::unix::fs::PermissionsExt;
	let mode =
		std::fs::metadata(dir.path().join("agent/agent.token")).unwrap().permissions().mode();
	assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn metering_matches_what_the_job_burned_allocated_and_sent() {
	let fx = fixtures();
	let _cpu = CPU_LOCK.lock().await;
	let dir = test_dir();
	let agent = AgentProcess::start_with(&dir.path().join("agent"), free_port(), &["--job-egress"]);

	// A sink outside (a namespace standing in for the internet), reached with egress on.
	let (outside, _serial) = OutsideNet::create();
	let sink = outside.listen(9001);
	let received = std::thread::spawn(move || {
		sink.recv_timeout(Duration::from_secs(60)).map(|(_, n)| n).unwrap_or(0)
	});

	let script = format!(
		"set -e
		dd if=/dev/zero of=/scratch/blob bs=1048576 count=1 2>/dev/null; sync
		head -c 3000000 /dev/zero | nc {OUTSIDE_PUBLIC} 9001
		end=$(( $(date +%s) + 3 ))
		while [ $(date +%s) -lt $end ]; do :; done
		head -c 40000000 /dev/zero > /dev/shm/m
		sleep 1
		read -r pid comm st ppid pgrp sess tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime rest < /proc/1/stat
		echo TICKS=$((utime + stime + cutime + cstime))
		echo NETDEV_BEGIN; cat /proc/net/dev; echo NETDEV_END"
	);
	let id = lease();
	let (code, body) = agent.submit(&shell_job(id, &fx.busybox, &script, limits(1000, 128))).await;
	assert_eq!(code, 201, "{body}");
	// The image is pulled in the background: POST answers at once.
	assert_eq!(body["state"], "pulling");

	let (status, m) = agent.wait_final(id, Duration::from_secs(60)).await;
	let logs = agent.logs(id).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert_eq!(status.exit_code, Some(0), "{logs}");
	assert_eq!(received.join().unwrap(), 3_000_000);

	let burned_micros = field(&logs, "TICKS") * CLK_TCK_MICROS;
	let ratio = m.cpu_micros as f64 / burned_micros as f64;
	println!("cpu: metered {} µs, burned {} µs (ratio {ratio:.3})", m.cpu_micros, burned_micros);
	assert!(
		(0.9..=1.1).contains(&ratio),
		"cpu within 10%: metered {} vs burned {}",
		m.cpu_micros,
		burned_micros
	);

	let peak_ratio = m.memory_peak_bytes as f64 / 40_000_000f64;
	println!(
		"memory peak: {} bytes (ratio {peak_ratio:.3} of 40 MB allocated)",
		m.memory_peak_bytes
	);
	assert!((0.95..=1.1).contains(&peak_ratio), "memory peak within 10%: {}", m.memory_peak_bytes);
	assert!(
		m.memory_byte_seconds > 30_000_000,
		"40 MB held for about a second: {}",
		m.memory_byte_seconds
	);

	let (rx, tx) = eth0_counters(&logs);
	println!(
		"network: metered rx {} tx {}, job's own eth0 rx {rx} tx {tx}",
		m.net_rx_bytes, m.net_tx_bytes
	);
	assert_eq!(m.net_rx_bytes, rx, "rx exact");
	assert_eq!(m.net_tx_bytes, tx, "tx exact");
	assert!(m.net_tx_bytes > 3_000_000);

	assert!(
		(1 << 20..=(1 << 20) + (256 << 10)).contains(&m.disk_used_bytes),
		"disk {}",
		m.disk_used_bytes
	);
	assert!(m.wall_millis >= 3_000, "wall {}", m.wall_millis);
	assert!(m.seq >= 5, "sampled repeatedly: seq {}", m.seq);

	// DELETE releases the job; its final metering stays readable.
	let r = agent.req(Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 200);
	assert_eq!(agent.metering(id).await, m);
	let job_dir = agent.data_dir.join("jobs").join(id.to_string());
	assert!(!job_dir.join("scratch.ext4").exists(), "the scratch volume is freed");
	// A second DELETE (the worker's, once the lease ended on chain) forgets it.
	let r = agent.req(Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 200);
	let r = agent.req(Method::GET, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 404);
	assert!(!job_dir.exists(), "its directory and log are gone");
	let listed: Vec<serde_json::Value> = agent.get_json("/v1/jobs").await;
	assert!(listed.iter().all(|j| j["lease_id"] != id), "no longer listed");
}

#[tokio::test(flavor = "multi_thread")]
async fn exceeding_the_memory_limit_ends_in_an_oom_kill() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	// awk is the container's init and doubles a string until the kernel kills it.
	let mut req = shell_job(id, &fx.busybox, "", limits(1000, 32));
	req.command =
		vec!["/bin/awk".into(), "BEGIN { s = \"x\"; while (1) s = s s; print length(s) }".into()];
	let (code, body) = agent.submit(&req).await;
	assert_eq!(code, 201, "{body}");
	let (status, m) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(status.state, JobState::Failed, "{status:?}");
	assert!(status.reason.as_deref().unwrap_or("").starts_with("oom"), "{status:?}");
	assert_eq!(status.exit_code, Some(137));
	assert!(
		m.memory_peak_bytes >= 30 << 20 && m.memory_peak_bytes <= 33 << 20,
		"peak {}",
		m.memory_peak_bytes
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cpu_limited_job_is_throttled_to_its_quota() {
	let fx = fixtures();
	let _cpu = CPU_LOCK.lock().await;
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	let script = "end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do :; done";
	let (code, body) = agent.submit(&shell_job(id, &fx.busybox, script, limits(200, 64))).await;
	assert_eq!(code, 201, "{body}");
	let (status, m) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(status.state, JobState::Exited);
	let share = m.cpu_micros as f64 / (m.wall_millis as f64 * 1000.0);
	println!(
		"throttled job: {} µs cpu over {} ms wall = {share:.3} cores (quota 0.2)",
		m.cpu_micros, m.wall_millis
	);
	assert!((0.15..=0.22).contains(&share), "cpu ≈ quota × wall: {share}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_the_agent_loses_nothing_and_post_stays_idempotent() {
	let fx = fixtures();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let mut agent = AgentProcess::start(&data);
	let id = lease();
	let req = shell_job(
		id,
		&fx.busybox,
		"end=$(( $(date +%s) + 10 )); while [ $(date +%s) -lt $end ]; do :; done; echo finished",
		limits(500, 64),
	);
	let (code, _) = agent.submit(&req).await;
	assert_eq!(code, 201);
	let mut before = agent.metering(id).await;
	while before.seq < 3 {
		tokio::time::sleep(Duration::from_millis(200)).await;
		before = agent.metering(id).await;
	}

	agent.kill_9();
	tokio::time::sleep(Duration::from_millis(1500)).await;
	// The container kept running under its shim.
	let list = std::process::Command::new("runc")
		.arg("--root")
		.arg(data.join("runtime"))
		.args(["list", "--format", "json"])
		.output()
		.unwrap();
	let containers: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
	let ours: Vec<_> =
		containers.as_array().unwrap().iter().filter(|c| c["id"] == format!("ura-{id}")).collect();
	assert_eq!(ours.len(), 1);
	assert_eq!(ours[0]["status"], "running");

	let agent = AgentProcess::start(&data);
	let after = agent.metering(id).await;
	assert!(
		after.seq >= before.seq && after.cpu_micros >= before.cpu_micros,
		"{before:?} -> {after:?}"
	);
	assert!(after.memory_byte_seconds >= before.memory_byte_seconds);

	// Repeating the POST starts nothing new.
	let (code, body) = agent.submit(&req).await;
	assert_eq!(code, 200, "{body}");
	let again = std::process::Command::new("runc")
		.arg("--root")
		.arg(data.join("runtime"))
		.args(["list", "--format", "json"])
		.output()
		.unwrap();
	let n = serde_json::from_slice::<serde_json::Value>(&again.stdout)
		.unwrap()
		.as_array()
		.unwrap()
		.len();
	assert_eq!(n, 1, "still exactly one container");

	let (status, m) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}");
	assert_eq!(status.exit_code, Some(0));
	assert!(agent.logs(id).await.contains("finished"));
	assert!(m.seq > after.seq && m.cpu_micros >= after.cpu_micros);
	// 0.5 core for ~10 s: the counters continued across the restart without a gap or a double.
	let share = m.cpu_micros as f64 / (m.wall_millis as f64 * 1000.0);
	assert!((0.4..=0.55).contains(&share), "cpu share {share}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_clear_errors_and_leaves_nothing_behind() {
	let fx = fixtures();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let agent = AgentProcess::start(&data);
	let post = |body: Vec<u8>| {
		agent
			.req(Method::POST, "/v1/jobs")
			.header("content-type", "application/json")
			.body(body)
			.send()
	};

	// Malformed JSON.
	let r = post(b"{\"lease_id\": 1, \"image\": ".to_vec()).await.unwrap();
	assert_eq!(r.status(), 400);
	let b: serde_json::Value = r.json().await.unwrap();
	assert_eq!(b["error"], "bad_request");
	assert!(!b["message"].as_str().unwrap().is_empty());

	// Oversized body.
	let big = format!("{{\"lease_id\":1,\"image\":\"{}\"}}", "a".repeat(200_000));
	let r = post(big.into_bytes()).await.unwrap();
	assert_eq!(r.status(), 413);

	// Missing and wrong token.
	let r = reqwest::Client::new()
		.post(format!("{}/v1/jobs", agent.base))
		.json(&serde_json::json!({}))
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 401);
	let r = reqwest::Client::new()
		.get(format!("{}/v1/jobs", agent.base))
		.bearer_auth("not-the-token")
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 401);

	// A tag instead of a digest, and impossible limits.
	let (code, b) = agent
		.submit(&shell_job(
			lease(),
			&format!("{}/test/busybox:1.0", fx.registry.addr),
			"true",
			limits(100, 16),
		))
		.await;
	assert_eq!(code, 400, "{b}");
	let (code, b) = agent.submit(&shell_job(lease(), &fx.busybox, "true", limits(0, 16))).await;
	assert_eq!(code, 400, "{b}");

	// An unknown digest and a layer escaping the rootfs: accepted (the image is pulled in the
	// background), then failed with a typed cause that puts the fault on the image.
	let unknown = format!("{}/test/busybox@sha256:{}", fx.registry.addr, "0".repeat(64));
	let unknown_lease = lease();
	let (code, b) =
		agent.submit(&shell_job(unknown_lease, &unknown, "true", limits(100, 16))).await;
	assert_eq!(code, 201, "{b}");
	assert_eq!(b["state"], "pulling");
	let evil_lease = lease();
	let (code, b) =
		agent.submit(&shell_job(evil_lease, &fx.traversal, "true", limits(100, 16))).await;
	assert_eq!(code, 201, "{b}");
	for (id, says) in [(unknown_lease, "not found"), (evil_lease, "escaping")] {
		let (status, _) = agent.wait_final(id, Duration::from_secs(30)).await;
		assert_eq!(status.state, JobState::Failed, "{status:?}");
		assert_eq!(status.cause, Some(EndCause::ImageUnusable), "{status:?}");
		assert_eq!(status.started_at_ms, None, "it never started");
		assert!(status.reason.as_deref().unwrap_or("").contains(says), "{status:?}");
	}
	assert!(!data.join("images").join("evil").exists() && !data.join("evil").exists());

	// Nothing was left behind but the two records: no rootfs, no stray blobs, no temporary
	// files, no job directories.
	let jobs: Vec<JobStatus> =
		agent.req(Method::GET, "/v1/jobs").send().await.unwrap().json().await.unwrap();
	assert_eq!(jobs.len(), 2, "{jobs:?}");
	let count = |p: &str| std::fs::read_dir(data.join(p)).map(|d| d.count()).unwrap_or(0);
	assert_eq!(count("images/rootfs"), 0);
	assert_eq!(count("images/blobs/sha256"), 0);
	assert_eq!(count("images/tmp"), 0);
	assert_eq!(count("jobs"), 0);
	let r = agent.req(Method::GET, "/v1/jobs/999999999").send().await.unwrap();
	assert_eq!(r.status(), 404);
	let r = agent.req(Method::GET, "/v1/jobs/not-a-number").send().await.unwrap();
	assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_job_burns_no_cpu_keeps_its_state_and_resumes() {
	let fx = fixtures();
	let _cpu = CPU_LOCK.lock().await;
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	// Counts in a shell variable: only a thawed process with its memory intact ends with
	// the full count.
	let script = "i=0; while [ $i -lt 6000000 ]; do i=$((i+1)); done; echo counted $i";
	let (code, body) = agent.submit(&shell_job(id, &fx.busybox, script, limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	while agent.metering(id).await.cpu_micros < 200_000 {
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let post = |verb: &str| agent.req(Method::POST, &format!("/v1/jobs/{id}/{verb}")).send();
	let r = post("pause").await.unwrap();
	let status = r.status();
	let body = r.text().await.unwrap();
	assert_eq!(status, 200, "{body}");
	assert_eq!(serde_json::from_str::<JobStatus>(&body).unwrap().state, JobState::Paused);
	// Pausing twice is a no-op; the runtime reports the container frozen.
	assert_eq!(post("pause").await.unwrap().status(), 200);
	let state = std::process::Command::new("runc")
		.arg("--root")
		.arg(dir.path().join("agent/runtime"))
		.args(["state", &format!("ura-{id}")])
		.output()
		.unwrap();
	let v: serde_json::Value = serde_json::from_slice(&state.stdout).unwrap();
	assert_eq!(v["status"], "paused");
	tokio::time::sleep(Duration::from_millis(600)).await;
	let frozen = agent.metering(id).await;
	tokio::time::sleep(Duration::from_secs(2)).await;
	let later = agent.metering(id).await;
	assert!(later.seq > frozen.seq, "sampling goes on while paused");
	assert!(
		later.cpu_micros - frozen.cpu_micros < 20_000,
		"a frozen job burns no CPU: {frozen:?} -> {later:?}"
	);
	assert_eq!(agent.job(id).await.state, JobState::Paused);

	let r = post("resume").await.unwrap();
	assert_eq!(r.json::<JobStatus>().await.unwrap().state, JobState::Running);
	let (status, _) = agent.wait_final(id, Duration::from_secs(120)).await;
	assert_eq!((status.state, status.exit_code), (JobState::Exited, Some(0)));
	assert!(agent.logs(id).await.contains("counted 6000000"));
	// Pausing an ended job is refused with 409; an unknown one is 404.
	assert_eq!(post("pause").await.unwrap().status(), 409);
	let r = agent.req(Method::POST, "/v1/jobs/999999999/pause").send().await.unwrap();
	assert_eq!(r.status(), 404);
}

/// Two agents share a host (or two test suites run side by side, each with its agent and
/// chain, whose lease ids both start at 0): the same lease id on both must be two jobs apart.
/// Before #36 both ran in the cgroup `uranus-agent/ura-<lease>`: one job was metered for the
/// other's CPU, and pausing one froze the other.
#[tokio::test(flavor = "multi_thread")]
async fn two_agents_running_the_same_lease_id_meter_and_pause_only_their_own_job() {
	let fx = fixtures();
	let _cpu = CPU_LOCK.lock().await;
	let dir = test_dir();
	let idle_agent = AgentProcess::start(&dir.path().join("idle"));
	let busy_agent = AgentProcess::start(&dir.path().join("busy"));
	let id = lease();
	let (code, body) =
		idle_agent.submit(&shell_job(id, &fx.busybox, "sleep 30", limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	let burn = "end=$(( $(date +%s) + 30 )); while [ $(date +%s) -lt $end ]; do :; done";
	let (code, body) = busy_agent.submit(&shell_job(id, &fx.busybox, burn, limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	// The busy job burns half a core: 1.5 s of CPU within ~3 s.
	let start = std::time::Instant::now();
	while busy_agent.metering(id).await.cpu_micros < 1_500_000 {
		assert!(start.elapsed() < Duration::from_secs(30), "the busy job does not burn CPU");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let idle = idle_agent.metering(id).await;
	assert!(
		idle.cpu_micros < 300_000,
		"the sleeping job is metered for its own CPU only: {idle:?}"
	);

	// Pausing the sleeping job freezes it alone: the busy one keeps burning.
	let r = idle_agent.req(Method::POST, &format!("/v1/jobs/{id}/pause")).send().await.unwrap();
	assert_eq!(r.status(), 200);
	let before = busy_agent.metering(id).await;
	tokio::time::sleep(Duration::from_secs(2)).await;
	let after = busy_agent.metering(id).await;
	assert!(
		after.cpu_micros - before.cpu_micros > 500_000,
		"the other agent's job runs on while this one is paused: {before:?} -> {after:?}"
	);
	assert_eq!(busy_agent.job(id).await.state, JobState::Running);
	for agent in [&idle_agent, &busy_agent] {
		let r = agent.req(Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
		assert!(r.status().is_success(), "{}", r.status());
	}
}

/// Defect #19: a job that floods its output cannot fill the provider's disk: its log is
/// capped (an eighth of its disk allowance, rotated, the newest output kept), counted as the
/// job's disk use, and served from its end as a stream.
#[tokio::test(flavor = "multi_thread")]
async fn a_flooding_job_keeps_a_capped_log_counted_as_its_disk_use() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	// 32 MiB of disk: a 4 MiB log cap. The job prints 20 MB, then a last line.
	let script = "yes 0123456789abcdef | head -c 20000000; echo; echo THE-END";
	let (code, body) = agent.submit(&shell_job(id, &fx.busybox, script, limits(1000, 64))).await;
	assert_eq!(code, 201, "{body}");
	let (status, m) = agent.wait_final(id, Duration::from_secs(120)).await;
	assert_eq!(status.state, JobState::Exited, "{status:?}");
	let job_dir = agent.data_dir.join("jobs").join(id.to_string());
	let on_disk: u64 = ["output.log", "output.log.1"]
		.iter()
		.map(|f| std::fs::metadata(job_dir.join(f)).map(|m| m.len()).unwrap_or(0))
		.sum();
	assert!(on_disk <= 4 << 20, "the log holds {on_disk} bytes, over its 4 MiB cap");
	assert!(on_disk >= 2 << 20, "the log keeps the newest output: {on_disk} bytes");
	assert!(m.disk_used_bytes >= on_disk, "metered disk {} counts the log", m.disk_used_bytes);
	let tail = agent
		.req(Method::GET, &format!("/v1/jobs/{id}/logs?max_bytes=3000000"))
		.send()
		.await
		.unwrap()
		.text()
		.await
		.unwrap();
	assert_eq!(tail.len(), 3_000_000, "the tail spans both halves of the log");
	assert!(tail.ends_with("\nTHE-END\n"), "the newest output is kept");
}

/// Defect #19: the image store keeps within its quota by evicting the least recently used
/// images no live job runs; when live jobs hold the rest, a new image is refused (the job
/// fails with `image_pull`, the provider's side) instead of filling the disk.
#[tokio::test(flavor = "multi_thread")]
async fn the_image_store_evicts_unused_images_to_stay_within_its_quota() {
	let fx = fixtures();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let mut agent = AgentProcess::start(&data);
	let first = lease();
	let (code, body) = agent.submit(&shell_job(first, &fx.busybox, "true", limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	agent.wait_final(first, Duration::from_secs(60)).await;
	let cached = |data: &std::path::Path| -> Vec<(String, u64)> {
		std::fs::read_dir(data.join("images/rootfs"))
			.unwrap()
			.flatten()
			.filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
			.map(|e| {
				let v: serde_json::Value =
					serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
				(e.file_name().to_string_lossy().to_string(), v["store_bytes"].as_u64().unwrap())
			})
			.collect()
	};
	let images = cached(&data);
	assert_eq!(images.len(), 1, "{images:?}");
	let one_image = images[0].1;
	let blob: u64 = std::fs::read_dir(data.join("images/blobs/sha256"))
		.unwrap()
		.flatten()
		.map(|e| e.metadata().unwrap().len())
		.sum();
	assert!(one_image > blob, "an image holds its blobs and its unpacked files: {one_image}");

	// Room for one image only: the second one evicts the first (no job runs it).
	agent.kill_9();
	let quota = (one_image + blob / 2).to_string();
	let agent = AgentProcess::start_with(&data, free_port(), &["--image-store-max-bytes", &quota]);
	let sleeper = lease();
	let (code, body) =
		agent.submit(&shell_job(sleeper, &fx.busybox_user, "sleep 30", limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	while agent.job(sleeper).await.started_at_ms.is_none() {
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let images = cached(&data);
	assert_eq!(images.len(), 1, "the first image was evicted: {images:?}");
	assert!(images[0].1 <= one_image + blob / 2);

	// The running job holds the only room: the first image cannot come back now.
	let refused = lease();
	let (code, body) =
		agent.submit(&shell_job(refused, &fx.busybox, "true", limits(500, 64))).await;
	assert_eq!(code, 201, "{body}");
	let (status, _) = agent.wait_final(refused, Duration::from_secs(60)).await;
	assert_eq!(status.state, JobState::Failed, "{status:?}");
	assert_eq!(status.cause, Some(EndCause::ImagePull), "{status:?}");
	assert!(status.reason.as_deref().unwrap_or("").contains("quota"), "{status:?}");
	assert_eq!(cached(&data).len(), 1, "the running job's image stays");
	let r = agent.req(Method::DELETE, &format!("/v1/jobs/{sleeper}")).send().await.unwrap();
	assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_killed_while_pulling_makes_the_job_again_at_its_next_start() {
	let fx = fixtures();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let mut agent = AgentProcess::start(&data);
	let proxy = HeldProxy::new(&fx.registry.addr);
	let id = lease();
	let req = shell_job(id, &proxy.image(&fx.busybox), "echo made-again", limits(500, 64));
	let (code, body) = agent.submit(&req).await;
	assert_eq!(code, 201, "{body}");
	assert_eq!(agent.job(id).await.state, JobState::Pulling);
	// The registry has not answered yet when the agent dies.
	tokio::time::sleep(Duration::from_millis(500)).await;
	agent.kill_9();
	proxy.release();

	let agent = AgentProcess::start(&data);
	let (status, _) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(
		(status.state, status.exit_code, status.cause),
		(JobState::Exited, Some(0), None),
		"the job ran after the restart: {status:?}"
	);
	assert!(agent.logs(id).await.contains("made-again"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_missing_from_the_image_never_starts_and_is_the_users_fault() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let id = lease();
	let mut req = shell_job(id, &fx.busybox, "", limits(500, 64));
	req.command = vec!["/no/such/program".into()];
	let (code, body) = agent.submit(&req).await;
	assert_eq!(code, 201, "{body}");
	let (status, m) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(
		(status.state, status.cause, status.exit_code, status.started_at_ms),
		(JobState::Failed, Some(EndCause::CommandFailed), None, None),
		"not an exit of a job that ran: {status:?}"
	);
	assert!(status.reason.as_deref().unwrap_or("").contains("/no/such/program"), "{status:?}");
	assert_eq!(m.cpu_micros, 0);
}

/// Asks `verifier` to recompute a challenge's picked lanes.
async fn verify(
	verifier: &AgentProcess,
	req: &uranus_primitives::agent::VerifyRequest,
) -> uranus_primitives::agent::VerifyResponse {
	let r = verifier.req(Method::POST, "/v1/challenges/verify").json(req).send().await.unwrap();
	assert_eq!(r.status(), 200);
	r.json().await.unwrap()
}

/// Polls the agent's challenge until it is no longer running.
async fn challenge_done(agent: &AgentProcess) -> uranus_primitives::agent::ChallengeStatus {
	use uranus_primitives::agent::{ChallengeState, ChallengeStatus};
	for _ in 0..1_200 {
		let s: ChallengeStatus = agent.get_json("/v1/challenges/current").await;
		if s.state != ChallengeState::Running {
			return s;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	panic!("the challenge did not finish");
}

/// Two real agents: one runs its machine's hardware challenge (as claimed: every core of this
/// host, 256 MiB), the other recomputes the picked lanes as a verifier and accepts it; a
/// tampered lane or commitment is caught; bad requests get typed errors. Prints the challenge
/// time, the verifier's cost as a fraction of it, and the time of a claim of twice the cores.
#[tokio::test(flavor = "multi_thread")]
async fn a_hardware_challenge_runs_and_another_agent_verifies_its_picked_lanes() {
	use uranus_primitives::{
		agent::{ChallengeSpec, ChallengeState, VerdictKind, VerifyRequest, VerifyResponse},
		challenge::{pick_lanes, ChallengeParams},
	};
	let _ = fixtures();
	let dir = test_dir();
	let machine = AgentProcess::start(&dir.path().join("machine"));
	let verifier = AgentProcess::start_on(&dir.path().join("verifier"), free_port());
	let hw: HardwareInfo = machine.get_json("/v1/hardware").await;
	let spec_of = |p: &ChallengeParams| ChallengeSpec {
		seed: hex::encode(p.seed),
		lanes: p.lanes,
		log_n: p.log_n,
		r: p.r,
		rounds: p.rounds,
	};
	// 200 compute rounds (about 0.1 s per lane here) and 3/4 of 256 MiB of lanes.
	let params = ChallengeParams::for_claim([42; 32], hw.logical_cores, 256 << 20, 200).unwrap();

	// Nothing yet; then the challenge starts (202) and a second start is refused (409).
	let none = machine.req(Method::GET, "/v1/challenges/current").send().await.unwrap();
	assert_eq!(none.status(), 404);
	let started =
		machine.req(Method::POST, "/v1/challenges").json(&spec_of(&params)).send().await.unwrap();
	assert_eq!(started.status(), 202);
	let again =
		machine.req(Method::POST, "/v1/challenges").json(&spec_of(&params)).send().await.unwrap();
	assert!(
		again.status() == 409 || again.status() == 202,
		"busy while running, or already done: {}",
		again.status()
	);
	let done = challenge_done(&machine).await;
	assert_eq!(done.state, ChallengeState::Done, "{:?}", done.error);
	assert_eq!(done.lanes.len() as u32, params.lanes);

	// The verifier recomputes two picked lanes and agrees.
	let picks = pick_lanes(&[7; 32], params.lanes, 2);
	let request = VerifyRequest {
		spec: spec_of(&params),
		commitment: done.commitment.clone().unwrap(),
		revealed: done.lanes.clone(),
		picks: picks.clone(),
	};
	let verdict: VerifyResponse = verify(&verifier, &request).await;
	assert_eq!(verdict.verdict, VerdictKind::Valid);
	println!(
		"challenge: {} lanes of {} MiB, {} side by side, {} ms; verifier: {} of the lanes in {} ms \
		 ({:.1} % of the challenge's wall time)",
		params.lanes,
		params.memory_per_lane() >> 20,
		done.parallel,
		done.elapsed_ms,
		picks.len(),
		verdict.elapsed_ms,
		verdict.elapsed_ms as f64 * 100.0 / done.elapsed_ms.max(1) as f64
	);

	// A lane the machine did not really compute (committed and revealed as such) is caught.
	let mut forged = request.clone();
	forged.revealed[picks[0] as usize] = hex::encode([0u8; 32]);
	let lanes: Vec<[u8; 32]> =
		forged.revealed.iter().map(|l| hex::decode(l).unwrap().try_into().unwrap()).collect();
	forged.commitment = hex::encode(uranus_primitives::challenge::commitment(&params.seed, &lanes));
	let caught: VerifyResponse = verify(&verifier, &forged).await;
	assert_eq!((caught.verdict, caught.lane), (VerdictKind::WrongLane, Some(picks[0])));
	// Lanes revealed other than committed.
	let mut swapped = request.clone();
	swapped.revealed.swap(0, (params.lanes - 1) as usize);
	let mismatch: VerifyResponse = verify(&verifier, &swapped).await;
	if params.lanes > 1 {
		assert_eq!(mismatch.verdict, VerdictKind::CommitmentMismatch);
	}

	// Bad requests: typed errors, nothing runs.
	let mut bad = request.clone();
	bad.picks = vec![params.lanes];
	let r = verifier.req(Method::POST, "/v1/challenges/verify").json(&bad).send().await.unwrap();
	assert_eq!(r.status(), 400);
	let mut bad = spec_of(&params);
	bad.seed = "zz".into();
	let r = machine.req(Method::POST, "/v1/challenges").json(&bad).send().await.unwrap();
	assert_eq!(r.status(), 400);
	let mut bad = spec_of(&params);
	bad.log_n = 40;
	let r = machine.req(Method::POST, "/v1/challenges").json(&bad).send().await.unwrap();
	assert_eq!(r.status(), 400);
	let mut bad = spec_of(&params);
	bad.rounds = uranus_primitives::challenge::MAX_ROUNDS + 1;
	let r = machine.req(Method::POST, "/v1/challenges").json(&bad).send().await.unwrap();
	assert_eq!(r.status(), 400);
	let anon = reqwest::Client::new()
		.post(format!("{}/v1/challenges/verify", verifier.base))
		.json(&request)
		.send()
		.await
		.unwrap();
	assert_eq!(anon.status(), 401);

	// A claim of twice this host's cores (same memory per lane): the lanes run in two rounds.
	let doubled =
		ChallengeParams::for_claim([43; 32], hw.logical_cores * 2, 512 << 20, 200).unwrap();
	assert_eq!(doubled.memory_per_lane(), params.memory_per_lane());
	let r =
		machine.req(Method::POST, "/v1/challenges").json(&spec_of(&doubled)).send().await.unwrap();
	assert_eq!(r.status(), 202);
	let twice = challenge_done(&machine).await;
	assert_eq!(twice.state, ChallengeState::Done);
	assert_eq!(twice.parallel, hw.logical_cores, "no more lanes at a time than cores");
	println!(
		"a claim of {} cores on {}: {} ms ({:.2}× the honest claim)",
		doubled.lanes,
		hw.logical_cores,
		twice.elapsed_ms,
		twice.elapsed_ms as f64 / done.elapsed_ms.max(1) as f64
	);
}
