//! The image's `WorkingDir`, checked and resolved inside its rootfs before a container is
//! made from it.
//!
//! The runtime would follow the path itself, symlinks included, inside the container. A
//! directory under the kernel's file systems (`/proc`, `/sys`, `/dev`: e.g. a leaked
//! descriptor's `/proc/self/fd/N`, which runc refuses since CVE-2024-21626), a relative path, a
//! file, or a symlink loop makes it fail at start: that is the image's doing, so it is
//! refused here as an unusable image ([`ImageError::InvalidConfig`]) rather than failing the
//! job as the provider's. A path that does not exist is fine (the runtime makes it).
//!
//! Symlinks resolve the way the container would see them: an absolute target starts again at
//! the rootfs' root, `..` never leaves it. The answer has no symlink left, so the runtime
//! follows nothing the check did not see.

use super::ImageError;
use std::{
	collections::VecDeque,
	path::{Path, PathBuf},
};

/// Longest `WorkingDir` accepted (Linux's `PATH_MAX`).
pub const MAX_BYTES: usize = 4096;
/// Most symlinks followed while resolving it (Linux's `MAXSYMLINKS`).
pub const MAX_SYMLINKS: usize = 40;
/// Top-level directories the runtime mounts kernel file systems on.
const KERNEL_DIRS: [&str; 3] = ["proc", "sys", "dev"];

/// The container's working directory for an image whose config says `working_dir`: `/` when
/// it says none, else the path resolved in `rootfs` (absolute, without symlinks).
pub fn resolve(rootfs: &Path, working_dir: Option<&str>) -> Result<String, ImageError> {
	let Some(dir) = working_dir.filter(|d| !d.is_empty()) else { return Ok("/".into()) };
	let refuse = |why: String| ImageError::InvalidConfig(format!("WorkingDir {dir:?}: {why}"));
	if dir.len() > MAX_BYTES || dir.contains('\0') {
		return Err(refuse(format!("longer than {MAX_BYTES} bytes or holds a NUL")));
	}
	if !dir.starts_with('/') {
		return Err(refuse("not an absolute path".into()));
	}
	let mut todo: VecDeque<String> = components(dir);
	let mut done: Vec<String> = Vec::new();
	let mut hops = 0;
	while let Some(c) = todo.pop_front() {
		if c == ".." {
			done.pop();
			continue;
		}
		let candidate: PathBuf = done.iter().chain(std::iter::once(&c)).collect();
		match std::fs::symlink_metadata(rootfs.join(&candidate)) {
			Ok(m) if m.file_type().is_symlink() => {
				hops += 1;
				if hops > MAX_SYMLINKS {
					return Err(refuse(format!("more than {MAX_SYMLINKS} symlinks")));
				}
				let target = std::fs::read_link(rootfs.join(&candidate))
					.map_err(ImageError::io(format!("read the symlink {}", candidate.display())))?;
				let target = target.to_string_lossy();
				if target.starts_with('/') {
					done.clear();
				}
				for t in components(&target).into_iter().rev() {
					todo.push_front(t);
				}
			},
			Ok(m) if !m.is_dir() => {
				return Err(refuse(format!("/{} is not a directory", candidate.display())))
			},
			Ok(_) => done.push(c),
			// Missing: the runtime makes it (and everything below is missing too).
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => done.push(c),
			Err(e) => return Err(ImageError::io(format!("inspect {}", candidate.display()))(e)),
		}
	}
	if let Some(top) = done.first().filter(|t| KERNEL_DIRS.contains(&t.as_str())) {
		return Err(refuse(format!(
			"resolves to /{}, under /{top}, where the kernel's file systems are mounted",
			done.join("/")
		)));
	}
	Ok(format!("/{}", done.join("/")))
}

/// The parts of `path` that name something (no empty ones, no `.`).
fn components(path: &str) -> VecDeque<String> {
	path.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::symlink;

	fn rootfs() -> tempfile::TempDir {
		let d = tempfile::tempdir().unwrap();
		for p in ["opt/app", "etc", "proc", "work"] {
			std::fs::create_dir_all(d.path().join(p)).unwrap();
		}
		std::fs::write(d.path().join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
		symlink("/opt/app", d.path().join("app")).unwrap();
		symlink("../opt", d.path().join("work/up")).unwrap();
		symlink("/proc/self/fd/7", d.path().join("leak")).unwrap();
		symlink("loop-b", d.path().join("loop-a")).unwrap();
		symlink("loop-a", d.path().join("loop-b")).unwrap();
		symlink("/../../../../etc", d.path().join("escape")).unwrap();
		d
	}

	fn ok(root: &Path, dir: &str) -> String {
		resolve(root, Some(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"))
	}

	fn refused(root: &Path, dir: &str) -> String {
		match resolve(root, Some(dir)) {
			Err(ImageError::InvalidConfig(why)) => why,
			other => panic!("{dir}: {other:?}"),
		}
	}

	#[test]
	fn usable_working_directories_resolve_inside_the_image() {
		let d = rootfs();
		let r = d.path();
		assert_eq!(resolve(r, None).unwrap(), "/");
		assert_eq!(resolve(r, Some("")).unwrap(), "/");
		assert_eq!(ok(r, "/"), "/");
		assert_eq!(ok(r, "/opt/app/"), "/opt/app");
		assert_eq!(ok(r, "/app"), "/opt/app", "an absolute symlink starts at the image's root");
		assert_eq!(ok(r, "/work/up/app"), "/opt/app", "a relative one from its directory");
		assert_eq!(ok(r, "/data/new"), "/data/new", "missing: the runtime makes it");
		assert_eq!(ok(r, "/../../opt"), "/opt", "`..` stops at the image's root");
		assert_eq!(ok(r, "/escape"), "/etc", "so does a symlink's");
	}

	/// #37 defect 6: these made runc fail at start, and the job ended `lost`, the provider's
	/// fault, for what the image says.
	#[test]
	fn working_directories_the_runtime_cannot_use_are_the_images_fault() {
		let d = rootfs();
		let r = d.path();
		assert!(refused(r, "/proc/self/fd/7").contains("/proc"));
		assert!(refused(r, "/leak").contains("resolves to /proc/self/fd/7"));
		assert!(refused(r, "/opt/../sys/kernel").contains("/sys"));
		assert!(refused(r, "/dev").contains("/dev"));
		assert!(refused(r, "relative/dir").contains("not an absolute path"));
		assert!(refused(r, "/etc/passwd").contains("not a directory"));
		assert!(refused(r, "/loop-a").contains("symlinks"));
		assert!(refused(r, &format!("/{}", "a".repeat(MAX_BYTES))).contains("longer"));
		assert!(refused(r, "/a\0b").contains("NUL"));
	}
}
