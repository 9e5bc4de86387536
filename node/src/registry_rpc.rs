//! `registry_*` RPC: providers, machines (with their containers), containers and images,
//! served from the runtime's `RegistryApi` at the best block (or `at`).

use crate::rpc_common::{self, parse_digest, Api};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_registry::{
	runtime_api::RegistryApi as RegistryRuntimeApi,
	views::{ContainerView, ImageView, MachineView, ProviderView},
	ContainerId, MachineId,
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

/// The registry's runtime API in errors.
const API: Api = Api { code: 9200, name: "registry" };

impl<C> Registry<C>
where
	C: HeaderBackend<Block>,
{
	fn at(&self, at: Option<Hash>) -> Hash {
		rpc_common::at(&*self.client, at)
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
		self.client.runtime_api().provider(self.at(at), who).map_err(|e| API.error(e))
	}

	fn providers(
		&self,
		after: Option<AccountId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ProviderView<AccountId>>> {
		let limit = rpc_common::limit(limit);
		self.client.runtime_api().providers(self.at(at), after, limit).map_err(|e| API.error(e))
	}

	fn machine(
		&self,
		id: MachineId,
		at: Option<Hash>,
	) -> RpcResult<Option<MachineView<AccountId>>> {
		self.client.runtime_api().machine(self.at(at), id).map_err(|e| API.error(e))
	}

	fn machines(
		&self,
		owner: Option<AccountId>,
		after: Option<MachineId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<MachineView<AccountId>>> {
		let limit = rpc_common::limit(limit);
		self.client
			.runtime_api()
			.machines(self.at(at), owner, after, limit)
			.map_err(|e| API.error(e))
	}

	fn container(&self, id: ContainerId, at: Option<Hash>) -> RpcResult<Option<ContainerView>> {
		self.client.runtime_api().container(self.at(at), id).map_err(|e| API.error(e))
	}

	fn image(&self, digest: String, at: Option<Hash>) -> RpcResult<Option<ImageView<AccountId>>> {
		let digest = parse_digest(&digest)?;
		self.client.runtime_api().image(self.at(at), digest).map_err(|e| API.error(e))
	}

	fn images(
		&self,
		after: Option<String>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<ImageView<AccountId>>> {
		let after = after.as_deref().map(parse_digest).transpose()?;
		let limit = rpc_common::limit(limit);
		self.client.runtime_api().images(self.at(at), after, limit).map_err(|e| API.error(e))
	}
}
