//! How the provider's off-chain worker gets the agent's bearer token without the secret ever
//! entering chain-node storage.
//!
//! The node reads the token file (`--agent-token-file`, mode 0600 or narrower) and holds the
//! token in memory. It registers an [`AgentTokenExt`] for off-chain worker runs only, and the
//! worker asks for the token through the host function [`uranus_agent::token`]. Nothing is
//! written to the off-chain database, which `offchain_localStorageGet` (an unsafe RPC) reads.
//!
//! Outside an off-chain worker run (block import, RPC calls, a node without a token) the host
//! function answers an empty token: no `Authorization` header is sent.
//!
//! The runtime imports this host function, so a node must provide it before a runtime that
//! calls it is enacted (the node release comes first, as for every new host function).

#[cfg(feature = "std")]
use alloc::sync::Arc;
use alloc::vec::Vec;
#[cfg(feature = "std")]
use sp_externalities::ExternalitiesExt;
use sp_runtime_interface::{pass_by::AllocateAndReturnFatPointer, runtime_interface};

/// Where the node keeps the token it read last (empty: none).
#[cfg(feature = "std")]
pub type SharedToken = Arc<std::sync::RwLock<Vec<u8>>>;

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The agent's token as the node holds it now, given to off-chain worker runs.
	pub struct AgentTokenExt(SharedToken);
}

#[cfg(feature = "std")]
impl AgentTokenExt {
	/// An extension that reads `token` at each call (the node updates it in place when the
	/// file changes).
	pub fn new(token: SharedToken) -> Self {
		AgentTokenExt(token)
	}
}

/// Host functions of the Uranus node.
#[runtime_interface]
pub trait UranusAgent {
	/// The agent's bearer token; empty when this run has none (not an off-chain worker run, or
	/// the node has no readable token file).
	fn token(&mut self) -> AllocateAndReturnFatPointer<Vec<u8>> {
		self.extension::<AgentTokenExt>()
			.and_then(|e| e.0.read().ok().map(|t| t.clone()))
			.unwrap_or_default()
	}
}
