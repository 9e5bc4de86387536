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
	collections::{HashMap, HashSet},
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
	/// Bytes the image takes in the store (its layer blobs and its unpacked files).
	#[serde(default)]
	pub store_bytes: u64,
	/// Its layers' digests (the blobs it holds in the store).
	#[serde(default)]
	pub layers: Vec<String>,
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

/// Layer digests of a pull in flight, registered for its lifetime.
struct InFlight {
	pulling: Arc<std::sync::Mutex<HashMap<String, usize>>>,
	layers: Vec<String>,
}

impl InFlight {
	fn new(pulling: &Arc<std::sync::Mutex<HashMap<String, usize>>>, layers: &[String]) -> InFlight {
		let mut p = pulling.lock().unwrap_or_else(|e| e.into_inner());
		for l in layers {
			*p.entry(l.clone()).or_default() += 1;
		}
		InFlight { pulling: pulling.clone(), layers: layers.to_vec() }
	}
}

impl Drop for InFlight {
	fn drop(&mut self) {
		let mut p = self.pulling.lock().unwrap_or_else(|e| e.into_inner());
		for l in &self.layers {
			if let Some(n) = p.get_mut(l) {
				*n -= 1;
				if *n == 0 {
					p.remove(l);
				}
			}
		}
	}
}

/// The image store under `<data>/images`.
#[derive(Clone)]
pub struct ImageStore {
	root: PathBuf,
	puller: Puller,
	owners: IdMap,
	/// The store's quota (see [`ImageStore::make_room`]).
	max_bytes: u64,
	/// Serializes evictions.
	evicting: Arc<std::sync::Mutex<()>>,
	/// Layer digests of pulls in flight (never evicted under them), with their counts.
	pulling: Arc<std::sync::Mutex<HashMap<String, usize>>>,
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
	/// A store rooted at `root`, pulling with `puller`, holding at most `max_bytes` (see
	/// [`ImageStore::make_room`]); unpacked files are owned by the jobs' user namespace range
	/// `owners`.
	pub fn open(
		root: PathBuf,
		puller: Puller,
		owners: IdMap,
		max_bytes: u64,
	) -> Result<ImageStore, ImageError> {
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
		Ok(ImageStore {
			root,
			puller,
			owners,
			max_bytes,
			evicting: Default::default(),
			pulling: Default::default(),
			locks: Default::default(),
		})
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

	/// The cached image, if it was unpacked before (marked used now: eviction takes the
	/// least recently used first).
	pub fn cached(&self, image: &ImageRef) -> Option<PreparedImage> {
		let path = self.config_path(image.hex());
		let config = std::fs::read(&path).ok()?;
		let config = serde_json::from_slice(&config).ok()?;
		if let Ok(f) = std::fs::File::options().append(true).open(&path) {
			let _ = f.set_modified(std::time::SystemTime::now());
		}
		Some(PreparedImage { rootfs: self.rootfs_dir(image.hex()), config })
	}

	/// Every cached image of this store's range: (manifest hex, config, last use).
	fn cached_images(&self) -> Vec<(String, ImageRunConfig, std::time::SystemTime)> {
		let suffix = format!(".ids-{}.json", self.owners.base);
		let Ok(entries) = std::fs::read_dir(self.root.join("rootfs")) else { return Vec::new() };
		entries
			.flatten()
			.filter_map(|e| {
				let name = e.file_name().to_string_lossy().to_string();
				let hex = name.strip_suffix(&suffix)?.to_string();
				let config = serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok()?;
				let used = e.metadata().and_then(|m| m.modified()).ok()?;
				Some((hex, config, used))
			})
			.collect()
	}

	/// Makes room for `needed` more bytes within the store's quota by evicting the least
	/// recently used images that no live job uses (`in_use`: manifest hexes): their rootfs,
	/// config and the blobs no other cached image or pull in flight holds. Refuses
	/// ([`ImageError::StoreFull`]) when the quota cannot be met.
	fn make_room(&self, needed: u64, in_use: &HashSet<String>) -> Result<(), ImageError> {
		let _one = self.evicting.lock().unwrap_or_else(|e| e.into_inner());
		let full = || ImageError::StoreFull { needed, max: self.max_bytes };
		if needed > self.max_bytes {
			return Err(full());
		}
		loop {
			let images = self.cached_images();
			let used: u64 =
				images.iter().map(|(_, c, _)| c.store_bytes).fold(0, u64::saturating_add);
			if used.saturating_add(needed) <= self.max_bytes {
				return Ok(());
			}
			let Some((hex, victim, _)) = images
				.iter()
				.filter(|(hex, _, _)| !in_use.contains(hex))
				.min_by_key(|(_, _, used)| *used)
				.cloned()
			else {
				return Err(full());
			};
			tracing::info!(image = %hex, bytes = victim.store_bytes, "evicting an unused image");
			// The config goes first: without it the image is not cached any more.
			std::fs::remove_file(self.config_path(&hex)).map_err(ImageError::io("evict config"))?;
			let _ = std::fs::remove_dir_all(self.rootfs_dir(&hex));
			let pulling = self.pulling.lock().unwrap_or_else(|e| e.into_inner());
			for layer in &victim.layers {
				let shared = images.iter().any(|(h, c, _)| *h != hex && c.layers.contains(layer));
				if shared || pulling.contains_key(layer) {
					continue;
				}
				if let Ok(blob) = digest_hex(layer) {
					let _ = std::fs::remove_file(self.root.join("blobs/sha256").join(blob));
				}
			}
		}
	}

	/// Checks that the registry has the image (fetches and verifies its manifest).
	pub async fn check_exists(&self, image: &ImageRef) -> Result<(), ImageError> {
		if self.cached(image).is_some() {
			return Ok(());
		}
		self.puller.fetch_manifest(image).await.map(|_| ())
	}

	/// Pulls (if needed) and unpacks `image`, first making room for it within the quota
	/// (images of `in_use`, the manifest hexes of live jobs, are never evicted); on failure
	/// nothing of this pull is left behind.
	pub async fn prepare(
		&self,
		image: &ImageRef,
		in_use: &HashSet<String>,
	) -> Result<PreparedImage, ImageError> {
		let lock = {
			let mut locks = self.locks.lock().await;
			locks.entry(image.digest.clone()).or_default().clone()
		};
		let _guard = lock.lock().await;
		if let Some(p) = self.cached(image) {
			return Ok(p);
		}
		let mut fresh_blobs = Vec::new();
		let result = self.pull_and_unpack(image, in_use, &mut fresh_blobs).await;
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
		in_use: &HashSet<String>,
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
			store_bytes: 0,
			layers: fetched.layers.iter().map(|l| l.digest.clone()).collect(),
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
		// The layers are in flight from here (never evicted under this pull), and the quota
		// must hold at least what they declare.
		let _in_flight = InFlight::new(&self.pulling, &config.layers);
		self.make_room(declared.unwrap_or(u64::MAX), in_use)?;
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
				let unpacked = UnpackBudget::IMAGE.bytes.saturating_sub(budget.bytes);
				super::user::resolve(&staging, &user).map(|ids| (ids, unpacked))
			}
		})
		.await
		.map_err(|e| ImageError::Io {
			context: "unpack task".into(),
			err: std::io::Error::other(e),
		})?;
		match unpacked {
			Ok(((uid, gid), unpacked)) => {
				(config.uid, config.gid) = (uid, gid);
				config.store_bytes = declared.unwrap_or(0).saturating_add(unpacked);
			},
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
