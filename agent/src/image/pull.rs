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

	/// Downloads blob `desc` into `dest` (a temporary path; the caller verifies its digest and
	/// moves it). The size is checked while streaming: a registry that sends more than the
	/// descriptor declares (or announces it) is cut off at once, before it can fill the disk;
	/// one that sends less is refused too.
	pub async fn fetch_blob(
		&self,
		image: &ImageRef,
		desc: &OciDescriptor,
		dest: &Path,
	) -> Result<(), ImageError> {
		use futures_util::StreamExt;
		use tokio::io::AsyncWriteExt;
		let declared = u64::try_from(desc.size).map_err(|_| {
			ImageError::InvalidConfig(format!("blob {} declares size {}", desc.digest, desc.size))
		})?;
		let too_large = || ImageError::BlobSize { digest: desc.digest.clone(), declared };
		let client = self.client_for(image.reference.registry());
		let mut blob = client
			.pull_blob_stream(&image.reference, desc)
			.await
			.map_err(|e| classify(image, e))?;
		if blob.content_length.is_some_and(|n| n != declared) {
			return Err(too_large());
		}
		let mut file = tokio::fs::File::create(dest)
			.await
			.map_err(ImageError::io(format!("create {}", dest.display())))?;
		let mut received = 0u64;
		while let Some(chunk) = blob.stream.next().await {
			let chunk = match chunk {
				Ok(c) => c,
				// oci-client checks the digest at the stream's end: with every declared byte
				// here, the store's own digest check decides (a mismatch is the image's fault).
				Err(_) if received == declared => break,
				Err(e) => {
					return Err(ImageError::Registry {
						reference: image.reference.whole(),
						message: e.to_string(),
					})
				},
			};
			received = received.saturating_add(chunk.len() as u64);
			if received > declared {
				return Err(too_large());
			}
			file.write_all(&chunk)
				.await
				.map_err(ImageError::io(format!("write {}", dest.display())))?;
		}
		if received != declared {
			return Err(too_large());
		}
		file.flush().await.map_err(ImageError::io(format!("write {}", dest.display())))?;
		Ok(())
	}
}

