//! The image's `User` (`""`, `uid`, `name`, `uid:gid`, `name:group`, …) resolved to numeric
//! ids against the image's own `/etc/passwd` and `/etc/group`, the way Docker does: a
//! numeric user without a group takes its passwd entry's group (or 0), a name must exist.
//! The files are read inside the unpacked rootfs (cap-std: a symlinked `/etc/passwd` cannot
//! point outside it) and only their first [`MAX_DB_BYTES`].

use super::ImageError;
use crate::userns;
use cap_std::{ambient_authority, fs::Dir};
use std::{io::Read, path::Path};

/// How much of `/etc/passwd` or `/etc/group` is read.
pub const MAX_DB_BYTES: u64 = 1 << 20;

/// The uid and gid the job runs as.
pub fn resolve(rootfs: &Path, user: &str) -> Result<(u32, u32), ImageError> {
	let user = user.trim();
	if user.is_empty() {
		return Ok((0, 0));
	}
	let root = Dir::open_ambient_dir(rootfs, ambient_authority())
		.map_err(ImageError::io(format!("open {}", rootfs.display())))?;
	let (u, g) = match user.split_once(':') {
		Some((u, g)) => (u, Some(g)),
		None => (user, None),
	};
	let passwd = read_db(&root, "etc/passwd");
	let entry = |pred: &dyn Fn(&[&str]) -> bool| -> Option<(u32, u32)> {
		passwd
			.lines()
			.map(|l| l.split(':').collect::<Vec<_>>())
			.find(|f| f.len() >= 4 && pred(f))
			.and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
	};
	let (uid, passwd_gid) = match u.parse::<u32>() {
		Ok(uid) => (uid, entry(&|f| f[2] == u).map(|(_, g)| g).unwrap_or(0)),
		Err(_) => {
			entry(&|f| f[0] == u).ok_or_else(|| unusable(user, "no such user in /etc/passwd"))?
		},
	};
	let gid = match g {
		None => passwd_gid,
		Some(g) => match g.parse::<u32>() {
			Ok(gid) => gid,
			Err(_) => read_db(&root, "etc/group")
				.lines()
				.map(|l| l.split(':').collect::<Vec<_>>())
				.find(|f| f.len() >= 3 && f[0] == g)
				.and_then(|f| f[2].parse().ok())
				.ok_or_else(|| unusable(user, "no such group in /etc/group"))?,
		},
	};
	if uid >= userns::SIZE || gid >= userns::SIZE {
		return Err(unusable(user, "ids above 65535 are not mapped into the job's user namespace"));
	}
	Ok((uid, gid))
}

fn unusable(user: &str, why: &str) -> ImageError {
	ImageError::InvalidConfig(format!("User {user:?}: {why}"))
}

/// The first [`MAX_DB_BYTES`] of `path` inside `root` (empty if it cannot be read).
fn read_db(root: &Dir, path: &str) -> String {
	let mut text = String::new();
	if let Ok(f) = root.open(path) {
		let _ = f.take(MAX_DB_BYTES).read_to_string(&mut text);
	}
	text
}

#[cfg(test)]
mod tests {
	use super::*;

	fn rootfs() -> tempfile::TempDir {
		let dir = tempfile::tempdir().unwrap();
		std::fs::create_dir(dir.path().join("etc")).unwrap();
		std::fs::write(
			dir.path().join("etc/passwd"),
			"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
		)
		.unwrap();
		std::fs::write(dir.path().join("etc/group"), "root:x:0:\nstaff:x:50:\napp:x:1001:\n")
			.unwrap();
		dir
	}

	#[test]
	fn users_resolve_like_docker() {
		let r = rootfs();
		assert_eq!(resolve(r.path(), "").unwrap(), (0, 0));
		assert_eq!(resolve(r.path(), "app").unwrap(), (1000, 1001));
		assert_eq!(resolve(r.path(), "1000").unwrap(), (1000, 1001));
		assert_eq!(resolve(r.path(), "4321").unwrap(), (4321, 0));
		assert_eq!(resolve(r.path(), "app:staff").unwrap(), (1000, 50));
		assert_eq!(resolve(r.path(), "1234:1234").unwrap(), (1234, 1234));
		assert!(matches!(resolve(r.path(), "nobody"), Err(ImageError::InvalidConfig(_))));
		assert!(matches!(resolve(r.path(), "app:wheel"), Err(ImageError::InvalidConfig(_))));
		assert!(matches!(resolve(r.path(), "70000"), Err(ImageError::InvalidConfig(_))));
	}

	/// A `/etc/passwd` that links out of the rootfs is not followed: the host's accounts
	/// never decide who a job runs as.
	#[test]
	fn a_passwd_symlinked_out_of_the_rootfs_is_not_read() {
		let r = tempfile::tempdir().unwrap();
		std::fs::create_dir(r.path().join("etc")).unwrap();
		std::os::unix::fs::symlink("/etc/passwd", r.path().join("etc/passwd")).unwrap();
		assert!(matches!(resolve(r.path(), "root"), Err(ImageError::InvalidConfig(_))));
	}
}
