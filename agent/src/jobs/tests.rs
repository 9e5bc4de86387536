//! The job manager's lifecycle against the fake runtime and provisioner ([`super::fakes`]):
//! submit, start, exit, stop, pause, start failures and restarts, without root.

use super::{
	fakes::{FakeProvisioner, FakeRuntime, Release, StartBehaviour},
	journal::Journal,
	record::{container_id, JobRecord},
	JobManager,
};
use crate::{
	config::AgentConfig,
	image::{store::ImageRunConfig, ImageStore, Puller},
};
use std::{sync::Arc, time::Duration};
use uranus_primitives::{
	agent::{JobRequest, JobResource, JobState, JobStatus, ResourceLimits},
	compute::EndCause,
};

const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An image reference the seeded store holds.
fn cached_image() -> String {
	format!("127.0.0.1:1/test/cached@sha256:{HEX}")
}

struct Harness {
	dir: tempfile::TempDir,
	runtime: Arc<FakeRuntime>,
	provisioner: Arc<FakeProvisioner>,
	mgr: Arc<JobManager>,
}

fn config(dir: &std::path::Path) -> Arc<AgentConfig> {
	let mut cfg = AgentConfig::new(dir.join("agent"), "127.0.0.1:1".parse().unwrap());
	// Failed releases are retried after 20 ms, 40 ms, ... (1 s, 2 s, ... in production).
	cfg.release_retry_min = Duration::from_millis(20);
	cfg.release_shutdown_wait = Duration::from_millis(300);
	Arc::new(cfg)
}

/// A store under the agent's data dir with [`cached_image`] unpacked in it (the registry at
/// 127.0.0.1:1 answers nothing: any other image fails to pull).
fn images(cfg: &AgentConfig) -> ImageStore {
	let root = cfg.data_dir.join("images");
	let store =
		ImageStore::open(root.clone(), Puller::new(vec![]), cfg.id_map, cfg.image_store_max_bytes)
			.unwrap();
	let base = format!("{HEX}.ids-{}", cfg.id_map.base);
	std::fs::create_dir_all(root.join("rootfs").join(&base)).unwrap();
	let config = ImageRunConfig { uid: 1000, gid: 1000, ..Default::default() };
	std::fs::write(
		root.join("rootfs").join(format!("{base}.json")),
		serde_json::to_vec(&config).unwrap(),
	)
	.unwrap();
	store
}

impl Harness {
	async fn new() -> Harness {
		let dir = tempfile::tempdir().unwrap();
		let runtime = Arc::new(FakeRuntime::default());
		let provisioner = Arc::new(FakeProvisioner::new(dir.path().join("volumes")));
		let mgr = Harness::open_with(dir.path(), &runtime, &provisioner).await;
		Harness { dir, runtime, provisioner, mgr }
	}

	async fn open_with(
		dir: &std::path::Path,
		runtime: &Arc<FakeRuntime>,
		provisioner: &Arc<FakeProvisioner>,
	) -> Arc<JobManager> {
		let cfg = config(dir);
		std::fs::create_dir_all(&cfg.data_dir).unwrap();
		let images = images(&cfg);
		JobManager::open(cfg, runtime.clone(), provisioner.clone(), images).await.unwrap()
	}

	/// The agent restarts: a new manager over the same journal, runtime and provisioner
	/// (the old one is gone first: it held the journal).
	async fn restart(self) -> Harness {
		let Harness { dir, runtime, provisioner, mgr } = self;
		assert_eq!(Arc::strong_count(&mgr), 1, "no task of the old manager is left");
		drop(mgr);
		let mgr = Harness::open_with(dir.path(), &runtime, &provisioner).await;
		Harness { dir, runtime, provisioner, mgr }
	}

	async fn submit(&self, lease: u64) -> JobStatus {
		self.mgr.submit(request(lease, &cached_image())).await.unwrap().0
	}

