//! The provisioner against the real host (root, `ip`, `iptables`, `mkfs.ext4`, `mount`): it
//! warms a pool of networks and volumes, hands them out, and after a crash destroys what it
//! made that no job holds, and nothing a job holds.

mod common;

use std::{collections::HashSet, path::Path};
use uranus_agent::runtime::{
	firewall::Egress,
	provision::{HostProvisioner, ProvisionConfig, Provisioner},
};

fn netns_exists(name: &str) -> bool {
	Path::new("/var/run/netns").join(name).exists()
}

fn mounted(path: &Path) -> bool {
	let target = path.display().to_string();
	std::fs::read_to_string("/proc/self/mounts")
		.unwrap()
		.lines()
		.any(|l| l.split_whitespace().nth(1) == Some(target.as_str()))
}

fn open(root: &Path, warm: usize) -> HostProvisioner {
	open_tagged(root, warm, "t")
}

/// [`open`] with its names tagged `<prefix><pid>` (tests side by side use their own).
fn open_tagged(root: &Path, warm: usize, prefix: &str) -> HostProvisioner {
	HostProvisioner::open(ProvisionConfig {
		root: root.to_path_buf(),
		tag: format!("{prefix}{}", std::process::id()),
		warm,
		egress: Egress::Off,
		sys_class_net: "/sys/class/net".into(),
	})
	.unwrap()
}

#[tokio::test]
async fn the_pool_warms_hands_out_and_a_restart_reaps_only_what_no_job_holds() {
	common::require_environment();
	uranus_agent::runtime::firewall::setup(Egress::Off).await.unwrap();
	let dir = common::test_dir();
	let root = dir.path().join("provision");
	let p = open(&root, 1);
	p.reconcile(&HashSet::new(), &HashSet::new()).await;

	// A job takes a network and a volume: made on demand (the pool knew no size yet).
	let held_net = p.network().await.unwrap();
	let held_vol = p.scratch(16 << 20, 2_147_483_648, 2_147_483_648).await.unwrap();
	p.handed_over(Some(&held_net), Some(&held_vol));
	assert!(netns_exists(&held_net.netns) && mounted(&held_vol.mount));
	// The pool fills up behind it: one network, one volume of the size just asked for.
	p.refill().await;
	assert_eq!(p.ready(), (1, 1));

	// The next job gets the pooled ones, never the held ones.
	let net = p.network().await.unwrap();
	let vol = p.scratch(16 << 20, 2_147_483_648, 2_147_483_648).await.unwrap();
	assert_ne!(net.index, held_net.index);
	assert_ne!(vol.mount, held_vol.mount);
	use std::os::unix::fs::MetadataExt;
	assert_eq!(std::fs::metadata(&vol.mount).unwrap().uid(), 2_147_483_648, "owned by the job");
	p.refill().await;
	// The agent crashes here: `net` and `vol` were claimed but no job journaled them, and
	// the pool holds a ready network and volume.
	let (pooled_net, pooled_vol) = {
		let ledger: serde_json::Value =
			serde_json::from_slice(&std::fs::read(root.join("ledger.json")).unwrap()).unwrap();
		let n = ledger["networks"].as_array().unwrap().len();
		let v = ledger["volumes"].as_array().unwrap().len();
		(n, v)
	};
	assert_eq!((pooled_net, pooled_vol), (2, 2), "claimed and ready ones are in the ledger");
	drop(p);

	let p = open(&root, 0);
	let held_nets: HashSet<u32> = [held_net.index].into();
	let held_vols: HashSet<_> = [held_vol.mount.clone()].into();
	p.reconcile(&held_nets, &held_vols).await;
	assert!(!netns_exists(&net.netns) && !mounted(&vol.mount), "unjournaled ones are reaped");
	assert!(!vol.image.exists());
	assert_eq!(p.ready(), (0, 0), "and the pool with them");
	assert!(netns_exists(&held_net.netns) && mounted(&held_vol.mount), "a job's stay");

	p.release_network(&held_net, true).await.unwrap();
	p.release_scratch(&held_vol).await.unwrap();
	assert!(!netns_exists(&held_net.netns) && !mounted(&held_vol.mount));
	assert!(!held_vol.mount.parent().unwrap().exists(), "the pooled volume's directory goes");
	assert!(
		!Path::new("/sys/class/net").join(&held_net.host_if).exists(),
		"the host side of the veth pair goes"
	);

	// The pool remembers the size jobs last asked for; a shutdown drains it.
	let p = open(&root, 1);
	p.reconcile(&HashSet::new(), &HashSet::new()).await;
	p.refill().await;
	assert_eq!(p.ready(), (1, 1));
	p.drain().await;
	assert_eq!(p.ready(), (0, 0));
	let left: Vec<_> = std::fs::read_dir(&root)
		.unwrap()
		.flatten()
		.map(|e| e.file_name())
		.filter(|n| n != "ledger.json")
		.collect();
	assert!(left.is_empty(), "nothing is left under the provisioner's root: {left:?}");

	// A refill that was queued behind the drain (a job released a moment before the
	// shutdown) makes nothing: the agent is about to exit, and whatever it made now would
	// outlive it (seen by make test's leak check: a netns and its firewall rules).
	p.refill().await;
	assert_eq!(p.ready(), (0, 0), "a drained pool stays empty");
	let netns: Vec<_> = std::fs::read_dir("/var/run/netns")
		.into_iter()
		.flatten()
		.flatten()
		.map(|e| e.file_name().to_string_lossy().into_owned())
		.filter(|n| n.starts_with(&format!("urn-t{}-", std::process::id())))
		.collect();
	assert!(netns.is_empty(), "no network made after the drain: {netns:?}");
}

