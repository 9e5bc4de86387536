//! `uranus-node`: the Uranus blockchain node, as a library that the `uranus-node` binary
//! (`main.rs`) runs. It is a library so that `cargo test` compiles it once: its tests are
//! integration tests (`tests/`), which also link it.
#![warn(missing_docs)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
pub mod cli;
pub mod command;
pub mod live_spec;
mod market_rpc;
mod poc_rpc;
mod registry_rpc;
mod rpc;
pub mod rpc_common;
mod service;
pub mod worker_config;
