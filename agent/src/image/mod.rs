//! OCI images: pulled by digest, verified blob by blob, stored content-addressed and unpacked
//! once into a root filesystem shared by every job of the same image.
//!
//! ```text
//! <data>/images/blobs/sha256/<hex>        verified blobs (layers, config)
//! <data>/images/rootfs/<manifest hex>.ids-<base>/      unpacked root filesystem, read-only
//!                                                     to jobs, owned by the jobs' id range
//! <data>/images/rootfs/<manifest hex>.ids-<base>.json  the image config (entrypoint, cmd,
//!                                                     env, cwd, resolved uid and gid)
//! ```

pub mod pull;
pub mod store;
pub mod unpack;
pub mod user;
pub mod workdir;

pub use pull::{ImageRef, Puller};
pub use store::{ImageStore, PreparedImage};

/// Errors while pulling or unpacking an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
	/// The reference is not `registry/repository@sha256:<64 hex>`.
	#[error("invalid image reference {0:?}: expected registry/repository@sha256:<64 hex digits>")]
	InvalidReference(String),
	/// The registry does not know the digest.
	#[error("image {0} not found in its registry")]
	NotFound(String),
	/// The registry refused or failed.
	#[error("registry error for {reference}: {message}")]
	Registry {
		/// The image.
		reference: String,
		/// What the registry said.
		message: String,
	},
	/// A blob's content does not hash to its digest.
	#[error("digest mismatch for {digest}: content hashes to {actual}")]
	DigestMismatch {
		/// Expected digest.
		digest: String,
		/// Actual digest.
		actual: String,
	},
	/// A layer tries to write outside the root filesystem.
	#[error("layer {layer} has an entry escaping the root filesystem: {path}")]
	PathTraversal {
		/// The layer digest.
		layer: String,
		/// The offending path.
		path: String,
	},
	/// A layer has an entry the agent never unpacks (a device node, a FIFO).
	#[error("layer {layer} has an unsafe entry {path}: {reason}")]
	UnsafeEntry {
		/// The layer digest.
		layer: String,
		/// The offending path.
		path: String,
		/// Why it is refused.
		reason: String,
	},
	/// The image unpacks to more than its budget ([`unpack::UnpackBudget`]).
	#[error("image too large at layer {layer}: more than {limit} {what} once unpacked")]
	TooLarge {
		/// The layer digest.
		layer: String,
		/// `entries` or `bytes`.
		what: String,
		/// The budget.
		limit: u64,
	},
	/// A registry sent (or announced) a blob of another size than its descriptor declares.
	#[error("blob {digest} is not the {declared} bytes its descriptor declares")]
	BlobSize {
		/// The blob's digest.
		digest: String,
		/// The size its descriptor declares.
		declared: u64,
	},
	/// The image store cannot make room for an image within its quota (live jobs use the
	/// rest).
	#[error("the image store cannot hold {needed} more bytes within its {max}-byte quota")]
	StoreFull {
		/// Bytes the image needs (what its layers declare).
		needed: u64,
		/// The quota.
		max: u64,
	},
	/// A layer has a media type we cannot unpack.
	#[error("unsupported layer media type {0}")]
	UnsupportedMediaType(String),
	/// The image has no usable config.
	#[error("invalid image config: {0}")]
	InvalidConfig(String),
	/// A filesystem operation failed.
	#[error("{context}: {err}")]
	Io {
		/// What was being done.
		context: String,
		/// The cause.
		err: std::io::Error,
	},
}

impl ImageError {
	pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ImageError {
		let context = context.into();
		move |err| ImageError::Io { context, err }
	}
}
