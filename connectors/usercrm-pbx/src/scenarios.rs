//! Whole messages from the seed, through the connector as the host would
//! drive it: [`accept`] then [`respond`] with a directory in memory, and the
//! call-control request bodies against the seed's.

use serde_json::{Value, json};
use switchboard_sdk::prelude::*;

use crate::seed;
use crate::test_support::{
    FakeDirectory, attr, attrs, contact, installation, json_body, post, seed_json, user, with_auth,
};
use crate::{Inbound, Settings, accept, commands, history, respond};

const KEY: &str = "crm-key-1";
const BEARER: &str = "Bearer crm-key-1";

/// Accepts and answers `body` sent with the right key, PBX in Russia.
fn exchange(body: &str, directory: &FakeDirectory) -> IngestReply {
    let inbound = accept(Some(KEY), &with_auth(body, BEARER), &installation(&[])).unwrap();
    respond(inbound, directory)
}

/// One seed event (Python notation) through the connector: its reply and
/// its only event.
fn event(python: &str) -> (Value, Event) {
    let reply = exchange(&seed_json(python), &FakeDirectory::default());
    assert_eq!(reply.response.status, 200);
    let mut events = reply.events;
    assert_eq!(events.len(), 1, "{events:?}");
    (json_body(&reply.response), events.remove(0))
}

fn call(event: &Event) -> &CallEvent {
    match &event.body {
        EventBody::Call(c) => c,
        other => panic!("not a call event: {other:?}"),
    }
}

fn agent(event: &Event) -> &AgentEvent {
    match &event.body {
        EventBody::Agent(a) => a,
        other => panic!("not an agent event: {other:?}"),
    }
}

/// The seed's JSON with `action_id` added after `obj`, as we echo it.
fn with_action_id(seed_reply: &str, action_id: &str) -> Value {
    let mut value: Value = serde_json::from_str(seed_reply).unwrap();
    value["action_id"] = json!(action_id);
    value
}

fn parse_err(body: &str) -> ConnectorError {
    accept(Some(KEY), &with_auth(body, BEARER), &installation(&[])).unwrap_err()
}

// ---- questions ----

