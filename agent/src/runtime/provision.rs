//! The host resources a job runs in besides its container, its network ([`super::network`]
//! behind its [`super::firewall`] rules) and its scratch volume ([`super::volume`]), made
//! ahead of demand.
//!
//! Making them costs ~110 ms of `ip`, `iptables`, `mkfs.ext4` and `mount` processes, more
//! than a whole `runc run`; a job start should not wait for it. [`HostProvisioner`] keeps a
//! warm pool of ready networks and of ready volumes of the size jobs last asked for, hands one
//! out at once and makes a replacement in the background. A job never gets a resource another
//! job used: released ones are destroyed, never pooled again.
//!
//! Crash safety: everything the provisioner makes is written to its ledger before it is made
//! and stays there until the job that takes it has journaled it ([`Provisioner::handed_over`]);
//! at the next start [`Provisioner::reconcile`] destroys every ledger entry no job holds.

use super::{firewall, network, network::NetAlloc, volume, volume::Scratch, RuntimeError};
use serde::{Deserialize, Serialize};
use std::{
	collections::HashSet,
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
};

/// Makes and destroys the host resources of jobs.
#[async_trait::async_trait]
pub trait Provisioner: Send + Sync {
	/// A network no other job has, made whole and behind its rules.
	async fn network(&self) -> Result<NetAlloc, RuntimeError>;
	/// A formatted, mounted scratch volume of `bytes` (at least [`volume::MIN_BYTES`]), its
	/// root directory owned by host ids `uid`:`gid`.
	async fn scratch(&self, bytes: u64, uid: u32, gid: u32) -> Result<Scratch, RuntimeError>;
	/// `net` and `scratch` are journaled in a job's record now: the job releases them, the
	/// provisioner no longer reaps them.
	fn handed_over(&self, net: Option<&NetAlloc>, scratch: Option<&Scratch>);
	/// Destroys a job's network: all of it if it was made `whole`, otherwise only its
	/// namespace (an interface of its name may be another agent's). Its index is not handed
	/// out again before this succeeds; a failed call may be repeated.
	async fn release_network(&self, net: &NetAlloc, whole: bool) -> Result<(), RuntimeError>;
	/// Unmounts and deletes a job's scratch volume; a failed call may be repeated.
	async fn release_scratch(&self, scratch: &Scratch) -> Result<(), RuntimeError>;
	/// Deletes a job's directory (its bundle, log and exit record) and all in it; one already
	/// gone is fine.
	async fn release_dir(&self, dir: &Path) -> Result<(), RuntimeError>;
	/// At shutdown: destroys what waits in the pool (jobs keep what they hold); a refill
	/// after it makes nothing.
	async fn drain(&self);
	/// At start, once the jobs' records are loaded: destroys what the provisioner made that no
	/// job holds (`held_networks`, by index; `held_volumes`, by mount point), then warms up.
	async fn reconcile(&self, held_networks: &HashSet<u32>, held_volumes: &HashSet<PathBuf>);
}

/// How far along a ledger entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
	/// Being made (a network: possibly only its namespace, see [`network::create`]).
	Making,
	/// Made and waiting in the pool.
	Ready,
	/// Given to a job that has not journaled it yet.
	Claimed,
	/// Its destruction failed: never handed out, destroyed again at the next refill or start.
	Releasing,
}

/// A network or volume the provisioner made and no job journaled yet.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry<T> {
	item: T,
	stage: Stage,
	/// A volume's size (0 for networks).
	bytes: u64,
}

/// The provisioner's persisted state.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Ledger {
	/// Sequence number of the next resource (names are never reused).
	next_seq: u64,
	networks: Vec<Entry<NetAlloc>>,
	volumes: Vec<Entry<Scratch>>,
	/// The volume size the pool keeps ready: the one jobs last asked for.
	warm_bytes: Option<u64>,
}

