//! Releasing a job's host resources ([`JobResource`]), and never forgetting one whose release
//! failed.
//!
//! A job's container and network go when it ends, its scratch volume when it is deleted, its
//! directory and record when it is deleted again (forgotten). Every step reports its error.
//! What failed stays in the job's journaled record ([`PendingRelease`]) and is retried with
//! back-off from [`JobManager::tick`], at the next start (as crash recovery does), and for a
//! bounded time at shutdown; `GET /v1/jobs/{id}` and `/v1/health` show it.

use super::{record::JobRecord, JobManager};
use crate::{now_ms, runtime::RuntimeError};
use uranus_primitives::agent::{AwaitingRelease, JobResource, PendingRelease};

/// What a job holds until it ends: released at its end.
pub const AT_END: &[JobResource] = &[JobResource::Container, JobResource::Network];
/// What a job holds until it is deleted: everything but its directory.
pub const AT_DELETE: &[JobResource] =
	&[JobResource::Container, JobResource::Network, JobResource::Scratch];

/// Whether a release left the job's record or forgot the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// The record stays (with whatever is left to release).
	Kept,
	/// Everything was released and the job forgotten: its record is gone.
	Forgotten,
}

/// The wait before attempt `attempts + 1`: `min` doubled per failure, at most `max`.
fn backoff(min: std::time::Duration, max: std::time::Duration, attempts: u32) -> u64 {
	let factor = 1u32.checked_shl(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
	min.saturating_mul(factor).min(max).as_millis() as u64
}

impl JobManager {
	/// Adds `what` to what is left to release of `rec` (with `forget`, the job is also
	/// forgotten once all of it is gone) and tries at once. The caller journals a kept
	/// record; a forgotten one is out of the journal and the job map already.
	pub(super) async fn release(
		&self,
		rec: &mut JobRecord,
		what: &[JobResource],
		forget: bool,
	) -> Outcome {
		let now = now_ms();
		let pending = rec.release.get_or_insert_with(|| PendingRelease {
			left: Vec::new(),
			forget: false,
			since_ms: now,
			attempts: 0,
			next_attempt_ms: now,
			last_error: String::new(),
		});
		pending.forget |= forget;
		for r in what {
			if !pending.left.contains(r) {
				pending.left.push(*r);
			}
		}
		pending.left.sort();
		if what.contains(&JobResource::Scratch) {
			rec.released = true;
		}
		self.attempt_release(rec).await
	}

	/// Releases what is left of `rec` now, in order; what fails stays, with the error logged
	/// and the next attempt scheduled. Forgets the job once nothing is left and it was asked.
	pub(super) async fn attempt_release(&self, rec: &mut JobRecord) -> Outcome {
		let lease = rec.request.lease_id;
		let Some(mut pending) = rec.release.take() else { return Outcome::Kept };
		let mut errors = Vec::new();
		let mut left = Vec::new();
		for r in std::mem::take(&mut pending.left) {
			match self.release_one(rec, r).await {
				Ok(()) => match r {
					JobResource::Network => rec.network_released = true,
					JobResource::Scratch => rec.scratch = None,
					_ => {},
				},
				Err(e) => {
					tracing::warn!(
						lease,
						resource = ?r,
						attempt = pending.attempts + 1,
						"releasing the job's {r:?} failed: {e}"
					);
					errors.push(format!("{r:?}: {e}"));
					left.push(r);
				},
			}
		}
		if left.is_empty() {
			if pending.attempts > 0 {
				tracing::info!(lease, attempts = pending.attempts, "job released after retries");
			}
			if pending.forget {
				return self.forget(rec).await;
			}
			return Outcome::Kept;
		}
		pending.left = left;
		pending.attempts = pending.attempts.saturating_add(1);
		pending.last_error = errors.join("; ");
		let cfg = &self.cfg;
		pending.next_attempt_ms = now_ms().saturating_add(backoff(
			cfg.release_retry_min,
			cfg.release_retry_max,
			pending.attempts,
		));
		rec.release = Some(pending);
		Outcome::Kept
	}

	/// Releases one resource of `rec`; gone already is fine.
	async fn release_one(&self, rec: &JobRecord, r: JobResource) -> Result<(), RuntimeError> {
		match r {
			JobResource::Container => {
				self.runtime.delete(&rec.container_id()).await?;
				// The runtime removes the cgroup with the container; one it left goes here
				// (the kernel refuses while a process is in it).
				for dir in rec.cgroup.iter().flat_map(|c| c.dirs()) {
					crate::runtime::volume::removed(std::fs::remove_dir(dir), "remove", dir)?;
				}
				Ok(())
			},
			JobResource::Network => match &rec.network {
				// Once released, its index may be another job's: never again.
				Some(net) if !rec.network_released => {
					self.provisioner.release_network(net, rec.network_made).await
				},
				_ => Ok(()),
			},
			JobResource::Scratch => match &rec.scratch {
				Some(s) => self.provisioner.release_scratch(s).await,
				None => Ok(()),
			},
			JobResource::Directory => match &rec.dir {
				Some(dir) => self.provisioner.release_dir(dir).await,
				None => Ok(()),
			},
		}
	}

	/// Drops job `rec` from the journal and the job map.
	async fn forget(&self, rec: &JobRecord) -> Outcome {
		let lease = rec.request.lease_id;
		if let Err(e) = self.journal.remove(lease) {
			tracing::error!(lease, "forgetting the job: journal: {e}");
			return Outcome::Kept;
		}
		self.jobs.lock().await.remove(&lease);
		tracing::info!(lease, "job forgotten");
		Outcome::Forgotten
	}

	/// Retries the failed releases that are due (all of them with `all`), journaling each.
	/// The caller holds the lifecycle lock.
	pub(super) async fn retry_releases(&self, all: bool) {
		let now = now_ms();
		let due: Vec<JobRecord> = self
			.jobs
			.lock()
			.await
			.values()
			.filter(|r| r.release.as_ref().is_some_and(|p| all || p.next_attempt_ms <= now))
			.cloned()
			.collect();
		for mut rec in due {
			if self.attempt_release(&mut rec).await == Outcome::Forgotten {
				continue;
			}
			if let Err(e) = self.journal.put(&rec) {
				tracing::error!(lease = rec.request.lease_id, "journal write failed: {e}");
				continue;
			}
			self.jobs.lock().await.insert(rec.request.lease_id, rec);
		}
	}

	/// How many jobs have resources awaiting release, and since when the oldest.
	pub async fn awaiting_release(&self) -> AwaitingRelease {
		let jobs = self.jobs.lock().await;
		let pending = || jobs.values().filter_map(|r| r.release.as_ref());
		AwaitingRelease {
			jobs: pending().count() as u32,
			oldest_since_ms: pending().map(|p| p.since_ms).min(),
		}
	}

	/// At shutdown: retries failed releases (ignoring their back-off) for at most
	/// `release_shutdown_wait`, then says what is left for the next start.
	pub(super) async fn settle_releases(&self) {
		let deadline = std::time::Instant::now() + self.cfg.release_shutdown_wait;
		loop {
			if self.awaiting_release().await.jobs == 0 {
				return;
			}
			{
				let _lc = self.lifecycle.lock().await;
				self.retry_releases(true).await;
			}
			if std::time::Instant::now() >= deadline {
				break;
			}
			tokio::time::sleep(std::time::Duration::from_millis(250)).await;
		}
		for rec in self.jobs.lock().await.values() {
			if let Some(p) = &rec.release {
				tracing::warn!(
					lease = rec.request.lease_id,
					left = ?p.left,
					"left for the next start to release: {}",
					p.last_error
				);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::backoff;
	use std::time::Duration;

	#[test]
	fn the_wait_doubles_per_failure_up_to_the_most() {
		let (min, max) = (Duration::from_secs(1), Duration::from_secs(300));
		let waits: Vec<u64> = (1..=10).map(|a| backoff(min, max, a)).collect();
		assert_eq!(
			waits,
			[1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000]
		);
		assert_eq!(backoff(min, max, u32::MAX), 300_000, "no overflow");
	}
}
