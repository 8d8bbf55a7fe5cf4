//! `/integrations/{id}/sync`: the recording pull schedule of a recording
//! source (`dtac`, `threecx-cloud`).
//!
//! - `GET` — status: `enabled`, `intervalSec`, `running`, `nextRunAt`,
//!   `lastStartedAt`, `lastFinishedAt`, `lastSuccessAt`, `lastError`,
//!   `consecutiveFailures` (the backoff grows with it), `lastRun`
//!   `{stored, failed, skipped}`, `totalStored`, `totalFailed`.
//! - `POST` — sync now (202 with the status); during a run, right after it.
//! - `PATCH` `{enabled?, intervalSec?}` — change the schedule
//!   (`intervalSec` 60 to 86400).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use crate::runtime::registry::manifest::World;
use crate::server::AppState;
use crate::store::{StoreError, SyncStatus};

pub const MIN_INTERVAL_SEC: i64 = 60;
pub const MAX_INTERVAL_SEC: i64 = 86_400;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/integrations/{id}/sync",
        get(status).post(sync_now).patch(schedule),
    )
}

fn integration_not_found() -> ApiError {
    ApiError::not_found(
        "integration_not_found",
        "no such integration in this business",
    )
}

/// The integration's schedule, creating it if the scheduler has not yet.
async fn load(state: &AppState, business_id: &str, id: &str) -> Result<SyncStatus, ApiError> {
    let integration = match state.store.get_integration(business_id, id).await {
        Ok(i) => i,
        Err(StoreError::NotFound) => return Err(integration_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let pulls = state
        .runtime
        .registry
        .get(&integration.kind)
        .is_some_and(|c| c.manifest.worlds.contains(&World::RecordingSource));
    if !pulls {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sync_unsupported",
            format!(
                "`{}` is not a recording source; only recording sources sync",
                integration.kind
            ),
        ));
    }
    let interval = i64::try_from(state.settings.sync_interval_sec).unwrap_or(300);
    state
        .store
        .ensure_syncs(&integration.kind, interval)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .get_sync(business_id, id)
        .await
        .map_err(ApiError::internal)
}

async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SyncStatus>, ApiError> {
    caller.require(Scope::ViewIntegrations)?;
    Ok(Json(load(&state, &caller.business_id, &id).await?))
}

async fn sync_now(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SyncStatus>), ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    load(&state, &caller.business_id, &id).await?;
    state
        .store
        .request_sync(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    state.sync_wake.notify_one();
    let status = state
        .store
        .get_sync(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::ACCEPTED, Json(status)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SchedulePatch {
    enabled: Option<bool>,
    interval_sec: Option<i64>,
}

async fn schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<SchedulePatch>,
) -> Result<Json<SyncStatus>, ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    if let Some(i) = patch.interval_sec
        && !(MIN_INTERVAL_SEC..=MAX_INTERVAL_SEC).contains(&i)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_interval",
            format!("`intervalSec` must be between {MIN_INTERVAL_SEC} and {MAX_INTERVAL_SEC}"),
        ));
    }
    load(&state, &caller.business_id, &id).await?;
    state
        .store
        .update_sync_schedule(&caller.business_id, &id, patch.enabled, patch.interval_sec)
        .await
        .map_err(ApiError::internal)?;
    state.sync_wake.notify_one();
    Ok(Json(
        state
            .store
            .get_sync(&caller.business_id, &id)
            .await
            .map_err(ApiError::internal)?,
    ))
}
