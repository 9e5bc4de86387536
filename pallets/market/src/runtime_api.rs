//! `MarketApi`: orders, leases, usage and quotes for the node's `market_*` RPC.

use crate::{
	views::{LeaseView, OrderView, QuoteView, UsageView},
	LeaseId, OrderId, Prices,
};
use alloc::vec::Vec;
use uranus_primitives::compute::ResourceSpec;

sp_api::decl_runtime_apis! {
	/// Read access to the market. Lists return at most 256 records per call; page with
	/// `after` (the last id of the previous page).
	pub trait MarketApi<AccountId> where AccountId: codec::Codec {
		/// One order.
		fn order(id: OrderId) -> Option<OrderView<AccountId>>;
		/// Orders with ids above `after`, only `owner`'s when given.
		fn orders(owner: Option<AccountId>, after: Option<OrderId>, limit: u32) -> Vec<OrderView<AccountId>>;
		/// One lease.
		fn lease(id: LeaseId) -> Option<LeaseView<AccountId>>;
		/// Leases with ids above `after`, only `order`'s / `provider`'s when given.
		fn leases(order: Option<OrderId>, provider: Option<AccountId>, after: Option<LeaseId>, limit: u32) -> Vec<LeaseView<AccountId>>;
		/// A lease's metering and charges.
		fn usage(id: LeaseId) -> Option<UsageView>;
		/// What an order would hold and at which prices it would lease now.
		fn quote(image: [u8; 32], spec: ResourceSpec, replicas: u32, prepaid_blocks: u32, caps: Prices) -> Option<QuoteView>;
	}
}
