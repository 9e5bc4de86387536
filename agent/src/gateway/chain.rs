//! What the chain says about a lease, from the provider's node over JSON-RPC: who its user is
//! and whether it still holds its container.
//!
//! Authorisation reads the **finalised** state (`market_lease(id, <finalised head>)`): a
//! lease only the best block has may be undone by a re-organisation, so it gives no access
//! yet. Each answer is valid for the finalised head it was read at; once finality moves (the
//! head is polled at most every [`FINALIZED_POLL`]), the lease is read again, so a lease that
//! ended on chain loses its live access within a block or two.

use super::error::GatewayError;
use sp_core::crypto::{AccountId32, Ss58Codec};
use std::{
	collections::HashMap,
	sync::Mutex,
	time::{Duration, Instant},
};

/// Most leases whose standing is remembered (for one finalised head each).
const CACHE_CAP: usize = 10_000;
/// How long a finalised head read from the node is used before asking again.
pub const FINALIZED_POLL: Duration = Duration::from_secs(1);

/// A lease as authorisation sees it at the finalised head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseStanding {
	/// The account that ordered it.
	pub user: AccountId32,
	/// Its state on chain (`assigned`, `running`, `paused`, `completed`, …).
	pub state: String,
}

impl LeaseStanding {
	/// Whether it still holds its container (assigned, running or paused): only then may its
	/// user act on the job (a shell); an ended lease keeps read access to its logs and outputs.
	pub fn is_active(&self) -> bool {
		matches!(self.state.as_str(), "assigned" | "running" | "paused")
	}
}

/// A JSON-RPC client of the provider's node.
pub struct NodeClient {
	url: String,
	http: reqwest::Client,
	/// The finalised head and when it was read.
	finalized: Mutex<Option<(String, Instant)>>,
	/// Each lease's standing and the finalised head it was read at.
	leases: Mutex<HashMap<u64, (String, LeaseStanding)>>,
}

impl NodeClient {
	/// A client of the node at `url` (`http://…`).
	pub fn new(url: String) -> NodeClient {
		let http = reqwest::Client::builder()
			.timeout(Duration::from_secs(10))
			.build()
			.expect("a client without TLS options builds");
		NodeClient { url, http, finalized: Mutex::new(None), leases: Mutex::new(HashMap::new()) }
	}

	/// Lease `lease` at the finalised head, or `None` when the finalised chain has no such
	/// lease (yet).
	pub async fn lease(&self, lease: u64) -> Result<Option<LeaseStanding>, GatewayError> {
		let head = self.finalized_head().await?;
		if let Some((at, standing)) = self.leases.lock().expect("not poisoned").get(&lease) {
			if *at == head {
				return Ok(Some(standing.clone()));
			}
		}
		let result = self.call("market_lease", serde_json::json!([lease, head])).await?;
		if result.is_null() {
			self.leases.lock().expect("not poisoned").remove(&lease);
			return Ok(None);
		}
		let user = result["user"]
			.as_str()
			.and_then(|s| AccountId32::from_ss58check(s).ok())
			.ok_or_else(|| unavailable(format!("a lease without a readable user: {result}")))?;
		let state = result["state"]
			.as_str()
			.ok_or_else(|| unavailable(format!("a lease without a state: {result}")))?
			.to_string();
		let standing = LeaseStanding { user, state };
		let mut leases = self.leases.lock().expect("not poisoned");
		if leases.len() >= CACHE_CAP {
			leases.retain(|_, (at, _)| *at == head);
			if leases.len() >= CACHE_CAP {
				leases.clear();
			}
		}
		leases.insert(lease, (head, standing.clone()));
		Ok(Some(standing))
	}

	/// Lease `lease` at the finalised head, waiting up to `wait` for finality to reach it: a
	/// job starts as soon as the provider's node sees its lease in a best block, and its user
	/// may ask for it at once, a block or two before that block is final. `None` if the
	/// finalised chain still has no such lease after `wait`.
	pub async fn lease_once_final(
		&self,
		lease: u64,
		wait: Duration,
	) -> Result<Option<LeaseStanding>, GatewayError> {
		let deadline = Instant::now() + wait;
		loop {
			if let Some(standing) = self.lease(lease).await? {
				return Ok(Some(standing));
			}
			if Instant::now() + FINALIZED_POLL > deadline {
				return Ok(None);
			}
			tokio::time::sleep(FINALIZED_POLL).await;
		}
	}

	/// The finalised head's hash, read again once [`FINALIZED_POLL`] has passed.
	async fn finalized_head(&self) -> Result<String, GatewayError> {
		if let Some((hash, at)) = self.finalized.lock().expect("not poisoned").as_ref() {
			if at.elapsed() < FINALIZED_POLL {
				return Ok(hash.clone());
			}
		}
		let result = self.call("chain_getFinalizedHead", serde_json::json!([])).await?;
		let hash = result
			.as_str()
			.filter(|h| h.starts_with("0x"))
			.ok_or_else(|| unavailable(format!("not a block hash: {result}")))?
			.to_string();
		*self.finalized.lock().expect("not poisoned") = Some((hash.clone(), Instant::now()));
		Ok(hash)
	}

