//! The JSON body: a Standard Webhooks envelope around the notification.
//!
//! ```json
//! {"type":"call.missed","timestamp":"2021-02-25T15:02:10Z",
//!  "data":{"id":"n_1","title":"…","body":"…","link":null,"severity":"warning",
//!          "attributes":{"call.id":"c-17"}}}
//! ```
//!
//! Written by hand, compact and in this field order, so the bytes are the same
//! whatever `serde_json` features the build unifies (the signature covers the
//! exact bytes; the order is for people reading logs).

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::time::rfc3339;

/// The attribute that names the event; it becomes `type` and is left out of
/// `data.attributes`.
pub const EVENT_TYPE_ATTRIBUTE: &str = "event.type";

/// `type` when the notification has no (non-blank) `event.type` attribute.
pub const DEFAULT_EVENT_TYPE: &str = "notification.sent";

/// The body for `notification`, sent at `unix_seconds`.
pub fn body(notification: &Notification, unix_seconds: i64) -> Vec<u8> {
    let data = object([
        ("id", string(&notification.id)),
        ("title", string(&notification.title)),
        ("body", string(&notification.body)),
        (
            "link",
            notification.link.as_deref().map_or("null".into(), string),
        ),
        ("severity", string(severity(notification.severity))),
        ("attributes", attributes(&notification.attributes)),
    ]);
    object([
        ("type", string(event_type(&notification.attributes))),
        ("timestamp", string(&rfc3339(unix_seconds))),
        ("data", data),
    ])
    .into_bytes()
}

/// The first non-blank `event.type` attribute, else [`DEFAULT_EVENT_TYPE`].
pub fn event_type(attributes: &[Pair]) -> &str {
    attributes
        .iter()
        .filter(|a| a.name == EVENT_TYPE_ATTRIBUTE)
        .map(|a| a.value.trim())
        .find(|v| !v.is_empty())
        .unwrap_or(DEFAULT_EVENT_TYPE)
}

pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// Every attribute except `event.type`, as an object of strings in the
/// notification's order. A name given twice keeps its first value (as
/// `switchboard_sdk::types::find` reads it).
fn attributes(attributes: &[Pair]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut fields = Vec::new();
    for pair in attributes {
        if pair.name == EVENT_TYPE_ATTRIBUTE || seen.contains(&pair.name.as_str()) {
            continue;
        }
        seen.push(&pair.name);
        fields.push((pair.name.as_str(), string(&pair.value)));
    }
    object(fields)
}

/// A JSON string literal.
fn string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// A JSON object from already-written values, in the given order.
fn object<'a>(fields: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let fields: Vec<String> = fields
        .into_iter()
        .map(|(name, value)| format!("{}:{value}", string(name)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(attributes: &[(&str, &str)], link: Option<&str>) -> Notification {
        Notification {
            id: "n_01".into(),
            title: "Missed call".into(),
            body: "From +84901234567 \"VIP\"\nline 2".into(),
            link: link.map(str::to_string),
            severity: Severity::Warning,
            attributes: pairs(attributes.iter().copied()),
        }
    }

    #[test]
    fn writes_the_envelope_compact_and_in_order() {
        let n = notification(
            &[
                ("call.id", "c-17"),
                ("event.type", "call.missed"),
                ("ext", "101"),
            ],
            Some("https://app.example/calls/c-17"),
        );
        let text = String::from_utf8(body(&n, 1_614_265_330)).unwrap();
        assert_eq!(
            text,
            r#"{"type":"call.missed","timestamp":"2021-02-25T15:02:10Z","data":{"id":"n_01","title":"Missed call","body":"From +84901234567 \"VIP\"\nline 2","link":"https://app.example/calls/c-17","severity":"warning","attributes":{"call.id":"c-17","ext":"101"}}}"#
        );
        // And it is valid JSON with the same content.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["data"]["body"], "From +84901234567 \"VIP\"\nline 2");
    }

    #[test]
    fn defaults_the_type_and_writes_null_for_no_link() {
        let n = notification(&[("event.type", "  ")], None);
        let value: Value = serde_json::from_slice(&body(&n, 0)).unwrap();
        assert_eq!(value["type"], DEFAULT_EVENT_TYPE);
        assert_eq!(value["timestamp"], "1970-01-01T00:00:00Z");
        assert!(value["data"]["link"].is_null());
        assert_eq!(value["data"]["attributes"], serde_json::json!({}));
    }

    #[test]
    fn first_value_of_a_repeated_attribute_wins() {
        let n = notification(&[("k", "first"), ("k", "second"), ("Ünï \"q\"", "v")], None);
        let value: Value = serde_json::from_slice(&body(&n, 0)).unwrap();
        assert_eq!(
            value["data"]["attributes"],
            serde_json::json!({"k": "first", "Ünï \"q\"": "v"})
        );
    }

    #[test]
    fn names_every_severity() {
        for (s, name) in [
            (Severity::Info, "info"),
            (Severity::Warning, "warning"),
            (Severity::Critical, "critical"),
        ] {
            let mut n = notification(&[], None);
            n.severity = s;
            let value: Value = serde_json::from_slice(&body(&n, 0)).unwrap();
            assert_eq!(value["data"]["severity"], name);
        }
    }
}
