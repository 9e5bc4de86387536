//! Network counters of a job, read from the host side of its veth pair. The job cannot reset
//! them: they live outside its namespace. What the host side receives, the job sent.

use super::{read_u64, MeterError};
use std::path::Path;

/// Bytes received and sent by a job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetSample {
	/// Bytes the job received.
	pub rx_bytes: u64,
	/// Bytes the job sent.
	pub tx_bytes: u64,
}

/// Reads the counters of host interface `host_if` under `sys_class_net` (`/sys/class/net`).
pub fn sample(sys_class_net: &Path, host_if: &str) -> Result<NetSample, MeterError> {
	let stats = sys_class_net.join(host_if).join("statistics");
	let host_rx = read_u64(&stats.join("rx_bytes"))?;
	let host_tx = read_u64(&stats.join("tx_bytes"))?;
	Ok(NetSample { rx_bytes: host_tx, tx_bytes: host_rx })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn host_rx_is_job_tx() {
		let tmp = tempfile::tempdir().unwrap();
		let stats = tmp.path().join("urh1/statistics");
		std::fs::create_dir_all(&stats).unwrap();
		std::fs::write(stats.join("rx_bytes"), "5136\n").unwrap();
		std::fs::write(stats.join("tx_bytes"), "3005907\n").unwrap();
		assert_eq!(
			sample(tmp.path(), "urh1").unwrap(),
			NetSample { rx_bytes: 3_005_907, tx_bytes: 5_136 }
		);
		assert!(sample(tmp.path(), "missing").is_err());
	}
}
