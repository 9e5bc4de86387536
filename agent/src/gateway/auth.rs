//! Request signatures ([`uranus_primitives::gateway`]): the [`LeaseUser`] extractor admits
//! a request only when it is signed, fresh, not replayed, and by the lease's user.

use super::{error::GatewayError, GatewayState};
use axum::{extract::FromRequestParts, http::request::Parts};
use sp_core::{
	crypto::{AccountId32, Ss58Codec},
	ed25519, sr25519, Pair as _,
};
use std::{collections::HashMap, sync::Mutex};
use uranus_primitives::gateway::{self as gw, Scheme};

/// Most nonces remembered at once; beyond, new requests wait for old ones to expire.
pub const MAX_NONCES: usize = 200_000;

/// Nonces seen within the signature window, each with the time it may be forgotten.
#[derive(Default)]
pub struct ReplayGuard {
	seen: Mutex<HashMap<(AccountId32, String), u64>>,
}

impl ReplayGuard {
	/// Records `nonce` of `who`, valid until `until_ms`; false when it was seen before.
	pub fn admit(
		&self,
		who: &AccountId32,
		nonce: &str,
		now_ms: u64,
		until_ms: u64,
	) -> Result<(), GatewayError> {
		let mut seen = self.seen.lock().expect("not poisoned");
		if seen.len() >= MAX_NONCES {
			seen.retain(|_, until| *until > now_ms);
		}
		if seen.len() >= MAX_NONCES {
			return Err(GatewayError::TooManyConnections("too many recent requests".into()));
		}
		match seen.entry((who.clone(), nonce.to_string())) {
			std::collections::hash_map::Entry::Occupied(e) if *e.get() > now_ms => {
				Err(GatewayError::Unauthorized("replayed signature (nonce already used)".into()))
			},
			e => {
				*e.or_insert(0) = until_ms;
				Ok(())
			},
		}
	}
}

/// The signed fields of a request.
#[derive(Debug)]
pub struct Signed {
	/// The signer.
	pub account: AccountId32,
	/// Its scheme.
	pub scheme: Scheme,
	/// Unix ms of signing.
	pub timestamp_ms: u64,
	/// The nonce.
	pub nonce: String,
	/// The signature.
	pub signature: [u8; 64],
}

fn header<'a>(parts: &'a Parts, name: &str) -> Result<&'a str, GatewayError> {
	parts
		.headers
		.get(name)
		.and_then(|v| v.to_str().ok())
		.ok_or_else(|| GatewayError::Unauthorized(format!("missing header {name}")))
}

/// Reads the signature headers.
pub fn read_signed(parts: &Parts) -> Result<Signed, GatewayError> {
	let bad = |what: &str| GatewayError::Unauthorized(format!("malformed {what}"));
	let account = AccountId32::from_ss58check(header(parts, gw::HEADER_ACCOUNT)?)
		.map_err(|_| bad("account"))?;
	let scheme = Scheme::parse(header(parts, gw::HEADER_SCHEME)?).ok_or_else(|| bad("scheme"))?;
	let timestamp_ms =
		header(parts, gw::HEADER_TIMESTAMP)?.parse().map_err(|_| bad("timestamp"))?;
	let nonce = header(parts, gw::HEADER_NONCE)?.to_string();
	if !gw::nonce_is_well_formed(&nonce) {
		return Err(bad("nonce"));
	}
	let signature: [u8; 64] = hex::decode(header(parts, gw::HEADER_SIGNATURE)?)
		.ok()
		.and_then(|v| v.try_into().ok())
		.ok_or_else(|| bad("signature"))?;
	Ok(Signed { account, scheme, timestamp_ms, nonce, signature })
}

