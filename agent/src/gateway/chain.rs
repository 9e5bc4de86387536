//! Who a lease's user is, from the provider's node (`market_lease` over JSON-RPC).

use super::error::GatewayError;
use sp_core::crypto::{AccountId32, Ss58Codec};
use std::{collections::HashMap, sync::Mutex};

/// Most leases whose user is remembered (a lease's user never changes).
const CACHE_CAP: usize = 10_000;

/// A JSON-RPC client of the provider's node.
pub struct NodeClient {
	url: String,
	http: reqwest::Client,
	users: Mutex<HashMap<u64, AccountId32>>,
}

impl NodeClient {
	/// A client of the node at `url` (`http://…`).
	pub fn new(url: String) -> NodeClient {
		let http = reqwest::Client::builder()
			.timeout(std::time::Duration::from_secs(10))
			.build()
			.expect("a client without TLS options builds");
		NodeClient { url, http, users: Mutex::new(HashMap::new()) }
	}

	/// The account that ordered lease `lease`, or `None` when the chain has no such lease.
	pub async fn lease_user(&self, lease: u64) -> Result<Option<AccountId32>, GatewayError> {
		if let Some(user) = self.users.lock().expect("not poisoned").get(&lease) {
			return Ok(Some(user.clone()));
		}
		let body = serde_json::json!({
			"jsonrpc": "2.0", "id": 1, "method": "market_lease", "params": [lease]
		});
		let unavailable = |e: String| GatewayError::Chain(format!("asking the node: {e}"));
		let reply: serde_json::Value = self
			.http
			.post(&self.url)
			.json(&body)
			.send()
			.await
			.map_err(|e| unavailable(e.to_string()))?
			.json()
			.await
			.map_err(|e| unavailable(e.to_string()))?;
		if let Some(err) = reply.get("error") {
			return Err(unavailable(err.to_string()));
		}
		let result = &reply["result"];
		if result.is_null() {
			return Ok(None);
		}
		let user = result["user"]
			.as_str()
			.and_then(|s| AccountId32::from_ss58check(s).ok())
			.ok_or_else(|| unavailable(format!("a lease without a readable user: {result}")))?;
		let mut users = self.users.lock().expect("not poisoned");
		if users.len() >= CACHE_CAP {
			users.clear();
		}
		users.insert(lease, user.clone());
		Ok(Some(user))
	}
}
