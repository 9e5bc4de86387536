//! Per-job networking: a veth pair, host side `urh<n>`, job side `eth0`, on a /30 of
//! 10.213.0.0/16. The job's default route points at the host side; the host does not forward
//! for it, so a job reaches its gateway and nothing beyond. IPv6 is off on both ends so that
//! no background neighbour discovery distorts the byte counters.
//!
//! The job's network namespace is made by the OCI runtime together with the job's user
//! namespace, which therefore owns it: `runc exec` (a lease shell) can join it from inside the
//! user namespace, which it could not with a namespace the host owns. Until then the job end
//! of the pair waits in a parking namespace of the allocation's name ([`create`]); the
//! container's `createRuntime` hook ([`enter`], run by the runtime before the job's command)
//! moves it into the container's namespace, addresses it there and binds that namespace under
//! the same name, so that it stays until the job's network is released like before.

use super::{run_command, RuntimeError};
use serde::{Deserialize, Serialize};

/// Highest allocation index (10.213.0.0/16 holds 16,384 /30 subnets).
pub const MAX_INDEX: u32 = 16_383;

/// A job's network, as persisted in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetAlloc {
	/// Allocation index (unique among live jobs).
	pub index: u32,
	/// Namespace name (`/var/run/netns/<name>`): the parking namespace until the job
	/// starts, then the job's own.
	pub netns: String,
	/// Host-side interface.
	pub host_if: String,
	/// Host-side address.
	pub host_ip: String,
	/// The job's address.
	pub job_ip: String,
}

impl NetAlloc {
	/// The allocation for `index` and lease `lease` (its namespace named after the lease).
	pub fn new(index: u32, lease: u64) -> NetAlloc {
		NetAlloc::named(index, format!("ura-{lease}"))
	}

	/// The allocation for `index` with namespace `netns` (a name nobody else on the host
	/// uses: [`create`] replaces a namespace of that name).
	pub fn named(index: u32, netns: String) -> NetAlloc {
		let base = index * 4;
		let (b3, b4) = (base / 256, base % 256);
		NetAlloc {
			index,
			netns,
			host_if: format!("urh{index}"),
			host_ip: format!("10.213.{b3}.{}", b4 + 1),
			job_ip: format!("10.213.{b3}.{}", b4 + 2),
		}
	}
}

/// The job-side interface's name inside the namespaces.
const JOB_IF: &str = "eth0";

/// Whether the host already has an interface named like `alloc`'s host side (another job or
/// another agent on this host uses the index).
pub fn host_side_exists(sys_class_net: &std::path::Path, alloc: &NetAlloc) -> bool {
	sys_class_net.join(&alloc.host_if).exists()
}

/// Creates the parking namespace and veth pair of `alloc`. A leftover namespace of the same lease is
/// replaced; an existing host interface of the same name is never touched (the call fails and
/// the caller picks another index). On failure nothing of this call is left behind, and
/// nothing of anyone else's is removed: the veth pair is deleted only once this call made it
/// (another agent on the host may have made one of the same name a moment earlier).
pub async fn create(alloc: &NetAlloc) -> Result<(), RuntimeError> {
	let ns = alloc.netns.as_str();
	let _ = run_command("ip", &["netns", "del", ns]).await;
	run_command("ip", &["netns", "add", ns]).await?;
	let peer = format!("urc{}", alloc.index);
	// Fails with "File exists" if the index is taken: nothing of anyone else is touched.
	if let Err(e) =
		run_command("ip", &["link", "add", &alloc.host_if, "type", "veth", "peer", "name", &peer])
			.await
	{
		let _ = run_command("ip", &["netns", "del", ns]).await;
		return Err(e);
	}
	// The host end names its owner (the allocation's namespace, unique on the host): a
	// release removes an interface of this name only while it is still this allocation's.
	let result = match run_command("ip", &["link", "set", &alloc.host_if, "alias", ns]).await {
		Ok(_) => configure(alloc, &peer).await,
		Err(e) => Err(e),
	};
	if result.is_err() {
		// This call made the pair: it may remove it.
		if let Err(e) = destroy(alloc).await {
			tracing::warn!(netns = %alloc.netns, "removing a half-made job network: {e}");
		}
	}
	result
}

/// Parks the job's end of the veth pair in the allocation's namespace and addresses the
/// host's end.
async fn configure(alloc: &NetAlloc, peer: &str) -> Result<(), RuntimeError> {
	let ns = alloc.netns.as_str();
	let host_cidr = format!("{}/30", alloc.host_ip);
	for args in [
		vec!["link", "set", peer, "netns", ns],
		vec!["-n", ns, "link", "set", peer, "name", JOB_IF],
	] {
		run_command("ip", &args).await?;
	}
	let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{}/disable_ipv6", alloc.host_if), "1");
	for args in [
		vec!["addr", "add", host_cidr.as_str(), "dev", alloc.host_if.as_str()],
		vec!["link", "set", alloc.host_if.as_str(), "up"],
	] {
		run_command("ip", &args).await?;
	}
	Ok(())
}

