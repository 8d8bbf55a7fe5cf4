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
pub mod openapi;
pub mod pagination;
pub mod pbx_history;
pub mod query;
pub mod recordings;
pub mod route_scopes;
pub mod sync;
pub mod telegram;
pub mod webhooks;

use std::sync::Arc;

use crate::server::AppState;
use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

/// Every documented route with its part of the OpenAPI document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(admin::router())
        .merge(hooks::router())
        .merge(integrations::router())
        .merge(sync::router())
        .merge(recordings::router())
        .merge(calls::router())
        .merge(call_control::router())
        .merge(pbx_history::router())
        .merge(conversations::router())
        .merge(directory::router())
        .merge(telegram::router())
        .merge(notifications::router())
        .merge(automations::router())
        .merge(analysis::router())
        .merge(webhooks::router())
}

pub fn router(state: AppState) -> Router {
    let (router, spec) = routes().split_for_parts();
    // Scopes are enforced as the document declares them (see `route_scopes`).
    let scopes = Arc::new(route_scopes::RouteScopes::from_spec(&spec));
    let spec = Arc::new(openapi::finish(spec));
    router
        .merge(openapi::router(spec))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::Extension(scopes))
        .with_state(state)
}
