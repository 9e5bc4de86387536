//! Fetching manifests, configs and layers from an OCI registry with `oci-client`.
//!
//! Plain HTTP is used only for loopback registries and those the operator marked insecure;
//! everything else is HTTPS.

use super::ImageError;
use oci_client::{
	client::{ClientConfig, ClientProtocol},
	manifest::OciDescriptor,
	secrets::RegistryAuth,
	Client, Reference,
};
use std::path::Path;

/// A parsed image reference that is pinned by a sha256 digest.
#[derive(Clone, Debug)]
pub struct ImageRef {
	/// The parsed reference.
	pub reference: Reference,
	/// `sha256:<hex>` of the manifest.
	pub digest: String,
}

impl ImageRef {
	/// Parses `registry/repository@sha256:<64 hex>`; tags alone are refused.
	pub fn parse(s: &str) -> Result<ImageRef, ImageError> {
		let reference: Reference =
			s.parse().map_err(|_| ImageError::InvalidReference(s.to_string()))?;
		let digest = reference
			.digest()
			.ok_or_else(|| ImageError::InvalidReference(s.to_string()))?
			.to_string();
		let hex =
			digest.strip_prefix("sha256:").ok_or_else(|| ImageError::InvalidReference(s.into()))?;
		if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
		{
			return Err(ImageError::InvalidReference(s.to_string()));
		}
		Ok(ImageRef { reference, digest })
	}

	/// The hex part of the digest.
	pub fn hex(&self) -> &str {
		&self.digest["sha256:".len()..]
	}
}

/// A manifest and config fetched from a registry.
pub struct FetchedManifest {
	/// Layers in order, lowest first.
	pub layers: Vec<OciDescriptor>,
	/// The image config JSON.
	pub config: String,
}

/// Pulls from registries.
#[derive(Clone)]
pub struct Puller {
	insecure: Vec<String>,
}

impl Puller {
	/// A puller that allows plain HTTP for loopback registries and for `insecure` ones.
	pub fn new(insecure: Vec<String>) -> Self {
		Self { insecure }
	}

	fn client_for(&self, registry: &str) -> Client {
		let host = registry.rsplit_once(':').map(|(h, _)| h).unwrap_or(registry);
		let loopback = host == "localhost"
			|| host.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
			|| host == "[::1]";
		let protocol = if loopback || self.insecure.iter().any(|r| r == registry) {
			ClientProtocol::HttpsExcept(vec![registry.to_string()])
		} else {
			ClientProtocol::Https
		};
		Client::new(ClientConfig { protocol, ..Default::default() })
	}

	/// Fetches the manifest (checking it hashes to the pinned digest) and the config.
	pub async fn fetch_manifest(&self, image: &ImageRef) -> Result<FetchedManifest, ImageError> {
		let client = self.client_for(image.reference.registry());
		let (manifest, digest, config) = client
			.pull_manifest_and_config(&image.reference, &RegistryAuth::Anonymous)
			.await
			.map_err(|e| classify(image, e))?;
		if digest != image.digest {
			return Err(ImageError::DigestMismatch {
				digest: image.digest.clone(),
				actual: digest,
			});
		}
		// The config blob is verified like every other blob.
		use sha2::Digest as _;
		let actual = format!("sha256:{}", hex::encode(sha2::Sha256::digest(config.as_bytes())));
		if actual != manifest.config.digest {
			return Err(ImageError::DigestMismatch {
				digest: manifest.config.digest.clone(),
				actual,
			});
		}
		Ok(FetchedManifest { layers: manifest.layers, config })
	}

	/// Downloads blob `desc` into `dest` (a temporary path; the caller verifies and moves it).
	pub async fn fetch_blob(
		&self,
		image: &ImageRef,
		desc: &OciDescriptor,
		dest: &Path,
	) -> Result<(), ImageError> {
		let client = self.client_for(image.reference.registry());
		let file = tokio::fs::File::create(dest)
			.await
			.map_err(ImageError::io(format!("create {}", dest.display())))?;
		client.pull_blob(&image.reference, desc, file).await.map_err(|e| classify(image, e))?;
		Ok(())
	}
}

fn classify(image: &ImageRef, e: oci_client::errors::OciDistributionError) -> ImageError {
	let message = e.to_string();
	let lower = message.to_lowercase();
	if lower.contains("manifest_unknown")
		|| lower.contains("manifest unknown")
		|| lower.contains("blob unknown")
		|| lower.contains("not found")
		|| lower.contains("404")
		|| lower.contains("blob_unknown")
	{
		ImageError::NotFound(image.reference.whole())
	} else {
		ImageError::Registry { reference: image.reference.whole(), message }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_digest_pinned_references_are_accepted() {
		let d = "a".repeat(64);
		let ok = ImageRef::parse(&format!("127.0.0.1:5000/test/busybox@sha256:{d}")).unwrap();
		assert_eq!(ok.hex(), d);
		assert_eq!(ok.reference.registry(), "127.0.0.1:5000");
		for bad in [
			"127.0.0.1:5000/test/busybox:1.35".to_string(),
			format!("127.0.0.1:5000/test/busybox@sha256:{}", "a".repeat(63)),
			format!("127.0.0.1:5000/test/busybox@sha512:{d}"),
			"not a reference at all".to_string(),
		] {
			assert!(ImageRef::parse(&bad).is_err(), "{bad}");
		}
	}
}
