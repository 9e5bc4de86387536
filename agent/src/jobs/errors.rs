//! What can go wrong with a job operation ([`JobError`], one HTTP status each), the bounds a
//! request is held to, and who is at fault when a job's creation fails.

use super::journal::JournalError;
use crate::{image::ImageError, runtime::RuntimeError};
use uranus_primitives::{agent::LeaseId, compute::EndCause};

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

/// Why a container that never started did not, from what the runtime printed (`log`, its
/// tail): the job's command could not be executed (it does not exist in the image, or is
/// not executable), the user's doing; anything else is this host's.
pub(super) fn start_failure(log: &str) -> JobError {
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
