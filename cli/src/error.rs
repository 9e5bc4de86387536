//! What went wrong, and the exit code each means.

/// A CLI failure.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
	/// The node could not be reached or answered something unexpected (exit 3).
	#[error("chain: {0}")]
	Chain(String),
	/// The chain refused the transaction (exit 4).
	#[error("refused: {0}")]
	Refused(String),
	/// No such order, lease, gateway or output (exit 5).
	#[error("not found: {0}")]
	NotFound(String),
	/// The gateway refused us or could not be trusted (exit 6).
	#[error("gateway: {0}")]
	Gateway(String),
	/// What was downloaded does not match the chain (exit 7).
	#[error("verification failed: {0}")]
	Verification(String),
	/// The user declined, or input is needed but none can be asked for (exit 8).
	#[error("{0}")]
	Declined(String),
	/// An argument clap cannot check, e.g. a malformed fingerprint (exit 2, as clap's own).
	#[error("usage: {0}")]
	Usage(String),
	/// Anything else (exit 1).
	#[error(transparent)]
	Other(#[from] anyhow::Error),
}

impl CliError {
	/// The process exit code.
	pub fn exit_code(&self) -> i32 {
		match self {
			CliError::Other(_) => 1,
			CliError::Usage(_) => 2,
			CliError::Chain(_) => 3,
			CliError::Refused(_) => 4,
			CliError::NotFound(_) => 5,
			CliError::Gateway(_) => 6,
			CliError::Verification(_) => 7,
			CliError::Declined(_) => 8,
		}
	}
}
