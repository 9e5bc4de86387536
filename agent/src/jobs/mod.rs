//! Jobs: the state machine from request to final metering, persisted in a journal.
//!
//! ```text
//! pending ──pull──▶ pulling ──start──▶ running ──exit──▶ exited | failed (oom, lost)
//!                                          └──DELETE──▶ killed
//! ```

pub mod exec;
pub mod journal;
pub mod manager;
pub mod outputs;
pub mod packing;
pub mod record;
pub mod release;
pub mod sampler;

pub use manager::{JobError, JobManager};
pub use record::JobRecord;

#[cfg(test)]
mod fakes;
#[cfg(test)]
mod tests;
