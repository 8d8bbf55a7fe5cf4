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

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use crate::runtime::registry::manifest::World;
use crate::server::AppState;
use crate::store::{StoreError, SyncStatus};

pub const MIN_INTERVAL_SEC: i64 = 60;
pub const MAX_INTERVAL_SEC: i64 = 86_400;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status, sync_now, schedule))
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

/// The recording pull schedule and its last runs.
#[utoipa::path(
    get,
    path = "/integrations/{id}/sync",
    tag = "sync",
    security(("bearer" = ["view_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "The schedule and its last runs", body = SyncStatus),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
        (status = 422, description = "`sync_unsupported`: the integration is not a recording source", body = ErrorBody),
    )
)]
async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SyncStatus>, ApiError> {
    caller.require(Scope::ViewIntegrations)?;
    Ok(Json(load(&state, &caller.business_id, &id).await?))
}

/// Sync now; during a run, right after it.
#[utoipa::path(
    post,
    path = "/integrations/{id}/sync",
    tag = "sync",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 202, description = "The schedule and its last runs", body = SyncStatus),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
        (status = 422, description = "`sync_unsupported`: the integration is not a recording source", body = ErrorBody),
    )
)]
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SchedulePatch {
    /// Whether the scheduler pulls this source.
    enabled: Option<bool>,
    /// Seconds between pulls, 60 to 86400.
    #[schema(minimum = 60, maximum = 86400)]
    interval_sec: Option<i64>,
}

/// Change the schedule.
#[utoipa::path(
    patch,
    path = "/integrations/{id}/sync",
    tag = "sync",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    request_body = SchedulePatch,
    responses(
        (status = 200, description = "The schedule and its last runs", body = SyncStatus),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_interval`: `intervalSec` is not 60 to 86400; `sync_unsupported`: the integration is not a recording source", body = ErrorBody),
    )
)]
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
