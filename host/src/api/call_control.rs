//! Driving the PBX: `POST /calls/click-to-call` and `POST /calls/{id}/hold`,
//! through a `call-control` connector.
//!
//! Click-to-call goes to `integrationId` when given, else to the business's
//! default integration among those whose connector serves `call-control`,
//! else to the only one there is. Hold goes to the integration that reported
//! the call. No suitable integration → 422 `no_call_control`; the vendor
//! refusing → 502 with the connector's code (`vendor_bad_credentials`,
//! `vendor_unreachable`, `vendor_error`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::calls::{call_not_found, e164};
use super::error::ApiError;
use super::json::ApiJson;
use crate::ingest::{call_error, connector_error};
use crate::installations::call_target;
use crate::runtime::registry::manifest::World;
use crate::runtime::wit::since_v0_1_0::call_control::exports::switchboard::connector::pbx_control::{
    DialRequest, HoldRequest,
};
use crate::server::AppState;
use crate::store::{Integration, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls/click-to-call", post(click_to_call))
        .route("/calls/{id}/hold", post(hold))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DialBody {
    phone: String,
    extension: Option<String>,
    user_id: Option<String>,
    userfield: Option<String>,
    integration_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldBody {
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

async fn pick(
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
    let (target, installation) = call_target(
        &state.store,
        &state.lookups,
        &state.runtime,
        &state.secrets,
        &integration,
    )
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

async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageCalls)?;
    // The body is optional: an empty one means no user.
    let body: HoldBody = if body.iter().all(u8::is_ascii_whitespace) {
        HoldBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                e.to_string(),
            )
        })?
    };
    let call = match state.store.get_call(&caller.business_id, &id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(call_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let integration = pick(&state, &caller, Some(&call.integration_id)).await?;
    let (target, installation) = call_target(
        &state.store,
        &state.lookups,
        &state.runtime,
        &state.secrets,
        &integration,
    )
    .await
    .map_err(ApiError::internal)?;
    // The vendor knows the call by the id of its live leg: the last one.
    let external_id = call
        .projection
        .legs
        .as_array()
        .and_then(|legs| legs.last())
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
