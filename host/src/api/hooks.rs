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

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::error::ApiError;
use crate::ingest::ingest;
use crate::runtime::wit::since_v0_1_0::types::{HttpRequest, HttpResponse, Pair};
use crate::server::AppState;
use crate::store::{Integration, StoreError};

pub const CTI_KIND: &str = "cti-callcenter";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/{integration_id}", any(hook_root))
        .route("/hooks/{integration_id}/{*path}", any(hook_path))
        .route("/wsapi/{customer}/{event}", any(wsapi))
}

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
