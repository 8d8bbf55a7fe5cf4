//! Operator routes for the platform team: list components, reload the
//! components directory now. Guarded by `admin_token`; without one configured
//! the routes do not exist (404), so a default install exposes nothing.

use super::error::ApiError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::ErrorBody;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(reload))
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state
        .settings
        .admin_token
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    else {
        return Err(ApiError::not_found("not_found", "no such route"));
    };
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(p)
            if bool::from(subtle::ConstantTimeEq::ct_eq(
                p.as_bytes(),
                expected.as_bytes(),
            )) =>
        {
            Ok(())
        }
        _ => Err(ApiError::unauthorized("admin token required")),
    }
}

/// The loaded components.
#[utoipa::path(
    get,
    path = "/admin/components",
    tag = "admin",
    security(("admin" = [])),
    responses(
        (status = 200, description = "`{components: [...]}`: each loaded component with its manifest", body = Object),
        (status = 401, description = "`unauthorized`: the admin token is missing or wrong", body = ErrorBody),
        (status = 404, description = "`not_found`: no `admin_token` is configured, so the route does not exist", body = ErrorBody),
    )
)]
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(json!({ "components": state.runtime.registry.list() })))
}

/// Reload the components directory now.
#[utoipa::path(
    post,
    path = "/admin/components/reload",
    tag = "admin",
    security(("admin" = [])),
    responses(
        (status = 200, description = "`{results: [...]}`: what happened to each component file", body = Object),
        (status = 401, description = "`unauthorized`: the admin token is missing or wrong", body = ErrorBody),
        (status = 404, description = "`not_found`: no `admin_token` is configured, so the route does not exist", body = ErrorBody),
    )
)]
async fn reload(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers)?;
    let dir = state.settings.components_dir();
    let outcomes = state
        .watcher
        .lock()
        .await
        .scan(&state.runtime.registry, &dir, true)
        .await;
    Ok(Json(json!({ "results": outcomes })))
}