/// Settings of a [`HostProvisioner`].
#[derive(Clone, Debug)]
pub struct ProvisionConfig {
	/// Where the ledger and the pooled volumes live (`<data>/provision`).
	pub root: PathBuf,
	/// A tag unique to this agent on the host, in its namespace names.
	pub tag: String,
	/// Ready networks and ready volumes kept in the pool (0: make each on demand).
	pub warm: usize,
	/// The jobs' outbound policy (their rules).
	pub egress: firewall::Egress,
	/// `/sys/class/net`, to skip interface names the host already has.
	pub sys_class_net: PathBuf,
}

struct Inner {
	cfg: ProvisionConfig,
	ledger: Mutex<Ledger>,
	/// Indices of networks jobs hold.
	held: Mutex<HashSet<u32>>,
	/// One refill at a time. Held while the pool is refilled or drained; `true` once drained (the agent is shutting
	/// down): a refill queued behind the drain then makes nothing that would outlive it.
	refilling: tokio::sync::Mutex<bool>,
}

/// The real provisioner: `ip`, `iptables`, `mkfs.ext4`, `mount`, with a warm pool.
#[derive(Clone)]
pub struct HostProvisioner(Arc<Inner>);

impl HostProvisioner {
	/// Opens the ledger under `cfg.root` (nothing is reaped or made before
	/// [`Provisioner::reconcile`]).
	pub fn open(cfg: ProvisionConfig) -> Result<HostProvisioner, RuntimeError> {
		std::fs::create_dir_all(&cfg.root).map_err(|err| RuntimeError::Io {
			context: format!("create {}", cfg.root.display()),
			err,
		})?;
		let ledger = match std::fs::read(ledger_path(&cfg.root)) {
			Ok(b) => serde_json::from_slice(&b).map_err(|e| RuntimeError::Io {
				context: format!("read {}", ledger_path(&cfg.root).display()),
				err: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
			})?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ledger::default(),
			Err(err) => {
				return Err(RuntimeError::Io {
					context: format!("read {}", ledger_path(&cfg.root).display()),
					err,
				})
			},
		};
		Ok(HostProvisioner(Arc::new(Inner {
			cfg,
			ledger: Mutex::new(ledger),
			held: Default::default(),
			refilling: Default::default(),
		})))
	}

	/// Networks and volumes ready in the pool.
	pub fn ready(&self) -> (usize, usize) {
		let l = self.0.ledger.lock().unwrap_or_else(|p| p.into_inner());
		let ready = |s: &Stage| *s == Stage::Ready;
		(
			l.networks.iter().filter(|e| ready(&e.stage)).count(),
			l.volumes.iter().filter(|e| ready(&e.stage)).count(),
		)
	}

	/// Fills the pool up in the background.
	fn refill_later(&self) {
		if self.0.cfg.warm == 0 {
			return;
		}
		let me = self.clone();
		tokio::spawn(async move { me.refill().await });
	}

	/// Makes networks and volumes of the warm size until the pool holds `warm` of each;
	/// destroys ready volumes of another size.
	pub async fn refill(&self) {
		let drained = self.0.refilling.lock().await;
		if *drained {
			return;
		}
		let warm = self.0.cfg.warm;
		self.retry_releasing().await;
		loop {
			let (networks, stale, volumes, bytes) = {
				let l = self.0.lock();
				let wanted = l.warm_bytes;
				let stale: Vec<Scratch> = l
					.volumes
					.iter()
					.filter(|e| e.stage == Stage::Ready && Some(e.bytes) != wanted)
					.map(|e| e.item.clone())
					.collect();
				let volumes = l
					.volumes
					.iter()
					.filter(|e| e.stage == Stage::Ready && Some(e.bytes) == wanted)
					.count();
				let networks = l.networks.iter().filter(|e| e.stage == Stage::Ready).count();
				(networks, stale, volumes, wanted)
			};
			for s in stale {
				self.destroy_volume(&s).await;
			}
			let mut progress = false;
			if networks < warm {
				match self.0.make_network(Stage::Ready).await {
					Ok(_) => progress = true,
					Err(e) => tracing::warn!("warming a job network: {e}"),
				}
			}
			if let (true, Some(bytes)) = (volumes < warm, bytes) {
				match self.0.make_volume(bytes, Stage::Ready).await {
					Ok(_) => progress = true,
					Err(e) => tracing::warn!("warming a scratch volume: {e}"),
				}
			}
			if !progress {
				return;
			}
		}
	}
}

