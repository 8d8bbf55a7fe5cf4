//! Outgoing webhook endpoints (the seed's "Webhooks"): a business's URLs,
//! each subscribed to event types, signed per Standard Webhooks.
//!
//! | route | scope |
//! |---|---|
//! | `POST /webhooks` `{url, eventTypes[], description?}` → 201 with `secret` (shown once) | manage_notifications |
//! | `GET /webhooks`, `GET /webhooks/{id}` (never the secret) | view_notifications |
//! | `PATCH /webhooks/{id}` `{url?, eventTypes?, description?, isActive?}` | manage_notifications |
//! | `DELETE /webhooks/{id}` | manage_notifications |
//! | `POST /webhooks/{id}/rotate-secret` → `{secret}`; the old one keeps signing for 24 h | manage_notifications |
//! | `POST /webhooks/{id}/test` → queues a `webhook.test` event | manage_notifications |
//!
//! Unknown or foreign id → 404 `webhook_not_found`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine as _;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use crate::crypto::aad;
use crate::notify::deliver::WEBHOOK_SECRET_RECORD;
use crate::notify::events::EVENT_TYPES;
use crate::server::AppState;
use crate::store::{EndpointPatch, NewNotification, StoreError, WebhookEndpoint, new_id, now_ms};

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(rotate))
        .routes(routes!(test))
}

const VIEW: &str = "The endpoint: `{id, url, description, eventTypes, isActive, inactiveReason, failingSince, createdAt}` (never the secret)";

fn not_found() -> ApiError {
    ApiError::not_found(
        "webhook_not_found",
        "no such webhook endpoint in this business",
    )
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => not_found(),
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "rotation_conflict",
            "the secret was rotated by another request meanwhile: read the endpoint and rotate again",
        ),
        other => ApiError::internal(other),
    }
}

/// `whsec_` + base64 of 32 random bytes (Standard Webhooks' format).
fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

fn check_url(raw: &str) -> Result<String, ApiError> {
    let url = url::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .filter(|u| u.username().is_empty() && u.password().is_none())
        // The webhook channel refuses a #fragment at every send.
        .filter(|u| u.fragment().is_none())
        .ok_or_else(|| {
            unprocessable(
                "invalid_webhook_url",
                "`url` must be an http(s) URL without credentials or a #fragment",
            )
        })?;
    Ok(url.to_string())
}

