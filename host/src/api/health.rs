//! `GET /healthz`: 200 once migrations are applied and the bundled components
//! are loaded, 503 before.

use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// Whether the server is ready.
///
/// 200 once migrations are applied and the bundled components are loaded,
/// 503 before. No token.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: `{\"status\": \"ok\"}`", body = Object),
        (status = 503, description = "Starting: `{\"status\": \"starting\"}`", body = Object),
    )
)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        )
    }
}