impl HostProvisioner {
	/// Destroys a volume of the ledger and forgets it; if that fails it stays, as
	/// [`Stage::Releasing`].
	async fn destroy_volume(&self, s: &Scratch) {
		let done = self.release_scratch(s).await;
		let mut l = self.0.lock();
		match done {
			Ok(()) => l.volumes.retain(|e| e.item.mount != s.mount),
			Err(e) => {
				tracing::warn!(volume = %s.image.display(), "destroying a scratch volume: {e}");
				if let Some(e) = l.volumes.iter_mut().find(|e| e.item.mount == s.mount) {
					e.stage = Stage::Releasing;
				}
			},
		}
		self.0.save_logged(&l);
	}

	/// Destroys a network of the ledger and forgets it; if that fails it stays, as
	/// [`Stage::Releasing`].
	async fn destroy_network(&self, n: &NetAlloc, whole: bool) {
		let done = self.release_network(n, whole).await;
		let mut l = self.0.lock();
		match done {
			Ok(()) => l.networks.retain(|e| e.item.index != n.index),
			Err(e) => {
				tracing::warn!(netns = %n.netns, "destroying a job network: {e}");
				// One made in part stays `Making`: only its namespace is ever removed.
				if let Some(e) = l.networks.iter_mut().find(|e| e.item.index == n.index) {
					e.stage = if whole { Stage::Releasing } else { Stage::Making };
				}
			},
		}
		self.0.save_logged(&l);
	}

	/// Destroys again what an earlier destruction left ([`Stage::Releasing`]).
	async fn retry_releasing(&self) {
		let (networks, volumes) = {
			let l = self.0.lock();
			let releasing = |s: &Stage| *s == Stage::Releasing;
			(
				l.networks
					.iter()
					.filter(|e| releasing(&e.stage))
					.map(|e| e.item.clone())
					.collect::<Vec<_>>(),
				l.volumes
					.iter()
					.filter(|e| releasing(&e.stage))
					.map(|e| e.item.clone())
					.collect::<Vec<_>>(),
			)
		};
		for n in &networks {
			self.destroy_network(n, true).await;
		}
		for v in &volumes {
			self.destroy_volume(v).await;
		}
	}
}

/// Marks the ready entries of `entries` [`Stage::Releasing`] and returns their items.
fn take_ready<T: Clone>(entries: &mut [Entry<T>]) -> Vec<T> {
	entries
		.iter_mut()
		.filter(|e| e.stage == Stage::Ready)
		.map(|e| {
			e.stage = Stage::Releasing;
			e.item.clone()
		})
		.collect()
}

fn ledger_path(root: &Path) -> PathBuf {
	root.join("ledger.json")
}

impl Inner {
	fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
		self.ledger.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Writes the ledger (atomically: a crash leaves the old or the new one).
	fn save(&self, l: &Ledger) -> Result<(), RuntimeError> {
		let path = ledger_path(&self.cfg.root);
		let tmp = path.with_extension("tmp");
		let io = |err| RuntimeError::Io { context: format!("write {}", path.display()), err };
		std::fs::write(&tmp, serde_json::to_vec(l).unwrap_or_default()).map_err(io)?;
		std::fs::rename(&tmp, &path).map_err(io)
	}

	fn save_logged(&self, l: &Ledger) {
		if let Err(e) = self.save(l) {
			tracing::warn!("provision ledger: {e}");
		}
	}

