//! Bearer-token authentication. The token is created at first start in `<data>/agent.token`
//! with mode 0600 and compared in constant time.

use super::{error::ApiError, AppState};
use axum::{
	extract::{Request, State},
	middleware::Next,
	response::Response,
};
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

/// Reads the token at `path`, creating a random one (mode 0600) if there is none. A token
/// file that its group or others may read or write is refused: the token is the key to the
/// agent's control API.
pub fn load_or_create_token(path: &Path) -> std::io::Result<String> {
	use std::{io::Read, os::unix::fs::PermissionsExt};
	match std::fs::File::open(path) {
		Ok(mut f) => {
			let mode = f.metadata()?.permissions().mode() & 0o7777;
			if mode & 0o077 != 0 {
				return Err(std::io::Error::new(
					std::io::ErrorKind::PermissionDenied,
					format!(
						"{} has mode {mode:04o}: others may read the token; `chmod 600` it, or \
						 delete it and a new token is made",
						path.display()
					),
				));
			}
			let mut t = String::new();
			(&mut f).take(4096).read_to_string(&mut t)?;
			let t = t.trim().to_string();
			if t.len() >= 32 {
				return Ok(t);
			}
		},
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => {},
		Err(e) => return Err(e),
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

	#[test]
	fn a_token_file_others_may_read_is_refused_and_left_as_it_is() {
		let dir = tempfile::tempdir().unwrap();
		let p = dir.path().join("agent.token");
		let t = load_or_create_token(&p).unwrap();
		for mode in [0o644, 0o640, 0o604, 0o660, 0o606] {
			std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
			let err = load_or_create_token(&p).unwrap_err();
			assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{mode:o}");
			assert!(err.to_string().contains(&format!("{mode:04o}")), "{err}");
			assert_eq!(std::fs::read_to_string(&p).unwrap(), t, "the file is untouched");
		}
		std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
		assert_eq!(load_or_create_token(&p).unwrap(), t, "0400 is narrower than 0600");
	}
}
