//! Types shared by the Uranus runtime, the node and the tests.
//!
//! Everything that crosses a crate boundary (account and balance types, token constants,
//! block timing) is defined here once so the runtime, the node and off-chain code can never
//! disagree on a width or a unit.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod agent;
pub mod agent_token;
pub mod challenge;
pub mod compute;
pub mod gateway;
pub mod worker;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// Signature type of a transaction (sr25519, ed25519 or ecdsa).
pub type Signature = MultiSignature;
/// Account identifier: the 32-byte public key of the signer.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// A balance of URA in its smallest unit (1 URA = 10^12 units).
pub type Balance = u128;
/// A block number.
pub type BlockNumber = u32;
/// The index of a transaction of an account.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// Milliseconds since the Unix epoch.
pub type Moment = u64;

/// Token metadata and units.
pub mod currency {
	use super::Balance;

	/// Ticker symbol of the native token.
	pub const TOKEN_SYMBOL: &str = "URA";
	/// Decimal places of the native token.
	pub const TOKEN_DECIMALS: u8 = 12;
	/// SS58 address prefix (the generic Substrate prefix, so wallets work unchanged).
	pub const SS58_PREFIX: u16 = 42;

	/// One URA.
	pub const URA: Balance = 1_000_000_000_000;
	/// One thousandth of a URA.
	pub const MILLI_URA: Balance = URA / 1_000;
	/// One millionth of a URA.
	pub const MICRO_URA: Balance = MILLI_URA / 1_000;
	/// The smallest balance an account may hold.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_URA;

	/// A deposit for storing `items` entries of `bytes` bytes in total.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		items as Balance * 100 * MILLI_URA + (bytes as Balance) * 100 * MICRO_URA
	}
}
