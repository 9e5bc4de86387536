//! How the node configures its off-chain worker: the node writes a [`WorkerConfig`] into the
//! off-chain database (persistent local storage, key [`CONFIG_KEY`]) at start-up from its
//! command line, and `pallet-worker` reads it on every run. Nothing here goes on chain, and no
//! secret goes here: the agent's token reaches the worker through a host function
//! ([`crate::agent_token`]), since `offchain_localStorageGet` reads this database.

use alloc::vec::Vec;
use codec::{Decode, Encode};

/// Key of the [`WorkerConfig`] in persistent off-chain local storage.
pub const CONFIG_KEY: &[u8] = b"uranus::worker::config";

/// The agent's default API address (`uranus-agent run --listen`).
pub const DEFAULT_AGENT_URL: &str = "http://127.0.0.1:8700";

/// Key type of provider keys: the off-chain worker signs registry and market calls with the
/// first key of this type in the node's keystore (`author_insertKey("cmpt", …)` or
/// `uranus-node key insert --key-type cmpt --scheme sr25519`).
pub const PROVIDER_KEY_TYPE: [u8; 4] = *b"cmpt";

/// The off-chain worker's node-local configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WorkerConfig {
	/// Base URL of the agent's API, e.g. `http://127.0.0.1:8700`.
	pub agent_url: Vec<u8>,
	/// Provider name registered when the provider key is not a provider yet.
	pub provider_name: Vec<u8>,
	/// Provider region.
	pub region: Vec<u8>,
	/// Provider labels (node affinity).
	pub labels: Vec<Vec<u8>>,
	/// How many equal containers to cut the machine into (at least 1).
	pub slices: u32,
}

impl Default for WorkerConfig {
	fn default() -> Self {
		WorkerConfig {
			agent_url: DEFAULT_AGENT_URL.as_bytes().to_vec(),
			provider_name: b"uranus-provider".to_vec(),
			region: Vec::new(),
			labels: Vec::new(),
			slices: 1,
		}
	}
}

/// The first runtime whose worker asks for the agent's token through the host function
/// ([`crate::agent_token`]). Under an older runtime (during an upgrade to this one) the node
/// still writes the token where that runtime reads it, in a [`LegacyWorkerConfig`], and
/// removes it once this runtime is enacted.
pub const TOKEN_HOST_FUNCTION_SINCE_SPEC: u32 = 112;

/// The configuration as runtimes before [`TOKEN_HOST_FUNCTION_SINCE_SPEC`] decode it: the
/// token second.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct LegacyWorkerConfig {
	/// See [`WorkerConfig::agent_url`].
	pub agent_url: Vec<u8>,
	/// The agent's bearer token.
	pub agent_token: Vec<u8>,
	/// See [`WorkerConfig::provider_name`].
	pub provider_name: Vec<u8>,
	/// See [`WorkerConfig::region`].
	pub region: Vec<u8>,
	/// See [`WorkerConfig::labels`].
	pub labels: Vec<Vec<u8>>,
	/// See [`WorkerConfig::slices`].
	pub slices: u32,
}

impl LegacyWorkerConfig {
	/// `config` with `agent_token`, for an older runtime.
	pub fn new(config: WorkerConfig, agent_token: Vec<u8>) -> Self {
		LegacyWorkerConfig {
			agent_url: config.agent_url,
			agent_token,
			provider_name: config.provider_name,
			region: config.region,
			labels: config.labels,
			slices: config.slices,
		}
	}
}