/// Moves the job's end of the pair from its parking namespace into the network namespace of
/// the container whose init process is `pid` (on the host), binds that namespace under the
/// allocation's name and addresses the job's end there. Run as the container's
/// `createRuntime` hook, before the job's command: if it fails, the runtime does not start
/// the job (and the pair goes with the container's namespace).
pub async fn enter(alloc: &NetAlloc, pid: u32, bandwidth_bps: u64) -> Result<(), RuntimeError> {
	let ns = alloc.netns.as_str();
	let pid = pid.to_string();
	let job_cidr = format!("{}/30", alloc.job_ip);
	run_command("ip", &["-n", ns, "link", "set", JOB_IF, "netns", &pid]).await?;
	run_command("ip", &["netns", "del", ns]).await?;
	run_command("ip", &["netns", "attach", ns, &pid]).await?;
	// Moving an interface resets its settings: IPv6 goes off again, in the job's namespace.
	run_command(
		"ip",
		&[
			"netns",
			"exec",
			ns,
			"sh",
			"-c",
			"for c in all default eth0; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done",
		],
	)
	.await?;
	for args in [
		vec!["-n", ns, "addr", "add", job_cidr.as_str(), "dev", JOB_IF],
		vec!["-n", ns, "link", "set", JOB_IF, "up"],
		vec!["-n", ns, "link", "set", "lo", "up"],
		vec!["-n", ns, "route", "add", "default", "via", alloc.host_ip.as_str()],
	] {
		run_command("ip", &args).await?;
	}
	// What the job sends leaves through its end: shaped there, in a namespace whose owner
	// (the job's user namespace) has no CAP_NET_ADMIN to undo it.
	shape(Some(ns), JOB_IF, bandwidth_bps).await
}

/// Shapes what interface `dev` (in namespace `ns`, or the host's) sends to `bytes_per_sec`
/// with a token bucket (`tc … tbf`); 0 leaves it unshaped. The host end of a pair sends what
/// the job receives, the job's end what it sends: shaping both bounds the job both ways.
/// The bucket holds a tenth of a second of traffic (at least 32 KiB, for full-size packets
/// at low rates) and the queue 100 ms more.
pub async fn shape(ns: Option<&str>, dev: &str, bytes_per_sec: u64) -> Result<(), RuntimeError> {
	if bytes_per_sec == 0 {
		return Ok(());
	}
	let rate = format!("{}bit", bytes_per_sec.saturating_mul(8));
	let burst = format!("{}b", (bytes_per_sec / 10).clamp(32 << 10, 16 << 20));
	let mut args: Vec<&str> = Vec::new();
	if let Some(ns) = ns {
		args.extend(["-n", ns]);
	}
	args.extend([
		"qdisc", "replace", "dev", dev, "root", "tbf", "rate", &rate, "burst", &burst, "latency",
		"100ms",
	]);
	run_command("tc", &args).await.map(|_| ())
}

/// The container state an OCI runtime gives a hook on its stdin (the part a hook reads).
#[derive(Debug, Deserialize)]
pub struct HookState {
	/// The container's init process, on the host.
	pub pid: u32,
}

/// The `createRuntime` hook that runs [`enter`] for `alloc`: the agent binary `agent_exe`
/// run as `uranus-agent net-enter --alloc <json> --bandwidth-bps <n>`.
pub fn enter_hook(
	agent_exe: &std::path::Path,
	alloc: &NetAlloc,
	bandwidth_bps: u64,
) -> serde_json::Value {
	serde_json::json!({
		"path": agent_exe.display().to_string(),
		"args": [
			"uranus-agent", "net-enter", "--alloc",
			serde_json::to_string(alloc).unwrap_or_default(),
			"--bandwidth-bps", bandwidth_bps.to_string()
		],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		"timeout": 30
	})
}

/// Where `ip netns` binds the named network namespaces.
const NETNS_DIR: &str = "/var/run/netns";

/// Removes the namespace and the veth pair. Pieces already gone are fine, and so is a host
/// interface of the allocation's name that names another owner in its alias (made for
/// another allocation since; one without an alias, from an agent before aliases, is taken as
/// this one's); a failure is returned (a later call takes up from there).
pub async fn destroy(alloc: &NetAlloc) -> Result<(), RuntimeError> {
	destroy_namespace(alloc).await?;
	let sys = std::path::Path::new("/sys/class/net");
	if host_side_exists(sys, alloc) {
		// An interface of this name made for another allocation since (its index was free
		// again) is not this one's to remove.
		let alias =
			std::fs::read_to_string(sys.join(&alloc.host_if).join("ifalias")).unwrap_or_default();
		let alias = alias.trim_end();
		if !alias.is_empty() && alias != alloc.netns {
			tracing::debug!(interface = %alloc.host_if, owner = alias, "left alone: another job's");
			return Ok(());
		}
		run_command("ip", &["link", "del", &alloc.host_if]).await?;
	}
	Ok(())
}

/// Removes only the job's namespace (parking or bound: nobody else's). A veth pair whose job
/// end is in it goes with it (once the container, if any, has exited); an interface of the
/// allocation's name in the host namespace is left alone, as it may be another agent's.
/// A namespace already gone is fine.
pub async fn destroy_namespace(alloc: &NetAlloc) -> Result<(), RuntimeError> {
	if std::path::Path::new(NETNS_DIR).join(&alloc.netns).exists() {
		run_command("ip", &["netns", "del", &alloc.netns]).await?;
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn allocations_are_disjoint_slash_30s() {
		let a = NetAlloc::new(0, 7);
		assert_eq!((a.host_ip.as_str(), a.job_ip.as_str()), ("10.213.0.1", "10.213.0.2"));
		let b = NetAlloc::new(64, 8);
		assert_eq!((b.host_ip.as_str(), b.job_ip.as_str()), ("10.213.1.1", "10.213.1.2"));
		let last = NetAlloc::new(MAX_INDEX, 9);
		assert_eq!(last.job_ip, "10.213.255.254");
		assert!(a.host_if.len() <= 15 && last.host_if.len() <= 15, "interface names fit IFNAMSIZ");
	}
}
