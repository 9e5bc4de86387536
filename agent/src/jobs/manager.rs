//! The job manager: its state (the journal, the runtime backend, the provisioner, the image
//! store, every job's record) and what it does each tick: sample metering, detect exits,
//! retry releases, sweep expired outputs. Each verb lives in a file of its own:
//! [`super::create`] (submit and make), [`super::control`] (pause, resume, stop),
//! [`super::recover`] (re-attach at start), [`super::exec`] (shell sessions),
//! [`super::release`], [`super::packing`]; paths in [`super::paths`], errors in
//! [`super::errors`]. Every change is journaled before it is reported.

use super::{
	journal::Journal,
	paths::{exit_file, host_rebooted, log_file, remove_empty_cgroup, BOOT_ID},
	record::JobRecord,
	release::AT_END,
	sampler,
	states::Transitions,
	JobError,
};
use crate::{
	config::AgentConfig,
	image::ImageStore,
	meter::CgroupMode,
	now_ms,
	runtime::{provision::Provisioner, shim, ContainerRuntime, RuntimeError},
};
use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};
use tokio::sync::Mutex;
use uranus_primitives::{
	agent::{JobState, JobStatus, LeaseId, MeteringReport},
	compute::EndCause,
};

/// The job manager.
pub struct JobManager {
	pub(super) cfg: Arc<AgentConfig>,
	pub(super) journal: Journal,
	pub(super) runtime: Arc<dyn ContainerRuntime>,
	pub(super) provisioner: Arc<dyn Provisioner>,
	pub(super) images: ImageStore,
	cgroup_mode: CgroupMode,
	/// The agent binary (the runtime runs it as each job's network hook).
	pub(super) agent_exe: PathBuf,
	/// When outputs were last swept (unix ms): once a minute is enough for a retention of
	/// hours, and a tick should not list a directory each second.
	outputs_swept_ms: std::sync::atomic::AtomicU64,
	pub(super) jobs: Mutex<BTreeMap<LeaseId, JobRecord>>,
	/// Serializes operations that change a job's lifecycle (start, stop, exit handling,
	/// release).
	pub(super) lifecycle: Mutex<()>,
}

/// How often expired outputs are deleted.
const OUTPUTS_SWEEP_MS: u64 = 60_000;

impl JobManager {
	/// Opens the journal, loads every job and reconciles it with the runtime.
	pub async fn open(
		cfg: Arc<AgentConfig>,
		runtime: Arc<dyn ContainerRuntime>,
		provisioner: Arc<dyn Provisioner>,
		images: ImageStore,
	) -> Result<Arc<JobManager>, JobError> {
		std::fs::create_dir_all(cfg.data_dir.join("jobs"))
			.map_err(|err| RuntimeError::Io { context: "create jobs dir".into(), err })?;
		let journal = Journal::open(&cfg.data_dir.join("journal.redb"))?;
		let cgroup_mode = CgroupMode::detect_with_root(&cfg.cgroup_root);
		let mut jobs = BTreeMap::new();
		for rec in journal.load_all()? {
			jobs.insert(rec.request.lease_id, rec);
		}
		let rebooted = host_rebooted(Path::new(BOOT_ID), &cfg.boot_id_path());
		let agent_exe = std::env::current_exe()
			.map_err(|err| RuntimeError::Io { context: "locate the agent binary".into(), err })?;
		let mgr = Arc::new(JobManager {
			cfg,
			journal,
			runtime,
			provisioner,
			images,
			cgroup_mode,
			agent_exe,
			outputs_swept_ms: Default::default(),
			jobs: Mutex::new(jobs),
			lifecycle: Mutex::new(()),
		});
		mgr.recover(rebooted).await?;
		Ok(mgr)
	}

	/// At agent shutdown: the resources made ahead for jobs not yet submitted are destroyed
	/// (running jobs keep theirs and are re-attached at the next start); failed releases are
	/// retried for a bounded time, and what is left is logged for the next start.
	/// This agent's cgroup parent is removed where no job is left in it (a running job keeps
	/// it: the kernel refuses to remove a cgroup that still has children).
	pub async fn shutdown(&self) {
		self.provisioner.drain().await;
		self.settle_releases().await;
		remove_empty_cgroup(&self.cfg.cgroup_root, &self.cfg.cgroup_parent);
	}

	/// The cgroup layout in use.
	pub fn cgroup_mode(&self) -> CgroupMode {
		self.cgroup_mode
	}