#[test]
fn test_as_the_seed_sends_it_without_a_key() {
    let inbound = accept(Some(KEY), &post(seed::TEST_REQUEST), &installation(&[])).unwrap();
    let directory = FakeDirectory::default();
    let reply = respond(inbound, &directory);
    assert_eq!(reply.response.status, 200);
    assert_eq!(
        find(&reply.response.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        json_body(&reply.response),
        with_action_id(seed::TEST_REPLY, "123")
    );
    assert!(reply.events.is_empty());
    assert!(directory.asked.borrow().is_empty());
}

#[test]
fn test_with_the_key() {
    let reply = exchange(seed::TEST_REQUEST, &FakeDirectory::default());
    assert_eq!(
        json_body(&reply.response),
        with_action_id(seed::TEST_REPLY, "123")
    );
}

#[test]
fn get_users_answers_the_seed_reply() {
    let directory = FakeDirectory {
        users: vec![
            user("1", "Менеджер Рита", Some("1004")),
            user("2", "Менеджер Иван", None),
        ],
        ..Default::default()
    };
    let reply = exchange(seed::GET_USERS_REQUEST, &directory);
    assert_eq!(
        json_body(&reply.response),
        with_action_id(seed::GET_USERS_REPLY, "123")
    );
    assert!(reply.events.is_empty());
    assert_eq!(*directory.asked.borrow(), ["users"]);
}

#[test]
fn get_users_needs_the_key() {
    for request in [
        post(seed::GET_USERS_REQUEST),
        with_auth(seed::GET_USERS_REQUEST, "Bearer wrong"),
    ] {
        let err = accept(Some(KEY), &request, &installation(&[])).unwrap_err();
        assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
    }
}

#[test]
fn get_contact_as_printed_is_not_json() {
    // The seed's example lacks the comma between `phone` and `e164_phone`.
    let err = parse_err(seed::GET_CONTACT_REQUEST);
    assert!(
        matches!(err, ConnectorError::BadRequest(ref m) if m.contains("invalid JSON")),
        "{err:?}"
    );
}

/// The seed's `get_contact` with its missing comma put back.
fn get_contact_request() -> String {
    let fixed = seed::GET_CONTACT_REQUEST.replace(
        "\"phone\": \"4951343060\"\n",
        "\"phone\": \"4951343060\",\n",
    );
    assert_ne!(fixed, seed::GET_CONTACT_REQUEST);
    fixed
}

#[test]
fn get_contact_answers_the_seed_reply() {
    let mut company = contact("1", ContactKind::Company, "Компания", Some("rita"));
    company.phones = vec!["+74951343060".into()];
    let mut person = contact("2", ContactKind::Contact, "Петров АА", Some("rita"));
    person.company_id = Some("1".into());
    person.company_name = Some("Компания".into());
    let directory = FakeDirectory {
        users: vec![user("rita", "Менеджер Рита", Some("1004"))],
        // The host returns them in its own order; companies come first.
        contacts: vec![("+74951343060".into(), vec![person, company])],
        ..Default::default()
    };
    let reply = exchange(&get_contact_request(), &directory);
    assert_eq!(json_body(&reply.response), seed_contact_reply());
    assert!(reply.events.is_empty());
    assert_eq!(
        *directory.asked.borrow(),
        ["contacts +74951343060", "users"]
    );
}

/// The seed's `get_contact` reply made JSON: its `<- …` and `- …` comments
/// and trailing comma dropped, `company_id`/`company_name` each given its
/// own value (the company's `id` and `name`; the seed swaps them), and the
/// echoed `action_id` added.
fn seed_contact_reply() -> Value {
    let mut text = String::new();
    for line in seed::GET_CONTACT_REPLY.lines() {
        let line = line.split(" <-").next().unwrap_or(line);
        let line = line.split(" - ").next().unwrap_or(line);
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let text = text.replace("},\n    ]", "}\n    ]");
    let mut value: Value = serde_json::from_str(&text).unwrap();
    let company = value["list"][0].clone();
    let person = &mut value["list"][1];
    assert_eq!(
        (&person["company_id"], &person["company_name"]),
        (&json!("Компания"), &json!("1"))
    );
    person["company_id"] = company["id"].clone();
    person["company_name"] = company["name"].clone();
    value["action_id"] = json!("123");
    assert_eq!(
        value,
        json!({
            "obj": "UserCRM", "action": "get_contact", "action_id": "123",
            "code": 200,
            "list": [
                {"name": "Компания", "id": 1, "type": "company", "owner_id": 1004},
                {"name": "Петров АА", "id": 2, "type": "contact",
                 "company_id": 1, "company_name": "Компания", "owner_id": 1004},
            ]
        })
    );
    value
}

#[test]
fn get_contact_with_only_the_national_number() {
    let body = r#"{"action": "get_contact", "obj": "UserCRM", "action_id": "9",
                   "params": {"phone": "4951343060"}}"#;
    let directory = FakeDirectory {
        contacts: vec![(
            "+74951343060".into(),
            vec![contact("c-7f3a", ContactKind::Contact, "Петров АА", None)],
        )],
        ..Default::default()
    };
    let reply = exchange(body, &directory);
    assert_eq!(
        json_body(&reply.response),
        json!({"obj": "UserCRM", "action": "get_contact", "action_id": "9", "code": 200,
               "list": [{"name": "Петров АА", "id": "c-7f3a", "type": "contact",
                         "company_id": null, "company_name": null, "owner_id": null}]})
    );
    // No owner: the user list is not needed.
    assert_eq!(*directory.asked.borrow(), ["contacts +74951343060"]);
}

#[test]
fn get_contact_nobody_found() {
    let directory = FakeDirectory::default();
    let reply = exchange(&get_contact_request(), &directory);
    assert_eq!(
        json_body(&reply.response),
        json!({"obj": "UserCRM", "action": "get_contact", "action_id": "123", "code": 200,
               "list": []})
    );
    assert_eq!(*directory.asked.borrow(), ["contacts +74951343060"]);
}

#[test]
fn get_contact_without_a_number_is_a_bad_request() {
    let err = parse_err(r#"{"action": "get_contact", "obj": "UserCRM", "params": {}}"#);
    assert!(
        matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`params.phone`")),
        "{err:?}"
    );
}

// ---- events ----

#[test]
fn user_change() {
    let (reply, e) = event(seed::USER_CHANGE);
    assert_eq!(
        reply,
        json!({"action": "user_change", "obj": "UserCRM",
               "action_id": "73913ae3-3051-41bc-8bee-c2c689072a96",
               "code": 200, "body": {"success": true}})
    );
    assert_eq!(
        e.dedup_key,
        "user_change:73913ae3-3051-41bc-8bee-c2c689072a96:9022"
    );
    assert_eq!(e.occurred_at, None);
    let a = agent(&e);
    assert_eq!(a.kind, AgentEventKind::Status);
    assert_eq!(a.extension.as_deref(), Some("9022"));
    assert_eq!(a.user_id.as_deref(), Some("3"));
    assert_eq!(a.status.as_deref(), Some("1"));
    assert_eq!(a.queue, None);
    assert_eq!(
        attrs(&a.attributes),
        [
            ("action_id", "73913ae3-3051-41bc-8bee-c2c689072a96"),
            ("protocol", "0")
        ]
    );
}

#[test]
fn agent_change() {
    let (reply, e) = event(seed::AGENT_CHANGE);
    assert_eq!(reply["action"], json!("agent_change"));
    assert_eq!(
        e.dedup_key,
        "agent_change:69dba658-a137-468b-be78-96d1965064c8:1022"
    );
    let a = agent(&e);
    assert_eq!(a.kind, AgentEventKind::AgentStatus);
    assert_eq!(a.extension.as_deref(), Some("1022"));
    assert_eq!(a.user_id.as_deref(), Some("2"));
    assert_eq!(a.status.as_deref(), Some("В работе"));
    assert_eq!(
        attrs(&a.attributes),
        [
            ("action_id", "69dba658-a137-468b-be78-96d1965064c8"),
            ("base_status", "-1"),
            ("extra_status", "1")
        ]
    );
}

const CALL: &str = "7c97ce9e-97aa-4549-9a92-e0d63f570db8";
const SESSION: &str = "93758923-1664-44eb-ae6c-59b27c53b805";
const CALL_ACTION_ID: &str = "1b9b58c9-1787-4f80-8e39-8d2affac90d3";

/// What ringing, answer and hangup of the seed's call share.
fn assert_seed_call(c: &CallEvent) {
    assert_eq!(c.call.external_id, CALL);
    assert_eq!(c.call.chain_id, SESSION);
    assert_eq!(c.call.leg, 0);
    assert_eq!(c.direction, Direction::Outbound);
    assert_eq!(c.extension.as_deref(), Some("9022"));
    assert_eq!(c.extension_kind, EndpointKind::Extension);
    assert_eq!(c.user_id.as_deref(), Some("3"));
    assert_eq!(c.customer_phone.as_deref(), Some("+74952523060"));
    assert_eq!(attr(&c.attributes, "action_id"), Some(CALL_ACTION_ID));
    assert_eq!(attr(&c.attributes, "session_id"), Some(SESSION));
    assert_eq!(attr(&c.attributes, "direction"), Some("0"));
}

#[test]
fn call_ringing() {
    let (reply, e) = event(seed::CALL_RINGING);
    assert_eq!(
        reply,
        json!({"action": "call_ringing", "obj": "UserCRM", "action_id": CALL_ACTION_ID,
               "code": 200, "body": {"success": true}})
    );
    assert_eq!(
        e.dedup_key,
        format!("call_ringing:{CALL_ACTION_ID}:{CALL}:9022")
    );
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Ringing);
    assert_seed_call(c);
    assert_eq!(c.did.as_deref(), Some("+74951343060"));
    assert_eq!(c.outcome, None);
    assert_eq!(
        attrs(&c.attributes),
        [
            ("action_id", CALL_ACTION_ID),
            ("session_id", SESSION),
            ("direction", "0"),
            ("raw.rt_vars.gateway_number", "74951343060"),
        ]
    );
}

#[test]
fn call_answer() {
    let (_, e) = event(seed::CALL_ANSWER);
    assert_eq!(
        e.dedup_key,
        format!("call_answer:{CALL_ACTION_ID}:{CALL}:9022")
    );
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Answered);
    assert_seed_call(c);
    assert_eq!(c.did.as_deref(), Some("+74951343060"));
}

