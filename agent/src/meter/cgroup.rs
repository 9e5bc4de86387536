//! cgroup readers for v1 (and hybrid hosts, whose controllers are v1) and v2.
//!
//! ```text
//! v1: cpuacct/<path>/cpuacct.usage (ns), memory/<path>/memory.usage_in_bytes,
//!     memory.max_usage_in_bytes, memory.oom_control (oom_kill N)
//! v2: <path>/cpu.stat (usage_usec), memory.current, memory.peak, memory.events (oom_kill N)
//! ```

use super::{read_string, read_u64, MeterError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The cgroup layout of a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgroupMode {
	/// Only v1 hierarchies.
	V1,
	/// v1 controllers plus an (almost) empty v2 hierarchy at `unified/`.
	Hybrid,
	/// The unified v2 hierarchy only.
	V2,
}

impl CgroupMode {
	/// Detects the layout under `root` (normally `/sys/fs/cgroup`).
	pub fn detect_with_root(root: &Path) -> CgroupMode {
		if root.join("cgroup.controllers").exists() {
			CgroupMode::V2
		} else if root.join("unified").join("cgroup.controllers").exists() {
			CgroupMode::Hybrid
		} else {
			CgroupMode::V1
		}
	}

	/// The name reported in `/v1/hardware`.
	pub fn as_str(&self) -> &'static str {
		match self {
			CgroupMode::V1 => "v1",
			CgroupMode::Hybrid => "hybrid",
			CgroupMode::V2 => "v2",
		}
	}
}

/// Where a job's counters live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgroupLocation {
	/// v1 (or hybrid): one directory per controller.
	V1 {
		/// The `cpuacct` directory of the job.
		cpuacct: PathBuf,
		/// The `memory` directory of the job.
		memory: PathBuf,
	},
	/// v2: one directory.
	V2 {
		/// The job's cgroup directory.
		dir: PathBuf,
	},
}

impl CgroupLocation {
	/// Whether the job's cgroup still exists (the kernel removes it once the runtime deleted
	/// the container; while it exists the container has not vanished).
	pub fn exists(&self) -> bool {
		match self {
			CgroupLocation::V1 { cpuacct, .. } => cpuacct.exists(),
			CgroupLocation::V2 { dir } => dir.exists(),
		}
	}

	/// Its directories.
	pub fn dirs(&self) -> Vec<&std::path::Path> {
		match self {
			CgroupLocation::V1 { cpuacct, memory } => vec![cpuacct, memory],
			CgroupLocation::V2 { dir } => vec![dir],
		}
	}
}

/// One reading of a job's cgroup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CgroupSample {
	/// CPU time used, in microseconds.
	pub cpu_micros: u64,
	/// Memory in use now, in bytes.
	pub memory_bytes: u64,
	/// Highest memory use the kernel recorded, in bytes (0 if the kernel does not record it).
	pub memory_peak_bytes: u64,
	/// Processes the kernel's OOM killer killed in this cgroup.
	pub oom_kills: u64,
}

/// Resolves the cgroup of process `pid` by reading `<proc_root>/<pid>/cgroup`.
pub fn locate(
	mode: CgroupMode,
	cgroup_root: &Path,
	proc_root: &Path,
	pid: u32,
) -> Result<CgroupLocation, MeterError> {
	let path = proc_root.join(pid.to_string()).join("cgroup");
	let content = read_string(&path)?;
	let mut cpuacct = None;
	let mut memory = None;
	let mut unified = None;
	for line in content.lines() {
		let mut parts = line.splitn(3, ':');
		let (Some(_id), Some(controllers), Some(rel)) = (parts.next(), parts.next(), parts.next())
		else {
			continue;
		};
		let rel = rel.trim_start_matches('/');
		if controllers.is_empty() {
			unified = Some(rel.to_string());
		}
		for c in controllers.split(',') {
			match c {
				"cpuacct" => cpuacct = Some((controllers.to_string(), rel.to_string())),
				"memory" => memory = Some((controllers.to_string(), rel.to_string())),
				_ => {},
			}
		}
	}
	match mode {
		CgroupMode::V2 => {
			let rel = unified.ok_or(MeterError::NoController { pid, controller: "unified" })?;
			Ok(CgroupLocation::V2 { dir: cgroup_root.join(rel) })
		},
		CgroupMode::V1 | CgroupMode::Hybrid => {
			let (cpu_mount, cpu_rel) =
				cpuacct.ok_or(MeterError::NoController { pid, controller: "cpuacct" })?;
			let (mem_mount, mem_rel) =
				memory.ok_or(MeterError::NoController { pid, controller: "memory" })?;
			Ok(CgroupLocation::V1 {
				cpuacct: v1_mount(cgroup_root, &cpu_mount, "cpuacct").join(cpu_rel),
				memory: v1_mount(cgroup_root, &mem_mount, "memory").join(mem_rel),
			})
		},
	}
}