	/// Waits (the creation runs in the background) until the job satisfies `done`.
	async fn wait(&self, lease: u64, done: impl Fn(&JobStatus) -> bool) -> JobStatus {
		for _ in 0..500 {
			let st = self.mgr.get(lease).await.unwrap();
			if done(&st) {
				return st;
			}
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
		panic!("job {lease} never got there: {:?}", self.mgr.get(lease).await);
	}

	/// Job `lease`'s container exits with `code`; the next tick sees it, and the job ends
	/// (once its outputs are packed, in the background).
	async fn exit(&self, lease: u64, code: i32) -> JobStatus {
		self.runtime.exit(&container_id(lease), code);
		self.mgr.tick().await;
		self.wait(lease, |s| s.state.is_final()).await
	}

	async fn running(&self, lease: u64) -> JobStatus {
		self.submit(lease).await;
		let st = self.wait(lease, |s| s.state != JobState::Pulling).await;
		assert_eq!(st.state, JobState::Running, "{st:?}");
		st
	}
}

fn request(lease: u64, image: &str) -> JobRequest {
	JobRequest {
		lease_id: lease,
		image: image.into(),
		command: vec!["/bin/true".into()],
		env: vec![],
		limits: ResourceLimits {
			cpu_millicores: 500,
			memory_bytes: 64 << 20,
			pids: 16,
			disk_bytes: 32 << 20,
			bandwidth_bps: 0,
		},
	}
}

#[tokio::test]
async fn a_job_runs_exits_and_is_released_then_forgotten() {
	let h = Harness::new().await;
	let st = h.submit(1).await;
	assert_eq!(st.state, JobState::Pulling, "POST answers before the container runs");
	let st = h.wait(1, |s| s.state == JobState::Running).await;
	assert!(st.started_at_ms.is_some() && st.network.is_some());
	assert_eq!(h.provisioner.live(), (1, 1));
	assert_eq!(h.provisioner.unclaimed(), 0, "the job journaled both resources");
	assert!(
		h.provisioner.calls().contains(&"scratch 29360128 2147484648:2147484648".to_string()),
		"the volume is the disk minus the log's cap, owned by the image user's mapped id: {:?}",
		h.provisioner.calls()
	);

	h.exit(1, 0).await;
	let st = h.mgr.get(1).await.unwrap();
	assert_eq!((st.state, st.exit_code, st.cause), (JobState::Exited, Some(0), None));
	assert_eq!(h.provisioner.live(), (0, 1), "the network goes at exit, the volume stays");
	assert_eq!(h.runtime.count("delete"), 2, "deleted before start and after exit");

	let st = h.mgr.stop(1).await.unwrap();
	assert_eq!(st.state, JobState::Exited, "stopping an ended job keeps how it ended");
	assert_eq!(h.provisioner.live(), (0, 0));
	assert_eq!(h.runtime.count("kill"), 0, "nothing runs: nothing to kill");
	h.mgr.stop(1).await.unwrap();
	assert!(h.mgr.get(1).await.is_err(), "the second DELETE forgets the job");
}

#[tokio::test]
async fn a_failing_command_is_the_users_and_a_second_submit_starts_nothing() {
	let h = Harness::new().await;
	h.running(2).await;
	let (again, created) = h.mgr.submit(request(2, &cached_image())).await.unwrap();
	assert!(!created && again.state == JobState::Running);
	assert_eq!(h.runtime.count("start"), 1);
	h.exit(2, 3).await;
	let st = h.mgr.get(2).await.unwrap();
	assert_eq!(
		(st.state, st.exit_code, st.cause),
		(JobState::Exited, Some(3), Some(EndCause::CommandFailed))
	);
}

#[tokio::test]
async fn stopping_a_running_job_kills_it_and_releases_everything() {
	let h = Harness::new().await;
	h.running(3).await;
	let st = h.mgr.stop(3).await.unwrap();
	assert_eq!((st.state, st.cause), (JobState::Killed, Some(EndCause::Killed)));
	assert_eq!(h.provisioner.live(), (0, 0));
	let report = h.mgr.metering(3).await.unwrap();
	assert!(report.is_final, "the final sample was taken");
}

#[tokio::test]
async fn pausing_freezes_a_running_job_and_an_ended_job_is_a_conflict() {
	let h = Harness::new().await;
	h.running(4).await;
	assert_eq!(h.mgr.set_paused(4, true).await.unwrap().state, JobState::Paused);
	assert_eq!(h.mgr.set_paused(4, true).await.unwrap().state, JobState::Paused);
	assert_eq!(h.runtime.count("pause"), 1, "repeating is a no-op");
	// A paused job is thawed before it is killed (frozen processes do not die).
	let st = h.mgr.stop(4).await.unwrap();
	assert_eq!(st.state, JobState::Killed);
	let calls = h.runtime.calls();
	let resume = calls.iter().position(|c| c.starts_with("resume")).unwrap();
	let kill = calls.iter().position(|c| c.starts_with("kill")).unwrap();
	assert!(resume < kill, "{calls:?}");
	assert!(matches!(h.mgr.set_paused(4, false).await, Err(super::JobError::Conflict(_))));
}

#[tokio::test]
async fn a_command_the_image_cannot_execute_is_the_users_fault() {
	let h = Harness::new().await;
	h.runtime.next_start(StartBehaviour::Fail(
		"time=\"x\" level=error msg=\"runc run failed: unable to start container process: \
		 exec: \\\"/nosuch\\\": stat /nosuch: no such file or directory\"\n"
			.into(),
	));
	h.submit(5).await;
	let st = h.wait(5, |s| s.state.is_final()).await;
	assert_eq!((st.state, st.cause), (JobState::Failed, Some(EndCause::CommandFailed)));
	assert!(st.started_at_ms.is_none(), "it never started: {st:?}");
	assert!(st.reason.unwrap().contains("cannot be executed"));
	assert_eq!(h.provisioner.live(), (0, 0), "everything it had is released");
}

#[tokio::test]
async fn a_runtime_that_cannot_start_the_container_is_the_providers_fault() {
	let h = Harness::new().await;
	h.runtime.next_start(StartBehaviour::Fail(
		"runc run failed: unable to apply cgroup configuration: mkdir: permission denied\n".into(),
	));
	h.submit(6).await;
	let st = h.wait(6, |s| s.state.is_final()).await;
	assert_eq!((st.state, st.cause), (JobState::Failed, Some(EndCause::Lost)));
	assert!(st.started_at_ms.is_none() && st.exit_code.is_none(), "not an exit of the job: {st:?}");
	assert_eq!(h.provisioner.live(), (0, 0));
}

#[tokio::test]
async fn an_unreachable_registry_is_the_providers_side() {
	let h = Harness::new().await;
	let other = format!("127.0.0.1:1/test/other@sha256:{}", "f".repeat(64));
	h.mgr.submit(request(7, &other)).await.unwrap();
	let st = h.wait(7, |s| s.state.is_final()).await;
	assert_eq!((st.state, st.cause), (JobState::Failed, Some(EndCause::ImagePull)));
	assert_eq!(h.provisioner.live(), (0, 0), "nothing was made for it");
	assert_eq!(h.runtime.count("start"), 0);
}

#[tokio::test]
async fn a_restart_reattaches_running_jobs_and_tells_the_provisioner_what_they_hold() {
	let h = Harness::new().await;
	h.running(8).await;
	let h = h.restart().await;
	let st = h.mgr.get(8).await.unwrap();
	assert_eq!(st.state, JobState::Running);
	let (networks, volumes) = h.provisioner.reconciled().unwrap();
	assert_eq!((networks.len(), volumes.len()), (1, 1), "the job's network and volume are held");
	// It keeps being supervised: its exit is seen after the restart.
	h.exit(8, 0).await;
	assert_eq!(h.mgr.get(8).await.unwrap().state, JobState::Exited);
}

/// Found by make test's leak check: a job that ended keeps its record (and its scratch volume
/// until DELETE) but not its network, whose index the pool then reuses. After a restart that
/// index must not count as held, or the pooled network of the same index is never reaped.
#[tokio::test]
async fn a_restart_does_not_count_an_ended_jobs_released_network_as_held() {
	let h = Harness::new().await;
	h.running(10).await;
	h.exit(10, 0).await;
	assert_eq!(h.mgr.get(10).await.unwrap().state, JobState::Exited);
	let h = h.restart().await;
	let (networks, volumes) = h.provisioner.reconciled().unwrap();
	assert!(networks.is_empty(), "the ended job's network went at its end: {networks:?}");
	assert_eq!(volumes.len(), 1, "its scratch volume stays until DELETE");
}

#[tokio::test]
async fn a_container_gone_across_a_restart_is_lost_and_released() {
	let h = Harness::new().await;
	h.running(9).await;
	h.runtime.forget_all();
	let h = h.restart().await;
	let st = h.mgr.get(9).await.unwrap();
	assert_eq!((st.state, st.cause), (JobState::Failed, Some(EndCause::Lost)));
	assert_eq!(h.provisioner.live(), (0, 0));
	let (networks, volumes) = h.provisioner.reconciled().unwrap();
	assert!(networks.is_empty() && volumes.is_empty(), "nothing is held any more");
}

#[tokio::test]
async fn a_job_interrupted_while_pulling_is_made_again_after_a_restart() {
	let dir = tempfile::tempdir().unwrap();
	let cfg = config(dir.path());
	std::fs::create_dir_all(&cfg.data_dir).unwrap();
	// What a crash mid-creation leaves: the job journaled as pulling, with its network
	// already made and journaled.
	{
		let journal = Journal::open(&cfg.data_dir.join("journal.redb")).unwrap();
		let mut rec = JobRecord::new(request(10, &cached_image()), 1);
		rec.state = JobState::Pulling;
		rec.network = Some(crate::runtime::network::NetAlloc::named(77, "left-over".into()));
		rec.network_made = true;
		journal.put(&rec).unwrap();
		let mut stopped = JobRecord::new(request(11, &cached_image()), 1);
		stopped.state = JobState::Pulling;
		stopped.stop_requested = true;
		journal.put(&stopped).unwrap();
	}
	let runtime = Arc::new(FakeRuntime::default());
	let provisioner = Arc::new(FakeProvisioner::new(dir.path().join("volumes")));
	let mgr = Harness::open_with(dir.path(), &runtime, &provisioner).await;
	let h = Harness { dir, runtime, provisioner, mgr };
	assert!(
		h.provisioner.calls().contains(&"release_network 77 true".to_string()),
		"what it had is released: {:?}",
		h.provisioner.calls()
	);
	let st = h.wait(10, |s| s.state != JobState::Pulling).await;
	assert_eq!(st.state, JobState::Running, "made again from the start: {st:?}");
	let st = h.mgr.get(11).await.unwrap();
	assert_eq!((st.state, st.cause), (JobState::Killed, Some(EndCause::Killed)));
}

impl Harness {
	/// Ticks (as the agent's sampler does) until `done`, for at most 5 s.
	async fn tick_until(&self, what: &str, done: impl Fn(&Harness) -> bool) {
		for _ in 0..500 {
			if done(self) {
				return;
			}
			self.mgr.tick().await;
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
		panic!("{what}: never happened; calls {:?}", self.provisioner.calls());
	}

	/// The job directory of lease `lease`.
	fn job_dir(&self, lease: u64) -> std::path::PathBuf {
		self.dir.path().join("agent/jobs").join(lease.to_string())
	}
}

/// Issue #44: a release step that fails once (a busy volume's unmount, the job directory's
/// removal) is not forgotten: the job shows what is left, the agent retries, and in the end
/// nothing is left. Before the fix the failures were ignored and both stayed for good.
#[tokio::test]
async fn a_release_that_fails_once_is_retried_until_nothing_is_left() {
	let h = Harness::new().await;
	h.running(1).await;
	h.exit(1, 0).await;
	assert!(h.job_dir(1).exists());

	// DELETE while the volume cannot be unmounted.
	h.provisioner.fail(Release::Scratch, 1);
	let st = h.mgr.stop(1).await.unwrap();
	let pending = st.release.expect("the DELETE says what it could not release");
	assert_eq!(pending.left, [JobResource::Scratch]);
	assert_eq!(pending.attempts, 1);
	assert!(pending.last_error.contains("Scratch") && pending.last_error.contains("busy"));
	assert_eq!(h.provisioner.live(), (0, 1), "the volume is still there");
	assert_eq!(h.mgr.awaiting_release().await.jobs, 1, "health shows it");
	// The agent retries by itself.
	h.tick_until("the volume released on retry", |h| h.provisioner.live() == (0, 0)).await;
	let st = h.mgr.get(1).await.unwrap();
	assert_eq!(st.release, None, "{st:?}");
	assert_eq!(h.mgr.awaiting_release().await.jobs, 0);

	// The second DELETE forgets the job, but its directory cannot be removed yet.
	h.provisioner.fail(Release::Dir, 1);
	let st = h.mgr.stop(1).await.unwrap();
	let pending = st.release.expect("not forgotten while its directory is there");
	assert!(pending.forget && pending.left == [JobResource::Directory], "{pending:?}");
	assert!(h.job_dir(1).exists() && h.mgr.get(1).await.is_ok(), "still listed");
	h.tick_until("the job forgotten on retry", |h| !h.job_dir(1).exists()).await;
	assert!(h.mgr.get(1).await.is_err(), "forgotten once its directory went");
	let h = h.restart().await;
	assert!(h.mgr.list().await.is_empty(), "and out of the journal");
}

/// A release left pending when the agent stops is journaled: shutdown retries for a bounded
/// time, and the next start releases it.
#[tokio::test]
async fn a_release_still_failing_at_shutdown_is_done_at_the_next_start() {
	let h = Harness::new().await;
	h.running(2).await;
	h.exit(2, 0).await;
	h.provisioner.fail(Release::Scratch, 1_000);
	let st = h.mgr.stop(2).await.unwrap();
	assert_eq!(st.release.unwrap().left, [JobResource::Scratch]);
	let before = h.provisioner.calls().len();
	h.mgr.shutdown().await;
	assert!(
		h.provisioner.calls().len() > before + 1,
		"shutdown retried: {:?}",
		h.provisioner.calls()
	);
	assert_eq!(h.provisioner.live(), (0, 1), "still busy: left for the next start");

	h.provisioner.fail(Release::Scratch, 0);
	let h = h.restart().await;
	assert_eq!(h.provisioner.live(), (0, 0), "released at the start");
	let st = h.mgr.get(2).await.unwrap();
	assert_eq!(st.release, None);
	let (_, volumes) = h.provisioner.reconciled().unwrap();
	assert!(volumes.is_empty(), "no longer held: {volumes:?}");
}

/// A network whose release failed keeps its index out of the pool's hands: it is still held
/// at a restart.
#[tokio::test]
async fn a_network_whose_release_failed_is_still_held_after_a_restart() {
	let h = Harness::new().await;
	h.running(3).await;
	h.provisioner.fail(Release::Network, 1_000);
	h.exit(3, 0).await;
	let st = h.mgr.get(3).await.unwrap();
	assert_eq!(st.state, JobState::Exited);
	assert_eq!(st.release.unwrap().left, [JobResource::Network]);
	let h = h.restart().await;
	let (networks, _) = h.provisioner.reconciled().unwrap();
	assert_eq!(networks.len(), 1, "its index is not handed out again");
	h.provisioner.fail(Release::Network, 0);
	h.tick_until("the network released", |h| h.provisioner.live().0 == 0).await;
}

/// A job's network goes at its end; its pool index may then go to another job. Deleting the
/// ended job must not release that network again (the second `ip link del urh<N>` took the
/// interface of whichever job had index N by then: its network vanished).
#[tokio::test]
async fn an_ended_jobs_network_is_released_once_and_not_again_at_delete() {
	let h = Harness::new().await;
	h.running(1).await;
	let net = h.mgr.get(1).await.unwrap().network.unwrap();
	h.exit(1, 0).await;
	h.mgr.stop(1).await.unwrap();
	h.mgr.stop(1).await.unwrap();
	let released: Vec<String> =
		h.provisioner.calls().into_iter().filter(|c| c.starts_with("release_network")).collect();
	assert_eq!(released.len(), 1, "released once, at the job's end ({net:?}): {released:?}");
}

/// #37 defect 4: a job's outputs were packed inside `tick` under the lifecycle lock, so a
/// large `/out` held up every other job (none could start, none was sampled) until it was
/// packed. Packing now runs off the lock: another job starts while the first one's outputs
/// are packed, and the first ends once they are.
#[tokio::test(flavor = "multi_thread")]
async fn packing_a_large_out_holds_up_no_other_job() {
	let h = Harness::new().await;
	h.running(1).await;
	let out = std::fs::read_dir(h.dir.path().join("volumes"))
		.unwrap()
		.flatten()
		.map(|v| v.path().join("scratch/out"))
		.find(|o| o.is_dir())
		.expect("job 1's /out");
	// 1 GiB of zeros (a sparse file: no disk spent) takes seconds to read, compress and hash
	// (~6 s on the EPYC).
	std::fs::File::create(out.join("zeros")).unwrap().set_len(1 << 30).unwrap();
	h.runtime.exit(&container_id(1), 0);
	let mgr = h.mgr.clone();
	let first_tick = tokio::spawn(async move { mgr.tick().await });
	tokio::time::sleep(Duration::from_millis(50)).await;

	h.running(2).await;
	let first = h.mgr.get(1).await.unwrap();
	assert!(!first.state.is_final(), "job 2 started while job 1's outputs were packed: {first:?}");
	// A DELETE meanwhile is a conflict: the volume it would release is being read.
	assert!(matches!(h.mgr.stop(1).await, Err(super::JobError::Conflict(_))));
	first_tick.await.unwrap();
	let start = std::time::Instant::now();
	let first = loop {
		let st = h.mgr.get(1).await.unwrap();
		if st.state.is_final() {
			break st;
		}
		assert!(start.elapsed() < Duration::from_secs(120), "never packed");
		tokio::time::sleep(Duration::from_millis(50)).await;
	};
	assert_eq!((first.state, first.exit_code), (JobState::Exited, Some(0)));
	assert!(first.output.is_some_and(|o| o.size_bytes > 0), "its outputs were packed");
}
