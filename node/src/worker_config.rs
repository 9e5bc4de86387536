//! Node configuration of the provider's off-chain worker: command-line flags written into the
//! off-chain database, where `pallet-worker` reads them ([`uranus_primitives::worker`]).
//!
//! The agent's token file is re-read every few seconds, so the node may start before the agent
//! creates it, and a token the agent replaces reaches the worker without a node restart.

use codec::Encode;
use sp_core::offchain::OffchainStorage;
use std::{path::PathBuf, time::Duration};
use uranus_primitives::worker::{WorkerConfig, CONFIG_KEY, DEFAULT_AGENT_URL};

/// Flags of the provider's off-chain worker (it runs only when the keystore holds a `cmpt`
/// provider key).
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerCmd {
	/// Base URL of the local `uranus-agent` API.
	#[arg(long, value_name = "URL", default_value = DEFAULT_AGENT_URL)]
	pub agent_url: String,

	/// The agent's token file (`<agent data dir>/agent.token`); without it no token is sent.
	#[arg(long, value_name = "PATH")]
	pub agent_token_file: Option<PathBuf>,

	/// Provider name registered on chain when the provider key is not a provider yet.
	#[arg(long, value_name = "NAME", default_value = "uranus-provider")]
	pub provider_name: String,

	/// Provider region (e.g. `eu-west`).
	#[arg(long, value_name = "REGION", default_value = "")]
	pub provider_region: String,

	/// A provider label orders can require (repeatable).
	#[arg(long = "provider-label", value_name = "LABEL")]
	pub provider_labels: Vec<String>,

	/// How many equal containers to offer the machine as.
	#[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
	pub compute_slices: u32,
}

impl WorkerCmd {
	/// The configuration with the token as the file holds it now (empty when unreadable).
	pub fn config(&self) -> WorkerConfig {
		let agent_token = self
			.agent_token_file
			.as_ref()
			.and_then(|p| std::fs::read_to_string(p).ok())
			.map(|t| t.trim().as_bytes().to_vec())
			.unwrap_or_default();
		WorkerConfig {
			agent_url: self.agent_url.trim_end_matches('/').as_bytes().to_vec(),
			agent_token,
			provider_name: self.provider_name.as_bytes().to_vec(),
			region: self.provider_region.as_bytes().to_vec(),
			labels: self.provider_labels.iter().map(|l| l.as_bytes().to_vec()).collect(),
			slices: self.compute_slices,
		}
	}

	/// Writes the configuration into `db` now and whenever the token file changes.
	pub async fn keep_written<S: OffchainStorage>(self, mut db: S) {
		let mut written: Option<WorkerConfig> = None;
		loop {
			let config = self.config();
			if written.as_ref() != Some(&config) {
				if config.agent_token.is_empty() && self.agent_token_file.is_some() {
					log::warn!(
						target: "uranus::worker",
						"agent token file {:?} is not readable yet; retrying",
						self.agent_token_file
					);
				}
				db.set(sp_offchain::STORAGE_PREFIX, CONFIG_KEY, &config.encode());
				log::info!(
					target: "uranus::worker",
					"off-chain worker: agent {}, {} slice(s), token {}",
					self.agent_url,
					config.slices,
					if config.agent_token.is_empty() { "none" } else { "set" }
				);
				written = Some(config);
			}
			tokio::time::sleep(Duration::from_secs(5)).await;
		}
	}
}
