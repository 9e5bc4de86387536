//! Test doubles for the job manager's backends: a container runtime and a provisioner that
//! record every call and keep their state in memory, so the manager's lifecycle is tested
//! without root, runc, `ip` or `mount`.

use crate::runtime::{
	network::NetAlloc, provision::Provisioner, shim::ExitRecord, volume::Scratch, ContainerRuntime,
	ContainerState, ContainerStatus, JobFiles, RuntimeError,
};
use std::{
	collections::{BTreeMap, HashSet},
	path::{Path, PathBuf},
	sync::Mutex,
};

/// A container the fake runtime knows.
#[derive(Clone, Debug)]
struct Container {
	status: ContainerStatus,
	files: JobFiles,
}

/// What the next `start` does.
#[derive(Clone, Debug, Default)]
pub enum StartBehaviour {
	/// The container runs (its pid file appears).
	#[default]
	Run,
	/// The runtime prints the message and exits 1 without starting the container.
	Fail(String),
}

/// An in-memory OCI runtime: `start` writes the pid file the real shim's runtime writes,
/// `kill` and [`FakeRuntime::exit`] write the exit record the shim writes.
#[derive(Default)]
pub struct FakeRuntime {
	containers: Mutex<BTreeMap<String, Container>>,
	calls: Mutex<Vec<String>>,
	next_start: Mutex<StartBehaviour>,
}

fn write_exit(path: &Path, code: i32) {
	let rec = ExitRecord { code, at_ms: crate::now_ms() };
	std::fs::write(path, serde_json::to_vec(&rec).unwrap()).unwrap();
}

impl FakeRuntime {
	/// Every call so far, as `verb id`.
	pub fn calls(&self) -> Vec<String> {
		self.calls.lock().unwrap().clone()
	}

	/// The calls whose verb is `verb`.
	pub fn count(&self, verb: &str) -> usize {
		self.calls().iter().filter(|c| c.split(' ').next() == Some(verb)).count()
	}

	/// Sets what the next `start` does.
	pub fn next_start(&self, b: StartBehaviour) {
		*self.next_start.lock().unwrap() = b;
	}

	/// Container `id`'s process exits with `code` (the shim records it).
	pub fn exit(&self, id: &str, code: i32) {
		let mut cs = self.containers.lock().unwrap();
		let c = cs.get_mut(id).expect("a started container");
		c.status = ContainerStatus::Stopped;
		write_exit(&c.files.exit, code);
	}

	/// The runtime forgets every container (its state lived on tmpfs: a host reboot).
	pub fn forget_all(&self) {
		self.containers.lock().unwrap().clear();
	}

	fn record(&self, call: String) {
		self.calls.lock().unwrap().push(call);
	}
}

#[async_trait::async_trait]
impl ContainerRuntime for FakeRuntime {
	fn name(&self) -> &str {
		"fake"
	}

	async fn start(&self, id: &str, _bundle: &Path, files: &JobFiles) -> Result<(), RuntimeError> {
		self.record(format!("start {id}"));
		let behaviour = std::mem::take(&mut *self.next_start.lock().unwrap());
		match behaviour {
			StartBehaviour::Run => {
				std::fs::write(&files.pid, "4242").unwrap();
				self.containers.lock().unwrap().insert(
					id.into(),
					Container { status: ContainerStatus::Running, files: files.clone() },
				);
			},
			StartBehaviour::Fail(message) => {
				std::fs::write(&files.log, message).unwrap();
				write_exit(&files.exit, 1);
			},
		}
		Ok(())
	}

	async fn state(&self, id: &str) -> Result<Option<ContainerState>, RuntimeError> {
		Ok(self
			.containers
			.lock()
			.unwrap()
			.get(id)
			.map(|c| ContainerState { status: c.status, pid: 4242 }))
	}

	async fn kill(&self, id: &str, signal: &str) -> Result<(), RuntimeError> {
		self.record(format!("kill {id} {signal}"));
		let mut cs = self.containers.lock().unwrap();
		if let Some(c) = cs.get_mut(id) {
			if c.status.has_processes() {
				c.status = ContainerStatus::Stopped;
				write_exit(&c.files.exit, 137);
			}
		}
		Ok(())
	}

	async fn delete(&self, id: &str) -> Result<(), RuntimeError> {
		self.record(format!("delete {id}"));
		self.containers.lock().unwrap().remove(id);
		Ok(())
	}

	async fn set_paused(&self, id: &str, paused: bool) -> Result<(), RuntimeError> {
		self.record(format!("{} {id}", if paused { "pause" } else { "resume" }));
		let mut cs = self.containers.lock().unwrap();
		match cs.get_mut(id) {
			Some(c) if c.status.has_processes() => {
				c.status = if paused { ContainerStatus::Paused } else { ContainerStatus::Running };
				Ok(())
			},
			_ => Err(RuntimeError::Command {
				command: format!("fake pause {id}"),
				status: "1".into(),
				stderr: "container not running".into(),
			}),
		}
	}
}

/// An in-memory provisioner: networks by index, volumes as plain directories under `root`.
pub struct FakeProvisioner {
	root: PathBuf,
	state: Mutex<ProvisionState>,
}

