//! Unpacking OCI layers (tar, tar+gzip, tar+zstd) with whiteouts, where every path resolves
//! inside the root filesystem (see [`unpack_layer`]): a hostile layer can neither write nor
//! delete anything outside it.

use super::ImageError;
use crate::userns::IdMap;
use cap_std::{ambient_authority, fs::Dir};
use std::{
	fs,
	io::Read,
	os::unix::fs::PermissionsExt,
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

/// What the layers of one image may add up to once unpacked: a compressed layer can expand
/// to anything (a gzip or zstd bomb), so every entry and every byte is counted against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpackBudget {
	/// Entries (files, directories, links, whiteouts) still allowed.
	pub entries: u64,
	/// Bytes of file content still allowed.
	pub bytes: u64,
}

impl UnpackBudget {
	/// The budget of one image: 500,000 entries and 16 GiB of content.
	pub const IMAGE: UnpackBudget = UnpackBudget { entries: 500_000, bytes: 16 << 30 };
}

/// Mode bits a job's files keep: permissions and the sticky bit, never setuid or setgid.
const KEPT_MODE_BITS: u32 = 0o1777;

/// The error of a filesystem operation on `path` of `layer`: a path that would resolve
/// outside the rootfs (through a symlink or `..`) is a traversal attempt, anything else an
/// I/O failure.
fn fs_error(layer: &str, path: &Path) -> impl FnOnce(std::io::Error) -> ImageError {
	let (layer, path) = (layer.to_string(), path.display().to_string());
	move |err| {
		if err.kind() == std::io::ErrorKind::PermissionDenied
			&& err.to_string().contains("outside of the filesystem")
		{
			ImageError::PathTraversal { layer, path }
		} else {
			ImageError::Io { context: format!("unpack {layer}: {path}"), err }
		}
	}
}

/// Removes `path` (resolved inside `root`) whatever it is; a symlink is removed, never
/// followed. Missing is fine.
fn remove_any(root: &Dir, path: &Path) -> std::io::Result<()> {
	match root.symlink_metadata(path) {
		Ok(m) if m.is_dir() => root.remove_dir_all(path),
		Ok(_) => root.remove_file(path),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
		Err(e) => Err(e),
	}
}

/// Gives the file or directory open as `fd` to `uid`:`gid`. cap-std opens directories
/// `O_PATH`, which `fchown` refuses; `fchownat` with `AT_EMPTY_PATH` takes both.
fn chown_fd(fd: std::os::fd::BorrowedFd, uid: u32, gid: u32) -> std::io::Result<()> {
	use std::os::fd::AsRawFd;
	// SAFETY: `fd` is a valid open descriptor for the call's duration and the path is the
	// empty C string, which `AT_EMPTY_PATH` makes refer to `fd` itself.
	let rc = unsafe { libc::fchownat(fd.as_raw_fd(), c"".as_ptr(), uid, gid, libc::AT_EMPTY_PATH) };
	if rc == 0 {
		Ok(())
	} else {
		Err(std::io::Error::last_os_error())
	}
}

/// `mode` as a job's file keeps it.
fn permissions(mode: u32) -> cap_std::fs::Permissions {
	cap_std::fs::Permissions::from_std(std::fs::Permissions::from_mode(mode & KEPT_MODE_BITS))
}

