//! Commands run inside a job's running container beside its own process (the gateway's
//! shell sessions), and the handle by which such a command is ended.

use super::{paths::container_id, states::Transitions, JobError, JobManager};
use crate::runtime::pidfd::{AdoptError, ContainerProcess};
use std::path::Path;
use uranus_primitives::agent::LeaseId;

impl JobManager {
	/// The command running `argv` on a terminal inside job `lease`'s container, which must be
	/// running (not frozen). See [`crate::runtime::ContainerRuntime::exec_tty`].
	pub async fn exec_tty(
		&self,
		lease: LeaseId,
		console_socket: &Path,
		pid_file: &Path,
		argv: &[String],
	) -> Result<tokio::process::Command, JobError> {
		let state = self.jobs.lock().await.get(&lease).ok_or(JobError::NotFound(lease))?.state;
		if !state.can_exec() {
			return Err(JobError::Conflict(format!("the job is {state:?}, not running")));
		}
		self.runtime
			.exec_tty(&container_id(lease), console_socket, pid_file, argv)
			.ok_or_else(|| JobError::Conflict("this runtime cannot open a shell".into()))
	}

	/// Holds the process `pid` that the runtime reported for a command exec'd in job `lease`,
	/// if it is alive and in the job's cgroup: signals then reach that process only.
	pub async fn exec_process(
		&self,
		lease: LeaseId,
		pid: i32,
	) -> Result<ContainerProcess, ExecProcessError> {
		let cgroup = self
			.jobs
			.lock()
			.await
			.get(&lease)
			.ok_or(ExecProcessError::NoJob(lease))?
			.cgroup
			.clone()
			.ok_or(ExecProcessError::NoCgroup(lease))?;
		Ok(ContainerProcess::adopt(
			pid,
			&cgroup,
			self.cgroup_mode(),
			&self.cfg.cgroup_root,
			Path::new("/proc"),
		)?)
	}
}

/// Why an exec'd command's process is not held.
#[derive(Debug, thiserror::Error)]
pub enum ExecProcessError {
	/// The job is gone.
	#[error("job {0} not found")]
	NoJob(LeaseId),
	/// The job has no cgroup (its container was never made).
	#[error("job {0} has no cgroup")]
	NoCgroup(LeaseId),
	/// The pid names no process of the job.
	#[error(transparent)]
	Adopt(#[from] AdoptError),
}
