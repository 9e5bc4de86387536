//! `registry_*` RPC: providers, machines (with their containers), containers and images,
//! served from the runtime's `RegistryApi` at the best block (or `at`).

use jsonrpsee::{
	core::RpcResult,
	proc_macros::rpc,
	types::{error::ErrorObject, ErrorObjectOwned},
};
use pallet_registry::{
	runtime_api::RegistryApi as RegistryRuntimeApi,
	views::{ContainerView, ImageView, MachineView, ProviderView},
	ContainerId, ImageDigest, MachineId,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use std::sync::Arc;
use uranus_runtime::{opaque::Block, AccountId, Hash};

/// The `registry_*` methods. Lists return at most 256 records; page with `after`.
#[rpc(client, server, namespace = "registry")]
pub trait RegistryApi {
	/// One provider.
	#[method(name = "provider")]
	fn provider(
		&self,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Option<ProviderView<AccountId>>>;

	/// Providers after `after` (storage order).
	#[method(name = "providers")]
	fn providers(
		&self,
		after: Option<AccountId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ProviderView<AccountId>>>;

	/// One machine with its containers.
	#[method(name = "machine")]
	fn machine(&self, id: MachineId, at: Option<Hash>)
		-> RpcResult<Option<MachineView<AccountId>>>;

	/// Machines with ids above `after`; only `owner`'s when given.
	#[method(name = "machines")]
	fn machines(
		&self,
		owner: Option<AccountId>,
		after: Option<MachineId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<MachineView<AccountId>>>;

	/// One container.
	#[method(name = "container")]
	fn container(&self, id: ContainerId, at: Option<Hash>) -> RpcResult<Option<ContainerView>>;

	/// One image, by `sha256:<hex>` or `0x<hex>` manifest digest.
	#[method(name = "image")]
	fn image(&self, digest: String, at: Option<Hash>) -> RpcResult<Option<ImageView<AccountId>>>;

	/// Images after digest `after` (digest order).
	#[method(name = "images")]
	fn images(
		&self,
		after: Option<String>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ImageView<AccountId>>>;
}

/// Serves [`RegistryApiServer`] from a client.
pub struct Registry<C> {
	client: Arc<C>,
}

impl<C> Registry<C> {
	/// A server reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

/// Error code of a failed runtime API call.
const RUNTIME_ERROR: i32 = 9200;
/// Error code of a malformed digest.
const BAD_DIGEST: i32 = 9201;
/// Page size when `limit` is not given.
const DEFAULT_LIMIT: u32 = 100;

fn runtime_error(e: impl std::fmt::Debug) -> ErrorObjectOwned {
	ErrorObject::owned(RUNTIME_ERROR, "registry runtime API call failed", Some(format!("{e:?}")))
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

impl<C> Registry<C>
where
	C: HeaderBackend<Block>,
{
	fn at(&self, at: Option<Hash>) -> Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}
}

impl<C> RegistryApiServer for Registry<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: RegistryRuntimeApi<Block, AccountId>,
{
	fn provider(
		&self,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Option<ProviderView<AccountId>>> {
		self.client.runtime_api().provider(self.at(at), who).map_err(runtime_error)
	}

	fn providers(
		&self,
		after: Option<AccountId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ProviderView<AccountId>>> {
		let limit = limit.unwrap_or(DEFAULT_LIMIT);
		self.client.runtime_api().providers(self.at(at), after, limit).map_err(runtime_error)
	}

	fn machine(
		&self,
		id: MachineId,
		at: Option<Hash>,
	) -> RpcResult<Option<MachineView<AccountId>>> {
		self.client.runtime_api().machine(self.at(at), id).map_err(runtime_error)
	}

	fn machines(
		&self,
		owner: Option<AccountId>,
		after: Option<MachineId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<MachineView<AccountId>>> {
		let limit = limit.unwrap_or(DEFAULT_LIMIT);
		self.client.runtime_api().machines(self.at(at), owner, after, limit).map_err(runtime_error)
	}

	fn container(&self, id: ContainerId, at: Option<Hash>) -> RpcResult<Option<ContainerView>> {
		self.client.runtime_api().container(self.at(at), id).map_err(runtime_error)
	}

	fn image(&self, digest: String, at: Option<Hash>) -> RpcResult<Option<ImageView<AccountId>>> {
		let digest = parse_digest(&digest)?;
		self.client.runtime_api().image(self.at(at), digest).map_err(runtime_error)
	}

	fn images(
		&self,
		after: Option<String>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ImageView<AccountId>>> {
		let after = after.as_deref().map(parse_digest).transpose()?;
		let limit = limit.unwrap_or(DEFAULT_LIMIT);
		self.client.runtime_api().images(self.at(at), after, limit).map_err(runtime_error)
	}
}

#[cfg(test)]
mod tests {
	use super::parse_digest;

	#[test]
	fn digests_parse_in_both_spellings_and_nothing_else() {
		let hex = "ab".repeat(32);
		assert_eq!(parse_digest(&format!("sha256:{hex}")).unwrap(), [0xab; 32]);
		assert_eq!(parse_digest(&format!("0x{hex}")).unwrap(), [0xab; 32]);
		assert!(parse_digest("sha256:abcd").is_err());
		assert!(parse_digest(&format!("sha256:{}", "zz".repeat(32))).is_err());
	}
}
