//! The user's key: from a secret URI given in `URANUS_SURI`, a key file or `--suri`, as
//! sr25519 or ed25519. The secret is never printed; only the public account is.

use anyhow::Context;
use sp_core::{crypto::Ss58Codec, ed25519, sr25519, Pair as _};
use std::path::Path;
use subxt::{
	tx::Signer as SubxtSigner,
	utils::{AccountId32, MultiSignature},
	PolkadotConfig,
};
use uranus_primitives::gateway::Scheme;

/// A key pair of either scheme.
#[derive(Clone)]
pub enum Key {
	/// Schnorrkel/Ristretto.
	Sr25519(sr25519::Pair),
	/// Ed25519.
	Ed25519(ed25519::Pair),
}

impl Key {
	/// The key of secret URI `suri` (`//Alice`, a mnemonic, a hex seed, with derivations).
	pub fn from_suri(suri: &str, scheme: Scheme) -> anyhow::Result<Key> {
		// The error never carries the secret.
		Ok(match scheme {
			Scheme::Sr25519 => Key::Sr25519(
				sr25519::Pair::from_string(suri, None)
					.map_err(|e| anyhow::anyhow!("not a valid secret URI: {e:?}"))?,
			),
			Scheme::Ed25519 => Key::Ed25519(
				ed25519::Pair::from_string(suri, None)
					.map_err(|e| anyhow::anyhow!("not a valid secret URI: {e:?}"))?,
			),
		})
	}

	/// The key whose secret URI is the first line of `path`, which only its owner may read.
	pub fn from_file(path: &Path, scheme: Scheme) -> anyhow::Result<Key> {
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path)
			.with_context(|| format!("key file {}", path.display()))?
			.permissions()
			.mode();
		anyhow::ensure!(
			mode & 0o077 == 0,
			"key file {} is readable by others (mode {:o}): chmod 600 it",
			path.display(),
			mode & 0o777
		);
		let text = std::fs::read_to_string(path)
			.with_context(|| format!("read key file {}", path.display()))?;
		Key::from_suri(text.lines().next().unwrap_or("").trim(), scheme)
	}

	/// Its scheme.
	pub fn scheme(&self) -> Scheme {
		match self {
			Key::Sr25519(_) => Scheme::Sr25519,
			Key::Ed25519(_) => Scheme::Ed25519,
		}
	}

	/// The account (public key) bytes.
	pub fn public(&self) -> [u8; 32] {
		match self {
			Key::Sr25519(p) => p.public().0,
			Key::Ed25519(p) => p.public().0,
		}
	}

	/// The account in SS58 (the chain's generic prefix).
	pub fn ss58(&self) -> String {
		sp_core::crypto::AccountId32::from(self.public()).to_ss58check()
	}

	/// A 64-byte signature of `msg`.
	pub fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
		match self {
			Key::Sr25519(p) => p.sign(msg).0,
			Key::Ed25519(p) => p.sign(msg).0,
		}
	}
}

impl SubxtSigner<PolkadotConfig> for Key {
	fn account_id(&self) -> AccountId32 {
		AccountId32(self.public())
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		match self {
			Key::Sr25519(p) => MultiSignature::Sr25519(p.sign(payload).0),
			Key::Ed25519(p) => MultiSignature::Ed25519(p.sign(payload).0),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn keys_come_from_uris_and_owner_only_files() {
		let alice = Key::from_suri("//Alice", Scheme::Sr25519).unwrap();
		assert_eq!(alice.ss58(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		let ed = Key::from_suri("//Alice", Scheme::Ed25519).unwrap();
		assert_ne!(ed.public(), alice.public());
		let err = Key::from_suri("not a secret at all", Scheme::Sr25519).err().unwrap();
		assert!(!err.to_string().contains("not a secret at all"), "the secret is never echoed");

		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("key");
		std::fs::write(&path, "//Bob\n").unwrap();
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
		assert!(Key::from_file(&path, Scheme::Sr25519).is_err());
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
		let bob = Key::from_file(&path, Scheme::Sr25519).unwrap();
		assert_eq!(bob.ss58(), "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty");
	}
}
