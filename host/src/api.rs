//! The HTTP API: one module per resource, each exposing `router()`.

pub mod admin;
pub mod error;
pub mod health;

use crate::server::AppState;
use axum::Router;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(admin::router())
        .fallback(error::not_found)
        .with_state(state)
}