#[test]
fn call_hangup() {
    let (_, e) = event(seed::CALL_HANGUP);
    assert_eq!(
        e.dedup_key,
        format!("call_hangup:{CALL_ACTION_ID}:{CALL}:9022")
    );
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Ended);
    assert_seed_call(c);
    assert_eq!(c.hangup_cause.as_deref(), Some("NORMAL_CLEARING"));
    assert_eq!(c.outcome, Some(CallOutcome::Answered));
    assert_eq!(c.did, None);
    // answersec is time to answer, not talk time.
    assert_eq!(c.talk_sec, None);
    assert_eq!(attr(&c.attributes, "variable_answersec"), Some("9"));
}

#[test]
fn cdr_append() {
    let (reply, e) = event(seed::CDR_APPEND);
    assert_eq!(reply["action"], json!("cdr_append"));
    assert_eq!(
        reply["action_id"],
        json!("6ce285e6-c704-4857-a64a-510aa8c3cb40")
    );
    assert_eq!(e.dedup_key, "cdr_append:112666");
    let c = call(&e);
    assert_eq!(c.phase, CallPhase::Summary);
    assert_eq!(c.call.external_id, "5548f6ab-efab-4dd9-843b-c53f50a5506a");
    assert_eq!(c.call.chain_id, "5548f6ab-efab-4dd9-843b-c53f50a5506a");
    // 2021-10-04 07:36:52 UTC
    assert_eq!(c.started_at, Some(1_633_333_012_000));
    assert_eq!(c.ended_at, Some(1_633_333_026_000));
    assert_eq!(c.answered_at, Some(1_633_333_023_000));
    assert_eq!(e.occurred_at, Some(1_633_333_026_000));
    assert_eq!((c.duration_sec, c.talk_sec), (Some(14), Some(3)));
    assert_eq!(c.direction, Direction::Outbound);
    assert_eq!(c.extension.as_deref(), Some("9022"));
    assert_eq!(c.customer_phone.as_deref(), Some("+74952523060"));
    assert_eq!(c.did.as_deref(), Some("+74951343060"));
    assert_eq!(c.hangup_cause.as_deref(), Some("NORMAL_CLEARING"));
    assert_eq!(c.outcome, Some(CallOutcome::Answered));
    assert_eq!(c.user_id, None);
    assert_eq!(c.recordings.len(), 1);
    assert_eq!(
        c.recordings[0].url,
        "https://pbx.runtel.org/get_file?file=onWde..."
    );
    assert_eq!(
        attrs(&c.attributes),
        [
            ("action_id", "6ce285e6-c704-4857-a64a-510aa8c3cb40"),
            ("id", "112666"),
            ("direction", "0"),
            ("cc_queue_waiting_time", "0"),
            ("dial_status", "0"),
            ("gateway", "Test1"),
            ("geo_ids", "..."),
            ("geo_names", "..."),
            ("hold_accum_seconds", "0"),
            ("lastapp", "bind_digit_action"),
            (
                "lastdata",
                "office.runtel.org,~%5C*1,exec%3Aexecute_extension,*1%20XML%20office.runtel.org,a"
            ),
            ("project_id", "0"),
            ("project_name", ""),
            ("rec_path", "office.runtel.org/2021-10-04/"),
        ]
    );
}

