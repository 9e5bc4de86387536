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
//!   provider's node says at the finalised head ([`chain`], `market_lease`), read again
//!   each time finality moves. A bad, stale or replayed signature is 401, another account
//!   403, a lease not finalised yet 404; a shell needs a lease that still holds its
//!   container (409 once it ended on chain).
//! - **Bounds** ([`accept`], [`limits`]): connections in all and per source address (over
//!   either, a connection is closed at once), a TLS handshake and a request's headers within
//!   [`HANDSHAKE_TIMEOUT`] and [`HEADER_TIMEOUT`] (a keep-alive connection idle as long is
//!   closed too), HTTP/1.1 only, connections per lease, bytes per second per stream, a
//!   request timeout on plain routes, 4 KiB request bodies. The bound in all is kept within a
//!   quarter of the process's open-file limit, so a flood leaves the control API, the journal
//!   and `runc` their descriptors. Nothing of another lease or of the host is reachable:
//!   every route is one lease's, checked against the chain.

pub mod accept;
pub mod auth;
pub mod chain;
pub mod error;
pub mod limits;
pub mod routes;
pub mod shell;
pub mod tls;

use crate::{jobs::JobManager, AgentConfig};
use anyhow::Context as _;
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
	/// Open sessions (log streams, shells, downloads) one account may have at once, over all
	/// its leases here.
	pub max_sessions_per_account: usize,
	/// Open connections in all (at most a quarter of the open-file limit is used).
	pub max_connections: usize,
	/// Open connections from one source address.
	pub max_connections_per_ip: usize,
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
			max_sessions_per_account: 16,
			max_connections: 1024,
			max_connections_per_ip: 32,
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
/// How long a connection may take to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's headers may take to arrive, and a keep-alive connection may stay
/// idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The connections the gateway admits in all: the configured bound, within a quarter of the
/// open-file limit `nofile` (each connection is a descriptor, a log stream or shell more).
pub fn total_connections(configured: usize, nofile: u64) -> usize {
	configured.min(usize::try_from(nofile / 4).unwrap_or(usize::MAX)).max(1)
}

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
	let tls = Arc::new(cert.server_config()?);
	let admission =
		accept::ConnectionLimits::new(config.max_connections, config.max_connections_per_ip);
	tracing::info!(
		total = total_connections(config.max_connections, accept::open_file_limit()),
		per_address = config.max_connections_per_ip,
		"lease gateway connection bounds"
	);
	let state = GatewayState {
		chain: Arc::new(chain::NodeClient::new(config.node_rpc.clone())),
		replay: Arc::new(auth::ReplayGuard::default()),
		limits: Arc::new(limits::LeaseLimits::new(
			config.max_connections_per_lease,
			config.max_sessions_per_account,
		)),
		config: Arc::new(config.clone()),
		jobs,
		agent,
	};
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.with_context(|| format!("bind the gateway on {}", config.listen))?;
	accept::serve_tls(
		listener,
		tls,
		admission,
		routes::router(state),
		shutdown,
		Duration::from_secs(5),
	)
	.await;
	Ok(())
}
