//! `uranus-agent`: `run` the daemon, print the `hardware` probe, list `jobs`, or (internal)
//! supervise one container as a `shim`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use uranus_agent::{runtime::shim, Agent, AgentConfig};

#[derive(Parser)]
#[command(name = "uranus-agent", version, about = "The Uranus provider agent")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the agent daemon.
	Run {
		/// Data directory (journal, token, images, jobs).
		#[arg(long, default_value = "/var/lib/uranus-agent")]
		data_dir: PathBuf,
		/// Loopback address of the HTTP API.
		#[arg(long, default_value = "127.0.0.1:8700")]
		listen: SocketAddr,
		/// OCI runtime binary (runc, or crun on pure cgroup v2 hosts).
		#[arg(long, default_value = "runc")]
		runtime: String,
		/// A registry (host:port) that may be used over plain HTTP; loopback ones always may.
		#[arg(long = "insecure-registry")]
		insecure_registries: Vec<String>,
		/// URL receiving the uplink self-test upload (e.g. another agent's /v1/sink).
		#[arg(long)]
		uplink_endpoint: Option<String>,
		/// Bytes uploaded by the uplink self-test.
		#[arg(long, default_value_t = 4 << 20)]
		uplink_test_bytes: usize,
		/// Milliseconds between metering samples.
		#[arg(long, default_value_t = 1000)]
		sample_interval_ms: u64,
		/// First host id of the jobs' user namespaces (container ids 0..65535 map to
		/// base..base+65535; no host account may use that range). Changing it re-unpacks
		/// cached images.
		#[arg(long, default_value_t = uranus_agent::userns::IdMap::DEFAULT_BASE)]
		userns_base: u32,
		/// Let jobs open connections to public addresses (masqueraded as this host; private,
		/// link-local and reserved ranges stay closed). Turns on IPv4 forwarding. Off by
		/// default: jobs reach nothing beyond their own network namespace.
		#[arg(long)]
		job_egress: bool,
		/// The image store's quota in bytes (layer blobs and unpacked images); the least
		/// recently used images no job runs are evicted to stay within it.
		#[arg(long, default_value_t = 64 << 30)]
		image_store_max_bytes: u64,
		/// Job networks and scratch volumes (of the size jobs last asked for) kept ready, so
		/// a job starts without waiting for them; 0 makes each on demand.
		#[arg(long, default_value_t = 2)]
		warm_pool: usize,
		/// The AppArmor profile jobs run under where the host has AppArmor enabled (the agent
		/// refuses to start there unless it is loaded; `deploy/apparmor/uranus-job`); empty:
		/// none. Ignored on hosts without AppArmor.
		#[arg(long, default_value = uranus_agent::runtime::apparmor::DEFAULT_PROFILE)]
		apparmor_profile: String,
		/// Serve the lease gateway (HTTPS, for lease users: status, logs, shell, outputs) on
		/// this address, e.g. `0.0.0.0:8443`. Announce it on chain with
		/// `registry.setGateway(url, the sha256 `gateway-fingerprint` prints)`. Off by default.
		#[arg(long)]
		gateway_listen: Option<SocketAddr>,
		/// The provider node's JSON-RPC URL, where the gateway reads who each lease's user is.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		node_rpc: String,
		/// A host name or address the gateway's certificate is made for (repeatable; used when
		/// the certificate is first made). Default: localhost and 127.0.0.1.
		#[arg(long = "gateway-host")]
		gateway_hosts: Vec<String>,
		/// Open gateway connections one lease may have at once.
		#[arg(long, default_value_t = 4)]
		gateway_max_connections: usize,
		/// Open gateway sessions (log streams, shells, downloads) one account may have at
		/// once, over all its leases.
		#[arg(long, default_value_t = 16)]
		gateway_max_sessions_per_account: usize,
		/// Open gateway connections in all (kept within a quarter of the open-file limit).
		#[arg(long, default_value_t = 1024)]
		gateway_max_total_connections: usize,
		/// Open gateway connections from one source address.
		#[arg(long, default_value_t = 32)]
		gateway_max_connections_per_ip: usize,
		/// Bytes per second one gateway stream (logs, outputs, shell) may send.
		#[arg(long, default_value_t = 8 << 20)]
		gateway_bytes_per_sec: u64,
		/// Seconds a job's packed outputs (`/out`) stay downloadable after it ended.
		#[arg(long, default_value_t = 24 * 3600)]
		output_retention_secs: u64,
	},
	/// Print the SHA-256 of the lease gateway's TLS certificate (making it when there is none
	/// yet): what the provider registers on chain with the gateway URL.
	GatewayFingerprint {
		/// The agent's data directory.
		#[arg(long, default_value = "/var/lib/uranus-agent")]
		data_dir: PathBuf,
		/// Host names or addresses for a certificate made now (repeatable).
		#[arg(long = "gateway-host")]
		gateway_hosts: Vec<String>,
	},
	/// Print this machine's hardware as JSON.
	Hardware {
		/// Directory whose filesystem is offered as storage.
		#[arg(long, default_value = "/var/lib/uranus-agent")]
		data_dir: PathBuf,
	},
	/// List the jobs of a running agent.
	Jobs {
		/// The agent's data directory (for its token).
		#[arg(long, default_value = "/var/lib/uranus-agent")]
		data_dir: PathBuf,
		/// The agent's API address.
		#[arg(long, default_value = "127.0.0.1:8700")]
		api: SocketAddr,
	},
	/// Supervise one container (started by the agent).
	#[command(hide = true)]
	Shim(shim::ShimArgs),
	/// Move a job's network into its container (the runtime's `createRuntime` hook; the
	/// container state comes on stdin).
	#[command(hide = true)]
	NetEnter {
		/// The job's network allocation (JSON).
		#[arg(long)]
		alloc: String,
		/// What the job may send, in bytes per second (0: unshaped).
		#[arg(long, default_value_t = 0)]
		bandwidth_bps: u64,
	},
}