fn check_types(types: &[String]) -> Result<Vec<String>, ApiError> {
    if types.is_empty() {
        return Err(unprocessable(
            "invalid_event_types",
            "subscribe to at least one event type (or `*`)",
        ));
    }
    for t in types {
        if t != "*" && t != "webhook.test" && !EVENT_TYPES.contains(&t.as_str()) {
            return Err(unprocessable(
                "invalid_event_types",
                format!(
                    "unknown event type `{t}`; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    let mut out = types.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

fn view(e: &WebhookEndpoint) -> Value {
    json!({
        "id": e.id, "url": e.url, "description": e.description, "eventTypes": e.event_types,
        "isActive": e.is_active, "inactiveReason": e.inactive_reason,
        "failingSince": e.failing_since, "createdAt": e.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = NewWebhookBody)]
struct CreateBody {
    /// An http(s) URL without credentials.
    url: String,
    /// Event types to send (`call.ended`, `recording.completed`, ...), or `*`.
    event_types: Vec<String>,
    description: Option<String>,
}

/// Add a webhook endpoint.
///
/// The answer carries its signing `secret` (`whsec_...`), shown only here.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    security(("bearer" = ["manage_notifications"])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The endpoint, with `secret`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_webhook_url`: `url` is not an http(s) URL without credentials or a #fragment; `invalid_event_types`: none, or an unknown event type", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let url = check_url(&b.url)?;
    let event_types = check_types(&b.event_types)?;
    let id = new_id();
    let secret = new_secret();
    let sealed = state.secrets.seal(
        secret.as_bytes(),
        &aad(&caller.business_id, WEBHOOK_SECRET_RECORD, &id),
    );
    let endpoint = WebhookEndpoint {
        id,
        business_id: caller.business_id.clone(),
        url,
        description: b.description,
        event_types,
        secret_sealed: sealed,
        previous_sealed: None,
        previous_expires_at: None,
        is_active: true,
        inactive_reason: None,
        failing_since: None,
        created_at: now_ms(),
    };
    state
        .store
        .create_webhook_endpoint(&endpoint)
        .await
        .map_err(store_error)?;
    state.lookups.endpoints.invalidate(&caller.business_id);
    let mut body = view(&endpoint);
    body["secret"] = Value::String(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

/// The business's webhook endpoints.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "`{items: [...]}`, each as `GET /webhooks/{id}`", body = Object),
    )
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let items = state
        .store
        .list_webhook_endpoints(&caller.business_id)
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({ "items": items.iter().map(view).collect::<Vec<_>>() }),
    ))
}

/// One webhook endpoint.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = ["view_notifications"])),
    params(("id" = String, Path, description = "The webhook endpoint's id")),
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 404, description = "`webhook_not_found`: no such webhook endpoint in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let e = state
        .store
        .get_webhook_endpoint(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    Ok(Json(view(&e)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = WebhookPatchBody)]
struct PatchBody {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    description: Option<String>,
    is_active: Option<bool>,
}

/// Change a webhook endpoint.
///
/// Switching it back on (`isActive: true`) starts a fresh failure window.
#[utoipa::path(
    patch,
    path = "/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The webhook endpoint's id")),
    request_body = PatchBody,
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`: no such webhook endpoint in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_webhook_url`: `url` is not an http(s) URL without credentials or a #fragment; `invalid_event_types`: none, or an unknown event type", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let patch = EndpointPatch {
        url: b.url.as_deref().map(check_url).transpose()?,
        event_types: b.event_types.as_deref().map(check_types).transpose()?,
        description: b.description,
        is_active: b.is_active,
    };
    let e = state
        .store
        .patch_webhook_endpoint(&caller.business_id, &id, &patch)
        .await
        .map_err(store_error)?;
    state.lookups.endpoints.invalidate(&caller.business_id);
    Ok(Json(view(&e)))
}

/// Delete a webhook endpoint.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The webhook endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`webhook_not_found`: no such webhook endpoint in this business", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    state
        .store
        .delete_webhook_endpoint(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    state.lookups.endpoints.invalidate(&caller.business_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret.
///
/// The old secret keeps signing (beside the new one) for 24 hours.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The webhook endpoint's id")),
    responses(
        (status = 200, description = "`{id, secret, previousValidUntil}`", body = Object),
        (status = 404, description = "`webhook_not_found`: no such webhook endpoint in this business", body = ErrorBody),
        (status = 409, description = "`rotation_conflict`: another rotation of this endpoint won the race; its secret stands", body = ErrorBody),
    )
)]
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let e = state
        .store
        .get_webhook_endpoint(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    let secret = new_secret();
    let record = aad(&caller.business_id, WEBHOOK_SECRET_RECORD, &id);
    let sealed = state.secrets.seal(secret.as_bytes(), &record);
    let until = now_ms() + ROTATION_OVERLAP_MS;
    state
        .store
        .rotate_webhook_secret(&caller.business_id, &id, &sealed, &e.secret_sealed, until)
        .await
        .map_err(store_error)?;
    // Deliveries sign with the endpoint as cached: sign with both from now on.
    state.lookups.endpoints.invalidate(&caller.business_id);
    Ok(Json(
        json!({ "id": id, "secret": secret, "previousValidUntil": until }),
    ))
}

/// Send a `webhook.test` event to the endpoint now.
#[utoipa::path(
    post,
    path = "/webhooks/{id}/test",
    tag = "webhooks",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The webhook endpoint's id")),
    responses(
        (status = 200, description = "`{ok: true, id, status: \"delivered\" | \"queued\"}`, or `{ok: false, id, status: \"pending\" | \"failed\", willRetry, error}`: a transient failure stays in the outbox and is retried, so do not send again", body = Object),
        (status = 404, description = "`webhook_not_found`: no such webhook endpoint in this business", body = ErrorBody),
    )
)]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    state
        .store
        .get_webhook_endpoint(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    super::notifications::send_and_answer(
        &state,
        NewNotification {
            business_id: caller.business_id.clone(),
            channel: "webhook".into(),
            destination_id: Some(id),
            title: "webhook.test".into(),
            body: "A test event from Switchboard.".into(),
            link: None,
            severity: "info".into(),
            attributes: json!({"event.type": "webhook.test"}),
        },
        None,
    )
    .await
}