const HELD_CALL: &str = "d319b916-e987-4c0f-9b08-b915a72526fb";
const HOLD_ACTION_ID: &str = "4a9e14e4-cc87-4ec0-958d-4a36230ecd52";

#[test]
fn call_held_and_active() {
    for (python, action, phase) in [
        (seed::CALL_HELD, "call_held", CallPhase::Held),
        (seed::CALL_ACTIVE, "call_active", CallPhase::Resumed),
    ] {
        let (reply, e) = event(python);
        assert_eq!(reply["action"], json!(action));
        assert_eq!(
            e.dedup_key,
            format!("{action}:{HOLD_ACTION_ID}:{HELD_CALL}:9022")
        );
        let c = call(&e);
        assert_eq!(c.phase, phase);
        assert_eq!(c.call.external_id, HELD_CALL);
        assert_eq!(c.call.chain_id, HELD_CALL);
        assert_eq!(c.extension.as_deref(), Some("9022"));
        assert_eq!(c.user_id.as_deref(), Some("3"));
        assert_eq!(c.customer_phone.as_deref(), Some("+79066800404"));
        assert_eq!(c.direction, Direction::Outbound);
        assert_eq!(c.outcome, None);
        assert_eq!(
            attrs(&c.attributes),
            [
                ("action_id", HOLD_ACTION_ID),
                ("session_id", HELD_CALL),
                ("direction", "0"),
            ]
        );
    }
}

#[test]
fn every_seed_event_has_its_own_key_and_retries_repeat_it() {
    let all = [
        seed::USER_CHANGE,
        seed::AGENT_CHANGE,
        seed::CALL_RINGING,
        seed::CALL_ANSWER,
        seed::CALL_HANGUP,
        seed::CDR_APPEND,
        seed::CALL_HELD,
        seed::CALL_ACTIVE,
    ];
    let keys: Vec<String> = all.iter().map(|p| event(p).1.dedup_key).collect();
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(keys.iter().filter(|k| *k == key).count(), 1, "{key}");
        assert_eq!(event(all[i]).1.dedup_key, *key, "retry of {key}");
    }
}

