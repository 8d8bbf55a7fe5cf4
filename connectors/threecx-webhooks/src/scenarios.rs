//! Whole requests in the shapes of the vendor document, through [`parse`].

use switchboard_sdk::prelude::*;

use crate::test_support::{attr, form, get, json, moscow};
use crate::{authorize, parse};

/// 2021-07-01 16:56:49 Moscow time, from the id `210701165649_…`.
const STARTED_AT: i64 = 1_625_158_609_000 - 3 * 3_600_000;

fn one(request: &HttpRequest) -> Event {
    let mut events = parse(request, &moscow()).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn call(event: &Event) -> &CallEvent {
    match &event.body {
        EventBody::Call(c) => c,
        other => panic!("not a call event: {other:?}"),
    }
}

fn recordings(event: &Event) -> &RecordingsEvent {
    match &event.body {
        EventBody::Recordings(r) => r,
        other => panic!("not a recordings event: {other:?}"),
    }
}

fn bad_request(request: &HttpRequest) -> String {
    match parse(request, &moscow()) {
        Err(ConnectorError::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

fn ringing(user: &str) -> HttpRequest {
    get(&[
        ("event", "ringing"),
        ("callerid", "89161234567"),
        ("did", "74951343060"),
        ("user", user),
        ("usertype", "ext"),
        ("id", "210701165649_698-0"),
    ])
}

#[test]
fn queue_rings_two_agents_with_one_id() {
    let a = one(&ringing("101"));
    let b = one(&ringing("102"));
    assert_eq!(a.dedup_key, "ringing:210701165649_698-0:101");
    assert_eq!(b.dedup_key, "ringing:210701165649_698-0:102");
    let (ca, cb) = (call(&a), call(&b));
    assert_eq!(ca.call.chain_id, "210701165649_698");
    assert_eq!(ca.call.chain_id, cb.call.chain_id);
    assert_eq!((ca.call.leg, ca.phase), (0, CallPhase::Ringing));
    assert_eq!(ca.direction, Direction::Inbound);
    assert_eq!(ca.customer_phone.as_deref(), Some("+79161234567"));
    assert_eq!(ca.did.as_deref(), Some("+74951343060"));
    assert_eq!(
        (ca.extension.as_deref(), cb.extension.as_deref()),
        (Some("101"), Some("102"))
    );
    assert_eq!(ca.started_at, Some(STARTED_AT));
}

#[test]
fn ringing_at_the_queue_itself() {
    let mut req = ringing("800");
    req.query
        .iter_mut()
        .filter(|p| p.name == "usertype")
        .for_each(|p| p.value = "queue".into());
    assert_eq!(call(&one(&req)).extension_kind, EndpointKind::Queue);
}

#[test]
fn internal_caller_makes_an_internal_call() {
    let c = one(&get(&[
        ("event", "ringing"),
        ("callerid", "105"),
        ("user", "101"),
        ("id", "210701165649_700-0"),
    ]));
    let c = call(&c);
    assert_eq!(c.direction, Direction::Internal);
    assert_eq!(c.customer_phone, None);
    assert_eq!(attr(&c.attributes, "internal.callerid"), Some("105"));
}

#[test]
fn call_started_by_blind_transfer_on_leg_two() {
    let e = one(&get(&[
        ("event", "hangupincoming"),
        ("callerid", "+79161234567"),
        ("user", "102"),
        ("did", "74951343060"),
        ("trtype", "Blind"),
        ("id", "210701165649_698-2"),
    ]));
    assert_eq!(e.dedup_key, "answered:210701165649_698-2:102");
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Answered);
    assert_eq!(c.direction, Direction::Inbound);
    assert_eq!(c.transfer, TransferKind::Blind);
    assert_eq!(
        (c.call.chain_id.as_str(), c.call.leg),
        ("210701165649_698", 2)
    );
    assert_eq!(c.started_at, Some(STARTED_AT));
}

#[test]
fn outgoing_call_started_attended() {
    let e = one(&get(&[
        ("event", "hangupoutgoing"),
        ("callerid", "84951112233"),
        ("user", "101"),
        ("trtype", "Accomp"),
        ("id", "210701170000_701-1"),
    ]));
    let c = call(&e);
    assert_eq!(
        (c.direction, c.transfer),
        (Direction::Outbound, TransferKind::Attended)
    );
    assert_eq!(c.did, None);
}

#[test]
fn call_ended_missed_at_queue_level() {
    let e = one(&form(
        "event=incoming&callerid=89161234567&user=800&did=74951343060&finishtype=Missed&transfer=false\
         &title=%D0%9F%D1%80%D0%BE%D0%BF%D1%83%D1%89%D0%B5%D0%BD%D0%BD%D1%8B%D0%B9&id=210701165649_698-0",
    ));
    assert_eq!(e.dedup_key, "ended:210701165649_698-0:800");
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Ended);
    assert_eq!(c.outcome, Some(CallOutcome::Missed));
    assert!(!c.transferred);
    assert_eq!(c.extension.as_deref(), Some("800"));
    assert_eq!(c.duration_sec, None);
    assert_eq!(attr(&c.attributes, "title"), Some("Пропущенный"));
}

/// The seed: an outgoing call ends `Missed` when "no one picked up the
/// phone at the other end": no answer, not a call we missed.
#[test]
fn an_outgoing_call_nobody_picked_up_is_no_answer() {
    let e = one(&form(
        "event=outgoing&callerid=89161234567&user=101&finishtype=Missed&transfer=false&id=210701165649_699-0",
    ));
    let c = call(&e);
    assert_eq!(c.direction, Direction::Outbound);
    assert_eq!(c.outcome, Some(CallOutcome::NoAnswer));
}

#[test]
fn call_ended_by_transfer() {
    let e = one(&form(
        "event=incoming&callerid=89161234567&user=101&did=74951343060&finishtype=Ok&transfer=true\
         &title=Main+line%2C+duration+00%3A01%3A05&id=210701165649_698-1",
    ));
    let c = call(&e);
    assert_eq!(c.outcome, Some(CallOutcome::Answered));
    assert!(c.transferred);
    assert_eq!(c.duration_sec, Some(65));
    assert_eq!(c.call.leg, 1);
}

#[test]
fn recording_post_with_two_links() {
    let e = one(&json(
        r#"{"event": "recording", "id": "210701165649_698-1",
            "FileUrls": ["https://pbx.example:5001/webapi/recording/a.mp3",
                         "https://pbx.example:5001/webapi/recording/b.mp3"]}"#,
    ));
    let r = recordings(&e);
    assert_eq!(r.call.chain_id, "210701165649_698");
    let urls: Vec<&str> = r.recordings.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://pbx.example:5001/webapi/recording/a.mp3",
            "https://pbx.example:5001/webapi/recording/b.mp3"
        ]
    );
    assert!(
        r.recordings
            .iter()
            .all(|l| l.mime_type.as_deref() == Some("audio/mpeg"))
    );
    assert!(r.details.is_none());
    assert_eq!(
        e.dedup_key,
        "recordings:210701165649_698-1:https://pbx.example:5001/webapi/recording/a.mp3 \
         https://pbx.example:5001/webapi/recording/b.mp3"
    );
}

