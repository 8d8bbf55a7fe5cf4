//! `/calls`: the business's calls, folded from its vendors' events.
//!
//! - `GET /calls` — filters `phone` (E.164), `extension`, `direction`,
//!   `status`, `from` / `to` (ms since the epoch, on the call's start),
//!   `integrationId`; newest first; `limit` + `cursor`.
//! - `GET /calls/{id}` — the call with its legs, recordings, transcript,
//!   summary and the timeline of events it was folded from.

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
use crate::calls::names::{DIRECTIONS, STATUSES};
use crate::server::AppState;
use crate::store::{CallCursor, CallFilter, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Calls with this number (E.164; `+7 916 123-45-67` and `79161234567`
    /// are read as `+79161234567`).
    phone: Option<String>,
    /// Calls of this extension.
    extension: Option<String>,
    /// `inbound`, `outbound`, `internal` or `unknown`.
    direction: Option<String>,
    /// `ringing`, `answered`, `held` or `ended`.
    status: Option<String>,
    /// Calls that started at or after this time (ms since the epoch).
    from: Option<i64>,
    /// Calls that started before this time (ms since the epoch; exclusive).
    to: Option<i64>,
    /// Only this integration's calls.
    integration_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    /// (Read as text, so that any bad value is `invalid_limit`.)
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// The previous page's `nextCursor`.
    cursor: Option<String>,
}

pub fn call_not_found() -> ApiError {
    ApiError::not_found("call_not_found", "no such call in this business")
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
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::invalid_filter(format!(
            "`{name}` must be one of {}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

/// The business's calls, newest first.
#[utoipa::path(
    get,
    path = "/calls",
    tag = "calls",
    security(("bearer" = ["view_calls"])),
    params(ListQuery),
    responses(
        (status = 200, description = "`{items: [...], nextCursor}`: calls with their legs, status, direction, numbers and times", body = Object),
        (status = 400, description = "`invalid_limit`: `limit` is not 1 to 200; `invalid_cursor`: `cursor` cannot be read (pass `nextCursor` back as given)", body = ErrorBody),
        (status = 422, description = "`invalid_filter`: an unknown or malformed query parameter, a `phone` that is not E.164, or a `direction` / `status` that is not one of the known values", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let Query(q) = query.map_err(|e| ApiError::invalid_filter(e.body_text()))?;
    let limit = pagination::limit(q.limit.as_deref())?;
    let cursor =
        pagination::decode(q.cursor.as_deref())?.map(|(sort_at, id)| CallCursor { sort_at, id });
    let phone = match q.phone.as_deref() {
        Some(raw) => Some(e164(raw).ok_or_else(|| {
            ApiError::invalid_filter("`phone` must be an E.164 number such as +79161234567")
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
    let next = pagination::next_cursor(&calls, limit, |c| (c.sort_at, &c.id));
    Ok(Json(json!({ "items": calls, "nextCursor": next })))
}

/// One call.
///
/// With its legs, recordings, transcript, summary (`analysis`) and the
/// timeline of events it was folded from (`events`).
#[utoipa::path(
    get,
    path = "/calls/{id}",
    tag = "calls",
    security(("bearer" = ["view_calls"])),
    params(("id" = String, Path, description = "The call's id")),
    responses(
        (status = 200, description = "The call, with `recordings`, `analysis` (null until one is stored) and `events: [{id, kind, dedupKey, occurredAt, receivedAt, data}]`", body = Object),
        (status = 404, description = "`call_not_found`: no such call in this business", body = ErrorBody),
    )
)]
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
