//! What the [`MarketApi`](crate::runtime_api::MarketApi) returns: orders, leases, usage and
//! quotes with readable strings, balances as decimal strings (they exceed JavaScript's safe
//! integers) and digests as `sha256:<hex>`, ready for the node's `market_*` JSON-RPC.

use crate::{pallet::*, pricing, types::*, Prices, Usage};
use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_registry::views::{balance_string, digest_string, MAX_PAGE};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::traits::UniqueSaturatedInto;
use uranus_primitives::compute::{ContainerId, EndCause, ResourceSpec};

/// Prices with every field as a decimal string.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricesView {
	/// Per core-second of CPU time.
	#[serde(with = "balance_string")]
	pub cpu_core_second: u128,
	/// Per GiB-second of memory.
	#[serde(with = "balance_string")]
	pub memory_gib_second: u128,
	/// Per MiB of network traffic.
	#[serde(with = "balance_string")]
	pub network_mib: u128,
	/// Per GiB-second of reserved storage.
	#[serde(with = "balance_string")]
	pub storage_gib_second: u128,
}

impl From<Prices> for PricesView {
	fn from(p: Prices) -> Self {
		PricesView {
			cpu_core_second: p.cpu_core_second,
			memory_gib_second: p.memory_gib_second,
			network_mib: p.network_mib,
			storage_gib_second: p.storage_gib_second,
		}
	}
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView<AccountId> {
	/// Its id.
	pub id: OrderId,
	/// Who placed it.
	pub owner: AccountId,
	/// The image, `sha256:<hex>`.
	pub image: String,
	/// Resources of each replica.
	pub spec: ResourceSpec,
	/// The command (empty: the image's).
	pub command: Vec<String>,
	/// Replicas wanted.
	pub replicas: u32,
	/// Longest run of a replica, blocks.
	pub max_blocks: u64,
	/// Blocks of each replica's worst case prepaid.
	pub prepaid_blocks: u64,
	/// Price caps.
	pub caps: PricesView,
	/// Required provider labels.
	pub labels: Vec<String>,
	/// Replicas on distinct machines.
	pub spread: bool,
	/// The image fee each lease pays (captured when the order was placed).
	#[serde(with = "balance_string")]
	pub image_fee: u128,
	/// Escrow of one replica.
	#[serde(with = "balance_string")]
	pub escrow_per_replica: u128,
	/// Escrow still held.
	#[serde(with = "balance_string")]
	pub held: u128,
	/// Storage deposit, back to the owner when the order is reaped.
	#[serde(with = "balance_string")]
	pub deposit: u128,
	/// Replicas waiting for a container.
	pub waiting: u32,
	/// Waiting replicas are refunded from this block on.
	pub match_deadline: u64,
	/// Its leases, current and past.
	pub leases: Vec<LeaseId>,
}

/// A user's dispute.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum DisputeView {
	/// Not disputed.
	None,
	/// Open since block `at` with `amount` held from the provider.
	Open {
		/// Held.
		#[serde(with = "balance_string")]
		amount: u128,
		/// Opened at.
		at: u64,
	},
	/// Resolved.
	Resolved {
		/// Refunded to the user.
		#[serde(with = "balance_string")]
		refunded: u128,
		/// Slashed from the provider's deposit to the user.
		#[serde(with = "balance_string")]
		slashed: u128,
	},
	/// Nobody resolved it in time: the held earnings went back to the provider.
	Lapsed {
		/// Released to the provider.
		#[serde(with = "balance_string")]
		released: u128,
	},
}

/// A lease.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseView<AccountId> {
	/// Its id (the agent's job id).
	pub id: LeaseId,
	/// Its order.
	pub order: OrderId,
	/// Who pays.
	pub user: AccountId,
	/// Who runs it.
	pub provider: AccountId,
	/// The container.
	pub container: ContainerId,
	/// The container's machine.
	pub machine: u64,
	/// Where it is.
	pub state: LeaseState,
	/// Its prices.
	pub prices: PricesView,
	/// The image's usage fee (paid to the publisher when it started).
	#[serde(with = "balance_string")]
	pub image_fee: u128,
	/// Made at.
	pub assigned_at: u64,
	/// To be acknowledged by.
	pub ack_by: u64,
	/// Expires at, once running.
	pub ends_at: Option<u64>,
	/// Ended at.
	pub ended_at: Option<u64>,
	/// Started (acknowledged) at.
	pub started_at: Option<u64>,
	/// Why it failed, when it did.
	pub end_cause: Option<EndCause>,
	/// Exit code of the job.
	pub exit_code: Option<i32>,
	/// Result digest or URI.
	pub result: String,
	/// The user's rating.
	pub rating: Option<u8>,
	/// The user's dispute.
	pub dispute: DisputeView,
	/// Metering and charges.
	pub usage: UsageView,
}

