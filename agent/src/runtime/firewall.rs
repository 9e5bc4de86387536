//! What a job's network may reach, as netfilter rules (`iptables`, nf_tables or legacy):
//!
//! - **the host**: nothing. Packets from a job's veth to any host address are dropped
//!   (`URANUS-INPUT`), except replies to connections the host opened;
//! - **other jobs**: nothing. Nothing new is forwarded into a job (`URANUS-FORWARD`), and a
//!   job's packets to the jobs' range are dropped;
//! - **the outside**: the provider's policy ([`Egress`]). Off (default): nothing is forwarded
//!   for the job. On: the host forwards its connections to public addresses, masqueraded as
//!   the host (`URANUS-POSTROUTING`), never to private, shared, link-local, loopback,
//!   multicast or reserved ranges ([`BLOCKED_RANGES`]); the host then forwards IPv4
//!   (`net.ipv4.ip_forward = 1`), which the operator should pair with a `FORWARD` policy of
//!   `DROP` for everything else.
//!
//! Every rule of a job names its host-side interface and carries the comment
//! `uranus:<interface>:<namespace>`; [`add_job`] replaces whatever an earlier job of the same
//! interface left (the interface was just made, so they are stale) and [`remove_job`]
//! deletes the job's own (never those of a later job that got the interface's name). The three chains are made once by [`setup`]
//! and jumped to first from `INPUT`, `FORWARD` and `nat POSTROUTING`; agents sharing a host
//! share them (each job's rules are its own).

use super::{network::NetAlloc, run_command, run_command_with_input, RuntimeError};

/// Destinations a job never reaches even with egress on (IANA special-purpose IPv4).
pub const BLOCKED_RANGES: &[&str] = &[
	"0.0.0.0/8",
	"10.0.0.0/8",
	"100.64.0.0/10",
	"127.0.0.0/8",
	"169.254.0.0/16",
	"172.16.0.0/12",
	"192.0.0.0/24",
	"192.168.0.0/16",
	"198.18.0.0/15",
	"224.0.0.0/4",
	"240.0.0.0/4",
];

/// The provider's outbound policy for jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Egress {
	/// Jobs reach nothing beyond their own namespace (the default).
	#[default]
	Off,
	/// Jobs reach public addresses, masqueraded as the host.
	Public,
}

const INPUT: &str = "URANUS-INPUT";
const FORWARD: &str = "URANUS-FORWARD";
const POSTROUTING: &str = "URANUS-POSTROUTING";

async fn iptables(args: &[&str]) -> Result<String, RuntimeError> {
	let mut all = vec!["-w"];
	all.extend_from_slice(args);
	run_command("iptables", &all).await
}

/// The host-wide lock agents take while they make the chains ([`setup`]).
pub const SETUP_LOCK: &str = "/run/uranus-agent/firewall.lock";

/// Makes the chains and the jumps to them (idempotent); with egress on, turns on IPv4
/// forwarding. Agents starting together on one host take [`SETUP_LOCK`] in turn, so that
/// neither fails on the other's new chain nor doubles a jump.
pub async fn setup(egress: Egress) -> Result<(), RuntimeError> {
	let lock = host_lock(std::path::Path::new(SETUP_LOCK)).await?;
	let result = make_chains(egress).await;
	drop(lock);
	result
}

/// Opens and exclusively locks `path` (waiting for whoever holds it); the lock goes with the
/// returned file.
async fn host_lock(path: &std::path::Path) -> Result<std::fs::File, RuntimeError> {
	let path = path.to_path_buf();
	let io = |context: String| move |err| RuntimeError::Io { context, err };
	tokio::task::spawn_blocking(move || {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
		}
		let file = std::fs::OpenOptions::new()
			.create(true)
			.truncate(false)
			.write(true)
			.open(&path)
			.map_err(io(format!("open {}", path.display())))?;
		file.lock().map_err(io(format!("lock {}", path.display())))?;
		Ok(file)
	})
	.await
	.map_err(|e| RuntimeError::Io {
		context: "firewall lock task".into(),
		err: std::io::Error::other(e.to_string()),
	})?
}

async fn make_chains(egress: Egress) -> Result<(), RuntimeError> {
	for (table, chain, parent) in [
		("filter", INPUT, "INPUT"),
		("filter", FORWARD, "FORWARD"),
		("nat", POSTROUTING, "POSTROUTING"),
	] {
		if iptables(&["-t", table, "-S", chain]).await.is_err() {
			iptables(&["-t", table, "-N", chain]).await?;
		}
		if iptables(&["-t", table, "-C", parent, "-j", chain]).await.is_err() {
			iptables(&["-t", table, "-I", parent, "1", "-j", chain]).await?;
		}
	}
	if egress == Egress::Public {
		std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").map_err(|err| RuntimeError::Io {
			context: "enable IPv4 forwarding for job egress".into(),
			err,
		})?;
	}
	Ok(())
}

