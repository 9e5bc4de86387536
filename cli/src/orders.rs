//! `uranus order …`: place (after showing the quote), status, cancel, top up.

use crate::{chain::Chain, error::CliError, keys::Key};
use std::io::{BufRead, IsTerminal, Write};
use subxt::{dynamic::Value, rpcs::rpc_params};

/// What `uranus order place` asks for.
pub struct PlaceArgs {
	/// The image's manifest digest (`sha256:<hex>` or 64 hex digits).
	pub image: String,
	/// CPU in millicores.
	pub cpu_millicores: u32,
	/// Memory in bytes.
	pub memory_bytes: u64,
	/// Storage in bytes.
	pub storage_bytes: u64,
	/// Most blocks the order runs.
	pub blocks: u32,
	/// Blocks prepaid into escrow now.
	pub prepaid: u32,
	/// Replicas.
	pub replicas: u32,
	/// Price caps as a multiple of today's prices.
	pub cap_factor: u32,
	/// The command, when not the image's.
	pub cmd: Vec<String>,
	/// Skip the confirmation.
	pub yes: bool,
}

/// The 32 bytes of an image digest.
pub fn parse_digest(s: &str) -> Result<[u8; 32], CliError> {
	let h = s.strip_prefix("sha256:").or_else(|| s.strip_prefix("0x")).unwrap_or(s);
	hex::decode(h)
		.ok()
		.and_then(|b| b.try_into().ok())
		.ok_or_else(|| CliError::Other(anyhow::anyhow!("{s:?} is not sha256:<64 hex digits>")))
}

const PRICE_FIELDS: [(&str, &str); 4] = [
	("cpu_core_second", "cpuCoreSecond"),
	("memory_gib_second", "memoryGibSecond"),
	("network_mib", "networkMib"),
	("storage_gib_second", "storageGibSecond"),
];

fn planck(v: &serde_json::Value) -> u128 {
	v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64().map(u128::from)).unwrap_or(0)
}

/// Whole tokens (12 decimals) of `planck`, for people.
pub fn ura(planck: u128) -> String {
	format!("{}.{:06} URA", planck / 1_000_000_000_000, (planck % 1_000_000_000_000) / 1_000_000)
}

