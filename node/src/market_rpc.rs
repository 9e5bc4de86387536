//! `market_*` RPC: orders, leases, a lease's usage and quotes, served from the runtime's
//! `MarketApi` at the best block (or `at`). Balances are decimal strings.

use crate::rpc_common::{self, parse_digest, Api};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_market::{
	runtime_api::MarketApi as MarketRuntimeApi,
	views::{LeaseView, OrderView, QuoteView, UsageView},
	LeaseId, OrderId, Prices,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use std::sync::Arc;
use uranus_primitives::compute::ResourceSpec;
use uranus_runtime::{opaque::Block, AccountId, Hash};

/// The `market_*` methods. Lists return at most 256 records; page with `after`.
#[rpc(client, server, namespace = "market")]
pub trait MarketApi {
	/// One order.
	#[method(name = "order")]
	fn order(&self, id: OrderId, at: Option<Hash>) -> RpcResult<Option<OrderView<AccountId>>>;

	/// Orders with ids above `after`; only `owner`'s when given.
	#[method(name = "orders")]
	fn orders(
		&self,
		owner: Option<AccountId>,
		after: Option<OrderId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<OrderView<AccountId>>>;

	/// One lease with its usage.
	#[method(name = "lease")]
	fn lease(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<LeaseView<AccountId>>>;

	/// Leases with ids above `after`; only `order`'s / `provider`'s when given.
	#[method(name = "leases")]
	fn leases(
		&self,
		order: Option<OrderId>,
		provider: Option<AccountId>,
		after: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<LeaseView<AccountId>>>;

	/// A lease's last accepted metering and what it was charged.
	#[method(name = "usage")]
	fn usage(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<UsageView>>;

	/// What an order of `replicas` × `spec` of image `image` (`sha256:<hex>`), prepaying
	/// `prepaid_blocks` at `caps`, would hold now and at which prices it would lease.
	#[method(name = "quote")]
	fn quote(
		&self,
		image: String,
		spec: ResourceSpec,
		replicas: u32,
		prepaid_blocks: u32,
		caps: Prices,
		at: Option<Hash>,
	) -> RpcResult<Option<QuoteView>>;
}

/// Serves [`MarketApiServer`] from a client.
pub struct Market<C> {
	client: Arc<C>,
}

impl<C> Market<C> {
	/// A server reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

/// The market's runtime API in errors.
const API: Api = Api { code: 9300, name: "market" };

impl<C: HeaderBackend<Block>> Market<C> {
	fn at(&self, at: Option<Hash>) -> Hash {
		rpc_common::at(&*self.client, at)
	}
}

impl<C> MarketApiServer for Market<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: MarketRuntimeApi<Block, AccountId>,
{
	fn order(&self, id: OrderId, at: Option<Hash>) -> RpcResult<Option<OrderView<AccountId>>> {
		self.client.runtime_api().order(self.at(at), id).map_err(|e| API.error(e))
	}

	fn orders(
		&self,
		owner: Option<AccountId>,
		after: Option<OrderId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<OrderView<AccountId>>> {
		let limit = rpc_common::limit(limit);
		self.client.runtime_api().orders(self.at(at), owner, after, limit).map_err(|e| API.error(e))
	}

	fn lease(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<LeaseView<AccountId>>> {
		self.client.runtime_api().lease(self.at(at), id).map_err(|e| API.error(e))
	}

	fn leases(
		&self,
		order: Option<OrderId>,
		provider: Option<AccountId>,
		after: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<Vec<LeaseView<AccountId>>> {
		let limit = rpc_common::limit(limit);
		self.client
			.runtime_api()
			.leases(self.at(at), order, provider, after, limit)
			.map_err(|e| API.error(e))
	}

	fn usage(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<UsageView>> {
		self.client.runtime_api().usage(self.at(at), id).map_err(|e| API.error(e))
	}

	fn quote(
		&self,
		image: String,
		spec: ResourceSpec,
		replicas: u32,
		prepaid_blocks: u32,
		caps: Prices,
		at: Option<Hash>,
	) -> RpcResult<Option<QuoteView>> {
		let image = parse_digest(&image)?;
		self.client
			.runtime_api()
			.quote(self.at(at), image, spec, replicas, prepaid_blocks, caps)
			.map_err(|e| API.error(e))
	}
}