/// The rules of one job, as `iptables-restore` lines (`-A`), by table.
pub fn job_rules(alloc: &NetAlloc, egress: Egress) -> Vec<(&'static str, String)> {
	let dev = &alloc.host_if;
	let tag = format!("-m comment --comment {}", tag(alloc));
	let mut rules = vec![
		(
			"filter",
			format!(
				"-A {INPUT} -i {dev} -m conntrack --ctstate ESTABLISHED,RELATED {tag} -j ACCEPT"
			),
		),
		("filter", format!("-A {INPUT} -i {dev} {tag} -j DROP")),
		(
			"filter",
			format!(
				"-A {FORWARD} -o {dev} -m conntrack --ctstate ESTABLISHED,RELATED {tag} -j ACCEPT"
			),
		),
		("filter", format!("-A {FORWARD} -o {dev} {tag} -j DROP")),
	];
	match egress {
		Egress::Off => rules.push(("filter", format!("-A {FORWARD} -i {dev} {tag} -j DROP"))),
		Egress::Public => {
			for range in BLOCKED_RANGES {
				rules.push(("filter", format!("-A {FORWARD} -i {dev} -d {range} {tag} -j DROP")));
			}
			rules.push(("filter", format!("-A {FORWARD} -i {dev} {tag} -j ACCEPT")));
			rules.push((
				"nat",
				format!("-A {POSTROUTING} -s {}/32 ! -o urh+ {tag} -j MASQUERADE", alloc.job_ip),
			));
		},
	}
	rules
}

/// Applies `lines` (grouped by table) in one `iptables-restore --noflush` transaction.
async fn restore(lines: &[(&str, String)]) -> Result<(), RuntimeError> {
	let mut input = String::new();
	for table in ["filter", "nat"] {
		let mine: Vec<&String> =
			lines.iter().filter(|(t, _)| *t == table).map(|(_, l)| l).collect();
		if mine.is_empty() {
			continue;
		}
		input.push_str(&format!("*{table}\n"));
		for l in mine {
			input.push_str(l);
			input.push('\n');
		}
		input.push_str("COMMIT\n");
	}
	if input.is_empty() {
		return Ok(());
	}
	run_command_with_input("iptables-restore", &["-w", "--noflush"], Some(input.as_bytes()))
		.await
		.map(|_| ())
}

/// The comment on `alloc`'s rules.
fn tag(alloc: &NetAlloc) -> String {
	format!("uranus:{}:{}", alloc.host_if, alloc.netns)
}

/// The rules in place for `alloc`'s job (or, with `any_job`, for any job of its interface),
/// as `-D` lines.
async fn existing(
	alloc: &NetAlloc,
	any_job: bool,
) -> Result<Vec<(&'static str, String)>, RuntimeError> {
	let mine = tag(alloc);
	let interface = format!("uranus:{}:", alloc.host_if);
	let matches = |w: &str| {
		let w = w.trim_matches('"');
		w == mine || (any_job && w.starts_with(&interface))
	};
	let mut found = Vec::new();
	for (table, chain) in [("filter", INPUT), ("filter", FORWARD), ("nat", POSTROUTING)] {
		let listing = iptables(&["-t", table, "-S", chain]).await?;
		for line in listing.lines() {
			let tagged = line.split_whitespace().any(matches);
			if let (true, Some(rest)) = (tagged, line.strip_prefix("-A ")) {
				found.push((table, format!("-D {rest}")));
			}
		}
	}
	Ok(found)
}

/// Puts `alloc`'s job behind its rules (replacing any an earlier job of the same interface
/// left), in one transaction.
pub async fn add_job(alloc: &NetAlloc, egress: Egress) -> Result<(), RuntimeError> {
	let mut lines = existing(alloc, true).await?;
	lines.extend(job_rules(alloc, egress));
	restore(&lines).await
}

/// Removes every rule of `alloc`'s job; missing ones are fine.
pub async fn remove_job(alloc: &NetAlloc) -> Result<(), RuntimeError> {
	restore(&existing(alloc, false).await?).await
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn the_setup_lock_admits_one_agent_at_a_time() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("run/firewall.lock");
		let held = host_lock(&path).await.unwrap();
		let other = std::fs::File::open(&path).unwrap();
		assert!(matches!(other.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
		drop(held);
		other.try_lock().unwrap();
	}

	#[test]
	fn a_job_without_egress_reaches_nothing_and_with_it_no_private_range() {
		let alloc = NetAlloc::new(5, 42);
		let off = job_rules(&alloc, Egress::Off);
		assert!(off.iter().all(|(_, r)| r.contains("-i urh5") || r.contains("-o urh5")));
		assert!(off.iter().any(|(_, r)| r
			== &format!("-A {INPUT} -i urh5 -m comment --comment uranus:urh5:ura-42 -j DROP")));
		assert!(off.iter().any(
			|(_, r)| r.starts_with(&format!("-A {FORWARD} -i urh5")) && r.ends_with("-j DROP")
		));
		assert!(!off
			.iter()
			.any(|(t, r)| *t == "nat"
				|| r.ends_with("-j ACCEPT") && r.contains("-i urh5 -m comment")));
		let on = job_rules(&alloc, Egress::Public);
		let accept = on
			.iter()
			.position(|(_, r)| r.starts_with(&format!("-A {FORWARD} -i urh5 -m comment")))
			.unwrap();
		for range in BLOCKED_RANGES {
			let drop = on.iter().position(|(_, r)| r.contains(&format!("-d {range} "))).unwrap();
			assert!(drop < accept, "{range} is dropped before the job's traffic is accepted");
		}
		assert!(on
			.iter()
			.any(|(t, r)| *t == "nat" && r.contains(&format!("-s {}/32", alloc.job_ip))));
	}
}