/// `uranus order place`.
pub async fn place(chain: &Chain, key: &Key, a: PlaceArgs) -> Result<u64, CliError> {
	let digest = parse_digest(&a.image)?;
	let image = format!("sha256:{}", hex::encode(digest));
	let spec = serde_json::json!({
		"cpuMillicores": a.cpu_millicores,
		"memoryBytes": a.memory_bytes,
		"storageBytes": a.storage_bytes,
		"bandwidthBps": 0,
	});
	// Today's prices: a quote against caps no price reaches.
	let loose: serde_json::Map<String, serde_json::Value> =
		PRICE_FIELDS.iter().map(|(_, j)| (j.to_string(), serde_json::json!(u64::MAX))).collect();
	let now: serde_json::Value = chain
		.rpc("market_quote", rpc_params![image.clone(), spec.clone(), a.replicas, 1, loose])
		.await?;
	if now.is_null() {
		return Err(CliError::NotFound(format!("no image {image} on chain")));
	}
	let caps: Vec<u128> = PRICE_FIELDS
		.iter()
		.map(|(_, j)| planck(&now["prices"][*j]).saturating_mul(a.cap_factor as u128))
		.collect();
	let caps_json: serde_json::Map<String, serde_json::Value> = PRICE_FIELDS
		.iter()
		.zip(&caps)
		.map(|((_, j), c)| (j.to_string(), serde_json::json!(*c as u64)))
		.collect();
	let q: serde_json::Value = chain
		.rpc("market_quote", rpc_params![image.clone(), spec, a.replicas, a.prepaid, caps_json])
		.await?;
	eprintln!(
		"quote: holds {} now (escrow {} per replica × {}, image fee {}); at most {} per block \
		 per replica at today's prices; caps {}× today's",
		ura(planck(&q["escrow"])),
		ura(planck(&q["escrowPerReplica"])),
		a.replicas,
		ura(planck(&q["imageFee"])),
		ura(planck(&q["perBlockAtPrices"])),
		a.cap_factor,
	);
	if !a.yes {
		if !std::io::stdin().is_terminal() {
			return Err(CliError::Declined(
				"confirmation needed: run in a terminal or pass --yes".into(),
			));
		}
		eprint!("place this order? [y/N] ");
		std::io::stderr().flush().ok();
		let mut line = String::new();
		std::io::stdin().lock().read_line(&mut line).ok();
		if !matches!(line.trim(), "y" | "Y" | "yes") {
			return Err(CliError::Declined("not placed".into()));
		}
	}
	let before = last_order(chain, key).await?;
	let spec_v = Value::named_composite([
		("cpu_millicores", Value::u128(a.cpu_millicores as u128)),
		("memory_bytes", Value::u128(a.memory_bytes as u128)),
		("storage_bytes", Value::u128(a.storage_bytes as u128)),
		("bandwidth_bps", Value::u128(0)),
	]);
	let caps_v = Value::named_composite(
		PRICE_FIELDS.iter().zip(&caps).map(|((r, _), c)| (*r, Value::u128(*c))).collect::<Vec<_>>(),
	);
	let command = Value::unnamed_composite(
		a.cmd.iter().map(|c| Value::from_bytes(c.as_bytes())).collect::<Vec<_>>(),
	);
	chain
		.submit(
			key,
			"Market",
			"place_order",
			vec![
				Value::from_bytes(digest),
				spec_v,
				command,
				Value::u128(a.replicas as u128),
				Value::u128(a.blocks as u128),
				Value::u128(a.prepaid as u128),
				caps_v,
				Value::unnamed_composite(Vec::<Value>::new()),
				Value::bool(false),
			],
		)
		.await?;
	let id = last_order(chain, key)
		.await?
		.filter(|id| Some(*id) != before)
		.ok_or_else(|| CliError::Chain("the order is not among the account's orders".into()))?;
	println!("{id}");
	Ok(id)
}

async fn last_order(chain: &Chain, key: &Key) -> Result<Option<u64>, CliError> {
	let orders: Vec<serde_json::Value> =
		chain.rpc("market_orders", rpc_params![key.ss58(), Option::<u64>::None, 1000u32]).await?;
	Ok(orders.iter().filter_map(|o| o["id"].as_u64()).max())
}

/// `uranus order status ID`: the order and its leases.
pub async fn status(chain: &Chain, id: u64) -> Result<(), CliError> {
	let order = chain.order(id).await?;
	let leases: serde_json::Value = chain
		.rpc("market_leases", rpc_params![id, Option::<String>::None, Option::<u64>::None, 100u32])
		.await?;
	let out = serde_json::json!({ "order": order, "leases": leases });
	println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
	Ok(())
}

/// `uranus order cancel ID`.
pub async fn cancel(chain: &Chain, key: &Key, id: u64) -> Result<(), CliError> {
	chain.submit(key, "Market", "cancel_order", vec![Value::u128(id as u128)]).await
}

/// `uranus order top-up ID --blocks N`.
pub async fn top_up(chain: &Chain, key: &Key, id: u64, blocks: u32) -> Result<(), CliError> {
	chain
		.submit(key, "Market", "top_up", vec![Value::u128(id as u128), Value::u128(blocks as u128)])
		.await
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn digests_and_amounts_read_and_print() {
		let d = format!("sha256:{}", "ab".repeat(32));
		assert_eq!(parse_digest(&d).unwrap(), [0xab; 32]);
		assert_eq!(parse_digest(&"ab".repeat(32)).unwrap(), [0xab; 32]);
		assert!(parse_digest("sha256:abc").is_err());
		assert_eq!(ura(1_500_000_000_000), "1.500000 URA");
		assert_eq!(planck(&serde_json::json!("123")), 123);
	}
}
