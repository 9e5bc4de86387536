//! A job's outputs: what it wrote to `/out`, packed once it exited.
//!
//! `/out` is a directory of the job's scratch volume (so it counts against the storage the
//! job paid for). After the container is gone the agent packs it into
//! `<data>/outputs/<lease>.tar.zst` with a sidecar `<lease>.json` ([`StoredOutput`]); the
//! archive's SHA-256 and size go on chain with the lease's completion, and the lease's user
//! downloads it through the gateway until the provider's retention window ends.
//!
//! The directory is the job's: hostile. It is walked with `cap-std` inside the scratch
//! volume, symlinks are stored as symlinks and never followed, special files are skipped,
//! and the archive, its entry count and its depth are bounded.

use cap_std::{ambient_authority, fs::Dir};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
	io::Write,
	path::{Path, PathBuf},
};
use uranus_primitives::{agent::JobOutput, compute::OutputDigest, gateway::to_hex};

/// The directory inside the scratch volume that the container sees as `/out`.
pub const OUT_DIR: &str = "out";
/// Most entries an archive holds.
pub const MAX_ENTRIES: usize = 100_000;
/// Deepest directory nesting packed.
pub const MAX_DEPTH: usize = 64;

/// Why outputs could not be packed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
	/// The archive would be larger than the job's storage.
	#[error("the outputs are larger than the job's storage ({0} bytes)")]
	TooLarge(u64),
	/// `/out` holds more than [`MAX_ENTRIES`] entries or nests deeper than [`MAX_DEPTH`].
	#[error("the outputs hold too many entries or nest too deep")]
	TooManyEntries,
	/// Reading the outputs or writing the archive failed.
	#[error("packing the outputs: {0}")]
	Io(#[from] std::io::Error),
}

/// An archive kept for download, as its sidecar records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOutput {
	/// The lease.
	pub lease: u64,
	/// Digest and size.
	pub output: JobOutput,
	/// Unix ms after which the archive is deleted.
	pub expires_at_ms: u64,
}

/// The archive of lease `lease` under `data_dir`.
pub fn archive_path(data_dir: &Path, lease: u64) -> PathBuf {
	data_dir.join("outputs").join(format!("{lease}.tar.zst"))
}

fn sidecar_path(data_dir: &Path, lease: u64) -> PathBuf {
	data_dir.join("outputs").join(format!("{lease}.json"))
}

/// Counts and hashes what goes to the archive file, refusing more than `max` bytes.
struct Sink {
	file: std::fs::File,
	hasher: Sha256,
	written: u64,
	max: u64,
}

impl Write for Sink {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		if self.written.saturating_add(buf.len() as u64) > self.max {
			return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "over the quota"));
		}
		let n = self.file.write(buf)?;
		self.hasher.update(&buf[..n]);
		self.written += n as u64;
		Ok(n)
	}

	fn flush(&mut self) -> std::io::Result<()> {
		self.file.flush()
	}
}

/// Packs `<scratch>/out` of lease `lease` into its archive under `data_dir`, kept until
/// `expires_at_ms`. `None` when the job wrote nothing there (or `/out` is not a directory).
pub fn pack(
	scratch: &Path,
	data_dir: &Path,
	lease: u64,
	max_bytes: u64,
	expires_at_ms: u64,
) -> Result<Option<JobOutput>, OutputError> {
	let root = Dir::open_ambient_dir(scratch, ambient_authority())?;
	// A symlink in place of `out` is the job's attempt to point the packer elsewhere.
	match root.symlink_metadata(OUT_DIR) {
		Ok(m) if m.is_dir() => {},
		_ => return Ok(None),
	}
	let out = root.open_dir(OUT_DIR)?;
	let dest = archive_path(data_dir, lease);
	std::fs::create_dir_all(dest.parent().expect("outputs dir"))?;
	let partial = dest.with_extension("partial");
	let sink = Sink {
		file: std::fs::File::create(&partial)?,
		hasher: Sha256::new(),
		written: 0,
		max: max_bytes,
	};
	let result = (|| -> Result<(usize, Sink), OutputError> {
		let encoder = zstd::Encoder::new(sink, 3)?;
		let mut tar = tar::Builder::new(encoder);
		tar.mode(tar::HeaderMode::Deterministic);
		let mut entries = 0usize;
		add_dir(&mut tar, &out, Path::new(""), 0, &mut entries)?;
		let encoder = tar.into_inner()?;
		let mut sink = encoder.finish()?;
		sink.flush()?;
		sink.file.sync_all()?;
		Ok((entries, sink))
	})();
	let (entries, sink) = match result {
		Ok(r) => r,
		Err(e) => {
			let _ = std::fs::remove_file(&partial);
			return Err(match e {
				OutputError::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
					OutputError::TooLarge(max_bytes)
				},
				e => e,
			});
		},
	};
	if entries == 0 {
		let _ = std::fs::remove_file(&partial);
		return Ok(None);
	}
	let output = JobOutput { sha256: to_hex(&sink.hasher.finalize()), size_bytes: sink.written };
	std::fs::rename(&partial, &dest)?;
	let stored = StoredOutput { lease, output: output.clone(), expires_at_ms };
	let side = sidecar_path(data_dir, lease);
	std::fs::write(&side, serde_json::to_vec(&stored).expect("serializable"))?;
	Ok(Some(output))
}

