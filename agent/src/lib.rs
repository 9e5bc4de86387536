//! # uranus-agent
//!
//! The provider-side daemon of Uranus (white paper §5.3, "Worker and Agent"): it probes the
//! machine, pulls OCI images by digest, runs each lease's container with runc under hard
//! limits, meters it from cgroups, veth counters and its scratch volume, and serves all of it
//! to the node's off-chain worker over a loopback HTTP API.
//!
//! | module | holds |
//! |---|---|
//! | [`api`] | the `/v1` HTTP API, token auth, error mapping |
//! | [`gateway`] | the lease gateway: HTTPS for lease users (status, logs, shell, outputs) |
//! | [`jobs`] | job state machine, durable journal, sampler, packed outputs |
//! | [`runtime`] | the runc/crun backend, per-job shim, OCI spec, veth network, scratch volume |
//! | [`meter`] | cgroup v1/v2 readers, network counters, the cumulative accumulator |
//! | [`image`] | pull by digest, verified content-addressed blobs, layer unpacking |
//! | [`hardware`] | the hardware probe and uplink self-test |
//! | [`userns`] | the jobs' user namespace: container ids mapped to an unprivileged host range |
//!
//! Invariants: a lease runs at most one container; metering counters never decrease and the
//! sequence number strictly increases; a journaled job survives `kill -9` of the agent.

pub mod api;
pub mod challenge;
pub mod config;
pub mod gateway;
pub mod hardware;
pub mod image;
pub mod jobs;
pub mod meter;
pub mod runtime;
pub mod userns;

pub use config::AgentConfig;

use std::sync::Arc;
use tokio::sync::RwLock;

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or(0)
}

/// A started agent: its state, ready to be served.
pub struct Agent {
	/// The handlers' shared state.
	pub state: api::AppState,
	/// The configuration it runs with.
	pub config: Arc<AgentConfig>,
	/// The lease gateway to serve next to the API, if any.
	pub gateway: Option<gateway::GatewayConfig>,
}

impl Agent {
	/// Opens the data directory, the journal and the image store, re-attaches to the jobs of a
	/// previous run and probes the hardware.
	pub async fn start(config: AgentConfig) -> anyhow::Result<Agent> {
		use anyhow::Context;
		anyhow::ensure!(
			config.listen.ip().is_loopback(),
			"the agent API listens on loopback only, not {}",
			config.listen
		);
		std::fs::create_dir_all(&config.data_dir)
			.with_context(|| format!("create {}", config.data_dir.display()))?;
		open_to_jobs(&config.data_dir)?;
		runtime::firewall::setup(config.egress).await.context("job firewall")?;
		let config = Arc::new(config);
		let token = api::auth::load_or_create_token(&config.token_path()).context("API token")?;
		let images = image::ImageStore::open(
			config.data_dir.join("images"),
			image::Puller::new(config.insecure_registries.clone()),
			config.id_map,
			config.image_store_max_bytes,
		)
		.context("image store")?;
		let exe = std::env::current_exe().context("locate the agent binary")?;
		let runtime_root = link_runtime_state(&config).context("runtime state directory")?;
		let rt: Arc<dyn runtime::ContainerRuntime> = Arc::new(
			runtime::oci_cli::OciCliRuntime::new(config.runtime.clone(), runtime_root, exe),
		);
		let provisioner =
			runtime::provision::HostProvisioner::open(runtime::provision::ProvisionConfig {
				root: config.provision_dir(),
				tag: config.host_tag(),
				warm: config.warm_pool,
				egress: config.egress,
				sys_class_net: config.sys_class_net.clone(),
			})
			.context("job resource provisioner")?;
		let jobs = jobs::JobManager::open(config.clone(), rt, Arc::new(provisioner), images)
			.await
			.context("job manager")?;
		let hw = hardware::probe(
			&config.data_dir,
			jobs.cgroup_mode().as_str(),
			&jobs.runtime_name(),
			None,
		);
		Ok(Agent {
			state: api::AppState {
				jobs,
				token: Arc::new(token),
				hardware: Arc::new(RwLock::new(hw)),
				data_dir: Arc::new(config.data_dir.clone()),
				challenges: Arc::default(),
			},
			config,
			gateway: None,
		})
	}

