//! Acting on a running job: freezing and thawing it, stopping it (`DELETE`).

use super::{
	paths::container_id,
	release::{Outcome, AT_DELETE},
	states::Transitions,
	JobError, JobManager,
};
use std::{sync::Arc, time::Duration};
use uranus_primitives::agent::{JobResource, JobState, JobStatus, LeaseId};

impl JobManager {
	/// Freezes (`paused`) or thaws a running job, keeping its processes' state; repeating
	/// either is a no-op. Metering goes on (a frozen job uses no CPU).
	pub async fn set_paused(&self, lease: LeaseId, paused: bool) -> Result<JobStatus, JobError> {
		let _lc = self.lifecycle.lock().await;
		let mut rec =
			self.jobs.lock().await.get(&lease).cloned().ok_or(JobError::NotFound(lease))?;
		let (allowed, to) = if paused {
			(rec.state.can_pause(), JobState::Paused)
		} else {
			(rec.state.can_resume(), JobState::Running)
		};
		if rec.state == to {
			return Ok(rec.status());
		}
		if !allowed {
			return Err(JobError::Conflict(format!(
				"job {lease} is {:?}: it cannot be {}",
				rec.state,
				if paused { "paused" } else { "resumed" }
			)));
		}
		if let Err(e) = self.runtime.set_paused(&rec.container_id(), paused).await {
			// The container ended before the sampler noticed: a conflict, not a failure.
			let alive = matches!(
				self.runtime.state(&rec.container_id()).await,
				Ok(Some(s)) if s.status.has_processes()
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
}
