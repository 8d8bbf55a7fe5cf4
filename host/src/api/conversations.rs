//! `/conversations`: messaging chats (WhatsApp through TimelinesAI) and their
//! messages, most recently active first; messages oldest first.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::pagination;
use crate::server::AppState;
use crate::store::StoreError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/{id}", get(read))
        .route("/conversations/{id}/messages", get(messages))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    limit: Option<u32>,
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

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let q = page(q)?;
    let limit = pagination::limit(q.limit)?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let items = state
        .store
        .list_conversations(&caller.business_id, before, limit)
        .await
        .map_err(ApiError::internal)?;
    let next = (items.len() == limit as usize)
        .then(|| {
            items
                .last()
                .map(|c| pagination::encode(c.last_message_at, &c.id))
        })
        .flatten();
    Ok(Json(json!({ "items": items, "nextCursor": next })))
}

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

async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let q = page(q)?;
    let limit = pagination::limit(q.limit)?;
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
    let next = (items.len() == limit as usize)
        .then(|| items.last().map(|m| pagination::encode(m.sent_at, &m.id)))
        .flatten();
    Ok(Json(json!({ "items": items, "nextCursor": next })))
}
