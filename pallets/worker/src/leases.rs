//! The leases of this node's machine: the worker starts them on the agent, acknowledges them,
//! reports their metering and their end, and stops jobs whose lease ended on chain.
//!
//! Everything is idempotent by lease id: `POST /v1/jobs` starts a job once however often it is
//! repeated, and the market charges a metering sample only once (by sequence number), so a
//! restarted agent, node or worker never runs or charges anything twice.

use crate::{
	agent::{AgentClient, AgentError},
	Config, Pallet,
};
use alloc::{format, string::String, vec, vec::Vec};
use frame_support::traits::Get;
use pallet_market::{LeaseId, LeaseState, Usage};
use sp_runtime::{offchain::http, traits::Saturating};
use uranus_primitives::{
	agent::{JobRequest, JobState, JobStatus, MeteringReport, ResourceLimits},
	compute::{EndCause, OutputDigest},
};

/// Most leases handled per run (each costs up to three agent requests).
pub const MAX_LEASES_PER_RUN: usize = 8;

/// Most agent requests one run makes: three per lease, the job list, a stop per lease, and
/// the registry's hardware check and its follow-ups. The run's lock lasts this many agent
/// timeouts (see [`crate::Pallet::run`]), so two runs never overlap.
pub const MAX_REQUESTS_PER_RUN: u64 = 4 * MAX_LEASES_PER_RUN as u64 + 8;

/// What the worker does for the leases of its machine in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseWork<C> {
	/// The calls due, each standing alone.
	pub calls: Vec<(LeaseAction, C)>,
	/// Leases whose agent requests failed this run (retried in the next one); the other
	/// leases' calls and the heartbeat go ahead.
	pub failed: Vec<(LeaseId, AgentError)>,
}

/// Processes limit of a job.
const JOB_PIDS: u32 = 512;

impl<'a> AgentClient<'a> {
	/// `POST /v1/jobs` (idempotent by lease id).
	pub fn start_job(&self, job: &JobRequest) -> Result<JobStatus, AgentError> {
		let body = serde_json::to_vec(job).map_err(|_| AgentError::BadJson)?;
		let answer = self.request(http::Method::Post, "/v1/jobs", Some(body), &[200, 201])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}

	/// `GET /v1/jobs/{id}`.
	pub fn job(&self, id: LeaseId) -> Result<JobStatus, AgentError> {
		let answer = self.request(http::Method::Get, &format!("/v1/jobs/{id}"), None, &[200])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}

	/// `GET /v1/jobs/{id}/metering`.
	pub fn metering(&self, id: LeaseId) -> Result<MeteringReport, AgentError> {
		let path = format!("/v1/jobs/{id}/metering");
		let answer = self.request(http::Method::Get, &path, None, &[200])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}

	/// `GET /v1/jobs`.
	pub fn jobs(&self) -> Result<Vec<JobStatus>, AgentError> {
		let answer = self.request(http::Method::Get, "/v1/jobs", None, &[200])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}

	/// `POST /v1/jobs/{id}/pause` (`paused`) or `/resume`: freezes or thaws the job's
	/// processes, keeping their state.
	pub fn set_paused(&self, id: LeaseId, paused: bool) -> Result<JobStatus, AgentError> {
		let verb = if paused { "pause" } else { "resume" };
		let answer =
			self.request(http::Method::Post, &format!("/v1/jobs/{id}/{verb}"), None, &[200])?;
		serde_json::from_slice(&answer).map_err(|_| AgentError::BadJson)
	}

	/// `DELETE /v1/jobs/{id}`: `200` done, `202` some of the job could not be released yet
	/// (the agent retries by itself; a later `DELETE` moves it on).
	pub fn stop_job(&self, id: LeaseId) -> Result<(), AgentError> {
		self.request(http::Method::Delete, &format!("/v1/jobs/{id}"), None, &[200, 202]).map(|_| ())
	}
}

/// A market call the worker submits for a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseAction {
	/// The job started: `ack_lease`.
	Ack(LeaseId),
	/// New metering: `report_metering`.
	Report(LeaseId, u64),
	/// The job ended: `complete_lease`.
	Complete(LeaseId, i32),
	/// The job cannot run here or ended for `EndCause`: `fail_lease`.
	Fail(LeaseId, EndCause),
}

