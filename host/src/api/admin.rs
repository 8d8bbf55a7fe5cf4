//! Operator routes for the platform team: list components, reload the
//! components directory now. Guarded by `admin_token`; without one configured
//! the routes do not exist (404), so a default install exposes nothing.

use super::error::ApiError;
use crate::server::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/components", get(list))
        .route("/admin/components/reload", post(reload))
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.settings.admin_token.as_deref() else {
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

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(json!({ "components": state.runtime.registry.list() })))
}

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
