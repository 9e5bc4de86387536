//! The content-addressed image store and the shared rootfs cache.

use super::{
	pull::{ImageRef, Puller},
	unpack::{unpack_layer, Compression, UnpackBudget},
	ImageError,
};
use crate::userns::IdMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::Arc,
};
use tokio::sync::Mutex;

/// What a job needs from its image's config.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRunConfig {
	/// `Entrypoint` of the image.
	pub entrypoint: Vec<String>,
	/// `Cmd` of the image.
	pub cmd: Vec<String>,
	/// `Env` of the image.
	pub env: Vec<String>,
	/// `WorkingDir` of the image.
	pub working_dir: Option<String>,
	/// The uid the job runs as (the image's `User`, resolved in its rootfs).
	pub uid: u32,
	/// The gid the job runs as.
	pub gid: u32,
}

/// An image ready to run.
#[derive(Clone, Debug)]
pub struct PreparedImage {
	/// The unpacked root filesystem (shared; mounted read-only into jobs).
	pub rootfs: PathBuf,
	/// The run configuration.
	pub config: ImageRunConfig,
}

#[derive(Deserialize)]
struct RawImageConfig {
	#[serde(default)]
	config: Option<RawRunConfig>,
}

#[derive(Deserialize)]
struct RawRunConfig {
	#[serde(rename = "Entrypoint", default)]
	entrypoint: Option<Vec<String>>,
	#[serde(rename = "Cmd", default)]
	cmd: Option<Vec<String>>,
	#[serde(rename = "Env", default)]
	env: Option<Vec<String>>,
	#[serde(rename = "WorkingDir", default)]
	working_dir: Option<String>,
	#[serde(rename = "User", default)]
	user: Option<String>,
}

/// The image store under `<data>/images`.
#[derive(Clone)]
pub struct ImageStore {
	root: PathBuf,
	puller: Puller,
	owners: IdMap,
	locks: Arc<Mutex<HashMap<String, Arc<Mutex<()>>>>>,
}

