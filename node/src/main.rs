//! `uranus-node`: the Uranus blockchain node.
#![warn(missing_docs)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod live_spec;
mod market_rpc;
mod poc_rpc;
mod registry_rpc;
mod rpc;
mod rpc_common;
mod service;
mod worker_config;

fn main() -> sc_cli::Result<()> {
	command::run()
}
