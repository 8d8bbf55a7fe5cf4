//! Whole requests through [`parse`]: the document's two examples verbatim,
//! then the cases around them.

use serde_json::{Value, json};
use switchboard_sdk::prelude::*;

use crate::seed::{BUNDLE, SINGLE};
use crate::test_support::{RECEIVED_AT_MS, attr, attrs, message, party, post, settings};
use crate::{authorize, parse, parse_detailed, reply};

/// 2021-02-24T16:25:29Z, the first message of the bundle example.
const T_BUNDLE_FIRST: i64 = 1_614_183_929_000;
/// 2021-02-24T16:30:29Z, the second.
const T_BUNDLE_SECOND: i64 = T_BUNDLE_FIRST + 5 * 60_000;
/// 2021-02-24T06:25:29Z, the single example.
const T_SINGLE: i64 = T_BUNDLE_FIRST - 10 * 3_600_000;

const ID: &str = "ddfskhsd76dsfs6dsd5skjsdhf";
const CHAT_URL: &str = "https://app.timelines.ai/chat/10010001/messages/";
const PERMALINK: &str = "https://app.timelines.ai/permalink/77a28d55-5345-5435-8c72-3a7bcad8ded9/";
const AGGREGATION: &str = "from John Doe on 2021-02-24 16:25: Hi! How are you?<br/>from Jane Smith on 2021-02-24 16:30: I am fine, how are you?<br/>Click <a href='https://app.timelines.ai/permalink/77a28d55-5345-5435-8c72-3a7bcad8ded9/'>here</h> to open the conversation in TimelinesAI";

fn events(body: &str) -> Vec<Event> {
    parse(&post(body), &settings()).unwrap()
}

fn one(body: &str) -> Event {
    let mut events = events(body);
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn bad_request(body: &str) -> String {
    match parse(&post(body), &settings()) {
        Err(ConnectorError::BadRequest(m)) => m,
        other => panic!("expected BadRequest for {body}, got {other:?}"),
    }
}

/// The seed's bundle as a JSON value (its no-break spaces read as spaces).
fn seed_bundle() -> Value {
    serde_json::from_str(&BUNDLE.replace('\u{a0}', " ")).unwrap()
}

/// A single delivery of `message` in the chat and account of the bundle example.
fn single_of(message: &Value) -> String {
    let bundle = seed_bundle();
    json!({
        "whatsapp_account": bundle["whatsapp_account"],
        "chat": bundle["chat"],
        "message": message,
    })
    .to_string()
}

#[test]
fn the_examples_are_verbatim_with_their_no_break_spaces() {
    // Published on a web page, the examples are indented with U+00A0, which
    // strict JSON refuses; `body` reads them anyway.
    assert!(SINGLE.contains('\u{a0}') && BUNDLE.contains('\u{a0}'));
    assert!(serde_json::from_str::<Value>(SINGLE).is_err());
}

#[test]
fn single_example_maps_every_field() {
    let e = one(SINGLE);
    assert_eq!(e.dedup_key, "message:ddfskhsd76dsfs6dsd5skjsdhf:1614147929");
    assert_eq!(e.occurred_at, Some(T_SINGLE));
    let m = message(&e);
    assert_eq!(m.message_id, ID);
    assert_eq!(m.chat_id, "10010001");
    assert_eq!(m.chat_name.as_deref(), Some("John Doe>"));
    assert_eq!(m.chat_url.as_deref(), Some(CHAT_URL));
    assert!(!m.is_group);
    assert_eq!(
        party(&m.account),
        (
            Some("Amnon Haha"),
            Some("+972500000000"),
            Some("Amnon@acme.com")
        )
    );
    assert_eq!(m.direction, MessageDirection::Sent);
    assert_eq!(
        party(&m.sender),
        (Some("John Doe"), Some("+972540000000"), None)
    );
    assert_eq!(
        party(&m.recipient),
        (Some("Jane Smith"), Some("+972550000000"), None)
    );
    assert_eq!(m.text, "lorem ipsum");
    assert_eq!(m.sent_at, T_SINGLE);
    assert_eq!(
        attrs(&m.attributes),
        [
            ("chat.is_new_chat", "true"),
            ("chat.phone", "+97251111111"),
            ("chat.responsible_email", "Amnon@acme.com"),
            ("chat.responsible_name", "Amnon"),
        ]
    );
}

#[test]
fn bundle_example_is_one_event_per_message() {
    let events = events(BUNDLE);
    assert_eq!(events.len(), 2, "{events:?}");
    let keys: Vec<&str> = events.iter().map(|e| e.dedup_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "message:ddfskhsd76dsfs6dsd5skjsdhf:1614183929",
            "message:ddfskhsd76dsfs6dsd5skjsdhf:1614184229",
        ]
    );
    assert_eq!(
        events.iter().map(|e| e.occurred_at).collect::<Vec<_>>(),
        [Some(T_BUNDLE_FIRST), Some(T_BUNDLE_SECOND)]
    );

    let (first, second) = (message(&events[0]), message(&events[1]));
    for m in [first, second] {
        assert_eq!(m.message_id, ID);
        assert_eq!(m.chat_id, "10010001");
        assert_eq!(m.chat_name.as_deref(), Some("John Doe>"));
        assert_eq!(m.chat_url.as_deref(), Some(CHAT_URL));
        assert!(!m.is_group);
        assert_eq!(
            party(&m.account),
            (
                Some("Amnon Haha"),
                Some("+972500000000"),
                Some("Amnon@acme.com")
            )
        );
        assert_eq!(
            party(&m.sender),
            (Some("John Doe"), Some("+972540000000"), None)
        );
        assert_eq!(
            party(&m.recipient),
            (Some("Jane Smith"), Some("+972550000000"), None)
        );
        assert_eq!(m.text, "lorem ipsum");
    }
    assert_eq!(
        (first.direction, first.sent_at),
        (MessageDirection::Sent, T_BUNDLE_FIRST)
    );
    assert_eq!(
        (second.direction, second.sent_at),
        (MessageDirection::Received, T_BUNDLE_SECOND)
    );

    let chat = [
        ("chat.is_new_chat", "true"),
        ("chat.phone", "+97254000000"),
        ("chat.responsible_email", "Amnon@acme.com"),
        ("chat.responsible_name", "Amnon"),
    ];
    let window = [
        ("bundle.size", "2"),
        ("bundle.first_message_timestamp", "2021-02-24T16:25:29+0000"),
        ("bundle.last_message_timestamp", "2021-02-24T16:30:29+0000"),
        ("bundle.permalink", PERMALINK),
    ];
    let mut expected_first = chat.to_vec();
    expected_first.push(("bundle.index", "0"));
    expected_first.extend(window);
    expected_first.push(("bundle.aggregation", AGGREGATION));
    assert_eq!(attrs(&first.attributes), expected_first);
    // The HTML is on the first message only.
    let mut expected_second = chat.to_vec();
    expected_second.push(("bundle.index", "1"));
    expected_second.extend(window);
    assert_eq!(attrs(&second.attributes), expected_second);
}