#[derive(Default)]
struct ProvisionState {
	next: u32,
	/// Networks made and not released.
	networks: HashSet<u32>,
	/// Volumes made and not released (by mount point).
	volumes: HashSet<PathBuf>,
	/// Made, not yet handed over to a job.
	unclaimed: usize,
	calls: Vec<String>,
	/// What the last `reconcile` was told jobs hold.
	reconciled: Option<(HashSet<u32>, HashSet<PathBuf>)>,
	/// How many of the next releases of each kind fail.
	failing: BTreeMap<Release, u32>,
}

/// A kind of release the fake provisioner can be made to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Release {
	/// `release_network`.
	Network,
	/// `release_scratch` (as an unmount of a busy volume fails).
	Scratch,
	/// `release_dir`.
	Dir,
}

impl FakeProvisioner {
	/// A provisioner making its volumes under `root`.
	pub fn new(root: PathBuf) -> FakeProvisioner {
		FakeProvisioner { root, state: Default::default() }
	}

	/// Networks and volumes made and not released.
	pub fn live(&self) -> (usize, usize) {
		let s = self.state.lock().unwrap();
		(s.networks.len(), s.volumes.len())
	}

	/// Resources made and never handed over to a job.
	pub fn unclaimed(&self) -> usize {
		self.state.lock().unwrap().unclaimed
	}

	/// What the last `reconcile` was told jobs hold.
	pub fn reconciled(&self) -> Option<(HashSet<u32>, HashSet<PathBuf>)> {
		self.state.lock().unwrap().reconciled.clone()
	}

	/// Every call so far.
	pub fn calls(&self) -> Vec<String> {
		self.state.lock().unwrap().calls.clone()
	}

	/// The next `times` releases of kind `what` fail (and change nothing).
	pub fn fail(&self, what: Release, times: u32) {
		self.state.lock().unwrap().failing.insert(what, times);
	}

	/// Whether a release of kind `what` fails now (counting it down).
	fn fails(&self, what: Release) -> Result<(), RuntimeError> {
		let mut s = self.state.lock().unwrap();
		let left = s.failing.entry(what).or_default();
		if *left == 0 {
			return Ok(());
		}
		*left -= 1;
		s.calls.push(format!("{what:?} failed"));
		Err(RuntimeError::Io {
			context: format!("fake {what:?} release"),
			err: std::io::Error::from_raw_os_error(libc::EBUSY),
		})
	}
}

#[async_trait::async_trait]
impl Provisioner for FakeProvisioner {
	async fn network(&self) -> Result<NetAlloc, RuntimeError> {
		let mut s = self.state.lock().unwrap();
		let i = s.next;
		s.next += 1;
		s.networks.insert(i);
		s.unclaimed += 1;
		s.calls.push(format!("network {i}"));
		Ok(NetAlloc::named(i, format!("fake-{i}")))
	}

	async fn scratch(&self, bytes: u64, uid: u32, gid: u32) -> Result<Scratch, RuntimeError> {
		let mut s = self.state.lock().unwrap();
		let i = s.next;
		s.next += 1;
		let dir = self.root.join(format!("vol-{i}"));
		let mount = dir.join("scratch");
		std::fs::create_dir_all(&mount).unwrap();
		s.volumes.insert(mount.clone());
		s.unclaimed += 1;
		s.calls.push(format!("scratch {bytes} {uid}:{gid}"));
		Ok(Scratch { image: dir.join("scratch.ext4"), mount, baseline_used: 0 })
	}

	fn handed_over(&self, net: Option<&NetAlloc>, scratch: Option<&Scratch>) {
		let mut s = self.state.lock().unwrap();
		s.unclaimed -= usize::from(net.is_some()) + usize::from(scratch.is_some());
	}

	async fn release_network(&self, net: &NetAlloc, whole: bool) -> Result<(), RuntimeError> {
		self.fails(Release::Network)?;
		let mut s = self.state.lock().unwrap();
		s.networks.remove(&net.index);
		s.calls.push(format!("release_network {} {whole}", net.index));
		Ok(())
	}

	async fn release_scratch(&self, scratch: &Scratch) -> Result<(), RuntimeError> {
		self.fails(Release::Scratch)?;
		let mut s = self.state.lock().unwrap();
		s.volumes.remove(&scratch.mount);
		let _ = std::fs::remove_dir_all(scratch.mount.parent().unwrap());
		s.calls.push("release_scratch".into());
		Ok(())
	}

	async fn release_dir(&self, dir: &Path) -> Result<(), RuntimeError> {
		self.fails(Release::Dir)?;
		self.state.lock().unwrap().calls.push("release_dir".into());
		match std::fs::remove_dir_all(dir) {
			Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
				Err(RuntimeError::Io { context: format!("remove {}", dir.display()), err: e })
			},
			_ => Ok(()),
		}
	}

	async fn drain(&self) {
		self.state.lock().unwrap().calls.push("drain".into());
	}

	async fn reconcile(&self, held_networks: &HashSet<u32>, held_volumes: &HashSet<PathBuf>) {
		let mut s = self.state.lock().unwrap();
		s.reconciled = Some((held_networks.clone(), held_volumes.clone()));
		s.calls.push("reconcile".into());
	}
}
