//! Every parameter of a request, wherever the module put it.
//!
//! The vendor document names the call-event fields but not how they travel,
//! and public material shows both spellings (`callerid`, `Callerid`) and both
//! encodings (query string, form body, JSON). So parameters are gathered from
//! the query string and from the body (form or JSON object, nested objects and
//! arrays flattened), and looked up by a normalised key: lower case without
//! `_`, `-`, `.` or spaces, so `Caller_Id`, `callerId` and `callerid` are one.

use std::collections::VecDeque;

use serde_json::Value;
use switchboard_sdk::prelude::*;

/// One parameter as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name exactly as the vendor spelled it (kept for attributes).
    pub name: String,
    /// [`normalise`]d name, used for every lookup.
    pub key: String,
    pub value: String,
}

/// The request's parameters, query string first, then the body's.
#[derive(Debug, Clone, Default)]
pub struct Params {
    items: Vec<Param>,
    /// The single key of a JSON body shaped `{"ringing": {...}}`, which may
    /// name the event (see [`crate::kind`]).
    wrapper: Option<String>,
}

/// The lookup form of a parameter (or event) name.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Parameters never kept: the shared secret must not end up in stored events
/// or dedup keys.
const SECRET_KEYS: &[&str] = &["token"];

impl Params {
    /// Collects the query string and the body. A body counts as JSON when its
    /// content type says so or it starts with `{`/`[`, unless it is declared a
    /// form; anything else is read as a form.
    pub fn from_request(request: &HttpRequest) -> Result<Self, ConnectorError> {
        let body_is_json = !request.is_form()
            && (request
                .header("content-type")
                .is_some_and(|ct| ct.contains("json"))
                || request
                    .body
                    .trim_ascii_start()
                    .first()
                    .is_some_and(|b| *b == b'{' || *b == b'['));
        let mut params = Params::default();
        if !body_is_json {
            // The SDK already reads query + form body in order.
            for (name, value) in request.params() {
                params.push(name, value);
            }
            return Ok(params);
        }
        for pair in &request.query {
            params.push(pair.name.clone(), pair.value.clone());
        }
        if request.body.trim_ascii().is_empty() {
            return Ok(params);
        }
        let Value::Object(object) = request.json::<Value>()? else {
            return Err(ConnectorError::BadRequest(
                "JSON body must be an object".into(),
            ));
        };
        if let [(key, Value::Object(_))] = object.iter().collect::<Vec<_>>()[..] {
            params.wrapper = Some(key.clone());
        }
        params.push_json(&object);
        Ok(params)
    }

