//! Extrinsic builders and inherent data for `uranus-node benchmark overhead|extrinsic`.
//!
//! Built only with `--features runtime-benchmarks`.

use crate::service::FullClient;
use codec::Encode;
use sc_cli::Result;
use sc_client_api::BlockBackend;
use sp_core::Pair;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Era, OpaqueExtrinsic, SaturatedConversion};
use std::{sync::Arc, time::Duration};
use uranus_runtime::{self as runtime, AccountId, Balance, RuntimeCall};

/// Builds signed `system.remark` extrinsics (the overhead benchmark's empty transaction).
pub struct RemarkBuilder {
	client: Arc<FullClient>,
}

impl RemarkBuilder {
	/// A builder signing with Bob on `client`'s chain.
	pub fn new(client: Arc<FullClient>) -> Self {
		Self { client }
	}
}

impl frame_benchmarking_cli::ExtrinsicBuilder for RemarkBuilder {
	fn pallet(&self) -> &str {
		"system"
	}

	fn extrinsic(&self) -> &str {
		"remark"
	}

	fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
		let call = frame_system::Call::remark { remark: vec![] }.into();
		signed_extrinsic(&self.client, Sr25519Keyring::Bob.pair(), call, nonce)
	}
}

/// Builds signed `balances.transfer_keep_alive` extrinsics.
pub struct TransferKeepAliveBuilder {
	client: Arc<FullClient>,
	dest: AccountId,
	value: Balance,
}

impl TransferKeepAliveBuilder {
	/// A builder sending `value` to `dest`, signed by Bob.
	pub fn new(client: Arc<FullClient>, dest: AccountId, value: Balance) -> Self {
		Self { client, dest, value }
	}
}

impl frame_benchmarking_cli::ExtrinsicBuilder for TransferKeepAliveBuilder {
	fn pallet(&self) -> &str {
		"balances"
	}

	fn extrinsic(&self) -> &str {
		"transfer_keep_alive"
	}

	fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
		let call = pallet_balances::Call::transfer_keep_alive {
			dest: self.dest.clone().into(),
			value: self.value,
		}
		.into();
		signed_extrinsic(&self.client, Sr25519Keyring::Bob.pair(), call, nonce)
	}
}

/// Signs `call` by `sender` with `nonce`, mortal from the best block.
fn signed_extrinsic(
	client: &FullClient,
	sender: sp_core::sr25519::Pair,
	call: RuntimeCall,
	nonce: u32,
) -> std::result::Result<OpaqueExtrinsic, &'static str> {
	let genesis = client
		.block_hash(0)
		.map_err(|_| "reading the genesis hash")?
		.ok_or("the chain has no genesis block")?;
	let info = client.chain_info();
	let period = runtime::configs::BlockHashCount::get()
		.checked_next_power_of_two()
		.map(|c| c / 2)
		.unwrap_or(2) as u64;
	let era = Era::mortal(period, info.best_number.saturated_into());
	let ext = runtime::tx_extension(era, nonce, 0);
	let payload = runtime::SignedPayload::from_raw(
		call.clone(),
		ext.clone(),
		(
			(),
			(),
			runtime::VERSION.spec_version,
			runtime::VERSION.transaction_version,
			genesis,
			info.best_hash,
			(),
			(),
			(),
			(),
		),
	);
	let signature = payload.using_encoded(|e| sender.sign(e));
	let xt = runtime::UncheckedExtrinsic::new_signed(
		call,
		AccountId::from(sender.public()).into(),
		runtime::Signature::Sr25519(signature),
		ext,
	);
	OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).map_err(|_| "encoding the extrinsic")
}

/// Inherent data for benchmark blocks: a timestamp.
pub fn inherent_benchmark_data() -> Result<InherentData> {
	let mut data = InherentData::new();
	let timestamp = sp_timestamp::InherentDataProvider::new(Duration::from_millis(0).into());
	futures::executor::block_on(timestamp.provide_inherent_data(&mut data))
		.map_err(|e| format!("creating inherent data: {e:?}"))?;
	Ok(data)
}