fn add_dir<W: Write>(
	tar: &mut tar::Builder<W>,
	dir: &Dir,
	prefix: &Path,
	depth: usize,
	entries: &mut usize,
) -> Result<(), OutputError> {
	if depth > MAX_DEPTH {
		return Err(OutputError::TooManyEntries);
	}
	let mut names: Vec<_> = dir.entries()?.filter_map(|e| e.ok()).collect();
	// A stable order makes the same outputs the same archive.
	names.sort_by_key(|e| e.file_name());
	for entry in names {
		*entries += 1;
		if *entries > MAX_ENTRIES {
			return Err(OutputError::TooManyEntries);
		}
		let name = entry.file_name();
		let path = prefix.join(&name);
		// Neither follows a symlink.
		let kind = entry.file_type()?;
		let mut header = tar::Header::new_gnu();
		header.set_mtime(0);
		header.set_uid(0);
		header.set_gid(0);
		if kind.is_dir() {
			header.set_entry_type(tar::EntryType::Directory);
			header.set_mode(0o755);
			header.set_size(0);
			tar.append_data(&mut header, &path, std::io::empty())?;
			let sub = dir.open_dir(&name)?;
			add_dir(tar, &sub, &path, depth + 1, entries)?;
		} else if kind.is_file() {
			use cap_std::fs::PermissionsExt as _;
			let meta = dir.symlink_metadata(&name)?;
			let exec = meta.permissions().mode() & 0o111 != 0;
			header.set_entry_type(tar::EntryType::Regular);
			header.set_mode(if exec { 0o755 } else { 0o644 });
			header.set_size(meta.len());
			let file = dir.open(&name)?;
			tar.append_data(&mut header, &path, std::io::Read::take(file, meta.len()))?;
		} else if kind.is_symlink() {
			let target = read_link_at(dir, &name)?;
			header.set_entry_type(tar::EntryType::Symlink);
			header.set_mode(0o777);
			header.set_size(0);
			tar.append_link(&mut header, &path, &target)?;
		}
		// Devices, FIFOs and sockets are not outputs.
	}
	Ok(())
}

