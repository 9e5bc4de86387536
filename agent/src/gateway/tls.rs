//! The gateway's TLS identity: a self-signed certificate (rcgen), made once and kept in
//! `<data>/gateway/`, whose SHA-256 users pin from the chain.

use anyhow::Context;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::{path::Path, sync::Arc};

/// The gateway's certificate and key.
pub struct GatewayCert {
	/// The certificate, DER.
	pub der: Vec<u8>,
	/// The private key, PEM.
	key_pem: String,
	/// SHA-256 of [`GatewayCert::der`]: what the provider registers on chain.
	pub sha256: [u8; 32],
}

/// The certificate in `dir`, made for `hosts` when there is none yet.
pub fn load_or_create(dir: &Path, hosts: &[String]) -> anyhow::Result<GatewayCert> {
	use std::os::unix::fs::OpenOptionsExt;
	let cert_path = dir.join("cert.pem");
	let key_path = dir.join("key.pem");
	if !cert_path.exists() || !key_path.exists() {
		std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
		let made = rcgen::generate_simple_self_signed(hosts.to_vec())
			.context("make the gateway certificate")?;
		let mut key = std::fs::OpenOptions::new()
			.write(true)
			.create(true)
			.truncate(true)
			.mode(0o600)
			.open(&key_path)
			.with_context(|| format!("write {}", key_path.display()))?;
		std::io::Write::write_all(&mut key, made.key_pair.serialize_pem().as_bytes())?;
		std::fs::write(&cert_path, made.cert.pem())?;
	}
	let cert = CertificateDer::from_pem_file(&cert_path)
		.with_context(|| format!("read {}", cert_path.display()))?;
	let key_pem = std::fs::read_to_string(&key_path)
		.with_context(|| format!("read {}", key_path.display()))?;
	let der = cert.as_ref().to_vec();
	let sha256 = Sha256::digest(&der).into();
	Ok(GatewayCert { der, key_pem, sha256 })
}

impl GatewayCert {
	/// A rustls server configuration (ring provider; HTTP/1.1, which WebSockets need).
	pub fn server_config(&self) -> anyhow::Result<rustls::ServerConfig> {
		let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
			.context("parse the gateway key")?;
		let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
			rustls::crypto::ring::default_provider(),
		))
		.with_safe_default_protocol_versions()?
		.with_no_client_auth()
		.with_single_cert(vec![CertificateDer::from(self.der.clone())], key)
		.context("gateway certificate and key")?;
		config.alpn_protocols = vec![b"http/1.1".to_vec()];
		Ok(config)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_certificate_is_made_once_and_its_fingerprint_stays() {
		let dir = tempfile::tempdir().unwrap();
		let a = load_or_create(dir.path(), &["localhost".into()]).unwrap();
		let b = load_or_create(dir.path(), &["localhost".into()]).unwrap();
		assert_eq!(a.sha256, b.sha256);
		assert_eq!(a.sha256, <[u8; 32]>::from(Sha256::digest(&a.der)));
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(dir.path().join("key.pem")).unwrap().permissions().mode();
		assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
		a.server_config().unwrap();
	}
}
