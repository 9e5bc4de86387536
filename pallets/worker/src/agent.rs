//! The agent's API as the off-chain worker calls it: HTTP on loopback with a bearer token,
//! a deadline on every request, a size cap on every answer and the shared `/v1` JSON types.

use alloc::{format, string::String, vec::Vec};
use sp_core::offchain::Duration;
use sp_runtime::offchain::http;
use uranus_primitives::{agent::HardwareInfo, worker::WorkerConfig};

/// Longest answer read from the agent.
pub const MAX_BODY: usize = 64 * 1024;

/// Why talking to the agent failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentError {
	/// The request could not be sent (bad URL or HTTP disabled).
	Send,
	/// No answer before the deadline (agent down or slow).
	Timeout,
	/// The connection failed.
	Io,
	/// The agent answered with this status.
	Status(u16),
	/// The answer is larger than [`MAX_BODY`].
	TooLarge,
	/// The answer is not the expected JSON.
	BadJson,
}

impl core::fmt::Display for AgentError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			AgentError::Send => write!(f, "request could not be sent"),
			AgentError::Timeout => write!(f, "no answer before the deadline"),
			AgentError::Io => write!(f, "connection failed"),
			AgentError::Status(code) => write!(f, "HTTP status {code}"),
			AgentError::TooLarge => write!(f, "answer larger than {MAX_BODY} bytes"),
			AgentError::BadJson => write!(f, "answer is not the expected JSON"),
		}
	}
}

/// A client of one agent.
pub struct AgentClient<'a> {
	config: &'a WorkerConfig,
	/// The agent's bearer token, from the node (empty: none is sent).
	token: Vec<u8>,
	timeout: Duration,
}

impl<'a> AgentClient<'a> {
	/// A client for the agent `config` names, waiting at most `timeout` per request, with the
	/// token the node holds (never stored where an RPC could read it).
	pub fn new(config: &'a WorkerConfig, timeout: Duration) -> Self {
		let token = uranus_primitives::agent_token::uranus_agent::token();
		AgentClient { config, token, timeout }
	}

	/// The URL of `path` (which starts with `/`).
	pub fn url(&self, path: &str) -> String {
		let base = String::from_utf8_lossy(&self.config.agent_url);
		format!("{}{}", base.trim_end_matches('/'), path)
	}

	/// `GET /v1/hardware`.
	pub fn hardware(&self) -> Result<HardwareInfo, AgentError> {
		let body = self.get("/v1/hardware")?;
		serde_json::from_slice(&body).map_err(|_| AgentError::BadJson)
	}

	fn get(&self, path: &str) -> Result<Vec<u8>, AgentError> {
		self.request(http::Method::Get, path, None, &[200])
	}

	/// One request; `ok` lists the statuses that count as success.
	pub(crate) fn request(
		&self,
		method: http::Method,
		path: &str,
		body: Option<Vec<u8>>,
		ok: &[u16],
	) -> Result<Vec<u8>, AgentError> {
		let url = self.url(path);
		let auth = format!("Bearer {}", String::from_utf8_lossy(&self.token));
		let deadline = sp_io::offchain::timestamp().add(self.timeout);
		let body_chunks: Vec<Vec<u8>> = body.into_iter().collect();
		let has_body = !body_chunks.is_empty();
		let mut request = http::Request::<Vec<Vec<u8>>>::new(&url)
			.method(method)
			.body(body_chunks)
			.deadline(deadline);
		if has_body {
			request = request.add_header("Content-Type", "application/json");
		}
		if !self.token.is_empty() {
			request = request.add_header("Authorization", &auth);
		}
		let pending = request.send().map_err(|_| AgentError::Send)?;
		let response =
			pending.try_wait(deadline).map_err(|_| AgentError::Timeout)?.map_err(|e| match e {
				http::Error::DeadlineReached => AgentError::Timeout,
				_ => AgentError::Io,
			})?;
		if !ok.contains(&response.code) {
			return Err(AgentError::Status(response.code));
		}
		let mut body = Vec::new();
		for chunk in response.body() {
			if body.len() >= MAX_BODY {
				return Err(AgentError::TooLarge);
			}
			body.push(chunk);
		}
		Ok(body)
	}
}
