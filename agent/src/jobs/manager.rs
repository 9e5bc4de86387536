//! The job manager: validates requests, pulls images, starts containers through the runtime
//! backend, samples metering on a fixed interval, detects exits and re-attaches after a
//! restart. Every change is journaled before it is reported.

use super::{
	journal::{Journal, JournalError},
	record::JobRecord,
	release::{Outcome, AT_DELETE, AT_END},
	sampler,
};
use crate::{
	config::AgentConfig,
	image::{ImageError, ImageRef, ImageStore},
	meter::{cgroup, CgroupLocation, CgroupMode, RawSample},
	now_ms,
	runtime::{
		joblog, provision::Provisioner, shim, spec, ContainerRuntime, JobFiles, RuntimeError,
	},
};
use std::{
	collections::{BTreeMap, HashSet},
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};
use tokio::sync::Mutex;
use uranus_primitives::{
	agent::{JobRequest, JobResource, JobState, JobStatus, LeaseId, MeteringReport},
	compute::EndCause,
};

/// The kernel's id of the current boot.
const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// Whether the host rebooted since the agent last recorded its boot id in `record` (read
/// from `boot_id`, normally [`BOOT_ID`]); records the current one. Unknown (no record yet,
/// no boot id): not a reboot.
fn host_rebooted(boot_id: &Path, record: &Path) -> bool {
	let current = std::fs::read_to_string(boot_id).ok().map(|s| s.trim().to_string());
	let previous = std::fs::read_to_string(record).ok().map(|s| s.trim().to_string());
	if let Some(c) = &current {
		if let Err(e) = std::fs::write(record, c) {
			tracing::warn!("recording the boot id in {}: {e}", record.display());
		}
	}
	matches!((previous, current), (Some(p), Some(c)) if p != c)
}

/// Bounds on what one request may ask for.
pub mod bounds {
	/// Smallest memory limit (the market refuses orders below it too).
	pub use uranus_primitives::compute::MIN_MEMORY_BYTES;
	/// Most processes per job.
	pub const MAX_PIDS: u32 = 32_768;
	/// Most command or env entries.
	pub const MAX_ARGS: usize = 256;
	/// Longest command or env entry.
	pub const MAX_ARG_LEN: usize = 4_096;
	/// Longest image reference.
	pub const MAX_IMAGE_LEN: usize = 512;
}

