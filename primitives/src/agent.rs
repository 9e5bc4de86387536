//! The provider agent's HTTP API, version 1 (`/v1/...`): the JSON the off-chain worker and the
//! `uranus-agent` daemon exchange. Both sides use these types, so they cannot disagree on a
//! field name or unit. Everything here is `no_std` + `alloc` so the runtime's off-chain worker
//! can decode it with `serde_json`'s `alloc` feature.
//!
//! Units: bytes, milliseconds, CPU time in microseconds, memory in byte-seconds.

use alloc::{string::String, vec::Vec};
use serde::{Deserialize, Serialize};

/// Path prefix of every route of this API version.
pub const API_PREFIX: &str = "/v1";

/// The identifier of a job: the market lease it runs. `POST /v1/jobs` is idempotent by it.
pub type LeaseId = u64;

/// `GET /v1/hardware`: what the provider's machine offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareInfo {
	/// CPU model name, e.g. `Intel(R) Xeon(R) ...`.
	pub cpu_model: String,
	/// Logical cores the OS schedules on.
	pub logical_cores: u32,
	/// Nominal CPU frequency in MHz (0 when the machine does not report it).
	pub cpu_mhz: u32,
	/// Physical memory in bytes.
	pub memory_total_bytes: u64,
	/// Memory available to new workloads in bytes.
	pub memory_available_bytes: u64,
	/// Size of the filesystem holding the agent's data directory, in bytes.
	pub storage_total_bytes: u64,
	/// Free space on that filesystem that jobs may use, in bytes.
	pub storage_available_bytes: u64,
	/// CPU architecture (`x86_64`, `aarch64`, ...).
	pub arch: String,
	/// Measured uplink in bytes per second, if a self-test endpoint is configured.
	pub uplink_bytes_per_sec: Option<u64>,
	/// The cgroup layout found on the host: `v1`, `v2` or `hybrid`.
	pub cgroup_mode: String,
	/// The container runtime backend in use (`runc`, `crun`).
	pub runtime: String,
}

/// Resource limits of a job (what the lease pays for).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
	/// CPU in thousandths of a core (1000 = one full core).
	pub cpu_millicores: u32,
	/// Memory limit in bytes (the job is OOM-killed above it).
	pub memory_bytes: u64,
	/// Maximum number of processes and threads.
	pub pids: u32,
	/// Size of the writable scratch volume mounted at `/scratch`, in bytes.
	pub disk_bytes: u64,
	/// Network bandwidth in bytes per second, each way (the order's `bandwidth_bps`); 0
	/// shapes nothing. Absent in requests from before it existed.
	#[serde(default)]
	pub bandwidth_bps: u64,
}

/// `POST /v1/jobs`: run a container for a lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
	/// The lease this job runs; repeating a request with the same id starts nothing new.
	pub lease_id: LeaseId,
	/// The image, pinned by digest: `registry/repository@sha256:<64 hex>`.
	pub image: String,
	/// Command overriding the image's entrypoint and cmd (empty: use the image's).
	#[serde(default)]
	pub command: Vec<String>,
	/// Extra environment variables, `NAME=value`.
	#[serde(default)]
	pub env: Vec<String>,
	/// Resource limits.
	pub limits: ResourceLimits,
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
	/// Accepted, not yet started.
	Pending,
	/// Fetching and unpacking the image.
	Pulling,
	/// The container runs.
	Running,
	/// The container's processes are frozen (`POST /v1/jobs/{id}/pause`), their state kept.
	Paused,
	/// The container's process exited by itself (see the exit code).
	Exited,
	/// The job could not run or was killed by the kernel (see the reason, e.g. `oom`).
	Failed,
	/// Stopped on request (`DELETE /v1/jobs/{id}`).
	Killed,
}

impl JobState {
	/// Whether the job has ended and will not change state again.
	pub fn is_final(&self) -> bool {
		matches!(self, JobState::Exited | JobState::Failed | JobState::Killed)
	}
}

