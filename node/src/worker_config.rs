//! Node configuration of the provider's off-chain worker: command-line flags written into the
//! off-chain database, where `pallet-worker` reads them ([`uranus_primitives::worker`]), and
//! the agent's token, held in memory only and handed to worker runs by a host function
//! ([`uranus_primitives::agent_token`]): the off-chain database is readable over RPC.
//!
//! The agent's token file is re-read every few seconds, so the node may start before the agent
//! creates it, and a token the agent replaces reaches the worker without a node restart.

use codec::Encode;
use sp_core::offchain::OffchainStorage;
use std::{
	path::{Path, PathBuf},
	time::Duration,
};
use uranus_primitives::{
	agent_token::SharedToken,
	worker::{
		LegacyWorkerConfig, WorkerConfig, CONFIG_KEY, DEFAULT_AGENT_URL,
		TOKEN_HOST_FUNCTION_SINCE_SPEC,
	},
};

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
	/// The configuration the worker reads from the off-chain database (no secret in it).
	pub fn config(&self) -> WorkerConfig {
		WorkerConfig {
			agent_url: self.agent_url.trim_end_matches('/').as_bytes().to_vec(),
			provider_name: self.provider_name.as_bytes().to_vec(),
			region: self.provider_region.as_bytes().to_vec(),
			labels: self.provider_labels.iter().map(|l| l.as_bytes().to_vec()).collect(),
			slices: self.compute_slices,
		}
	}

	/// Writes the configuration into `db`, and keeps `token` (which off-chain worker runs read
	/// through [`uranus_primitives::agent_token`]) equal to what the token file holds: read
	/// now and every few seconds, so the node may start before the agent makes the file and a
	/// replaced token arrives without a restart. A file that others may read is refused.
	///
	/// `spec_version` says which runtime is in force: one older than
	/// [`TOKEN_HOST_FUNCTION_SINCE_SPEC`] still reads the token from the database (the layout
	/// it decodes, [`LegacyWorkerConfig`]); once the newer runtime is enacted the record is
	/// written again without it.
	pub async fn keep_written<S: OffchainStorage>(
		self,
		mut db: S,
		token: SharedToken,
		spec_version: impl Fn() -> Option<u32> + Send,
	) {
		let config = self.config();
		let mut written: Option<Vec<u8>> = None;
		let mut last_read: Option<Result<(), String>> = None;
		loop {
			if let Some(path) = &self.agent_token_file {
				let read = read_token_file(path);
				let now = read.as_ref().map(|_| ()).map_err(|e| e.to_string());
				if let Ok(mut held) = token.write() {
					match read {
						Ok(t) if *held != t => *held = t,
						Ok(_) => {},
						Err(_) => held.clear(),
					}
				}
				if last_read.as_ref() != Some(&now) {
					match &now {
						Ok(()) => {
							log::info!(target: "uranus::worker", "agent token read from {path:?}")
						},
						Err(e) => log::warn!(
							target: "uranus::worker",
							"no agent token (retrying every {TOKEN_REREAD:?}): {e}"
						),
					}
					last_read = Some(now);
				}
			}
			let legacy = spec_version().filter(|v| *v < TOKEN_HOST_FUNCTION_SINCE_SPEC);
			let record = match legacy {
				Some(_) => {
					let held = token.read().map(|t| t.clone()).unwrap_or_default();
					LegacyWorkerConfig::new(config.clone(), held).encode()
				},
				None => config.encode(),
			};
			if written.as_ref() != Some(&record) {
				// Overwrites what was there, an older layout's token included.
				db.set(sp_offchain::STORAGE_PREFIX, CONFIG_KEY, &record);
				log::info!(
					target: "uranus::worker",
					"off-chain worker: agent {}, {} slice(s){}",
					self.agent_url,
					config.slices,
					match legacy {
						Some(v) => format!(
							"; runtime {v} reads the token from the off-chain database until \
							 runtime {TOKEN_HOST_FUNCTION_SINCE_SPEC} is enacted"
						),
						None => String::new(),
					}
				);
				written = Some(record);
			}
			tokio::time::sleep(TOKEN_REREAD).await;
		}
	}
}

/// How often the token file is read again.
const TOKEN_REREAD: Duration = Duration::from_secs(5);

/// Why a token file is not used.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
	/// It cannot be read (not there yet, or no permission).
	#[error("cannot read {path:?}: {err}")]
	Unreadable {
		/// The file.
		path: PathBuf,
		/// The error.
		err: std::io::Error,
	},
	/// Its group or others may read or write it.
	#[error("{path:?} has mode {mode:04o}: others may read the secret; `chmod 600` it")]
	TooOpen {
		/// The file.
		path: PathBuf,
		/// Its permission bits.
		mode: u32,
	},
	/// It holds no token.
	#[error("{0:?} is empty")]
	Empty(PathBuf),
}

/// The token in file `path`, which must be mode 0600 or narrower.
pub fn read_token_file(path: &Path) -> Result<Vec<u8>, TokenFileError> {
	use std::{io::Read, os::unix::fs::PermissionsExt};
	let unreadable = |err| TokenFileError::Unreadable { path: path.to_owned(), err };
	// The mode is checked on the file that is read (no swap between the check and the read).
	let mut file = std::fs::File::open(path).map_err(unreadable)?;
	let mode = file.metadata().map_err(unreadable)?.permissions().mode() & 0o7777;
	if mode & 0o077 != 0 {
		return Err(TokenFileError::TooOpen { path: path.to_owned(), mode });
	}
	let mut text = String::new();
	// A token is 64 hex digits; more than a page is not a token file.
	file.by_ref().take(4096).read_to_string(&mut text).map_err(unreadable)?;
	let token = text.trim().as_bytes().to_vec();
	if token.is_empty() {
		return Err(TokenFileError::Empty(path.to_owned()));
	}
	Ok(token)
}
