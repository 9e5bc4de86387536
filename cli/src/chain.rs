//! The chain: a subxt client for transactions and storage, and the node's `market_*` RPC.

use crate::{error::CliError, keys::Key};
use subxt::{
	dynamic::{self, Value},
	ext::scale_decode::DecodeAsType,
	rpcs::{rpc_params, RpcClient},
	OnlineClient, PolkadotConfig,
};

/// A connection to a node.
pub struct Chain {
	/// The subxt client (metadata read from the node).
	pub api: OnlineClient<PolkadotConfig>,
	rpc: RpcClient,
}

/// A provider's gateway as the registry stores it.
#[derive(Debug, Clone, DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
pub struct Gateway {
	/// `https://host:port`.
	pub url: Vec<u8>,
	/// SHA-256 of its certificate.
	pub tls_sha256: [u8; 32],
}

impl Chain {
	/// Connects to the node at `url` (`ws://…`).
	pub async fn connect(url: &str) -> Result<Chain, CliError> {
		let rpc = RpcClient::from_url(url)
			.await
			.map_err(|e| CliError::Chain(format!("cannot connect to {url}: {e}")))?;
		let api = OnlineClient::<PolkadotConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|e| CliError::Chain(format!("reading the chain at {url}: {e}")))?;
		Ok(Chain { api, rpc })
	}

	/// Calls RPC `method` with `params`.
	pub async fn rpc<T: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		params: subxt::rpcs::client::RpcParams,
	) -> Result<T, CliError> {
		self.rpc
			.request(method, params)
			.await
			.map_err(|e| CliError::Chain(format!("{method}: {e}")))
	}

	/// `market_lease(id)`.
	pub async fn lease(&self, id: u64) -> Result<serde_json::Value, CliError> {
		let v: serde_json::Value = self.rpc("market_lease", rpc_params![id]).await?;
		if v.is_null() {
			return Err(CliError::NotFound(format!("no lease {id} on chain")));
		}
		Ok(v)
	}

	/// `market_order(id)`.
	pub async fn order(&self, id: u64) -> Result<serde_json::Value, CliError> {
		let v: serde_json::Value = self.rpc("market_order", rpc_params![id]).await?;
		if v.is_null() {
			return Err(CliError::NotFound(format!("no order {id} on chain")));
		}
		Ok(v)
	}

	/// The gateway provider `account` (32 bytes) announced, if any.
	pub async fn gateway_of(&self, account: [u8; 32]) -> Result<Option<Gateway>, CliError> {
		let at = self.api.at_current_block().await.map_err(|e| CliError::Chain(e.to_string()))?;
		let addr = dynamic::storage::<([u8; 32],), Gateway>("Registry", "Gateways");
		match at.storage().try_fetch(addr, (account,)).await {
			Ok(Some(v)) => Ok(Some(v.decode().map_err(|e| CliError::Chain(e.to_string()))?)),
			Ok(None) => Ok(None),
			Err(e) => Err(CliError::Chain(format!("Registry.Gateways: {e}"))),
		}
	}

	/// Signs `pallet.call(args)` with `key`, submits it and waits until it is finalized,
	/// reporting progress on stderr. A dispatch error is [`CliError::Refused`].
	pub async fn submit(
		&self,
		key: &Key,
		pallet: &str,
		call: &str,
		args: Vec<Value>,
	) -> Result<(), CliError> {
		let tx = dynamic::transaction(pallet, call, args);
		let at = self.api.at_current_block().await.map_err(|e| CliError::Chain(e.to_string()))?;
		// The nonce counts what the account already has in the pool (a provider's worker
		// signs heartbeats with the same key): the state of the finalized block does not.
		let nonce: u64 = self.rpc("system_accountNextIndex", rpc_params![key.ss58()]).await?;
		let params = subxt::config::PolkadotExtrinsicParamsBuilder::<PolkadotConfig>::new()
			.nonce(nonce)
			.build();
		eprintln!("signing {pallet}.{call} as {}", key.ss58());
		let progress = at
			.transactions()
			.sign_and_submit_then_watch(&tx, key, params)
			.await
			.map_err(|e| CliError::Refused(format!("{pallet}.{call}: {e}")))?;
		eprintln!("sent; waiting for finality");
		progress
			.wait_for_finalized_success()
			.await
			.map_err(|e| CliError::Refused(format!("{pallet}.{call}: {e}")))?;
		eprintln!("finalized");
		Ok(())
	}
}
