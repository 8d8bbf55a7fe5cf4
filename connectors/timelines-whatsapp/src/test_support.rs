//! Request builders and small accessors shared by the unit tests.

use switchboard_sdk::prelude::*;

use crate::Settings;

/// When the tests' requests "arrive": 2024-01-01T00:00:00Z.
pub const RECEIVED_AT_MS: i64 = 1_704_067_200_000;

/// A JSON POST, as TimelinesAI sends it.
pub fn post(body: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        query: Vec::new(),
        headers: pairs([("content-type", "application/json")]),
        body: body.as_bytes().to_vec(),
    }
}

/// No country code; received at [`RECEIVED_AT_MS`].
pub fn settings() -> Settings {
    Settings {
        default_country_code: None,
        received_at_ms: RECEIVED_AT_MS,
    }
}

/// The message of an event.
pub fn message(event: &Event) -> &MessageEvent {
    match &event.body {
        EventBody::Message(m) => m,
        other => panic!("not a message event: {other:?}"),
    }
}

/// A party as a tuple, to compare (WIT records have no `PartialEq`).
pub fn party(p: &ChatParty) -> (Option<&str>, Option<&str>, Option<&str>) {
    (p.name.as_deref(), p.phone.as_deref(), p.email.as_deref())
}

/// Pairs as tuples, to compare.
pub fn attrs(list: &[Pair]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect()
}

/// The first attribute named `name`.
pub fn attr<'a>(list: &'a [Pair], name: &str) -> Option<&'a str> {
    find(list, name)
}
