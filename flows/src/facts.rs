//! What is known about one analysed call: the input to evaluation and
//! template rendering.
//!
//! Every fact is optional because analysers and PBXes differ in what they
//! report; a missing fact is not an error, it just makes conditions on it
//! false (except `ne`) and renders as an empty string.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::field::Field;

/// The facts of one call. Build it as a struct literal
/// (`CallFacts { score: Some(80.0), ..Default::default() }`) or from the
/// host's JSON with [`CallFacts::from_json`] (which is also what
/// `Deserialize` does).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CallFacts {
    /// The call's id, for `{{call_id}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// A link to the call in the UI, for `{{link}}` / `{{call_url}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// See [`Field::Score`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// See [`Field::Sentiment`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<String>,
    /// See [`Field::Tags`]. No tags and unknown tags behave the same.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// See [`Field::Direction`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// See [`Field::Duration`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// See [`Field::TalkTime`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub talk_time: Option<f64>,
    /// See [`Field::CustomerPhone`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_phone: Option<String>,
    /// See [`Field::Extension`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// See [`Field::Did`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// See [`Field::Status`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// See [`Field::Outcome`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// See [`Field::Summary`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// See [`Field::Transcript`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// See [`Field::IntegrationId`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// See [`Field::IntegrationKind`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_kind: Option<String>,
}

/// One fact's value, borrowed from [`CallFacts`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactValue<'a> {
    /// A number field's value.
    Number(f64),
    /// A string field's value.
    Text(&'a str),
    /// The tags (possibly empty).
    List(&'a [String]),
}

impl CallFacts {
    /// The value of `field`, or `None` when the call did not report it.
    /// Tags are never `None`: no tags is an empty list.
    pub fn get(&self, field: Field) -> Option<FactValue<'_>> {
        fn text(s: &Option<String>) -> Option<FactValue<'_>> {
            s.as_deref().map(FactValue::Text)
        }
        match field {
            Field::Score => self.score.map(FactValue::Number),
            Field::Duration => self.duration.map(FactValue::Number),
            Field::TalkTime => self.talk_time.map(FactValue::Number),
            Field::Tags => Some(FactValue::List(&self.tags)),
            Field::Sentiment => text(&self.sentiment),
            Field::Direction => text(&self.direction),
            Field::CustomerPhone => text(&self.customer_phone),
            Field::Extension => text(&self.extension),
            Field::Did => text(&self.did),
            Field::Status => text(&self.status),
            Field::Outcome => text(&self.outcome),
            Field::Summary => text(&self.summary),
            Field::Transcript => text(&self.transcript),
            Field::IntegrationId => text(&self.integration_id),
            Field::IntegrationKind => text(&self.integration_kind),
        }
    }

    /// Reads facts from a JSON object, leniently, because call records come
    /// from many vendors: keys may be snake_case or camelCase (`tag`,
    /// `call_url` and `url` are accepted too); numbers may arrive as numeric
    /// strings; string facts may arrive as numbers (extension `101`); tags may
    /// be an array or a comma-separated string. `null`, unparseable values and
    /// a non-object input count as missing.
    pub fn from_json(value: &Value) -> CallFacts {
        let Some(obj) = value.as_object() else {
            return CallFacts::default();
        };
        let num = |keys: &[&str]| lookup(obj, keys).and_then(as_number);
        let text = |keys: &[&str]| lookup(obj, keys).and_then(as_text);
        CallFacts {
            call_id: text(&["call_id", "callId", "id"]),
            link: text(&["link", "call_url", "callUrl", "url"]),
            score: num(&["score"]),
            sentiment: text(&["sentiment"]),
            tags: lookup(obj, &["tags", "tag"])
                .map(as_list)
                .unwrap_or_default(),
            direction: text(&["direction"]),
            duration: num(&["duration"]),
            talk_time: num(&["talk_time", "talkTime"]),
            customer_phone: text(&["customer_phone", "customerPhone"]),
            extension: text(&["extension"]),
            did: text(&["did"]),
            status: text(&["status"]),
            outcome: text(&["outcome"]),
            summary: text(&["summary"]),
            transcript: text(&["transcript"]),
            integration_id: text(&["integration_id", "integrationId"]),
            integration_kind: text(&["integration_kind", "integrationKind"]),
        }
    }
}

impl<'de> Deserialize<'de> for CallFacts {
    /// Same leniency as [`CallFacts::from_json`]; only a non-object is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(serde::de::Error::custom("call facts must be a JSON object"));
        }
        Ok(CallFacts::from_json(&value))
    }
}

/// The first key present with a non-null value.
fn lookup<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .filter_map(|k| obj.get(*k))
        .find(|v| !v.is_null())
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(as_text).collect(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_snake_and_camel_case_leniently() {
        let facts = CallFacts::from_json(&json!({
            "callId": "c-1",
            "call_url": "https://x/c-1",
            "score": "87.5",
            "sentiment": "positive",
            "tag": "vip, hot ,",
            "direction": "inbound",
            "duration": 120,
            "talkTime": 95,
            "customerPhone": "0812345678",
            "extension": 101,
            "summary": null,
            "integrationKind": "threecx-webhooks"
        }));
        assert_eq!(facts.call_id.as_deref(), Some("c-1"));
        assert_eq!(facts.link.as_deref(), Some("https://x/c-1"));
        assert_eq!(facts.score, Some(87.5));
        assert_eq!(facts.tags, vec!["vip", "hot"]);
        assert_eq!(facts.duration, Some(120.0));
        assert_eq!(facts.talk_time, Some(95.0));
        assert_eq!(facts.customer_phone.as_deref(), Some("0812345678"));
        assert_eq!(facts.extension.as_deref(), Some("101"));
        assert_eq!(facts.summary, None);
        assert_eq!(facts.integration_kind.as_deref(), Some("threecx-webhooks"));
    }

    #[test]
    fn unparseable_values_are_missing() {
        let facts =
            CallFacts::from_json(&json!({"score": "high", "tags": [1, "a", {}], "direction": []}));
        assert_eq!(facts.score, None);
        assert_eq!(facts.tags, vec!["1", "a"]);
        assert_eq!(facts.direction, None);
        assert_eq!(CallFacts::from_json(&json!([1])), CallFacts::default());
    }

    #[test]
    fn deserialize_matches_from_json_and_round_trips() {
        let v = json!({"score": 90, "tags": ["vip"], "customer_phone": "1"});
        let facts: CallFacts = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(facts, CallFacts::from_json(&v));
        let back: CallFacts =
            serde_json::from_value(serde_json::to_value(&facts).unwrap()).unwrap();
        assert_eq!(back, facts);
        assert!(serde_json::from_value::<CallFacts>(json!("x")).is_err());
    }

    #[test]
    fn get_reports_missing_facts_as_none_but_tags_as_a_list() {
        let facts = CallFacts {
            score: Some(1.0),
            ..Default::default()
        };
        assert_eq!(facts.get(Field::Score), Some(FactValue::Number(1.0)));
        assert_eq!(facts.get(Field::Sentiment), None);
        assert_eq!(facts.get(Field::Tags), Some(FactValue::List(&[])));
    }
}
