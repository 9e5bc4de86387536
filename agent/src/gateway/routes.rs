//! The gateway's routes: status, logs, outputs (the shell is in [`super::shell`]).

use super::{auth::LeaseUser, error::GatewayError, limits::Pace, GatewayState};
use crate::jobs::outputs;
use axum::{
	body::Body,
	extract::{Query, State},
	http::{header, StatusCode},
	response::{
		sse::{Event, KeepAlive, Sse},
		IntoResponse, Response,
	},
	routing::get,
	Json, Router,
};
use futures_util::{stream, Stream, StreamExt};
use serde::Deserialize;
use std::{convert::Infallible, io::SeekFrom, path::PathBuf, time::Duration};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use uranus_primitives::agent::{JobStatus, MeteringReport};

/// Largest log tail a request may ask for.
pub const MAX_TAIL_BYTES: u64 = 1 << 20;
/// Largest log chunk sent as one event.
const CHUNK: usize = 16 << 10;
/// How often a followed log is checked for new output.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// Cross-origin access for web consoles: any origin may call the gateway, since a request is
/// authorised by its signature headers alone (no cookies, no ambient credentials), so a
/// page of another origin gains nothing a script outside a browser would not have.
fn cors() -> tower_http::cors::CorsLayer {
	use uranus_primitives::gateway as g;
	tower_http::cors::CorsLayer::new()
		.allow_origin(tower_http::cors::Any)
		.allow_methods([axum::http::Method::GET])
		.allow_headers([
			header::HeaderName::from_static(g::HEADER_ACCOUNT),
			header::HeaderName::from_static(g::HEADER_SCHEME),
			header::HeaderName::from_static(g::HEADER_TIMESTAMP),
			header::HeaderName::from_static(g::HEADER_NONCE),
			header::HeaderName::from_static(g::HEADER_SIGNATURE),
		])
		.expose_headers([
			header::HeaderName::from_static(g::HEADER_OUTPUT_SHA256),
			header::CONTENT_LENGTH,
		])
		.max_age(Duration::from_secs(600))
}

/// The gateway's router.
pub fn router(state: GatewayState) -> Router {
	Router::new()
		.route(
			"/v1/leases/{id}",
			get(status).route_layer(tower_http::timeout::TimeoutLayer::with_status_code(
				StatusCode::REQUEST_TIMEOUT,
				super::REQUEST_TIMEOUT,
			)),
		)
		.route("/v1/leases/{id}/logs", get(logs))
		.route("/v1/leases/{id}/output", get(output))
		.route("/v1/leases/{id}/shell", get(super::shell::shell))
		.route("/v1/health", get(|| async { Json(serde_json::json!({ "status": "ok" })) }))
		.fallback(|| async { GatewayError::NotFound("no such route".into()) })
		.layer(tower_http::limit::RequestBodyLimitLayer::new(4096))
		.layer(cors())
		.layer(tower_http::trace::TraceLayer::new_for_http())
		.with_state(state)
}

/// `GET /v1/leases/{id}`: the job and its metering.
#[derive(Debug, serde::Serialize, Deserialize)]
pub struct LeaseStatus {
	/// The job.
	pub job: JobStatus,
	/// Its cumulative metering.
	pub metering: MeteringReport,
}

async fn status(
	LeaseUser(lease, _): LeaseUser,
	State(s): State<GatewayState>,
) -> Result<Json<LeaseStatus>, GatewayError> {
	let job = s.jobs.get(lease).await?;
	let metering = s.jobs.metering(lease).await?;
	Ok(Json(LeaseStatus { job, metering }))
}

/// Query of the logs route.
#[derive(Debug, Deserialize)]
pub struct LogQuery {
	/// Bytes of the log's end to send first (default 64 KiB, at most [`MAX_TAIL_BYTES`]).
	pub tail: Option<u64>,
	/// Keep sending new output until the job ends.
	#[serde(default)]
	pub follow: bool,
}

struct Follow {
	path: PathBuf,
	offset: u64,
	follow: bool,
	done: bool,
	s: GatewayState,
	lease: u64,
	pace: Pace,
	_permit: super::limits::SessionPermit,
}

