//! Tolerant reading of the vendor's JSON.
//!
//! The document fixes the field names and shows strings and booleans, but a
//! sender that grew up behind Zapier may send `"chat_id": 10010001` or
//! `"is_group": "false"`. So values are read by meaning rather than by JSON
//! type, `null` and blank strings count as absent, and a key matches when it
//! differs only in case or separators (`chatId`, `Chat-ID`).

use serde_json::{Map, Value};
use switchboard_sdk::prelude::*;

/// A JSON object.
pub type Object = Map<String, Value>;

/// The lookup form of a key: lower case without `_`, `-`, `.` or spaces.
pub fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The value of the first alias present and not `null`: the exact key first,
/// then any key that normalises the same.
pub fn get<'a>(object: &'a Object, aliases: &[&str]) -> Option<&'a Value> {
    aliases.iter().find_map(|alias| {
        let exact = object.get(*alias).filter(|v| !v.is_null());
        exact.or_else(|| {
            let wanted = normalise(alias);
            object
                .iter()
                .find(|(k, v)| !v.is_null() && normalise(k) == wanted)
                .map(|(_, v)| v)
        })
    })
}

/// The object under the first alias present (anything else is absent).
pub fn object<'a>(parent: &'a Object, aliases: &[&str]) -> Option<&'a Object> {
    get(parent, aliases).and_then(Value::as_object)
}

/// A scalar as trimmed text: strings, numbers and booleans; `None` for
/// blank strings, `null`, objects and arrays.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// [`text`] of the first alias present.
pub fn get_text(object: &Object, aliases: &[&str]) -> Option<String> {
    get(object, aliases).and_then(text)
}

/// A boolean: `true`/`false`, or their usual spellings as text or number.
pub fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// How a value is kept as an attribute: strings as sent, numbers and
/// booleans as their text, objects and arrays as compact JSON (so a list of
/// attachments stays one readable value); `null` is not kept.
pub fn attribute_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            Some(value.to_string())
        }
    }
}

/// The fields of `object` that no alias in `mapped` names, as attributes
/// `{prefix}{key}` with the vendor's own spelling of the key, sorted by key
/// so the order never depends on how the JSON map is implemented.
pub fn leftovers(object: &Object, prefix: &str, mapped: &[&[&str]]) -> Vec<Pair> {
    let mapped: Vec<String> = mapped
        .iter()
        .flat_map(|aliases| aliases.iter().map(|a| normalise(a)))
        .collect();
    let mut rest: Vec<Pair> = object
        .iter()
        .filter(|(key, _)| !mapped.contains(&normalise(key)))
        .filter_map(|(key, value)| {
            attribute_value(value).map(|v| Pair {
                name: format!("{prefix}{key}"),
                value: v,
            })
        })
        .collect();
    rest.sort_by(|a, b| a.name.cmp(&b.name));
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn obj(value: Value) -> Object {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn keys_match_by_meaning() {
        let o = obj(json!({"chatId": 5, "message_id": null, "MESSAGE-ID": "m1"}));
        assert_eq!(get_text(&o, &["chat_id"]).as_deref(), Some("5"));
        // `null` is absent, so the other spelling is found.
        assert_eq!(get_text(&o, &["message_id"]).as_deref(), Some("m1"));
        assert_eq!(get(&o, &["text"]), None);
    }

    #[test]
    fn scalars_as_text_and_flags() {
        assert_eq!(text(&json!("  hi ")).as_deref(), Some("hi"));
        assert_eq!(text(&json!("   ")), None);
        assert_eq!(text(&json!(12)).as_deref(), Some("12"));
        assert_eq!(text(&json!({"a": 1})), None);
        assert_eq!(flag(&json!(true)), Some(true));
        assert_eq!(flag(&json!("False")), Some(false));
        assert_eq!(flag(&json!(1)), Some(true));
        assert_eq!(flag(&json!("maybe")), None);
    }

    #[test]
    fn leftovers_keep_everything_unmapped_sorted() {
        let o = obj(json!({
            "text": "x", "zeta": 1, "attachments": [{"url": "https://f/a.jpg"}],
            "alpha": false, "gone": null, "Text": "also mapped"
        }));
        assert_eq!(
            attrs(&leftovers(&o, "message.", &[&["text"]])),
            [
                ("message.alpha", "false"),
                ("message.attachments", r#"[{"url":"https://f/a.jpg"}]"#),
                ("message.zeta", "1"),
            ]
        );
    }
}