#[test]
fn a_message_single_and_later_in_a_bundle_has_one_key() {
    let bundle = seed_bundle();
    let bundled = events(&bundle.to_string());
    for (i, in_bundle) in bundled.iter().enumerate() {
        let alone = one(&single_of(&bundle["messages"][i]));
        assert_eq!(alone.dedup_key, in_bundle.dedup_key);
        assert_eq!(alone.occurred_at, in_bundle.occurred_at);
        let (a, b) = (message(&alone), message(in_bundle));
        assert_eq!(
            (&a.message_id, a.sent_at, a.direction, &a.text),
            (&b.message_id, b.sent_at, b.direction, &b.text)
        );
        // Only the bundle's own attributes differ.
        let not_bundle: Vec<_> = attrs(&b.attributes)
            .into_iter()
            .filter(|(n, _)| !n.starts_with("bundle."))
            .collect();
        assert_eq!(attrs(&a.attributes), not_bundle);
    }
    // The examples reuse one `message_id` for three different messages; the
    // timestamp in the key keeps them apart.
    assert_ne!(one(SINGLE).dedup_key, bundled[0].dedup_key);
}

#[test]
fn retries_give_identical_events() {
    for body in [SINGLE, BUNDLE] {
        assert_eq!(format!("{:?}", events(body)), format!("{:?}", events(body)));
    }
}

#[test]
fn pings_and_empty_bundles_store_nothing() {
    for body in ["", " \r\n"] {
        let parsed = parse_detailed(&post(body), &settings()).unwrap();
        assert!(parsed.events.is_empty() && parsed.skipped.is_empty());
        let response = reply(&parsed);
        assert_eq!(response.status, 200);
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body, json!({"ok": true, "events": 0}));
    }
    let mut get = post("");
    get.method = "GET".into();
    assert!(parse(&get, &settings()).unwrap().is_empty());
    assert!(events(r#"{"chat": {"chat_id": "1"}, "messages": []}"#).is_empty());
}

#[test]
fn reply_counts_events() {
    let parsed = parse_detailed(&post(BUNDLE), &settings()).unwrap();
    let response = reply(&parsed);
    assert_eq!(response.status, 200);
    assert_eq!(
        find(&response.headers, "content-type"),
        Some("application/json")
    );
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body, json!({"ok": true, "events": 2}));
}

