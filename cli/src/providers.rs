//! `uranus provider …`: what a provider announces on chain about its lease gateway.

use crate::{chain::Chain, error::CliError, keys::Key};
use subxt::dynamic::Value;

/// Longest gateway URL the registry stores (its `MaxText`).
const MAX_URL: usize = 64;

/// Parses the certificate fingerprint `uranus-agent gateway-fingerprint` prints (64 hex
/// digits, colons allowed).
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], CliError> {
	let hex: String = s.trim().chars().filter(|c| *c != ':').collect();
	uranus_primitives::compute::OutputDigest::parse_sha256_hex(&hex).ok_or_else(|| {
		CliError::Usage(format!("{s:?} is not a SHA-256 fingerprint (64 hex digits)"))
	})
}

/// Checks a gateway URL as the registry will (`https://`, at most [`MAX_URL`] bytes), so a
/// mistake costs no fee.
pub fn check_url(url: &str) -> Result<(), CliError> {
	if !url.starts_with("https://") || url.len() > MAX_URL || url.len() <= "https://".len() {
		return Err(CliError::Usage(format!(
			"{url:?}: a gateway URL is https://host:port, at most {MAX_URL} bytes"
		)));
	}
	Ok(())
}

/// Announces the gateway at `url` whose certificate has SHA-256 `fingerprint`.
pub async fn set_gateway(
	chain: &Chain,
	key: &Key,
	url: &str,
	fingerprint: [u8; 32],
) -> Result<(), CliError> {
	check_url(url)?;
	let gateway = Value::named_composite([
		("url", Value::from_bytes(url.as_bytes())),
		("tls_sha256", Value::from_bytes(fingerprint)),
	]);
	chain
		.submit(key, "Registry", "set_gateway", vec![Value::unnamed_variant("Some", [gateway])])
		.await?;
	eprintln!(
		"gateway {url} announced; clients pin {}",
		uranus_primitives::gateway::to_hex(&fingerprint)
	);
	Ok(())
}

/// Withdraws the caller's gateway.
pub async fn clear_gateway(chain: &Chain, key: &Key) -> Result<(), CliError> {
	chain
		.submit(
			key,
			"Registry",
			"set_gateway",
			vec![Value::unnamed_variant("None", Vec::<Value>::new())],
		)
		.await
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn fingerprints_and_urls_are_checked_before_anything_is_signed() {
		let hex = "7f79cc0c94a1c5ab5d8e822b44def95650114169036c75808700475effff0eb0".to_string();
		assert_eq!(parse_fingerprint(&hex).unwrap()[0], 0x7f);
		let colons: Vec<String> = (0..32).map(|i| hex[2 * i..2 * i + 2].to_uppercase()).collect();
		assert_eq!(parse_fingerprint(&colons.join(":")).unwrap(), parse_fingerprint(&hex).unwrap());
		assert!(parse_fingerprint("abcd").is_err());
		assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
		assert!(check_url("https://127.0.0.1:8443").is_ok());
		assert!(check_url("http://127.0.0.1:8443").is_err());
		assert!(check_url(&format!("https://{}", "a".repeat(64))).is_err());
	}
}