/// The mount point of a v1 controller: `cpu,cpuacct` may be mounted joined or split.
fn v1_mount(root: &Path, joined: &str, single: &str) -> PathBuf {
	let joined_path = root.join(joined);
	if joined_path.is_dir() {
		joined_path
	} else {
		root.join(single)
	}
}

/// Reads the counters at `location`.
pub fn sample(location: &CgroupLocation) -> Result<CgroupSample, MeterError> {
	match location {
		CgroupLocation::V1 { cpuacct, memory } => {
			let cpu_ns = read_u64(&cpuacct.join("cpuacct.usage"))?;
			let memory_bytes = read_u64(&memory.join("memory.usage_in_bytes"))?;
			let memory_peak_bytes = read_u64(&memory.join("memory.max_usage_in_bytes"))?;
			let oom_kills =
				keyed_value(&memory.join("memory.oom_control"), "oom_kill")?.unwrap_or(0);
			Ok(CgroupSample {
				cpu_micros: cpu_ns / 1_000,
				memory_bytes,
				memory_peak_bytes,
				oom_kills,
			})
		},
		CgroupLocation::V2 { dir } => {
			let cpu_micros =
				keyed_value(&dir.join("cpu.stat"), "usage_usec")?.ok_or_else(|| {
					MeterError::Parse {
						path: dir.join("cpu.stat"),
						content: "no usage_usec".into(),
					}
				})?;
			let memory_bytes = read_u64(&dir.join("memory.current"))?;
			let peak_path = dir.join("memory.peak");
			// `memory.peak` exists from Linux 5.19; older kernels only give samples.
			let memory_peak_bytes = if peak_path.exists() { read_u64(&peak_path)? } else { 0 };
			let oom_kills = keyed_value(&dir.join("memory.events"), "oom_kill")?.unwrap_or(0);
			Ok(CgroupSample { cpu_micros, memory_bytes, memory_peak_bytes, oom_kills })
		},
	}
}