	/// One JSON-RPC call's result.
	async fn call(
		&self,
		method: &str,
		params: serde_json::Value,
	) -> Result<serde_json::Value, GatewayError> {
		let body =
			serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
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
		Ok(reply["result"].clone())
	}
}

fn unavailable(e: String) -> GatewayError {
	GatewayError::Chain(format!("asking the node: {e}"))
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::{extract::State, routing::post, Json};
	use serde_json::{json, Value};
	use std::sync::Arc;

	/// A node's JSON-RPC as the gateway uses it: `chain_getFinalizedHead` and
	/// `market_lease(id, at)` from a table of leases per block hash; `market_lease(id)`
	/// without `at` reads the best block.
	#[derive(Default)]
	struct FakeNode {
		finalized: String,
		best: String,
		/// (block hash, lease) → the lease's JSON view there.
		leases: HashMap<(String, u64), Value>,
		calls: Vec<Value>,
	}

	type Shared = Arc<Mutex<FakeNode>>;

	async fn rpc(State(node): State<Shared>, Json(req): Json<Value>) -> Json<Value> {
		let mut n = node.lock().unwrap();
		n.calls.push(req.clone());
		let result = match req["method"].as_str() {
			Some("chain_getFinalizedHead") => json!(n.finalized),
			Some("market_lease") => {
				let at = req["params"][1].as_str().map(str::to_string).unwrap_or(n.best.clone());
				let id = req["params"][0].as_u64().unwrap();
				n.leases.get(&(at, id)).cloned().unwrap_or(Value::Null)
			},
			_ => return Json(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601}})),
		};
		Json(json!({"jsonrpc": "2.0", "id": 1, "result": result}))
	}

	async fn fake_node() -> (Shared, String) {
		let node: Shared = Default::default();
		let app = axum::Router::new().route("/", post(rpc)).with_state(node.clone());
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let url = format!("http://{}", listener.local_addr().unwrap());
		tokio::spawn(async move { axum::serve(listener, app).await });
		(node, url)
	}

	fn lease_view(user: &AccountId32, state: &str) -> Value {
		json!({ "id": 7, "user": user.to_ss58check(), "state": state })
	}

	fn alice() -> AccountId32 {
		AccountId32::new([1; 32])
	}

	/// #37 defect 8: the gateway authorised from the best block, which a re-organisation may
	/// undo; a lease that only the best block has gives no access.
	#[tokio::test]
	async fn a_lease_only_the_best_block_has_gives_no_access() {
		let (node, url) = fake_node().await;
		{
			let mut n = node.lock().unwrap();
			n.finalized = "0xf1".into();
			n.best = "0xb2".into();
			n.leases.insert(("0xb2".into(), 7), lease_view(&alice(), "running"));
		}
		let client = Arc::new(NodeClient::new(url));
		assert_eq!(client.lease(7).await.unwrap(), None, "access from an unfinalised lease");
		let short = std::time::Duration::from_millis(100);
		assert_eq!(client.lease_once_final(7, short).await.unwrap(), None, "not final in time");
		// A request waiting for finality gets the lease once its block is final.
		let waiting = tokio::spawn({
			let client = client.clone();
			async move { client.lease_once_final(7, std::time::Duration::from_secs(30)).await }
		});
		tokio::time::sleep(std::time::Duration::from_millis(300)).await;
		node.lock().unwrap().finalized = "0xb2".into();
		let standing = waiting.await.unwrap().unwrap().expect("the finalised lease");
		assert_eq!(standing.user, alice());
		assert!(standing.is_active());
	}

	/// #37 defect 8: the answer was cached forever; a lease that ended must lose its live
	/// access once the finalised head shows it ended.
	#[tokio::test]
	async fn a_lease_that_ended_is_seen_ended_once_finalised() {
		let (node, url) = fake_node().await;
		{
			let mut n = node.lock().unwrap();
			n.finalized = "0xf1".into();
			n.best = "0xf1".into();
			n.leases.insert(("0xf1".into(), 7), lease_view(&alice(), "running"));
			n.leases.insert(("0xf2".into(), 7), lease_view(&alice(), "completed"));
		}
		let client = NodeClient::new(url);
		let before = client.lease(7).await.unwrap().expect("the lease");
		assert!(before.is_active());
		// Within one finalised head the answer is remembered.
		assert_eq!(client.lease(7).await.unwrap(), Some(before));
		{
			let mut n = node.lock().unwrap();
			n.finalized = "0xf2".into();
			n.best = "0xf2".into();
			n.leases.remove(&("0xf1".to_string(), 7));
		}
		tokio::time::sleep(FINALIZED_POLL + std::time::Duration::from_millis(50)).await;
		let after = client.lease(7).await.unwrap().expect("the lease");
		assert_eq!(after.state, "completed");
		assert!(!after.is_active(), "an ended lease keeps live access");
		let reads =
			node.lock().unwrap().calls.iter().filter(|c| c["method"] == "market_lease").count();
		assert_eq!(reads, 2, "one read per finalised head");
	}
}