fn sha256_file(path: &Path) -> Result<String, ImageError> {
	let mut f =
		std::fs::File::open(path).map_err(ImageError::io(format!("open {}", path.display())))?;
	let mut h = Sha256::new();
	let mut buf = vec![0u8; 1 << 16];
	loop {
		let n = std::io::Read::read(&mut f, &mut buf)
			.map_err(ImageError::io(format!("hash {}", path.display())))?;
		if n == 0 {
			break;
		}
		h.update(&buf[..n]);
	}
	Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

fn digest_hex(digest: &str) -> Result<&str, ImageError> {
	digest
		.strip_prefix("sha256:")
		.filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
		.ok_or_else(|| ImageError::InvalidConfig(format!("unsupported digest {digest}")))
}

impl ImageStore {
	/// A store rooted at `root`, pulling with `puller`; unpacked files are owned by the
	/// jobs' user namespace range `owners`.
	pub fn open(root: PathBuf, puller: Puller, owners: IdMap) -> Result<ImageStore, ImageError> {
		for d in ["blobs/sha256", "rootfs", "tmp"] {
			std::fs::create_dir_all(root.join(d))
				.map_err(ImageError::io(format!("create {}", root.join(d).display())))?;
		}
		// Leftovers of an interrupted pull are never trusted.
		if let Ok(entries) = std::fs::read_dir(root.join("tmp")) {
			for e in entries.flatten() {
				let _ =
					std::fs::remove_dir_all(e.path()).or_else(|_| std::fs::remove_file(e.path()));
			}
		}
		Ok(ImageStore { root, puller, owners, locks: Default::default() })
	}

	/// The unpacked rootfs of an image, for this store's owners' range.
	fn rootfs_dir(&self, hex: &str) -> PathBuf {
		self.root.join("rootfs").join(format!("{hex}.ids-{}", self.owners.base))
	}

	/// The run configuration of an unpacked image. Both names carry the owners' range, so an
	/// image unpacked for another range (or by an agent that did not shift owners) is
	/// unpacked again beside it, never under a running job.
	fn config_path(&self, hex: &str) -> PathBuf {
		self.root.join("rootfs").join(format!("{hex}.ids-{}.json", self.owners.base))
	}

	/// The cached image, if it was unpacked before.
	pub fn cached(&self, image: &ImageRef) -> Option<PreparedImage> {
		let config = std::fs::read(self.config_path(image.hex())).ok()?;
		let config = serde_json::from_slice(&config).ok()?;
		Some(PreparedImage { rootfs: self.rootfs_dir(image.hex()), config })
	}

	/// Checks that the registry has the image (fetches and verifies its manifest).
	pub async fn check_exists(&self, image: &ImageRef) -> Result<(), ImageError> {
		if self.cached(image).is_some() {
			return Ok(());
		}
		self.puller.fetch_manifest(image).await.map(|_| ())
	}

	/// Pulls (if needed) and unpacks `image`; on failure nothing of this pull is left behind.
	pub async fn prepare(&self, image: &ImageRef) -> Result<PreparedImage, ImageError> {
		let lock = {
			let mut locks = self.locks.lock().await;
			locks.entry(image.digest.clone()).or_default().clone()
		};
		let _guard = lock.lock().await;
		if let Some(p) = self.cached(image) {
			return Ok(p);
		}
		let mut fresh_blobs = Vec::new();
		let result = self.pull_and_unpack(image, &mut fresh_blobs).await;
		if result.is_err() {
			for b in fresh_blobs {
				let _ = std::fs::remove_file(b);
			}
		}
		result
	}

	async fn pull_and_unpack(
		&self,
		image: &ImageRef,
		fresh_blobs: &mut Vec<PathBuf>,
	) -> Result<PreparedImage, ImageError> {
		let fetched = self.puller.fetch_manifest(image).await?;
		let raw: RawImageConfig = serde_json::from_str(&fetched.config)
			.map_err(|e| ImageError::InvalidConfig(e.to_string()))?;
		let rc = raw.config.unwrap_or(RawRunConfig {
			entrypoint: None,
			cmd: None,
			env: None,
			working_dir: None,
			user: None,
		});
		let mut config = ImageRunConfig {
			entrypoint: rc.entrypoint.unwrap_or_default(),
			cmd: rc.cmd.unwrap_or_default(),
			env: rc.env.unwrap_or_default(),
			working_dir: rc.working_dir.filter(|w| !w.is_empty()),
			uid: 0,
			gid: 0,
		};
		let user = rc.user.unwrap_or_default();

		// What the layers declare is all the registry may send (checked while streaming):
		// an image declaring more than it may unpack to is refused before any download.
		let declared = fetched
			.layers
			.iter()
			.try_fold(0u64, |sum, l| u64::try_from(l.size).ok().and_then(|s| sum.checked_add(s)));
		if declared.is_none_or(|d| d > UnpackBudget::IMAGE.bytes) {
			return Err(ImageError::TooLarge {
				layer: image.digest.clone(),
				what: "bytes of layers".into(),
				limit: UnpackBudget::IMAGE.bytes,
			});
		}
		let total = fetched.layers.len();
		let mut blobs = Vec::new();
		for (i, layer) in fetched.layers.iter().enumerate() {
			let compression = Compression::from_media_type(&layer.media_type)?;
			let hex = digest_hex(&layer.digest)?.to_string();
			let blob = self.root.join("blobs/sha256").join(&hex);
			if !blob.exists() {
				let tmp =
					self.root.join("tmp").join(format!("blob-{hex}-{}", rand::random::<u32>()));
				let fetched_blob = self.puller.fetch_blob(image, layer, &tmp).await;
				let verified = fetched_blob.and_then(|_| {
					let actual = sha256_file(&tmp)?;
					if actual != layer.digest {
						return Err(ImageError::DigestMismatch {
							digest: layer.digest.clone(),
							actual,
						});
					}
					std::fs::rename(&tmp, &blob).map_err(ImageError::io("store blob"))
				});
				if let Err(e) = verified {
					let _ = std::fs::remove_file(&tmp);
					return Err(e);
				}
				fresh_blobs.push(blob.clone());
				tracing::info!(image = %image.reference.whole(), "pulled layer {}/{} {} ({} bytes)", i + 1, total, layer.digest, layer.size);
			} else {
				tracing::info!(image = %image.reference.whole(), "layer {}/{} {} already present", i + 1, total, layer.digest);
			}
			blobs.push((blob, compression, layer.digest.clone()));
		}

		let staging =
			self.root.join("tmp").join(format!("rootfs-{}-{}", image.hex(), rand::random::<u32>()));
		std::fs::create_dir_all(&staging).map_err(ImageError::io("create staging rootfs"))?;
		let owners = self.owners;
		let unpacked = tokio::task::spawn_blocking({
			let staging = staging.clone();
			move || {
				let mut budget = UnpackBudget::IMAGE;
				for (blob, compression, digest) in &blobs {
					unpack_layer(blob, *compression, &staging, digest, &mut budget, Some(owners))?;
				}
				// The root directory belongs to the container's root too.
				let (root_uid, root_gid) = (owners.host_or_nobody(0), owners.host_or_nobody(0));
				std::os::unix::fs::chown(&staging, Some(root_uid), Some(root_gid))
					.map_err(ImageError::io("own the rootfs"))?;
				super::user::resolve(&staging, &user)
			}
		})
		.await
		.map_err(|e| ImageError::Io {
			context: "unpack task".into(),
			err: std::io::Error::other(e),
		})?;
		match unpacked {
			Ok((uid, gid)) => (config.uid, config.gid) = (uid, gid),
			Err(e) => {
				let _ = std::fs::remove_dir_all(&staging);
				return Err(e);
			},
		}
		let rootfs = self.rootfs_dir(image.hex());
		let _ = std::fs::remove_dir_all(&rootfs);
		std::fs::rename(&staging, &rootfs).map_err(ImageError::io("publish rootfs"))?;
		// The config file is written last: its presence marks a complete rootfs.
		let tmp_cfg = self.root.join("tmp").join(format!("{}.json", image.hex()));
		std::fs::write(&tmp_cfg, serde_json::to_vec(&config).unwrap_or_default())
			.map_err(ImageError::io("write image config"))?;
		std::fs::rename(&tmp_cfg, self.config_path(image.hex()))
			.map_err(ImageError::io("publish image config"))?;
		tracing::info!(image = %image.reference.whole(), "image ready at {}", rootfs.display());
		Ok(PreparedImage { rootfs, config })
	}
}