#[test]
fn recording_post_with_full_call_info() {
    let e = one(&form(
        "event=record&url=https%3A%2F%2Fpbx%2Frec%2Fc.mp3&callerid=89161234567&user=101&did=74951343060\
         &finishtype=Ok&transfer=false&title=t&direction=incoming&id=210701165649_698-1",
    ));
    let r = recordings(&e);
    assert_eq!(r.recordings.len(), 1);
    let d = r.details.as_ref().unwrap();
    assert_eq!(d.phase, CallPhase::Ended);
    assert_eq!(d.direction, Direction::Inbound);
    assert_eq!(d.outcome, Some(CallOutcome::Answered));
    assert_eq!(d.customer_phone.as_deref(), Some("+79161234567"));
    assert_eq!(d.recordings.len(), 1);
    assert_eq!(
        attr(&d.attributes, "url"),
        None,
        "the link is not repeated as an attribute"
    );
}

#[test]
fn recording_post_that_repeats_the_ended_event() {
    let events = parse(
        &form("event=outgoing&callerid=84951112233&user=101&finishtype=Ok&transfer=false&links=https://pbx/x.mp3&id=5"),
        &moscow(),
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].dedup_key, "ended:5:101");
    let r = recordings(&events[1]);
    assert_eq!(
        r.details.as_ref().map(|d| d.direction),
        Some(Direction::Outbound)
    );
    // Malformed id: a single-leg call, not an error.
    assert_eq!((r.call.chain_id.as_str(), r.call.leg), ("5", 0));
}

