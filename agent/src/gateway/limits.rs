//! The gateway's bounds: open sessions per lease and per account, bytes per second per
//! stream.

use super::error::GatewayError;
use sp_core::crypto::{AccountId32, Ss58Codec};
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Open sessions (log streams, shells, output downloads) per lease and per account: one
/// account holding many leases here cannot hold more than its own bound in all.
pub struct LeaseLimits {
	leases: Bounded<u64>,
	accounts: Bounded<AccountId32>,
}

/// A session's place, held while it lasts.
pub struct SessionPermit {
	_lease: OwnedSemaphorePermit,
	_account: OwnedSemaphorePermit,
}

impl LeaseLimits {
	/// At most `per_lease` sessions per lease and `per_account` per account.
	pub fn new(per_lease: usize, per_account: usize) -> LeaseLimits {
		LeaseLimits { leases: Bounded::new(per_lease), accounts: Bounded::new(per_account) }
	}

	/// A permit for one more session of `lease` by `account`.
	pub fn admit(&self, lease: u64, account: &AccountId32) -> Result<SessionPermit, GatewayError> {
		let _account = self.accounts.admit(account.clone()).ok_or_else(|| {
			GatewayError::TooManyConnections(format!(
				"{} already has {} open sessions on this gateway",
				account.to_ss58check(),
				self.accounts.bound
			))
		})?;
		let _lease = self.leases.admit(lease).ok_or_else(|| {
			GatewayError::TooManyConnections(format!(
				"lease {lease} already has {} open connections",
				self.leases.bound
			))
		})?;
		Ok(SessionPermit { _lease, _account })
	}
}

/// At most `bound` permits per key; keys with none held are forgotten.
struct Bounded<K> {
	bound: usize,
	open: Mutex<HashMap<K, Arc<Semaphore>>>,
}

impl<K: std::hash::Hash + Eq> Bounded<K> {
	fn new(bound: usize) -> Self {
		Bounded { bound: bound.max(1), open: Mutex::new(HashMap::new()) }
	}

	fn admit(&self, key: K) -> Option<OwnedSemaphorePermit> {
		let mut open = self.open.lock().expect("not poisoned");
		open.retain(|_, s| s.available_permits() < self.bound);
		let sem = open.entry(key).or_insert_with(|| Arc::new(Semaphore::new(self.bound)));
		sem.clone().try_acquire_owned().ok()
	}
}

/// Paces a stream to `rate` bytes per second.
pub struct Pace {
	rate: u64,
	start: Instant,
	sent: u64,
}

impl Pace {
	/// A pace of `rate` bytes per second, from now.
	pub fn new(rate: u64) -> Pace {
		Pace { rate: rate.max(1), start: Instant::now(), sent: 0 }
	}

	/// How long to wait before sending `n` more bytes keeps within the rate.
	pub fn delay(&mut self, n: usize) -> Duration {
		self.sent = self.sent.saturating_add(n as u64);
		let due = Duration::from_secs_f64(self.sent as f64 / self.rate as f64);
		due.saturating_sub(self.start.elapsed())
	}

	/// Waits until sending `n` more bytes keeps within the rate.
	pub async fn wait(&mut self, n: usize) {
		let d = self.delay(n);
		if !d.is_zero() {
			tokio::time::sleep(d).await;
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_lease_gets_its_connections_and_no_more() {
		let l = LeaseLimits::new(2, 100);
		let who = AccountId32::new([1; 32]);
		let a = l.admit(1, &who).unwrap();
		let _b = l.admit(1, &who).unwrap();
		assert!(matches!(l.admit(1, &who), Err(GatewayError::TooManyConnections(_))));
		assert!(l.admit(2, &who).is_ok(), "another lease is not affected");
		drop(a);
		assert!(l.admit(1, &who).is_ok());
	}

	/// #37 defect 1: sessions were bounded per lease only; an account with many leases on
	/// the agent could hold their bound times its leases.
	#[test]
	fn an_account_with_many_leases_gets_its_own_bound_in_all() {
		let l = LeaseLimits::new(4, 6);
		let (who, other) = (AccountId32::new([1; 32]), AccountId32::new([2; 32]));
		let held: Vec<_> = (0..6).map(|i| l.admit(i / 2, &who).unwrap()).collect();
		let refused = l.admit(10, &who).err().expect("over the account's bound");
		assert!(refused.to_string().contains("open sessions"), "{refused}");
		assert!(l.admit(11, &other).is_ok(), "another account is not affected");
		drop(held);
		assert!(l.admit(10, &who).is_ok(), "its sessions ended: it may open more");
	}
}
