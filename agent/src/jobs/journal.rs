//! The durable job journal: one redb table, lease id → JSON job record. Every state change
//! and every metering sample is committed (fsync) before the API reports it, so `kill -9`
//! of the agent loses nothing that was reported.

use super::record::JobRecord;
use redb::{Database, ReadableTable, TableDefinition};
use std::path::Path;
use uranus_primitives::agent::LeaseId;

const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	/// The database failed.
	#[error("journal database: {0}")]
	Db(String),
	/// A record did not decode.
	#[error("journal record {lease}: {err}")]
	Decode {
		/// The lease.
		lease: LeaseId,
		/// The cause.
		err: serde_json::Error,
	},
}

fn db_error<E: std::fmt::Display>(e: E) -> JournalError {
	JournalError::Db(e.to_string())
}

/// The journal.
pub struct Journal {
	db: Database,
}

impl Journal {
	/// Opens (or creates) the journal at `path`.
	pub fn open(path: &Path) -> Result<Journal, JournalError> {
		let db = Database::create(path).map_err(db_error)?;
		let tx = db.begin_write().map_err(db_err)?;
		tx.open_table(JOBS).map_err(db_error)?;
		tx.commit().map_err(db_error)?;
		Ok(Journal { db })
	}

	/// Stores `record` durably.
	pub fn put(&self, record: &JobRecord) -> Result<(), JournalError> {
		let bytes = serde_json::to_vec(record)
			.map_err(|err| JournalError::Decode { lease: record.request.lease_id, err })?;
		let tx = self.db.begin_write().map_err(db_err)?;
		{
			let mut t = tx.open_table(JOBS).map_err(db_error)?;
			t.insert(record.request.lease_id, bytes.as_slice()).map_err(db_error)?;
		}
		tx.commit().map_err(db_error)
	}

	/// Removes the record of `lease`.
	pub fn remove(&self, lease: LeaseId) -> Result<(), JournalError> {
		let tx = self.db.begin_write().map_err(db_err)?;
		{
			let mut t = tx.open_table(JOBS).map_err(db_error)?;
			t.remove(lease).map_err(db_error)?;
		}
		tx.commit().map_err(db_error)
	}

	/// All records.
	pub fn load_all(&self) -> Result<Vec<JobRecord>, JournalError> {
		let tx = self.db.begin_read().map_err(db_error)?;
		let t = tx.open_table(JOBS).map_err(db_error)?;
		let mut out = Vec::new();
		for item in t.iter().map_err(db_error)? {
			let (k, v) = item.map_err(db_error)?;
			let rec = serde_json::from_slice(v.value())
				.map_err(|err| JournalError::Decode { lease: k.value(), err })?;
			out.push(rec);
		}
		Ok(out)
	}
}

fn db_err(e: redb::TransactionError) -> JournalError {
	JournalError::Db(e.to_string())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::jobs::record::JobRecord;
	use uranus_primitives::agent::{JobRequest, JobState, ResourceLimits};

	fn record(lease: u64) -> JobRecord {
		JobRecord::new(
			JobRequest {
				lease_id: lease,
				image: "r/x@sha256:00".into(),
				command: vec![],
				env: vec![],
				limits: ResourceLimits {
					cpu_millicores: 1,
					memory_bytes: 1,
					pids: 1,
					disk_bytes: 1,
					bandwidth_bps: 0,
				},
			},
			5,
		)
	}

	#[test]
	fn records_survive_reopening() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		{
			let j = Journal::open(&path).unwrap();
			let mut r = record(1);
			r.state = JobState::Running;
			r.meter.seq = 9;
			j.put(&r).unwrap();
			j.put(&record(2)).unwrap();
			j.remove(2).unwrap();
		}
		let j = Journal::open(&path).unwrap();
		let all = j.load_all().unwrap();
		assert_eq!(all.len(), 1);
		assert_eq!(all[0].state, JobState::Running);
		assert_eq!(all[0].meter.seq, 9);
	}
}
