//! A job that exited by itself ends once its `/out` is packed ([`super::outputs`]). Packing
//! a large `/out` takes a while, so it runs in the background, off the lifecycle lock: other
//! jobs start, stop and are sampled meanwhile. The job shows `running` (its record
//! `packing`) until it ends; a `DELETE` meanwhile is a conflict (its volume is being read);
//! an agent restart packs it again.

use super::{record::JobRecord, release::AT_END, JobManager};
use crate::{now_ms, runtime::shim::ExitRecord};
use std::sync::Arc;
use uranus_primitives::{
	agent::{JobOutput, JobState},
	compute::EndCause,
};

/// How a job whose container ended ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
	/// Killed by the kernel for memory.
	OutOfMemory,
	/// Killed on request.
	Killed,
	/// Exited by itself (its outputs are packed).
	Exited,
}

impl Ending {
	/// The ending of `rec`, whose container ended after `oom` memory kills.
	pub fn of(rec: &JobRecord, oom: u64) -> Ending {
		if oom > 0 {
			Ending::OutOfMemory
		} else if rec.stop_requested {
			Ending::Killed
		} else {
			Ending::Exited
		}
	}
}

impl JobManager {
	/// Ends `rec`, whose container ended as `exit`, as `ending` (with `output`, its packed
	/// outputs), and releases its container and network (its scratch volume stays until
	/// DELETE).
	pub(super) async fn finish(
		&self,
		rec: &mut JobRecord,
		exit: &ExitRecord,
		ending: Ending,
		output: Option<JobOutput>,
	) {
		rec.exit_code = Some(exit.code);
		rec.finished_at_ms = Some(exit.at_ms.max(rec.started_at_ms.unwrap_or(0)));
		match ending {
			Ending::OutOfMemory => rec.end(
				JobState::Failed,
				Some(EndCause::OutOfMemory),
				Some("oom: memory limit exceeded".into()),
			),
			Ending::Killed => {
				rec.end(JobState::Killed, Some(EndCause::Killed), Some("killed on request".into()))
			},
			Ending::Exited => {
				rec.output = output;
				let cause = (exit.code != 0).then_some(EndCause::CommandFailed);
				rec.end(JobState::Exited, cause, None);
			},
		}
		tracing::info!(lease = rec.request.lease_id, code = exit.code, state = ?rec.state, "job ended");
		self.release(rec, AT_END, false).await;
	}

	/// Packs job `lease`'s outputs in the background, then ends it (see the module).
	pub(super) fn spawn_packing(self: &Arc<Self>, lease: u64, exit: ExitRecord) {
		let mgr = self.clone();
		tokio::spawn(async move {
			let Some(rec) = mgr.jobs.lock().await.get(&lease).cloned() else { return };
			let output = mgr.pack_outputs(&rec).await;
			let _lc = mgr.lifecycle.lock().await;
			let Some(mut rec) = mgr.jobs.lock().await.get(&lease).cloned() else { return };
			rec.packing = false;
			mgr.finish(&mut rec, &exit, Ending::Exited, output).await;
			if let Err(e) = mgr.journal.put(&rec) {
				tracing::error!(lease, "journal write failed: {e}");
			}
			mgr.jobs.lock().await.insert(lease, rec);
		});
	}

	/// Packs an exited job's `/out` (its scratch volume still mounted). Outputs that cannot
	/// be packed are logged and left out: the job still ends.
	async fn pack_outputs(&self, rec: &JobRecord) -> Option<JobOutput> {
		let scratch = rec.scratch.as_ref()?.mount.clone();
		let data_dir = self.cfg.data_dir.clone();
		let lease = rec.request.lease_id;
		let max = rec.request.limits.disk_bytes;
		let expires = now_ms().saturating_add(self.cfg.output_retention.as_millis() as u64);
		let packed = tokio::task::spawn_blocking(move || {
			super::outputs::pack(&scratch, &data_dir, lease, max, expires)
		})
		.await;
		match packed {
			Ok(Ok(output)) => {
				if let Some(o) = &output {
					tracing::info!(lease, sha256 = %o.sha256, bytes = o.size_bytes, "outputs packed");
				}
				output
			},
			Ok(Err(e)) => {
				tracing::warn!(lease, "outputs not packed: {e}");
				None
			},
			Err(e) => {
				tracing::error!(lease, "packing task: {e}");
				None
			},
		}
	}
}
