//! Routes and handlers.

use super::{auth::require_token, error::ApiError, AppState, MAX_BODY_BYTES, MAX_SINK_BYTES};
use axum::{
	body::Bytes,
	extract::{FromRequest, Path, Query, State},
	http::StatusCode,
	middleware,
	routing::{get, post},
	Json, Router,
};
use serde::Deserialize;
use std::time::Duration;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};
use uranus_primitives::agent::{
	AgentHealth, ChallengeSpec, ChallengeStatus, HardwareInfo, JobRequest, JobStatus, LeaseId,
	MeteringReport, VerifyRequest, VerifyResponse,
};

/// A JSON body whose rejections become [`ApiError`]s with the common error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

/// The router of the whole API.
pub fn router(state: AppState) -> Router {
	let protected = Router::new()
		.route("/v1/hardware", get(hardware))
		.route("/v1/jobs", post(create_job).get(list_jobs))
		.route("/v1/jobs/{id}", get(get_job).delete(delete_job))
		.route("/v1/jobs/{id}/metering", get(metering))
		.route("/v1/jobs/{id}/pause", post(pause_job))
		.route("/v1/jobs/{id}/resume", post(resume_job))
		.route("/v1/jobs/{id}/logs", get(logs))
		.route("/v1/challenges", post(start_challenge))
		.route("/v1/challenges/current", get(current_challenge))
		.route("/v1/challenges/verify", post(verify_challenge))
		.layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
		.route_layer(middleware::from_fn_with_state(state.clone(), require_token));
	// The sink only discards bytes (another agent's uplink self-test); it reveals nothing and
	// changes nothing, so like health it needs no token. The API is loopback-only anyway.
	let sink_route = Router::new()
		.route("/v1/sink", post(sink))
		.layer(axum::extract::DefaultBodyLimit::disable())
		.layer(RequestBodyLimitLayer::new(MAX_SINK_BYTES));
	Router::new()
		.route("/v1/health", get(health))
		.merge(sink_route)
		.merge(protected)
		.fallback(|| async { ApiError::NotFound("no such route".into()) })
		.layer(TimeoutLayer::with_status_code(
			StatusCode::REQUEST_TIMEOUT,
			Duration::from_secs(600),
		))
		.layer(TraceLayer::new_for_http())
		.with_state(state)
}

fn parse_id(id: &str) -> Result<LeaseId, ApiError> {
	id.parse().map_err(|_| ApiError::BadRequest(format!("job id {id:?} is not a lease id")))
}

async fn hardware(State(s): State<AppState>) -> Json<HardwareInfo> {
	let mut hw = s.hardware.read().await.clone();
	// Memory and storage availability change; refresh them on every call.
	let fresh = crate::hardware::probe(
		&s.jobs_data_dir(),
		&hw.cgroup_mode,
		&hw.runtime,
		hw.uplink_bytes_per_sec,
	);
	hw.memory_available_bytes = fresh.memory_available_bytes;
	hw.storage_available_bytes = fresh.storage_available_bytes;
	Json(hw)
}

async fn create_job(
	State(s): State<AppState>,
	AppJson(req): AppJson<JobRequest>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
	let (status, created) = s.jobs.submit(req).await?;
	Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(status)))
}

async fn list_jobs(State(s): State<AppState>) -> Json<Vec<JobStatus>> {
	Json(s.jobs.list().await)
}

async fn get_job(
	State(s): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
	Ok(Json(s.jobs.get(parse_id(&id)?).await?))
}

/// Liveness, and the jobs whose release failed and is being retried.
async fn health(State(s): State<AppState>) -> Json<AgentHealth> {
	Json(AgentHealth { status: "ok".into(), awaiting_release: s.jobs.awaiting_release().await })
}

/// `200` once the job is stopped and released (or forgotten); `202 Accepted` when some of its
/// resources could not be released yet (the body's `release` says which; the agent retries).
async fn delete_job(
	State(s): State<AppState>,
	Path(id): Path<String>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
	let status = s.jobs.stop(parse_id(&id)?).await?;
	let code = if status.release.is_some() { StatusCode::ACCEPTED } else { StatusCode::OK };
	Ok((code, Json(status)))
}

async fn pause_job(
	State(s): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
	Ok(Json(s.jobs.set_paused(parse_id(&id)?, true).await?))
}

async fn resume_job(
	State(s): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
	Ok(Json(s.jobs.set_paused(parse_id(&id)?, false).await?))
}

async fn metering(
	State(s): State<AppState>,
	Path(id): Path<String>,
) -> Result<Json<MeteringReport>, ApiError> {
	Ok(Json(s.jobs.metering(parse_id(&id)?).await?))
}

/// `?max_bytes=`: how much of the log's end to send (default 64 KiB, at most a log's cap).
#[derive(Deserialize)]
struct LogQuery {
	max_bytes: Option<u64>,
}

/// The end of a job's log, streamed from disk (`text/plain`).
async fn logs(
	State(s): State<AppState>,
	Path(id): Path<String>,
	Query(q): Query<LogQuery>,
) -> Result<axum::response::Response, ApiError> {
	let max = q.max_bytes.unwrap_or(64 * 1024).min(crate::runtime::joblog::MAX_CAP);
	let body = match s.jobs.logs(parse_id(&id)?).await? {
		Some(path) => axum::body::Body::from_stream(
			crate::runtime::joblog::tail(&path, max)
				.await
				.map_err(|e| ApiError::Internal(format!("read the job log: {e}")))?,
		),
		None => axum::body::Body::empty(),
	};
	Ok(axum::response::Response::builder()
		.header(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
		.body(body)
		.map_err(|e| ApiError::Internal(e.to_string()))?)
}

/// Starts this machine's hardware challenge (202; 409 while one runs).
async fn start_challenge(
	State(s): State<AppState>,
	AppJson(spec): AppJson<ChallengeSpec>,
) -> Result<(StatusCode, Json<ChallengeStatus>), ApiError> {
	let cores = s.hardware.read().await.logical_cores;
	Ok((StatusCode::ACCEPTED, Json(s.challenges.start(spec, cores)?)))
}

/// This machine's current (or last) challenge.
async fn current_challenge(State(s): State<AppState>) -> Result<Json<ChallengeStatus>, ApiError> {
	s.challenges.status().map(Json).ok_or_else(|| ApiError::NotFound("no challenge yet".into()))
}

/// Recomputes the picked lanes of another machine's challenge.
async fn verify_challenge(
	AppJson(req): AppJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
	let response = tokio::task::spawn_blocking(move || crate::challenge::verify_request(&req))
		.await
		.map_err(|e| ApiError::Internal(format!("verifier task: {e}")))??;
	Ok(Json(response))
}

async fn sink(body: Bytes) -> Json<serde_json::Value> {
	Json(serde_json::json!({ "received": body.len() }))
}

impl AppState {
	fn jobs_data_dir(&self) -> std::path::PathBuf {
		self.data_dir.as_ref().clone()
	}
}
