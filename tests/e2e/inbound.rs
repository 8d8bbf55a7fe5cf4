//! Inbound webhooks through the real server: the integrations API, the
//! `/hooks` route, durable storage before the 2xx, dedup of retries, the call
//! fold (one call from a queue → answer → blind transfer → hangup →
//! recordings → analytics sequence, the same whatever the arrival order),
//! and every bad-input case storing nothing. On SQLite and, when configured,
//! PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_tests::app::{Reply, TestApp, reply};

const CHAIN: &str = "210701165649_698";

/// One vendor request: method, path below the hook, query, JSON body.
#[derive(Clone, Debug)]
struct Hit {
    query: Vec<(&'static str, String)>,
    json: Option<Value>,
}

fn get(q: &[(&'static str, &str)]) -> Hit {
    Hit {
        query: q.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        json: None,
    }
}

/// The document's sequence: the queue (leg 0) rings agents 101 and 102 with
/// one id (leg 1), 101 answers, then blind-transfers to 103 (leg 2), who
/// hangs up; two recording links arrive later, then the analytics.
fn scenario() -> Vec<Hit> {
    let common =
        |event: &'static str, user: &'static str, leg: u32| -> Vec<(&'static str, String)> {
            vec![
                ("event", event.to_owned()),
                ("callerid", "89161234567".to_owned()),
                ("did", "74951343060".to_owned()),
                ("user", user.to_owned()),
                ("id", format!("{CHAIN}-{leg}")),
            ]
        };
    let with = |mut base: Vec<(&'static str, String)>, extra: &[(&'static str, &str)]| {
        base.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        Hit {
            query: base,
            json: None,
        }
    };
    vec![
        with(common("ringing", "800", 0), &[("usertype", "queue")]),
        with(common("ringing", "101", 1), &[("usertype", "ext")]),
        with(common("ringing", "102", 1), &[("usertype", "ext")]),
        with(common("hangupincoming", "101", 1), &[("trtype", "NotDef")]),
        with(
            common("incoming", "800", 0),
            &[
                ("finishtype", "Ok"),
                ("transfer", "true"),
                ("title", "queue"),
            ],
        ),
        with(common("ringing", "103", 2), &[("usertype", "ext")]),
        with(
            common("incoming", "101", 1),
            &[
                ("finishtype", "Ok"),
                ("transfer", "true"),
                ("title", "Main line, duration 00:01:05"),
            ],
        ),
        with(common("hangupincoming", "103", 2), &[("trtype", "Blind")]),
        with(
            common("incoming", "103", 2),
            &[
                ("finishtype", "Ok"),
                ("transfer", "false"),
                ("title", "Main line, duration 00:02:00"),
            ],
        ),
        Hit {
            query: vec![],
            json: Some(json!({"event": "recording", "id": format!("{CHAIN}-1"),
                "FileUrls": ["https://pbx.example:5001/rec/a.mp3", "https://pbx.example:5001/rec/b.mp3"]})),
        },
        Hit {
            query: vec![],
            json: Some(json!({"event": "analytics", "id": format!("{CHAIN}-2"),
                "text": "— Добрый день! — Здравствуйте, мне нужен счёт.",
                "summary": "Клиент просит счёт."})),
        },
    ]
}

async fn send(app: &TestApp, hook: &str, hit: &Hit) -> Reply {
    let mut req = app.client.post(hook).query(&hit.query);
    if let Some(body) = &hit.json {
        req = req.json(body);
    }
    reply(req.send().await.unwrap()).await
}

async fn create_3cx(app: &TestApp, secrets: Value) -> Value {
    let r = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "Office PBX",
                   "config": {"defaultCountryCode": "7", "utcOffsetMinutes": 180},
                   "secrets": secrets}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.store().pool())
        .await
        .unwrap()
}

/// The parts of a call that must not depend on arrival order.
fn essence(call: &Value) -> Value {
    let mut c = call.clone();
    let o = c.as_object_mut().unwrap();
    for volatile in ["id", "integrationId", "createdAt", "updatedAt", "events"] {
        o.remove(volatile);
    }
    if let Some(recs) = o.get_mut("recordings").and_then(Value::as_array_mut) {
        for r in recs {
            let r = r.as_object_mut().unwrap();
            r.remove("id");
            r.remove("callId");
            r.remove("createdAt");
        }
    }
    if let Some(a) = o.get_mut("analysis").and_then(Value::as_object_mut) {
        a.remove("callId");
        a.remove("analyzedAt");
    }
    c
}

