//! Whole requests in the document's own words, through [`authorize`] and
//! [`parse`]. The URLs and the call-log body are copied verbatim from seed
//! 001; only the `{placeholders}` are filled in where a test says so.

use switchboard_sdk::prelude::*;

use crate::test_support::{attr, attrs, call, from_url, get, json_post, request, vietnam};
use crate::{authorize, parse, reply};

/// §1.1, verbatim.
const INCOMING: &str = "https://{domain_crm}/wsapi/{customer}/incoming_call?secret={secret}&phone=090xxxxxxx&extension=101&callid={callid}";
/// §1.2, verbatim.
const OUTGOING: &str = "https://{domain_crm}/wsapi/{customer}/outgoing_call?secret={secret}&phone=091xxxxxxx&extension=102&callid={callid}";
/// §1.3, the URL verbatim (the document breaks it over two lines).
const ANSWERED: &str = "https://{domain_crm}/wsapi/{customer}/call_answered?secret={secret}";
/// §1.3, the body verbatim. `{userfield}` is unquoted: not JSON until filled.
const CALL_LOG: &str = r#"{
  "callid":      "{callid}",
  "calldate":   "2019-08-16 15:29:30",
  "extension":  "101",
  "phone":      "090xxxx242",
  "duration":   23,
  "billsec":    11,
  "status":     "ANSWERED",
  "recording":  "{https://ip_tong_dai/link_file_ghi_am}",
  "userfield":  {userfield}
}"#;
/// §2.1, verbatim.
const CLICK2CALL: &str = "https://{ip_tong_dai}/wsapi/{customer}/click2call.php?secret={secret}&extension={extension}&phone={phone}&userfield={userfield}";

const SECRET: &str = "s3cr3t";
/// 2019-08-16 15:29:30 in Vietnam (UTC+7), in UTC ms.
const CALLDATE: i64 = 1_565_969_370_000 - 7 * 3_600_000;

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |s, (k, v)| s.replace(k, v))
}

fn url(template: &str, callid: &str) -> String {
    fill(template, &[("{secret}", SECRET), ("{callid}", callid)])
}

