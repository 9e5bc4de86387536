//! `uranus lease …`: status, logs, shell and outputs through the gateway; rate and dispute
//! on chain.

use crate::{
	chain::Chain,
	error::CliError,
	gateway::{error_chain, LeaseGateway},
	keys::Key,
};
use futures_util::{SinkExt, StreamExt};
use sha2::{Digest, Sha256};
use std::path::Path;
use subxt::dynamic::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uranus_primitives::compute::OutputDigest;

/// `uranus lease status ID`: the chain's view and, when reachable, the gateway's.
pub async fn status(chain: &Chain, key: Option<&Key>, lease: u64) -> Result<(), CliError> {
	let view = chain.lease(lease).await?;
	println!("{}", serde_json::to_string_pretty(&view).unwrap_or_default());
	if let Some(key) = key {
		let gw = LeaseGateway::open(chain, lease).await?;
		let resp = gw.get(key, &format!("/v1/leases/{lease}")).await?;
		let v: serde_json::Value =
			resp.json().await.map_err(|e| CliError::Gateway(e.to_string()))?;
		println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
	}
	Ok(())
}

/// `uranus lease logs ID [--follow] [--tail BYTES]`: the log (as it grows, with `follow`).
pub async fn logs(
	chain: &Chain,
	key: &Key,
	lease: u64,
	follow: bool,
	tail: u64,
) -> Result<(), CliError> {
	let gw = LeaseGateway::open(chain, lease).await?;
	let path = format!("/v1/leases/{lease}/logs?tail={tail}&follow={follow}");
	let resp = gw.get(key, &path).await?;
	let mut body = resp.bytes_stream();
	let mut pending = String::new();
	let mut out = tokio::io::stdout();
	// Server-sent events: `event:`/`data:` lines, a blank line ends an event.
	let mut event = String::new();
	let mut data: Vec<String> = Vec::new();
	while let Some(chunk) = body.next().await {
		let chunk = chunk.map_err(|e| CliError::Gateway(error_chain(&e)))?;
		pending.push_str(&String::from_utf8_lossy(&chunk));
		while let Some(end) = pending.find('\n') {
			let line: String = pending.drain(..=end).collect();
			let line = line.trim_end_matches(['\n', '\r']);
			if line.is_empty() {
				if event == "end" {
					out.flush().await.ok();
					let end: serde_json::Value =
						serde_json::from_str(&data.join("\n")).unwrap_or_default();
					eprintln!("-- the job ended: {end}");
					return Ok(());
				}
				if !data.is_empty() {
					out.write_all(data.join("\n").as_bytes()).await.ok();
					out.flush().await.ok();
				}
				event.clear();
				data.clear();
			} else if let Some(v) = line.strip_prefix("data:") {
				data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
			} else if let Some(v) = line.strip_prefix("event:") {
				event = v.trim().to_string();
			}
		}
	}
	Ok(())
}

/// `uranus lease fetch ID [-o DIR]`: downloads the outputs, checks them against the digest
/// the chain recorded at completion, and unpacks them into `dir`.
pub async fn fetch(chain: &Chain, key: &Key, lease: u64, dir: &Path) -> Result<(), CliError> {
	let gw = LeaseGateway::open(chain, lease).await?;
	let result = gw.view["result"].as_str().unwrap_or_default().to_string();
	let Some(expected) = OutputDigest::from_result(result.as_bytes()) else {
		return Err(CliError::NotFound(format!(
			"lease {lease} has no output digest on chain (result {result:?})"
		)));
	};
	let resp = gw.get(key, &format!("/v1/leases/{lease}/output")).await?;
	let mut hasher = Sha256::new();
	let mut bytes = Vec::new();
	let mut body = resp.bytes_stream();
	while let Some(chunk) = body.next().await {
		let chunk = chunk.map_err(|e| CliError::Gateway(error_chain(&e)))?;
		if (bytes.len() + chunk.len()) as u64 > expected.size_bytes {
			return Err(CliError::Verification(format!(
				"the gateway sent more than the {} bytes the chain recorded",
				expected.size_bytes
			)));
		}
		hasher.update(&chunk);
		bytes.extend_from_slice(&chunk);
		eprint!("\rdownloaded {} of {} bytes", bytes.len(), expected.size_bytes);
	}
	eprintln!();
	let got: [u8; 32] = hasher.finalize().into();
	if got != expected.sha256 || bytes.len() as u64 != expected.size_bytes {
		return Err(CliError::Verification(format!(
			"sha256 {} ({} bytes) is not the chain's {} ({} bytes)",
			hex::encode(got),
			bytes.len(),
			hex::encode(expected.sha256),
			expected.size_bytes
		)));
	}
	eprintln!("sha256 {} matches the chain", hex::encode(got));
	std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("create {}: {e}", dir.display()))?;
	let decoder = zstd::Decoder::new(&bytes[..]).map_err(anyhow::Error::from)?;
	let mut archive = tar::Archive::new(decoder);
	archive.set_preserve_permissions(false);
	archive.set_overwrite(true);
	// `tar` refuses entries that would land outside `dir` (`..`, absolute paths, links).
	archive.unpack(dir).map_err(|e| anyhow::anyhow!("unpack into {}: {e}", dir.display()))?;
	println!("{}", dir.display());
	Ok(())
}

