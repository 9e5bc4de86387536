//! The persisted state of one job.

use crate::{
	meter::{Accumulator, CgroupLocation},
	runtime::{network::NetAlloc, volume::Scratch},
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use uranus_primitives::{
	agent::{JobNetwork, JobOutput, JobRequest, JobState, JobStatus, PendingRelease},
	compute::EndCause,
};

/// Records of agents before `network_made` existed journaled a network only once made.
fn made() -> bool {
	true
}

/// Everything the agent knows about a job; written to the journal on every change.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRecord {
	/// The request that created the job.
	pub request: JobRequest,
	/// Current state.
	pub state: JobState,
	/// Exit code, once ended.
	pub exit_code: Option<i32>,
	/// Why it failed or ended, for people.
	pub reason: Option<String>,
	/// Why it failed or ended, typed (what the market is told).
	#[serde(default)]
	pub cause: Option<EndCause>,
	/// Unix ms accepted.
	pub created_at_ms: u64,
	/// Unix ms started.
	pub started_at_ms: Option<u64>,
	/// Unix ms ended.
	pub finished_at_ms: Option<u64>,
	/// The job's directory (bundle, log, exit file, scratch).
	pub dir: Option<PathBuf>,
	/// Network allocation. Journaled before the namespace and veth pair are made, so a crash
	/// in between leaves nothing the next start does not know of.
	pub network: Option<NetAlloc>,
	/// Whether `network` was made whole (veth pair, addresses, firewall rules): until then
	/// only the job's own namespace is removed, never an interface of that name (another
	/// agent may have made it).
	#[serde(default = "made")]
	pub network_made: bool,
	/// Whether `network` was released (at the job's end): its index may be another job's
	/// since, so it is never released again.
	#[serde(default)]
	pub network_released: bool,
	/// Scratch volume.
	pub scratch: Option<Scratch>,
	/// Where its counters live, once the container runs.
	pub cgroup: Option<CgroupLocation>,
	/// Metering state.
	pub meter: Accumulator,
	/// Whether a stop was requested.
	pub stop_requested: bool,
	/// Whether its container exited and its outputs are being packed (it ends once they
	/// are; see [`super::packing`]).
	#[serde(default)]
	pub packing: bool,
	/// Whether the job was deleted: its container, network and scratch volume are to be
	/// released (see `release` for what failed).
	pub released: bool,
	/// What of the job's resources failed to be released and is retried
	/// ([`super::release`]).
	#[serde(default)]
	pub release: Option<PendingRelease>,
	/// Its packed `/out`, once it exited (see [`super::outputs`]).
	#[serde(default)]
	pub output: Option<JobOutput>,
}

impl JobRecord {
	/// Marks the job ended in `state` for `cause`, with `reason` for people.
	pub fn end(&mut self, state: JobState, cause: Option<EndCause>, reason: Option<String>) {
		self.state = state;
		self.cause = cause;
		self.reason = reason;
	}

	/// A new pending job.
	pub fn new(request: JobRequest, now_ms: u64) -> JobRecord {
		let lease = request.lease_id;
		JobRecord {
			request,
			state: JobState::Pending,
			exit_code: None,
			reason: None,
			cause: None,
			created_at_ms: now_ms,
			started_at_ms: None,
			finished_at_ms: None,
			dir: None,
			network: None,
			network_made: false,
			network_released: false,
			scratch: None,
			cgroup: None,
			meter: Accumulator::new(lease, now_ms),
			stop_requested: false,
			packing: false,
			released: false,
			release: None,
			output: None,
		}
	}

	/// Whether its container ever started.
	pub fn started(&self) -> bool {
		self.started_at_ms.is_some()
	}

	/// The runtime's container id.
	pub fn container_id(&self) -> String {
		container_id(self.request.lease_id)
	}

	/// The API view.
	pub fn status(&self) -> JobStatus {
		JobStatus {
			lease_id: self.request.lease_id,
			image: self.request.image.clone(),
			state: self.state,
			exit_code: self.exit_code,
			reason: self.reason.clone(),
			cause: self.cause,
			created_at_ms: self.created_at_ms,
			started_at_ms: self.started_at_ms,
			finished_at_ms: self.finished_at_ms,
			network: self
				.network
				.as_ref()
				.map(|n| JobNetwork { host_ip: n.host_ip.clone(), job_ip: n.job_ip.clone() }),
			limits: self.request.limits.clone(),
			output: self.output.clone(),
			release: self.release.clone(),
		}
	}
}

/// The container id of lease `lease`.
pub fn container_id(lease: u64) -> String {
	format!("ura-{lease}")
}