#[test]
fn recording_post_without_event_name() {
    let e = one(&json(
        r#"{"chid": "210701165649_698-1", "FILES": "https://pbx/a.mp3"}"#,
    ));
    assert_eq!(recordings(&e).call.leg, 1);
}

#[test]
fn analytics_post() {
    let e = one(&json(
        r#"{"event": "analytics", "id": "210701165649_698-1",
            "text": "— Добрый день! — Здравствуйте, мне нужен счёт.", "summary": "Клиент просит счёт.",
            "sentiment": 0.7}"#,
    ));
    assert_eq!(e.dedup_key, "analysis:210701165649_698-1");
    let EventBody::Analysis(a) = &e.body else {
        panic!("not analysis: {e:?}")
    };
    assert_eq!(a.call.chain_id, "210701165649_698");
    assert_eq!(
        a.transcript.as_deref(),
        Some("— Добрый день! — Здравствуйте, мне нужен счёт.")
    );
    assert_eq!(a.summary.as_deref(), Some("Клиент просит счёт."));
    assert_eq!(attr(&a.attributes, "sentiment"), Some("0.7"));
}

#[test]
fn status_event() {
    let req = get(&[("event", "queue_login"), ("user", "101"), ("queue", "800")]);
    let e = one(&req);
    assert_eq!(e.dedup_key, "agent:queue-login:queue=800&user=101");
    let EventBody::Agent(a) = &e.body else {
        panic!("not agent: {e:?}")
    };
    assert_eq!(a.kind, AgentEventKind::QueueLogin);
    assert_eq!(
        (a.extension.as_deref(), a.queue.as_deref()),
        (Some("101"), Some("800"))
    );

    let fwd = one(&get(&[
        ("event", "extension_status"),
        ("user", "101"),
        ("status", "DND"),
    ]));
    let EventBody::Agent(a) = &fwd.body else {
        panic!("not agent: {fwd:?}")
    };
    assert_eq!(
        (a.kind, a.status.as_deref()),
        (AgentEventKind::Forwarding, Some("DND"))
    );
    let away = one(&get(&[
        ("event", "extension_status"),
        ("user", "101"),
        ("status", "Away"),
    ]));
    assert_ne!(fwd.dedup_key, away.dedup_key);
}

#[test]
fn status_event_with_a_time() {
    let e = one(&get(&[
        ("event", "extension_removed"),
        ("user", "105"),
        ("time", "2021-07-01 17:00:00"),
    ]));
    assert_eq!(e.occurred_at, Some(1_625_158_800_000 - 3 * 3_600_000));
}

