//! `GET /calls/pbx-history`: the PBX's own call history, read through a
//! `call-control` connector (seed 002 `get_cdr`: "history for the customer
//! card", filtered by number and date).
//!
//! Nothing is stored: this is the vendor's record, which may hold calls that
//! never reached Switchboard (before the integration existed, or while its
//! webhooks were off). Each row says which of our calls it is (`callId`)
//! when its events did reach us. The integration is chosen as for
//! click-to-call (`integrationId`, else the default, else the only one).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::call_control::pick;
use super::calls::e164;
use super::error::ApiError;
use super::openapi::ErrorBody;
use super::pagination;
use crate::calls::names;
use crate::ingest::{call_error, connector_error};
use crate::runtime::wit::since_v0_1_0::call_control::exports::switchboard::connector::pbx_control::HistoryQuery;
use crate::runtime::wit::since_v0_1_0::types::CallEvent;
use crate::server::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(history))
}

/// Numbers one query may name: each is a filter the PBX applies, and a
/// customer card rarely has more.
const MAX_PHONES: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct HistoryParams {
    /// Calls to or from these numbers: E.164, comma-separated (up to 20);
    /// absent means every call.
    phone: Option<String>,
    /// Calls at or after this time (ms since the epoch).
    from: Option<i64>,
    /// Calls before this time (ms since the epoch).
    to: Option<i64>,
    /// Rows, 1 to 200 (default 50).
    /// (Read as text, so that any bad value is `invalid_limit`.)
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// Rows to skip: the previous page's `nextOffset`.
    offset: Option<u32>,
    /// The integration to ask; else the default one.
    integration_id: Option<String>,
}

/// `+7 916 123-45-67,+74951343060` → both in E.164; any that is not a
/// number is refused rather than silently matching nothing.
fn phones(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let phones = raw
        .split(',')
        .map(|p| {
            e164(p).ok_or_else(|| {
                ApiError::invalid_filter(format!(
                    "`phone` must be E.164 numbers separated by commas; `{}` is not one",
                    p.trim()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if phones.len() > MAX_PHONES {
        return Err(ApiError::invalid_filter(format!(
            "`phone` may name at most {MAX_PHONES} numbers"
        )));
    }
    Ok(phones)
}

/// One row of the PBX's history in the calls API's vocabulary.
fn row(event: CallEvent, call_id: Option<String>) -> Value {
    let attributes: Map<String, Value> = event
        .attributes
        .into_iter()
        .map(|p| (p.name, Value::String(p.value)))
        .collect();
    let recordings: Vec<Value> = event
        .recordings
        .into_iter()
        .map(|r| json!({ "url": r.url, "mimeType": r.mime_type }))
        .collect();
    json!({
        "externalId": event.call.external_id,
        "chainId": event.call.chain_id,
        "callId": call_id,
        "direction": names::direction(event.direction),
        "customerPhone": event.customer_phone,
        "extension": event.extension,
        "did": event.did,
        "userId": event.user_id,
        "outcome": event.outcome.map(names::outcome),
        "hangupCause": event.hangup_cause,
        "startedAt": event.started_at,
        "answeredAt": event.answered_at,
        "endedAt": event.ended_at,
        "durationSec": event.duration_sec,
        "talkSec": event.talk_sec,
        "recordings": recordings,
        "attributes": attributes,
    })
}

/// The PBX's call history, oldest first.
///
/// Read from the PBX on each request (nothing is stored); `callId` is our
/// call of the same vendor id when its events reached us.
#[utoipa::path(
    get,
    path = "/calls/pbx-history",
    tag = "call_control",
    security(("bearer" = ["view_calls"])),
    params(HistoryParams),
    responses(
        (status = 200, description = "`{integrationId, items: [{externalId, chainId, callId, direction, customerPhone, extension, did, userId, outcome, hangupCause, startedAt, answeredAt, endedAt, durationSec, talkSec, recordings: [{url, mimeType}], attributes}], nextOffset}`; `nextOffset` is null on the last page", body = Object),
        (status = 400, description = "`invalid_limit`: `limit` is not 1 to 200", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: `integrationId` is not an integration of this business; `unsupported`: the PBX's connector cannot read history", body = ErrorBody),
        (status = 422, description = "`invalid_filter`: an unknown or malformed parameter, a `phone` that is not E.164, more than 20 numbers, or `from` after `to`; `no_call_control`: no suitable integration; `integration_misconfigured`: the integration's settings do not work", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`connector_failed`, `component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 502, description = "`vendor_bad_credentials`, `vendor_unreachable`, `vendor_error`: the PBX refused, could not be reached, or answered what could not be read", body = ErrorBody),
        (status = 503, description = "`component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn history(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let Query(q) = query.map_err(|e| ApiError::invalid_filter(e.body_text()))?;
    let limit = pagination::limit(q.limit.as_deref())?;
    let offset = q.offset.unwrap_or(0);
    let phones = phones(q.phone.as_deref())?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(ApiError::invalid_filter("`from` is after `to`"));
    }
    let integration = pick(&state, &caller, q.integration_id.as_deref()).await?;
    let (target, installation) = state
        .syncer
        .target_of(&integration)
        .await
        .map_err(ApiError::internal)?;
    let query = HistoryQuery {
        start: q.from,
        end: q.to,
        phones,
        limit,
        offset,
    };
    let events = state
        .runtime
        .call_history(&target, &installation, &query)
        .await
        .map_err(call_error)?
        .map_err(connector_error)?;
    // A PBX that ignores `limit` must not make the page unbounded.
    let full = events.len() >= limit as usize;
    let mut items = Vec::with_capacity(events.len().min(limit as usize));
    for event in events.into_iter().take(limit as usize) {
        let call_id = state
            .store
            .call_id_of_chain(&caller.business_id, &integration.id, &event.call.chain_id)
            .await
            .map_err(ApiError::internal)?;
        items.push(row(event, call_id));
    }
    let next = full.then(|| offset.saturating_add(limit));
    Ok(Json(json!({
        "integrationId": integration.id,
        "items": items,
        "nextOffset": next,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_a_comma_separated_list_of_e164_numbers() {
        assert_eq!(phones(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            phones(Some("+7 916 123-45-67, 74951343060")).unwrap(),
            vec!["+79161234567", "+74951343060"]
        );
        assert_eq!(
            phones(Some("+7916,abc")).unwrap_err().code,
            "invalid_filter"
        );
        assert_eq!(phones(Some("")).unwrap_err().code, "invalid_filter");
        let many = vec!["+74951343060"; MAX_PHONES + 1].join(",");
        assert_eq!(phones(Some(&many)).unwrap_err().code, "invalid_filter");
    }
}
