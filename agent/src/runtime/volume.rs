//! The writable scratch volume of a job: a sparse ext4 image of the job's disk size,
//! loop-mounted on the host and bind-mounted at `/scratch`. The filesystem size is a hard
//! quota; its used blocks (minus the empty filesystem's own) are the job's disk use.

use super::{run_command, RuntimeError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Smallest scratch volume (ext4 needs room for its metadata).
pub const MIN_BYTES: u64 = 8 << 20;

/// A job's scratch volume, as persisted in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scratch {
	/// The ext4 image file.
	pub image: PathBuf,
	/// Where it is mounted on the host.
	pub mount: PathBuf,
	/// Bytes the empty filesystem already uses.
	pub baseline_used: u64,
}

/// Used bytes of the filesystem mounted at `path`.
pub fn used_bytes(path: &Path) -> std::io::Result<u64> {
	let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
		.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
	// SAFETY: `st` is a plain C struct fully written by `statvfs` on success.
	let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
	// SAFETY: `c` is a valid NUL-terminated path and `st` a valid out pointer.
	if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
		return Err(std::io::Error::last_os_error());
	}
	Ok((st.f_blocks as u64).saturating_sub(st.f_bfree as u64).saturating_mul(st.f_frsize as u64))
}

/// Total and available bytes of the filesystem at `path`.
pub fn capacity(path: &Path) -> std::io::Result<(u64, u64)> {
	let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
		.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
	// SAFETY: as in `used_bytes`.
	let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
	// SAFETY: as in `used_bytes`.
	if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
		return Err(std::io::Error::last_os_error());
	}
	let frsize = st.f_frsize as u64;
	Ok(((st.f_blocks as u64) * frsize, (st.f_bavail as u64) * frsize))
}

fn is_mounted(mount: &Path) -> bool {
	let target = mount.display().to_string();
	std::fs::read_to_string("/proc/self/mounts")
		.map(|m| m.lines().any(|l| l.split_whitespace().nth(1) == Some(target.as_str())))
		.unwrap_or(false)
}

/// The scratch volume `create` makes in `dir`, before it exists (for the journal).
pub fn planned(dir: &Path) -> Scratch {
	Scratch { image: dir.join("scratch.ext4"), mount: dir.join("scratch"), baseline_used: 0 }
}

/// Creates and mounts a scratch volume of `bytes` in `dir`.
pub async fn create(dir: &Path, bytes: u64) -> Result<Scratch, RuntimeError> {
	let Scratch { image, mount, .. } = planned(dir);
	std::fs::create_dir_all(&mount)
		.map_err(|err| RuntimeError::Io { context: format!("create {}", mount.display()), err })?;
	if is_mounted(&mount) {
		let _ = run_command("umount", &[&mount.display().to_string()]).await;
	}
	let size = bytes.max(MIN_BYTES).to_string();
	let img = image.display().to_string();
	run_command("truncate", &["-s", &size, &img]).await?;
	run_command("mkfs.ext4", &["-q", "-F", "-m", "0", "-O", "^has_journal", &img]).await?;
	run_command("mount", &["-o", "loop,nosuid,nodev", &img, &mount.display().to_string()]).await?;
	let baseline_used = used_bytes(&mount)
		.map_err(|err| RuntimeError::Io { context: format!("statvfs {}", mount.display()), err })?;
	Ok(Scratch { image, mount, baseline_used })
}

/// Bytes the job wrote to its scratch volume.
pub fn job_used_bytes(s: &Scratch) -> u64 {
	used_bytes(&s.mount).map(|u| u.saturating_sub(s.baseline_used)).unwrap_or(0)
}

/// A filesystem step of a release: `Ok` if `result` succeeded or found nothing to remove.
pub(crate) fn removed(
	result: std::io::Result<()>,
	what: &str,
	path: &Path,
) -> Result<(), RuntimeError> {
	match result {
		Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
			Err(RuntimeError::Io { context: format!("{what} {}", path.display()), err })
		},
		_ => Ok(()),
	}
}

/// The loop devices backed by `image` (`/sys/block/loop*/loop/backing_file` names it).
fn loop_devices(image: &Path) -> Vec<String> {
	let Ok(blocks) = std::fs::read_dir("/sys/block") else { return Vec::new() };
	blocks
		.flatten()
		.filter(|b| b.file_name().to_string_lossy().starts_with("loop"))
		.filter(|b| {
			std::fs::read_to_string(b.path().join("loop/backing_file"))
				.is_ok_and(|f| Path::new(f.trim_end()) == image)
		})
		.map(|b| format!("/dev/{}", b.file_name().to_string_lossy()))
		.collect()
}

/// Unmounts and deletes a scratch volume: unmount, detach its loop device (the kernel does so
/// at the unmount; one left over is detached), delete the image and the mount point. What was
/// gone already is fine; the first step that fails is returned, and a later call takes up
/// from there (a busy volume stays mounted until the file holding it is closed).
pub async fn destroy(s: &Scratch) -> Result<(), RuntimeError> {
	if is_mounted(&s.mount) {
		run_command("umount", &[&s.mount.display().to_string()]).await?;
	}
	for device in loop_devices(&s.image) {
		run_command("losetup", &["-d", &device]).await?;
	}
	removed(std::fs::remove_file(&s.image), "delete", &s.image)?;
	removed(std::fs::remove_dir(&s.mount), "remove", &s.mount)
}