/// Applies layer `blob` (named `layer` in errors) on top of `rootfs`.
///
/// Every path of every entry — the entry itself, its whiteout target, an opaque directory,
/// a hard link's target — is resolved inside `rootfs` by `cap-std` (`openat` component by
/// component): a symlink an earlier entry planted can point anywhere, but following it
/// never leaves the rootfs; a path that would is refused ([`ImageError::PathTraversal`]).
/// Symlinks are created as written (they only resolve inside the container). Device nodes
/// and FIFOs are refused ([`ImageError::UnsafeEntry`]); setuid and setgid bits are dropped.
/// With `owners`, files and directories get the entry's owner shifted into the jobs' user
/// namespace range (so the container's root owns its image's files, and no file of an image
/// is ever owned by a host account).
pub fn unpack_layer(
	blob: &Path,
	compression: Compression,
	rootfs: &Path,
	layer: &str,
	budget: &mut UnpackBudget,
	owners: Option<IdMap>,
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
	let root = Dir::open_ambient_dir(rootfs, ambient_authority())
		.map_err(ImageError::io(format!("open rootfs {}", rootfs.display())))?;
	let mut archive = tar::Archive::new(reader);
	let io = |what: &str| ImageError::io(format!("unpack {layer}: {what}"));
	for entry in archive.entries().map_err(io("read entries"))? {
		let mut entry = entry.map_err(io("read entry"))?;
		let raw = entry.path().map_err(io("entry path"))?.into_owned();
		let too_large = |what: &str, limit: u64| ImageError::TooLarge {
			layer: layer.to_string(),
			what: what.to_string(),
			limit,
		};
		budget.entries = budget
			.entries
			.checked_sub(1)
			.ok_or_else(|| too_large("entries", UnpackBudget::IMAGE.entries))?;
		let size = entry.header().size().map_err(io("entry size"))?;
		budget.bytes = budget
			.bytes
			.checked_sub(size)
			.ok_or_else(|| too_large("bytes", UnpackBudget::IMAGE.bytes))?;
		let rel = safe_relative(layer, &raw)?;
		let Some(name) = rel.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
			continue; // the root directory itself
		};
		let parent = rel.parent().unwrap_or(Path::new("")).to_path_buf();
		let err = |p: &Path| fs_error(layer, p);
		if name == OPAQUE_WHITEOUT {
			// Hide everything lower layers put in this directory.
			let dir = if parent.as_os_str().is_empty() {
				root.try_clone().map_err(err(&parent))?
			} else {
				match root.open_dir(&parent) {
					Ok(d) => d,
					Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
					Err(e) => return Err(err(&parent)(e)),
				}
			};
			for child in dir.entries().map_err(err(&parent))? {
				let child = child.map_err(err(&parent))?;
				remove_any(&dir, Path::new(&child.file_name())).map_err(err(&parent))?;
			}
			continue;
		}
		if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
			let hidden = parent.join(safe_relative(layer, Path::new(hidden))?);
			remove_any(&root, &hidden).map_err(err(&hidden))?;
			continue;
		}
		if !parent.as_os_str().is_empty() {
			root.create_dir_all(&parent).map_err(err(&parent))?;
		}
		let kind = entry.header().entry_type();
		let mode = entry.header().mode().map_err(io("mode"))?;
		let owner = owners.map(|m| {
			let id = |v: std::io::Result<u64>| {
				m.host_or_nobody(v.ok().and_then(|v| u32::try_from(v).ok()).unwrap_or(u32::MAX))
			};
			(id(entry.header().uid()), id(entry.header().gid()))
		});
		let chown = |fd: &dyn std::os::fd::AsFd, p: &Path| match owner {
			Some((uid, gid)) => chown_fd(fd.as_fd(), uid, gid).map_err(fs_error(layer, p)),
			None => Ok(()),
		};
		let existing = match root.symlink_metadata(&rel) {
			Ok(m) => Some(m),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
			Err(e) => return Err(err(&rel)(e)),
		};
		match kind {
			tar::EntryType::Directory => {
				if existing.as_ref().is_some_and(|m| !m.is_dir()) {
					root.remove_file(&rel).map_err(err(&rel))?;
				}
				root.create_dir_all(&rel).map_err(err(&rel))?;
				root.set_permissions(&rel, permissions(mode)).map_err(err(&rel))?;
				if owner.is_some() {
					chown(&root.open_dir(&rel).map_err(err(&rel))?, &rel)?;
				}
			},
			tar::EntryType::Regular | tar::EntryType::Continuous => {
				// Whatever was there (a lower layer's file, directory or symlink) is
				// replaced, never written through.
				if existing.is_some() {
					remove_any(&root, &rel).map_err(err(&rel))?;
				}
				let mut out = root
					.open_with(&rel, cap_std::fs::OpenOptions::new().write(true).create_new(true))
					.map_err(err(&rel))?;
				std::io::copy(&mut entry, &mut out).map_err(err(&rel))?;
				out.set_permissions(permissions(mode)).map_err(err(&rel))?;
				chown(&out, &rel)?;
			},
			tar::EntryType::Symlink => {
				let target = entry.link_name().map_err(io("link name"))?.ok_or_else(|| {
					ImageError::UnsafeEntry {
						layer: layer.to_string(),
						path: raw.display().to_string(),
						reason: "a symlink without a target".into(),
					}
				})?;
				if existing.is_some() {
					remove_any(&root, &rel).map_err(err(&rel))?;
				}
				root.symlink_contents(target.as_ref(), &rel).map_err(err(&rel))?;
			},
			tar::EntryType::Link => {
				let target = entry.link_name().map_err(io("link name"))?.ok_or_else(|| {
					ImageError::UnsafeEntry {
						layer: layer.to_string(),
						path: raw.display().to_string(),
						reason: "a hard link without a target".into(),
					}
				})?;
				let target = safe_relative(layer, &target)?;
				if existing.is_some() {
					remove_any(&root, &rel).map_err(err(&rel))?;
				}
				root.hard_link(&target, &root, &rel).map_err(err(&target))?;
			},
			tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
				return Err(ImageError::UnsafeEntry {
					layer: layer.to_string(),
					path: raw.display().to_string(),
					reason: format!("{kind:?} entries are never unpacked (runc provides /dev)"),
				})
			},
			// PAX and GNU extension records the tar reader already applied.
			tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => {},
			other => {
				return Err(ImageError::UnsafeEntry {
					layer: layer.to_string(),
					path: raw.display().to_string(),
					reason: format!("unsupported entry type {other:?}"),
				})
			},
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::MetadataExt;

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

	/// Unpacked for the jobs' user namespace, an image's files belong to the mapped range
	/// (its root owns them inside the container), never to a host account.
	#[test]
	fn owners_are_shifted_into_the_jobs_id_range() {
		// SAFETY: geteuid has no preconditions.
		if unsafe { libc::geteuid() } != 0 {
			eprintln!("skipped: changing owners needs root");
			return;
		}
		let root = tempfile::tempdir().unwrap();
		let l = tempfile::NamedTempFile::new().unwrap();
		let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
			l.reopen().unwrap(),
			flate2::Compression::fast(),
		));
		for (path, uid, dir) in
			[("etc/", 0u64, true), ("etc/a", 1000, false), ("etc/b", 1 << 20, false)]
		{
			let mut h = tar::Header::new_gnu();
			h.set_entry_type(if dir { tar::EntryType::Directory } else { tar::EntryType::Regular });
			h.set_size(0);
			h.set_mode(0o755);
			h.set_uid(uid);
			h.set_gid(uid);
			h.set_path(path).unwrap();
			h.set_cksum();
			b.append(&h, std::io::empty()).unwrap();
		}
		b.into_inner().unwrap().finish().unwrap();
		let ids = IdMap::default();
		let mut budget = UnpackBudget::IMAGE;
		unpack_layer(l.path(), Compression::Gzip, root.path(), "l", &mut budget, Some(ids))
			.unwrap();
		// Ids the namespace does not map become its `nobody`, never a host account.
		for (p, id) in [("etc", ids.base), ("etc/a", ids.base + 1000), ("etc/b", ids.base + 65_534)]
		{
			let m = std::fs::metadata(root.path().join(p)).unwrap();
			assert_eq!((m.uid(), m.gid()), (id, id), "{p}");
		}
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
		let mut budget = UnpackBudget::IMAGE;
		unpack_layer(l1.path(), Compression::Gzip, root.path(), "l1", &mut budget, None).unwrap();
		unpack_layer(l2.path(), Compression::Gzip, root.path(), "l2", &mut budget, None).unwrap();
		assert_eq!(budget.entries, UnpackBudget::IMAGE.entries - 8);
		assert_eq!(budget.bytes, UnpackBudget::IMAGE.bytes - 4);
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
			let err = unpack_layer(
				l.path(),
				Compression::Gzip,
				root.path(),
				"bad",
				&mut UnpackBudget::IMAGE.clone(),
				None,
			)
			.unwrap_err();
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

	/// One tar entry of a crafted layer.
	enum E {
		Dir(String),
		File(String, Vec<u8>, u32),
		Symlink(String, String),
		Hardlink(String, String),
		CharDevice(String),
	}

	fn dir(p: &str) -> E {
		E::Dir(p.into())
	}
	fn file(p: &str, data: &[u8], mode: u32) -> E {
		E::File(p.into(), data.into(), mode)
	}
	fn symlink(p: &str, target: &str) -> E {
		E::Symlink(p.into(), target.into())
	}
	fn hardlink(p: &str, target: &str) -> E {
		E::Hardlink(p.into(), target.into())
	}

	/// A gzip layer of `entries`, names and link targets written raw (hostile ones survive).
	fn crafted(entries: &[E]) -> tempfile::NamedTempFile {
		let f = tempfile::NamedTempFile::new().unwrap();
		let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
			f.reopen().unwrap(),
			flate2::Compression::fast(),
		));
		for e in entries {
			let mut h = tar::Header::new_gnu();
			let (path, kind, data, link, mode): (&str, _, &[u8], Option<&str>, u32) = match e {
				E::Dir(p) => (p, tar::EntryType::Directory, b"", None, 0o755),
				E::File(p, d, m) => (p, tar::EntryType::Regular, d, None, *m),
				E::Symlink(p, t) => (p, tar::EntryType::Symlink, b"", Some(t), 0o777),
				E::Hardlink(p, t) => (p, tar::EntryType::Link, b"", Some(t), 0o644),
				E::CharDevice(p) => (p, tar::EntryType::Char, b"", None, 0o666),
			};
			h.set_entry_type(kind);
			h.set_size(data.len() as u64);
			h.set_mode(mode);
			h.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
			if let Some(t) = link {
				h.as_gnu_mut().unwrap().linkname[..t.len()].copy_from_slice(t.as_bytes());
			}
			h.set_cksum();
			b.append(&h, data).unwrap();
		}
		b.into_inner().unwrap().finish().unwrap();
		f
	}

	/// A sacrificial "host" directory outside the rootfs with a canary file and directory.
	struct Host {
		dir: tempfile::TempDir,
	}

	impl Host {
		fn new() -> Host {
			let dir = tempfile::tempdir().unwrap();
			fs::write(dir.path().join("canary"), b"host data").unwrap();
			fs::set_permissions(dir.path().join("canary"), fs::Permissions::from_mode(0o644))
				.unwrap();
			fs::create_dir(dir.path().join("canary.d")).unwrap();
			fs::write(dir.path().join("canary.d/inside"), b"host data").unwrap();
			Host { dir }
		}

		fn path(&self) -> String {
			self.dir.path().to_str().unwrap().to_string()
		}

		/// The host is exactly as created.
		fn untouched(&self) -> bool {
			let names = fs::read_dir(self.dir.path()).unwrap().count();
			names == 2
				&& fs::read(self.dir.path().join("canary")).ok().as_deref() == Some(b"host data")
				&& fs::read(self.dir.path().join("canary.d/inside")).ok().as_deref()
					== Some(b"host data")
				&& fs::symlink_metadata(self.dir.path().join("canary"))
					.unwrap()
					.permissions()
					.mode() & 0o7777
					== 0o644
		}
	}

	/// Unpacks `layers` in order into a fresh rootfs; the result of the last one.
	fn apply(layers: &[Vec<E>]) -> (tempfile::TempDir, Result<(), ImageError>) {
		let root = tempfile::tempdir().unwrap();
		let mut last = Ok(());
		let mut budget = UnpackBudget::IMAGE;
		for (i, l) in layers.iter().enumerate() {
			let f = crafted(l);
			last = unpack_layer(
				f.path(),
				Compression::Gzip,
				root.path(),
				&format!("l{i}"),
				&mut budget,
				None,
			);
			if last.is_err() {
				break;
			}
		}
		(root, last)
	}

	/// Crafted layers against a host at `host`: (name, layers).
	fn attacks(host: &str) -> Vec<(&'static str, Vec<Vec<E>>)> {
		let up = format!("../../../../../../../../..{host}");
		vec![
			(
				"absolute symlink + whiteout",
				vec![vec![symlink("x", host)], vec![file("x/.wh.canary", b"", 0o644)]],
			),
			(
				"absolute symlink + whiteout in one layer",
				vec![vec![symlink("x", host), file("x/.wh.canary.d", b"", 0o644)]],
			),
			(
				"relative symlink + whiteout",
				vec![vec![symlink("x", &up)], vec![file("x/.wh.canary", b"", 0o644)]],
			),
			(
				"symlink chain + whiteout",
				vec![
					vec![symlink("a", "b"), symlink("b", host)],
					vec![file("a/.wh.canary", b"", 0o644)],
				],
			),
			(
				"absolute symlink + opaque whiteout",
				vec![vec![symlink("x", host)], vec![file("x/.wh..wh..opq", b"", 0o644)]],
			),
			(
				"absolute symlink + type replacement",
				vec![vec![symlink("x", host)], vec![dir("x/canary")]],
			),
			(
				"absolute symlink + file write",
				vec![vec![symlink("x", host)], vec![file("x/planted", b"evil", 0o644)]],
			),
			(
				"absolute symlink + overwrite",
				vec![vec![symlink("x", host)], vec![file("x/canary", b"evil", 0o4777)]],
			),
			("hardlink to a host file", vec![vec![hardlink("stolen", &format!("{host}/canary"))]]),
			("hardlink with ..", vec![vec![hardlink("stolen", &format!("../..{host}/canary"))]]),
			(
				"hardlink through a symlink",
				vec![vec![symlink("x", host)], vec![hardlink("stolen", "x/canary")]],
			),
		]
	}

	/// Defect #19: whiteouts, opaque whiteouts, type replacements, writes and hard links
	/// through symlinks that earlier entries planted must never touch anything outside the
	/// rootfs. (The host is a temporary directory standing in for `/`.)
	#[test]
	fn symlinks_planted_by_a_layer_never_lead_outside_the_rootfs() {
		let mut escaped = Vec::new();
		for (name, _) in attacks("/nowhere") {
			let h = Host::new();
			let layers = attacks(&h.path()).into_iter().find(|(n, _)| *n == name).unwrap().1;
			let (root, result) = apply(&layers);
			let stolen = root.path().join("stolen");
			let leaked = fs::symlink_metadata(&stolen).is_ok_and(|m| m.is_file())
				&& fs::read(&stolen).unwrap() == b"host data";
			if !h.untouched() || leaked {
				escaped.push(format!("{name} ({result:?})"));
			}
		}
		assert!(escaped.is_empty(), "escaped the rootfs: {escaped:#?}");
	}

	/// Defect #19: device nodes are refused with a clear reason; setuid and setgid bits are
	/// dropped (the job's files must not be a way to gain privileges).
	#[test]
	fn device_nodes_are_refused_and_setuid_bits_dropped() {
		let (_root, result) = apply(&[vec![E::CharDevice("dev/kmsg".into())]]);
		let err = result.unwrap_err();
		assert!(matches!(err, ImageError::UnsafeEntry { .. }), "{err}");
		let (root, result) = apply(&[vec![file("bin/su", b"#!", 0o6755)]]);
		result.unwrap();
		let mode = fs::metadata(root.path().join("bin/su")).unwrap().permissions().mode();
		assert_eq!(mode & 0o7777, 0o755);
	}

	/// Legitimate symlinks (absolute ones too) are kept as they are: they only ever
	/// resolve inside the container.
	#[test]
	fn image_symlinks_are_kept_as_written() {
		let (root, result) = apply(&[
			vec![dir("usr/"), file("usr/real", b"r", 0o644)],
			vec![symlink("etc/localtime", "/usr/real"), symlink("rel", "usr/real")],
		]);
		result.unwrap();
		assert_eq!(
			fs::read_link(root.path().join("etc/localtime")).unwrap().to_str(),
			Some("/usr/real")
		);
		assert_eq!(fs::read(root.path().join("rel")).unwrap(), b"r");
		// A later layer replaces a symlink with a file without following it.
		let (root, result) = apply(&[
			vec![dir("usr/"), file("usr/real", b"r", 0o644), symlink("link", "usr/real")],
			vec![file("link", b"new", 0o644)],
		]);
		result.unwrap();
		assert_eq!(fs::read(root.path().join("usr/real")).unwrap(), b"r");
		assert_eq!(fs::read(root.path().join("link")).unwrap(), b"new");
	}

	/// Defect #19: a layer that expands beyond the image's budget (a gzip bomb, an entry
	/// bomb) is refused before it fills the disk.
	#[test]
	fn bombs_are_refused_by_the_budget() {
		let root = tempfile::tempdir().unwrap();
		// 64 MiB of zeros compress to a few tens of KiB.
		let zeros = vec![0u8; 64 << 20];
		let bomb = crafted(&[file("zeros", &zeros, 0o644)]);
		assert!(fs::metadata(bomb.path()).unwrap().len() < 1 << 20);
		let mut budget = UnpackBudget { entries: 10, bytes: 32 << 20 };
		let err =
			unpack_layer(bomb.path(), Compression::Gzip, root.path(), "bomb", &mut budget, None)
				.unwrap_err();
		assert!(matches!(err, ImageError::TooLarge { ref what, .. } if what == "bytes"), "{err}");
		assert!(!root.path().join("zeros").exists(), "nothing written");
		let many: Vec<E> = (0..20).map(|i| file(&format!("f{i}"), b"x", 0o644)).collect();
		let mut budget = UnpackBudget { entries: 10, bytes: 1 << 20 };
		let err = unpack_layer(
			crafted(&many).path(),
			Compression::Gzip,
			root.path(),
			"many",
			&mut budget,
			None,
		)
		.unwrap_err();
		assert!(matches!(err, ImageError::TooLarge { ref what, .. } if what == "entries"), "{err}");
	}
}
