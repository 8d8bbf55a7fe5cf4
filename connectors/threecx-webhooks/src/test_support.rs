//! Request builders and small assertions shared by the unit tests.

use switchboard_sdk::prelude::*;

use crate::Settings;

fn request(
    method: &str,
    query: &[(&str, &str)],
    content_type: Option<&str>,
    body: &str,
) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: "/".into(),
        query: pairs(query.iter().copied()),
        headers: content_type
            .map(|ct| pairs([("content-type", ct)]))
            .unwrap_or_default(),
        body: body.as_bytes().to_vec(),
    }
}

/// A GET with these query parameters.
pub fn get(query: &[(&str, &str)]) -> HttpRequest {
    request("GET", query, None, "")
}

/// A form POST.
pub fn form(body: &str) -> HttpRequest {
    request("POST", &[], Some("application/x-www-form-urlencoded"), body)
}

/// A JSON POST.
pub fn json(body: &str) -> HttpRequest {
    request("POST", &[], Some("application/json; charset=utf-8"), body)
}

/// A PBX in Moscow: country 7, UTC+3.
pub fn moscow() -> Settings {
    Settings {
        default_country_code: Some("7".into()),
        utc_offset_minutes: 180,
    }
}

/// Pairs as tuples, to compare (WIT records have no `PartialEq`).
pub fn attrs(list: &[Pair]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect()
}

/// The first attribute named `name`.
pub fn attr<'a>(list: &'a [Pair], name: &str) -> Option<&'a str> {
    find(list, name)
}
