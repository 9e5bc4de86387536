//! Making a job: the request checked against the bounds, the image pulled, the network,
//! scratch volume and bundle made, the container started under its shim. Idempotent by lease;
//! the work after the answer runs in the background.

use super::{
	bounds,
	errors::{creation_failure, start_failure},
	paths::{exit_file, job_dir, job_files, nested_location},
	release::AT_DELETE,
	JobError, JobManager, JobRecord,
};
use crate::{
	image::ImageRef,
	meter::RawSample,
	now_ms,
	runtime::{joblog, network, spec, RuntimeError},
};
use std::{collections::HashSet, sync::Arc, time::Duration};
use uranus_primitives::{
	agent::{JobRequest, JobState, JobStatus, LeaseId},
	compute::EndCause,
};

/// How long a container may take from `start` to running.
const START_TIMEOUT: Duration = Duration::from_secs(10);

impl JobManager {
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
	pub(super) async fn spawn_create(self: &Arc<Self>, lease: LeaseId) {
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
		// What the job receives leaves the host's end: shaped there to what the lease paid
		// for (its own end is shaped by the hook that moves it into the job's namespace).
		let bandwidth = rec.request.limits.bandwidth_bps;
		network::shape(None, &alloc.host_if, bandwidth).await?;
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
			network: Some(spec::JobNetwork {
				alloc: &alloc,
				agent_exe: &self.agent_exe,
				bandwidth_bps: bandwidth,
			}),
			cgroups_path: &rel,
			ids,
			apparmor_profile: self.cfg.apparmor_profile.as_deref(),
		})?;
		spec::save(&spec, &bundle)?;
		rec.cgroup = Some(nested_location(self.cgroup_mode(), &self.cfg.cgroup_root, &rel)?);
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
}
