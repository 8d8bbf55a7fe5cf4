//! The fields of one request, wherever they travel.
//!
//! The document sends the call notifications as query parameters and the
//! call log as a JSON body, but says the transport is negotiable ("JSON, URL
//! Query Params, …", GET or POST). So every event reads the same way: query
//! parameters first, then the body — a JSON object, or a form.

use serde_json::Value;
use switchboard_sdk::prelude::*;

/// The query parameter that carries the shared secret. Never stored.
pub const SECRET: &str = "secret";

/// Named values in the order they arrived; names compare ASCII
/// case-insensitively and the first non-blank value wins.
#[derive(Debug, Clone, Default)]
pub struct Params {
    items: Vec<(String, Value)>,
}

impl Params {
    /// Query parameters, then the fields of a JSON-object body or of a form
    /// body. `secret` is dropped so it never reaches events. A body that is
    /// declared or looks like JSON must be an object.
    pub fn from_request(request: &HttpRequest) -> Result<Self, ConnectorError> {
        let mut items: Vec<(String, Value)> = request
            .query
            .iter()
            .map(|p| (p.name.clone(), Value::String(p.value.clone())))
            .collect();
        if is_json(request) {
            match request.json::<Value>()? {
                Value::Object(map) => items.extend(map),
                other => {
                    return Err(ConnectorError::BadRequest(format!(
                        "the JSON body must be an object, got {}",
                        kind(&other)
                    )));
                }
            }
        } else if !request.body.iter().all(u8::is_ascii_whitespace) {
            let body = request.text()?;
            items.extend(
                switchboard_sdk::query::parse(body.trim())
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v))),
            );
        }
        items.retain(|(k, _)| !k.eq_ignore_ascii_case(SECRET));
        Ok(Params { items })
    }

    /// Builds params from pairs (tests).
    #[cfg(test)]
    pub fn from_values<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Self {
        Params {
            items: items.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }

    /// The first value of `name` that is not null or blank.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.items
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .find(|v| !is_blank(v))
    }

    /// The first value of `name` as text (numbers and booleans as written,
    /// arrays and objects as JSON), trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.value(name).map(text)
    }

    /// A field that must be present and not blank.
    pub fn require(&self, name: &str) -> Result<String, ConnectorError> {
        self.text(name)
            .ok_or_else(|| ConnectorError::BadRequest(format!("missing `{name}`")))
    }

    /// Every non-blank field not named in `mapped`, as sent: the vendor's
    /// own extras (`userfield`, anything the PBX adds) become attributes.
    pub fn rest(&self, mapped: &[&str]) -> Vec<Pair> {
        self.items
            .iter()
            .filter(|(k, v)| !is_blank(v) && !mapped.iter().any(|m| m.eq_ignore_ascii_case(k)))
            .map(|(k, v)| Pair {
                name: k.clone(),
                value: text(v),
            })
            .collect()
    }
}

/// A JSON body: declared so, or starting with `{` / `[`.
fn is_json(request: &HttpRequest) -> bool {
    let declared = request
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let looks = request
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    (declared && !request.body.iter().all(u8::is_ascii_whitespace)) || looks
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attrs, get, json_post, request};
    use serde_json::json;

    #[test]
    fn query_first_then_json_body_without_the_secret() {
        let mut req = json_post(r#"{"callid":"body","duration":23,"userfield":null,"x":""}"#);
        req.query = pairs([("secret", "s3"), ("callid", "query")]);
        let p = Params::from_request(&req).unwrap();
        assert_eq!(p.text("callid").as_deref(), Some("query"));
        assert_eq!(p.text("CallId").as_deref(), Some("query"));
        assert_eq!(p.text("duration").as_deref(), Some("23"));
        assert_eq!(p.text("userfield"), None);
        assert_eq!(p.text("x"), None);
        assert_eq!(p.text("secret"), None);
        assert_eq!(
            attrs(&p.rest(&["callid"])),
            vec![("duration", "23")],
            "secret, null and blank values are not kept"
        );
    }

    #[test]
    fn form_bodies_are_read() {
        let req = request(
            "POST",
            "/incoming_call",
            &[],
            Some("application/x-www-form-urlencoded"),
            "secret=s3&phone=0904824242&extension=101&callid=c1",
        );
        let p = Params::from_request(&req).unwrap();
        assert_eq!(p.text("phone").as_deref(), Some("0904824242"));
        assert_eq!(p.text("secret"), None);
    }

    #[test]
    fn blank_values_do_not_shadow_later_ones() {
        let p = Params::from_values([("phone", json!(" ")), ("Phone", json!("0904824242"))]);
        assert_eq!(p.text("phone").as_deref(), Some("0904824242"));
    }

    #[test]
    fn structured_values_become_json_text() {
        let p = Params::from_values([("userfield", json!({"order": 7})), ("ok", json!(true))]);
        assert_eq!(p.text("userfield").as_deref(), Some(r#"{"order":7}"#));
        assert_eq!(p.text("ok").as_deref(), Some("true"));
    }

    #[test]
    fn bad_json_bodies_are_bad_requests() {
        for (body, needle) in [
            ("{\"callid\": ", "invalid JSON"),
            ("[1, 2]", "must be an object"),
        ] {
            let err = Params::from_request(&json_post(body)).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(ref m) if m.contains(needle)),
                "{body}: {err:?}"
            );
        }
        // Declared JSON but not JSON at all.
        let req = request("POST", "/x", &[], Some("application/json"), "callid=1");
        assert!(matches!(
            Params::from_request(&req),
            Err(ConnectorError::BadRequest(_))
        ));
        // An empty body is no body, whatever it is declared as.
        let req = request(
            "POST",
            "/x",
            &[("callid", "1")],
            Some("application/json"),
            "",
        );
        assert!(Params::from_request(&req).is_ok());
        assert!(Params::from_request(&get(&[("callid", "1")])).is_ok());
    }
}
