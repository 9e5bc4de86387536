//! A process inside a job's container (a shell session's command), held so that a signal can
//! only ever reach that process.
//!
//! The runtime reports the command's host pid in a file. By the time the agent acts on it the
//! command may have exited and the kernel handed its pid to an unrelated host process, which
//! `kill(pid)` as root would then kill. So the agent opens a pidfd at once, checks that the
//! process it names sits in the job's cgroup, and checks that the process was still alive
//! after that check (while it lives its pid cannot be reused, so the check read the right
//! process). Every later signal goes through the pidfd, which names that process and no other,
//! and does nothing once it has exited.

use crate::meter::{cgroup, CgroupLocation, CgroupMode};
use std::{os::fd::OwnedFd, path::Path};

/// Why a pid was not adopted.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
	/// Not a process id.
	#[error("{0} is not a process id")]
	NotAPid(i32),
	/// The process has exited (or never existed).
	#[error("process {0} has exited")]
	Gone(i32),
	/// The process is not one of the job's.
	#[error("process {pid} is not in the job's cgroup: {found}")]
	OutsideTheJob {
		/// The pid.
		pid: i32,
		/// Where it is instead.
		found: String,
	},
	/// The kernel refused a pidfd.
	#[error("cannot open a pidfd for process {pid}: {err}")]
	Open {
		/// The pid.
		pid: i32,
		/// The error.
		err: std::io::Error,
	},
}

/// A live process of a job's container, held by its pidfd.
#[derive(Debug)]
pub struct ContainerProcess {
	fd: OwnedFd,
}

impl ContainerProcess {
	/// Holds process `pid` if it is alive and in the job's cgroup `job` (or one below it).
	/// `cgroup_root` and `proc_root` are normally `/sys/fs/cgroup` and `/proc`.
	pub fn adopt(
		pid: i32,
		job: &CgroupLocation,
		mode: CgroupMode,
		cgroup_root: &Path,
		proc_root: &Path,
	) -> Result<Self, AdoptError> {
		// 0 and negative pids name process groups or every process to kill(2): never a session.
		let raw = (pid > 0)
			.then(|| rustix::process::Pid::from_raw(pid))
			.flatten()
			.ok_or(AdoptError::NotAPid(pid))?;
		let fd = match rustix::process::pidfd_open(raw, rustix::process::PidfdFlags::empty()) {
			Ok(fd) => fd,
			Err(rustix::io::Errno::SRCH) => return Err(AdoptError::Gone(pid)),
			Err(e) => return Err(AdoptError::Open { pid, err: e.into() }),
		};
		let held = ContainerProcess { fd };
		// What `/proc/<pid>` says belongs to the held process only if it still lives after the
		// read: until it exits, its pid cannot be handed to another.
		let found = cgroup::locate(mode, cgroup_root, proc_root, pid as u32);
		if held.has_exited() {
			return Err(AdoptError::Gone(pid));
		}
		match found {
			Ok(found) if within(&found, job) => Ok(held),
			Ok(found) => {
				Err(AdoptError::OutsideTheJob { pid, found: format!("{:?}", found.dirs()) })
			},
			Err(e) => Err(AdoptError::OutsideTheJob { pid, found: e.to_string() }),
		}
	}

	/// Whether the process has exited (its pidfd turns readable then).
	pub fn has_exited(&self) -> bool {
		use rustix::event::{poll, PollFd, PollFlags, Timespec};
		let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
		let now = Timespec { tv_sec: 0, tv_nsec: 0 };
		match poll(&mut fds, Some(&now)) {
			Ok(n) => n > 0,
			// A pidfd that cannot be polled is treated as gone: nothing is signalled.
			Err(_) => true,
		}
	}

	/// Kills the process; `false` if it had already exited (nothing was signalled).
	pub fn kill(&self) -> bool {
		rustix::process::pidfd_send_signal(&self.fd, rustix::process::Signal::KILL).is_ok()
	}
}

