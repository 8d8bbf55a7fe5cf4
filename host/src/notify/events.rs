//! Platform events for outgoing webhooks: each becomes one outbox
//! notification per active endpoint subscribed to its type, delivered and
//! signed by the `webhook-channel` component with the outbox's retries.
//!
//! Event types: the call events ingest stores (`call.ringing`,
//! `call.answered`, `call.held`, `call.resumed`, `call.ended`,
//! `call.summary`, `call.recordings`, `call.analysis`), `message.received`,
//! `message.sent`, and `recording.completed`, `ai.failed`,
//! `billing.threshold` as the recording, analysis and billing stages emit
//! them, and `automation.fired` for automations' webhook actions that name
//! no endpoint. An endpoint subscribed to `*` gets every type.

use serde_json::{Map, Value};

use crate::cache::Lookups;
use crate::store::{NewNotification, Store, StoreError, WebhookEndpoint};

pub const EVENT_TYPES: &[&str] = &[
    "call.ringing",
    "call.answered",
    "call.held",
    "call.resumed",
    "call.ended",
    "call.summary",
    "call.recordings",
    "call.analysis",
    "message.received",
    "message.sent",
    "recording.completed",
    "ai.failed",
    "billing.threshold",
    "automation.fired",
];

/// Queues `event_type` with `data` (flat string attributes) for every
/// subscribed endpoint of the business. Returns how many were queued.
pub async fn emit(
    store: &Store,
    lookups: &Lookups,
    business_id: &str,
    event_type: &str,
    summary: &str,
    data: Map<String, Value>,
) -> Result<usize, StoreError> {
    let queued = prepare(store, lookups, business_id, event_type, summary, &data).await?;
    for n in &queued {
        store.enqueue_notification(n.clone()).await?;
    }
    Ok(queued.len())
}

/// What [`emit`] queues, for a caller that stores it in its own
/// transaction (with the change the event announces).
pub async fn prepare(
    store: &Store,
    lookups: &Lookups,
    business_id: &str,
    event_type: &str,
    summary: &str,
    data: &Map<String, Value>,
) -> Result<Vec<NewNotification>, StoreError> {
    let endpoints = subscribed(store, lookups, business_id).await?;
    Ok(notifications(
        &endpoints,
        business_id,
        event_type,
        summary,
        data,
    ))
}

/// The business's webhook endpoints, from the lookup cache.
pub async fn subscribed(
    store: &Store,
    lookups: &Lookups,
    business_id: &str,
) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let key = business_id.to_owned();
    lookups
        .endpoints
        .get_or_load(&key, store.list_webhook_endpoints(business_id))
        .await
}

/// One outbox notification of `event_type` per active endpoint subscribed
/// to it (for a caller that stores them in its own transaction).
pub fn notifications(
    endpoints: &[WebhookEndpoint],
    business_id: &str,
    event_type: &str,
    summary: &str,
    data: &Map<String, Value>,
) -> Vec<NewNotification> {
    endpoints
        .iter()
        .filter(|e| e.is_active && e.wants(event_type))
        .map(|endpoint| {
            let mut attributes = data.clone();
            attributes.insert("event.type".into(), Value::String(event_type.to_owned()));
            NewNotification {
                business_id: business_id.to_owned(),
                channel: "webhook".into(),
                destination_id: Some(endpoint.id.clone()),
                title: event_type.to_owned(),
                body: summary.to_owned(),
                link: None,
                severity: "info".into(),
                attributes: Value::Object(attributes),
            }
        })
        .collect()
}