/// The network attached to a job: a veth pair between the host and the job's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobNetwork {
	/// The host-side address (the job's gateway).
	pub host_ip: String,
	/// The job's address.
	pub job_ip: String,
}

/// `GET /v1/jobs/{id}`: a job's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
	/// The lease the job runs.
	pub lease_id: LeaseId,
	/// The requested image reference.
	pub image: String,
	/// Current state.
	pub state: JobState,
	/// Exit code of the container's main process, once it ended.
	pub exit_code: Option<i32>,
	/// Why the job failed or ended, for people (`oom: ...`, `lost: ...`).
	pub reason: Option<String>,
	/// Why the job failed or ended, typed: what the off-chain worker reports to the market
	/// (absent from agents older than the field, and while the job has not ended).
	#[serde(default)]
	pub cause: Option<crate::compute::EndCause>,
	/// Unix time (ms) the job was accepted.
	pub created_at_ms: u64,
	/// Unix time (ms) the container started.
	pub started_at_ms: Option<u64>,
	/// Unix time (ms) the container ended.
	pub finished_at_ms: Option<u64>,
	/// The job's network, once created.
	pub network: Option<JobNetwork>,
	/// The requested limits.
	pub limits: ResourceLimits,
	/// What the job left in `/out`, packed once it ended (absent while it runs, when it wrote
	/// nothing, and from agents older than the field).
	#[serde(default)]
	pub output: Option<JobOutput>,
	/// Host resources of the job whose release failed and that the agent retries; absent
	/// when there are none (and from agents older than the field).
	#[serde(default)]
	pub release: Option<PendingRelease>,
}

/// A host resource of a job, released when the job ends (its container and network), is
/// deleted (its scratch volume) and is forgotten (its directory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobResource {
	/// The container and its cgroup.
	Container,
	/// The network namespace, veth pair and firewall rules.
	Network,
	/// The scratch volume: its mount, loop device and image file.
	Scratch,
	/// The job's directory: its bundle, log and exit record.
	Directory,
}

/// `JobStatus::release`: what of a job is still to be released after a failure. The agent
/// retries with back-off (and at its next start); a `DELETE` that leaves this answers
/// `202 Accepted` instead of `200`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRelease {
	/// What is left, in release order.
	pub left: Vec<JobResource>,
	/// Whether the job is forgotten once all of it is released (it was deleted twice).
	pub forget: bool,
	/// Unix time (ms) of the first failure.
	pub since_ms: u64,
	/// Failed attempts so far.
	pub attempts: u32,
	/// Unix time (ms) of the next attempt.
	pub next_attempt_ms: u64,
	/// The last failure: the resource and its cause (e.g. `umount` of a busy volume).
	pub last_error: String,
}

/// `GET /v1/health`: liveness, and what the agent has yet to release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentHealth {
	/// `ok` while the agent serves.
	pub status: String,
	/// Jobs with resources awaiting release ([`PendingRelease`]).
	#[serde(default)]
	pub awaiting_release: AwaitingRelease,
}

/// Jobs whose release failed and is being retried.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingRelease {
	/// How many.
	pub jobs: u32,
	/// Unix time (ms) the oldest of them first failed (absent when none).
	pub oldest_since_ms: Option<u64>,
}

/// A job's packed outputs: `/out` as a zstd-compressed tar archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutput {
	/// SHA-256 of the archive, lowercase hex.
	pub sha256: String,
	/// Size of the archive in bytes.
	pub size_bytes: u64,
}