/// Why an ended job fails its lease, when it does: a cause on the provider's side (the job
/// was lost, the host rebooted, the image could not be fetched, or the job was killed while
/// its lease is active). `None`: the job ended by its own doing (an exit, out of memory) and
/// the lease is completed with its exit code and final usage. An agent without typed causes
/// (no `cause`) that failed a job is taken at its word that the job was lost.
pub fn failure_cause(status: &JobStatus) -> Option<EndCause> {
	match (status.state, status.cause) {
		(JobState::Exited, _) => None,
		(JobState::Failed | JobState::Killed, Some(c)) if c.provider_at_fault() => Some(c),
		(JobState::Failed | JobState::Killed, Some(_)) => None,
		(JobState::Killed, None) => Some(EndCause::Killed),
		(JobState::Failed, None) => Some(EndCause::Lost),
		_ => None,
	}
}

/// The cause of the agent refusing to start a job with HTTP `status`: 400 (the request
/// asks for what this agent does not run), 404 (the registry does not have the image) or
/// 422 (the image is unusable). None of them is the provider's doing.
pub fn refusal_cause(status: u16) -> Option<EndCause> {
	match status {
		400 => Some(EndCause::SpecRejected),
		404 | 422 => Some(EndCause::ImageUnusable),
		_ => None,
	}
}

impl<T: Config> Pallet<T> {
	/// The agent job of lease `id` of the machine's order.
	pub fn job_request(id: LeaseId) -> Option<JobRequest> {
		let lease = pallet_market::Leases::<T>::get(id)?;
		let order = pallet_market::Orders::<T>::get(lease.order)?;
		let image = pallet_registry::Images::<T>::get(order.image)?;
		let digest = pallet_registry::views::digest_string(&order.image);
		Some(JobRequest {
			lease_id: id,
			image: format!("{}@{digest}", String::from_utf8_lossy(&image.name)),
			command: order
				.command
				.iter()
				.map(|a| String::from_utf8_lossy(a).into_owned())
				.collect(),
			env: vec![],
			limits: ResourceLimits {
				cpu_millicores: order.spec.cpu_millicores,
				memory_bytes: order.spec.memory_bytes,
				pids: JOB_PIDS,
				disk_bytes: order.spec.storage_bytes,
				bandwidth_bps: order.spec.bandwidth_bps,
			},
		})
	}

	/// The calls due for the active leases of `machine` (at most [`MAX_LEASES_PER_RUN`]
	/// leases), and the agent jobs whose lease is no longer active stopped. Each lease
	/// stands alone: an agent error on one is recorded in [`LeaseWork::failed`] and the
	/// others go on.
	pub fn lease_calls(machine: u64, agent: &AgentClient) -> LeaseWork<pallet_market::Call<T>> {
		let mut work = LeaseWork { calls: Vec::new(), failed: Vec::new() };
		let active: Vec<LeaseId> = pallet_market::LeasesOfMachine::<T>::iter_key_prefix(machine)
			.take(MAX_LEASES_PER_RUN)
			.collect();
		for id in active.iter().copied() {
			if let Err(e) = Self::calls_of_lease(id, agent, &mut work.calls) {
				log::warn!(target: crate::LOG_TARGET, "lease {id}: agent error {e:?}; retried next run");
				work.failed.push((id, e));
			}
		}
		// Jobs still running for leases that ended on chain (cancelled, expired, moved): looked
		// for while this machine has or recently had leases.
		if !active.is_empty() || crate::local::had_leases() {
			if let Err(e) = Self::stop_ended_jobs(machine, agent, !active.is_empty()) {
				log::warn!(target: crate::LOG_TARGET, "stopping ended jobs: agent error {e:?}");
			}
		}
		work
	}

	/// Stops the agent jobs of `machine` whose lease is no longer active there, and frees
	/// those that finished once their lease's dispute window has passed (until then the user
	/// and the provider may still want their log and final metering): `DELETE` stops a job and
	/// releases its scratch volume, a `DELETE` of a released job has the agent forget it
	/// (record, log, directory). Each run moves an ended job one step until the agent no
	/// longer lists it.
	fn stop_ended_jobs(machine: u64, agent: &AgentClient, active: bool) -> Result<(), AgentError> {
		let now = frame_system::Pallet::<T>::block_number();
		let window = <T as pallet_market::Config>::DisputeWindow::get();
		let mut left = 0;
		for job in agent.jobs()? {
			let lease = pallet_market::Leases::<T>::get(job.lease_id);
			let ended =
				lease.as_ref().map_or(true, |l| !l.state.is_active() || l.machine != machine);
			let settled = lease
				.as_ref()
				.map_or(true, |l| l.ended_at.is_some_and(|e| now >= e.saturating_add(window)));
			if ended && (!job.state.is_final() || settled) {
				// One job the agent cannot stop now holds up none of the others.
				if let Err(e) = agent.stop_job(job.lease_id) {
					log::warn!(target: crate::LOG_TARGET, "stopping job {}: agent error {e:?}", job.lease_id);
				}
			}
			left += 1;
		}
		crate::local::set_had_leases(active || left > 0);
		Ok(())
	}

