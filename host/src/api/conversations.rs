//! `/conversations`: messaging chats (WhatsApp through TimelinesAI) and their
//! messages, most recently active first; messages oldest first.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::openapi::ErrorBody;
use super::pagination;
use crate::server::AppState;
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(messages))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Page size, 1 to 200 (default 50).
    /// (Read as text, so that any bad value is `invalid_limit`.)
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// The previous page's `nextCursor`.
    cursor: Option<String>,
}

fn not_found() -> ApiError {
    ApiError::not_found(
        "conversation_not_found",
        "no such conversation in this business",
    )
}

fn page(
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Page, ApiError> {
    q.map(|Query(p)| p)
        .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
}

/// The business's chats, most recently active first.
#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    security(("bearer" = ["view_calls"])),
    params(Page),
    responses(
        (status = 200, description = "`{items: [...], nextCursor}`", body = Object),
        (status = 400, description = "`invalid_query`: an unknown or malformed query parameter; `invalid_limit`: `limit` is not 1 to 200; `invalid_cursor`: `cursor` cannot be read (pass `nextCursor` back as given)", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let q = page(q)?;
    let limit = pagination::limit(q.limit.as_deref())?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let items = state
        .store
        .list_conversations(&caller.business_id, before, limit)
        .await
        .map_err(ApiError::internal)?;
    let next = pagination::next_cursor(&items, limit, |c| (c.last_message_at, &c.id));
    Ok(Json(json!({ "items": items, "nextCursor": next })))
}

/// One chat.
#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    security(("bearer" = ["view_calls"])),
    params(("id" = String, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "The conversation", body = Object),
        (status = 404, description = "`conversation_not_found`: no such conversation in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    match state.store.get_conversation(&caller.business_id, &id).await {
        Ok(c) => Ok(Json(json!(c))),
        Err(StoreError::NotFound) => Err(not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// A chat's messages, oldest first.
#[utoipa::path(
    get,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    security(("bearer" = ["view_calls"])),
    params(("id" = String, Path, description = "The conversation's id"), Page),
    responses(
        (status = 200, description = "`{items: [...], nextCursor}`", body = Object),
        (status = 400, description = "`invalid_query`: an unknown or malformed query parameter; `invalid_limit`: `limit` is not 1 to 200; `invalid_cursor`: `cursor` cannot be read (pass `nextCursor` back as given)", body = ErrorBody),
        (status = 404, description = "`conversation_not_found`: no such conversation in this business", body = ErrorBody),
    )
)]
async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let q = page(q)?;
    let limit = pagination::limit(q.limit.as_deref())?;
    let after = pagination::decode(q.cursor.as_deref())?;
    match state.store.get_conversation(&caller.business_id, &id).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    }
    let items = state
        .store
        .list_messages(&caller.business_id, &id, after, limit)
        .await
        .map_err(ApiError::internal)?;
    let next = pagination::next_cursor(&items, limit, |m| (m.sent_at, &m.id));
    Ok(Json(json!({ "items": items, "nextCursor": next })))
}
