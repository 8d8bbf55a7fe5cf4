//! One message of a delivery → one `message-event`.

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::delivery::Delivery;
use crate::json::{self, Object};
use crate::sent_at::SentAt;
use crate::{Settings, dedup, fields, party};

/// Builds the event of one message. `extra` are attributes the caller adds
/// last (the bundle's). `Err` says why the entry is meaningless: not an
/// object, or neither an id nor any text.
pub fn build(
    value: &Value,
    delivery: &Delivery,
    settings: &Settings,
    extra: Vec<Pair>,
) -> Result<Event, String> {
    let Value::Object(message) = value else {
        return Err("not a JSON object".into());
    };
    let vendor_id = json::get_text(message, fields::MESSAGE_ID);
    let text = json::get(message, fields::TEXT)
        .map(text)
        .unwrap_or_default();
    if vendor_id.is_none() && text.trim().is_empty() {
        return Err("neither `message_id` nor `text`".into());
    }
    let country = settings.default_country_code.as_deref();

    let mut notes = Vec::new();
    let mut people = Vec::new();
    let sender_object = json::object(message, fields::SENDER);
    let recipient_object = json::object(message, fields::RECIPIENT);
    let sender = party::read(sender_object, "sender", country, &mut people);
    let recipient = party::read(recipient_object, "recipient", country, &mut people);

    let raw_direction = json::get(message, fields::DIRECTION);
    let direction = direction(raw_direction, delivery, &sender, &recipient, &mut notes);

    let raw_timestamp = json::get(message, fields::TIMESTAMP);
    let sent_at = SentAt::read(raw_timestamp);
    let sent_at_ms = match &sent_at {
        SentAt::Read(ms) => *ms,
        SentAt::Unreadable(raw) => {
            notes.push(pair("raw.timestamp", raw));
            notes.push(pair("sent_at.source", "received"));
            settings.received_at_ms
        }
        SentAt::Missing => {
            notes.push(pair("sent_at.source", "received"));
            settings.received_at_ms
        }
    };

    let message_id = vendor_id.unwrap_or_else(|| {
        notes.push(pair("message_id.source", "derived"));
        let raw = |object: Option<&Object>, aliases| {
            object
                .and_then(|o| json::get(o, aliases))
                .and_then(json::attribute_value)
                .unwrap_or_default()
        };
        dedup::derived_id(&[
            &delivery.chat.id,
            &raw(Some(message), fields::DIRECTION),
            &raw(Some(message), fields::TIMESTAMP),
            &raw(sender_object, fields::FULL_NAME),
            &raw(sender_object, fields::PHONE),
            &raw(recipient_object, fields::FULL_NAME),
            &raw(recipient_object, fields::PHONE),
            &text,
        ])
    });

    let mut attributes = notes;
    attributes.append(&mut people);
    let mapped_objects = [
        (fields::SENDER, sender_object.is_some()),
        (fields::RECIPIENT, recipient_object.is_some()),
    ];
    let mut mapped = vec![
        fields::MESSAGE_ID,
        fields::DIRECTION,
        fields::TIMESTAMP,
        fields::TEXT,
    ];
    mapped.extend(mapped_objects.iter().filter(|(_, ok)| *ok).map(|(a, _)| *a));
    attributes.extend(json::leftovers(message, "message.", &mapped));
    attributes.extend(delivery.shared.iter().cloned());
    attributes.extend(extra);

    let event = MessageEvent {
        message_id,
        chat_id: delivery.chat.id.clone(),
        chat_name: delivery.chat.name.clone(),
        chat_url: delivery.chat.url.clone(),
        is_group: delivery.chat.is_group,
        account: delivery.account.clone(),
        direction,
        sender,
        recipient,
        text,
        sent_at: sent_at_ms,
        attributes,
    };
    Ok(Event {
        dedup_key: dedup::key(&event.message_id, &sent_at),
        occurred_at: matches!(sent_at, SentAt::Read(_)).then_some(sent_at_ms),
        body: EventBody::Message(event),
    })
}

/// The message text exactly as sent (not trimmed); a number as its text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => json::attribute_value(other).unwrap_or_default(),
    }
}

/// `received` / `sent` (and their usual synonyms). Otherwise the direction
/// is inferred from our account's number: it sent the message, or received
/// it; failing that, `received`. The text as sent goes to `raw.direction`
/// and how it was decided to `direction.inferred`.
fn direction(
    raw: Option<&Value>,
    delivery: &Delivery,
    sender: &ChatParty,
    recipient: &ChatParty,
    notes: &mut Vec<Pair>,
) -> MessageDirection {
    let raw = raw.and_then(json::attribute_value);
    match raw
        .as_deref()
        .map(|r| r.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("received" | "incoming" | "inbound" | "in") => return MessageDirection::Received,
        Some("sent" | "outgoing" | "outbound" | "out") => return MessageDirection::Sent,
        _ => {}
    }
    if let Some(raw) = raw {
        notes.push(pair("raw.direction", &raw));
    }
    let (direction, how) = if party::same_phone(&delivery.account, sender) {
        (MessageDirection::Sent, "account-is-sender")
    } else if party::same_phone(&delivery.account, recipient) {
        (MessageDirection::Received, "account-is-recipient")
    } else {
        (MessageDirection::Received, "default")
    };
    notes.push(pair("direction.inferred", how));
    direction
}

fn pair(name: &str, value: &str) -> Pair {
    Pair {
        name: name.into(),
        value: value.into(),
    }
}