    /// Builds parameters from `(name, value)` pairs (tests, benchmarks).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        items: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        let mut params = Params::default();
        for (name, value) in items {
            params.push(name.into(), value.into());
        }
        params
    }

    fn push(&mut self, name: String, value: String) {
        let key = normalise(&name);
        if SECRET_KEYS.contains(&key.as_str()) {
            return;
        }
        self.items.push(Param { name, key, value });
    }

    /// Flattens breadth first, so a top-level field wins over a nested one of
    /// the same name; arrays repeat their key once per element.
    fn push_json(&mut self, object: &serde_json::Map<String, Value>) {
        let mut queue: VecDeque<(&str, &Value)> =
            object.iter().map(|(k, v)| (k.as_str(), v)).collect();
        while let Some((name, value)) = queue.pop_front() {
            match value {
                Value::Null => {}
                Value::String(s) => self.push(name.to_string(), s.clone()),
                Value::Bool(_) | Value::Number(_) => self.push(name.to_string(), value.to_string()),
                Value::Array(items) => queue.extend(items.iter().map(|item| (name, item))),
                Value::Object(map) => queue.extend(map.iter().map(|(k, v)| (k.as_str(), v))),
            }
        }
    }

    /// The first non-blank value of the first alias present (aliases in
    /// priority order, already normalised), trimmed.
    pub fn get(&self, aliases: &[&str]) -> Option<&str> {
        aliases.iter().find_map(|alias| {
            self.items
                .iter()
                .filter(|p| p.key == *alias)
                .map(|p| p.value.trim())
                .find(|v| !v.is_empty())
        })
    }

    /// Every value of any alias, in the order received.
    pub fn all<'a>(&'a self, aliases: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        self.items
            .iter()
            .filter(|p| aliases.contains(&p.key.as_str()))
            .map(|p| p.value.as_str())
    }

    /// Whether any alias is present at all (even blank).
    pub fn has(&self, aliases: &[&str]) -> bool {
        self.items.iter().any(|p| aliases.contains(&p.key.as_str()))
    }

    /// The key of a `{"<event>": {...}}` JSON body.
    pub fn wrapper(&self) -> Option<&str> {
        self.wrapper.as_deref()
    }

    /// All parameters, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.items.iter()
    }

    /// Parameters the model has no field for, unchanged, as attributes.
    /// `used` lists the aliases already mapped.
    pub fn rest(&self, used: &[&[&str]]) -> Vec<Pair> {
        self.items
            .iter()
            .filter(|p| !used.iter().any(|aliases| aliases.contains(&p.key.as_str())))
            .map(|p| Pair {
                name: p.name.clone(),
                value: p.value.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{attrs, form, get, json};

    #[test]
    fn normalises_spellings() {
        assert_eq!(normalise("Caller_Id"), "callerid");
        assert_eq!(normalise("FileUrls"), "fileurls");
        assert_eq!(normalise("extension-status"), "extensionstatus");
    }

    #[test]
    fn query_and_form_body_in_order() {
        let mut req = form("id=1&Callerid=%2B74951343060&user=101");
        req.query = pairs([("event", "ringing"), ("token", "s3cret")]);
        let p = Params::from_request(&req).unwrap();
        assert_eq!(p.get(&["event"]), Some("ringing"));
        assert_eq!(p.get(&["callerid"]), Some("+74951343060"));
        // The secret never becomes a parameter.
        assert!(!p.has(&["token"]));
        let keys: Vec<&str> = p.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["event", "id", "callerid", "user"]);
    }

    #[test]
    fn json_is_flattened_top_level_first() {
        let req = json(
            r#"{"data": {"id": "nested", "FILES": ["a", "b"]}, "Id": "top", "n": 5, "x": null}"#,
        );
        let p = Params::from_request(&req).unwrap();
        assert_eq!(p.get(&["id"]), Some("top"));
        assert_eq!(p.get(&["n"]), Some("5"));
        assert_eq!(p.all(&["files"]).collect::<Vec<_>>(), ["a", "b"]);
        assert!(!p.has(&["x"]));
        assert_eq!(p.wrapper(), None);
    }

    #[test]
    fn json_wrapper_and_whitespace() {
        let mut req = json(" \n{\"ringing\": {\"Id\": \"1\"}}");
        req.headers.clear();
        let p = Params::from_request(&req).unwrap();
        assert_eq!(p.wrapper(), Some("ringing"));
        assert_eq!(p.get(&["id"]), Some("1"));
    }

    #[test]
    fn bad_json_is_a_bad_request() {
        for body in ["{not json", "[1, 2]"] {
            let err = Params::from_request(&json(body)).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(_)),
                "{body}: {err:?}"
            );
        }
    }

    #[test]
    fn blank_values_are_absent_but_present() {
        let p = Params::from_request(&get(&[("did", " "), ("did", "123"), ("title", "")])).unwrap();
        assert_eq!(p.get(&["did"]), Some("123"));
        assert_eq!(p.get(&["title"]), None);
        assert!(p.has(&["title"]));
    }

    #[test]
    fn rest_keeps_original_names() {
        let p = Params::from_pairs([("Event", "x"), ("Foo_Bar", "1")]);
        assert_eq!(attrs(&p.rest(&[&["event"]])), [("Foo_Bar", "1")]);
    }
}
