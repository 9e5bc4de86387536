//! The lease gateway: how a lease's user reaches its job (HTTPS, on an address the provider
//! chooses; the loopback control API in [`crate::api`] stays as it is).
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/leases/{id}` | the job's status and metering |
//! | `GET /v1/leases/{id}/logs?tail=B&follow=true` | its output log as server-sent events |
//! | `GET /v1/leases/{id}/shell?cmd=…` | a terminal inside the running container (WebSocket) |
//! | `GET /v1/leases/{id}/output` | its packed `/out` (`tar.zst`) while the retention lasts |
//!
//! - **TLS** ([`tls`]): a self-signed certificate made once and kept in the data directory;
//!   the provider announces its SHA-256 with the gateway URL on chain
//!   (`registry.set_gateway`) and clients pin it.
//! - **Who may ask** ([`auth`]): every request is signed by the lease's user (sr25519 or
//!   ed25519, [`uranus_primitives::gateway`]); the signer must be the lease's `user` as the
//!   provider's node says ([`chain`], `market_lease`). A bad, stale or replayed signature is
//!   401, another account 403.
//! - **Bounds** ([`limits`]): connections per lease, bytes per second per stream, a request
//!   timeout on plain routes. Nothing of another lease or of the host is reachable: every
//!   route is one lease's, checked against the chain.

pub mod auth;
pub mod chain;
pub mod error;
pub mod limits;
pub mod routes;
pub mod shell;
pub mod tls;

use crate::{jobs::JobManager, AgentConfig};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// What the provider configures for its gateway.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
	/// The address it listens on (any: users come from outside).
	pub listen: SocketAddr,
	/// The provider node's JSON-RPC endpoint (`market_lease`).
	pub node_rpc: String,
	/// Names and addresses the certificate is made for (its subject alternative names).
	pub hosts: Vec<String>,
	/// Open connections one lease may have at once.
	pub max_connections_per_lease: usize,
	/// Bytes per second one stream (logs, output, shell) may send.
	pub bytes_per_second: u64,
}

impl GatewayConfig {
	/// Defaults for a gateway on `listen` asking the node at `node_rpc`.
	pub fn new(listen: SocketAddr, node_rpc: String) -> GatewayConfig {
		GatewayConfig {
			listen,
			node_rpc,
			hosts: vec!["localhost".into(), "127.0.0.1".into()],
			max_connections_per_lease: 4,
			bytes_per_second: 8 << 20,
		}
	}
}

/// Shared state of the gateway's handlers.
#[derive(Clone)]
pub struct GatewayState {
	/// The job manager.
	pub jobs: Arc<JobManager>,
	/// The agent's configuration (data directory, retention).
	pub agent: Arc<AgentConfig>,
	/// The gateway's configuration.
	pub config: Arc<GatewayConfig>,
	/// Who each lease's user is.
	pub chain: Arc<chain::NodeClient>,
	/// Nonces seen within the signature window.
	pub replay: Arc<auth::ReplayGuard>,
	/// Open connections per lease.
	pub limits: Arc<limits::LeaseLimits>,
}

/// Timeout of a plain (non-streaming) request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the gateway until `shutdown` resolves. Returns once it stopped.
pub async fn serve(
	config: GatewayConfig,
	agent: Arc<AgentConfig>,
	jobs: Arc<JobManager>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
	let cert = tls::load_or_create(&agent.data_dir.join("gateway"), &config.hosts)?;
	tracing::info!(
		"lease gateway on https://{} (certificate sha256 {})",
		config.listen,
		uranus_primitives::gateway::to_hex(&cert.sha256)
	);
	let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(cert.server_config()?));
	let state = GatewayState {
		chain: Arc::new(chain::NodeClient::new(config.node_rpc.clone())),
		replay: Arc::new(auth::ReplayGuard::default()),
		limits: Arc::new(limits::LeaseLimits::new(config.max_connections_per_lease)),
		config: Arc::new(config.clone()),
		jobs,
		agent,
	};
	let handle = axum_server::Handle::new();
	let stopper = handle.clone();
	tokio::spawn(async move {
		shutdown.await;
		stopper.graceful_shutdown(Some(Duration::from_secs(5)));
	});
	axum_server::bind_rustls(config.listen, tls)
		.handle(handle)
		.serve(routes::router(state).into_make_service())
		.await?;
	Ok(())
}
