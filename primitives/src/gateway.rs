//! The lease gateway's request signatures: what a lease's user signs and the agent checks.
//!
//! Every gateway request carries the user's account, a signature scheme, a timestamp, a
//! nonce and a signature over [`signing_payload`] in the headers named here. The agent
//! accepts a request only when the signature verifies for the account, the timestamp is
//! within [`MAX_SKEW_MS`] of its clock, the nonce was not seen before in that window, and the
//! account is the lease's user on chain.

use alloc::{format, string::String, vec::Vec};

/// Domain separator: a gateway signature can never be mistaken for a transaction's.
pub const DOMAIN: &str = "uranus-gateway-v1";

/// Largest difference between a request's timestamp and the gateway's clock.
pub const MAX_SKEW_MS: u64 = 60_000;

/// Header: the signing account (SS58).
pub const HEADER_ACCOUNT: &str = "x-uranus-account";
/// Header: `sr25519` or `ed25519`.
pub const HEADER_SCHEME: &str = "x-uranus-scheme";
/// Header: Unix time of signing in milliseconds.
pub const HEADER_TIMESTAMP: &str = "x-uranus-timestamp";
/// Header: a random nonce, 16 bytes hex.
pub const HEADER_NONCE: &str = "x-uranus-nonce";
/// Header: the 64-byte signature, hex.
pub const HEADER_SIGNATURE: &str = "x-uranus-signature";
/// Response header of an output download: the archive's SHA-256, hex.
pub const HEADER_OUTPUT_SHA256: &str = "x-uranus-output-sha256";

/// The bytes a user signs for a request of `method` to `path_and_query` about `lease`.
///
/// Wallets that wrap raw payloads (`<Bytes>…</Bytes>`, as browser extensions do) are also
/// accepted by the agent: see [`wrapped`].
pub fn signing_payload(
	lease: u64,
	method: &str,
	path_and_query: &str,
	timestamp_ms: u64,
	nonce: &str,
) -> Vec<u8> {
	format!("{DOMAIN}\n{lease}\n{method}\n{path_and_query}\n{timestamp_ms}\n{nonce}").into_bytes()
}

/// `payload` as browser wallets sign raw bytes.
pub fn wrapped(payload: &[u8]) -> Vec<u8> {
	let mut out = Vec::with_capacity(payload.len() + 15);
	out.extend_from_slice(b"<Bytes>");
	out.extend_from_slice(payload);
	out.extend_from_slice(b"</Bytes>");
	out
}

/// A signature scheme users sign gateway requests with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
	/// Schnorrkel/Ristretto (the Substrate default).
	Sr25519,
	/// Ed25519.
	Ed25519,
}

impl Scheme {
	/// Its header value.
	pub fn as_str(&self) -> &'static str {
		match self {
			Scheme::Sr25519 => "sr25519",
			Scheme::Ed25519 => "ed25519",
		}
	}

	/// The scheme a header value names.
	pub fn parse(s: &str) -> Option<Scheme> {
		match s {
			"sr25519" => Some(Scheme::Sr25519),
			"ed25519" => Some(Scheme::Ed25519),
			_ => None,
		}
	}
}

/// Whether `nonce` has the form the agent accepts: 16 to 64 hex digits.
pub fn nonce_is_well_formed(nonce: &str) -> bool {
	(16..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A lowercase hex string of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
	const HEX: &[u8; 16] = b"0123456789abcdef";
	let mut s = String::with_capacity(bytes.len() * 2);
	for b in bytes {
		s.push(HEX[(b >> 4) as usize] as char);
		s.push(HEX[(b & 15) as usize] as char);
	}
	s
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_payload_binds_lease_method_path_time_and_nonce() {
		let p = signing_payload(7, "GET", "/v1/leases/7/logs?follow=true", 1_000, "ab12");
		assert_eq!(
			core::str::from_utf8(&p).unwrap(),
			"uranus-gateway-v1\n7\nGET\n/v1/leases/7/logs?follow=true\n1000\nab12"
		);
		assert_ne!(p, signing_payload(8, "GET", "/v1/leases/7/logs?follow=true", 1_000, "ab12"));
		assert_eq!(wrapped(b"x"), b"<Bytes>x</Bytes>".to_vec());
		assert!(nonce_is_well_formed(&"a".repeat(32)));
		assert!(!nonce_is_well_formed("ab12"));
		assert!(!nonce_is_well_formed(&"g".repeat(32)));
		assert_eq!(Scheme::parse("ed25519"), Some(Scheme::Ed25519));
		assert_eq!(Scheme::parse("ecdsa"), None);
		assert_eq!(to_hex(&[0, 255, 16]), "00ff10");
	}
}