fn one(request: &HttpRequest) -> Event {
    authorize(Some(SECRET), request).unwrap();
    let mut events = parse(request, &vietnam()).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn bad_request(request: &HttpRequest) -> String {
    match parse(request, &vietnam()) {
        Err(ConnectorError::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

#[test]
fn incoming_call_as_documented() {
    let e = one(&from_url("GET", &url(INCOMING, "1565944170.123"), None));
    assert_eq!(e.dedup_key, "incoming:1565944170.123:101");
    assert_eq!(e.occurred_at, None);
    let c = call(&e);
    assert_eq!(c.call.external_id, "1565944170.123");
    assert_eq!(
        (c.call.chain_id.as_str(), c.call.leg),
        ("1565944170.123", 0)
    );
    assert_eq!(
        (c.phase, c.direction),
        (CallPhase::Ringing, Direction::Inbound)
    );
    assert_eq!(c.extension.as_deref(), Some("101"));
    // The document masks the number: nothing to normalise, the text is kept.
    assert_eq!(c.customer_phone, None);
    assert_eq!(attrs(&c.attributes), vec![("raw.phone", "090xxxxxxx")]);
    assert!(c.outcome.is_none() && c.recordings.is_empty());
}

#[test]
fn incoming_call_with_a_real_number() {
    // The number from the document's contact table.
    let link = url(INCOMING, "c-1").replace("090xxxxxxx", "0904824242");
    let c = one(&from_url("GET", &link, None));
    let c = call(&c);
    assert_eq!(c.customer_phone.as_deref(), Some("+84904824242"));
    assert_eq!(attr(&c.attributes, "raw.phone"), Some("0904824242"));
}

#[test]
fn a_queue_rings_two_extensions_with_one_callid() {
    let a = one(&from_url("GET", &url(INCOMING, "c-2"), None));
    let b = one(&from_url(
        "GET",
        &url(INCOMING, "c-2").replace("extension=101", "extension=105"),
        None,
    ));
    assert_eq!(a.dedup_key, "incoming:c-2:101");
    assert_eq!(b.dedup_key, "incoming:c-2:105");
    // A retry is the same request, so the same key.
    assert_eq!(
        one(&from_url("GET", &url(INCOMING, "c-2"), None)).dedup_key,
        a.dedup_key
    );
}

#[test]
fn outgoing_call_as_documented() {
    let e = one(&from_url("GET", &url(OUTGOING, "1565944170.200"), None));
    assert_eq!(e.dedup_key, "outgoing:1565944170.200:102");
    let c = call(&e);
    assert_eq!(
        (c.phase, c.direction),
        (CallPhase::Ringing, Direction::Outbound)
    );
    assert_eq!(c.extension.as_deref(), Some("102"));
    assert_eq!(c.customer_phone, None);
    assert_eq!(attr(&c.attributes, "raw.phone"), Some("091xxxxxxx"));
    let link = url(OUTGOING, "c-3").replace("091xxxxxxx", "0912345678") + "&userfield=lead-9";
    let c = one(&from_url("GET", &link, None));
    let c = call(&c);
    assert_eq!(c.customer_phone.as_deref(), Some("+84912345678"));
    assert_eq!(attr(&c.attributes, "userfield"), Some("lead-9"));
    assert_eq!(attr(&c.attributes, "secret"), None);
}

#[test]
fn call_log_as_documented_is_not_json_until_userfield_is_filled() {
    let req = from_url("POST", &url(ANSWERED, "x"), Some(CALL_LOG));
    authorize(Some(SECRET), &req).unwrap();
    assert!(bad_request(&req).contains("invalid JSON"));
}

#[test]
fn call_log_with_a_text_userfield() {
    let body = fill(
        CALL_LOG,
        &[
            ("{callid}", "1565944170.123"),
            ("{userfield}", "\"order-77\""),
        ],
    );
    let e = one(&from_url("POST", &url(ANSWERED, ""), Some(&body)));
    assert_eq!(e.dedup_key, "answered:1565944170.123:101");
    assert_eq!(e.occurred_at, Some(CALLDATE + 23_000));
    let c = call(&e);
    assert_eq!(c.call.external_id, "1565944170.123");
    assert_eq!(c.phase, CallPhase::Summary);
    assert_eq!(c.direction, Direction::Unknown);
    assert_eq!(c.outcome, Some(CallOutcome::Answered));
    assert_eq!(c.extension.as_deref(), Some("101"));
    assert_eq!(c.customer_phone, None);
    assert_eq!((c.duration_sec, c.talk_sec), (Some(23), Some(11)));
    assert_eq!(c.started_at, Some(CALLDATE));
    assert_eq!(c.answered_at, Some(CALLDATE + 12_000));
    assert_eq!(c.ended_at, Some(CALLDATE + 23_000));
    // The document's recording is a placeholder in braces: not a link.
    assert!(c.recordings.is_empty());
    assert_eq!(
        attrs(&c.attributes),
        vec![
            ("raw.phone", "090xxxx242"),
            ("raw.recording", "{https://ip_tong_dai/link_file_ghi_am}"),
            ("userfield", "order-77"),
        ]
    );
}

#[test]
fn call_log_with_a_numeric_userfield_and_a_real_link() {
    let body = fill(
        CALL_LOG,
        &[
            ("{callid}", "c-5"),
            ("{userfield}", "12345"),
            (
                "{https://ip_tong_dai/link_file_ghi_am}",
                "https://ip_tong_dai/link_file_ghi_am",
            ),
            ("090xxxx242", "0904824242"),
        ],
    );
    let c = one(&from_url("POST", &url(ANSWERED, ""), Some(&body)));
    let c = call(&c);
    assert_eq!(c.customer_phone.as_deref(), Some("+84904824242"));
    assert_eq!(c.recordings.len(), 1);
    assert_eq!(c.recordings[0].url, "https://ip_tong_dai/link_file_ghi_am");
    assert_eq!(c.recordings[0].mime_type, None);
    assert_eq!(
        attrs(&c.attributes),
        vec![("raw.phone", "0904824242"), ("userfield", "12345")]
    );
}

#[test]
fn call_log_outcomes() {
    for (status, billsec, outcome) in [
        ("ANSWERED", "11", CallOutcome::Answered),
        ("NO ANSWER", "0", CallOutcome::NoAnswer),
        ("NO ANSER", "0", CallOutcome::NoAnswer),
        ("BUSY", "0", CallOutcome::Busy),
        ("FAILED", "0", CallOutcome::Failed),
        ("CONGESTION", "0", CallOutcome::Failed),
    ] {
        let body = fill(CALL_LOG, &[("{callid}", "c-6"), ("{userfield}", "null")])
            .replace("\"ANSWERED\"", &format!("\"{status}\""))
            .replace("\"billsec\":    11", &format!("\"billsec\":    {billsec}"));
        let e = one(&from_url("POST", &url(ANSWERED, ""), Some(&body)));
        let c = call(&e);
        assert_eq!(c.outcome, Some(outcome), "{status}");
        assert_eq!(
            c.answered_at.is_some(),
            outcome == CallOutcome::Answered,
            "{status}"
        );
        assert_eq!(attr(&c.attributes, "userfield"), None);
    }
}

#[test]
fn the_secret_is_checked() {
    let good = from_url("GET", &url(INCOMING, "c-7"), None);
    assert!(authorize(Some(SECRET), &good).is_ok());
    let wrong = from_url(
        "GET",
        &INCOMING
            .replace("{secret}", "guess")
            .replace("{callid}", "c-7"),
        None,
    );
    let missing = get(&[
        ("phone", "0904824242"),
        ("extension", "101"),
        ("callid", "c-7"),
    ]);
    for (req, needle) in [(&wrong, "wrong"), (&missing, "missing")] {
        let err = authorize(Some(SECRET), req).unwrap_err();
        assert!(
            matches!(err, ConnectorError::Unauthorized(ref m) if m.contains(needle)),
            "{err:?}"
        );
    }
    // Case matters; so does the length.
    let upper = from_url("GET", &INCOMING.replace("{secret}", "S3CR3T"), None);
    assert!(authorize(Some(SECRET), &upper).is_err());
    let longer = from_url("GET", &INCOMING.replace("{secret}", "s3cr3t!"), None);
    assert!(authorize(Some(SECRET), &longer).is_err());
    // A POST may carry it in a form body too.
    let form = request(
        "POST",
        "/incoming_call",
        &[],
        Some("application/x-www-form-urlencoded"),
        "secret=s3cr3t&phone=0904824242&extension=101&callid=c-7",
    );
    assert!(authorize(Some(SECRET), &form).is_ok());
    assert_eq!(one(&form).dedup_key, "incoming:c-7:101");
    // No secret configured: every request is refused as a configuration error.
    for configured in [None, Some("")] {
        assert!(matches!(
            authorize(configured, &good),
            Err(ConnectorError::Config(_))
        ));
    }
}

#[test]
fn bad_inputs() {
    let incoming = |q: &str| {
        from_url(
            "GET",
            &format!("https://crm/wsapi/ACME/incoming_call?secret=s3cr3t{q}"),
            None,
        )
    };
    assert!(bad_request(&incoming("&phone=0904824242&extension=101")).contains("`callid`"));
    assert!(bad_request(&incoming("&phone=0904824242&callid=c-8")).contains("`extension`"));
    assert!(bad_request(&incoming("&extension=&callid=c-8")).contains("`extension`"));
    let outgoing = from_url(
        "GET",
        "https://crm/wsapi/ACME/outgoing_call?secret=s3cr3t&phone=0904824242",
        None,
    );
    assert!(bad_request(&outgoing).contains("`callid`"));

    let mut log = json_post(r#"{"calldate":"2019-08-16 15:29:30","status":"ANSWERED"}"#);
    assert!(bad_request(&log).contains("`callid`"));
    log.body = br#"{"callid": "c-8", "duration": 23,"#.to_vec();
    assert!(bad_request(&log).contains("invalid JSON"));
    log.body = br#"["c-8"]"#.to_vec();
    assert!(bad_request(&log).contains("object"));
    log.body = Vec::new();
    assert!(bad_request(&log).contains("`callid`"));

    for path in ["/", "/hangup", "/click2call.php", "/wsapi"] {
        let mut req = get(&[("secret", SECRET), ("callid", "c-8"), ("extension", "101")]);
        req.path = path.into();
        assert!(bad_request(&req).contains("unknown event path"), "{path}");
    }
}

#[test]
fn the_reply() {
    let r = reply();
    assert_eq!(r.status, 200);
    assert_eq!(
        attrs(&r.headers),
        vec![("content-type", "application/json")]
    );
    assert_eq!(r.body, br#"{"status":"ok"}"#);
}

#[test]
fn click_to_call_as_documented() {
    use crate::Settings;
    use crate::click_to_call::request as c2c;
    let settings = Settings {
        customer: Some("ACME".into()),
        pbx_url: Some("https://pbx.example.vn".into()),
        ..vietnam()
    };
    let dial = DialRequest {
        extension: Some("101".into()),
        user_id: None,
        phone: "+84904824242".into(),
        userfield: Some("your-custom-call-id".into()),
    };
    let r = c2c(&settings, SECRET, "101", &dial).unwrap();
    let want = fill(
        CLICK2CALL,
        &[
            ("{ip_tong_dai}", "pbx.example.vn"),
            ("{customer}", "ACME"),
            ("{secret}", SECRET),
            ("{extension}", "101"),
            ("{phone}", "0904824242"),
            ("{userfield}", "your-custom-call-id"),
        ],
    );
    assert_eq!((r.method, r.url.as_str()), ("GET", want.as_str()));
}
