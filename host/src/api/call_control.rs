//! Driving the PBX: `POST /calls/click-to-call` and `POST /calls/{id}/hold`,
//! through a `call-control` connector.
//!
//! Click-to-call goes to `integrationId` when given, else to the business's
//! default integration among those whose connector serves `call-control`,
//! else to the only one there is. Hold goes to the integration that reported
//! the call. No suitable integration → 422 `no_call_control`; the vendor
//! refusing → 502 with the connector's code (`vendor_bad_credentials`,
//! `vendor_unreachable`, `vendor_error`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::calls::{call_not_found, e164};
use super::error::ApiError;
use super::json::{ApiJson, OptionalJson};
use super::openapi::ErrorBody;
use crate::ingest::{call_error, connector_error};
use crate::runtime::registry::manifest::World;
use crate::runtime::wit::since_v0_1_0::call_control::exports::switchboard::connector::pbx_control::{
    DialRequest, HoldRequest,
};
use crate::server::AppState;
use crate::store::{Integration, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(click_to_call))
        .routes(routes!(hold))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ClickToCallBody)]
struct DialBody {
    /// The number to call, E.164.
    phone: String,
    /// Whose phone rings first: an extension (this or `userId` is required).
    extension: Option<String>,
    /// Whose phone rings first: the PBX's user id.
    user_id: Option<String>,
    /// Passed to the PBX with the call (e.g. a CRM record id).
    userfield: Option<String>,
    /// The integration to place the call through; else the default one.
    integration_id: Option<String>,
}

#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldBody {
    /// The PBX user holding the call.
    user_id: Option<String>,
}

fn no_call_control(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_call_control", message)
}

fn serves_call_control(state: &AppState, integration: &Integration) -> bool {
    state
        .runtime
        .registry
        .get(&integration.kind)
        .is_some_and(|c| c.manifest.worlds.contains(&World::CallControl))
}

pub(super) async fn pick(
    state: &AppState,
    caller: &Caller,
    wanted: Option<&str>,
) -> Result<Integration, ApiError> {
    if let Some(id) = wanted {
        let integration = match state.store.get_integration(&caller.business_id, id).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => {
                return Err(ApiError::not_found(
                    "integration_not_found",
                    "no such integration in this business",
                ));
            }
            Err(e) => return Err(ApiError::internal(e)),
        };
        if !serves_call_control(state, &integration) {
            return Err(no_call_control(format!(
                "`{}` cannot place or control calls",
                integration.kind
            )));
        }
        return Ok(integration);
    }
    let candidates: Vec<Integration> = state
        .store
        .list_integrations(&caller.business_id)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .filter(|i| serves_call_control(state, i))
        .collect();
    if let Some(default) = candidates.iter().find(|i| i.is_default) {
        return Ok(default.clone());
    }
    match candidates.len() {
        1 => Ok(candidates
            .into_iter()
            .next()
            .ok_or_else(|| no_call_control(""))?),
        0 => Err(no_call_control(
            "this business has no integration that can place calls (e.g. `cti-callcenter` or `usercrm-pbx`)",
        )),
        _ => Err(no_call_control(
            "several integrations can place calls: make one the default or pass `integrationId`",
        )),
    }
}

/// Place a call: ring the agent, then dial `phone`.
///
/// Goes to `integrationId` when given, else to the business's default
/// integration among those whose connector serves `call-control`, else to
/// the only one there is.
#[utoipa::path(
    post,
    path = "/calls/click-to-call",
    tag = "call_control",
    security(("bearer" = ["manage_calls"])),
    request_body = DialBody,
    responses(
        (status = 200, description = "`{ok: true, integrationId, externalId, message}`: the PBX accepted the call", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON; `bad_request`: the connector refused the request", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the connector refused (rare)", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: `integrationId` is not an integration of this business; `unsupported`: the connector does not support this", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape, or neither `extension` nor `userId`; `invalid_phone`: `phone` is not E.164; `no_call_control`: no suitable integration (none, several without a default, or `integrationId` cannot place calls); `integration_misconfigured`: the integration's settings do not work", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the PBX refused or could not be reached", body = ErrorBody),
        (status = 503, description = "`component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn click_to_call(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DialBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageCalls)?;
    let phone = e164(&body.phone).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_phone",
            "`phone` must be an E.164 number such as +84901234567",
        )
    })?;
    if body.extension.is_none() && body.user_id.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "give `extension` or `userId`: whose phone rings first",
        ));
    }
    let integration = pick(&state, &caller, body.integration_id.as_deref()).await?;
    let (target, installation) = state
        .syncer
        .target_of(&integration)
        .await
        .map_err(ApiError::internal)?;
    let request = DialRequest {
        extension: body.extension,
        user_id: body.user_id,
        phone,
        userfield: body.userfield,
    };
    let result = state
        .runtime
        .click_to_call(&target, &installation, &request)
        .await
        .map_err(call_error)?
        .map_err(connector_error)?;
    Ok(Json(json!({
        "ok": true,
        "integrationId": integration.id,
        "externalId": result.external_id,
        "message": result.message,
    })))
}

/// Put a call on hold, through the integration that reported it.
///
/// The body is optional: empty means no user.
#[utoipa::path(
    post,
    path = "/calls/{id}/hold",
    tag = "call_control",
    security(("bearer" = ["manage_calls"])),
    params(("id" = String, Path, description = "The call's id")),
    request_body(content = Option<HoldBody>, description = "Optional"),
    responses(
        (status = 200, description = "`{ok: true, callId, externalId}`: the PBX held the call (`externalId` is its live leg)", body = Object),
        (status = 400, description = "`invalid_json`: a body that is not JSON; `bad_request`: the connector refused the request", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the connector refused (rare)", body = ErrorBody),
        (status = 404, description = "`call_not_found`: no such call in this business; `integration_not_found`: the call's integration is gone; `unsupported`: the connector does not support hold", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: a body without `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON that is not `{userId?}`; `no_call_control`: the call's integration cannot control calls; `integration_misconfigured`: the integration's settings do not work", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the PBX refused or could not be reached", body = ErrorBody),
        (status = 503, description = "`component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    // The body is optional: an empty one means no user.
    OptionalJson(body): OptionalJson<HoldBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageCalls)?;
    let call = match state.store.get_call(&caller.business_id, &id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(call_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let integration = pick(&state, &caller, Some(&call.integration_id)).await?;
    let (target, installation) = state
        .syncer
        .target_of(&integration)
        .await
        .map_err(ApiError::internal)?;
    // The vendor knows the call by the id of its live leg (the fold marks
    // it: with one leg per agent rung, the last in order may be a missed
    // agent's); a call folded before legs were marked, by its last leg.
    let legs = call.projection.legs.as_array();
    let live = legs.and_then(|legs| legs.iter().find(|leg| leg["live"] == true));
    let external_id = live
        .or_else(|| legs.and_then(|legs| legs.last()))
        .and_then(|leg| leg.get("externalId"))
        .and_then(Value::as_str)
        .unwrap_or(&call.external_id)
        .to_owned();
    state
        .runtime
        .hold(
            &target,
            &installation,
            &HoldRequest {
                call_id: external_id.clone(),
                user_id: body.user_id,
            },
        )
        .await
        .map_err(call_error)?
        .map_err(connector_error)?;
    Ok(Json(
        json!({ "ok": true, "callId": call.id, "externalId": external_id }),
    ))
}
