//! Storage migrations of the market.
//!
//! **v0 → v1** ([`MigrateV0ToV1`]):
//! - every [`crate::Lease`] gains `assigned_ms` (now minus its blocks since assignment at
//!   the nominal block time), `started_at` (from its end block minus the order's duration
//!   once started), `reported_at` (its start, or assignment), `longest_gap` (0)
//!   and `end_cause` (`None`: v0 kept no cause);
//! - every [`crate::Order`] gains `image_fee` (the fee it captured: what its escrow per
//!   replica holds beyond the worst case of its prepaid blocks, so exactly what v0 reserved)
//!   and `deposit` (0: v0 orders held none, so reaping them releases nothing);
//! - the owner index [`OrdersOf`] and the provider index [`LeasesOfProvider`] are filled;
//! - [`OpenDisputes`] counts every open dispute per provider.
//!
//! It reads every order and lease once (single block: the chain has no more than a testnet's
//! worth of them when it runs).

use crate::{pallet::*, pricing, Dispute, LeaseId, LeaseState, OrderId, Prices, Usage};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};
use uranus_primitives::compute::ResourceSpec;

#[cfg(feature = "try-runtime")]
use alloc::vec::Vec;

/// The v0 layout of orders.
pub mod v0 {
	use super::*;

	/// An order as v0 stored it (no captured fee, no deposit).
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OldOrder<AccountId, BlockNumber, Labels, Command, LeaseIds> {
		pub owner: AccountId,
		pub image: [u8; 32],
		pub spec: ResourceSpec,
		pub command: Command,
		pub replicas: u32,
		pub max_blocks: BlockNumber,
		pub prepaid_blocks: BlockNumber,
		pub caps: Prices,
		pub labels: Labels,
		pub spread: bool,
		pub escrow_per_replica: u128,
		pub held: u128,
		pub waiting: u32,
		pub match_deadline: BlockNumber,
		pub leases: LeaseIds,
	}

	/// A lease as v0 stored it (no start block, report gaps or end cause).
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OldLease<AccountId, BlockNumber, Result> {
		pub order: OrderId,
		pub user: AccountId,
		pub container: u64,
		pub machine: u64,
		pub provider: AccountId,
		pub prices: Prices,
		pub publisher: AccountId,
		pub image_fee: u128,
		pub state: LeaseState,
		pub assigned_at: BlockNumber,
		pub ack_by: BlockNumber,
		pub ends_at: Option<BlockNumber>,
		pub last_seq: u64,
		pub usage: Usage,
		pub charged: u128,
		pub cap: u128,
		pub allotment: u128,
		pub exit_code: Option<i32>,
		pub result: Result,
		pub ended_at: Option<BlockNumber>,
		pub rating: Option<u8>,
		pub dispute: Dispute<BlockNumber>,
	}

	/// A v0 lease of runtime `T`.
	pub type OldLeaseOf<T> = OldLease<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		BoundedVec<u8, <T as Config>::MaxResult>,
	>;

	/// A v0 order of runtime `T`.
	pub type OldOrderOf<T> = OldOrder<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		LabelsOf<T>,
		CommandOf<T>,
		BoundedVec<LeaseId, <T as Config>::MaxReplicas>,
	>;
}

/// The v0 → v1 step without its version check; use [`MigrateV0ToV1`].
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let (mut reads, mut writes) = (0u64, 0u64);
		Orders::<T>::translate::<v0::OldOrderOf<T>, _>(|id: OrderId, o| {
			reads += 1;
			writes += 2;
			let worst =
				pricing::worst_cost(&o.spec, Pallet::<T>::seconds(o.prepaid_blocks), &o.caps);
			OrdersOf::<T>::insert(&o.owner, id, ());
			Some(crate::Order {
				owner: o.owner,
				image: o.image,
				spec: o.spec,
				command: o.command,
				replicas: o.replicas,
				max_blocks: o.max_blocks,
				prepaid_blocks: o.prepaid_blocks,
				caps: o.caps,
				labels: o.labels,
				spread: o.spread,
				image_fee: o.escrow_per_replica.saturating_sub(worst),
				escrow_per_replica: o.escrow_per_replica,
				held: o.held,
				deposit: 0,
				waiting: o.waiting,
				match_deadline: o.match_deadline,
				leases: o.leases,
			})
		});
		Leases::<T>::translate::<v0::OldLeaseOf<T>, _>(|id: LeaseId, l| {
			reads += 2;
			writes += 2;
			LeasesOfProvider::<T>::insert(&l.provider, id, ());
			if let Dispute::Open { .. } = l.dispute {
				writes += 1;
				OpenDisputes::<T>::mutate(&l.provider, |n| *n = n.saturating_add(1));
			}
			let started_at = l.ends_at.map(|e| {
				let max = Orders::<T>::get(l.order).map_or_else(Zero::zero, |o| o.max_blocks);
				e.saturating_sub(max).max(l.assigned_at)
			});
			Some(crate::Lease {
				order: l.order,
				user: l.user,
				container: l.container,
				machine: l.machine,
				provider: l.provider,
				prices: l.prices,
				publisher: l.publisher,
				image_fee: l.image_fee,
				state: l.state,
				assigned_at: l.assigned_at,
				// v0 kept no time: the blocks since assignment at the nominal block time.
				assigned_ms: {
					let blocks: u64 = frame_system::Pallet::<T>::block_number()
						.saturating_sub(l.assigned_at)
						.unique_saturated_into();
					Pallet::<T>::now_ms()
						.saturating_sub(blocks.saturating_mul(T::MillisPerBlock::get()))
				},
				ack_by: l.ack_by,
				started_at,
				ends_at: l.ends_at,
				last_seq: l.last_seq,
				reported_at: started_at.unwrap_or(l.assigned_at),
				longest_gap: Zero::zero(),
				usage: l.usage,
				charged: l.charged,
				cap: l.cap,
				allotment: l.allotment,
				exit_code: l.exit_code,
				result: l.result,
				ended_at: l.ended_at,
				end_cause: None,
				rating: l.rating,
				dispute: l.dispute,
			})
		});
		T::DbWeight::get().reads_writes(reads, writes)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		let orders = Orders::<T>::iter_keys().count() as u64;
		let leases = Leases::<T>::iter_keys().count() as u64;
		Ok((orders, leases).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let (orders, leases): (u64, u64) =
			Decode::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(Orders::<T>::iter().count() as u64 == orders, "orders lost in the migration");
		ensure!(OrdersOf::<T>::iter_keys().count() as u64 == orders, "owner index incomplete");
		ensure!(
			LeasesOfProvider::<T>::iter_keys().count() as u64 == leases,
			"provider index incomplete"
		);
		for (_, o) in Orders::<T>::iter() {
			ensure!(o.image_fee <= o.escrow_per_replica, "captured fee above the escrow");
		}
		Pallet::<T>::do_try_state()
	}
}

/// The market's v0 → v1 migration, run once when the on-chain storage version is 0.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