fn init_tracing() {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| "uranus_agent=info,tower_http=info".into());
	tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

async fn shutdown_signal() {
	let ctrl_c = async {
		let _ = tokio::signal::ctrl_c().await;
	};
	let term = async {
		if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		{
			s.recv().await;
		}
	};
	tokio::select! { _ = ctrl_c => {}, _ = term => {} }
	tracing::info!("shutting down: containers keep running and are re-attached at the next start");
}

fn main() -> anyhow::Result<()> {
	let cli = Cli::parse();
	match cli.command {
		Command::Shim(args) => {
			let code = shim::run(&args).context("shim")?;
			std::process::exit(if code == 0 { 0 } else { 1 });
		},
		Command::NetEnter { alloc, bandwidth_bps } => {
			use uranus_agent::runtime::network;
			let alloc: network::NetAlloc =
				serde_json::from_str(&alloc).context("the --alloc argument")?;
			let state: network::HookState = serde_json::from_reader(std::io::stdin().lock())
				.context("the container state on stdin")?;
			let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
			rt.block_on(network::enter(&alloc, state.pid, bandwidth_bps))
				.with_context(|| format!("move network {} into pid {}", alloc.netns, state.pid))?;
			Ok(())
		},
		Command::Hardware { data_dir } => {
			std::fs::create_dir_all(&data_dir)?;
			let mode = uranus_agent::meter::CgroupMode::detect_with_root(std::path::Path::new(
				"/sys/fs/cgroup",
			));
			let hw = uranus_agent::hardware::probe(&data_dir, mode.as_str(), "runc", None);
			println!("{}", serde_json::to_string_pretty(&hw)?);
			Ok(())
		},
		Command::GatewayFingerprint { data_dir, gateway_hosts } => {
			let hosts = if gateway_hosts.is_empty() {
				vec!["localhost".to_string(), "127.0.0.1".to_string()]
			} else {
				gateway_hosts
			};
			let cert =
				uranus_agent::gateway::tls::load_or_create(&data_dir.join("gateway"), &hosts)?;
			println!("{}", uranus_primitives::gateway::to_hex(&cert.sha256));
			Ok(())
		},
		Command::Jobs { data_dir, api } => {
			let token = std::fs::read_to_string(data_dir.join("agent.token"))
				.with_context(|| format!("read the token in {}", data_dir.display()))?;
			let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
			rt.block_on(async {
				let resp = reqwest::Client::new()
					.get(format!("http://{api}/v1/jobs"))
					.bearer_auth(token.trim())
					.send()
					.await?;
				let status = resp.status();
				let body = resp.text().await?;
				anyhow::ensure!(status.is_success(), "agent answered {status}: {body}");
				let jobs: Vec<uranus_primitives::agent::JobStatus> = serde_json::from_str(&body)?;
				println!(
					"{:>10}  {:<8}  {:>5}  {:<24}  IMAGE",
					"LEASE", "STATE", "EXIT", "AWAITING RELEASE"
				);
				for j in jobs {
					let state = serde_json::to_value(j.state)?.as_str().unwrap_or("?").to_string();
					let exit = j.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
					// What the agent failed to release and retries, e.g. `scratch (3 tries)`.
					let release = match &j.release {
						Some(p) => {
							let left: Vec<String> = p
								.left
								.iter()
								.map(|r| {
									serde_json::to_value(r)
										.map(|v| v.as_str().unwrap_or("?").to_string())
								})
								.collect::<Result<_, _>>()?;
							format!("{} ({} tries)", left.join(","), p.attempts)
						},
						None => "-".into(),
					};
					println!(
						"{:>10}  {:<8}  {:>5}  {:<24}  {}",
						j.lease_id, state, exit, release, j.image
					);
				}
				Ok(())
			})
		},
		Command::Run {
			data_dir,
			listen,
			runtime,
			insecure_registries,
			uplink_endpoint,
			uplink_test_bytes,
			sample_interval_ms,
			userns_base,
			job_egress,
			image_store_max_bytes,
			warm_pool,
			apparmor_profile,
			gateway_listen,
			node_rpc,
			gateway_hosts,
			gateway_max_connections,
			gateway_max_sessions_per_account,
			gateway_max_total_connections,
			gateway_max_connections_per_ip,
			gateway_bytes_per_sec,
			output_retention_secs,
		} => {
			init_tracing();
			let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
			rt.block_on(async move {
				let mut cfg = AgentConfig::new(data_dir, listen);
				cfg.runtime = runtime;
				cfg.insecure_registries = insecure_registries;
				cfg.uplink_endpoint = uplink_endpoint;
				cfg.uplink_test_bytes = uplink_test_bytes;
				cfg.sample_interval = Duration::from_millis(sample_interval_ms.max(100));
				cfg.image_store_max_bytes = image_store_max_bytes;
				cfg.warm_pool = warm_pool;
				cfg.output_retention = Duration::from_secs(output_retention_secs);
				cfg.apparmor_profile = uranus_agent::runtime::apparmor::resolve(
					std::path::Path::new("/sys"),
					&apparmor_profile,
				)
				.map_err(anyhow::Error::msg)?;
				cfg.egress = if job_egress {
					uranus_agent::runtime::firewall::Egress::Public
				} else {
					uranus_agent::runtime::firewall::Egress::Off
				};
				cfg.id_map = uranus_agent::userns::IdMap::new(userns_base).with_context(|| {
					format!("--userns-base {userns_base}: the 65,536 ids from it must fit below 2^32 - 1 and exclude 0")
				})?;
				let listener = tokio::net::TcpListener::bind(cfg.listen)
					.await
					.with_context(|| format!("bind {}", cfg.listen))?;
				let mut agent = Agent::start(cfg).await?;
				agent.gateway = gateway_listen.map(|listen| {
					let mut g = uranus_agent::gateway::GatewayConfig::new(listen, node_rpc);
					if !gateway_hosts.is_empty() {
						g.hosts = gateway_hosts;
					}
					g.max_connections_per_lease = gateway_max_connections;
					g.max_sessions_per_account = gateway_max_sessions_per_account;
					g.max_connections = gateway_max_total_connections;
					g.max_connections_per_ip = gateway_max_connections_per_ip;
					g.bytes_per_second = gateway_bytes_per_sec;
					g
				});
				tracing::info!(
					"uranus-agent listening on http://{} (token in {})",
					listener.local_addr()?,
					agent.config.token_path().display()
				);
				agent.serve(listener, shutdown_signal()).await
			})
		},
	}
}
