//! `poc_*` RPC: Proof of Contribution scores, σ, tiers, the scheduler's next candidates and
//! providers' rewards, served from the runtime's `PocApi` at the best block (or `at`).

use crate::rpc_common::{self, Api};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_poc::{
	runtime_api::PocApi as PocRuntimeApi, ContainerId, PendingRewards, ResourceSpec, ScoreView,
	SigmaView, TierView,
};
use sp_api::{ApiExt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use std::sync::Arc;
use uranus_runtime::{opaque::Block, AccountId, Hash};

/// The `poc_*` methods.
#[rpc(client, server, namespace = "poc")]
pub trait PocApi {
	/// A container's score (basic, service, chain, total, tier), decayed to the block.
	#[method(name = "score")]
	fn score(&self, id: ContainerId, at: Option<Hash>) -> RpcResult<Option<ScoreView<AccountId>>>;

	/// σ, the last demand estimate λ̂ and the online supply of every resource.
	#[method(name = "sigmas")]
	fn sigmas(&self, at: Option<Hash>) -> RpcResult<Vec<SigmaView>>;

	/// The scheduling tiers and how many containers each holds.
	#[method(name = "tiers")]
	fn tiers(&self, at: Option<Hash>) -> RpcResult<Vec<TierView>>;

	/// Up to `n` (≤ 64) containers the scheduler would propose next for `spec`.
	#[method(name = "nextCandidates")]
	fn next_candidates(
		&self,
		spec: ResourceSpec,
		n: u32,
		at: Option<Hash>,
	) -> RpcResult<Vec<ContainerId>>;

	/// A provider's PoC rewards: what `claim_rewards` pays now, and its share of the reward
	/// period (era) being accumulated.
	#[method(name = "pendingRewards")]
	fn pending_rewards(&self, who: AccountId, at: Option<Hash>) -> RpcResult<PendingRewards>;
}

/// Serves [`PocApiServer`] from a client.
pub struct Poc<C> {
	client: Arc<C>,
}

impl<C> Poc<C> {
	/// A server reading through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

/// PoC's runtime API in errors.
const API: Api = Api { code: 9100, name: "PoC" };

impl<C> PocApiServer for Poc<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: PocRuntimeApi<Block, AccountId>,
{
	fn score(&self, id: ContainerId, at: Option<Hash>) -> RpcResult<Option<ScoreView<AccountId>>> {
		let at = rpc_common::at(&*self.client, at);
		self.client.runtime_api().score(at, id).map_err(|e| API.error(e))
	}

	fn sigmas(&self, at: Option<Hash>) -> RpcResult<Vec<SigmaView>> {
		let at = rpc_common::at(&*self.client, at);
		self.client.runtime_api().sigmas(at).map_err(|e| API.error(e))
	}

	fn tiers(&self, at: Option<Hash>) -> RpcResult<Vec<TierView>> {
		let at = rpc_common::at(&*self.client, at);
		self.client.runtime_api().tiers(at).map_err(|e| API.error(e))
	}

	fn next_candidates(
		&self,
		spec: ResourceSpec,
		n: u32,
		at: Option<Hash>,
	) -> RpcResult<Vec<ContainerId>> {
		let at = rpc_common::at(&*self.client, at);
		self.client.runtime_api().next_candidates(at, spec, n).map_err(|e| API.error(e))
	}

	fn pending_rewards(&self, who: AccountId, at: Option<Hash>) -> RpcResult<PendingRewards> {
		let at = rpc_common::at(&*self.client, at);
		let api = self.client.runtime_api();
		let version = api
			.api_version::<dyn PocRuntimeApi<Block, AccountId>>(at)
			.map_err(|e| API.error(e))?
			.unwrap_or(0);
		if version < 2 {
			return Err(API.error(format!(
				"the runtime's PocApi is version {version}; rewards need version 2"
			)));
		}
		api.pending_rewards(at, who).map_err(|e| API.error(e))
	}
}
