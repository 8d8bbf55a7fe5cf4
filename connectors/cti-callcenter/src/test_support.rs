//! Request builders and small helpers shared by the unit tests.

use switchboard_sdk::prelude::*;

use crate::Settings;

/// A request as the host hands it over.
pub fn request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    content_type: Option<&str>,
    body: &str,
) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: pairs(query.iter().copied()),
        headers: content_type
            .map(|ct| pairs([("content-type", ct)]))
            .unwrap_or_default(),
        body: body.as_bytes().to_vec(),
    }
}

/// A GET of `/incoming_call` with these query parameters.
pub fn get(query: &[(&str, &str)]) -> HttpRequest {
    request("GET", "/incoming_call", query, None, "")
}

/// A JSON POST of `/call_answered`.
pub fn json_post(body: &str) -> HttpRequest {
    request(
        "POST",
        "/call_answered",
        &[],
        Some("application/json"),
        body,
    )
}

/// The request the host delivers for a URL the PBX calls: everything up to
/// `/wsapi/{customer}` is the installation's root, so the path starts after
/// it; the query is decoded.
pub fn from_url(method: &str, url: &str, body: Option<&str>) -> HttpRequest {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let after = path.split("/wsapi/").nth(1).expect("a /wsapi/ URL");
    let path = &after[after.find('/').expect("/wsapi/{customer}/{event}")..];
    let query = switchboard_sdk::query::parse(query);
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: query
            .into_iter()
            .map(|(name, value)| Pair { name, value })
            .collect(),
        headers: body
            .map(|_| pairs([("content-type", "application/json")]))
            .unwrap_or_default(),
        body: body.unwrap_or("").as_bytes().to_vec(),
    }
}

/// An installation with these settings.
pub fn installation(config: &[(&str, &str)]) -> Installation {
    Installation {
        id: "i1".into(),
        business_id: "b1".into(),
        kind: "cti-callcenter".into(),
        config: pairs(config.iter().copied()),
    }
}

/// The defaults: country 84, UTC+7.
pub fn vietnam() -> Settings {
    Settings::default()
}

/// The call event inside an event.
pub fn call(event: &Event) -> &CallEvent {
    match &event.body {
        EventBody::Call(c) => c,
        other => panic!("not a call event: {other:?}"),
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