/// Whether `sig` is `who`'s signature of `payload` (raw, or wrapped as wallets sign).
pub fn verifies(scheme: Scheme, who: &AccountId32, payload: &[u8], sig: &[u8; 64]) -> bool {
	let key: &[u8; 32] = who.as_ref();
	let check = |msg: &[u8]| match scheme {
		Scheme::Sr25519 => sr25519::Pair::verify(
			&sr25519::Signature::from_raw(*sig),
			msg,
			&sr25519::Public::from_raw(*key),
		),
		Scheme::Ed25519 => ed25519::Pair::verify(
			&ed25519::Signature::from_raw(*sig),
			msg,
			&ed25519::Public::from_raw(*key),
		),
	};
	check(payload) || check(&gw::wrapped(payload))
}

/// A request about lease `.0` signed by its user.
pub struct LeaseUser(pub u64);

impl FromRequestParts<GatewayState> for LeaseUser {
	type Rejection = GatewayError;

	async fn from_request_parts(
		parts: &mut Parts,
		state: &GatewayState,
	) -> Result<Self, Self::Rejection> {
		// `/v1/leases/{id}[/…]`
		let lease: u64 = parts
			.uri
			.path()
			.strip_prefix("/v1/leases/")
			.and_then(|rest| rest.split('/').next())
			.and_then(|id| id.parse().ok())
			.ok_or_else(|| GatewayError::NotFound("not a lease route".into()))?;
		let signed = read_signed(parts)?;
		let now = crate::now_ms();
		if signed.timestamp_ms.abs_diff(now) > gw::MAX_SKEW_MS {
			return Err(GatewayError::Unauthorized(format!(
				"stale signature: signed at {} ms, the gateway's clock is {now} ms",
				signed.timestamp_ms
			)));
		}
		let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
		let payload = gw::signing_payload(
			lease,
			parts.method.as_str(),
			path,
			signed.timestamp_ms,
			&signed.nonce,
		);
		if !verifies(signed.scheme, &signed.account, &payload, &signed.signature) {
			return Err(GatewayError::Unauthorized("bad signature".into()));
		}
		state.replay.admit(
			&signed.account,
			&signed.nonce,
			now,
			signed.timestamp_ms.saturating_add(gw::MAX_SKEW_MS).saturating_add(1),
		)?;
		match state.chain.lease_user(lease).await? {
			None => Err(GatewayError::NotFound(format!("no lease {lease} on chain"))),
			Some(user) if user != signed.account => Err(GatewayError::Forbidden(format!(
				"{} is not lease {lease}'s user",
				signed.account.to_ss58check()
			))),
			Some(_) => Ok(LeaseUser(lease)),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn signatures_verify_for_their_signer_only_raw_or_wrapped() {
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let ed = ed25519::Pair::from_string("//Alice", None).unwrap();
		let payload = gw::signing_payload(3, "GET", "/v1/leases/3", 5, &"a".repeat(32));
		let who = AccountId32::from(alice.public().0);
		assert!(verifies(Scheme::Sr25519, &who, &payload, &alice.sign(&payload).0));
		assert!(verifies(Scheme::Sr25519, &who, &payload, &alice.sign(&gw::wrapped(&payload)).0));
		assert!(!verifies(Scheme::Sr25519, &who, &payload, &bob.sign(&payload).0));
		let other = gw::signing_payload(4, "GET", "/v1/leases/3", 5, &"a".repeat(32));
		assert!(!verifies(Scheme::Sr25519, &who, &other, &alice.sign(&payload).0));
		let ed_who = AccountId32::from(ed.public().0);
		assert!(verifies(Scheme::Ed25519, &ed_who, &payload, &ed.sign(&payload).0));
		assert!(!verifies(Scheme::Sr25519, &ed_who, &payload, &ed.sign(&payload).0));
	}

	#[test]
	fn a_nonce_is_admitted_once_within_its_window() {
		let g = ReplayGuard::default();
		let who = AccountId32::new([1; 32]);
		assert!(g.admit(&who, "n1", 0, 100).is_ok());
		assert!(matches!(g.admit(&who, "n1", 50, 150), Err(GatewayError::Unauthorized(_))));
		assert!(g.admit(&AccountId32::new([2; 32]), "n1", 50, 150).is_ok());
		// After its window the timestamp check refuses it anyway; the entry may be reused.
		assert!(g.admit(&who, "n1", 100, 200).is_ok());
	}
}
