//! The call model: how normalised events become call records and
//! conversation messages. Pure functions; the store persists their results.

pub mod fold;
pub mod names;

use serde_json::{Value, json};

use crate::runtime::wit::since_v0_1_0::types::{ChatParty, Event, EventBody};
use crate::store::{EventTarget, NewEvent, NewMessage};

/// The event log's `kind` of an event: `call.ringing`, `call.recordings`,
/// `message.received`, `agent.status`, ...
pub fn event_kind(event: &Event) -> String {
    match &event.body {
        EventBody::Call(c) => format!("call.{}", names::phase(c.phase)),
        EventBody::Recordings(_) => "call.recordings".into(),
        EventBody::Analysis(_) => "call.analysis".into(),
        EventBody::Message(m) => format!("message.{}", names::message_direction(m.direction)),
        EventBody::Agent(a) => {
            // The serde name of the WIT enum, in kebab-case.
            let kind = serde_json::to_value(a.kind)
                .ok()
                .and_then(|v| v.as_str().map(kebab))
                .unwrap_or_else(|| "unknown".into());
            format!("agent.{kind}")
        }
    }
}

fn kebab(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, ch) in camel.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn party(p: &ChatParty) -> Value {
    json!({ "name": p.name, "phone": p.phone, "email": p.email })
}

/// What the store must do with `event` besides logging it.
pub fn target(event: &Event) -> EventTarget {
    let chain = |c: &crate::runtime::wit::since_v0_1_0::types::CallRef| EventTarget::Call {
        chain_id: c.chain_id.clone(),
    };
    match &event.body {
        EventBody::Call(c) => chain(&c.call),
        EventBody::Recordings(r) => chain(&r.call),
        EventBody::Analysis(a) => chain(&a.call),
        EventBody::Message(m) => EventTarget::Message(Box::new(NewMessage {
            chat_id: m.chat_id.clone(),
            chat_name: m.chat_name.clone(),
            chat_url: m.chat_url.clone(),
            is_group: m.is_group,
            message_id: m.message_id.clone(),
            dedup_key: event.dedup_key.clone(),
            direction: names::message_direction(m.direction).into(),
            sender: party(&m.sender),
            recipient: party(&m.recipient),
            text: m.text.clone(),
            sent_at: m.sent_at,
            attributes: json!({
                "account": party(&m.account),
                "vendor": m.attributes.iter().map(|p| (p.name.clone(), Value::String(p.value.clone()))).collect::<serde_json::Map<_, _>>(),
            }),
        })),
        EventBody::Agent(_) => EventTarget::Log,
    }
}

/// The store's form of a connector's `events`, each with its JSON text
/// (`json[i]` is `events[i]`, as `Runtime::ingest` made it).
pub fn to_new_events(events: &[Event], json: Vec<String>) -> Result<Vec<NewEvent>, String> {
    events
        .iter()
        .zip(json)
        .map(|(e, payload)| {
            if e.dedup_key.trim().is_empty() {
                return Err("the connector returned an event without a dedup key".to_string());
            }
            let target = target(e);
            // An empty chain would make one call of every such event.
            if let EventTarget::Call { chain_id } = &target
                && chain_id.trim().is_empty()
            {
                return Err("the connector returned a call event without a chain id".to_string());
            }
            Ok(NewEvent {
                dedup_key: e.dedup_key.clone(),
                kind: event_kind(e),
                payload,
                target,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recordings_of(chain_id: &str) -> Event {
        use crate::runtime::wit::since_v0_1_0::types::{CallRef, RecordingsEvent};
        Event {
            dedup_key: "k1".into(),
            occurred_at: None,
            body: EventBody::Recordings(RecordingsEvent {
                call: CallRef {
                    external_id: chain_id.into(),
                    chain_id: chain_id.into(),
                    leg: 0,
                },
                recordings: Vec::new(),
                details: None,
            }),
        }
    }

    #[test]
    fn a_call_event_needs_a_chain() {
        let ok = to_new_events(&[recordings_of("c1")], vec!["{}".into()]);
        assert_eq!(
            ok.map(|e| e[0].target.clone()),
            Ok(EventTarget::Call {
                chain_id: "c1".into()
            })
        );
        let empty = to_new_events(&[recordings_of(" ")], vec!["{}".into()]);
        assert!(empty.is_err(), "{empty:?}");
    }

    #[test]
    fn kebab_case_of_serde_variant_names() {
        assert_eq!(kebab("QueueMemberAdded"), "queue-member-added");
        assert_eq!(kebab("Status"), "status");
    }
}