	/// Makes one network, recorded in the ledger first; ends in `stage`.
	async fn make_network(&self, stage: Stage) -> Result<NetAlloc, RuntimeError> {
		let mut last_err = None;
		for index in 0..=network::MAX_INDEX {
			let alloc = {
				let mut l = self.lock();
				let taken = l.networks.iter().any(|e| e.item.index == index)
					|| self.held.lock().unwrap_or_else(|p| p.into_inner()).contains(&index);
				if taken {
					continue;
				}
				let alloc = NetAlloc::named(index, format!("urn-{}-{}", self.cfg.tag, l.next_seq));
				if network::host_side_exists(&self.cfg.sys_class_net, &alloc) {
					continue;
				}
				l.next_seq += 1;
				l.networks.push(Entry { item: alloc.clone(), stage: Stage::Making, bytes: 0 });
				if let Err(e) = self.save(&l) {
					l.networks.retain(|e| e.item.index != index);
					return Err(e);
				}
				alloc
			};
			// Whether what failed left a network of ours behind (then it stays in the
			// ledger, `Releasing`); `create` removes what it made itself.
			let (made, left) = match network::create(&alloc).await {
				Ok(()) => match firewall::add_job(&alloc, self.cfg.egress).await {
					Ok(()) => (Ok(()), false),
					Err(e) => {
						let destroyed = network::destroy(&alloc).await;
						if let Err(d) = &destroyed {
							tracing::warn!(netns = %alloc.netns, "removing a half-made job network: {d}");
						}
						(Err(e), destroyed.is_err())
					},
				},
				Err(e) => (Err(e), false),
			};
			let mut l = self.lock();
			match made {
				Ok(()) => {
					if let Some(e) = l.networks.iter_mut().find(|e| e.item.index == index) {
						e.stage = stage;
					}
					self.save_logged(&l);
					return Ok(alloc);
				},
				Err(e) => {
					if left {
						if let Some(e) = l.networks.iter_mut().find(|e| e.item.index == index) {
							e.stage = Stage::Releasing;
						}
					} else {
						l.networks.retain(|e| e.item.index != index);
					}
					self.save_logged(&l);
					// Another agent took the index a moment earlier: try the next one.
					let taken = e.to_string().contains("exists");
					last_err = Some(e);
					if !taken {
						break;
					}
				},
			}
		}
		Err(last_err.unwrap_or(RuntimeError::Exhausted))
	}

	/// Makes one volume of `bytes` under the provisioner's root, recorded in the ledger
	/// first; ends in `stage`.
	async fn make_volume(&self, bytes: u64, stage: Stage) -> Result<Scratch, RuntimeError> {
		let dir = {
			let mut l = self.lock();
			let dir = self.cfg.root.join(format!("vol-{}", l.next_seq));
			l.next_seq += 1;
			l.volumes.push(Entry { item: volume::planned(&dir), stage: Stage::Making, bytes });
			self.save(&l)?;
			dir
		};
		let planned = volume::planned(&dir);
		let made = volume::create(&dir, bytes).await;
		let mut l = self.lock();
		match made {
			Ok(s) => {
				if let Some(e) = l.volumes.iter_mut().find(|e| e.item.mount == planned.mount) {
					e.item = s.clone();
					e.stage = stage;
				}
				self.save_logged(&l);
				Ok(s)
			},
			Err(e) => {
				drop(l);
				let destroyed = volume::destroy(&planned)
					.await
					.and_then(|()| volume::removed(std::fs::remove_dir(&dir), "remove", &dir));
				let mut l = self.lock();
				match destroyed {
					Ok(()) => l.volumes.retain(|e| e.item.mount != planned.mount),
					Err(d) => {
						tracing::warn!(volume = %dir.display(), "removing a half-made scratch volume: {d}");
						if let Some(e) =
							l.volumes.iter_mut().find(|e| e.item.mount == planned.mount)
						{
							e.stage = Stage::Releasing;
						}
					},
				}
				self.save_logged(&l);
				Err(e)
			},
		}
	}
}

#[async_trait::async_trait]
impl Provisioner for HostProvisioner {
	async fn network(&self) -> Result<NetAlloc, RuntimeError> {
		let pooled = {
			let mut l = self.0.lock();
			let found = l.networks.iter_mut().find(|e| e.stage == Stage::Ready).map(|e| {
				e.stage = Stage::Claimed;
				e.item.clone()
			});
			if found.is_some() {
				self.0.save(&l)?;
			}
			found
		};
		let net = match pooled {
			Some(n) => n,
			None => self.0.make_network(Stage::Claimed).await?,
		};
		self.refill_later();
		Ok(net)
	}

