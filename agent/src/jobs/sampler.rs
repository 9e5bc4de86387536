//! Metering samples: what one job used so far, read from its cgroup, the host side of its
//! veth pair, its scratch volume and its log. The manager takes them on each tick
//! ([`super::JobManager::spawn_ticks`]).

use super::{paths::log_file, JobRecord};
use crate::{
	config::AgentConfig,
	meter::{self, cgroup, RawSample},
	runtime::{joblog, volume},
};

/// One sample of `rec`'s job, and how many times its cgroup's OOM killer fired. What cannot
/// be read counts as zero (a job whose cgroup is gone used nothing more).
pub fn read(cfg: &AgentConfig, rec: &JobRecord) -> (RawSample, u64) {
	let mut s = RawSample::default();
	let mut oom = 0;
	if let Some(loc) = &rec.cgroup {
		match cgroup::sample(loc) {
			Ok(c) => {
				s.cpu_micros = c.cpu_micros;
				s.memory_bytes = c.memory_bytes;
				s.memory_peak_bytes = c.memory_peak_bytes;
				oom = c.oom_kills;
			},
			Err(e) => tracing::debug!(lease = rec.request.lease_id, "cgroup sample: {e}"),
		}
	}
	if let Some(net) = &rec.network {
		if let Ok(n) = meter::net::sample(&cfg.sys_class_net, &net.host_if) {
			s.net_rx_bytes = n.rx_bytes;
			s.net_tx_bytes = n.tx_bytes;
		}
	}
	if let Some(sc) = &rec.scratch {
		s.disk_used_bytes = volume::job_used_bytes(sc);
	}
	// The log is the job's storage too (its cap came out of the disk allowance).
	if let Some(dir) = &rec.dir {
		s.disk_used_bytes = s.disk_used_bytes.saturating_add(joblog::size(&log_file(dir)));
	}
	(s, oom)
}
