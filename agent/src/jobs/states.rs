//! Which verbs a job's state allows, in one place (the manager, the sampler and the gateway
//! ask here rather than comparing states inline).
//!
//! ```text
//! pending ─▶ pulling ─▶ running ⇄ paused
//!                          └──────────┴─▶ exited | failed | killed
//! ```

use uranus_primitives::agent::JobState;

/// The transitions of a [`JobState`].
pub trait Transitions {
	/// Its container exists with processes to meter (running or frozen).
	fn is_live(&self) -> bool;
	/// It may be frozen now.
	fn can_pause(&self) -> bool;
	/// It may be thawed now.
	fn can_resume(&self) -> bool;
	/// A command may be run in its container now (a shell): running, not frozen.
	fn can_exec(&self) -> bool;
}

impl Transitions for JobState {
	fn is_live(&self) -> bool {
		matches!(self, JobState::Running | JobState::Paused)
	}

	fn can_pause(&self) -> bool {
		*self == JobState::Running
	}

	fn can_resume(&self) -> bool {
		*self == JobState::Paused
	}

	fn can_exec(&self) -> bool {
		*self == JobState::Running
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_a_running_job_pauses_or_execs_and_only_a_paused_one_resumes() {
		use JobState::*;
		for s in [Pending, Pulling, Running, Paused, Exited, Failed, Killed] {
			assert_eq!(s.can_pause(), s == Running, "{s:?}");
			assert_eq!(s.can_exec(), s == Running, "{s:?}");
			assert_eq!(s.can_resume(), s == Paused, "{s:?}");
			assert_eq!(s.is_live(), matches!(s, Running | Paused), "{s:?}");
			assert!(!(s.is_live() && s.is_final()), "{s:?}");
		}
	}
}
