//! Request signatures ([`uranus_primitives::gateway`]): the [`LeaseUser`] extractor admits
//! a request only when it is signed, fresh, not replayed, and by the lease's user at the
//! finalised head; [`LiveLeaseUser`] also needs the lease to still hold its container.

use super::{chain::LeaseStanding, error::GatewayError, GatewayState};
use axum::{extract::FromRequestParts, http::request::Parts};
use sp_core::{
	crypto::{AccountId32, Ss58Codec},
	ed25519, sr25519, Pair as _,
};
use std::{collections::HashMap, sync::Mutex};
use uranus_primitives::gateway::{self as gw, Scheme};

/// How long a request for a lease with a job here waits for finality to reach the lease (a
/// job starts from a best block; finality follows a block or two later).
pub const FINALITY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Most nonces remembered at once, in all; beyond, new requests wait for old ones to expire.
pub const MAX_NONCES: usize = 200_000;
/// Most nonces one account may have remembered at once (its requests within a signature
/// window): one account filling its quota slows down itself, never another user.
pub const MAX_NONCES_PER_ACCOUNT: usize = 2_000;

/// Nonces seen within the signature window, per account, each with the time it may be
/// forgotten. Only requests signed by a lease's user for a job this agent runs get here
/// ([`LeaseUser`]), so the table's accounts are this agent's users.
#[derive(Default)]
pub struct ReplayGuard {
	seen: Mutex<Nonces>,
}

#[derive(Default)]
struct Nonces {
	by_account: HashMap<AccountId32, HashMap<String, u64>>,
	total: usize,
}

impl Nonces {
	/// Forgets the nonces of `who` (all accounts with `None`) whose window ended.
	fn expire(&mut self, who: Option<&AccountId32>, now_ms: u64) {
		let mut forgotten = 0;
		for (account, nonces) in self.by_account.iter_mut() {
			if who.is_none_or(|w| w == account) {
				let before = nonces.len();
				nonces.retain(|_, until| *until > now_ms);
				forgotten += before - nonces.len();
			}
		}
		self.by_account.retain(|_, n| !n.is_empty());
		self.total = self.total.saturating_sub(forgotten);
	}
}

impl ReplayGuard {
	/// Records `nonce` of `who`, valid until `until_ms`: refused when it was seen before
	/// (401), or when `who` has [`MAX_NONCES_PER_ACCOUNT`] or everyone [`MAX_NONCES`] recent
	/// ones (429).
	pub fn admit(
		&self,
		who: &AccountId32,
		nonce: &str,
		now_ms: u64,
		until_ms: u64,
	) -> Result<(), GatewayError> {
		let mut seen = self.seen.lock().expect("not poisoned");
		let mine = seen.by_account.get(who).map_or(0, |n| n.len());
		if mine >= MAX_NONCES_PER_ACCOUNT {
			seen.expire(Some(who), now_ms);
		}
		if seen.total >= MAX_NONCES {
			seen.expire(None, now_ms);
		}
		let replayed = seen
			.by_account
			.get(who)
			.and_then(|n| n.get(nonce))
			.is_some_and(|until| *until > now_ms);
		if replayed {
			return Err(GatewayError::Unauthorized(
				"replayed signature (nonce already used)".into(),
			));
		}
		let mine = seen.by_account.get(who).map_or(0, |n| n.len());
		if mine >= MAX_NONCES_PER_ACCOUNT {
			return Err(GatewayError::TooManyConnections(format!(
				"more than {MAX_NONCES_PER_ACCOUNT} requests of this account within a signature window"
			)));
		}
		if seen.total >= MAX_NONCES {
			return Err(GatewayError::TooManyConnections("too many recent requests".into()));
		}
		let fresh =
			seen.by_account.entry(who.clone()).or_default().insert(nonce.to_string(), until_ms);
		if fresh.is_none() {
			seen.total += 1;
		}
		Ok(())
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

/// A request about lease `.0` signed by its user `.1`, as the finalised chain knows the lease
/// (ended or not: its logs and outputs stay readable).
pub struct LeaseUser(pub u64, pub AccountId32);

/// A request about lease `.0` signed by its user, the lease still holding its container at
/// the finalised head (assigned, running or paused): for acting on the job (a shell).
pub struct LiveLeaseUser(pub u64, pub AccountId32);

impl FromRequestParts<GatewayState> for LeaseUser {
	type Rejection = GatewayError;

	async fn from_request_parts(
		parts: &mut Parts,
		state: &GatewayState,
	) -> Result<Self, Self::Rejection> {
		authorise(parts, state).await.map(|(lease, standing)| LeaseUser(lease, standing.user))
	}
}

impl FromRequestParts<GatewayState> for LiveLeaseUser {
	type Rejection = GatewayError;

	async fn from_request_parts(
		parts: &mut Parts,
		state: &GatewayState,
	) -> Result<Self, Self::Rejection> {
		let (lease, standing) = authorise(parts, state).await?;
		if !standing.is_active() {
			return Err(GatewayError::Conflict(format!(
				"lease {lease} is {} on the finalised chain: it no longer holds its container",
				standing.state
			)));
		}
		Ok(LiveLeaseUser(lease, standing.user))
	}
}

/// Checks a request's signature, that its lease has a job here, and that the signer is the
/// lease's user at the finalised head; then admits its nonce.
async fn authorise(
	parts: &Parts,
	state: &GatewayState,
) -> Result<(u64, LeaseStanding), GatewayError> {
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
	let payload =
		gw::signing_payload(lease, parts.method.as_str(), path, signed.timestamp_ms, &signed.nonce);
	if !verifies(signed.scheme, &signed.account, &payload, &signed.signature) {
		return Err(GatewayError::Unauthorized("bad signature".into()));
	}
	// Only a lease's user, for a job this agent runs, may enter the replay table (with its
	// own quota): anyone else's signatures never fill it.
	if state.jobs.get(lease).await.is_err() {
		return Err(GatewayError::NotFound(format!("lease {lease} has no job here")));
	}
	let standing = match state.chain.lease_once_final(lease, FINALITY_WAIT).await? {
		None => {
			return Err(GatewayError::NotFound(format!(
				"no lease {lease} on the finalised chain (waited {} s for it)",
				FINALITY_WAIT.as_secs()
			)))
		},
		Some(s) if s.user != signed.account => {
			return Err(GatewayError::Forbidden(format!(
				"{} is not lease {lease}'s user",
				signed.account.to_ss58check()
			)))
		},
		Some(s) => s,
	};
	state.replay.admit(
		&signed.account,
		&signed.nonce,
		now,
		signed.timestamp_ms.saturating_add(gw::MAX_SKEW_MS).saturating_add(1),
	)?;
	Ok((lease, standing))
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

	/// #37 defect 2: one signer filling the table (any key will do, before the fix) locked
	/// every real user out with 429 until the window passed.
	#[test]
	fn one_account_filling_its_quota_never_locks_out_another() {
		let g = ReplayGuard::default();
		let flooder = AccountId32::new([7; 32]);
		let refused = (0..MAX_NONCES + 10)
			.filter(|i| g.admit(&flooder, &format!("n{i}"), 0, 1_000).is_err())
			.count();
		assert!(refused > 0, "the flooder meets its bound");
		let user = AccountId32::new([8; 32]);
		assert!(g.admit(&user, "mine", 1, 1_000).is_ok(), "another user is not locked out");
		// The flooder's own window passes: it may go on.
		assert!(g.admit(&flooder, "later", 1_001, 2_000).is_ok());
	}
}
