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
use crate::runtime::CallError;
use crate::runtime::limits::Breach;
use crate::runtime::wit::since_v0_1_0::types::{ConnectorError, HttpRequest, HttpResponse};
use crate::server::AppStateInner;
use crate::store::{IngestJob, IngestOutcome, Integration};

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
    let events = to_new_events(&reply.events).map_err(|m| {
        tracing::warn!(integration = %integration.id, error = %m, "connector returned unusable events");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "connector_failed", m)
    })?;
    // What outgoing webhooks need, taken before the events move to the writer.
    let summaries: Vec<EventSummary> = events
        .iter()
        .map(|e| EventSummary {
            kind: e.kind.clone(),
            key: e.dedup_key.clone(),
            chain: match &e.target {
                crate::store::EventTarget::Call { chain_id } => Some(chain_id.clone()),
                _ => None,
            },
        })
        .collect();
    let outcome = match &state.writer {
        Some(writer) => {
            writer
                .ingest(IngestJob {
                    business_id: integration.business_id.clone(),
                    integration_id: integration.id.clone(),
                    events,
                })
                .await
        }
        None => {
            state
                .store
                .ingest(&integration.business_id, &integration.id, &events, &fold)
                .await
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
    emit_events(state, integration, summaries, &outcome);
    Ok(Ingested {
        response: reply.response,
        outcome,
    })
}

/// Tells outgoing-webhook subscribers about what was just stored, off the
/// vendor's request path: the vendor's reply does not wait for it. (A crash
/// between the commit and this loses these notifications, not the events;
/// moving the enqueue into the ingest transaction closes that gap.)
struct EventSummary {
    kind: String,
    key: String,
    chain: Option<String>,
}

fn emit_events(
    state: &AppStateInner,
    integration: &Integration,
    events: Vec<EventSummary>,
    outcome: &IngestOutcome,
) {
    let fresh: Vec<(String, serde_json::Map<String, serde_json::Value>)> = events
        .into_iter()
        .zip(&outcome.inserted)
        .filter(|(_, new)| **new)
        .map(|(e, _)| {
            let mut data = serde_json::Map::new();
            data.insert("integration.id".into(), integration.id.clone().into());
            data.insert("integration.kind".into(), integration.kind.clone().into());
            data.insert("event.key".into(), e.key.into());
            if let Some(chain) = e.chain {
                data.insert("call.externalId".into(), chain.into());
            }
            (e.kind, data)
        })
        .collect();
    if fresh.is_empty() {
        return;
    }
    let store = state.store.clone();
    let lookups = std::sync::Arc::clone(&state.lookups);
    let business = integration.business_id.clone();
    let call_ids = outcome.call_ids.clone();
    tokio::spawn(async move {
        for (kind, mut data) in fresh {
            if let Some(id) = call_ids.first() {
                data.insert("call.id".into(), id.clone().into());
            }
            if let Err(e) =
                crate::notify::events::emit(&store, &lookups, &business, &kind, &kind, data).await
            {
                tracing::error!(error = %e, "queueing outgoing webhooks failed");
            }
        }
    });
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
/// retry later succeeds); a missing component is 503; a component that broke
/// a limit or crashed is a 500 the platform has to look at (it is recorded
/// as an incident).
pub fn call_error(e: CallError) -> ApiError {
    match &e {
        CallError::Breach(Breach::Rate { .. } | Breach::Concurrency { .. }) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.code(), e.to_string())
        }
        CallError::ComponentNotFound(_) | CallError::WorldNotServed { .. } => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
        }
        CallError::Breach(_) | CallError::Trap { .. } => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code(), e.to_string())
        }
        CallError::Host(_) => ApiError::internal(&e),
    }
}
