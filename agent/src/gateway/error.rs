//! The gateway's errors: each a status and a JSON body `{ "error", "message" }`.

use axum::{
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};

/// Why a gateway request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
	/// No valid signature: missing or malformed fields, a bad signature, a stale timestamp
	/// or a replayed nonce (401).
	#[error("{0}")]
	Unauthorized(String),
	/// A valid signature by an account that is not the lease's user (403).
	#[error("{0}")]
	Forbidden(String),
	/// No such lease here, or nothing to serve (404).
	#[error("{0}")]
	NotFound(String),
	/// The outputs' retention ended (410).
	#[error("{0}")]
	Gone(String),
	/// The lease is not in a state that allows this (409).
	#[error("{0}")]
	Conflict(String),
	/// Too many connections for this lease (429).
	#[error("{0}")]
	TooManyConnections(String),
	/// The provider's node could not be asked (502).
	#[error("{0}")]
	Chain(String),
	/// Anything else (500).
	#[error("{0}")]
	Internal(String),
}

impl GatewayError {
	/// The HTTP status and the stable error code.
	pub fn status_and_code(&self) -> (StatusCode, &'static str) {
		match self {
			GatewayError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
			GatewayError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
			GatewayError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
			GatewayError::Gone(_) => (StatusCode::GONE, "gone"),
			GatewayError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
			GatewayError::TooManyConnections(_) => {
				(StatusCode::TOO_MANY_REQUESTS, "too_many_connections")
			},
			GatewayError::Chain(_) => (StatusCode::BAD_GATEWAY, "chain_unavailable"),
			GatewayError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
		}
	}
}

impl IntoResponse for GatewayError {
	fn into_response(self) -> Response {
		let (status, code) = self.status_and_code();
		if status.is_server_error() {
			tracing::warn!("gateway: {self}");
		}
		(status, Json(serde_json::json!({ "error": code, "message": self.to_string() })))
			.into_response()
	}
}

impl From<crate::jobs::JobError> for GatewayError {
	fn from(e: crate::jobs::JobError) -> Self {
		use crate::jobs::JobError;
		match e {
			JobError::NotFound(id) => GatewayError::NotFound(format!("no job for lease {id} here")),
			JobError::Conflict(m) => GatewayError::Conflict(m),
			e => GatewayError::Internal(e.to_string()),
		}
	}
}