	/// The calls due for lease `id`, appended to `calls`.
	fn calls_of_lease(
		id: LeaseId,
		agent: &AgentClient,
		calls: &mut Vec<(LeaseAction, pallet_market::Call<T>)>,
	) -> Result<(), AgentError> {
		{
			let Some(lease) = pallet_market::Leases::<T>::get(id) else { return Ok(()) };
			match lease.state {
				LeaseState::Assigned => {
					let Some(job) = Self::job_request(id) else { return Ok(()) };
					// Idempotent: the first call starts the job (the agent pulls its image in
					// the background), later ones answer how it is doing.
					match agent.start_job(&job) {
						// Acknowledged once the job started (it may have ended since).
						Ok(s) if s.started_at_ms.is_some() => calls.push((
							LeaseAction::Ack(id),
							pallet_market::Call::ack_lease { lease: id },
						)),
						// It never started: the pull or the container's creation failed.
						Ok(s) if s.state.is_final() => {
							let cause = s.cause.unwrap_or(EndCause::Lost);
							calls.push((
								LeaseAction::Fail(id, cause),
								pallet_market::Call::fail_lease { lease: id, cause },
							))
						},
						// Still pulling: asked again next run.
						Ok(_) => {},
						Err(AgentError::Status(code)) if refusal_cause(code).is_some() => {
							let cause = refusal_cause(code).unwrap_or(EndCause::SpecRejected);
							calls.push((
								LeaseAction::Fail(id, cause),
								pallet_market::Call::fail_lease { lease: id, cause },
							))
						},
						Err(e) => return Err(e),
					}
				},
				LeaseState::Running | LeaseState::Paused => {
					let mut status = match agent.job(id) {
						Ok(s) => s,
						// The agent lost the job (e.g. a new data directory): start it again.
						Err(AgentError::Status(404)) => {
							if let Some(job) = Self::job_request(id) {
								agent.start_job(&job)?;
							}
							return Ok(());
						},
						Err(e) => return Err(e),
					};
					// The job follows the lease: frozen while its escrow is low, thawed after
					// a top-up.
					let frozen = status.state == JobState::Paused;
					let want_frozen = lease.state == LeaseState::Paused;
					if !status.state.is_final() && frozen != want_frozen {
						status = agent.set_paused(id, want_frozen)?;
					}
					let report = agent.metering(id)?;
					let fresh = report.seq > lease.last_seq;
					if status.state.is_final() {
						if let Some(cause) = failure_cause(&status) {
							calls.push((
								LeaseAction::Fail(id, cause),
								pallet_market::Call::fail_lease { lease: id, cause },
							));
						} else {
							let exit_code = status.exit_code.unwrap_or(-1);
							let note = status
								.reason
								.clone()
								.unwrap_or_else(|| format!("exit {exit_code}"));
							// The packed `/out` archive's digest, which users verify their
							// download against.
							let output = status.output.as_ref().and_then(|o| {
								Some(OutputDigest {
									sha256: OutputDigest::parse_sha256_hex(&o.sha256)?,
									size_bytes: o.size_bytes,
								})
							});
							let result =
								OutputDigest::result_bytes(output.as_ref(), note.as_bytes());
							calls.push((
								LeaseAction::Complete(id, exit_code),
								pallet_market::Call::complete_lease {
									lease: id,
									seq: report.seq.max(lease.last_seq),
									usage: Usage::from(&report),
									exit_code,
									result: frame_support::BoundedVec::truncate_from(result),
								},
							));
						}
					} else if fresh {
						calls.push((
							LeaseAction::Report(id, report.seq),
							pallet_market::Call::report_metering {
								lease: id,
								seq: report.seq,
								usage: Usage::from(&report),
							},
						));
					}
				},
				_ => {},
			}
		}
		Ok(())
	}
}