	/// The runtime backend's name.
	pub fn runtime_name(&self) -> String {
		self.runtime.name().to_string()
	}

	/// All jobs.
	pub async fn list(&self) -> Vec<JobStatus> {
		self.jobs.lock().await.values().map(|r| r.status()).collect()
	}

	/// One job's status.
	pub async fn get(&self, lease: LeaseId) -> Result<JobStatus, JobError> {
		self.jobs.lock().await.get(&lease).map(|r| r.status()).ok_or(JobError::NotFound(lease))
	}

	/// One job's cumulative metering.
	pub async fn metering(&self, lease: LeaseId) -> Result<MeteringReport, JobError> {
		self.jobs
			.lock()
			.await
			.get(&lease)
			.map(|r| r.meter.report())
			.ok_or(JobError::NotFound(lease))
	}

	/// Where job `lease`'s output log is (`None` before its container was made).
	pub async fn logs(&self, lease: LeaseId) -> Result<Option<PathBuf>, JobError> {
		let dir = self.jobs.lock().await.get(&lease).ok_or(JobError::NotFound(lease))?.dir.clone();
		Ok(dir.map(|d| log_file(&d)))
	}

	/// Samples every running job once; finalizes jobs whose container ended (one that exited
	/// by itself once its outputs are packed, in the background: see [`super::packing`]);
	/// retries failed releases that are due; deletes outputs whose retention ended.
	pub async fn tick(self: &Arc<Self>) {
		let _lc = self.lifecycle.lock().await;
		self.retry_releases(false).await;
		let now = now_ms();
		let swept = &self.outputs_swept_ms;
		if now.saturating_sub(swept.load(std::sync::atomic::Ordering::Relaxed)) >= OUTPUTS_SWEEP_MS
		{
			swept.store(now, std::sync::atomic::Ordering::Relaxed);
			super::outputs::sweep(&self.cfg.data_dir, now);
		}
		let running: Vec<JobRecord> = self
			.jobs
			.lock()
			.await
			.values()
			.filter(|r| r.state.is_live() && !r.packing)
			.cloned()
			.collect();
		let mut to_pack = Vec::new();
		for mut rec in running {
			let Some(dir) = rec.dir.clone() else { continue };
			let exit = shim::read_exit(&exit_file(&dir));
			let (sample, oom) = sampler::read(&self.cfg, &rec);
			let now = now_ms();
			match exit {
				Some(exit) => {
					rec.meter.record(sample, exit.at_ms.max(now), true);
					let ending = super::packing::Ending::of(&rec, oom);
					if ending == super::packing::Ending::Exited && rec.scratch.is_some() {
						// Its outputs are packed off the lifecycle lock; it ends after.
						rec.packing = true;
						to_pack.push((rec.request.lease_id, exit));
					} else {
						self.finish(&mut rec, &exit, ending, None).await;
					}
				},
				None => {
					// Asking the runtime costs a process per job and tick: only when the
					// job's cgroup is gone may the container have vanished without an exit.
					let cgroup_alive = rec.cgroup.as_ref().is_some_and(|c| c.exists());
					if !cgroup_alive
						&& self.runtime.state(&rec.container_id()).await.ok().flatten().is_none()
						&& shim::read_exit(&exit_file(&dir)).is_none()
					{
						rec.meter.record(sample, now, true);
						rec.end(
							JobState::Failed,
							Some(EndCause::Lost),
							Some("lost: the container disappeared".into()),
						);
						rec.finished_at_ms = Some(now);
						self.release(&mut rec, AT_END, false).await;
					} else {
						rec.meter.record(sample, now, false);
					}
				},
			}
			if let Err(e) = self.journal.put(&rec) {
				tracing::error!(lease = rec.request.lease_id, "journal write failed: {e}");
				continue;
			}
			self.jobs.lock().await.insert(rec.request.lease_id, rec);
		}
		for (lease, exit) in to_pack {
			self.spawn_packing(lease, exit);
		}
	}

	/// Has this manager [`tick`](Self::tick) every `interval` until `shutdown` changes.
	pub fn spawn_ticks(
		self: &Arc<Self>,
		interval: Duration,
		mut shutdown: tokio::sync::watch::Receiver<bool>,
	) -> tokio::task::JoinHandle<()> {
		let mgr = self.clone();
		tokio::spawn(async move {
			let mut ticker = tokio::time::interval(interval);
			ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
			loop {
				tokio::select! {
					_ = ticker.tick() => mgr.tick().await,
					_ = shutdown.changed() => break,
				}
			}
		})
	}
}