/// `uranus lease shell ID [-- CMD…]`: the command (a shell by default) on a terminal inside
/// the running container; standard input goes to it, its terminal to standard output.
pub async fn shell(chain: &Chain, key: &Key, lease: u64, cmd: &[String]) -> Result<(), CliError> {
	let gw = LeaseGateway::open(chain, lease).await?;
	let query: Vec<(&str, &str)> = cmd.iter().map(|c| ("cmd", c.as_str())).collect();
	let query = serde_urlencoded_pairs(&query);
	let path = if query.is_empty() {
		format!("/v1/leases/{lease}/shell")
	} else {
		format!("/v1/leases/{lease}/shell?{query}")
	};
	let url = format!("{}{path}", gw.base.replacen("https://", "wss://", 1));
	let mut request =
		tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
			url.as_str(),
		)
		.map_err(|e| CliError::Gateway(e.to_string()))?;
	for (name, value) in gw.signed_headers(key, "GET", &path) {
		request
			.headers_mut()
			.insert(name, value.parse().map_err(|_| CliError::Gateway("header value".into()))?);
	}
	let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(
		request,
		None,
		false,
		Some(tokio_tungstenite::Connector::Rustls(gw.tls.clone())),
	)
	.await
	.map_err(|e| match e {
		tokio_tungstenite::tungstenite::Error::Http(resp) => CliError::Gateway(format!(
			"{}: {}",
			resp.status(),
			String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default())
		)),
		e => CliError::Gateway(error_chain(&e)),
	})?;
	use tokio_tungstenite::tungstenite::Message;
	let (mut tx, mut rx) = ws.split();
	let mut stdin = tokio::io::stdin();
	let mut stdout = tokio::io::stdout();
	let mut buf = vec![0u8; 4096];
	let mut stdin_open = true;
	loop {
		tokio::select! {
			n = stdin.read(&mut buf), if stdin_open => match n {
				Ok(0) | Err(_) => stdin_open = false,
				Ok(n) => {
					if tx.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() {
						break;
					}
				},
			},
			msg = rx.next() => match msg {
				Some(Ok(Message::Binary(data))) => {
					stdout.write_all(&data).await.ok();
					stdout.flush().await.ok();
				},
				Some(Ok(Message::Text(text))) => {
					stdout.write_all(text.as_bytes()).await.ok();
				},
				Some(Ok(Message::Close(_))) | None => break,
				Some(Err(e)) => return Err(CliError::Gateway(error_chain(&e))),
				Some(Ok(_)) => {},
			},
		}
	}
	Ok(())
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
	fn enc(s: &str) -> String {
		s.bytes()
			.map(|b| match b {
				b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
					(b as char).to_string()
				},
				b => format!("%{b:02X}"),
			})
			.collect()
	}
	pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// `uranus lease rate ID STARS`.
pub async fn rate(chain: &Chain, key: &Key, lease: u64, stars: u8) -> Result<(), CliError> {
	chain
		.submit(
			key,
			"Market",
			"rate_lease",
			vec![Value::u128(lease as u128), Value::u128(stars as u128)],
		)
		.await
}

/// `uranus lease dispute ID AMOUNT`.
pub async fn dispute(chain: &Chain, key: &Key, lease: u64, amount: u128) -> Result<(), CliError> {
	chain
		.submit(
			key,
			"Market",
			"dispute_lease",
			vec![Value::u128(lease as u128), Value::u128(amount)],
		)
		.await
}

#[cfg(test)]
mod tests {
	#[test]
	fn shell_arguments_are_percent_encoded() {
		assert_eq!(
			super::serde_urlencoded_pairs(&[("cmd", "cat"), ("cmd", "/proc/1/cmdline a&b")]),
			"cmd=cat&cmd=%2Fproc%2F1%2Fcmdline%20a%26b"
		);
	}
}
