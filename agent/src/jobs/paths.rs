//! Where a job's things are: its directory and the files its shim writes, its container id,
//! its cgroup; and the host facts the manager reads at start (the boot id).

use super::errors::JobError;
use crate::{
	config::AgentConfig,
	meter::{cgroup, CgroupLocation, CgroupMode},
	runtime::{JobFiles, RuntimeError},
};
use std::path::{Path, PathBuf};
use uranus_primitives::agent::LeaseId;

/// The kernel's id of the current boot.
pub(super) const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// Whether the host rebooted since the agent last recorded its boot id in `record` (read
/// from `boot_id`, normally [`BOOT_ID`]); records the current one. Unknown (no record yet,
/// no boot id): not a reboot.
pub(super) fn host_rebooted(boot_id: &Path, record: &Path) -> bool {
	let current = std::fs::read_to_string(boot_id).ok().map(|s| s.trim().to_string());
	let previous = std::fs::read_to_string(record).ok().map(|s| s.trim().to_string());
	if let Some(c) = &current {
		if let Err(e) = std::fs::write(record, c) {
			tracing::warn!("recording the boot id in {}: {e}", record.display());
		}
	}
	matches!((previous, current), (Some(p), Some(c)) if p != c)
}

/// The directory of job `lease`.
pub(super) fn job_dir(cfg: &AgentConfig, lease: LeaseId) -> PathBuf {
	cfg.data_dir.join("jobs").join(lease.to_string())
}

/// Where the shim of the job in `dir` records its exit.
pub(super) fn exit_file(dir: &Path) -> PathBuf {
	dir.join("exit.json")
}

/// The output log of the job in `dir`.
pub(super) fn log_file(dir: &Path) -> PathBuf {
	dir.join("output.log")
}

/// The files the shim of the job in `dir` writes.
pub(super) fn job_files(dir: &Path, log_max_bytes: u64) -> JobFiles {
	JobFiles { log: log_file(dir), log_max_bytes, pid: dir.join("init.pid"), exit: exit_file(dir) }
}

/// The runtime's id of job `lease`'s container.
pub(super) fn container_id(lease: LeaseId) -> String {
	super::record::container_id(lease)
}

/// The cgroup of a job at relative path `rel`, nested (as runc nests relative paths) under the
/// cgroups of this process.
pub(super) fn nested_location(
	mode: CgroupMode,
	root: &Path,
	rel: &str,
) -> Result<CgroupLocation, JobError> {
	let own = cgroup::locate(mode, root, Path::new("/proc"), std::process::id())
		.map_err(|e| JobError::Runtime(RuntimeError::Spec(e.to_string())))?;
	Ok(match own {
		CgroupLocation::V1 { cpuacct, memory } => {
			CgroupLocation::V1 { cpuacct: cpuacct.join(rel), memory: memory.join(rel) }
		},
		CgroupLocation::V2 { dir } => CgroupLocation::V2 { dir: dir.join(rel) },
	})
}

/// Removes cgroup `rel` from every hierarchy under `root` (the unified one at `root`, each v1
/// controller's at `root/<controller>`) where it is empty; a cgroup with children or
/// processes stays.
pub(super) fn remove_empty_cgroup(root: &Path, rel: &str) {
	let hierarchies = std::fs::read_dir(root)
		.into_iter()
		.flatten()
		.flatten()
		.map(|e| e.path())
		.chain(std::iter::once(root.to_path_buf()));
	for hierarchy in hierarchies {
		let _ = std::fs::remove_dir(hierarchy.join(rel));
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn a_changed_boot_id_is_a_host_reboot() {
		let dir = tempfile::tempdir().unwrap();
		let (boot, record) = (dir.path().join("boot_id"), dir.path().join("recorded"));
		std::fs::write(&boot, "aaaa\n").unwrap();
		assert!(!super::host_rebooted(&boot, &record), "first start: unknown");
		assert!(!super::host_rebooted(&boot, &record), "same boot: an agent restart");
		std::fs::write(&boot, "bbbb\n").unwrap();
		assert!(super::host_rebooted(&boot, &record), "a new boot id: the host rebooted");
		assert!(!super::host_rebooted(&boot, &record));
	}

	#[test]
	fn runtime_state_lives_on_tmpfs_one_directory_per_data_dir() {
		let cfg =
			|d: &str| crate::config::AgentConfig::new(d.into(), "127.0.0.1:1".parse().unwrap());
		let (a, b) = (cfg("/var/lib/a").runtime_state_dir(), cfg("/var/lib/b").runtime_state_dir());
		assert!(a.starts_with("/run/uranus-agent") && b.starts_with("/run/uranus-agent"));
		assert_ne!(a, b);
		assert_eq!(a, cfg("/var/lib/a").runtime_state_dir());
	}
}