/// Errors of job operations, each mapping to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
	/// The request is malformed or asks for the impossible (400).
	#[error("{0}")]
	InvalidRequest(String),
	/// No such job (404).
	#[error("job {0} not found")]
	NotFound(LeaseId),
	/// The image could not be obtained (404 if unknown, 422 if unusable, 502 if the registry failed).
	#[error(transparent)]
	Image(#[from] ImageError),
	/// The container could not be run (500).
	#[error(transparent)]
	Runtime(#[from] RuntimeError),
	/// The journal failed (500).
	#[error(transparent)]
	Journal(#[from] JournalError),
	/// No network allocation left (503).
	#[error("no free job network left")]
	Exhausted,
	/// The job is not in a state that allows the operation (409).
	#[error("{0}")]
	Conflict(String),
	/// The job's command could not be executed in its image (the user's doing).
	#[error("the command cannot be executed: {0}")]
	CommandNotRunnable(String),
}

/// The job manager.
pub struct JobManager {
	pub(super) cfg: Arc<AgentConfig>,
	pub(super) journal: Journal,
	pub(super) runtime: Arc<dyn ContainerRuntime>,
	pub(super) provisioner: Arc<dyn Provisioner>,
	images: ImageStore,
	cgroup_mode: CgroupMode,
	/// The agent binary (the runtime runs it as each job's network hook).
	agent_exe: PathBuf,
	/// When outputs were last swept (unix ms): once a minute is enough for a retention of
	/// hours, and a tick should not list a directory each second.
	outputs_swept_ms: std::sync::atomic::AtomicU64,
	pub(super) jobs: Mutex<BTreeMap<LeaseId, JobRecord>>,
	/// Serializes operations that change a job's lifecycle (start, stop, exit handling,
	/// release).
	pub(super) lifecycle: Mutex<()>,
}

/// The typed cause of a job whose creation failed with `e`: an image its registry does not
/// have or that cannot be used is the publisher's doing; a registry or disk failure while
/// pulling, and anything failing on this host, are the provider's side.
pub fn creation_failure(e: &JobError) -> EndCause {
	match e {
		JobError::Image(
			ImageError::Registry { .. } | ImageError::Io { .. } | ImageError::StoreFull { .. },
		) => EndCause::ImagePull,
		JobError::Image(_) => EndCause::ImageUnusable,
		JobError::InvalidRequest(_) => EndCause::SpecRejected,
		JobError::CommandNotRunnable(_) => EndCause::CommandFailed,
		_ => EndCause::Lost,
	}
}

/// How often expired outputs are deleted.
const OUTPUTS_SWEEP_MS: u64 = 60_000;

fn job_dir(cfg: &AgentConfig, lease: LeaseId) -> PathBuf {
	cfg.data_dir.join("jobs").join(lease.to_string())
}

fn exit_file(dir: &Path) -> PathBuf {
	dir.join("exit.json")
}

pub(super) fn log_file(dir: &Path) -> PathBuf {
	dir.join("output.log")
}

/// The files the shim of the job in `dir` writes.
fn job_files(dir: &Path, log_max_bytes: u64) -> JobFiles {
	JobFiles { log: log_file(dir), log_max_bytes, pid: dir.join("init.pid"), exit: exit_file(dir) }
}

/// How long a container may take from `start` to running.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a container that never started did not, from what the runtime printed (`log`, its
/// tail): the job's command could not be executed (it does not exist in the image, or is
/// not executable), the user's doing; anything else is this host's.
fn start_failure(log: &str) -> JobError {
	// runc: `unable to start container process: exec: "x": executable file not found in
	// $PATH` (or `: stat /x: no such file or directory`, `: permission denied`); crun:
	// `executable file `x` not found in $PATH`, `exec "x": ...`.
	let not_runnable = log.contains("unable to start container process: exec:")
		|| log.contains("executable file not found")
		|| (log.contains("executable file") && log.contains("not found"));
	let line = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
	if not_runnable {
		JobError::CommandNotRunnable(line.chars().take(500).collect())
	} else {
		JobError::Runtime(RuntimeError::Output {
			command: "container start".into(),
			output: format!(
				"the container did not start: {}",
				line.chars().take(500).collect::<String>()
			),
		})
	}
}

/// The cgroup of a job at relative path `rel`, nested (as runc nests relative paths) under the
/// cgroups of this process.
fn nested_location(mode: CgroupMode, root: &Path, rel: &str) -> Result<CgroupLocation, JobError> {
	let own = cgroup::locate(mode, root, Path::new("/proc"), std::process::id())
		.map_err(|e| JobError::Runtime(RuntimeError::Spec(e.to_string())))?;
	Ok(match own {
		CgroupLocation::V1 { cpuacct, memory } => {
			CgroupLocation::V1 { cpuacct: cpuacct.join(rel), memory: memory.join(rel) }
		},
		CgroupLocation::V2 { dir } => CgroupLocation::V2 { dir: dir.join(rel) },
	})
}

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

	/// Re-attaches the jobs of the journal whose containers still run; the others are lost
	/// (after a host reboot, `rebooted`, every one of them: the runtime's state lived on
	/// tmpfs). A job whose image was still being pulled is made again from the start (what
	/// it had is released first). Then the provisioner destroys what it made that no job
	/// holds.
	async fn recover(self: &Arc<Self>, rebooted: bool) -> Result<(), JobError> {
		let records: Vec<JobRecord> = self.jobs.lock().await.values().cloned().collect();
		let mut remake = Vec::new();
		for mut rec in records {
			// Packing interrupted by the restart: the exit is seen and packed again.
			rec.packing = false;
			if rec.state.is_final() {
				// What a failed release left is tried again now.
				if rec.release.is_some() {
					self.attempt_release(&mut rec).await;
					self.journal.put(&rec)?;
					self.jobs.lock().await.insert(rec.request.lease_id, rec);
				}
				continue;
			}
			let id = rec.container_id();
			let has_exit = rec.dir.as_ref().map(|d| exit_file(d).exists()).unwrap_or(false);
			let state = self.runtime.state(&id).await.unwrap_or(None);
			match (rec.state, state, has_exit) {
				(_, Some(_), _) | (_, _, true) if rec.cgroup.is_some() => {
					// The shim still supervises it (or recorded its exit): re-attach.
					if !matches!(rec.state, JobState::Running | JobState::Paused) {
						rec.state = JobState::Running;
						rec.started_at_ms.get_or_insert(rec.created_at_ms);
					}
					tracing::info!(
						lease = rec.request.lease_id,
						"re-attached to job after restart"
					);
				},
				(JobState::Pulling, None, false) if !rec.stop_requested => {
					// Its container was never started: start over, from nothing.
					let all = [AT_DELETE, &[JobResource::Directory]].concat();
					self.release(&mut rec, &all, false).await;
					if rec.release.is_none() {
						rec.dir = None;
						rec.network = None;
						rec.network_made = false;
						rec.network_released = false;
						rec.scratch = None;
						rec.released = false;
						tracing::info!(
							lease = rec.request.lease_id,
							"making again a job interrupted while its image was pulled"
						);
						remake.push(rec.request.lease_id);
					} else {
						rec.end(
							JobState::Failed,
							Some(EndCause::Lost),
							Some("lost: what it had could not be released to start over".into()),
						);
						rec.finished_at_ms = Some(now_ms());
					}
				},
				_ => {
					let (state, cause, reason) = if rec.stop_requested && !rec.started() {
						(JobState::Killed, EndCause::Killed, "killed on request")
					} else if rebooted {
						(JobState::Failed, EndCause::HostReboot, "lost: the host rebooted")
					} else {
						(
							JobState::Failed,
							EndCause::Lost,
							"lost: the container did not survive the agent restart",
						)
					};
					rec.end(state, Some(cause), Some(reason.into()));
					rec.finished_at_ms = Some(now_ms());
					tracing::warn!(
						lease = rec.request.lease_id,
						?cause,
						"job ended across restart"
					);
					self.release(&mut rec, AT_DELETE, false).await;
				},
			}
			self.journal.put(&rec)?;
			self.jobs.lock().await.insert(rec.request.lease_id, rec);
		}
		let (networks, volumes) = {
			let jobs = self.jobs.lock().await;
			let pending =
				|r: &JobRecord, x| r.release.as_ref().is_some_and(|p| p.left.contains(&x));
			(
				// A job's network goes at its end (its record keeps the allocation, whose
				// index the pool may have reused since, unless its release failed); its
				// scratch volume stays until DELETE (or until its release succeeded).
				jobs.values()
					.filter(|r| {
						(!r.released && !r.state.is_final()) || pending(r, JobResource::Network)
					})
					.filter_map(|r| r.network.as_ref().map(|n| n.index))
					.collect(),
				jobs.values()
					.filter(|r| !r.released || pending(r, JobResource::Scratch))
					.filter_map(|r| r.scratch.as_ref().map(|s| s.mount.clone()))
					.collect(),
			)
		};
		self.provisioner.reconcile(&networks, &volumes).await;
		for lease in remake {
			self.spawn_create(lease).await;
		}
		Ok(())
	}

	fn validate(&self, req: &JobRequest) -> Result<ImageRef, JobError> {
		use bounds::*;
		let bad = |m: String| Err(JobError::InvalidRequest(m));
		if req.image.len() > MAX_IMAGE_LEN {
			return bad(format!("image reference longer than {MAX_IMAGE_LEN} bytes"));
		}
		let image =
			ImageRef::parse(&req.image).map_err(|e| JobError::InvalidRequest(e.to_string()))?;
		let l = &req.limits;
		let max_cpu = self.cfg.max_cpu_millicores();
		if l.cpu_millicores == 0 || l.cpu_millicores > max_cpu {
			return bad(format!("cpu_millicores must be in 1..={max_cpu}"));
		}
		if l.memory_bytes < MIN_MEMORY_BYTES {
			return bad(format!("memory_bytes must be at least {MIN_MEMORY_BYTES}"));
		}
		if l.pids == 0 || l.pids > MAX_PIDS {
			return bad(format!("pids must be in 1..={MAX_PIDS}"));
		}
		if l.disk_bytes == 0 || l.disk_bytes > self.cfg.max_disk_bytes {
			return bad(format!("disk_bytes must be in 1..={}", self.cfg.max_disk_bytes));
		}
		for list in [&req.command, &req.env] {
			if list.len() > MAX_ARGS
				|| list.iter().any(|a| a.len() > MAX_ARG_LEN || a.contains('\0'))
			{
				return bad(format!(
					"at most {MAX_ARGS} command/env entries of {MAX_ARG_LEN} bytes, no NUL"
				));
			}
		}
		if req.env.iter().any(|e| !e.contains('=') || e.starts_with('=')) {
			return bad("env entries must be NAME=value".into());
		}
		Ok(image)
	}

	/// Runs a job for `req`. Idempotent by lease id: if the lease already has a job, its status
	/// is returned and nothing is started (`false`); otherwise the new job's status (`true`),
	/// at once: the job is `pulling` while its image is pulled and its container made in the
	/// background (a slow registry never holds up the caller). A failure there ends the job
	/// `failed` with a typed cause ([`creation_failure`]) and releases what it had.
	pub async fn submit(self: &Arc<Self>, req: JobRequest) -> Result<(JobStatus, bool), JobError> {
		let image = self.validate(&req)?;
		let lease = req.lease_id;
		let status = {
			let mut jobs = self.jobs.lock().await;
			if let Some(existing) = jobs.get(&lease) {
				return Ok((existing.status(), false));
			}
			let mut rec = JobRecord::new(req.clone(), now_ms());
			rec.state = JobState::Pulling;
			// Journaled at once: a crash from here on leaves a record the next start reports.
			self.journal.put(&rec)?;
			let status = rec.status();
			jobs.insert(lease, rec);
			status
		};
		self.spawn_create_image(image, lease);
		Ok((status, true))
	}

	/// Makes job `lease`'s container in the background (see [`JobManager::submit`]).
	fn spawn_create_image(self: &Arc<Self>, image: ImageRef, lease: LeaseId) {
		let mgr = self.clone();
		tokio::spawn(async move {
			if let Err(e) = mgr.create(&image, lease).await {
				mgr.creation_failed(lease, e).await;
			}
		});
	}

	/// [`JobManager::spawn_create_image`] for a journaled job.
	async fn spawn_create(self: &Arc<Self>, lease: LeaseId) {
		let Some(rec) = self.jobs.lock().await.get(&lease).cloned() else { return };
		match self.validate(&rec.request) {
			Ok(image) => self.spawn_create_image(image, lease),
			Err(e) => self.creation_failed(lease, e).await,
		}
	}

	/// Ends job `lease`, whose creation failed with `e`, and releases what it had.
	async fn creation_failed(&self, lease: LeaseId, e: JobError) {
		let _lc = self.lifecycle.lock().await;
		let Some(mut rec) = self.jobs.lock().await.get(&lease).cloned() else { return };
		self.release(&mut rec, AT_DELETE, false).await;
		let (state, cause) = if rec.stop_requested {
			(JobState::Killed, EndCause::Killed)
		} else {
			(JobState::Failed, creation_failure(&e))
		};
		tracing::warn!(lease, ?cause, "job could not be started: {e}");
		let now = now_ms();
		// It used nothing: its metering ends at zero.
		rec.meter.record(RawSample::default(), now, true);
		rec.end(state, Some(cause), Some(e.to_string()));
		rec.finished_at_ms = Some(now);
		if let Err(e) = self.journal.put(&rec) {
			tracing::error!(lease, "journal write failed: {e}");
		}
		self.jobs.lock().await.insert(lease, rec);
	}

	/// Journals `rec` and keeps the in-memory map in step with it, so that a crash (the
	/// journal) and a failure (the map, which `creation_failed` releases from) both know
	/// everything allocated so far.
	async fn keep(&self, rec: &JobRecord) -> Result<(), JobError> {
		self.journal.put(rec)?;
		self.jobs.lock().await.insert(rec.request.lease_id, rec.clone());
		Ok(())
	}

	async fn create(&self, image: &ImageRef, lease: LeaseId) -> Result<JobStatus, JobError> {
		tracing::info!(lease, image = %image.reference.whole(), "pulling image");
		// Where a start's time goes (`RUST_LOG=uranus_agent=debug`).
		let t0 = std::time::Instant::now();
		let stage = |name: &str| {
			tracing::debug!(lease, ms = t0.elapsed().as_millis() as u64, "start: {name}")
		};
		// Images live jobs run are never evicted to make room for this one.
		let in_use: HashSet<String> = self
			.jobs
			.lock()
			.await
			.values()
			.filter(|r| !r.state.is_final() && r.request.lease_id != lease)
			.filter_map(|r| ImageRef::parse(&r.request.image).ok())
			.map(|i| i.hex().to_string())
			.collect();
		let mut prepared = self.images.prepare(image, &in_use).await?;
		// A working directory the runtime cannot use is the image's fault: refused here, before
		// anything is made for the job (resolved: the runtime follows no symlink of it).
		let cwd = crate::image::workdir::resolve(
			&prepared.rootfs,
			prepared.config.working_dir.as_deref(),
		)?;
		prepared.config.working_dir = Some(cwd);
		stage("image ready");
		let _lc = self.lifecycle.lock().await;
		let mut rec =
			self.jobs.lock().await.get(&lease).cloned().ok_or(JobError::NotFound(lease))?;
		if rec.stop_requested {
			return Err(JobError::Conflict("stopped while its image was pulled".into()));
		}
		let dir = job_dir(&self.cfg, lease);
		let bundle = dir.join("bundle");
		std::fs::create_dir_all(&bundle).map_err(|err| RuntimeError::Io {
			context: format!("create {}", bundle.display()),
			err,
		})?;
		rec.dir = Some(dir.clone());
		self.keep(&rec).await?;
		let _ = std::fs::remove_file(exit_file(&dir));

		// The network and the scratch volume usually come ready from the provisioner's pool;
		// each is journaled in the record before the provisioner forgets it, so a crash
		// leaves it to exactly one of them.
		let alloc = self.provisioner.network().await.map_err(|e| match e {
			RuntimeError::Exhausted => JobError::Exhausted,
			e => e.into(),
		})?;
		rec.network = Some(alloc.clone());
		rec.network_made = true;
		self.keep(&rec).await?;
		self.provisioner.handed_over(Some(&alloc), None);
		stage("network");
		// The log's cap comes out of the job's disk allowance (see `joblog`); the job's user
		// owns its scratch volume (as seen from the host: its mapped ids).
		let disk = rec.request.limits.disk_bytes;
		let log_cap = joblog::cap_for(disk);
		let ids = self.cfg.id_map;
		let scratch = self
			.provisioner
			.scratch(
				disk.saturating_sub(log_cap),
				ids.host_or_nobody(prepared.config.uid),
				ids.host_or_nobody(prepared.config.gid),
			)
			.await?;
		rec.scratch = Some(scratch.clone());
		self.keep(&rec).await?;
		self.provisioner.handed_over(None, Some(&scratch));
		// `/out`, owned by the job's user like the volume.
		let out = scratch.mount.join(super::outputs::OUT_DIR);
		std::fs::create_dir_all(&out)
			.and_then(|()| {
				std::os::unix::fs::chown(
					&out,
					Some(ids.host_or_nobody(prepared.config.uid)),
					Some(ids.host_or_nobody(prepared.config.gid)),
				)
			})
			.map_err(|err| RuntimeError::Io {
				context: format!("create {}", out.display()),
				err,
			})?;
		stage("scratch volume");

		let rel = format!("{}/{}", self.cfg.cgroup_parent, rec.container_id());
		let mut env = rec.request.env.clone();
		env.push(format!("URANUS_LEASE_ID={lease}"));
		env.push(format!("URANUS_GATEWAY={}", alloc.host_ip));
		let hostname = rec.container_id();
		let spec = spec::build(&spec::JobSpecInput {
			hostname: &hostname,
			rootfs: &prepared.rootfs,
			image: &prepared.config,
			command: &rec.request.command,
			env: &env,
			limits: &rec.request.limits,
			scratch: &scratch.mount,
			network: Some(spec::JobNetwork { alloc: &alloc, agent_exe: &self.agent_exe }),
			cgroups_path: &rel,
			ids,
			apparmor_profile: self.cfg.apparmor_profile.as_deref(),
		})?;
		spec::save(&spec, &bundle)?;
		rec.cgroup = Some(nested_location(self.cgroup_mode, &self.cfg.cgroup_root, &rel)?);
		rec.state = JobState::Pending;
		self.journal.put(&rec)?;

		let id = rec.container_id();
		let _ = self.runtime.delete(&id).await;
		let files = job_files(&dir, log_cap);
		let _ = std::fs::remove_file(&files.pid);
		stage("spec");
		self.runtime.start(&id, &bundle, &files).await?;
		stage("shim spawned");
		// Started once the runtime wrote the pid file (it executed the command); an exit
		// record without it is a container that never started. Both are files: waiting on
		// them costs no process.
		let deadline = std::time::Instant::now() + START_TIMEOUT;
		loop {
			if files.pid.exists() {
				break;
			}
			if exit_file(&dir).exists() {
				// The pid file may land just before the exit record: look once more.
				if files.pid.exists() {
					break;
				}
				let _ = self.runtime.delete(&id).await;
				return Err(start_failure(&joblog::tail_text(&files.log, 2000)));
			}
			if std::time::Instant::now() > deadline {
				let _ = self.runtime.kill(&id, "KILL").await;
				let _ = self.runtime.delete(&id).await;
				return Err(JobError::Runtime(RuntimeError::Output {
					command: format!("{} run {id}", self.runtime.name()),
					output: format!(
						"the container did not start within {} s: {}",
						START_TIMEOUT.as_secs(),
						joblog::tail_text(&files.log, 2000)
					),
				}));
			}
			tokio::time::sleep(Duration::from_millis(2)).await;
		}
		stage("running");
		let started = now_ms();
		rec.state = JobState::Running;
		rec.started_at_ms = Some(started);
		rec.meter = crate::meter::Accumulator::new(lease, started);
		self.journal.put(&rec)?;
		let status = rec.status();
		self.jobs.lock().await.insert(lease, rec);
		tracing::info!(lease, "job running");
		Ok(status)
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

	/// Freezes (`paused`) or thaws a running job, keeping its processes' state; repeating
	/// either is a no-op. Metering goes on (a frozen job uses no CPU).
	pub async fn set_paused(&self, lease: LeaseId, paused: bool) -> Result<JobStatus, JobError> {
		let _lc = self.lifecycle.lock().await;
		let mut rec =
			self.jobs.lock().await.get(&lease).cloned().ok_or(JobError::NotFound(lease))?;
		let (from, to) = if paused {
			(JobState::Running, JobState::Paused)
		} else {
			(JobState::Paused, JobState::Running)
		};
		if rec.state == to {
			return Ok(rec.status());
		}
		if rec.state != from {
			return Err(JobError::Conflict(format!(
				"job {lease} is {:?}, not {from:?}",
				rec.state
			)));
		}
		if let Err(e) = self.runtime.set_paused(&rec.container_id(), paused).await {
			// The container ended before the sampler noticed: a conflict, not a failure.
			let alive = matches!(
				self.runtime.state(&rec.container_id()).await,
				Ok(Some(s)) if s.status != "stopped"
			);
			if !alive {
				return Err(JobError::Conflict(format!("job {lease} has ended")));
			}
			return Err(e.into());
		}
		rec.state = to;
		self.journal.put(&rec)?;
		tracing::info!(lease, state = ?to, "job {}", if paused { "paused" } else { "resumed" });
		let status = rec.status();
		self.jobs.lock().await.insert(lease, rec);
		Ok(status)
	}

	/// Stops a job (if running), waits for its final sample and releases its resources; its
	/// record stays (the final metering remains readable). Stopping a job that was released
	/// already forgets it: its record, log and directory go, and it is listed no more. What
	/// could not be released is in the answer's `release` and retried by the agent.
	pub async fn stop(self: &Arc<Self>, lease: LeaseId) -> Result<JobStatus, JobError> {
		let (running, forget) = {
			let mut jobs = self.jobs.lock().await;
			let rec = jobs.get_mut(&lease).ok_or(JobError::NotFound(lease))?;
			if rec.state == JobState::Pulling {
				// Its creation sees the request before it starts the container.
				rec.stop_requested = true;
				self.journal.put(rec)?;
				return Ok(rec.status());
			}
			if rec.packing {
				// Its container ended already and its volume is being read: it ends (and may
				// be released) once its outputs are packed.
				return Err(JobError::Conflict(format!(
					"job {lease} exited and its outputs are being packed; ask again"
				)));
			}
			if !rec.state.is_final() {
				rec.stop_requested = true;
				self.journal.put(rec)?;
			}
			(!rec.state.is_final(), rec.state.is_final() && rec.released)
		};
		if running {
			// Frozen processes do not die until thawed.
			if self.get(lease).await?.state == JobState::Paused {
				self.runtime.set_paused(&container_id(lease), false).await?;
			}
			self.runtime.kill(&container_id(lease), "KILL").await?;
			for _ in 0..400 {
				self.tick().await;
				if self.get(lease).await?.state.is_final() {
					break;
				}
				tokio::time::sleep(Duration::from_millis(25)).await;
			}
		}
		let _lc = self.lifecycle.lock().await;
		let mut rec =
			self.jobs.lock().await.get(&lease).cloned().ok_or(JobError::NotFound(lease))?;
		if rec.packing {
			// It exited while this waited for its end: as above.
			return Err(JobError::Conflict(format!(
				"job {lease} exited and its outputs are being packed; ask again"
			)));
		}
		let outcome = if forget {
			self.release(&mut rec, &[JobResource::Directory], true).await
		} else {
			self.release(&mut rec, AT_DELETE, false).await
		};
		let status = rec.status();
		if outcome == Outcome::Kept {
			self.journal.put(&rec)?;
			self.jobs.lock().await.insert(lease, rec);
		}
		Ok(status)
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
			.filter(|r| matches!(r.state, JobState::Running | JobState::Paused) && !r.packing)
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
}

pub(super) fn container_id(lease: LeaseId) -> String {
	super::record::container_id(lease)
}

/// Removes cgroup `rel` from every hierarchy under `root` (the unified one at `root`, each v1
/// controller's at `root/<controller>`) where it is empty; a cgroup with children or
/// processes stays.
fn remove_empty_cgroup(root: &Path, rel: &str) {
	let hierarchies = std::fs::read_dir(root)
		.into_iter()
		.flatten()
		.flatten()
		.map(|e| e.path())
		.chain(std::iter::once(root.to_path_buf()));
	for hierarchy in hierarchies {
		let _ = std::fs::remove_dir(hierarchy.join(rel));
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn a_changed_boot_id_is_a_host_reboot() {
		let dir = tempfile::tempdir().unwrap();
		let (boot, record) = (dir.path().join("boot_id"), dir.path().join("recorded"));
		std::fs::write(&boot, "aaaa\n").unwrap();
		assert!(!super::host_rebooted(&boot, &record), "first start: unknown");
		assert!(!super::host_rebooted(&boot, &record), "same boot: an agent restart");
		std::fs::write(&boot, "bbbb\n").unwrap();
		assert!(super::host_rebooted(&boot, &record), "a new boot id: the host rebooted");
		assert!(!super::host_rebooted(&boot, &record));
	}

	#[test]
	fn runtime_state_lives_on_tmpfs_one_directory_per_data_dir() {
		let cfg =
			|d: &str| crate::config::AgentConfig::new(d.into(), "127.0.0.1:1".parse().unwrap());
		let (a, b) = (cfg("/var/lib/a").runtime_state_dir(), cfg("/var/lib/b").runtime_state_dir());
		assert!(a.starts_with("/run/uranus-agent") && b.starts_with("/run/uranus-agent"));
		assert_ne!(a, b);
		assert_eq!(a, cfg("/var/lib/a").runtime_state_dir());
	}
}
