//! One error type for every handler, mapped to a status and a JSON body.

use crate::{image::ImageError, jobs::JobError, runtime::RuntimeError};
use axum::{
	extract::rejection::JsonRejection,
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use uranus_primitives::agent::ApiErrorBody;

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
	/// 400.
	#[error("{0}")]
	BadRequest(String),
	/// 401.
	#[error("{0}")]
	Unauthorized(String),
	/// 404.
	#[error("{0}")]
	NotFound(String),
	/// 409.
	#[error("{0}")]
	Conflict(String),
	/// 413.
	#[error("{0}")]
	TooLarge(String),
	/// 415.
	#[error("{0}")]
	UnsupportedMediaType(String),
	/// 422.
	#[error("{0}")]
	Unprocessable(String),
	/// 502.
	#[error("{0}")]
	BadGateway(String),
	/// 503.
	#[error("{0}")]
	Unavailable(String),
	/// 500; the details are logged, not returned.
	#[error("{0}")]
	Internal(String),
}

impl ApiError {
	fn parts(&self) -> (StatusCode, &'static str) {
		match self {
			ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
			ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
			ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
			ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
			ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
			ApiError::UnsupportedMediaType(_) => {
				(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
			},
			ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
			ApiError::BadGateway(_) => (StatusCode::BAD_GATEWAY, "registry_error"),
			ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
			ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
		}
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		let (status, code) = self.parts();
		let message = match &self {
			ApiError::Internal(detail) => {
				tracing::error!("internal error: {detail}");
				"internal error; see the agent log".to_string()
			},
			other => other.to_string(),
		};
		(status, Json(ApiErrorBody { error: code.into(), message })).into_response()
	}
}

impl From<crate::challenge::ChallengeRequestError> for ApiError {
	fn from(e: crate::challenge::ChallengeRequestError) -> Self {
		use crate::challenge::{ChallengeRequestError as E, ChallengeRunError as R};
		match e {
			E::Invalid(m) => ApiError::BadRequest(m),
			E::Busy => ApiError::Conflict(e.to_string()),
			E::Run(R::Params(p)) => ApiError::BadRequest(format!("invalid challenge: {p:?}")),
			E::Run(r @ R::InsufficientMemory { .. }) => ApiError::Unavailable(r.to_string()),
		}
	}
}

impl From<JsonRejection> for ApiError {
	fn from(r: JsonRejection) -> Self {
		match r.status() {
			StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(r.body_text()),
			StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(r.body_text()),
			_ => ApiError::BadRequest(r.body_text()),
		}
	}
}

impl From<JobError> for ApiError {
	fn from(e: JobError) -> Self {
		match e {
			JobError::InvalidRequest(m) => ApiError::BadRequest(m),
			JobError::NotFound(_) => ApiError::NotFound(e.to_string()),
			JobError::Exhausted => ApiError::Unavailable(e.to_string()),
			JobError::Conflict(m) => ApiError::Conflict(m),
			JobError::Image(img) => match img {
				ImageError::InvalidReference(_) => ApiError::BadRequest(img.to_string()),
				ImageError::NotFound(_) => ApiError::NotFound(img.to_string()),
				ImageError::Registry { .. } => ApiError::BadGateway(img.to_string()),
				ImageError::DigestMismatch { .. }
				| ImageError::PathTraversal { .. }
				| ImageError::UnsafeEntry { .. }
				| ImageError::TooLarge { .. }
				| ImageError::BlobSize { .. }
				| ImageError::UnsupportedMediaType(_)
				| ImageError::InvalidConfig(_) => ApiError::Unprocessable(img.to_string()),
				ImageError::StoreFull { .. } => ApiError::Unavailable(img.to_string()),
				ImageError::Io { .. } => ApiError::Internal(img.to_string()),
			},
			JobError::CommandNotRunnable(_) => ApiError::Unprocessable(e.to_string()),
			JobError::Runtime(RuntimeError::Exhausted) => ApiError::Unavailable(e.to_string()),
			JobError::Runtime(r) => ApiError::Internal(r.to_string()),
			JobError::Journal(j) => ApiError::Internal(j.to_string()),
		}
	}
}
