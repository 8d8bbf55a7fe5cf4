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

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::{Caller, Scope};
use super::calls::call_not_found;
use super::error::ApiError;
use super::json::ApiJson;
use crate::server::AppState;
use crate::store::{AnalysisResult, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls/{id}/analysis", get(read).post(post_analysis))
        .route("/calls/{id}/analysis/run", post(rerun))
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Posted {
    transcript: Option<String>,
    summary: Option<String>,
    score: Option<f64>,
    sentiment: Option<String>,
    tags: Option<Vec<String>>,
    attributes: Option<Map<String, Value>>,
}

/// The AI model, provider and cost never travel in our payloads.
const FORBIDDEN_ATTRIBUTES: &[&str] = &["model", "provider", "cost", "usage", "tokens"];

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
    let mut attributes = p.attributes.unwrap_or_default();
    attributes.retain(|k, _| !FORBIDDEN_ATTRIBUTES.contains(&k.to_ascii_lowercase().as_str()));
    let mut tags: Vec<String> = p
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    tags.dedup();
    Ok(AnalysisResult {
        transcript: p.transcript,
        summary: p.summary,
        score: p.score,
        sentiment: p.sentiment.map(|s| s.trim().to_ascii_lowercase()),
        tags,
        attributes,
    })
}

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
