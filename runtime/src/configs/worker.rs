//! The provider's off-chain worker and the traits that let runtime code sign and submit
//! transactions (the worker signs registry calls with the node's `cmpt` provider key).

use super::BlockHashCount;
use crate::{
	tx_extension, AccountId, BlockNumber, Nonce, Runtime, RuntimeCall, Signature, SignedPayload,
	System, TxExtension, UncheckedExtrinsic,
};
use codec::Encode;
use frame_support::parameter_types;
use sp_runtime::{
	generic,
	traits::{SaturatedConversion, StaticLookup, Verify},
};

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = TxExtension;

	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

/// Signed transactions from runtime code: mortal for half the block-hash window from the
/// current block, no tip.
impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: <Signature as Verify>::Signer,
		account: AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		let period =
			(BlockHashCount::get() as u64).checked_next_power_of_two().map(|p| p / 2).unwrap_or(2);
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let era = generic::Era::mortal(period, current);
		let payload = SignedPayload::new(call, tx_extension(era, nonce, 0))
			.map_err(|e| log::warn!(target: pallet_worker::LOG_TARGET, "payload: {e:?}"))
			.ok()?;
		let signature = payload.using_encoded(|p| A::sign(p, public))?;
		let (call, extension, _) = payload.deconstruct();
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		Some(UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}

parameter_types! {
	/// Longest wait for one agent request.
	pub const AgentTimeoutMs: u64 = 3_000;
	/// Longest wait for the agent to recompute another machine's picked lanes (one to four
	/// lanes of up to a few GiB each, one after another).
	pub const VerifyTimeoutMs: u64 = 300_000;
	/// A worker transaction not included after this many blocks may be sent again.
	pub const ResendAfter: BlockNumber = 10;
	/// Longest back-off after agent failures.
	pub const MaxBackoff: BlockNumber = 64;
}

impl pallet_worker::Config for Runtime {
	type AuthorityId = pallet_worker::crypto::ProviderAuthId;
	type AgentTimeoutMs = AgentTimeoutMs;
	type VerifyTimeoutMs = VerifyTimeoutMs;
	type ResendAfter = ResendAfter;
	type MaxBackoff = MaxBackoff;
}