/// What a registry failure means for the job: content that does not hash to its digest is
/// the image's (its registry serves something else than what was pinned), an unknown image
/// too, anything else is the registry failing (retried; the provider's side).
fn classify(image: &ImageRef, e: oci_client::errors::OciDistributionError) -> ImageError {
	use oci_client::errors::{DigestError, OciDistributionError};
	if let OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) =
		&e
	{
		return ImageError::DigestMismatch { digest: expected.clone(), actual: actual.clone() };
	}
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

	/// A registry on loopback that hands each connection and its request path to `answer`.
	fn serve(answer: impl Fn(&str, &mut std::net::TcpStream) + Send + 'static) -> String {
		use std::io::Read;
		let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let addr = listener.local_addr().unwrap().to_string();
		std::thread::spawn(move || {
			for conn in listener.incoming() {
				let Ok(mut conn) = conn else { continue };
				let mut req = [0u8; 4096];
				let n = conn.read(&mut req).unwrap_or(0);
				let path = String::from_utf8_lossy(&req[..n])
					.split_whitespace()
					.nth(1)
					.unwrap_or("")
					.to_string();
				answer(&path, &mut conn);
			}
		});
		addr
	}

	/// A hostile registry on loopback: answers `/v2/` and serves every blob as `body_len`
	/// bytes, announcing `announced` as its length (`None`: chunked, no length).
	fn evil_registry(body_len: usize, announced: Option<usize>) -> String {
		use std::io::Write;
		serve(move |path, conn| {
			if !path.contains("/blobs/") {
				let _ = conn.write_all(
					b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
				);
				return;
			}
			let head = match announced {
				Some(n) => {
					format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\nconnection: close\r\n\r\n")
				},
				None => {
					"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
						.into()
				},
			};
			if conn.write_all(head.as_bytes()).is_err() {
				return;
			}
			let chunk = vec![b'z'; 64 << 10];
			let mut left = body_len;
			while left > 0 {
				let n = left.min(chunk.len());
				let ok = if announced.is_some() {
					conn.write_all(&chunk[..n])
				} else {
					conn.write_all(format!("{n:x}\r\n").as_bytes())
						.and_then(|_| conn.write_all(&chunk[..n]))
						.and_then(|_| conn.write_all(b"\r\n"))
				};
				if ok.is_err() {
					return; // the agent hung up: what it was meant to do
				}
				left -= n;
			}
			if announced.is_none() {
				let _ = conn.write_all(b"0\r\n\r\n");
			}
		})
	}

	/// A registry answering every manifest request with `manifest` and every blob request
	/// with `blob`.
	fn lying_registry(manifest: String, blob: String) -> String {
		use std::io::Write;
		serve(move |path, conn| {
			let (kind, body) = if path.contains("/manifests/") {
				("application/vnd.oci.image.manifest.v1+json", manifest.as_str())
			} else if path.contains("/blobs/") {
				("application/octet-stream", blob.as_str())
			} else {
				("application/json", "{}")
			};
			let _ = conn.write_all(
				format!(
					"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
					body.len()
				)
				.as_bytes(),
			);
		})
	}

	fn sha256(s: &str) -> String {
		use sha2::Digest as _;
		format!("sha256:{}", hex::encode(sha2::Sha256::digest(s.as_bytes())))
	}

	/// A registry that serves another manifest than the pinned digest, or a config that does
	/// not hash to the manifest's config digest, is refused as the image's fault
	/// (`DigestMismatch`, 422), never taken for a registry outage to retry.
	#[tokio::test]
	async fn manifest_and_config_digest_mismatches_are_refused() {
		let config =
			r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
		let manifest = |config_digest: &str| {
			format!(
				r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
				config.len()
			)
		};
		// The manifest is not the pinned one.
		let served = manifest(&sha256(config));
		let addr = lying_registry(served.clone(), config.to_string());
		let pinned = format!("sha256:{}", "c".repeat(64));
		let image = ImageRef::parse(&format!("{addr}/lying/image@{pinned}")).unwrap();
		let err = Puller::new(vec![]).fetch_manifest(&image).await.err().unwrap();
		assert!(matches!(err, ImageError::DigestMismatch { .. }), "manifest: {err}");
		// The manifest is the pinned one, but its config is not what it names.
		let served = manifest(&sha256("another config"));
		let addr = lying_registry(served.clone(), config.to_string());
		let image = ImageRef::parse(&format!("{addr}/lying/image@{}", sha256(&served))).unwrap();
		let err = Puller::new(vec![]).fetch_manifest(&image).await.err().unwrap();
		assert!(matches!(err, ImageError::DigestMismatch { .. }), "config: {err}");
	}

	/// Defect #19: a blob larger than its descriptor is refused while it streams, whether
	/// the registry announces its length or not; nothing beyond the declared size is written.
	#[tokio::test]
	async fn a_blob_larger_than_its_descriptor_is_cut_off_while_streaming() {
		let declared = 1_000usize;
		for announced in [Some(64 << 20), None] {
			let addr = evil_registry(64 << 20, announced);
			let image =
				ImageRef::parse(&format!("{addr}/evil/image@sha256:{}", "a".repeat(64))).unwrap();
			let desc = OciDescriptor {
				media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
				digest: format!("sha256:{}", "b".repeat(64)),
				size: declared as i64,
				..Default::default()
			};
			let dir = tempfile::tempdir().unwrap();
			let dest = dir.path().join("blob");
			let err = Puller::new(vec![]).fetch_blob(&image, &desc, &dest).await.unwrap_err();
			assert!(matches!(err, ImageError::BlobSize { .. }), "{announced:?}: {err}");
			let written = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
			assert!(written <= declared as u64, "{announced:?}: {written} bytes written");
		}
	}

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