async fn only_call(app: &TestApp, integration_id: &str) -> Value {
    let list = app
        .get(&format!("/calls?integrationId={integration_id}"))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one chain is one call: {items:#?}");
    let id = items[0]["id"].as_str().unwrap();
    let detail = app.get(&format!("/calls/{id}")).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    detail.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_chain_folds_into_one_call_in_any_order() {
    for app in TestApp::each_backend().await {
        let sequential = create_3cx(&app, json!({})).await;
        let hook = sequential["webhookUrl"].as_str().unwrap().to_owned();
        assert_eq!(
            hook,
            app.url(&format!("/hooks/{}", sequential["id"].as_str().unwrap()))
        );
        for hit in scenario() {
            let r = send(&app, &hook, &hit).await;
            assert_eq!(r.status, 200, "{hit:?}: {}", r.text);
            assert_eq!(r.text, "OK");
        }
        let call = only_call(&app, sequential["id"].as_str().unwrap()).await;

        assert_eq!(call["externalId"], CHAIN, "{}", app.backend);
        assert_eq!(call["status"], "ended");
        assert_eq!(call["outcome"], "answered");
        assert_eq!(call["direction"], "inbound");
        assert_eq!(call["customerPhone"], "+79161234567");
        assert_eq!(call["did"], "+74951343060");
        assert_eq!(call["extension"], "101", "the agent who took the call");
        let legs = call["legs"].as_array().unwrap();
        assert_eq!(legs.len(), 3, "{legs:#?}");
        assert_eq!(legs[0]["extensionKind"], "queue");
        assert_eq!(legs[1]["rang"], json!(["101", "102"]));
        assert_eq!(legs[1]["answeredBy"], "101");
        assert_eq!(legs[1]["transferred"], true);
        assert_eq!(legs[2]["answeredBy"], "103");
        assert_eq!(legs[2]["transfer"], "blind");
        assert_eq!(legs[2]["transferred"], false);
        let urls: Vec<&str> = call["recordings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://pbx.example:5001/rec/a.mp3",
                "https://pbx.example:5001/rec/b.mp3"
            ]
        );
        assert_eq!(call["summary"], "Клиент просит счёт.");
        assert!(call["transcript"].as_str().unwrap().contains("нужен счёт"));
        assert_eq!(call["events"].as_array().unwrap().len(), scenario().len());

        // The same events, concurrently, in a shuffled order, to a second
        // integration: the same call.
        let concurrent = create_3cx(&app, json!({})).await;
        let hook2 = concurrent["webhookUrl"].as_str().unwrap().to_owned();
        let mut hits = scenario();
        shuffle(&mut hits, 0x5eed);
        // All requests are in flight before any finishes.
        let sends = hits.iter().map(|h| send(&app, &hook2, h));
        for r in futures::future::join_all(sends).await {
            assert_eq!(r.status, 200, "{}", r.text);
        }
        let again = only_call(&app, concurrent["id"].as_str().unwrap()).await;
        assert_eq!(essence(&again), essence(&call), "{}", app.backend);

        // Filters.
        let by_phone = app.get("/calls?phone=%2B79161234567").await;
        assert_eq!(by_phone.body["items"].as_array().unwrap().len(), 2);
        let none = app.get("/calls?phone=%2B70000000000").await;
        assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
        let by_status = app.get("/calls?status=ringing").await;
        assert_eq!(by_status.body["items"].as_array().unwrap().len(), 0);
        let bad = app.get("/calls?status=bogus").await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.body["error"], "invalid_filter");
        // Pagination: one per page, then a cursor to the second.
        let first = app.get("/calls?limit=1").await;
        assert_eq!(first.body["items"].as_array().unwrap().len(), 1);
        let cursor = first.body["nextCursor"].as_str().unwrap();
        let second = app.get(&format!("/calls?limit=1&cursor={cursor}")).await;
        assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
        assert_ne!(first.body["items"][0]["id"], second.body["items"][0]["id"]);
        // Whatever is wrong with a `limit`, every list says it the same way.
        for path in [
            "/calls",
            "/recordings",
            "/conversations",
            "/notifications/feed",
        ] {
            for limit in ["abc", "-1", "0", "201"] {
                let r = app.get(&format!("{path}?limit={limit}")).await;
                assert_eq!(
                    (r.status.as_u16(), r.body["error"].clone()),
                    (400, json!("invalid_limit")),
                    "{path}?limit={limit}: {}",
                    r.text
                );
            }
        }
        app.stop().await;
    }
}

