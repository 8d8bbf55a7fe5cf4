//! The HTTP API: one module per resource, each exposing `router()`.

pub mod admin;
pub mod analysis;
pub mod auth;
pub mod automations;
pub mod call_control;
pub mod calls;
pub mod conversations;
pub mod directory;
pub mod error;
pub mod health;
pub mod hooks;
pub mod integrations;
pub mod json;
pub mod notifications;
pub mod pagination;
pub mod recordings;
pub mod sync;
pub mod telegram;
pub mod webhooks;

use crate::server::AppState;
use axum::Router;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(admin::router())
        .merge(hooks::router())
        .merge(integrations::router())
        .merge(sync::router())
        .merge(recordings::router())
        .merge(calls::router())
        .merge(call_control::router())
        .merge(conversations::router())
        .merge(directory::router())
        .merge(telegram::router())
        .merge(notifications::router())
        .merge(automations::router())
        .merge(analysis::router())
        .merge(webhooks::router())
        .fallback(error::not_found)
        .with_state(state)
}
