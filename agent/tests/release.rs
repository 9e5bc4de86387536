//! Issue #44 on the real host (root, runc, a loop-mounted ext4 scratch volume): a release that
//! fails is reported, retried, and ends with nothing left.

mod common;

use common::*;
use reqwest::Method;
use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};
use uranus_primitives::agent::{AgentHealth, JobResource, JobState, JobStatus};

/// Mount points under `dir`.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
	std::fs::read_to_string("/proc/self/mounts")
		.unwrap()
		.lines()
		.filter_map(|l| l.split_whitespace().nth(1))
		.map(PathBuf::from)
		.filter(|m| m.starts_with(dir))
		.collect()
}

/// Loop devices whose backing file is under `dir`.
fn loops_under(dir: &Path) -> Vec<String> {
	std::fs::read_dir("/sys/block")
		.unwrap()
		.flatten()
		.filter_map(|b| std::fs::read_to_string(b.path().join("loop/backing_file")).ok())
		.map(|f| f.trim_end().to_string())
		.filter(|f| Path::new(f).starts_with(dir))
		.collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_scratch_volume_is_reported_retried_and_released_once_free() {
	let fx = fixtures();
	let dir = test_dir();
	let data = dir.path().join("agent");
	let mut agent = AgentProcess::start(&data);
	let id = lease();
	let job = shell_job(id, &fx.busybox, "echo kept > /scratch/kept", limits(100, 16));
	let (code, b) = agent.submit(&job).await;
	assert_eq!(code, 201, "{b}");
	let (st, _) = agent.wait_final(id, Duration::from_secs(60)).await;
	assert_eq!(st.state, JobState::Exited, "{st:?}");

	// The job's volume (the pool's hold no file), kept busy by a file open in it.
	let volume = mounts_under(&data)
		.into_iter()
		.find(|m| m.join("kept").exists())
		.expect("the job's scratch volume is mounted until DELETE");
	let image = volume.parent().unwrap().join("scratch.ext4");
	let busy = std::fs::File::open(volume.join("kept")).unwrap();

	// DELETE cannot unmount it: it answers so, and the job shows what is left.
	let r = agent.req(Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 202, "a DELETE that could not finish is not a success");
	let st: JobStatus = r.json().await.unwrap();
	let pending = st.release.expect("what is left");
	assert_eq!(pending.left, [JobResource::Scratch]);
	assert!(pending.last_error.contains("busy"), "{pending:?}");
	let health: AgentHealth =
		reqwest::get(format!("{}/v1/health", agent.base)).await.unwrap().json().await.unwrap();
	assert_eq!(health.awaiting_release.jobs, 1, "{health:?}");
	assert!(health.awaiting_release.oldest_since_ms.is_some());
	// It stays mounted while busy, and the agent keeps retrying (with back-off).
	tokio::time::sleep(Duration::from_secs(3)).await;
	assert!(mounts_under(&data).contains(&volume));
	let st = agent.job(id).await;
	assert!(st.release.as_ref().is_some_and(|p| p.attempts >= 2), "{st:?}");

	// Once the file is closed the next retry releases it: no mount, no loop device, no image.
	drop(busy);
	let start = Instant::now();
	while agent.job(id).await.release.is_some() {
		assert!(start.elapsed() < Duration::from_secs(60), "never released after the file closed");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	assert!(!mounts_under(&data).contains(&volume));
	assert!(!loops_under(&data).contains(&image.display().to_string()));
	assert!(!image.exists());
	let health: AgentHealth = agent.get_json("/v1/health").await;
	assert_eq!(health.awaiting_release.jobs, 0);

	// The second DELETE forgets the job; a clean shutdown leaves no mount and no loop device.
	let r = agent.req(Method::DELETE, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 200);
	let r = agent.req(Method::GET, &format!("/v1/jobs/{id}")).send().await.unwrap();
	assert_eq!(r.status(), 404);
	assert!(!data.join("jobs").join(id.to_string()).exists());
	let status = agent.terminate();
	assert!(status.success(), "{status:?}");
	assert_eq!(mounts_under(&data), Vec::<PathBuf>::new());
	assert_eq!(loops_under(&data), Vec::<String>::new());
}

/// The pool index of the network at `host_ip` (10.213.x.y, `x·256 + y − 1 = 4·index`).
fn index_of(host_ip: &str) -> u32 {
	let o: Vec<u32> = host_ip.split('.').map(|p| p.parse().unwrap()).collect();
	(o[2] * 256 + o[3] - 1) / 4
}

/// Runs `ip args…`; whether it succeeded.
fn ip(args: &[&str]) -> bool {
	std::process::Command::new("ip")
		.args(args)
		.stderr(std::process::Stdio::null())
		.status()
		.unwrap()
		.success()
}

/// A job's network goes at its end, and its index is free for the next job (of this agent or
/// another). Deleting the ended job must leave the interface that took the name alone: the
/// agent released the old network a second time, by interface name, and took the other
/// job's veth pair (and its network) with it.
#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_ended_job_leaves_the_interface_that_took_its_name_since() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	// Another agent on the host may take the freed index first: then try again.
	for attempt in 0..3 {
		let first = lease();
		let (code, b) = agent.submit(&shell_job(first, &fx.busybox, "true", limits(100, 16))).await;
		assert_eq!(code, 201, "{b}");
		let (ended, _) = agent.wait_final(first, Duration::from_secs(60)).await;
		let host_if = format!("urh{}", index_of(&ended.network.unwrap().host_ip));
		// Another job's network takes the name, as another agent makes it (aliased to its
		// namespace).
		let peer = format!("urt{}{attempt}", std::process::id() % 10_000);
		if !ip(&["link", "add", &host_if, "type", "veth", "peer", "name", &peer]) {
			continue;
		}
		assert!(ip(&["link", "set", &host_if, "alias", "uranus-test-other-job"]));
		// Both DELETEs of the ended job: release, then forget.
		for _ in 0..2 {
			let r = agent.req(Method::DELETE, &format!("/v1/jobs/{first}")).send().await.unwrap();
			assert_eq!(r.status(), 200);
		}
		let kept = Path::new("/sys/class/net").join(&host_if).exists();
		ip(&["link", "del", &host_if]);
		assert!(kept, "{host_if}, another job's since, was removed with the ended job");
		return;
	}
	panic!("another agent took the freed index three times: nothing was shown");
}