/// A pooled network whose interface vanished (removed by hand, or by an agent before the
/// fix of #44) may find its name taken by another agent's job by the time the pool drains:
/// the drain removes its own namespace but leaves that interface (aliased to another owner).
#[tokio::test]
async fn a_drain_leaves_an_interface_of_its_name_that_another_owner_made() {
	common::require_environment();
	uranus_agent::runtime::firewall::setup(Egress::Off).await.unwrap();
	let dir = common::test_dir();
	let p = open_tagged(&dir.path().join("provision"), 1, "d");
	p.reconcile(&HashSet::new(), &HashSet::new()).await;
	p.refill().await;
	let net = p.network().await.unwrap();
	p.handed_over(Some(&net), None);
	p.refill().await;
	assert_eq!(p.ready().0, 1);
	let ledger: serde_json::Value =
		serde_json::from_slice(&std::fs::read(dir.path().join("provision/ledger.json")).unwrap())
			.unwrap();
	let pooled = ledger["networks"][0]["item"]["host_if"].as_str().unwrap().to_string();
	let netns = ledger["networks"][0]["item"]["netns"].as_str().unwrap().to_string();
	let run = |args: &[&str]| std::process::Command::new("ip").args(args).status().unwrap();
	// The interface of the pooled network's name is another owner's now, as if the pooled
	// pair had gone and another agent's job had made one of the name since (deleting and
	// re-making it here would race the agents side by side for the free index): it names
	// another owner, and its peer is not in the pooled namespace.
	let peer = format!("urt{}", std::process::id() % 100_000);
	let here = std::process::id().to_string();
	assert!(run(&["-n", &netns, "link", "set", "eth0", "name", &peer]).success());
	assert!(run(&["-n", &netns, "link", "set", &peer, "netns", &here]).success());
	assert!(run(&["link", "set", &pooled, "alias", "uranus-test-other-owner"]).success());
	p.drain().await;
	let kept = Path::new("/sys/class/net").join(&pooled).exists();
	run(&["link", "del", &pooled]);
	p.release_network(&net, true).await.unwrap();
	assert!(kept, "{pooled}, another owner's, was removed by the drain");
}