/// A deterministic Fisher–Yates shuffle (xorshift), so a failure replays.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_links_keep_one_order_whatever_order_they_arrive_in() {
    for app in TestApp::each_backend().await {
        let mut orders = Vec::new();
        for arrival in [["b", "a"], ["a", "b"]] {
            let integration = create_3cx(&app, json!({})).await;
            let hook = integration["webhookUrl"].as_str().unwrap().to_owned();
            for file in arrival {
                let hit = Hit {
                    query: vec![],
                    json: Some(json!({"event": "recording", "id": format!("{CHAIN}-1"),
                        "FileUrls": [format!("https://pbx.example:5001/rec/{file}.mp3")]})),
                };
                let r = send(&app, &hook, &hit).await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
            let call = only_call(&app, integration["id"].as_str().unwrap()).await;
            let urls: Vec<String> = call["recordings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["url"].as_str().unwrap().to_owned())
                .collect();
            orders.push(urls);
        }
        assert_eq!(orders[0].len(), 2, "{orders:?}");
        assert_eq!(orders[0], orders[1], "{}", app.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_stored_once_and_bad_input_stores_nothing() {
    for app in TestApp::each_backend().await {
        let integration = create_3cx(&app, json!({"token": "s3cret"})).await;
        assert_eq!(integration["secretKeys"], json!(["token"]));
        assert!(
            !integration.to_string().contains("s3cret"),
            "secrets are never returned"
        );
        let hook = integration["webhookUrl"].as_str().unwrap().to_owned();
        let ring = |token: &str| {
            get(&[
                ("event", "ringing"),
                ("callerid", "89161234567"),
                ("user", "101"),
                ("id", "210701165649_700-1"),
                ("token", token),
            ])
        };

        // Every refusal, and nothing stored for any of them.
        let wrong = send(&app, &hook, &ring("nope")).await;
        assert_eq!(wrong.status, 401, "{}", wrong.text);
        assert_eq!(wrong.body["error"], "unauthorized");
        let unknown = send(
            &app,
            &app.url("/hooks/0190a7f0-0000-7000-8000-000000000000"),
            &ring("s3cret"),
        )
        .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(unknown.body["error"], "integration_not_found");
        let malformed = send(
            &app,
            &hook,
            &get(&[("event", "teleport"), ("id", "1-1"), ("token", "s3cret")]),
        )
        .await;
        assert_eq!(malformed.status, 400, "{}", malformed.text);
        assert_eq!(malformed.body["error"], "bad_request");
        assert!(
            malformed.body["message"]
                .as_str()
                .unwrap()
                .contains("teleport")
        );
        // Its own client: the server closes a connection whose body it
        // refused to read, which must not break the pooled one. Just over
        // the limit (1 MiB by default): the server reads up to the limit
        // before refusing, and the rest fits in the socket's buffer, so the
        // client has finished writing when the 413 comes (with a far larger
        // body it may still be writing when the server closes, and sees a
        // broken pipe instead of the answer).
        let limit = switchboard::config::Settings::default().max_body_bytes;
        let huge = reqwest::Client::new()
            .post(format!("{hook}?token=s3cret"))
            .header("content-type", "application/json")
            .body(vec![b' '; limit + 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(huge.status(), 413);
        let huge = reply(huge).await;
        assert_eq!(huge.body["error"], "payload_too_large", "{}", huge.text);
        assert_eq!(count(&app, "inbound_events").await, 0, "{}", app.backend);
        assert_eq!(count(&app, "calls").await, 0);

        // A vendor retry is the same event: stored once, answered 200 both times.
        for _ in 0..3 {
            let ok = send(&app, &hook, &ring("s3cret")).await;
            assert_eq!(ok.status, 200, "{}", ok.text);
        }
        assert_eq!(count(&app, "inbound_events").await, 1);
        assert_eq!(count(&app, "calls").await, 1);
        let stored: String = sqlx::query_scalar("SELECT payload_json FROM inbound_events")
            .fetch_one(app.store().pool())
            .await
            .unwrap();
        assert!(!stored.contains("s3cret"), "the token is never stored");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integrations_api_is_scoped_and_validated() {
    let app = TestApp::start(|_| {}).await;
    let created = create_3cx(&app, json!({})).await;
    let id = created["id"].as_str().unwrap();

    // Auth: no token 401, a foreign business 404, a missing scope 403, a
    // business the token is not bound to 403.
    let none = app.call_as("", Method::GET, "/integrations", None).await;
    assert_eq!(
        (none.status.as_u16(), none.body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (_, other_token) = app.other_tenant().await;
    let foreign = app
        .call_as(
            &other_token,
            Method::GET,
            &format!("/integrations/{id}"),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body["error"], "integration_not_found");
    let foreign_delete = app
        .call_as(
            &other_token,
            Method::DELETE,
            &format!("/integrations/{id}"),
            None,
        )
        .await;
    assert_eq!(foreign_delete.status, 404);
    let reader = app.token_with(&["view_integrations"]).await;
    let denied = app
        .call_as(
            &reader,
            Method::POST,
            "/integrations",
            Some(json!({"kind": "threecx-webhooks", "name": "x"})),
        )
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"], "missing_scope");
    let listed = app
        .call_as(&reader, Method::GET, "/integrations", None)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let wrong_business = app
        .client
        .get(app.url("/integrations"))
        .bearer_auth(&app.token)
        .header("x-business-id", "someone-else")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_business.status(), 403);
    // A blank header is none: the token's default business.
    let blank = app
        .client
        .get(app.url("/integrations"))
        .bearer_auth(&app.token)
        .header("x-business-id", " ")
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), 200);
    let blank: Value = blank.json().await.unwrap();
    assert_eq!(blank["items"].as_array().unwrap().len(), 1, "{blank}");

    // Validation against the manifest; nothing is stored on refusal.
    for (body, code) in [
        (json!({"kind": "fax-machine", "name": "x"}), "unknown_kind"),
        (
            json!({"kind": "telegram-channel", "name": "x"}),
            "unknown_kind",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": " "}),
            "invalid_name",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"token": "t"}}),
            "secret_in_config",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"colour": "red"}}),
            "unknown_setting",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "secrets": {"defaultCountryCode": "7"}}),
            "not_a_secret",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"pbxUrl": 5}}),
            "invalid_setting",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"pbxUrl": "pbx.example.com"}}),
            "invalid_setting",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"pbxUrl": "ftp://pbx.example.com"}}),
            "invalid_setting",
        ),
        (
            json!({"kind": "threecx-webhooks", "name": "x", "config": {"pbxUrl": "https://admin:pw@pbx.example.com"}}),
            "invalid_setting",
        ),
    ] {
        let r = app.post("/integrations", body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["error"], code, "{body}");
    }
    // A required setting of blanks is missing.
    let blank = app
        .post(
            "/integrations",
            json!({"kind": "openai-analyzer", "name": "AI", "config": {"baseUrl": "   "},
                   "secrets": {"apiKey": "k"}}),
        )
        .await;
    assert_eq!(blank.status, 422, "{}", blank.text);
    assert_eq!(blank.body["error"], "missing_setting");
    // So is a required secret (seed 000: "fill in baseUrl, username, password").
    let blank = app
        .post(
            "/integrations",
            json!({"kind": "usercrm-pbx", "name": "PBX", "secrets": {"crmApiKey": "  "}}),
        )
        .await;
    assert_eq!(
        (blank.status.as_u16(), blank.body["error"].clone()),
        (422, json!("missing_setting")),
        "{}",
        blank.text
    );
    assert!(
        blank.body["message"]
            .as_str()
            .unwrap()
            .contains("crmApiKey"),
        "{}",
        blank.text
    );

    // An integration saved before base URLs were checked can still be
    // renamed; changing its URL to another bad one is refused.
    let older = app
        .store()
        .create_integration(switchboard::store::NewIntegration {
            business_id: app.business_id.clone(),
            kind: "threecx-webhooks".into(),
            name: "Older".into(),
            config: json!({"pbxUrl": "pbx.example.com"}),
            secrets: None,
        })
        .await
        .unwrap();
    let renamed = app
        .call(
            Method::PATCH,
            &format!("/integrations/{}", older.id),
            Some(json!({"name": "Older, renamed"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let still_bad = app
        .call(
            Method::PATCH,
            &format!("/integrations/{}", older.id),
            Some(json!({"config": {"pbxUrl": "pbx2.example.com"}})),
        )
        .await;
    assert_eq!(still_bad.status, 422, "{}", still_bad.text);
    assert_eq!(still_bad.body["error"], "invalid_setting");
    let removed = app
        .call(Method::DELETE, &format!("/integrations/{}", older.id), None)
        .await;
    assert_eq!(removed.status, 204);

    let not_json = app
        .client
        .post(app.url("/integrations"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(count(&app, "integrations").await, 1);

    // Patch: rename, set a secret; default; delete.
    let patched = app
        .call(
            Method::PATCH,
            &format!("/integrations/{id}"),
            Some(json!({"name": "Renamed", "secrets": {"token": "t2"}})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["name"], "Renamed");
    assert_eq!(patched.body["secretKeys"], json!(["token"]));
    assert_eq!(
        patched.body["config"]["defaultCountryCode"], "7",
        "config kept"
    );
    let default = app
        .post(&format!("/integrations/{id}/default"), json!({}))
        .await;
    assert_eq!(default.body["isDefault"], true, "{}", default.text);
    let test = app
        .post(&format!("/integrations/{id}/test"), json!({}))
        .await;
    assert_eq!(test.status, 422);
    assert_eq!(test.body["error"], "test_unsupported");
    let deleted = app
        .call(Method::DELETE, &format!("/integrations/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let gone = app.get(&format!("/integrations/{id}")).await;
    assert_eq!(gone.status, 404);
    app.stop().await;
}
