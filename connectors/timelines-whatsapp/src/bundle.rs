//! What an aggregated "bundle" adds to its messages.
//!
//! Every message of a bundle carries the bundle's window, its size and its
//! place in it, and the permalink found in the `aggregation` HTML (the link
//! to the conversation in TimelinesAI, the one thing the HTML has that the
//! messages lack). The HTML itself is only a rendering of the messages: it
//! goes on the **first** message of the bundle only (`bundle.aggregation`),
//! never on all of them, since a 24-hour bundle repeated into each of its
//! messages would grow the reply quadratically toward the host's reply limit.
//! HTML over [`MAX_AGGREGATION_BYTES`] is left out, its size noted instead.

use switchboard_sdk::prelude::*;

use crate::fields;
use crate::json::{self, Object};

/// The largest `aggregation` kept (bytes).
pub const MAX_AGGREGATION_BYTES: usize = 64 * 1024;

/// The bundle-level fields of a `messages` request.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    /// How many entries `messages` has (including any skipped).
    pub size: usize,
    pub first_message_timestamp: Option<String>,
    pub last_message_timestamp: Option<String>,
    pub aggregation: Option<String>,
    pub permalink: Option<String>,
}

impl Bundle {
    pub fn read(root: &Object, size: usize) -> Bundle {
        let aggregation = json::get(root, fields::AGGREGATION).and_then(json::attribute_value);
        Bundle {
            size,
            first_message_timestamp: json::get_text(root, fields::FIRST_MESSAGE_TIMESTAMP),
            last_message_timestamp: json::get_text(root, fields::LAST_MESSAGE_TIMESTAMP),
            permalink: aggregation.as_deref().and_then(first_link),
            aggregation,
        }
    }

    /// The attributes of the message at `index` in `messages`; `first` for
    /// the first message emitted from the bundle, which alone gets the HTML.
    pub fn attributes(&self, index: usize, first: bool) -> Vec<Pair> {
        let mut out = vec![
            pair("bundle.index", index.to_string()),
            pair("bundle.size", self.size.to_string()),
        ];
        let optional = [
            (
                "bundle.first_message_timestamp",
                &self.first_message_timestamp,
            ),
            (
                "bundle.last_message_timestamp",
                &self.last_message_timestamp,
            ),
            ("bundle.permalink", &self.permalink),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                out.push(pair(name, value.clone()));
            }
        }
        match &self.aggregation {
            Some(html) if first && html.len() <= MAX_AGGREGATION_BYTES => {
                out.push(pair("bundle.aggregation", html.clone()));
            }
            Some(html) if first => {
                out.push(pair(
                    "bundle.aggregation_omitted_bytes",
                    html.len().to_string(),
                ));
            }
            _ => {}
        }
        out
    }
}

/// The first `http(s)` link in an `href` of the HTML, quoted with `'` or `"`
/// (the document's example uses `'`) or bare.
fn first_link(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("href=") {
        let start = from + at + "href=".len();
        let rest = &html[start..];
        let link = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => rest[1..].split(q).next(),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next(),
        };
        if let Some(link) = link.map(str::trim)
            && (link.starts_with("https://") || link.starts_with("http://"))
        {
            return Some(link.to_string());
        }
        from = start;
    }
    None
}

fn pair(name: &str, value: String) -> Pair {
    Pair {
        name: name.into(),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    #[test]
    fn links_in_any_quoting() {
        assert_eq!(
            first_link("Click <a href='https://a/p/1/'>here</h>").as_deref(),
            Some("https://a/p/1/")
        );
        assert_eq!(
            first_link(r#"<A HREF="mailto:x"> <a href="http://b/2">"#).as_deref(),
            Some("http://b/2")
        );
        assert_eq!(
            first_link("<a href=https://c/3>x</a>").as_deref(),
            Some("https://c/3")
        );
        assert_eq!(first_link("no link, href= nothing"), None);
    }

    #[test]
    fn html_only_on_the_first_message_and_only_when_small() {
        let root = json!({"aggregation": "hi <a href='https://a/p/'>x</a>", "first_message_timestamp": "t0"});
        let b = Bundle::read(root.as_object().unwrap(), 3);
        assert_eq!(
            attrs(&b.attributes(0, true)),
            [
                ("bundle.index", "0"),
                ("bundle.size", "3"),
                ("bundle.first_message_timestamp", "t0"),
                ("bundle.permalink", "https://a/p/"),
                ("bundle.aggregation", "hi <a href='https://a/p/'>x</a>"),
            ]
        );
        assert_eq!(
            attrs(&b.attributes(2, false)),
            [
                ("bundle.index", "2"),
                ("bundle.size", "3"),
                ("bundle.first_message_timestamp", "t0"),
                ("bundle.permalink", "https://a/p/"),
            ]
        );
        let big = "x".repeat(MAX_AGGREGATION_BYTES + 1);
        let b = Bundle::read(json!({ "aggregation": big }).as_object().unwrap(), 1);
        assert_eq!(
            attrs(&b.attributes(0, true))[2..],
            [("bundle.aggregation_omitted_bytes", "65537")]
        );
    }
}
