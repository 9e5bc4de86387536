//! Metering: cumulative CPU, memory, network and disk use of a job.
//!
//! - [`cgroup`]: reads CPU time, memory and OOM kills from cgroup v1 (and hybrid) or v2,
//!   with the cgroup root injectable so tests run against fixture directories.
//! - [`net`]: the host-side veth counters of a job's network.
//! - [`accumulator`]: turns raw samples into a [`MeteringReport`] whose counters never go
//!   backwards and whose sequence number grows with every sample.
//!
//! [`MeteringReport`]: uranus_primitives::agent::MeteringReport

pub mod accumulator;
pub mod cgroup;
pub mod net;

pub use accumulator::{Accumulator, RawSample};
pub use cgroup::{CgroupLocation, CgroupMode, CgroupSample};

/// Errors while reading counters.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
	/// A counter file could not be read.
	#[error("failed to read {path}: {err}")]
	Read {
		/// The file.
		path: std::path::PathBuf,
		/// The cause.
		err: std::io::Error,
	},
	/// A counter file did not hold what it should.
	#[error("unexpected content in {path}: {content:?}")]
	Parse {
		/// The file.
		path: std::path::PathBuf,
		/// What it held.
		content: String,
	},
	/// The process's cgroup membership lacks a controller.
	#[error("process {pid} has no {controller} cgroup")]
	NoController {
		/// The process.
		pid: u32,
		/// The missing controller.
		controller: &'static str,
	},
}

pub(crate) fn read_string(path: &std::path::Path) -> Result<String, MeterError> {
	std::fs::read_to_string(path).map_err(|err| MeterError::Read { path: path.to_path_buf(), err })
}

pub(crate) fn read_u64(path: &std::path::Path) -> Result<u64, MeterError> {
	let s = read_string(path)?;
	s.trim().parse().map_err(|_| MeterError::Parse { path: path.to_path_buf(), content: s.clone() })
}