/// A lease's metering and what it cost.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
	/// The last accepted sample.
	pub seq: u64,
	/// Cumulative counters of that sample.
	pub counters: Usage,
	/// Charged so far (provider share + protocol fee).
	#[serde(with = "balance_string")]
	pub charged: u128,
	/// The most it can be charged over its whole duration.
	#[serde(with = "balance_string")]
	pub cap: u128,
	/// The most it can be charged with what is prepaid.
	#[serde(with = "balance_string")]
	pub allotment: u128,
	/// Prepaid and not yet charged.
	#[serde(with = "balance_string")]
	pub left: u128,
}

/// What an order would hold and get now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
	/// Prices a lease made now gets (σ-scaled base prices).
	pub prices: PricesView,
	/// Whether those prices are within the caps (otherwise the order waits).
	pub within_caps: bool,
	/// The image's usage fee.
	#[serde(with = "balance_string")]
	pub image_fee: u128,
	/// Escrow of one replica (worst case of the prepaid blocks at the caps + image fee).
	#[serde(with = "balance_string")]
	pub escrow_per_replica: u128,
	/// Escrow of the whole order.
	#[serde(with = "balance_string")]
	pub escrow: u128,
	/// What one replica costs per block at most at the current prices.
	#[serde(with = "balance_string")]
	pub per_block_at_prices: u128,
}

/// Most ids one call of [`Pallet::order_views`] or [`Pallet::lease_views`] looks at when it
/// walks ids (reaped ones leave gaps).
pub const MAX_SCAN: usize = 1_000;

fn text(b: &[u8]) -> String {
	String::from_utf8_lossy(b).into_owned()
}

fn num<B: UniqueSaturatedInto<u64>>(b: B) -> u64 {
	b.unique_saturated_into()
}

impl<T: Config> Pallet<T> {
	/// Order `id`.
	pub fn order_view(id: OrderId) -> Option<OrderView<T::AccountId>> {
		let o = Orders::<T>::get(id)?;
		Some(OrderView {
			id,
			owner: o.owner,
			image: digest_string(&o.image),
			spec: o.spec,
			command: o.command.iter().map(|a| text(a)).collect(),
			replicas: o.replicas,
			max_blocks: num(o.max_blocks),
			prepaid_blocks: num(o.prepaid_blocks),
			caps: o.caps.into(),
			labels: o.labels.iter().map(|l| text(l)).collect(),
			spread: o.spread,
			image_fee: o.image_fee,
			escrow_per_replica: o.escrow_per_replica,
			held: o.held,
			deposit: o.deposit,
			waiting: o.waiting,
			match_deadline: num(o.match_deadline),
			leases: o.leases.into_inner(),
		})
	}

	/// At most `limit` (≤ [`MAX_PAGE`]) orders after `after` (from the first when `None`).
	/// Without `owner`: by id, ids above `after`. With `owner`: only that owner's, read
	/// from the owner index (never a scan of other orders) in its storage order; pass the
	/// last id returned as `after` for the next page.
	pub fn order_views(
		owner: Option<T::AccountId>,
		after: Option<OrderId>,
		limit: u32,
	) -> Vec<OrderView<T::AccountId>> {
		let limit = limit.min(MAX_PAGE) as usize;
		match owner {
			Some(owner) => {
				let ids = match after {
					Some(a) => OrdersOf::<T>::iter_key_prefix_from(
						&owner,
						OrdersOf::<T>::hashed_key_for(&owner, a),
					),
					None => OrdersOf::<T>::iter_key_prefix(&owner),
				};
				ids.take(limit).filter_map(Self::order_view).collect()
			},
			None => {
				let start = after.map_or(0, |a| a.saturating_add(1));
				let end = NextOrderId::<T>::get();
				// Reaped orders leave gaps: the scan is bounded, not only the page.
				(start..end).take(MAX_SCAN).filter_map(Self::order_view).take(limit).collect()
			},
		}
	}

