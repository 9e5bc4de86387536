//! A lease's gateway, reached over TLS pinned to the fingerprint its provider registered on
//! chain, every request signed by the user's key ([`uranus_primitives::gateway`]).

use crate::{chain::Chain, error::CliError, keys::Key};
use rustls::{
	client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
	crypto::{ring::default_provider, CryptoProvider},
	pki_types::{CertificateDer, ServerName, UnixTime},
	DigitallySignedStruct, SignatureScheme,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uranus_primitives::gateway as gw;

/// Accepts exactly the certificate whose SHA-256 the chain holds; no CA is involved.
#[derive(Debug)]
pub struct PinnedCert {
	sha256: [u8; 32],
	provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCert {
	fn verify_server_cert(
		&self,
		end_entity: &CertificateDer<'_>,
		_intermediates: &[CertificateDer<'_>],
		_server_name: &ServerName<'_>,
		_ocsp_response: &[u8],
		_now: UnixTime,
	) -> Result<ServerCertVerified, rustls::Error> {
		let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
		if got == self.sha256 {
			Ok(ServerCertVerified::assertion())
		} else {
			Err(rustls::Error::General(format!(
				"the gateway's certificate (sha256 {}) is not the one registered on chain ({})",
				hex::encode(got),
				hex::encode(self.sha256)
			)))
		}
	}

	fn verify_tls12_signature(
		&self,
		message: &[u8],
		cert: &CertificateDer<'_>,
		dss: &DigitallySignedStruct,
	) -> Result<HandshakeSignatureValid, rustls::Error> {
		rustls::crypto::verify_tls12_signature(
			message,
			cert,
			dss,
			&self.provider.signature_verification_algorithms,
		)
	}

	fn verify_tls13_signature(
		&self,
		message: &[u8],
		cert: &CertificateDer<'_>,
		dss: &DigitallySignedStruct,
	) -> Result<HandshakeSignatureValid, rustls::Error> {
		rustls::crypto::verify_tls13_signature(
			message,
			cert,
			dss,
			&self.provider.signature_verification_algorithms,
		)
	}

	fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
		self.provider.signature_verification_algorithms.supported_schemes()
	}
}

/// A TLS client configuration that trusts only `sha256`.
pub fn pinned_tls(sha256: [u8; 32]) -> Result<rustls::ClientConfig, CliError> {
	let provider = Arc::new(default_provider());
	let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
		.with_safe_default_protocol_versions()
		.map_err(|e| CliError::Gateway(e.to_string()))?
		.dangerous()
		.with_custom_certificate_verifier(Arc::new(PinnedCert { sha256, provider }))
		.with_no_client_auth();
	config.alpn_protocols = vec![b"http/1.1".to_vec()];
	Ok(config)
}

/// One lease's gateway.
pub struct LeaseGateway {
	/// The lease.
	pub lease: u64,
	/// `https://host:port`, no trailing slash.
	pub base: String,
	/// The pinned TLS configuration.
	pub tls: Arc<rustls::ClientConfig>,
	/// The HTTP client over it.
	pub http: reqwest::Client,
	/// The lease as the chain has it (`market_lease`).
	pub view: serde_json::Value,
}

impl LeaseGateway {
	/// Finds lease `lease`'s provider's gateway on chain. A provider that registered none
	/// (so no certificate to pin) is refused: the CLI never talks to an unpinned gateway.
	pub async fn open(chain: &Chain, lease: u64) -> Result<LeaseGateway, CliError> {
		let view = chain.lease(lease).await?;
		let provider = view["provider"].as_str().unwrap_or_default();
		let account = sp_core::crypto::Ss58Codec::from_ss58check(provider)
			.map(|a: sp_core::crypto::AccountId32| <[u8; 32]>::from(a))
			.map_err(|_| CliError::Chain(format!("lease {lease}'s provider {provider:?}")))?;
		let gateway = chain.gateway_of(account).await?.ok_or_else(|| {
			CliError::Gateway(format!(
				"provider {provider} registered no gateway, so there is no TLS certificate to \
				 pin: refusing to connect"
			))
		})?;
		let base = String::from_utf8(gateway.url)
			.map_err(|_| CliError::Gateway("the gateway URL is not UTF-8".into()))?
			.trim_end_matches('/')
			.to_string();
		if !base.starts_with("https://") {
			return Err(CliError::Gateway(format!("{base} is not an https URL: refusing")));
		}
		let tls = Arc::new(pinned_tls(gateway.tls_sha256)?);
		let http = reqwest::Client::builder()
			.tls_backend_preconfigured((*tls).clone())
			.connect_timeout(std::time::Duration::from_secs(10))
			.build()
			.map_err(|e| CliError::Gateway(format!("TLS client: {e}")))?;
		Ok(LeaseGateway { lease, base, tls, http, view })
	}

	/// The signature headers of a `method` request to `path_and_query`.
	pub fn signed_headers(
		&self,
		key: &Key,
		method: &str,
		path_and_query: &str,
	) -> Vec<(&'static str, String)> {
		let timestamp = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_millis() as u64)
			.unwrap_or(0);
		let nonce = hex::encode(rand::random::<[u8; 16]>());
		let payload = gw::signing_payload(self.lease, method, path_and_query, timestamp, &nonce);
		vec![
			(gw::HEADER_ACCOUNT, key.ss58()),
			(gw::HEADER_SCHEME, key.scheme().as_str().to_string()),
			(gw::HEADER_TIMESTAMP, timestamp.to_string()),
			(gw::HEADER_NONCE, nonce),
			(gw::HEADER_SIGNATURE, hex::encode(key.sign_bytes(&payload))),
		]
	}

	/// A signed GET of `path_and_query`; a refusal becomes [`CliError::Gateway`].
	pub async fn get(
		&self,
		key: &Key,
		path_and_query: &str,
	) -> Result<reqwest::Response, CliError> {
		let mut req = self.http.get(format!("{}{path_and_query}", self.base));
		for (name, value) in self.signed_headers(key, "GET", path_and_query) {
			req = req.header(name, value);
		}
		let resp = req
			.send()
			.await
			.map_err(|e| CliError::Gateway(format!("{}: {}", self.base, error_chain(&e))))?;
		if resp.status().is_success() {
			return Ok(resp);
		}
		let status = resp.status();
		let body = resp.text().await.unwrap_or_default();
		let message = serde_json::from_str::<serde_json::Value>(&body)
			.ok()
			.and_then(|v| v["message"].as_str().map(str::to_string))
			.unwrap_or(body);
		Err(if status == reqwest::StatusCode::NOT_FOUND {
			CliError::NotFound(message)
		} else {
			CliError::Gateway(format!("{status}: {message}"))
		})
	}
}

/// An error with its causes (TLS refusals are in the causes).
pub fn error_chain(e: &dyn std::error::Error) -> String {
	let mut s = e.to_string();
	let mut cause = e.source();
	while let Some(c) = cause {
		s.push_str(": ");
		s.push_str(&c.to_string());
		cause = c.source();
	}
	s
}
