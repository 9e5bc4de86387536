//! Bearer-token authentication. The token is created at first start in `<data>/agent.token`
//! with mode 0600 and compared in constant time.

use super::{error::ApiError, AppState};
use axum::{
	extract::{Request, State},
	middleware::Next,
	response::Response,
};
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

/// Reads the token at `path`, creating a random one (mode 0600) if there is none.
pub fn load_or_create_token(path: &Path) -> std::io::Result<String> {
	if let Ok(t) = std::fs::read_to_string(path) {
		let t = t.trim().to_string();
		if t.len() >= 32 {
			return Ok(t);
		}
	}
	let token = hex::encode(rand::random::<[u8; 32]>());
	let mut f = std::fs::OpenOptions::new()
		.create(true)
		.write(true)
		.truncate(true)
		.mode(0o600)
		.open(path)?;
	f.write_all(token.as_bytes())?;
	f.sync_all()?;
	Ok(token)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
	if a.len() != b.len() {
		return false;
	}
	a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Rejects requests without the right bearer token.
pub async fn require_token(
	State(state): State<AppState>,
	req: Request,
	next: Next,
) -> Result<Response, ApiError> {
	let provided = req
		.headers()
		.get(axum::http::header::AUTHORIZATION)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.strip_prefix("Bearer "))
		.map(str::trim);
	match provided {
		Some(t) if constant_time_eq(t.as_bytes(), state.token.as_bytes()) => {
			Ok(next.run(req).await)
		},
		Some(_) => Err(ApiError::Unauthorized("invalid token".into())),
		None => Err(ApiError::Unauthorized("missing bearer token".into())),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	#[test]
	fn token_is_created_once_with_mode_0600() {
		let dir = tempfile::tempdir().unwrap();
		let p = dir.path().join("agent.token");
		let t1 = load_or_create_token(&p).unwrap();
		let t2 = load_or_create_token(&p).unwrap();
		assert_eq!(t1, t2);
		assert_eq!(t1.len(), 64);
		assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
		assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
	}
}
