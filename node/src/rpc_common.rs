//! What the `poc_*`, `registry_*` and `market_*` RPC modules share: the block a call reads
//! (`at`, or the best block), page limits, digests and the shape of their errors.
//!
//! Error codes: `9100 + n` PoC, `9200 + n` registry, `9300 + n` market; `n = 0` a failed
//! runtime API call, `9001` a malformed digest.

use jsonrpsee::types::{error::ErrorObject, ErrorObjectOwned};
use pallet_registry::ImageDigest;
use sp_blockchain::HeaderBackend;
use uranus_runtime::{opaque::Block, Hash};

/// Records a list returns when the caller gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 100;

/// Error code of a malformed digest.
pub const BAD_DIGEST: i32 = 9001;

/// One RPC module's runtime API: its error code and name for messages.
#[derive(Clone, Copy, Debug)]
pub struct Api {
	/// Error code of a failed runtime API call of this module.
	pub code: i32,
	/// Its name in messages (`"market"`).
	pub name: &'static str,
}

impl Api {
	/// The error of a failed runtime API call `e`.
	pub fn error(self, e: impl std::fmt::Debug) -> ErrorObjectOwned {
		ErrorObject::owned(
			self.code,
			format!("{} runtime API call failed", self.name),
			Some(format!("{e:?}")),
		)
	}
}

/// The block a call reads: `at`, or the client's best block.
pub fn at<C: HeaderBackend<Block>>(client: &C, at: Option<Hash>) -> Hash {
	at.unwrap_or_else(|| client.info().best_hash)
}

/// The page size of a list call (the runtime caps it at its own maximum too).
pub fn limit(limit: Option<u32>) -> u32 {
	limit.unwrap_or(DEFAULT_LIMIT).min(pallet_registry::views::MAX_PAGE)
}

/// Parses `sha256:<64 hex>` or `0x<64 hex>`.
pub fn parse_digest(s: &str) -> Result<ImageDigest, ErrorObjectOwned> {
	let hex_part = s.strip_prefix("sha256:").or_else(|| s.strip_prefix("0x")).unwrap_or(s);
	let bytes = hex::decode(hex_part).ok().filter(|b| b.len() == 32).ok_or_else(|| {
		ErrorObject::owned(
			BAD_DIGEST,
			"a digest is sha256:<64 hex digits> or 0x<64 hex digits>",
			Some(s.to_string()),
		)
	})?;
	let mut digest = [0u8; 32];
	digest.copy_from_slice(&bytes);
	Ok(digest)
}