#[test]
fn malformed_bodies_are_bad_requests() {
    assert!(bad_request("{\"message\": {").contains("invalid JSON"));
    assert!(bad_request("message_id=1&text=hi").contains("invalid JSON"));
    assert!(bad_request("[]").contains("JSON object"));
    assert!(bad_request("{}").contains("neither `message`"));
    assert!(bad_request(r#"{"chat": {"chat_id": "1"}, "event": "test"}"#).contains("neither"));
    assert!(bad_request(r#"{"messages": "lorem ipsum"}"#).contains("list"));
    assert!(bad_request(r#"{"message": "lorem ipsum"}"#).contains("not a JSON object"));
    assert!(
        bad_request(r#"{"message": {"direction": "sent", "text": "  "}}"#)
            .contains("neither `message_id` nor `text`")
    );
    let m = bad_request(r#"{"messages": [1, {"direction": "sent"}]}"#);
    assert!(
        m.contains("messages[0]: not a JSON object") && m.contains("messages[1]: neither"),
        "{m}"
    );
}

#[test]
fn meaningless_bundle_entries_are_skipped_and_reported() {
    let body = json!({
        "chat": {"chat_id": "7"},
        "messages": [
            null,
            {"message_id": "m1", "direction": "received", "timestamp": "2021-02-24T16:25:29+0000", "text": "hi"},
            {"direction": "sent"},
        ],
        "aggregation": "<p>hi</p>",
    });
    let parsed = parse_detailed(&post(&body.to_string()), &settings()).unwrap();
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(
        parsed.skipped,
        [
            "messages[0]: not a JSON object",
            "messages[2]: neither `message_id` nor `text`"
        ]
    );
    let m = message(&parsed.events[0]);
    // The first message *emitted* carries the HTML, whatever its index.
    assert_eq!(attr(&m.attributes, "bundle.index"), Some("1"));
    assert_eq!(attr(&m.attributes, "bundle.size"), Some("3"));
    assert_eq!(attr(&m.attributes, "bundle.aggregation"), Some("<p>hi</p>"));
    let response: Value = serde_json::from_slice(&reply(&parsed).body).unwrap();
    assert_eq!(
        response,
        json!({"ok": true, "events": 1, "skipped": parsed.skipped})
    );
}

#[test]
fn a_message_without_id_gets_a_stable_derived_one() {
    let mut message_value = seed_bundle()["messages"][0].clone();
    message_value.as_object_mut().unwrap().remove("message_id");
    let alone = one(&single_of(&message_value));
    let m = message(&alone);
    assert!(m.message_id.starts_with("derived:"), "{}", m.message_id);
    assert_eq!(
        alone.dedup_key,
        format!("message:{}:1614183929", m.message_id)
    );
    assert_eq!(attr(&m.attributes, "message_id.source"), Some("derived"));
    // A retry, and the same message in a bundle, derive the same key.
    assert_eq!(one(&single_of(&message_value)).dedup_key, alone.dedup_key);
    let mut bundle = seed_bundle();
    bundle["messages"] = json!([message_value.clone()]);
    assert_eq!(one(&bundle.to_string()).dedup_key, alone.dedup_key);
    // Another text is another message.
    message_value["text"] = json!("dolor sit amet");
    assert_ne!(one(&single_of(&message_value)).dedup_key, alone.dedup_key);
}

#[test]
fn a_message_without_time_is_stamped_with_receipt() {
    let e = one(
        r#"{"chat": {"chat_id": "1"}, "message": {"message_id": "m1", "direction": "received", "text": "hi"}}"#,
    );
    assert_eq!(e.dedup_key, "message:m1");
    assert_eq!(e.occurred_at, None);
    let m = message(&e);
    assert_eq!(m.sent_at, RECEIVED_AT_MS);
    assert_eq!(attrs(&m.attributes), [("sent_at.source", "received")]);

    let e = one(
        r#"{"message": {"message_id": "m1", "timestamp": "24/02/2021 16:25", "text": "hi", "direction": "sent"}}"#,
    );
    assert_eq!(e.dedup_key, "message:m1:24/02/2021 16:25");
    assert_eq!(message(&e).sent_at, RECEIVED_AT_MS);
    assert_eq!(
        attrs(&message(&e).attributes),
        [
            ("raw.timestamp", "24/02/2021 16:25"),
            ("sent_at.source", "received")
        ]
    );
}

#[test]
fn group_chat_with_blank_phones() {
    let e = one(r#"{
        "whatsapp_account": {"full_name": "Amnon Haha", "phone": "+972500000000"},
        "chat": {"full_name": "Sales team", "chat_id": 42, "is_group": true, "phone": ""},
        "message": {"direction": "received", "timestamp": "2021-02-24T16:25:29+0000",
                    "message_id": "g1", "text": "hello all",
                    "sender": {"full_name": "Sales team", "phone": ""},
                    "recipient": {"full_name": "Amnon Haha", "phone": ""}}
    }"#);
    let m = message(&e);
    assert!(m.is_group);
    assert_eq!(m.chat_id, "42");
    assert_eq!(party(&m.sender), (Some("Sales team"), None, None));
    assert_eq!(party(&m.recipient), (Some("Amnon Haha"), None, None));
    assert_eq!(attrs(&m.attributes), [("chat.phone", "")]);
}

#[test]
fn unknown_fields_are_kept_as_attributes() {
    let e = one(r#"{
        "event": "message",
        "chat": {"chat_id": "1", "labels": ["vip"]},
        "message": {"message_id": "m1", "direction": "received", "timestamp": "2021-02-24T16:25:29+0000",
                    "text": "see file", "attachments": [{"url": "https://f.example/a.jpg", "size": 10}],
                    "sender": {"full_name": "Jane", "phone": "+972550000000", "email": "jane@x.io", "jid": "j"},
                    "recipient": {"full_name": "Amnon"}}
    }"#);
    let m = message(&e);
    assert_eq!(
        party(&m.sender),
        (Some("Jane"), Some("+972550000000"), Some("jane@x.io"))
    );
    assert_eq!(
        attrs(&m.attributes),
        [
            ("sender.jid", "j"),
            (
                "message.attachments",
                r#"[{"size":10,"url":"https://f.example/a.jpg"}]"#
            ),
            ("chat.labels", r#"["vip"]"#),
            ("event", "message"),
        ]
    );
}

#[test]
fn national_numbers_use_the_country_code() {
    let body = r#"{"whatsapp_account": {"phone": "050-000-0000"},
        "message": {"message_id": "m1", "direction": "in", "text": "hi",
                    "sender": {"phone": "972540000000@c.us"}, "recipient": {"phone": "050-000-0000"}}}"#;
    let mut s = settings();
    s.default_country_code = Some("972".into());
    let events = parse(&post(body), &s).unwrap();
    let m = message(&events[0]);
    assert_eq!(m.direction, MessageDirection::Received);
    assert_eq!(m.account.phone.as_deref(), Some("+972500000000"));
    assert_eq!(m.sender.phone.as_deref(), Some("+972540000000"));
    assert_eq!(m.recipient.phone.as_deref(), Some("+972500000000"));
    assert_eq!(
        attrs(&m.attributes),
        [
            ("sent_at.source", "received"),
            ("raw.sender.phone", "972540000000@c.us"),
            ("raw.recipient.phone", "050-000-0000"),
            ("raw.whatsapp_account.phone", "050-000-0000"),
        ]
    );
}

#[test]
fn unknown_direction_is_inferred_from_our_number() {
    let body = |direction: &str, sender: &str, recipient: &str| {
        json!({
            "whatsapp_account": {"phone": "+972500000000"},
            "message": {"message_id": "m1", "timestamp": 0, "text": "hi", "direction": direction,
                        "sender": {"phone": sender}, "recipient": {"phone": recipient}}
        })
        .to_string()
    };
    let e = one(&body("Outgoing", "+972540000000", "+972550000000"));
    assert_eq!(message(&e).direction, MessageDirection::Sent);
    assert!(message(&e).attributes.is_empty());

    let e = one(&body("", "+972500000000", "+972550000000"));
    assert_eq!(message(&e).direction, MessageDirection::Sent);
    assert_eq!(
        attrs(&message(&e).attributes),
        [
            ("raw.direction", ""),
            ("direction.inferred", "account-is-sender")
        ]
    );
    let e = one(&body("delivered", "+972550000000", "+972500000000"));
    assert_eq!(message(&e).direction, MessageDirection::Received);
    assert_eq!(
        attr(&message(&e).attributes, "direction.inferred"),
        Some("account-is-recipient")
    );
    let e = one(&body("?", "", ""));
    assert_eq!(message(&e).direction, MessageDirection::Received);
    assert_eq!(
        attr(&message(&e).attributes, "direction.inferred"),
        Some("default")
    );
}

#[test]
fn token_is_checked_in_the_query() {
    let mut with_token = post(SINGLE);
    with_token.query = pairs([("token", "s3cret")]);
    assert!(authorize(Some("s3cret"), &with_token).is_ok());
    assert!(authorize(None, &with_token).is_ok());
    assert!(authorize(None, &post(SINGLE)).is_ok());
    assert!(authorize(Some(""), &post(SINGLE)).is_ok());
    for (configured, request) in [
        ("other", &with_token),
        ("s3cret", &post(SINGLE)),
        ("s3cret!", &with_token),
    ] {
        assert!(
            matches!(
                authorize(Some(configured), request),
                Err(ConnectorError::Unauthorized(_))
            ),
            "{configured}"
        );
    }
    // The token never reaches the events.
    assert!(!format!("{:?}", parse(&with_token, &settings()).unwrap()).contains("s3cret"));
}