/// `GET /v1/jobs/{id}/metering`: cumulative usage of a job since it started.
///
/// Every field only grows; `seq` increases with every new sample, so a consumer charges only
/// the difference to the last sample it accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeteringReport {
	/// The lease metered.
	pub lease_id: LeaseId,
	/// Sample sequence number, strictly increasing per job.
	pub seq: u64,
	/// CPU time consumed, in microseconds.
	pub cpu_micros: u64,
	/// Memory integrated over time, in byte-seconds.
	pub memory_byte_seconds: u64,
	/// Highest memory use seen, in bytes.
	pub memory_peak_bytes: u64,
	/// Bytes the job received over its network.
	pub net_rx_bytes: u64,
	/// Bytes the job sent over its network.
	pub net_tx_bytes: u64,
	/// Bytes used on the job's scratch volume.
	pub disk_used_bytes: u64,
	/// Wall time the job has run, in milliseconds.
	pub wall_millis: u64,
	/// Unix time (ms) of the sample.
	pub sampled_at_ms: u64,
	/// Whether this is the last sample (the job ended).
	pub is_final: bool,
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
	/// A stable machine-readable code (`bad_request`, `unauthorized`, `not_found`, ...).
	pub error: String,
	/// A human-readable explanation.
	pub message: String,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn job_request_rejects_unknown_fields_and_defaults_command() {
		let ok = r#"{"lease_id":7,"image":"r/x@sha256:00","limits":{"cpu_millicores":500,"memory_bytes":1,"pids":8,"disk_bytes":1}}"#;
		let req: JobRequest = serde_json::from_str(ok).unwrap();
		assert!(req.command.is_empty());
		let bad = r#"{"lease_id":7,"image":"x","limits":{"cpu_millicores":1,"memory_bytes":1,"pids":1,"disk_bytes":1},"oops":1}"#;
		assert!(serde_json::from_str::<JobRequest>(bad).is_err());
	}

	#[test]
	fn states_serialize_in_snake_case() {
		assert_eq!(serde_json::to_string(&JobState::Running).unwrap(), "\"running\"");
		assert!(JobState::Killed.is_final());
		assert!(!JobState::Pulling.is_final());
	}
}

/// `POST /v1/challenges` and `POST /v1/challenges/verify`: a hardware challenge's parameters
/// (`crate::challenge::ChallengeParams`), the seed as 64 hex characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeSpec {
	/// The chain's seed, hex.
	pub seed: String,
	/// Lanes (claimed cores).
	pub lanes: u32,
	/// ROMix size exponent.
	pub log_n: u8,
	/// Block size factor.
	pub r: u32,
	/// Compute rounds per lane (absent: 0, the workload without a compute part).
	#[serde(default)]
	pub rounds: u32,
}

/// Where the agent's own challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeState {
	/// The lanes are being computed.
	Running,
	/// Every lane is computed: the commitment and the lanes are in the status.
	Done,
	/// The challenge could not be run (see `error`).
	Failed,
}

/// `GET /v1/challenges/current`: the agent's own challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeStatus {
	/// The challenge.
	pub spec: ChallengeSpec,
	/// Its state.
	pub state: ChallengeState,
	/// The commitment to the lanes, hex (when done).
	#[serde(default)]
	pub commitment: Option<String>,
	/// Each lane's result, hex, in lane order (when done).
	#[serde(default)]
	pub lanes: Vec<String>,
	/// Lanes run side by side.
	pub parallel: u32,
	/// Wall time so far or in all, milliseconds.
	pub elapsed_ms: u64,
	/// Why it failed.
	#[serde(default)]
	pub error: Option<String>,
}

/// `POST /v1/challenges/verify`: recompute `picks` of another machine's revealed challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
	/// The challenge.
	pub spec: ChallengeSpec,
	/// The commitment the machine sent first, hex.
	pub commitment: String,
	/// The lanes it revealed, hex, in lane order.
	pub revealed: Vec<String>,
	/// The lanes the chain picked to recompute.
	pub picks: Vec<u32>,
}

/// A verifier's finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
	/// The lanes match the commitment and every picked lane recomputes the same.
	Valid,
	/// The revealed lanes do not hash to the commitment.
	CommitmentMismatch,
	/// A picked lane recomputes differently.
	WrongLane,
}

/// The answer to `POST /v1/challenges/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
	/// The finding.
	pub verdict: VerdictKind,
	/// The first lane that recomputed differently.
	#[serde(default)]
	pub lane: Option<u32>,
	/// Wall time of the recomputation, milliseconds.
	pub elapsed_ms: u64,
}
