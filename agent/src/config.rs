//! Agent configuration (from the command line).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the agent needs to know at start-up.
#[derive(Clone, Debug)]
pub struct AgentConfig {
	/// Where the journal, token, images and job directories live.
	pub data_dir: PathBuf,
	/// The loopback address the HTTP API listens on.
	pub listen: SocketAddr,
	/// The OCI runtime binary (`runc` or `crun`).
	pub runtime: String,
	/// Registries reachable over plain HTTP besides loopback ones (`host:port`).
	pub insecure_registries: Vec<String>,
	/// Endpoint for the uplink self-test (`POST`), if any.
	pub uplink_endpoint: Option<String>,
	/// Bytes sent by the uplink self-test.
	pub uplink_test_bytes: usize,
	/// Time between two metering samples.
	pub sample_interval: Duration,
	/// The cgroup root (normally `/sys/fs/cgroup`).
	pub cgroup_root: PathBuf,
	/// Where network interface counters live (normally `/sys/class/net`).
	pub sys_class_net: PathBuf,
	/// The cgroup (relative to the cgroup root) under which this agent's jobs run:
	/// `uranus-agent/<host tag>`, one per data directory, so that agents sharing a host (or
	/// test suites running side by side) never meet in a job's cgroup.
	pub cgroup_parent: String,
	/// The largest scratch volume one job may ask for.
	pub max_disk_bytes: u64,
	/// The user namespace of every job (container ids → an unprivileged host range).
	pub id_map: crate::userns::IdMap,
	/// What jobs may reach outside their namespace (the provider's policy).
	pub egress: crate::runtime::firewall::Egress,
	/// The image store's quota (blobs and unpacked images).
	pub image_store_max_bytes: u64,
	/// Job networks and scratch volumes kept ready ahead of demand (0: none).
	pub warm_pool: usize,
	/// The AppArmor profile jobs run under (`None` where the host has no AppArmor; see
	/// [`crate::runtime::apparmor::resolve`]).
	pub apparmor_profile: Option<String>,
	/// How long a job's packed outputs stay downloadable after it ended.
	pub output_retention: Duration,
	/// The wait before the first retry of a failed release; it doubles with each failure up
	/// to [`AgentConfig::release_retry_max`].
	pub release_retry_min: Duration,
	/// The longest wait between retries of a failed release.
	pub release_retry_max: Duration,
	/// How long shutdown keeps retrying failed releases before it leaves them to the next
	/// start.
	pub release_shutdown_wait: Duration,
}

impl AgentConfig {
	/// Defaults for `data_dir` and `listen`.
	pub fn new(data_dir: PathBuf, listen: SocketAddr) -> AgentConfig {
		AgentConfig {
			cgroup_parent: format!("uranus-agent/{}", host_tag_of(&data_dir)),
			data_dir,
			listen,
			runtime: "runc".into(),
			insecure_registries: Vec::new(),
			uplink_endpoint: None,
			uplink_test_bytes: 4 << 20,
			sample_interval: Duration::from_millis(1000),
			cgroup_root: PathBuf::from("/sys/fs/cgroup"),
			sys_class_net: PathBuf::from("/sys/class/net"),
			max_disk_bytes: 64 << 30,
			id_map: crate::userns::IdMap::default(),
			egress: crate::runtime::firewall::Egress::Off,
			image_store_max_bytes: 64 << 30,
			warm_pool: 2,
			apparmor_profile: None,
			output_retention: Duration::from_secs(24 * 3600),
			release_retry_min: Duration::from_secs(1),
			release_retry_max: Duration::from_secs(300),
			release_shutdown_wait: Duration::from_secs(10),
		}
	}

	/// A short tag unique to this agent's data directory (several agents may share a host):
	/// in the names of what it makes on the host.
	pub fn host_tag(&self) -> String {
		host_tag_of(&self.data_dir)
	}

	/// The most CPU one job may ask for: every core of the machine.
	pub fn max_cpu_millicores(&self) -> u32 {
		let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1);
		cores.saturating_mul(1000)
	}

	/// Where the OCI runtime keeps its container state: on tmpfs (`/run`), so that after a
	/// host reboot it cannot claim that containers of the previous boot still exist. One
	/// directory per data directory (several agents may share a host).
	pub fn runtime_state_dir(&self) -> PathBuf {
		use sha2::Digest;
		use std::os::unix::ffi::OsStrExt;
		let digest = sha2::Sha256::digest(self.data_dir.as_os_str().as_bytes());
		PathBuf::from("/run/uranus-agent").join(format!("runc-{}", hex::encode(&digest[..8])))
	}

	/// Where the job resources made ahead live ([`crate::runtime::provision`]).
	pub fn provision_dir(&self) -> PathBuf {
		self.data_dir.join("provision")
	}

	/// The file holding the boot id of the host the agent last started on.
	pub fn boot_id_path(&self) -> PathBuf {
		self.data_dir.join("boot_id")
	}

	/// The path of the API token file.
	pub fn token_path(&self) -> PathBuf {
		self.data_dir.join("agent.token")
	}
}

/// The host tag of an agent whose data directory is `data_dir` (see [`AgentConfig::host_tag`]).
fn host_tag_of(data_dir: &std::path::Path) -> String {
	use sha2::Digest;
	use std::os::unix::ffi::OsStrExt;
	let digest = sha2::Sha256::digest(data_dir.as_os_str().as_bytes());
	hex::encode(&digest[..4])
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn two_agents_on_one_host_put_their_jobs_in_different_cgroups() {
		let listen = "127.0.0.1:0".parse().unwrap();
		let a = AgentConfig::new("/tmp/agent-a".into(), listen);
		let b = AgentConfig::new("/tmp/agent-b".into(), listen);
		// Lease 0 of each agent lives under its own parent: `<parent>/ura-0` never collides.
		assert_ne!(a.cgroup_parent, b.cgroup_parent);
		assert_eq!(a.cgroup_parent, format!("uranus-agent/{}", a.host_tag()));
		assert_eq!(a.cgroup_parent, AgentConfig::new("/tmp/agent-a".into(), listen).cgroup_parent);
	}
}
