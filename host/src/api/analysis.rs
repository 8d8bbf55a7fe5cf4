//! A call's analysis.
//!
//! - `POST /calls/{id}/analysis` `{transcript, summary, score, sentiment,
//!   tags}` (all optional, at least one; `score` 0–100; extra keys are kept
//!   as attributes only under `attributes`) — an external system's analysis
//!   of the call. Stored as the call's analysis (source `api`) and fires the
//!   business's automations. 201 with the stored analysis.
//! - `GET /calls/{id}/analysis` — the call's analysis and the analysis
//!   jobs of the call (`analyze` / `fire`, status, attempts, last error); `analysis`
//!   is null until one is stored.
//! - `POST /calls/{id}/analysis/run` — queue the connected analyzer for the
//!   call again (202).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::calls::call_not_found;
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use crate::server::AppState;
use crate::store::{AnalysisResult, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read, post_analysis))
        .routes(routes!(rerun))
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// An external system's analysis of a call: at least one of `transcript`,
/// `summary`, `score`, `sentiment`, `tags`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AnalysisBody)]
struct Posted {
    transcript: Option<String>,
    summary: Option<String>,
    /// 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    score: Option<f64>,
    /// Lower-cased, e.g. `positive`, `neutral`, `negative`.
    sentiment: Option<String>,
    tags: Option<Vec<String>>,
    /// Kept as given, except names that mention a model, provider, cost,
    /// price, billing, usage or tokens (`model_name`, `cost_usd`, `total_tokens`).
    #[schema(value_type = Option<Object>)]
    attributes: Option<Map<String, Value>>,
}

fn validate(p: Posted) -> Result<AnalysisResult, ApiError> {
    let nothing = p.transcript.is_none()
        && p.summary.is_none()
        && p.score.is_none()
        && p.sentiment.is_none()
        && p.tags.is_none();
    if nothing {
        return Err(unprocessable(
            "empty_analysis",
            "give at least one of transcript, summary, score, sentiment, tags",
        ));
    }
    if let Some(s) = p.score
        && !(0.0..=100.0).contains(&s)
    {
        return Err(unprocessable(
            "invalid_score",
            "`score` must be between 0 and 100",
        ));
    }
    let attributes = crate::analysis::attributes::keep_allowed(p.attributes.unwrap_or_default());
    // Trimmed, without blanks or repeats, in the order given.
    let mut seen = std::collections::HashSet::new();
    let tags: Vec<String> = p
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .collect();
    Ok(AnalysisResult {
        transcript: p.transcript,
        summary: p.summary,
        score: p.score,
        sentiment: p.sentiment.map(|s| s.trim().to_ascii_lowercase()),
        tags,
        attributes,
    })
}

/// Store an external system's analysis of the call.
///
/// Stored as the call's analysis (source `api`); fires the business's
/// automations.
#[utoipa::path(
    post,
    path = "/calls/{id}/analysis",
    tag = "analysis",
    security(("bearer" = ["manage_calls"])),
    params(("id" = String, Path, description = "The call's id")),
    request_body = Posted,
    responses(
        (status = 201, description = "The stored analysis", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`call_not_found`: no such call in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `empty_analysis`: none of transcript, summary, score, sentiment, tags; `invalid_score`: `score` is not 0 to 100", body = ErrorBody),
    )
)]
async fn post_analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(posted): ApiJson<Posted>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageCalls)?;
    let result = validate(posted)?;
    let stored = match state
        .store
        .record_analysis(&caller.business_id, &id, "api", &result)
        .await
    {
        Ok(a) => a,
        Err(StoreError::NotFound) => return Err(call_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    state.analysis_wake.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(stored).map_err(ApiError::internal)?),
    ))
}

/// 404 `call_not_found` unless the call is the business's.
async fn ensure_call(state: &AppState, business_id: &str, id: &str) -> Result<(), ApiError> {
    match state.store.get_call(business_id, id).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(call_not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The call's analysis and its analysis jobs.
#[utoipa::path(
    get,
    path = "/calls/{id}/analysis",
    tag = "analysis",
    security(("bearer" = ["view_calls"])),
    params(("id" = String, Path, description = "The call's id")),
    responses(
        (status = 200, description = "`{analysis, jobs}`: `analysis` is null until one is stored; `jobs` are the call's `analyze` / `fire` jobs with status, attempts and last error", body = Object),
        (status = 404, description = "`call_not_found`: no such call in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    ensure_call(&state, &caller.business_id, &id).await?;
    let jobs = state
        .store
        .analysis_jobs_of_call(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    let analysis = state
        .store
        .get_analysis(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "analysis": analysis, "jobs": jobs })))
}

/// Queue the connected analyzer for the call again.
#[utoipa::path(
    post,
    path = "/calls/{id}/analysis/run",
    tag = "analysis",
    security(("bearer" = ["manage_calls"])),
    params(("id" = String, Path, description = "The call's id")),
    responses(
        (status = 202, description = "Queued"),
        (status = 404, description = "`call_not_found`: no such call in this business", body = ErrorBody),
    )
)]
async fn rerun(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageCalls)?;
    ensure_call(&state, &caller.business_id, &id).await?;
    state
        .store
        .queue_analysis(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    state.analysis_wake.notify_one();
    Ok(StatusCode::ACCEPTED)
}
