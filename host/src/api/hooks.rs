//! Inbound vendor routes. No bearer token here: vendors authenticate the way
//! their product allows, and the connector checks it.
//!
//! - `/hooks/{integrationId}` and `/hooks/{integrationId}/{*path}`, any
//!   method: the integration's id in the URL is unguessable (uuid v7 plus
//!   the optional `token` some connectors check).
//! - `/wsapi/{customer}/{event}`: the CTI call-center fixes this path shape
//!   under our domain; `{customer}` is the `customer` setting of exactly one
//!   `cti-callcenter` integration.
//!
//! Unknown integration → 404 `integration_not_found`; body over the limit →
//! 413 `payload_too_large`; the connector's refusals → 401 / 400 / 422; a
//! stored event → the connector's reply, sent after the commit.

use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use super::openapi::{Binary, ErrorBody};
use crate::ingest::ingest;
use crate::runtime::wit::since_v0_1_0::types::{HttpRequest, HttpResponse, Pair};
use crate::server::AppState;
use crate::store::{Integration, StoreError};

pub const CTI_KIND: &str = "cti-callcenter";

/// These routes take any method, which `routes!` cannot express: they are
/// routed with `any` and documented (as GET and POST) here.
#[derive(OpenApi)]
#[openapi(paths(hook_root, hook_path, wsapi))]
struct HooksDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(HooksDoc::openapi())
        .route("/hooks/{integration_id}", any(hook_root))
        .route("/hooks/{integration_id}/{*path}", any(hook_path))
        .route("/wsapi/{customer}/{event}", any(wsapi))
}

/// A vendor's webhook to an integration.
///
/// Any method is accepted and handed to the integration's connector with
/// the path `/`, the query, headers and body; vendors authenticate the way
/// their product allows and the connector checks it. Events the connector
/// returns are stored before the reply is sent.
#[utoipa::path(
    method(get, post),
    path = "/hooks/{integration_id}",
    tag = "hooks",
    params(("integration_id" = String, Path, description = "The integration's id (its `webhookUrl`)")),
    request_body(content = inline(Binary), content_type = "*/*", description = "Whatever the vendor sends"),
    responses(
        (status = 200, description = "The connector's reply to the vendor (status, headers and body are the connector's; usually 200)"),
        (status = 400, description = "`bad_request`: the connector refused the request as malformed", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the connector refused the vendor's credentials (e.g. a wrong `token`)", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: no integration at this address; `unsupported`: the connector does not handle this request", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over `max_body_bytes`", body = ErrorBody),
        (status = 422, description = "`integration_misconfigured`: the integration's settings do not work for this request", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the connector's call to the vendor failed", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`: the event could not be stored, retry; `component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn hook_root(
    State(state): State<AppState>,
    Path(integration_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let integration = by_id(&state, &integration_id).await?;
    handle(&state, &integration, "/".into(), method, uri, headers, body).await
}

/// A vendor's webhook to an integration, with a sub-path.
///
/// As `/hooks/{integration_id}`, with the rest of the path (which may
/// contain `/`) handed to the connector as `/{path}`.
#[utoipa::path(
    method(get, post),
    path = "/hooks/{integration_id}/{path}",
    tag = "hooks",
    params(
        ("integration_id" = String, Path, description = "The integration's id"),
        ("path" = String, Path, description = "The rest of the path, handed to the connector; may contain `/`"),
    ),
    request_body(content = inline(Binary), content_type = "*/*", description = "Whatever the vendor sends"),
    responses(
        (status = 200, description = "The connector's reply to the vendor (status, headers and body are the connector's; usually 200)"),
        (status = 400, description = "`bad_request`: the connector refused the request as malformed", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the connector refused the vendor's credentials (e.g. a wrong `token`)", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: no integration at this address; `unsupported`: the connector does not handle this request", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over `max_body_bytes`", body = ErrorBody),
        (status = 422, description = "`integration_misconfigured`: the integration's settings do not work for this request", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the connector's call to the vendor failed", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`: the event could not be stored, retry; `component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn hook_path(
    State(state): State<AppState>,
    Path((integration_id, path)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let integration = by_id(&state, &integration_id).await?;
    handle(
        &state,
        &integration,
        format!("/{path}"),
        method,
        uri,
        headers,
        body,
    )
    .await
}

/// The CTI call-center's webhook.
///
/// The vendor fixes this path shape: `{customer}` is the `customer` setting
/// of exactly one `cti-callcenter` integration, `{event}` is handed to its
/// connector as the path `/{event}`. Any method is accepted.
#[utoipa::path(
    method(get, post),
    path = "/wsapi/{customer}/{event}",
    tag = "hooks",
    params(
        ("customer" = String, Path, description = "The `customer` setting of a `cti-callcenter` integration"),
        ("event" = String, Path, description = "The vendor's event name"),
    ),
    request_body(content = inline(Binary), content_type = "*/*", description = "Whatever the vendor sends"),
    responses(
        (status = 200, description = "The connector's reply to the vendor (status, headers and body are the connector's; usually 200)"),
        (status = 400, description = "`bad_request`: the connector refused the request as malformed", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the connector refused the vendor's credentials (e.g. a wrong `token`)", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: no integration at this address; `unsupported`: the connector does not handle this request", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over `max_body_bytes`", body = ErrorBody),
        (status = 422, description = "`integration_misconfigured`: the integration's settings do not work for this request", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the connector's call to the vendor failed", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`: the event could not be stored, retry; `component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn wsapi(
    State(state): State<AppState>,
    Path((customer, event)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let integration = match state
        .store
        .find_integration_by_config(CTI_KIND, "customer", &customer)
        .await
    {
        Ok(i) => i,
        Err(StoreError::NotFound) => return Err(unknown_integration()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    handle(
        &state,
        &integration,
        format!("/{event}"),
        method,
        uri,
        headers,
        body,
    )
    .await
}

fn unknown_integration() -> ApiError {
    ApiError::not_found("integration_not_found", "no integration at this address")
}

async fn by_id(state: &AppState, id: &str) -> Result<Integration, ApiError> {
    let key = id.to_owned();
    let lookup = state
        .lookups
        .integrations
        .get_or_load(&key, state.store.get_integration_any(id))
        .await;
    match lookup {
        Ok(i) => Ok(i),
        Err(StoreError::NotFound) => Err(unknown_integration()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn handle(
    state: &AppState,
    integration: &Integration,
    path: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.settings.max_body_bytes;
    let body = to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is over the {limit}-byte limit"),
        )
    })?;
    let request = HttpRequest {
        method: method.as_str().to_ascii_uppercase(),
        path,
        query: uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(name, value)| Pair {
                        name: name.into_owned(),
                        value: value.into_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        headers: headers
            .iter()
            .filter_map(|(name, value)| {
                Some(Pair {
                    name: name.as_str().to_owned(),
                    value: value.to_str().ok()?.to_owned(),
                })
            })
            .collect(),
        body: body.to_vec(),
    };
    let ingested = ingest(state, integration, request).await?;
    Ok(reply(ingested.response))
}

/// The connector's reply, minus headers that are the server's business.
fn reply(r: HttpResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut response = (status, r.body).into_response();
    let headers = response.headers_mut();
    for pair in r.headers {
        let lower = pair.name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "keep-alive" | "upgrade"
        ) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(&pair.value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}