/// Whether cgroup `found` is `job` or one below it, in every hierarchy.
fn within(found: &CgroupLocation, job: &CgroupLocation) -> bool {
	match (found, job) {
		(CgroupLocation::V2 { dir: f }, CgroupLocation::V2 { dir: j }) => f.starts_with(j),
		(
			CgroupLocation::V1 { cpuacct: fc, memory: fm },
			CgroupLocation::V1 { cpuacct: jc, memory: jm },
		) => fc.starts_with(jc) && fm.starts_with(jm),
		_ => false,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::{
		path::PathBuf,
		process::{Child, Command},
	};

	const CGROUP_ROOT: &str = "/sys/fs/cgroup";

	fn sleeper() -> Child {
		Command::new("sleep").arg("600").spawn().expect("sleep")
	}

	fn alive(child: &mut Child) -> bool {
		child.try_wait().expect("try_wait").is_none()
	}

	/// The cgroup of this test process: a stand-in for a job's cgroup its children share.
	fn own_cgroup() -> (CgroupMode, CgroupLocation) {
		let mode = CgroupMode::detect_with_root(Path::new(CGROUP_ROOT));
		let own =
			cgroup::locate(mode, Path::new(CGROUP_ROOT), Path::new("/proc"), std::process::id())
				.expect("own cgroup");
		(mode, own)
	}

	/// A cgroup no process is in.
	fn other_cgroup(mode: CgroupMode) -> CgroupLocation {
		let root = PathBuf::from(CGROUP_ROOT);
		match mode {
			CgroupMode::V2 => CgroupLocation::V2 { dir: root.join("uranus-no-such-job") },
			_ => CgroupLocation::V1 {
				cpuacct: root.join("cpuacct/uranus-no-such-job"),
				memory: root.join("memory/uranus-no-such-job"),
			},
		}
	}

	#[test]
	fn a_pid_outside_the_jobs_cgroup_is_refused_and_never_signalled() {
		let (mode, _) = own_cgroup();
		let mut bystander = sleeper();
		let adopted = ContainerProcess::adopt(
			bystander.id() as i32,
			&other_cgroup(mode),
			mode,
			Path::new(CGROUP_ROOT),
			Path::new("/proc"),
		);
		if let Ok(p) = &adopted {
			p.kill();
		}
		std::thread::sleep(std::time::Duration::from_millis(100));
		let survived = alive(&mut bystander);
		let _ = bystander.kill();
		let _ = bystander.wait();
		assert!(
			matches!(adopted, Err(AdoptError::OutsideTheJob { .. })),
			"adopted a process outside the job: {adopted:?}"
		);
		assert!(survived, "a process outside the job was killed");
	}

	#[test]
	fn a_session_that_exited_never_signals_the_process_that_took_its_pid() {
		let (mode, own) = own_cgroup();
		let mut session = sleeper();
		let pid = session.id() as i32;
		let held =
			ContainerProcess::adopt(pid, &own, mode, Path::new(CGROUP_ROOT), Path::new("/proc"))
				.expect("adopt a live process of the job");
		assert!(!held.has_exited());
		session.kill().expect("end the session's command");
		session.wait().expect("reap it");
		assert!(held.has_exited());
		// The kernel hands the pid to the next process: ask for it through `ns_last_pid`.
		// Other processes may fork in between; a few tries get it.
		let mut heir = None;
		for _ in 0..50 {
			std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string())
				.expect("write ns_last_pid (the tests run as root)");
			let mut c = sleeper();
			if c.id() as i32 == pid {
				heir = Some(c);
				break;
			}
			let _ = c.kill();
			let _ = c.wait();
		}
		let mut heir = heir.expect("no process took the freed pid in 50 tries");
		let signalled = held.kill();
		std::thread::sleep(std::time::Duration::from_millis(100));
		let survived = alive(&mut heir);
		let _ = heir.kill();
		let _ = heir.wait();
		assert!(!signalled, "a signal was sent for a session that had exited");
		assert!(survived, "the process that took the session's pid was killed");
	}

	#[test]
	fn a_live_session_process_is_killed() {
		let (mode, own) = own_cgroup();
		let mut session = sleeper();
		let held = ContainerProcess::adopt(
			session.id() as i32,
			&own,
			mode,
			Path::new(CGROUP_ROOT),
			Path::new("/proc"),
		)
		.expect("adopt");
		assert!(held.kill());
		let status = session.wait().expect("wait");
		use std::os::unix::process::ExitStatusExt;
		assert_eq!(status.signal(), Some(libc::SIGKILL));
	}

	#[test]
	fn pids_that_name_no_single_process_are_refused() {
		let (mode, own) = own_cgroup();
		for pid in [0, -1] {
			let r = ContainerProcess::adopt(
				pid,
				&own,
				mode,
				Path::new(CGROUP_ROOT),
				Path::new("/proc"),
			);
			assert!(matches!(r, Err(AdoptError::NotAPid(_))), "{pid}: {r:?}");
		}
	}
}