	/// Lease `id`.
	pub fn lease_view(id: LeaseId) -> Option<LeaseView<T::AccountId>> {
		let l = Leases::<T>::get(id)?;
		let dispute = match l.dispute {
			Dispute::None => DisputeView::None,
			Dispute::Open { amount, at } => DisputeView::Open { amount, at: num(at) },
			Dispute::Resolved { refunded, slashed } => DisputeView::Resolved { refunded, slashed },
			Dispute::Lapsed { released } => DisputeView::Lapsed { released },
		};
		Some(LeaseView {
			id,
			order: l.order,
			user: l.user,
			provider: l.provider,
			container: l.container,
			machine: l.machine,
			state: l.state,
			prices: l.prices.into(),
			image_fee: l.image_fee,
			assigned_at: num(l.assigned_at),
			ack_by: num(l.ack_by),
			ends_at: l.ends_at.map(num::<BlockNumberFor<T>>),
			ended_at: l.ended_at.map(num::<BlockNumberFor<T>>),
			started_at: l.started_at.map(num::<BlockNumberFor<T>>),
			end_cause: l.end_cause,
			exit_code: l.exit_code,
			result: text(&l.result),
			rating: l.rating,
			dispute,
			usage: UsageView {
				seq: l.last_seq,
				counters: l.usage,
				charged: l.charged,
				cap: l.cap,
				allotment: l.allotment,
				left: l.allotment.saturating_sub(l.charged),
			},
		})
	}

	/// At most `limit` (≤ [`MAX_PAGE`]) leases after `after`. With `order`: that order's
	/// leases with ids above `after` (only they are read), of `provider` when given too.
	/// With `provider` alone: that provider's, read from the provider index in its storage
	/// order (pass the last id returned as `after`). With neither: by id, a bounded scan.
	pub fn lease_views(
		order: Option<OrderId>,
		provider: Option<T::AccountId>,
		after: Option<LeaseId>,
		limit: u32,
	) -> Vec<LeaseView<T::AccountId>> {
		let limit = limit.min(MAX_PAGE) as usize;
		let start = after.map_or(0, |a| a.saturating_add(1));
		let of_provider =
			|l: &LeaseView<T::AccountId>| provider.as_ref().map_or(true, |p| *p == l.provider);
		match (order, &provider) {
			(Some(o), _) => Orders::<T>::get(o)
				.map(|o| o.leases.into_inner())
				.unwrap_or_default()
				.into_iter()
				.filter(|l| *l >= start)
				.filter_map(Self::lease_view)
				.filter(of_provider)
				.take(limit)
				.collect(),
			(None, Some(p)) => {
				let ids = match after {
					Some(a) => LeasesOfProvider::<T>::iter_key_prefix_from(
						p,
						LeasesOfProvider::<T>::hashed_key_for(p, a),
					),
					None => LeasesOfProvider::<T>::iter_key_prefix(p),
				};
				ids.take(limit).filter_map(Self::lease_view).collect()
			},
			(None, None) => (start..NextLeaseId::<T>::get())
				.take(MAX_SCAN)
				.filter_map(Self::lease_view)
				.take(limit)
				.collect(),
		}
	}

	/// Lease `id`'s metering and charges.
	pub fn usage_view(id: LeaseId) -> Option<UsageView> {
		Self::lease_view(id).map(|l| l.usage)
	}

	/// What an order of `replicas` × `spec` of image `image`, prepaying `prepaid_blocks` at
	/// `caps`, would hold now and at which prices it would lease; `None` for an unknown image.
	pub fn quote(
		image: [u8; 32],
		spec: ResourceSpec,
		replicas: u32,
		prepaid_blocks: BlockNumberFor<T>,
		caps: Prices,
	) -> Option<QuoteView> {
		let img = pallet_registry::Images::<T>::get(image)?;
		let fee: u128 = img.fee.unique_saturated_into();
		let prices = Self::current_prices();
		let escrow_per_replica =
			pricing::worst_cost(&spec, Self::seconds(prepaid_blocks), &caps).saturating_add(fee);
		Some(QuoteView {
			within_caps: prices.within(&caps),
			image_fee: fee,
			escrow_per_replica,
			escrow: escrow_per_replica.saturating_mul(replicas as u128),
			per_block_at_prices: pricing::worst_cost(
				&spec,
				Self::seconds(sp_runtime::traits::One::one()),
				&prices,
			),
			prices: prices.into(),
		})
	}
}
