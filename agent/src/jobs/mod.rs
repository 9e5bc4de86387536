//! Jobs: the state machine from request to final metering, persisted in a journal.
//!
//! ```text
//! pending ──pull──▶ pulling ──start──▶ running ──exit──▶ exited | failed (oom, lost)
//!                                       ⇅ pause/resume └──DELETE──▶ killed
//!                                     paused ([`states`] says which verb each state allows)
//! ```

pub mod control;
pub mod create;
pub mod errors;
pub mod exec;
pub mod journal;
pub mod manager;
pub mod outputs;
pub mod packing;
pub mod paths;
pub mod record;
pub mod recover;
pub mod release;
pub mod sampler;
pub mod states;

pub use errors::{bounds, creation_failure, JobError};
pub use manager::JobManager;
pub use record::JobRecord;

#[cfg(test)]
mod fakes;
#[cfg(test)]
mod tests;
