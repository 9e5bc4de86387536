//! What the worker remembers between runs, in the node's persistent off-chain storage: it
//! survives node restarts and is shared by workers of concurrent blocks (writes happen under
//! the worker's storage lock).

use codec::{Decode, Encode};
use sp_runtime::offchain::storage::StorageValueRef;
use uranus_primitives::worker::{WorkerConfig, CONFIG_KEY};

/// Key of the worker's lock.
pub const LOCK_KEY: &[u8] = b"uranus::worker::lock";
const MACHINE_KEY: &[u8] = b"uranus::worker::machine";
const PENDING_KEY: &[u8] = b"uranus::worker::pending";
const BACKOFF_KEY: &[u8] = b"uranus::worker::backoff";
const LEASES_KEY: &[u8] = b"uranus::worker::had_leases";

/// A transaction the worker sent and waits to see included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Pending<BlockNumber> {
	/// The block whose worker sent it.
	pub at: BlockNumber,
	/// The account nonce it was sent with: included once the on-chain nonce is above.
	pub nonce: u64,
	/// What it was.
	pub action: u8,
	/// How many times in a row this action was sent.
	pub repeats: u32,
}

/// When the worker tries again after failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Backoff<BlockNumber> {
	/// Failures in a row.
	pub failures: u32,
	/// No attempt before this block.
	pub until: BlockNumber,
}

/// The node's worker configuration, or the defaults when the node wrote none.
pub fn config() -> WorkerConfig {
	StorageValueRef::persistent(CONFIG_KEY).get::<WorkerConfig>().ok().flatten().unwrap_or_default()
}

/// The machine this node's agent is registered as.
pub fn machine() -> Option<u64> {
	StorageValueRef::persistent(MACHINE_KEY).get::<u64>().ok().flatten()
}

/// Remembers the machine this node's agent is registered as.
pub fn set_machine(id: u64) {
	StorageValueRef::persistent(MACHINE_KEY).set(&id);
}

/// Forgets the machine (it was removed on chain).
pub fn clear_machine() {
	StorageValueRef::persistent(MACHINE_KEY).clear();
}

/// The transaction in flight.
pub fn pending<B: Decode>() -> Option<Pending<B>> {
	StorageValueRef::persistent(PENDING_KEY).get::<Pending<B>>().ok().flatten()
}

/// Records the transaction in flight.
pub fn set_pending<B: Encode>(p: &Pending<B>) {
	StorageValueRef::persistent(PENDING_KEY).set(p);
}

/// Forgets the transaction in flight (the next send of the same call counts from zero).
pub fn clear_pending() {
	StorageValueRef::persistent(PENDING_KEY).clear();
}

/// The current back-off.
pub fn backoff<B: Decode>() -> Option<Backoff<B>> {
	StorageValueRef::persistent(BACKOFF_KEY).get::<Backoff<B>>().ok().flatten()
}

/// Records a back-off.
pub fn set_backoff<B: Encode>(b: &Backoff<B>) {
	StorageValueRef::persistent(BACKOFF_KEY).set(b);
}

/// Ends the back-off after a success.
pub fn clear_backoff() {
	StorageValueRef::persistent(BACKOFF_KEY).clear();
}

/// Whether the machine had active leases at the last run (its agent jobs are checked).
pub fn had_leases() -> bool {
	StorageValueRef::persistent(LEASES_KEY).get::<bool>().ok().flatten().unwrap_or(false)
}

/// Records whether the machine has active leases or running jobs.
pub fn set_had_leases(v: bool) {
	StorageValueRef::persistent(LEASES_KEY).set(&v);
}