/// The target of symlink `name` in `dir`, as written (absolute targets included: cap-std's
/// `read_link` refuses those, but nothing here follows the link).
fn read_link_at(dir: &Dir, name: &std::ffi::OsStr) -> std::io::Result<PathBuf> {
	use std::os::{
		fd::AsRawFd,
		unix::ffi::{OsStrExt, OsStringExt},
	};
	let c = std::ffi::CString::new(name.as_bytes())
		.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
	let mut buf = vec![0u8; libc::PATH_MAX as usize];
	// SAFETY: readlinkat(2) on a directory descriptor we hold, a NUL-terminated name and a
	// buffer of the given length.
	let n = unsafe {
		libc::readlinkat(dir.as_raw_fd(), c.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
	};
	if n < 0 {
		return Err(std::io::Error::last_os_error());
	}
	buf.truncate(n as usize);
	Ok(PathBuf::from(std::ffi::OsString::from_vec(buf)))
}

/// The archive of lease `lease` and what its sidecar says, while its retention lasts.
pub fn stored(data_dir: &Path, lease: u64, now_ms: u64) -> Option<(PathBuf, StoredOutput)> {
	let side: StoredOutput =
		serde_json::from_slice(&std::fs::read(sidecar_path(data_dir, lease)).ok()?).ok()?;
	let path = archive_path(data_dir, lease);
	(side.lease == lease && side.expires_at_ms > now_ms && path.exists()).then_some((path, side))
}

/// Deletes archives whose retention ended (and leftovers of interrupted packing).
pub fn sweep(data_dir: &Path, now_ms: u64) {
	let Ok(dir) = std::fs::read_dir(data_dir.join("outputs")) else { return };
	for entry in dir.flatten() {
		let name = entry.file_name().to_string_lossy().into_owned();
		let Some(lease) = name.split('.').next().and_then(|l| l.parse::<u64>().ok()) else {
			continue;
		};
		let keep = name
			.ends_with(".partial")
			.then_some(false)
			.unwrap_or_else(|| stored(data_dir, lease, now_ms).is_some());
		if !keep {
			// One that cannot be deleted is tried again at the next sweep.
			if let Err(e) = std::fs::remove_file(entry.path()) {
				if e.kind() != std::io::ErrorKind::NotFound {
					tracing::warn!(lease, path = %entry.path().display(), "deleting expired outputs: {e}");
				}
			}
		}
	}
}

/// The digest of `output` as the chain records it.
pub fn digest(output: &JobOutput) -> Option<OutputDigest> {
	Some(OutputDigest {
		sha256: OutputDigest::parse_sha256_hex(&output.sha256)?,
		size_bytes: output.size_bytes,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	fn unpack(archive: &Path) -> Vec<(String, tar::EntryType, Vec<u8>)> {
		let file = std::fs::File::open(archive).unwrap();
		let mut tar = tar::Archive::new(zstd::Decoder::new(file).unwrap());
		tar.entries()
			.unwrap()
			.map(|e| {
				let mut e = e.unwrap();
				let mut body = Vec::new();
				std::io::Read::read_to_end(&mut e, &mut body).unwrap();
				let name = e.path().unwrap().display().to_string();
				let kind = e.header().entry_type();
				let body = if kind.is_symlink() {
					e.link_name().unwrap().unwrap().display().to_string().into_bytes()
				} else {
					body
				};
				(name, kind, body)
			})
			.collect()
	}

	#[test]
	fn outputs_are_packed_hashed_and_symlinks_are_never_followed() {
		let scratch = tempfile::tempdir().unwrap();
		let data = tempfile::tempdir().unwrap();
		let out = scratch.path().join(OUT_DIR);
		std::fs::create_dir_all(out.join("sub")).unwrap();
		std::fs::write(out.join("result.txt"), b"42\n").unwrap();
		std::fs::write(out.join("sub/more.txt"), b"more").unwrap();
		// The job points at the host's files: stored as links, never read.
		std::os::unix::fs::symlink("/etc/shadow", out.join("shadow")).unwrap();
		std::os::unix::fs::symlink("../../..", out.join("up")).unwrap();

		let o = pack(scratch.path(), data.path(), 5, 1 << 20, u64::MAX).unwrap().unwrap();
		let archive = archive_path(data.path(), 5);
		let bytes = std::fs::read(&archive).unwrap();
		assert_eq!(o.size_bytes, bytes.len() as u64);
		assert_eq!(o.sha256, to_hex(&Sha256::digest(&bytes)));
		let entries = unpack(&archive);
		let names: Vec<_> = entries.iter().map(|e| e.0.as_str()).collect();
		assert_eq!(names, ["result.txt", "shadow", "sub", "sub/more.txt", "up"]);
		assert_eq!(entries[0].2, b"42\n");
		assert!(entries[1].1.is_symlink() && entries[1].2 == b"/etc/shadow");
		assert!(entries[4].1.is_symlink());
		// Packing again gives the same archive.
		let again = pack(scratch.path(), data.path(), 5, 1 << 20, u64::MAX).unwrap().unwrap();
		assert_eq!(again, o);
		assert_eq!(stored(data.path(), 5, 0).unwrap().1.output, o);
		assert!(digest(&o).is_some());
	}

	#[test]
	fn an_out_symlink_an_empty_out_and_an_oversized_out_pack_nothing() {
		let data = tempfile::tempdir().unwrap();
		// `out` replaced by a link to the host's /etc.
		let scratch = tempfile::tempdir().unwrap();
		std::os::unix::fs::symlink("/etc", scratch.path().join(OUT_DIR)).unwrap();
		assert!(pack(scratch.path(), data.path(), 1, 1 << 20, u64::MAX).unwrap().is_none());
		// Empty.
		let scratch = tempfile::tempdir().unwrap();
		std::fs::create_dir(scratch.path().join(OUT_DIR)).unwrap();
		assert!(pack(scratch.path(), data.path(), 2, 1 << 20, u64::MAX).unwrap().is_none());
		// Larger than the quota (incompressible bytes).
		let scratch = tempfile::tempdir().unwrap();
		std::fs::create_dir(scratch.path().join(OUT_DIR)).unwrap();
		// Hashes do not compress.
		let noise: Vec<u8> =
			(0u32..6250).flat_map(|i| Sha256::digest(i.to_le_bytes()).to_vec()).collect();
		std::fs::write(scratch.path().join(OUT_DIR).join("big"), noise).unwrap();
		let r = pack(scratch.path(), data.path(), 3, 50_000, u64::MAX);
		assert!(matches!(r, Err(OutputError::TooLarge(50_000))), "{r:?}");
		assert!(!archive_path(data.path(), 3).exists());
		assert!(!archive_path(data.path(), 3).with_extension("partial").exists());
	}

	#[test]
	fn archives_go_when_their_retention_ends() {
		let scratch = tempfile::tempdir().unwrap();
		let data = tempfile::tempdir().unwrap();
		std::fs::create_dir(scratch.path().join(OUT_DIR)).unwrap();
		std::fs::write(scratch.path().join(OUT_DIR).join("r"), b"x").unwrap();
		pack(scratch.path(), data.path(), 9, 1 << 20, 1_000).unwrap().unwrap();
		sweep(data.path(), 999);
		assert!(stored(data.path(), 9, 999).is_some());
		sweep(data.path(), 1_000);
		assert!(stored(data.path(), 9, 1_000).is_none());
		assert!(!archive_path(data.path(), 9).exists());
	}
}
