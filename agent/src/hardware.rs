//! The hardware probe behind `GET /v1/hardware` and `uranus-agent hardware`.

use crate::runtime::volume;
use std::{path::Path, time::Instant};
use uranus_primitives::agent::HardwareInfo;

/// CPU model and nominal MHz from `/proc/cpuinfo` content.
pub fn parse_cpuinfo(content: &str) -> (String, u32) {
	let mut model = String::new();
	let mut mhz = 0u32;
	for line in content.lines() {
		let Some((k, v)) = line.split_once(':') else { continue };
		let (k, v) = (k.trim(), v.trim());
		if model.is_empty() && (k == "model name" || k == "Model" || k == "cpu model") {
			model = v.to_string();
		}
		if mhz == 0 && k == "cpu MHz" {
			mhz = v.parse::<f64>().map(|f| f.round() as u32).unwrap_or(0);
		}
	}
	if model.is_empty() {
		model = "unknown".into();
	}
	(model, mhz)
}

/// `MemTotal` and `MemAvailable` (bytes) from `/proc/meminfo` content.
pub fn parse_meminfo(content: &str) -> (u64, u64) {
	let field = |name: &str| {
		content
			.lines()
			.find(|l| l.starts_with(name))
			.and_then(|l| l.split_whitespace().nth(1))
			.and_then(|v| v.parse::<u64>().ok())
			.map(|kib| kib * 1024)
			.unwrap_or(0)
	};
	(field("MemTotal:"), field("MemAvailable:"))
}

/// Probes the machine. `uplink` is the result of [`measure_uplink`], if one ran.
pub fn probe(
	data_dir: &Path,
	cgroup_mode: &str,
	runtime: &str,
	uplink: Option<u64>,
) -> HardwareInfo {
	let (cpu_model, cpu_mhz) =
		parse_cpuinfo(&std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default());
	let (memory_total_bytes, memory_available_bytes) =
		parse_meminfo(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default());
	let (storage_total_bytes, storage_available_bytes) =
		volume::capacity(data_dir).unwrap_or((0, 0));
	HardwareInfo {
		cpu_model,
		logical_cores: std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1),
		cpu_mhz,
		memory_total_bytes,
		memory_available_bytes,
		storage_total_bytes,
		storage_available_bytes,
		arch: std::env::consts::ARCH.to_string(),
		uplink_bytes_per_sec: uplink,
		cgroup_mode: cgroup_mode.to_string(),
		runtime: runtime.to_string(),
	}
}

/// Uploads `bytes` to `endpoint` once and returns the observed bytes per second. Bounded:
/// one request, at most `bytes`, 30 s timeout.
pub async fn measure_uplink(
	endpoint: &str,
	bytes: usize,
	token: Option<&str>,
) -> Result<u64, String> {
	let client = reqwest::Client::builder()
		.timeout(std::time::Duration::from_secs(30))
		.build()
		.map_err(|e| e.to_string())?;
	let body = vec![0u8; bytes];
	let start = Instant::now();
	let mut req = client.post(endpoint).body(body);
	if let Some(t) = token {
		req = req.bearer_auth(t);
	}
	let resp = req.send().await.map_err(|e| e.to_string())?;
	if !resp.status().is_success() {
		return Err(format!("uplink endpoint answered {}", resp.status()));
	}
	let secs = start.elapsed().as_secs_f64().max(1e-6);
	Ok((bytes as f64 / secs) as u64)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_cpuinfo_and_meminfo() {
		let cpu = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\ncpu MHz\t\t: 2449.998\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
		assert_eq!(parse_cpuinfo(cpu), ("AMD EPYC 7B13".to_string(), 2450));
		assert_eq!(parse_cpuinfo(""), ("unknown".to_string(), 0));
		let mem =
			"MemTotal:       24579344 kB\nMemFree:        1 kB\nMemAvailable:   23000000 kB\n";
		assert_eq!(parse_meminfo(mem), (24_579_344 * 1024, 23_000_000 * 1024));
	}

	#[test]
	fn probe_reports_this_machine() {
		let dir = tempfile::tempdir().unwrap();
		let hw = probe(dir.path(), "hybrid", "runc", None);
		assert!(hw.logical_cores >= 1);
		assert!(hw.memory_total_bytes > 0);
		assert!(hw.storage_total_bytes > 0);
		assert_eq!(hw.arch, std::env::consts::ARCH);
	}
}