#[test]
fn query_form_and_json_give_the_same_events() {
    let query = get(&[
        ("event", "hangupincoming"),
        ("callerid", "89161234567"),
        ("user", "101"),
        ("did", "74951343060"),
        ("trtype", "NotDef"),
        ("id", "210701165649_698-1"),
    ]);
    let body = form(
        "event=hangupincoming&callerid=89161234567&user=101&did=74951343060&trtype=NotDef&id=210701165649_698-1",
    );
    let json = json(
        r#"{"event": "hangupincoming", "callerid": "89161234567", "user": "101", "did": "74951343060",
            "trtype": "NotDef", "id": "210701165649_698-1"}"#,
    );
    let expected = format!("{:?}", parse(&query, &moscow()).unwrap());
    assert!(
        expected.contains("answered:210701165649_698-1:101"),
        "{expected}"
    );
    assert_eq!(format!("{:?}", parse(&body, &moscow()).unwrap()), expected);
    assert_eq!(format!("{:?}", parse(&json, &moscow()).unwrap()), expected);
}

#[test]
fn capitalised_json_keys() {
    let e = one(&json(
        r#"{"ringing": {"Callerid": "89161234567", "User": "101", "Usertype": "Ext", "Did": "", "Id": "210701165649_698-0"}}"#,
    ));
    assert_eq!(e.dedup_key, "ringing:210701165649_698-0:101");
    assert_eq!(call(&e).customer_phone.as_deref(), Some("+79161234567"));
    assert_eq!(call(&e).did, None);
}

#[test]
fn retries_collide_and_distinct_events_do_not() {
    let requests = [
        ringing("101"),
        get(&[
            ("event", "hangupincoming"),
            ("user", "101"),
            ("id", "210701165649_698-1"),
        ]),
        get(&[
            ("event", "incoming"),
            ("user", "101"),
            ("finishtype", "Ok"),
            ("id", "210701165649_698-1"),
        ]),
        get(&[
            ("event", "recording"),
            ("id", "210701165649_698-1"),
            ("url", "https://pbx/b.mp3,https://pbx/a.mp3"),
        ]),
        get(&[
            ("event", "analytics"),
            ("id", "210701165649_698-1"),
            ("summary", "s"),
        ]),
        get(&[("event", "queue_logout"), ("user", "101"), ("queue", "800")]),
    ];
    let first: Vec<String> = requests.iter().map(|r| one(r).dedup_key).collect();
    let retry: Vec<String> = requests.iter().map(|r| one(r).dedup_key).collect();
    assert_eq!(first, retry);
    let mut unique = first.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first.len(), "{first:?}");
    // The same links in another order are the same recordings.
    let reordered = get(&[
        ("event", "recording"),
        ("id", "210701165649_698-1"),
        ("url", "https://pbx/a.mp3"),
        ("url", "https://pbx/b.mp3"),
    ]);
    assert_eq!(one(&reordered).dedup_key, first[3]);
}

#[test]
fn unknown_event_and_missing_id_are_bad_requests() {
    assert!(bad_request(&get(&[("event", "hangup"), ("id", "1")])).contains("`hangup`"));
    assert!(bad_request(&get(&[("event", "ringing"), ("user", "101")])).contains("id"));
    assert!(bad_request(&get(&[("event", "incoming"), ("finishtype", "Ok")])).contains("id"));
    assert!(bad_request(&get(&[("user", "101")])).contains("event"));
}

#[test]
fn token_is_checked_and_never_stored() {
    let mut req = ringing("101");
    req.query.push(Pair {
        name: "token".into(),
        value: "s3cret".into(),
    });
    assert!(authorize(Some("s3cret"), &req).is_ok());
    assert!(authorize(None, &req).is_ok());
    assert!(matches!(
        authorize(Some("other"), &req),
        Err(ConnectorError::Unauthorized(_))
    ));
    assert!(matches!(
        authorize(Some("s3cret"), &ringing("101")),
        Err(ConnectorError::Unauthorized(_))
    ));
    assert!(authorize(Some(""), &ringing("101")).is_ok());
    assert!(!format!("{:?}", parse(&req, &moscow()).unwrap()).contains("s3cret"));
}
