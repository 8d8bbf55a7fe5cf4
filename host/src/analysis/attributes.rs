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

/// `attributes` without the forbidden ones.
pub fn keep_allowed(mut attributes: Map<String, Value>) -> Map<String, Value> {
    attributes.retain(|name, _| !is_forbidden(name));
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

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