	async fn scratch(&self, bytes: u64, uid: u32, gid: u32) -> Result<Scratch, RuntimeError> {
		let bytes = bytes.max(volume::MIN_BYTES);
		let pooled = {
			let mut l = self.0.lock();
			l.warm_bytes = Some(bytes);
			let found =
				l.volumes.iter_mut().find(|e| e.stage == Stage::Ready && e.bytes == bytes).map(
					|e| {
						e.stage = Stage::Claimed;
						e.item.clone()
					},
				);
			self.0.save(&l)?;
			found
		};
		let scratch = match pooled {
			Some(s) => s,
			None => self.0.make_volume(bytes, Stage::Claimed).await?,
		};
		self.refill_later();
		std::os::unix::fs::chown(&scratch.mount, Some(uid), Some(gid)).map_err(|err| {
			RuntimeError::Io { context: format!("own {}", scratch.mount.display()), err }
		})?;
		Ok(scratch)
	}

	fn handed_over(&self, net: Option<&NetAlloc>, scratch: Option<&Scratch>) {
		let mut l = self.0.lock();
		if let Some(n) = net {
			l.networks.retain(|e| e.item.index != n.index);
			self.0.held.lock().unwrap_or_else(|p| p.into_inner()).insert(n.index);
		}
		if let Some(s) = scratch {
			l.volumes.retain(|e| e.item.mount != s.mount);
		}
		self.0.save_logged(&l);
	}

	async fn release_network(&self, net: &NetAlloc, whole: bool) -> Result<(), RuntimeError> {
		if whole {
			firewall::remove_job(net).await?;
			network::destroy(net).await?;
		} else {
			network::destroy_namespace(net).await?;
		}
		self.0.held.lock().unwrap_or_else(|p| p.into_inner()).remove(&net.index);
		Ok(())
	}

	async fn release_scratch(&self, scratch: &Scratch) -> Result<(), RuntimeError> {
		volume::destroy(scratch).await?;
		// A pooled volume's directory is the provisioner's; a job directory is the job's.
		match scratch.mount.parent() {
			Some(parent) if parent.starts_with(&self.0.cfg.root) && parent != self.0.cfg.root => {
				volume::removed(std::fs::remove_dir(parent), "remove", parent)
			},
			_ => Ok(()),
		}
	}

	async fn release_dir(&self, dir: &Path) -> Result<(), RuntimeError> {
		let owned = dir.to_path_buf();
		let removed = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(owned))
			.await
			.unwrap_or_else(|e| Err(std::io::Error::other(e)));
		volume::removed(removed, "remove", dir)
	}

	async fn drain(&self) {
		let mut drained = self.0.refilling.lock().await;
		*drained = true;
		let (networks, volumes) = {
			let mut l = self.0.lock();
			let networks = take_ready(&mut l.networks);
			let volumes = take_ready(&mut l.volumes);
			self.0.save_logged(&l);
			(networks, volumes)
		};
		// What cannot be destroyed now stays in the ledger, for the next start.
		for n in &networks {
			self.destroy_network(n, true).await;
		}
		for v in &volumes {
			self.destroy_volume(v).await;
		}
	}

	async fn reconcile(&self, held_networks: &HashSet<u32>, held_volumes: &HashSet<PathBuf>) {
		let (networks, volumes) = {
			let mut l = self.0.lock();
			// A job journaled it: the job releases it.
			l.networks.retain(|e| !held_networks.contains(&e.item.index));
			l.volumes.retain(|e| !held_volumes.contains(&e.item.mount));
			self.0.save_logged(&l);
			(l.networks.clone(), l.volumes.clone())
		};
		*self.0.held.lock().unwrap_or_else(|p| p.into_inner()) = held_networks.clone();
		// Each is forgotten once destroyed; what cannot be stays, as `Releasing`.
		for e in networks {
			tracing::info!(netns = %e.item.netns, "reaping a job network no job holds");
			self.destroy_network(&e.item, e.stage != Stage::Making).await;
		}
		for e in volumes {
			tracing::info!(volume = %e.item.image.display(), "reaping a scratch volume no job holds");
			self.destroy_volume(&e.item).await;
		}
		self.refill_later();
	}
}
