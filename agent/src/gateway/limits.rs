//! The gateway's bounds: open connections per lease and bytes per second per stream.

use super::error::GatewayError;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Open connections per lease.
pub struct LeaseLimits {
	per_lease: usize,
	open: Mutex<HashMap<u64, Arc<Semaphore>>>,
}

impl LeaseLimits {
	/// At most `per_lease` connections per lease.
	pub fn new(per_lease: usize) -> LeaseLimits {
		LeaseLimits { per_lease: per_lease.max(1), open: Mutex::new(HashMap::new()) }
	}

	/// A permit for one more connection of `lease`, held while the connection lasts.
	pub fn admit(&self, lease: u64) -> Result<OwnedSemaphorePermit, GatewayError> {
		let mut open = self.open.lock().expect("not poisoned");
		// Forget leases with nothing open.
		open.retain(|_, s| s.available_permits() < self.per_lease);
		let sem = open.entry(lease).or_insert_with(|| Arc::new(Semaphore::new(self.per_lease)));
		sem.clone().try_acquire_owned().map_err(|_| {
			GatewayError::TooManyConnections(format!(
				"lease {lease} already has {} open connections",
				self.per_lease
			))
		})
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
		let l = LeaseLimits::new(2);
		let a = l.admit(1).unwrap();
		let _b = l.admit(1).unwrap();
		assert!(matches!(l.admit(1), Err(GatewayError::TooManyConnections(_))));
		assert!(l.admit(2).is_ok(), "another lease is not affected");
		drop(a);
		assert!(l.admit(1).is_ok());
	}
}
