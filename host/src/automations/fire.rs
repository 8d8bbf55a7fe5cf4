//! Firing: a call's analysis finished, so every enabled automation of its
//! business is evaluated against the call; each one that matches records
//! one run and queues its messages (through the outbox, or into the
//! destination's digest), in one transaction per automation.

use serde_json::{Value, json};
use switchboard_flows::{ChannelKind, Firing, Graph, evaluate};

use super::facts::call_facts;
use crate::store::{AutomationRun, NewNotification, PlannedDelivery, Store, StoreError, now_ms};

/// Fires `business_id`'s automations for `call_id`. Safe to repeat: an
/// automation fires at most once per call.
pub async fn fire_for_call(
    store: &Store,
    public_url: &str,
    business_id: &str,
    call_id: &str,
) -> Result<Vec<AutomationRun>, StoreError> {
    let call = store.get_call(business_id, call_id).await?;
    let analysis = store.get_analysis(business_id, call_id).await?;
    let kind = store
        .get_integration(business_id, &call.integration_id)
        .await
        .ok()
        .map(|i| i.kind);
    let facts = call_facts(&call, analysis.as_ref(), kind.as_deref(), public_url);
    let mut runs = Vec::new();
    for automation in store.list_automations(business_id).await? {
        if !automation.enabled {
            continue;
        }
        let graph: Graph = match serde_json::from_value(automation.graph.clone()) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(automation = %automation.id, error = %e, "stored automation graph does not parse");
                continue;
            }
        };
        let firings = evaluate(&graph, &facts);
        if firings.is_empty() || store.automation_fired(&automation.id, call_id).await? {
            continue;
        }
        let mut planned = Vec::new();
        let mut deliveries = Vec::new();
        for f in &expand_webhooks(store, business_id, firings).await? {
            let mut delivery = json!({
                "node": f.node_id, "channel": f.channel.name(), "target": f.target,
                "severity": f.severity.name(), "message": f.message,
                "digest": f.digest.map(|d| d.name()),
            });
            if let Some(reason) = unavailable(store, business_id, f).await? {
                delivery["skipped"] = Value::String(reason.into());
                deliveries.push(delivery);
                continue;
            }
            planned.push(PlannedDelivery {
                notification: NewNotification {
                    business_id: business_id.to_owned(),
                    channel: f.channel.name().to_owned(),
                    destination_id: f.target.clone(),
                    title: automation.name.clone(),
                    body: f.message.clone(),
                    link: facts.link.clone(),
                    severity: f.severity.name().to_owned(),
                    attributes: json!({
                        "event.type": FIRED,
                        "automation.id": automation.id,
                        "call.id": call_id,
                    }),
                },
                digest_window_end: f.digest.map(|d| window_end(now_ms(), d.seconds())),
            });
            deliveries.push(delivery);
        }
        // Skipped deliveries stay in the record but queue nothing; keep the
        // planned ones first so their queue ids line up.
        let (mut queued, skipped): (Vec<Value>, Vec<Value>) = deliveries
            .into_iter()
            .partition(|d| d.get("skipped").is_none());
        queued.extend(skipped);
        if let Some(run) = store
            .record_firing(business_id, &automation.id, call_id, &planned, queued)
            .await?
        {
            runs.push(run);
        }
    }
    Ok(runs)
}

/// A webhook action without an endpoint goes to every active endpoint of
/// the business subscribed to `automation.fired` (or `*`); one with an
/// endpoint goes to that one whatever it subscribed to, since the tenant
/// named it.
async fn expand_webhooks(
    store: &Store,
    business_id: &str,
    firings: Vec<Firing>,
) -> Result<Vec<Firing>, StoreError> {
    if !firings
        .iter()
        .any(|f| f.channel == ChannelKind::Webhook && f.target.is_none())
    {
        return Ok(firings);
    }
    let subscribed: Vec<String> = store
        .list_webhook_endpoints(business_id)
        .await?
        .into_iter()
        .filter(|e| e.is_active && e.wants(FIRED))
        .map(|e| e.id)
        .collect();
    let mut out = Vec::with_capacity(firings.len());
    for f in firings {
        if f.channel == ChannelKind::Webhook && f.target.is_none() && !subscribed.is_empty() {
            out.extend(subscribed.iter().map(|id| Firing {
                target: Some(id.clone()),
                ..f.clone()
            }));
        } else {
            out.push(f);
        }
    }
    Ok(out)
}

/// The event type automation webhooks carry.
pub const FIRED: &str = "automation.fired";

/// Why a firing's destination cannot receive it, if it cannot: deleted
/// since the automation was saved, or switched off.
async fn unavailable(
    store: &Store,
    business_id: &str,
    f: &Firing,
) -> Result<Option<&'static str>, StoreError> {
    let Some(target) = f.target.as_deref() else {
        return Ok(match f.channel {
            ChannelKind::InApp => None,
            _ => Some("no_destination"),
        });
    };
    let found = match f.channel {
        ChannelKind::Telegram => store
            .get_telegram_chat(business_id, target)
            .await
            .map(|c| c.is_active),
        ChannelKind::Discord => store
            .get_discord_webhook(business_id, target)
            .await
            .map(|w| w.is_active),
        ChannelKind::Webhook => store
            .get_webhook_endpoint(business_id, target)
            .await
            .map(|e| e.is_active),
        ChannelKind::InApp => Ok(true),
    };
    match found {
        Ok(true) => Ok(None),
        Ok(false) => Ok(Some("destination_inactive")),
        Err(StoreError::NotFound) => Ok(Some("destination_not_found")),
        Err(e) => Err(e),
    }
}

/// The end of the digest window `now` falls in: windows are aligned to the
/// epoch (UTC), so every message of one hour shares one `1h` digest.
pub fn window_end(now: i64, window_sec: u64) -> i64 {
    let w = i64::try_from(window_sec.max(1)).unwrap_or(i64::MAX) * 1000;
    (now.div_euclid(w) + 1) * w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_windows_are_aligned() {
        let hour = 3_600_000;
        assert_eq!(window_end(0, 3600), hour);
        assert_eq!(window_end(hour - 1, 3600), hour);
        assert_eq!(window_end(hour, 3600), 2 * hour);
        assert_eq!(window_end(5 * hour + 7, 6 * 3600), 6 * hour);
    }
}