#[test]
fn direction_codes_follow_the_setting() {
    let settings = installation(&[("directionCodes", "0=inbound,1=outbound")]);
    let request = with_auth(&seed_json(seed::CALL_RINGING), BEARER);
    let Inbound::Events { events, .. } = accept(Some(KEY), &request, &settings).unwrap() else {
        panic!("not an event");
    };
    assert_eq!(call(&events[0]).direction, Direction::Inbound);
}

#[test]
fn events_need_the_key() {
    let err = accept(
        Some(KEY),
        &post(&seed_json(seed::CALL_RINGING)),
        &installation(&[]),
    )
    .unwrap_err();
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[test]
fn events_as_printed_are_not_json() {
    // Real traffic is JSON; the seed's Python notation is refused.
    let err = parse_err(seed::CALL_RINGING);
    assert!(
        matches!(err, ConnectorError::BadRequest(ref m) if m.contains("invalid JSON")),
        "{err:?}"
    );
}

#[test]
fn seed_events_missing_their_ids_are_bad_requests() {
    let cases: [(&str, &[&str], &str); 5] = [
        (seed::CALL_RINGING, &["'call_id'"], "`body.call_id`"),
        (seed::CALL_HELD, &["'call_id'"], "`body.call_id`"),
        (
            seed::USER_CHANGE,
            &["'user_uid'", "'crm_user'"],
            "`body.user_uid`",
        ),
        (seed::CALL_HANGUP, &["'action_id'"], "`action_id`"),
        (seed::CDR_APPEND, &["'id'", "'uniqueid'"], "`body.uniqueid`"),
    ];
    for (python, fields, needle) in cases {
        // Rename the fields so they are no longer there.
        let mut text = python.to_string();
        for (i, field) in fields.iter().enumerate() {
            assert!(text.contains(field), "{field}");
            text = text.replacen(field, &format!("'renamed{i}'"), 1);
        }
        let err = parse_err(&seed_json(&text));
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains(needle)),
            "{fields:?}: {err:?}"
        );
    }
}

// ---- call control ----

const ENDPOINT: &str = "https://pbx.example.ru/integration/usercrm/";

fn seed_body(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn make_call_body_is_the_seeds() {
    let request = DialRequest {
        extension: None,
        user_id: Some("user_crm_30".into()),
        phone: "89066800404".into(),
        userfield: None,
    };
    let user = commands::crm_user_id(&request, |_| None).unwrap();
    let r = commands::make_call(ENDPOINT, "123", &user, &request.phone).unwrap();
    assert_eq!(r.url, ENDPOINT);
    assert_eq!(r.body, seed_body(seed::MAKE_CALL));
}

#[test]
fn switch_call_hold_body_is_the_seeds() {
    let request = HoldRequest {
        call_id: "725d2f5b-34e3-48df-96f4-8fa729da1098".into(),
        user_id: Some("user_crm_30".into()),
    };
    let r = commands::switch_call_hold(ENDPOINT, "123", &request).unwrap();
    assert_eq!(r.url, ENDPOINT);
    assert_eq!(r.body, seed_body(seed::SWITCH_CALL_HOLD));
}

#[test]
fn get_cdr_body_is_the_seeds() {
    let query = HistoryQuery {
        start: Some(1_633_074_025_000),
        end: Some(1_633_074_725_000),
        phones: vec!["+74951343060".into(), "+74952523060".into()],
        limit: 10,
        offset: 0,
    };
    let r = history::get_cdr(ENDPOINT, "123", &query);
    assert_eq!(r.url, ENDPOINT);
    assert_eq!(r.body, seed_body(seed::GET_CDR));
}

#[test]
fn get_cdr_rows_read_like_cdr_append() {
    let append: Value = serde_json::from_str(&seed_json(seed::CDR_APPEND)).unwrap();
    let reply = json!({"action": "get_cdr", "obj": "UserCRM", "action_id": "123",
                       "code": 200, "notifies": [], "body": [append["body"]]});
    let events = history::events(Some(&reply), &Settings::default()).unwrap();
    assert_eq!(events.len(), 1);
    let c = &events[0];
    assert_eq!(c.phase, CallPhase::Summary);
    assert_eq!(c.call.external_id, "5548f6ab-efab-4dd9-843b-c53f50a5506a");
    assert_eq!(c.customer_phone.as_deref(), Some("+74952523060"));
    assert_eq!((c.duration_sec, c.talk_sec), (Some(14), Some(3)));
    assert_eq!(c.recordings.len(), 1);
    assert_eq!(attr(&c.attributes, "id"), Some("112666"));
}
