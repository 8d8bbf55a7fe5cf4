//! The bundled 3CX webhooks connector, loaded by the host, fed the seed's
//! event shapes (seed 003): a queue call rung at two agents, answered, blind
//! transferred, ended, then two recording links and the speech analytics.

use switchboard::runtime::limits::Limits;
use switchboard::runtime::wit::since_v0_1_0::types::{
    CallPhase, ConnectorError, Direction, Event, EventBody, TransferKind,
};
use switchboard_tests::*;

async fn setup() -> (
    std::sync::Arc<switchboard::runtime::Runtime>,
    String,
    tempfile::TempDir,
) {
    let (store, dir) = sqlite_store().await;
    let rt = runtime(&store, settings());
    load(&rt, THREECX_WEBHOOKS).await;
    let business = store.create_business("pbx tenant").await.unwrap().id;
    (rt, business, dir)
}

async fn post(
    rt: &switchboard::runtime::Runtime,
    business: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> Result<Vec<Event>, ConnectorError> {
    let mut t = target(business, "threecx-webhooks", Limits::default());
    t.context.config = vec![("defaultCountryCode".into(), "7".into())];
    t.context.secrets.insert("token".into(), "tok".into());
    let mut inst = installation(business, "threecx-webhooks");
    inst.config = pairs(&[("defaultCountryCode", "7")]);
    let mut req = form("/", fields);
    if let Some(tok) = token {
        req.query = pairs(&[("token", tok)]);
    }
    let reply = rt.ingest(&t, &inst, &req).await.unwrap()?;
    assert_eq!(reply.response.status, 200);
    Ok(reply.events)
}

/// Leg 2 answered after a blind transfer; posted twice to show a vendor retry.
const CALL_STARTED: [(&str, &str); 6] = [
    ("event", "hangupincoming"),
    ("callerid", "+74951343060"),
    ("user", "103"),
    ("did", "74951343060"),
    ("trtype", "Blind"),
    ("id", "210701165649_698-2"),
];

fn call(e: &Event) -> &switchboard::runtime::wit::since_v0_1_0::types::CallEvent {
    match &e.body {
        EventBody::Call(c) => c,
        other => panic!("not a call event: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_call_with_transfer_recordings_and_analytics() {
    let (rt, b, _dir) = setup().await;
    let id0 = "210701165649_698-0";
    let mut keys = std::collections::HashSet::new();
    let mut all = Vec::new();
    for ext in ["101", "102"] {
        let ev = post(
            &rt,
            &b,
            Some("tok"),
            &[
                ("event", "ringing"),
                ("callerid", "84951343060"),
                ("did", "74951343060"),
                ("user", ext),
                ("usertype", "queue"),
                ("id", id0),
            ],
        )
        .await
        .unwrap();
        all.extend(ev);
    }
    let started = post(&rt, &b, Some("tok"), &CALL_STARTED).await.unwrap();
    all.extend(started.clone());
    let ended = post(
        &rt,
        &b,
        Some("tok"),
        &[
            ("event", "incoming"),
            ("callerid", "+74951343060"),
            ("user", "103"),
            ("did", "74951343060"),
            ("finishtype", "Ok"),
            ("transfer", "false"),
            ("title", "Incoming call"),
            ("id", "210701165649_698-2"),
        ],
    )
    .await
    .unwrap();
    all.extend(ended.clone());

    for e in &all {
        assert!(
            keys.insert(e.dedup_key.clone()),
            "dedup keys must be distinct: {}",
            e.dedup_key
        );
        assert_eq!(
            call(e).call.chain_id,
            "210701165649_698",
            "one chain for every leg"
        );
    }
    let ring = call(&all[0]);
    assert_eq!(ring.phase, CallPhase::Ringing);
    assert_eq!(
        ring.customer_phone.as_deref(),
        Some("+74951343060"),
        "8-prefixed Russian number normalised to E.164"
    );
    assert_eq!(ring.direction, Direction::Inbound);
    let answered = call(&started[0]);
    assert_eq!(
        (answered.phase, answered.transfer, answered.call.leg),
        (CallPhase::Answered, TransferKind::Blind, 2)
    );
    assert_eq!(call(&ended[0]).phase, CallPhase::Ended);

    let recs = post(
        &rt,
        &b,
        Some("tok"),
        &[
            ("event", "recording"),
            ("id", "210701165649_698-2"),
            ("url", "https://pbx.example/rec/a.mp3"),
            ("url", "https://pbx.example/rec/b.mp3"),
        ],
    )
    .await
    .unwrap();
    match &recs[0].body {
        EventBody::Recordings(r) => {
            assert_eq!(r.recordings.len(), 2);
            assert_eq!(r.recordings[0].mime_type.as_deref(), Some("audio/mpeg"));
        }
        other => panic!("{other:?}"),
    }
    let analytics = post(
        &rt,
        &b,
        Some("tok"),
        &[
            ("event", "analytics"),
            ("id", "210701165649_698-2"),
            ("text", "Здравствуйте, ..."),
            ("summary", "Клиент спросил о доставке"),
        ],
    )
    .await
    .unwrap();
    match &analytics[0].body {
        EventBody::Analysis(a) => {
            assert_eq!(a.summary.as_deref(), Some("Клиент спросил о доставке"))
        }
        other => panic!("{other:?}"),
    }

    // A vendor retry carries the same dedup key.
    let retry = post(&rt, &b, Some("tok"), &CALL_STARTED).await.unwrap();
    assert_eq!(retry[0].dedup_key, started[0].dedup_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_and_bad_payloads_are_refused() {
    let (rt, b, _dir) = setup().await;
    let ring = [
        ("event", "ringing"),
        ("callerid", "+74951343060"),
        ("user", "101"),
        ("usertype", "ext"),
        ("id", "210701165649_698-0"),
    ];
    assert!(matches!(
        post(&rt, &b, None, &ring).await,
        Err(ConnectorError::Unauthorized(_))
    ));
    assert!(matches!(
        post(&rt, &b, Some("nope"), &ring).await,
        Err(ConnectorError::Unauthorized(_))
    ));
    assert!(matches!(
        post(&rt, &b, Some("tok"), &[("event", "teleport"), ("id", "1")]).await,
        Err(ConnectorError::BadRequest(_))
    ));
    assert!(matches!(
        post(
            &rt,
            &b,
            Some("tok"),
            &[("event", "ringing"), ("user", "101")]
        )
        .await,
        Err(ConnectorError::BadRequest(_))
    ));
}
