//! The request body as a JSON object.
//!
//! TimelinesAI POSTs JSON; the content type is not relied on (senders behind
//! Zapier-like relays label it `text/plain`). An empty body carries nothing
//! to store and is treated as a reachability check.
//!
//! The vendor document's examples, as published, are indented with no-break
//! spaces (U+00A0), which strict JSON refuses. A body that only fails for
//! that reason is accepted: Unicode spaces *between* tokens are read as
//! spaces (inside strings nothing is touched). Anyone who builds a sender by
//! pasting the document's example gets a 200, not an error that counts
//! toward the hook being disabled.

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::json::Object;

/// `Ok(None)` for an empty body (a ping); the object otherwise; `BadRequest`
/// for anything that is not a JSON object.
pub fn read(request: &HttpRequest) -> Result<Option<Object>, ConnectorError> {
    let body = request
        .body
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&request.body);
    if body.trim_ascii().is_empty() {
        return Ok(None);
    }
    let parsed = serde_json::from_slice::<Value>(body).or_else(|err| {
        std::str::from_utf8(body)
            .ok()
            .and_then(relax_whitespace)
            .and_then(|relaxed| serde_json::from_str(&relaxed).ok())
            .ok_or(err)
    });
    match parsed {
        Ok(Value::Object(object)) => Ok(Some(object)),
        Ok(other) => Err(ConnectorError::BadRequest(format!(
            "the body must be a JSON object, got {}",
            kind(&other)
        ))),
        Err(e) => Err(ConnectorError::BadRequest(format!(
            "invalid JSON body: {e}"
        ))),
    }
}

/// `text` with every Unicode space outside string literals replaced by an
/// ASCII space; `None` when there is none (nothing to retry).
fn relax_whitespace(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    for c in text.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if is_unicode_space(c) {
            out.push(' ');
            changed = true;
            continue;
        }
        out.push(c);
    }
    changed.then_some(out)
}

/// Space separators and the like that web pages and word processors put
/// where JSON wants a space.
fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200b}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
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
    use crate::test_support::post;

    #[test]
    fn empty_bodies_are_pings() {
        for body in ["", "  \n", "\u{feff}"] {
            assert!(read(&post(body)).unwrap().is_none(), "{body:?}");
        }
    }

    #[test]
    fn objects_are_read_whatever_the_content_type() {
        let mut req = post("\u{feff} {\"message\": {}}");
        req.headers = pairs([("content-type", "text/plain")]);
        assert!(read(&req).unwrap().unwrap().contains_key("message"));
    }

    #[test]
    fn no_break_spaces_between_tokens_are_spaces() {
        let body =
            "{\u{a0}\"message\":\u{a0}{\"text\": \"a\u{a0}b\"},\u{3000}\"x\": \"\\\"\u{a0}\"}";
        let object = read(&post(body)).unwrap().unwrap();
        // Inside strings (even after an escaped quote) nothing changes.
        assert_eq!(object["message"]["text"], "a\u{a0}b");
        assert_eq!(object["x"], "\"\u{a0}");
        assert_eq!(relax_whitespace("{\"a\": 1}"), None);
    }

    #[test]
    fn other_bodies_are_bad_requests() {
        for (body, says) in [
            ("{\"message\": ", "invalid JSON"),
            ("message=hi", "invalid JSON"),
            ("[{\"message\": {}}]", "an array"),
            ("\"hi\"", "a string"),
            ("null", "null"),
            ("\u{a0}{\"message\": ", "invalid JSON"),
        ] {
            match read(&post(body)) {
                Err(ConnectorError::BadRequest(m)) => assert!(m.contains(says), "{body}: {m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
