//! The HTTP API (`/v1`), served on loopback only.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/health` | liveness and jobs awaiting release (no token) |
//! | `GET /v1/hardware` | [`HardwareInfo`](uranus_primitives::agent::HardwareInfo) |
//! | `POST /v1/jobs` | run a job (idempotent by lease id): 201 new, 200 existing |
//! | `GET /v1/jobs` | all jobs |
//! | `GET /v1/jobs/{id}` | one job |
//! | `DELETE /v1/jobs/{id}` | stop and release a job (a second: forget it); 202 if some of it could not be released yet |
//! | `GET /v1/jobs/{id}/metering` | cumulative metering |
//! | `GET /v1/jobs/{id}/logs` | the tail of the job's output |
//! | `POST /v1/sink` | discards the body (uplink self-test target; no token) |
//!
//! Every route but health and sink needs `Authorization: Bearer <token>`; bodies are limited; every
//! error is `{ "error", "message" }` with a 4xx/5xx status.

pub mod auth;
pub mod error;
pub mod routes;

use crate::jobs::JobManager;
use std::sync::Arc;
use tokio::sync::RwLock;
use uranus_primitives::agent::HardwareInfo;

/// Largest accepted request body on ordinary routes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest accepted body on the uplink sink.
pub const MAX_SINK_BYTES: usize = 16 << 20;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
	/// The job manager.
	pub jobs: Arc<JobManager>,
	/// The API token.
	pub token: Arc<String>,
	/// The latest hardware probe.
	pub hardware: Arc<RwLock<HardwareInfo>>,
	/// The agent's data directory (its filesystem is the shareable storage).
	pub data_dir: Arc<std::path::PathBuf>,
	/// The machine's hardware challenge.
	pub challenges: Arc<crate::challenge::Challenges>,
}

pub use routes::router;