	/// Serves the API on `listener` and samples jobs until `shutdown` resolves; then stops
	/// accepting, finishes in-flight requests and returns. Containers keep running under
	/// their shims and are re-attached at the next start.
	pub async fn serve(
		self,
		listener: tokio::net::TcpListener,
		shutdown: impl std::future::Future<Output = ()> + Send + 'static,
	) -> anyhow::Result<()> {
		let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
		let sampler = self.state.jobs.spawn_ticks(self.config.sample_interval, stop_rx);
		// The uplink self-test runs once the API is up (the endpoint may be this very agent).
		if let Some(url) = self.config.uplink_endpoint.clone() {
			let hardware = self.state.hardware.clone();
			let bytes = self.config.uplink_test_bytes;
			tokio::spawn(async move {
				match hardware::measure_uplink(&url, bytes, None).await {
					Ok(bps) => {
						tracing::info!("uplink self-test against {url}: {bps} bytes/s");
						hardware.write().await.uplink_bytes_per_sec = Some(bps);
					},
					Err(e) => tracing::warn!("uplink self-test against {url} failed: {e}"),
				}
			});
		}
		let gateway = self.gateway.clone().map(|g| {
			let mut stop = stop_tx.subscribe();
			tokio::spawn(gateway::serve(
				g,
				self.config.clone(),
				self.state.jobs.clone(),
				async move {
					let _ = stop.wait_for(|s| *s).await;
				},
			))
		});
		let app = api::router(self.state.clone());
		axum::serve(listener, app)
			.with_graceful_shutdown(async move {
				shutdown.await;
				let _ = stop_tx.send(true);
			})
			.await?;
		let _ = sampler.await;
		if let Some(g) = gateway {
			match g.await {
				Ok(Err(e)) => tracing::error!("lease gateway: {e:#}"),
				Err(e) => tracing::error!("lease gateway task: {e}"),
				Ok(Ok(())) => {},
			}
		}
		self.state.jobs.shutdown().await;
		Ok(())
	}
}

/// Makes sure a job's root (an unprivileged host user, see [`userns`]) can reach its image
/// under `data_dir`: the data directory gets search permission for others (it holds nothing
/// they could list: the token is 0600, images are shared read-only), and every directory
/// above it must have it already (the agent does not change directories it does not own).
fn open_to_jobs(data_dir: &std::path::Path) -> anyhow::Result<()> {
	use anyhow::Context;
	use std::os::unix::fs::PermissionsExt;
	let data_dir =
		data_dir.canonicalize().with_context(|| format!("resolve {}", data_dir.display()))?;
	let mode = std::fs::metadata(&data_dir)?.permissions().mode();
	if mode & 0o001 == 0 {
		std::fs::set_permissions(
			&data_dir,
			std::fs::Permissions::from_mode((mode | 0o011) & 0o7777),
		)
		.with_context(|| format!("chmod o+x {}", data_dir.display()))?;
	}
	for dir in data_dir.ancestors().skip(1) {
		let mode = std::fs::metadata(dir)?.permissions().mode();
		anyhow::ensure!(
			mode & 0o001 != 0,
			"jobs run as an unprivileged host user and must be able to reach their images \
			 under {}: make {} searchable by others (chmod o+x)",
			data_dir.display(),
			dir.display()
		);
	}
	Ok(())
}

/// Creates the runtime's state directory on tmpfs ([`AgentConfig::runtime_state_dir`]) and
/// points `<data dir>/runtime` at it, so that `runc --root <data dir>/runtime …` finds the
/// agent's containers. A `runtime` directory of an older agent is moved aside. Returns the
/// state directory.
fn link_runtime_state(config: &AgentConfig) -> anyhow::Result<std::path::PathBuf> {
	use anyhow::Context;
	let state = config.runtime_state_dir();
	std::fs::create_dir_all(&state).with_context(|| format!("create {}", state.display()))?;
	let link = config.data_dir.join("runtime");
	match std::fs::symlink_metadata(&link) {
		Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link)?,
		Ok(_) => {
			let aside = config.data_dir.join(format!("runtime.old-{}", std::process::id()));
			std::fs::rename(&link, &aside)
				.with_context(|| format!("move {} aside", link.display()))?;
		},
		Err(_) => {},
	}
	std::os::unix::fs::symlink(&state, &link)
		.with_context(|| format!("link {} to {}", link.display(), state.display()))?;
	Ok(state)
}