/// Reads `key value` lines and returns the value of `key`.
fn keyed_value(path: &Path, key: &str) -> Result<Option<u64>, MeterError> {
	let content = read_string(path)?;
	for line in content.lines() {
		let mut it = line.split_whitespace();
		if it.next() == Some(key) {
			return it.next().and_then(|v| v.parse().ok()).map(Some).ok_or_else(|| {
				MeterError::Parse { path: path.to_path_buf(), content: line.into() }
			});
		}
	}
	Ok(None)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::fs;

	fn write(dir: &Path, name: &str, content: &str) {
		fs::create_dir_all(dir).unwrap();
		fs::write(dir.join(name), content).unwrap();
	}

	#[test]
	fn detects_v1_hybrid_and_v2_layouts() {
		let tmp = tempfile::tempdir().unwrap();
		assert_eq!(CgroupMode::detect_with_root(tmp.path()), CgroupMode::V1);
		write(&tmp.path().join("unified"), "cgroup.controllers", "hugetlb\n");
		assert_eq!(CgroupMode::detect_with_root(tmp.path()), CgroupMode::Hybrid);
		write(tmp.path(), "cgroup.controllers", "cpu memory pids\n");
		assert_eq!(CgroupMode::detect_with_root(tmp.path()), CgroupMode::V2);
	}

	#[test]
	fn locates_and_reads_a_v1_job_with_a_nested_memory_cgroup() {
		let tmp = tempfile::tempdir().unwrap();
		let root = tmp.path().join("cgroup");
		let proc_root = tmp.path().join("proc");
		write(
			&proc_root.join("42"),
			"cgroup",
			"9:name=systemd:/ura/j1\n4:memory:/sandbox/abc/ura/j1\n2:cpuacct:/ura/j1\n1:cpu:/ura/j1\n0::/ura/j1\n",
		);
		let cpu = root.join("cpuacct/ura/j1");
		let mem = root.join("memory/sandbox/abc/ura/j1");
		write(&cpu, "cpuacct.usage", "2066635330\n");
		write(&mem, "memory.usage_in_bytes", "62345216\n");
		write(&mem, "memory.max_usage_in_bytes", "63545344\n");
		write(&mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

		let loc = locate(CgroupMode::Hybrid, &root, &proc_root, 42).unwrap();
		assert_eq!(loc, CgroupLocation::V1 { cpuacct: cpu, memory: mem });
		let s = sample(&loc).unwrap();
		assert_eq!(
			s,
			CgroupSample {
				cpu_micros: 2_066_635,
				memory_bytes: 62_345_216,
				memory_peak_bytes: 63_545_344,
				oom_kills: 2
			}
		);
	}

	#[test]
	fn joined_cpu_cpuacct_mounts_are_found() {
		let tmp = tempfile::tempdir().unwrap();
		let root = tmp.path().join("cgroup");
		let proc_root = tmp.path().join("proc");
		write(&proc_root.join("7"), "cgroup", "3:cpu,cpuacct:/a\n2:memory:/a\n");
		fs::create_dir_all(root.join("cpu,cpuacct/a")).unwrap();
		let loc = locate(CgroupMode::V1, &root, &proc_root, 7).unwrap();
		assert_eq!(
			loc,
			CgroupLocation::V1 {
				cpuacct: root.join("cpu,cpuacct/a"),
				memory: root.join("memory/a")
			}
		);
	}

	#[test]
	fn locates_and_reads_a_v2_job() {
		let tmp = tempfile::tempdir().unwrap();
		let root = tmp.path().join("cgroup");
		let proc_root = tmp.path().join("proc");
		write(&proc_root.join("9"), "cgroup", "0::/ura/j2\n");
		let dir = root.join("ura/j2");
		write(&dir, "cpu.stat", "usage_usec 434281\nuser_usec 400000\nsystem_usec 34281\n");
		write(&dir, "memory.current", "1048576\n");
		write(&dir, "memory.peak", "4194304\n");
		write(&dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
		let loc = locate(CgroupMode::V2, &root, &proc_root, 9).unwrap();
		assert_eq!(loc, CgroupLocation::V2 { dir: dir.clone() });
		let s = sample(&loc).unwrap();
		assert_eq!(
			s,
			CgroupSample {
				cpu_micros: 434_281,
				memory_bytes: 1_048_576,
				memory_peak_bytes: 4_194_304,
				oom_kills: 1
			}
		);
		// Without memory.peak (kernels before 5.19) the peak is left to the accumulator.
		fs::remove_file(dir.join("memory.peak")).unwrap();
		assert_eq!(sample(&loc).unwrap().memory_peak_bytes, 0);
	}

	#[test]
	fn garbage_in_a_counter_file_is_a_parse_error() {
		let tmp = tempfile::tempdir().unwrap();
		let dir = tmp.path().join("j");
		write(&dir, "cpu.stat", "usage_usec lots\n");
		write(&dir, "memory.current", "1\n");
		write(&dir, "memory.events", "oom_kill 0\n");
		let err = sample(&CgroupLocation::V2 { dir }).unwrap_err();
		assert!(matches!(err, MeterError::Parse { .. }), "{err}");
	}
}
