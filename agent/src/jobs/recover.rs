//! Re-attaching the journal's jobs to what the runtime still runs, after an agent restart
//! or a host reboot.

use super::{
	paths::exit_file, release::AT_DELETE, states::Transitions, JobError, JobManager, JobRecord,
};
use crate::now_ms;
use std::sync::Arc;
use uranus_primitives::{
	agent::{JobResource, JobState},
	compute::EndCause,
};

impl JobManager {
	/// Re-attaches the jobs of the journal whose containers still run; the others are lost
	/// (after a host reboot, `rebooted`, every one of them: the runtime's state lived on
	/// tmpfs). A job whose image was still being pulled is made again from the start (what
	/// it had is released first). Then the provisioner destroys what it made that no job
	/// holds.
	pub(super) async fn recover(self: &Arc<Self>, rebooted: bool) -> Result<(), JobError> {
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
					if !rec.state.is_live() {
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
}