/// Reads up to [`CHUNK`] new bytes of the log, ending at a line end where there is one.
async fn read_new(f: &mut Follow) -> std::io::Result<Option<String>> {
	let len = tokio::fs::metadata(&f.path).await.map(|m| m.len()).unwrap_or(0);
	if len < f.offset {
		// Rotated (see `joblog`): the new file starts over.
		f.offset = 0;
	}
	if len == f.offset {
		return Ok(None);
	}
	let mut file = tokio::fs::File::open(&f.path).await?;
	file.seek(SeekFrom::Start(f.offset)).await?;
	let want = ((len - f.offset) as usize).min(CHUNK);
	let mut buf = vec![0u8; want];
	file.read_exact(&mut buf).await?;
	if want == CHUNK {
		if let Some(end) = buf.iter().rposition(|b| *b == b'\n') {
			buf.truncate(end + 1);
		}
	}
	f.offset += buf.len() as u64;
	f.pace.wait(buf.len()).await;
	Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

async fn next_event(mut f: Follow) -> Option<(Result<Event, Infallible>, Follow)> {
	if f.done {
		return None;
	}
	loop {
		match read_new(&mut f).await {
			Ok(Some(text)) => return Some((Ok(Event::default().data(text)), f)),
			Ok(None) => {},
			Err(e) => tracing::debug!(lease = f.lease, "log read: {e}"),
		}
		let job = f.s.jobs.get(f.lease).await.ok();
		let ended = job.as_ref().map(|j| j.state.is_final()).unwrap_or(true);
		if !f.follow || ended {
			// One last look: output written just before the end.
			if let Ok(Some(text)) = read_new(&mut f).await {
				return Some((Ok(Event::default().data(text)), f));
			}
			f.done = true;
			let end = serde_json::json!({
				"state": job.as_ref().map(|j| j.state),
				"exit_code": job.as_ref().and_then(|j| j.exit_code),
			});
			return Some((Ok(Event::default().event("end").data(end.to_string())), f));
		}
		tokio::time::sleep(FOLLOW_POLL).await;
	}
}

async fn logs(
	LeaseUser(lease, user): LeaseUser,
	State(s): State<GatewayState>,
	Query(q): Query<LogQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, GatewayError> {
	let path = s
		.jobs
		.logs(lease)
		.await?
		.ok_or_else(|| GatewayError::NotFound("the job has no log yet".into()))?;
	let permit = s.limits.admit(lease, &user)?;
	let len = tokio::fs::metadata(&path).await.map(|m| m.len()).unwrap_or(0);
	let tail = q.tail.unwrap_or(64 << 10).min(MAX_TAIL_BYTES);
	let f = Follow {
		path,
		offset: len.saturating_sub(tail),
		follow: q.follow,
		done: false,
		pace: Pace::new(s.config.bytes_per_second),
		s,
		lease,
		_permit: permit,
	};
	Ok(Sse::new(stream::unfold(f, next_event)).keep_alive(KeepAlive::default()))
}

async fn output(
	LeaseUser(lease, user): LeaseUser,
	State(s): State<GatewayState>,
) -> Result<Response, GatewayError> {
	let Some((path, stored)) = outputs::stored(&s.agent.data_dir, lease, crate::now_ms()) else {
		let had = s.jobs.get(lease).await.ok().and_then(|j| j.output).is_some();
		return Err(if had {
			GatewayError::Gone("the outputs' retention ended".into())
		} else {
			GatewayError::NotFound("the job left no outputs (yet)".into())
		});
	};
	let permit = s.limits.admit(lease, &user)?;
	let file = tokio::fs::File::open(&path)
		.await
		.map_err(|e| GatewayError::Internal(format!("open the outputs: {e}")))?;
	let pace = Pace::new(s.config.bytes_per_second);
	let body = tokio_util::io::ReaderStream::new(file).scan((pace, permit), |(pace, _), chunk| {
		let n = chunk.as_ref().map(|c| c.len()).unwrap_or(0);
		let delay = pace.delay(n);
		async move {
			tokio::time::sleep(delay).await;
			Some(chunk)
		}
	});
	Ok((
		StatusCode::OK,
		[
			(header::CONTENT_TYPE, "application/zstd".to_string()),
			(header::CONTENT_LENGTH, stored.output.size_bytes.to_string()),
			(
				header::HeaderName::from_static(uranus_primitives::gateway::HEADER_OUTPUT_SHA256),
				stored.output.sha256.clone(),
			),
		],
		Body::from_stream(body),
	)
		.into_response())
}
