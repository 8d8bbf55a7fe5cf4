//! Which analysis attributes are kept. The platform's payloads never carry
//! the AI model, provider or cost behind an analysis (the seed's rule), so
//! an attribute whose name mentions one is dropped, whoever sent it: a
//! tenant posting an analysis, or an analyzer component (the bundled one
//! filters its own; a third party's may not).

use serde_json::{Map, Value};

/// Name parts that mark a model, provider, price or usage field, matched on
/// the name's letters and digits, lower-cased (`modelName`, `cost_usd`,
/// `total-tokens` all match).
const FORBIDDEN_PARTS: &[&str] = &[
    "model", "provider", "cost", "price", "billing", "usage", "token", "openai", "gpt",
];

pub fn is_forbidden(name: &str) -> bool {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    FORBIDDEN_PARTS.iter().any(|part| key.contains(part))
}

/// `attributes` without the forbidden ones, at any depth: a nested
/// `{"meta": {"model": ...}}` is as much the model as a top-level one.
pub fn keep_allowed(mut attributes: Map<String, Value>) -> Map<String, Value> {
    attributes.retain(|name, _| !is_forbidden(name));
    for value in attributes.values_mut() {
        scrub(value);
    }
    attributes
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|name, _| !is_forbidden(name));
            map.values_mut().for_each(scrub);
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_are_dropped_too() {
        let given = serde_json::json!({
            "intent": "invoice",
            "meta": {"model": "gpt-4o", "costUsd": 0.002, "lang": "th"},
            "steps": [{"provider": "x", "ok": true}],
        });
        let kept = keep_allowed(given.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(kept),
            serde_json::json!({"intent": "invoice", "meta": {"lang": "th"}, "steps": [{"ok": true}]})
        );
    }

    #[test]
    fn model_provider_cost_and_usage_fields_are_dropped_in_any_spelling() {
        for name in [
            "model",
            "Model",
            "model_name",
            "modelName",
            "provider",
            "cost_usd",
            "costUSD",
            "price",
            "billing_id",
            "usage",
            "total_tokens",
            "total-tokens",
            "openai_id",
            "gpt4",
        ] {
            assert!(is_forbidden(name), "{name}");
        }
        for name in ["language", "intent", "agent", "topic", "callback_requested"] {
            assert!(!is_forbidden(name), "{name}");
        }
    }
}
