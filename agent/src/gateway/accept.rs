//! The gateway's admission of connections, before TLS: at most a total number open at once
//! and at most a number per source address. A connection over either bound is closed at
//! once, so a flood of idle or slow connections from anywhere never takes the agent's file
//! descriptors (which its control API, journal and `runc` need too). Then TLS (with its
//! handshake timeout) and HTTP (with its header timeout) bound how long an admitted
//! connection may stay silent ([`super::serve`]).

use std::{
	collections::HashMap,
	net::IpAddr,
	sync::{Arc, Mutex},
};

/// The bounds and what is open now.
pub struct ConnectionLimits {
	max_total: usize,
	max_per_ip: usize,
	open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
	total: usize,
	per_ip: HashMap<IpAddr, usize>,
	refused: u64,
}

impl ConnectionLimits {
	/// At most `max_total` connections at once (and at most a quarter of the open-file limit
	/// at the time, read at each admission), `max_per_ip` from one address.
	pub fn new(max_total: usize, max_per_ip: usize) -> Arc<ConnectionLimits> {
		Arc::new(ConnectionLimits {
			max_total: max_total.max(1),
			max_per_ip: max_per_ip.max(1),
			open: Mutex::default(),
		})
	}

	/// A slot for one more connection from `ip`, released when dropped; `None` when either
	/// bound is reached.
	pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
		self.admit_within(ip, super::total_connections(self.max_total, open_file_limit()))
	}

	/// [`ConnectionLimits::admit`] with `max_total` in all.
	fn admit_within(self: &Arc<Self>, ip: IpAddr, max_total: usize) -> Option<Slot> {
		let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		let from_ip = open.per_ip.get(&ip).copied().unwrap_or(0);
		if open.total >= max_total || from_ip >= self.max_per_ip {
			open.refused = open.refused.saturating_add(1);
			return None;
		}
		open.total += 1;
		open.per_ip.insert(ip, from_ip + 1);
		Some(Slot { limits: self.clone(), ip })
	}

	/// Connections open now, and refused so far.
	pub fn counts(&self) -> (usize, u64) {
		let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
		(open.total, open.refused)
	}
}

/// One admitted connection's place; given back when dropped.
pub struct Slot {
	limits: Arc<ConnectionLimits>,
	ip: IpAddr,
}

impl Drop for Slot {
	fn drop(&mut self) {
		let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
		open.total = open.total.saturating_sub(1);
		if let Some(n) = open.per_ip.get_mut(&self.ip) {
			*n = n.saturating_sub(1);
			if *n == 0 {
				open.per_ip.remove(&self.ip);
			}
		}
	}
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves. Each connection is
/// admitted within `limits` right where it is accepted (one over a bound is closed before
/// anything else is spent on it, so refused connections never pile up as descriptors); it
/// then has [`super::HANDSHAKE_TIMEOUT`] for its TLS handshake and speaks HTTP/1.1 with
/// [`super::HEADER_TIMEOUT`] for each request's headers (and between keep-alive requests).
/// At shutdown it stops accepting, asks open connections to finish their request, and waits
/// for them at most `grace`.
pub async fn serve_tls(
	listener: tokio::net::TcpListener,
	tls: Arc<rustls::ServerConfig>,
	limits: Arc<ConnectionLimits>,
	router: axum::Router,
	shutdown: impl std::future::Future<Output = ()>,
	grace: std::time::Duration,
) {
	use hyper_util::{
		rt::{TokioExecutor, TokioIo, TokioTimer},
		server::conn::auto,
		service::TowerToHyperService,
	};
	let acceptor = tokio_rustls::TlsAcceptor::from(tls);
	let mut http = auto::Builder::new(TokioExecutor::new()).http1_only();
	http.http1().timer(TokioTimer::new()).header_read_timeout(super::HEADER_TIMEOUT);
	let http = Arc::new(http);
	let (stop, stopping) = tokio::sync::watch::channel(false);
	let mut connections = tokio::task::JoinSet::new();
	tokio::pin!(shutdown);
	loop {
		let (tcp, peer) = tokio::select! {
			_ = &mut shutdown => break,
			Some(_) = connections.join_next(), if !connections.is_empty() => continue,
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(e) => {
					// Out of descriptors or the like: let connections end before the next.
					tracing::debug!("gateway accept: {e}");
					tokio::time::sleep(std::time::Duration::from_millis(50)).await;
					continue;
				},
			},
		};
		let Some(slot) = limits.admit(peer.ip()) else { continue };
		let (acceptor, http, router) = (acceptor.clone(), http.clone(), router.clone());
		let mut stopping = stopping.clone();
		connections.spawn(async move {
			let _slot = slot;
			let handshake = tokio::time::timeout(super::HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
			let Ok(Ok(tls)) = handshake.await else { return };
			let conn = http.serve_connection_with_upgrades(
				TokioIo::new(tls),
				TowerToHyperService::new(router),
			);
			tokio::pin!(conn);
			tokio::select! {
				_ = conn.as_mut() => {},
				_ = stopping.changed() => {
					conn.as_mut().graceful_shutdown();
					let _ = conn.await;
				},
			}
		});
	}
	drop(listener);
	let _ = stop.send(true);
	let drained = async { while connections.join_next().await.is_some() {} };
	if tokio::time::timeout(grace, drained).await.is_err() {
		connections.abort_all();
	}
}

/// The open-file limit of this process (its soft `RLIMIT_NOFILE`).
pub fn open_file_limit() -> u64 {
	// SAFETY: `lim` is a plain C struct that `getrlimit` fills on success.
	let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
	// SAFETY: a valid resource and out pointer.
	if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
		return 1024;
	}
	lim.rlim_cur
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn connections_are_bounded_in_all_and_per_address_and_slots_come_back() {
		let l = ConnectionLimits::new(3, 2);
		let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
		let a1 = l.admit(a).unwrap();
		let _a2 = l.admit(a).unwrap();
		assert!(l.admit(a).is_none(), "a third from one address");
		let _b1 = l.admit(b).unwrap();
		assert!(l.admit(b).is_none(), "a fourth in all");
		assert_eq!(l.counts(), (3, 2));
		drop(a1);
		assert!(l.admit(b).is_some(), "a closed connection's slot is free again");
	}

	#[test]
	fn the_bound_in_all_leaves_three_quarters_of_the_open_files_to_the_rest() {
		assert_eq!(super::super::total_connections(1024, 1024), 256);
		assert_eq!(super::super::total_connections(1024, 65_536), 1024);
		assert_eq!(super::super::total_connections(1024, 2), 1, "never none");
	}
}
