//! Unpacking OCI layers (tar, tar+gzip, tar+zstd) with whiteouts, refusing any entry that
//! would land outside the root filesystem.

use super::ImageError;
use std::{
	fs,
	io::Read,
	path::{Component, Path, PathBuf},
};

/// How a layer blob is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
	/// Plain tar.
	None,
	/// tar + gzip.
	Gzip,
	/// tar + zstd.
	Zstd,
}

impl Compression {
	/// The compression of an OCI or Docker layer media type.
	pub fn from_media_type(media_type: &str) -> Result<Compression, ImageError> {
		match media_type {
			"application/vnd.oci.image.layer.v1.tar"
			| "application/vnd.oci.image.layer.nondistributable.v1.tar" => Ok(Compression::None),
			"application/vnd.oci.image.layer.v1.tar+gzip"
			| "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
			| "application/vnd.docker.image.rootfs.diff.tar.gzip" => Ok(Compression::Gzip),
			"application/vnd.oci.image.layer.v1.tar+zstd" => Ok(Compression::Zstd),
			other => Err(ImageError::UnsupportedMediaType(other.to_string())),
		}
	}
}

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// A relative path inside the rootfs, or an error if the entry escapes it.
fn safe_relative(layer: &str, raw: &Path) -> Result<PathBuf, ImageError> {
	let mut out = PathBuf::new();
	for c in raw.components() {
		match c {
			Component::Normal(p) => out.push(p),
			Component::CurDir => {},
			Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
				return Err(ImageError::PathTraversal {
					layer: layer.to_string(),
					path: raw.display().to_string(),
				})
			},
		}
	}
	Ok(out)
}

/// Removes `path` whatever it is (file, symlink or directory); missing is fine.
fn remove_any(path: &Path) -> std::io::Result<()> {
	match fs::symlink_metadata(path) {
		Ok(m) if m.is_dir() => fs::remove_dir_all(path),
		Ok(_) => fs::remove_file(path),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
		Err(e) => Err(e),
	}
}

/// Applies layer `blob` (named `layer` in errors) on top of `rootfs`.
pub fn unpack_layer(
	blob: &Path,
	compression: Compression,
	rootfs: &Path,
	layer: &str,
) -> Result<(), ImageError> {
	let file = fs::File::open(blob).map_err(ImageError::io(format!("open {}", blob.display())))?;
	let reader: Box<dyn Read> = match compression {
		Compression::None => Box::new(file),
		Compression::Gzip => Box::new(flate2::read::GzDecoder::new(file)),
		Compression::Zstd => Box::new(
			zstd::stream::read::Decoder::new(file)
				.map_err(ImageError::io(format!("zstd {}", blob.display())))?,
		),
	};
	let mut archive = tar::Archive::new(reader);
	archive.set_preserve_permissions(true);
	archive.set_overwrite(true);
	archive.set_unpack_xattrs(false);
	let io = |what: &str| ImageError::io(format!("unpack {layer}: {what}"));
	for entry in archive.entries().map_err(io("read entries"))? {
		let mut entry = entry.map_err(io("read entry"))?;
		let raw = entry.path().map_err(io("entry path"))?.into_owned();
		let rel = safe_relative(layer, &raw)?;
		if let Some(target) = entry.link_name().map_err(io("link name"))? {
			if entry.header().entry_type().is_hard_link() {
				safe_relative(layer, &target)?;
			}
		}
		let Some(name) = rel.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
			continue; // the root directory itself
		};
		let parent = rootfs.join(rel.parent().unwrap_or(Path::new("")));
		if name == OPAQUE_WHITEOUT {
			// Hide everything lower layers put in this directory.
			if let Ok(children) = fs::read_dir(&parent) {
				for child in children.flatten() {
					remove_any(&child.path()).map_err(io("opaque whiteout"))?;
				}
			}
			continue;
		}
		if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
			let hidden = safe_relative(layer, Path::new(hidden))?;
			remove_any(&parent.join(hidden)).map_err(io("whiteout"))?;
			continue;
		}
		// A lower layer's file of another type at this path is replaced.
		let dest = rootfs.join(&rel);
		if let Ok(meta) = fs::symlink_metadata(&dest) {
			if meta.is_dir() != entry.header().entry_type().is_dir() {
				remove_any(&dest).map_err(io("replace"))?;
			}
		}
		let unpacked = entry.unpack_in(rootfs).map_err(io(&rel.display().to_string()))?;
		if !unpacked {
			return Err(ImageError::PathTraversal {
				layer: layer.to_string(),
				path: raw.display().to_string(),
			});
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn layer(entries: &[(&str, Option<&[u8]>)]) -> tempfile::NamedTempFile {
		let f = tempfile::NamedTempFile::new().unwrap();
		let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
			f.reopen().unwrap(),
			flate2::Compression::fast(),
		));
		for (path, content) in entries {
			let mut h = tar::Header::new_gnu();
			match content {
				Some(data) => {
					h.set_entry_type(tar::EntryType::Regular);
					h.set_size(data.len() as u64);
					h.set_mode(0o644);
					// Write the name bytes directly so that hostile names survive.
					h.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
					h.set_cksum();
					b.append(&h, *data).unwrap();
				},
				None => {
					h.set_entry_type(tar::EntryType::Directory);
					h.set_size(0);
					h.set_mode(0o755);
					h.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
					h.set_cksum();
					b.append(&h, std::io::empty()).unwrap();
				},
			}
		}
		b.into_inner().unwrap().finish().unwrap();
		f
	}

	#[test]
	fn layers_stack_with_whiteouts() {
		let root = tempfile::tempdir().unwrap();
		let l1 = layer(&[
			("etc/", None),
			("etc/a", Some(b"a")),
			("etc/b", Some(b"b")),
			("opt/", None),
			("opt/x", Some(b"x")),
		]);
		let l2 = layer(&[
			("etc/.wh.a", Some(b"")),
			("opt/.wh..wh..opq", Some(b"")),
			("opt/y", Some(b"y")),
		]);
		unpack_layer(l1.path(), Compression::Gzip, root.path(), "l1").unwrap();
		unpack_layer(l2.path(), Compression::Gzip, root.path(), "l2").unwrap();
		assert!(!root.path().join("etc/a").exists());
		assert_eq!(fs::read(root.path().join("etc/b")).unwrap(), b"b");
		assert!(!root.path().join("opt/x").exists());
		assert_eq!(fs::read(root.path().join("opt/y")).unwrap(), b"y");
	}

	#[test]
	fn entries_escaping_the_rootfs_are_refused() {
		for evil in ["../evil", "a/../../evil", "/etc/evil"] {
			let root = tempfile::tempdir().unwrap();
			let l = layer(&[(evil, Some(b"pwned"))]);
			let err = unpack_layer(l.path(), Compression::Gzip, root.path(), "bad").unwrap_err();
			assert!(matches!(err, ImageError::PathTraversal { .. }), "{evil}: {err}");
			assert!(!root.path().parent().unwrap().join("evil").exists());
		}
	}

	#[test]
	fn unknown_media_types_are_refused() {
		assert!(Compression::from_media_type("application/x-rar").is_err());
		assert_eq!(
			Compression::from_media_type("application/vnd.oci.image.layer.v1.tar+zstd").unwrap(),
			Compression::Zstd
		);
	}
}
