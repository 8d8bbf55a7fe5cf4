//! One inbound vendor request, end to end: run the integration's `ingest`
//! component on it, store what it returned (events, calls, messages) in one
//! transaction, and only then hand back the reply the vendor gets. Vendors
//! retry on anything but a 2xx, so every failure here maps to a status that
//! tells them whether a retry can help (5xx, 429) or not (4xx).

pub mod writer;

use axum::http::StatusCode;

use crate::api::error::ApiError;
use crate::calls::{fold::fold, to_new_events};
use crate::installations::call_target;
use crate::notify::events;
use crate::runtime::CallError;
use crate::runtime::limits::Breach;
use crate::runtime::wit::since_v0_1_0::types::{ConnectorError, HttpRequest, HttpResponse};
use crate::server::AppStateInner;
use crate::store::{
    EventTarget, IngestJob, IngestOutcome, Integration, NewEvent, NewNotification, StoreError,
};

/// What the vendor gets back, and what was stored.
#[derive(Debug)]
pub struct Ingested {
    pub response: HttpResponse,
    pub outcome: IngestOutcome,
}

/// Runs `request` through `integration`'s connector and stores the result.
pub async fn ingest(
    state: &AppStateInner,
    integration: &Integration,
    request: HttpRequest,
) -> Result<Ingested, ApiError> {
    let (target, installation) = call_target(
        &state.store,
        &state.lookups,
        &state.runtime,
        &state.secrets,
        integration,
    )
    .await
    .map_err(ApiError::internal)?;
    let reply = state
        .runtime
        .ingest(&target, &installation, &request)
        .await
        .map_err(call_error)?
        .map_err(connector_error)?;
    let events = to_new_events(&reply.events, reply.events_json).map_err(|m| {
        tracing::warn!(integration = %integration.id, error = %m, "connector returned unusable events");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "connector_failed", m)
    })?;
    let notices = notices(state, integration, &events)
        .await
        .map_err(ApiError::internal)?;
    let outcome = match &state.writer {
        Some(writer) => {
            writer
                .ingest(IngestJob {
                    business_id: integration.business_id.clone(),
                    integration_id: integration.id.clone(),
                    events,
                    notices,
                })
                .await
        }
        None => {
            let job = IngestJob {
                business_id: integration.business_id.clone(),
                integration_id: integration.id.clone(),
                events,
                notices,
            };
            state
                .store
                .ingest_batch(std::slice::from_ref(&job), &fold)
                .await
                .map(|mut outcomes| outcomes.pop().unwrap_or_default())
        }
    }
    .map_err(|e| {
        tracing::error!(integration = %integration.id, error = %e, "storing inbound events failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "the event could not be stored; retry later",
        )
    })?;
    Ok(Ingested {
        response: reply.response,
        outcome,
    })
}

/// What outgoing-webhook subscribers are told about each event: built
/// here from the cached endpoints, stored by the ingest transaction with
/// the event (and only if the event is not a retry), so an acknowledged
/// event's notifications cannot be lost.
async fn notices(
    state: &AppStateInner,
    integration: &Integration,
    events: &[NewEvent],
) -> Result<Vec<(usize, NewNotification)>, StoreError> {
    let endpoints =
        events::subscribed(&state.store, &state.lookups, &integration.business_id).await?;
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let mut notices = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let mut data = serde_json::Map::new();
        data.insert("integration.id".into(), integration.id.clone().into());
        data.insert("integration.kind".into(), integration.kind.clone().into());
        data.insert("event.key".into(), event.dedup_key.clone().into());
        if let EventTarget::Call { chain_id } = &event.target {
            data.insert("call.externalId".into(), chain_id.clone().into());
        }
        for n in events::notifications(
            &endpoints,
            &integration.business_id,
            &event.kind,
            &event.kind,
            &data,
        ) {
            notices.push((i, n));
        }
    }
    Ok(notices)
}

/// A connector's refusal, as the vendor sees it.
pub fn connector_error(e: ConnectorError) -> ApiError {
    let (status, code, message) = match e {
        ConnectorError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
        ConnectorError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
        ConnectorError::Config(m) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "integration_misconfigured",
            m,
        ),
        ConnectorError::Unsupported(m) => (StatusCode::NOT_FOUND, "unsupported", m),
        ConnectorError::BadCredentials(m) => (StatusCode::BAD_GATEWAY, "vendor_bad_credentials", m),
        ConnectorError::Unreachable(m) => (StatusCode::BAD_GATEWAY, "vendor_unreachable", m),
        ConnectorError::Upstream(m) => (StatusCode::BAD_GATEWAY, "vendor_error", m),
        ConnectorError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, "connector_failed", m),
    };
    ApiError::new(status, code, message)
}

/// A sandbox failure: the tenant's rate and concurrency limits are 429 (a
/// retry later succeeds); a missing component or a full sandbox is 503; a
/// component that broke a limit or crashed is a 500 the platform has to
/// look at (it is recorded as an incident).
pub fn call_error(e: CallError) -> ApiError {
    match &e {
        CallError::Breach(Breach::Rate { .. } | Breach::Concurrency { .. }) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.code(), e.to_string())
        }
        CallError::ComponentNotFound(_)
        | CallError::WorldNotServed { .. }
        | CallError::Busy { .. } => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
        }
        CallError::Breach(_) | CallError::Trap { .. } => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string())
        }
        CallError::Host(_) => ApiError::internal(&e),
    }
}
