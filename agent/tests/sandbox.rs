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
async fn run_to_end(
	agent: &AgentProcess,
	image: &str,
	script: &str,
) -> (JobStatus, String, PathBuf) {
	let id = lease();
	let (code, body) = agent.submit(&shell_job(id, image, script, limits(500, 64))).await;
	let log = std::fs::read_to_string(agent.data_dir.with_extension("log")).unwrap_or_default();
	assert_eq!(code, 201, "{body}\nagent log:\n{log}");
	let (status, _) = agent.wait_final(id, Duration::from_secs(60)).await;
	let logs = agent.logs(id).await;
	(status, logs, agent.data_dir.join("jobs").join(id.to_string()).join("scratch"))
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
	let (status, logs, _) = run_to_end(&agent, &fx.busybox, "/bin/probe").await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	let allowed: Vec<&str> = ATTEMPTS
		.iter()
		.copied()
		.filter(|a| !logs.lines().any(|l| l.starts_with(&format!("{a} denied"))))
		.collect();
	assert!(allowed.is_empty(), "allowed from inside the container: {allowed:?}\n{logs}");
	// The job still does ordinary work: threads, pipes, files, its own processes.
	let (status, logs, _) =
		run_to_end(&agent, &fx.busybox, "echo a | cat > /tmp/x && sort /tmp/x && ps | wc -l").await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert!(logs.starts_with("a\n"), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn container_root_is_an_unprivileged_user_on_the_host() {
	let fx = fixtures();
	let dir = test_dir();
	let agent = AgentProcess::start(&dir.path().join("agent"));
	let (status, logs, scratch) =
		run_to_end(&agent, &fx.busybox, "id -u; touch /scratch/made-by-root").await;
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
	let (status, logs, scratch) =
		run_to_end(&agent, &fx.busybox_user, "id -u; id -g; touch /scratch/mine").await;
	assert_eq!(status.state, JobState::Exited, "{status:?}\n{logs}");
	assert_eq!(logs.split_whitespace().collect::<Vec<_>>(), ["1234", "1234"], "{logs}");
	let meta = std::fs::metadata(scratch.join("mine")).unwrap();
	assert!(meta.uid() >= 1 << 31 && meta.uid() % 65_536 == 1234, "host uid {}", meta.uid());
}
