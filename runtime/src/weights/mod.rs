//! Weights of this runtime measured on the reference machine by `make bench`
//! (`scripts/bench.sh`): the block and extrinsic base weights (`benchmark overhead`), the
//! database weights of a populated ParityDB (`benchmark storage`) and the FRAME pallets every
//! transaction pays for (balances, the system transaction extensions, transaction payment).
//! Our own pallets keep theirs in `pallets/*/src/weights.rs`.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_transaction_payment;
#[allow(unused_doc_comments)] // the generated file documents struct-literal fields
pub mod paritydb_weights;

pub use block_weights::BlockExecutionWeight;
pub use extrinsic_weights::ExtrinsicBaseWeight;
pub use paritydb_weights::constants::ParityDbWeight;
