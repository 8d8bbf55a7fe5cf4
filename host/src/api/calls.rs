//! `/calls`: the business's calls, folded from its vendors' events.
//!
//! - `GET /calls` — filters `phone` (E.164), `extension`, `direction`,
//!   `status`, `from` / `to` (ms since the epoch, on the call's start),
//!   `integrationId`; newest first; `limit` + `cursor`.
//! - `GET /calls/{id}` — the call with its legs, recordings, transcript,
//!   summary and the timeline of events it was folded from.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::pagination;
use crate::calls::names::{DIRECTIONS, STATUSES};
use crate::server::AppState;
use crate::store::{CallCursor, CallFilter, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls", get(list))
        .route("/calls/{id}", get(read))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    phone: Option<String>,
    extension: Option<String>,
    direction: Option<String>,
    status: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    integration_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

pub fn call_not_found() -> ApiError {
    ApiError::not_found("call_not_found", "no such call in this business")
}

fn invalid_filter(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_filter", message)
}

/// `+7 916 123-45-67`, `79161234567` and `+79161234567` all mean the same
/// E.164 number; anything else is refused rather than silently matching
/// nothing.
pub fn e164(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    (digits.len() >= 3 && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("+{digits}"))
}

fn one_of(name: &str, value: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(invalid_filter(format!(
            "`{name}` must be one of {}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let Query(q) = query.map_err(|e| invalid_filter(e.body_text()))?;
    let limit = pagination::limit(q.limit)?;
    let cursor =
        pagination::decode(q.cursor.as_deref())?.map(|(sort_at, id)| CallCursor { sort_at, id });
    let phone = match q.phone.as_deref() {
        Some(raw) => Some(e164(raw).ok_or_else(|| {
            invalid_filter("`phone` must be an E.164 number such as +79161234567".into())
        })?),
        None => None,
    };
    let filter = CallFilter {
        phone,
        extension: q.extension,
        direction: one_of("direction", q.direction, DIRECTIONS)?,
        status: one_of("status", q.status, STATUSES)?,
        from: q.from,
        to: q.to,
        integration_id: q.integration_id,
    };
    let calls = state
        .store
        .list_calls(&caller.business_id, &filter, cursor.as_ref(), limit)
        .await
        .map_err(ApiError::internal)?;
    let next = (calls.len() == limit as usize)
        .then(|| calls.last().map(|c| pagination::encode(c.sort_at, &c.id)))
        .flatten();
    Ok(Json(json!({ "items": calls, "nextCursor": next })))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let call = match state.store.get_call(&caller.business_id, &id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(call_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let recordings = state
        .store
        .call_recordings(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    let events = state
        .store
        .call_events(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    let timeline: Vec<Value> = events
        .into_iter()
        .map(|e| {
            // The stored payload is the WIT event; show its body's content.
            let data = e
                .payload
                .get("body")
                .and_then(Value::as_object)
                .and_then(|o| o.values().next().cloned())
                .unwrap_or(Value::Null);
            json!({
                "id": e.id,
                "kind": e.kind,
                "dedupKey": e.dedup_key,
                "occurredAt": e.payload.get("occurred_at"),
                "receivedAt": e.received_at,
                "data": data,
            })
        })
        .collect();
    let analysis = state
        .store
        .get_analysis(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    let mut body = serde_json::to_value(&call).map_err(ApiError::internal)?;
    if let Some(o) = body.as_object_mut() {
        o.insert("recordings".into(), json!(recordings));
        o.insert("analysis".into(), json!(analysis));
        o.insert("events".into(), Value::Array(timeline));
    }
    Ok(Json(body))
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn phones_normalise_to_e164_or_are_refused() {
        assert_eq!(e164("+7 916 123-45-67").as_deref(), Some("+79161234567"));
        assert_eq!(e164("79161234567").as_deref(), Some("+79161234567"));
        for bad in ["", "abc", "+1", "+1234567890123456"] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }
}
