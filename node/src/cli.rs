//! Command-line interface: the standard Substrate CLI plus `benchmark`.

use sc_cli::RunCmd;

/// The `uranus-node` command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options for running the node (`--dev`, `--chain`, `--validator`, `--alice`, ...).
	#[clap(flatten)]
	pub run: RunCmd,

	/// Options of the provider's off-chain worker (`--agent-url`, `--agent-token-file`, ...).
	#[clap(flatten)]
	pub worker: crate::worker_config::WorkerCmd,
}

/// The node's subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management (generate, inspect, insert into the keystore).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (kept for zombienet and older tooling).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a chain.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Build the `Live` chain spec of a network from its operators' validator keys and
	/// governance account (refuses the well-known development keys).
	LiveSpec(crate::live_spec::LiveSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Runtime and node benchmarks (pallet weights, storage, block overhead, machine).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Runtime and node benchmarks: only in a node built with `--features
	/// runtime-benchmarks` (`make bench` builds one); this build says so and exits.
	#[cfg(not(feature = "runtime-benchmarks"))]
	Benchmark {
		/// Whatever was asked of the benchmark command (ignored).
		#[arg(trailing_var_arg = true, allow_hyphen_values = true)]
		args: Vec<String>,
	},
}
