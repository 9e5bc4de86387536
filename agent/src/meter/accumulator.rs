//! Cumulative metering of one job.
//!
//! ```text
//! cpu, rx, tx      = max(previous, reading)        (kernel counters, monotone)
//! memory·s        += (m_prev + m_now) / 2 · Δt     (trapezoid rule)
//! peak             = max(peak, kernel peak, m_now)
//! seq             += 1 per sample
//! ```

use serde::{Deserialize, Serialize};
use uranus_primitives::agent::{LeaseId, MeteringReport};

/// One raw reading of a job's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawSample {
	/// CPU time, microseconds (cumulative).
	pub cpu_micros: u64,
	/// Memory in use now, bytes.
	pub memory_bytes: u64,
	/// Kernel-recorded memory peak, bytes (0 if unknown).
	pub memory_peak_bytes: u64,
	/// Bytes received (cumulative).
	pub net_rx_bytes: u64,
	/// Bytes sent (cumulative).
	pub net_tx_bytes: u64,
	/// Bytes used on the scratch volume now.
	pub disk_used_bytes: u64,
}

/// The persisted metering state of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulator {
	/// The lease metered.
	pub lease_id: LeaseId,
	/// Samples taken so far.
	pub seq: u64,
	/// CPU time, microseconds.
	pub cpu_micros: u64,
	/// Memory integral in byte-milliseconds (kept precise; reported in byte-seconds).
	pub memory_byte_millis: u128,
	/// Memory at the last sample.
	pub last_memory_bytes: u64,
	/// Highest memory use seen.
	pub memory_peak_bytes: u64,
	/// Bytes received.
	pub net_rx_bytes: u64,
	/// Bytes sent.
	pub net_tx_bytes: u64,
	/// Bytes on the scratch volume at the last sample.
	pub disk_used_bytes: u64,
	/// Unix ms the job started (wall time origin).
	pub started_at_ms: u64,
	/// Unix ms of the last sample.
	pub last_sample_ms: u64,
	/// Whether the final sample was taken.
	pub is_final: bool,
}

impl Accumulator {
	/// A fresh accumulator for a job that started at `started_at_ms`.
	pub fn new(lease_id: LeaseId, started_at_ms: u64) -> Self {
		Self { lease_id, started_at_ms, last_sample_ms: started_at_ms, ..Default::default() }
	}

	/// Adds a reading taken at `now_ms`. A final sample freezes the counters.
	pub fn record(&mut self, s: RawSample, now_ms: u64, is_final: bool) {
		if self.is_final {
			return;
		}
		let now_ms = now_ms.max(self.last_sample_ms);
		let dt = (now_ms - self.last_sample_ms) as u128;
		let avg = (self.last_memory_bytes as u128 + s.memory_bytes as u128) / 2;
		self.memory_byte_millis = self.memory_byte_millis.saturating_add(avg.saturating_mul(dt));
		self.last_memory_bytes = s.memory_bytes;
		self.cpu_micros = self.cpu_micros.max(s.cpu_micros);
		self.memory_peak_bytes =
			self.memory_peak_bytes.max(s.memory_peak_bytes).max(s.memory_bytes);
		self.net_rx_bytes = self.net_rx_bytes.max(s.net_rx_bytes);
		self.net_tx_bytes = self.net_tx_bytes.max(s.net_tx_bytes);
		self.disk_used_bytes = s.disk_used_bytes;
		self.last_sample_ms = now_ms;
		self.seq = self.seq.saturating_add(1);
		self.is_final = is_final;
	}

	/// The report for the API.
	pub fn report(&self) -> MeteringReport {
		MeteringReport {
			lease_id: self.lease_id,
			seq: self.seq,
			cpu_micros: self.cpu_micros,
			memory_byte_seconds: u64::try_from(self.memory_byte_millis / 1000).unwrap_or(u64::MAX),
			memory_peak_bytes: self.memory_peak_bytes,
			net_rx_bytes: self.net_rx_bytes,
			net_tx_bytes: self.net_tx_bytes,
			disk_used_bytes: self.disk_used_bytes,
			wall_millis: self.last_sample_ms.saturating_sub(self.started_at_ms),
			sampled_at_ms: self.last_sample_ms,
			is_final: self.is_final,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn s(cpu: u64, mem: u64) -> RawSample {
		RawSample { cpu_micros: cpu, memory_bytes: mem, ..Default::default() }
	}

	#[test]
	fn integrates_memory_and_counts_samples() {
		let mut a = Accumulator::new(1, 1_000);
		a.record(s(10, 1_000), 2_000, false); // avg 500 B over 1 s
		a.record(s(20, 1_000), 4_000, false); // 1000 B over 2 s
		let r = a.report();
		assert_eq!(r.seq, 2);
		assert_eq!(r.memory_byte_seconds, 2_500);
		assert_eq!(r.cpu_micros, 20);
		assert_eq!(r.wall_millis, 3_000);
		assert_eq!(r.memory_peak_bytes, 1_000);
	}

	#[test]
	fn counters_never_go_backwards() {
		let mut a = Accumulator::new(1, 0);
		a.record(
			RawSample { cpu_micros: 500, net_rx_bytes: 9, net_tx_bytes: 7, ..Default::default() },
			10,
			false,
		);
		// A smaller reading (e.g. a counter re-read after a restart) does not lower the totals.
		a.record(
			RawSample { cpu_micros: 100, net_rx_bytes: 1, net_tx_bytes: 1, ..Default::default() },
			5,
			false,
		);
		let r = a.report();
		assert_eq!((r.cpu_micros, r.net_rx_bytes, r.net_tx_bytes), (500, 9, 7));
		assert_eq!(r.seq, 2);
		assert_eq!(r.sampled_at_ms, 10, "time never goes backwards");
	}

	#[test]
	fn a_final_sample_freezes_the_report() {
		let mut a = Accumulator::new(1, 0);
		a.record(s(5, 0), 10, true);
		a.record(s(50, 0), 20, false);
		assert_eq!(a.report().cpu_micros, 5);
		assert!(a.report().is_final);
		assert_eq!(a.report().seq, 1);
	}
}
