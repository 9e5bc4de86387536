//! A job's output log: capped, rotated, and served as a stream.
//!
//! The shim reads the container's stdout and stderr from a pipe and writes them to
//! `output.log`; when that file would pass half the cap it becomes `output.log.1` (the
//! previous `.1` is dropped) and a new `output.log` starts. The two files never hold more
//! than the cap together, whatever the job prints. The cap comes out of the job's disk
//! allowance ([`cap_for`]): its scratch volume is that much smaller, and metering counts
//! the log's bytes as disk use, so a job's storage (scratch + log) stays within what it paid
//! for.

use std::{
	io::{Read, Write},
	path::{Path, PathBuf},
};

/// The smallest and largest log cap.
pub const MIN_CAP: u64 = 64 << 10;
/// See [`MIN_CAP`].
pub const MAX_CAP: u64 = 64 << 20;

/// The log cap of a job with `disk_bytes` of storage: an eighth of it, within
/// [`MIN_CAP`]..=[`MAX_CAP`].
pub fn cap_for(disk_bytes: u64) -> u64 {
	(disk_bytes / 8).clamp(MIN_CAP, MAX_CAP)
}

/// The rotated-out half of log `path`.
pub fn rotated(path: &Path) -> PathBuf {
	let mut p = path.as_os_str().to_owned();
	p.push(".1");
	PathBuf::from(p)
}

/// Bytes the log at `path` holds (both halves).
pub fn size(path: &Path) -> u64 {
	[path.to_path_buf(), rotated(path)]
		.iter()
		.map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
		.sum()
}

/// The last `max` bytes of the log at `path` (of its current half), as text; empty if
/// there is none. Reads only those bytes, however large the log.
pub fn tail_text(path: &Path, max: u64) -> String {
	use std::io::{Seek, SeekFrom};
	let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
	let len = f.metadata().map(|m| m.len()).unwrap_or(0);
	if f.seek(SeekFrom::Start(len.saturating_sub(max))).is_err() {
		return String::new();
	}
	let mut buf = Vec::new();
	let _ = f.take(max).read_to_end(&mut buf);
	String::from_utf8_lossy(&buf).into_owned()
}

/// Copies `from` to the log at `path` until end of input, rotating so that the log never
/// holds more than `cap` bytes. Appends to what is there (a restarted shim continues).
pub fn pump(mut from: impl Read, path: &Path, cap: u64) -> std::io::Result<()> {
	let half = (cap / 2).max(1);
	let open = || std::fs::OpenOptions::new().create(true).append(true).open(path);
	let mut file = open()?;
	let mut written = file.metadata()?.len();
	let mut buf = vec![0u8; 64 << 10];
	loop {
		let n = match from.read(&mut buf) {
			Ok(0) => return Ok(()),
			Ok(n) => n,
			Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
			Err(e) => return Err(e),
		};
		let mut chunk = &buf[..n];
		while !chunk.is_empty() {
			if written >= half {
				std::fs::rename(path, rotated(path))?;
				file = open()?;
				written = 0;
			}
			let room = (half - written).min(chunk.len() as u64) as usize;
			file.write_all(&chunk[..room])?;
			written += room as u64;
			chunk = &chunk[room..];
		}
	}
}

/// The last `max` bytes of the log at `path` (older half first), as a stream of chunks read
/// from disk as they are sent: never loaded whole.
pub async fn tail(
	path: &Path,
	max: u64,
) -> std::io::Result<impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>>> {
	use tokio::io::{AsyncReadExt, AsyncSeekExt};
	let open = |p: PathBuf| async move {
		match tokio::fs::File::open(&p).await {
			Ok(f) => {
				let len = f.metadata().await?.len();
				Ok(Some((f, len)))
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e),
		}
	};
	let old = open(rotated(path)).await?;
	let new = open(path.to_path_buf()).await?;
	let new_len = new.as_ref().map(|(_, l)| *l).unwrap_or(0);
	let from_new = new_len.min(max);
	let from_old = max - from_new;
	let mut reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = Box::new(tokio::io::empty());
	if let Some((mut f, len)) = old {
		let take = len.min(from_old);
		if take > 0 {
			f.seek(std::io::SeekFrom::Start(len - take)).await?;
			reader = Box::new(reader.chain(f.take(take)));
		}
	}
	if let Some((mut f, len)) = new {
		f.seek(std::io::SeekFrom::Start(len - from_new)).await?;
		reader = Box::new(reader.chain(f.take(from_new)));
	}
	Ok(tokio_util::io::ReaderStream::with_capacity(reader, 64 << 10))
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures_util::StreamExt;

	/// Whatever a job prints, its log holds at most the cap, and the newest output.
	#[test]
	fn the_log_never_passes_its_cap_and_keeps_the_newest_output() {
		let dir = tempfile::tempdir().unwrap();
		let log = dir.path().join("output.log");
		let cap = 100_000;
		let mut out = Vec::new();
		for i in 0..100_000u32 {
			out.extend_from_slice(format!("line {i}\n").as_bytes());
		}
		pump(&out[..], &log, cap).unwrap();
		assert!(size(&log) <= cap, "{} > {cap}", size(&log));
		assert!(size(&log) >= cap / 2, "the log keeps at least half its cap: {}", size(&log));
		let newest = std::fs::read_to_string(&log).unwrap();
		assert!(newest.ends_with("line 99999\n"));
		// A restarted shim appends and still keeps the cap.
		pump(&b"more\n"[..], &log, cap).unwrap();
		assert!(size(&log) <= cap);
		assert!(std::fs::read_to_string(&log).unwrap().ends_with("more\n"));
	}

	#[tokio::test]
	async fn the_tail_spans_both_halves_in_order() {
		let dir = tempfile::tempdir().unwrap();
		let log = dir.path().join("output.log");
		std::fs::write(rotated(&log), b"0123456789").unwrap();
		std::fs::write(&log, b"abcdef").unwrap();
		let collect = |max| {
			let log = log.clone();
			async move {
				let mut s = Box::pin(tail(&log, max).await.unwrap());
				let mut all = Vec::new();
				while let Some(c) = s.next().await {
					all.extend_from_slice(&c.unwrap());
				}
				String::from_utf8(all).unwrap()
			}
		};
		assert_eq!(collect(4).await, "cdef");
		assert_eq!(collect(9).await, "789abcdef");
		assert_eq!(collect(1 << 20).await, "0123456789abcdef");
		assert_eq!(collect(0).await, "");
	}
}
