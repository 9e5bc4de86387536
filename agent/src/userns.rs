//! The user namespace every job runs in: container ids `0..SIZE` map to host ids
//! `base..base + SIZE`, a range no host account uses (default `2^31`, see
//! [`IdMap::DEFAULT_BASE`]). The container's root is therefore an unprivileged host user: it
//! owns nothing on the host, and what it owns in its container (its image's files, its
//! scratch volume) is owned on the host by `base + id`.
//!
//! All jobs of one agent share the range, as Docker's `userns-remap` does: the image cache
//! is unpacked once with its owners shifted into it, and jobs cannot reach each other
//! anyway (own pid, mount, IPC and network namespaces; `ptrace`, `kcmp` and
//! `process_vm_*` denied by seccomp).

use serde::{Deserialize, Serialize};

/// How many ids a job's user namespace maps (uids and gids `0..=65535`).
pub const SIZE: u32 = 65_536;

/// The id mapping of the jobs' user namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMap {
	/// The host id of the container's id 0.
	pub base: u32,
}

impl IdMap {
	/// The default base: `2^31`, far above the ids of host accounts and of the subordinate
	/// ranges `useradd` hands out.
	pub const DEFAULT_BASE: u32 = 1 << 31;

	/// A mapping at `base`, if the whole range fits below `u32::MAX` (never a valid id) and
	/// leaves host root out.
	pub fn new(base: u32) -> Option<IdMap> {
		(base > 0 && base.checked_add(SIZE).is_some_and(|end| end < u32::MAX))
			.then_some(IdMap { base })
	}

	/// The host id of container id `id`, if the namespace maps it.
	pub fn host(&self, id: u32) -> Option<u32> {
		(id < SIZE).then(|| self.base + id)
	}

	/// The host id of container id `id`; ids the namespace does not map become the
	/// container's `nobody` (65534), so that nothing unmapped lands on a host account.
	pub fn host_or_nobody(&self, id: u32) -> u32 {
		self.host(id).unwrap_or(self.base + 65_534)
	}
}

impl Default for IdMap {
	fn default() -> IdMap {
		IdMap { base: IdMap::DEFAULT_BASE }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_range_never_reaches_host_root_or_an_invalid_id() {
		assert!(IdMap::new(0).is_none(), "container root must not be host root");
		assert!(IdMap::new(u32::MAX - SIZE).is_none(), "u32::MAX is not a valid id");
		let m = IdMap::default();
		assert_eq!(m.host(0), Some(1 << 31));
		assert_eq!(m.host(1234), Some((1 << 31) + 1234));
		assert_eq!(m.host(SIZE), None);
		assert_eq!(m.host_or_nobody(u32::MAX), (1 << 31) + 65_534);
	}
}
