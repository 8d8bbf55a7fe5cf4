//! Outgoing webhooks: an endpoint subscribed to call events receives a
//! Standard Webhooks request, signed with the secret shown at creation,
//! when a vendor webhook is ingested; after a rotation both secrets sign.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use switchboard_tests::app::TestApp;
use switchboard_tests::serve;

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = Arc::clone(&log);
            async move {
                log.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let base = serve(app).await;
    (format!("{base}/hook"), seen)
}

/// The receiver's side of Standard Webhooks: which of `secrets` signed it.
fn verified_by(headers: &HeaderMap, body: &str, secrets: &[&str]) -> Vec<usize> {
    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
    let signed = format!("{}.{}.{}", h("webhook-id"), h("webhook-timestamp"), body);
    let presented = h("webhook-signature");
    secrets
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(s.strip_prefix("whsec_").unwrap())
                .unwrap();
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(signed.as_bytes());
            let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
            presented.split(' ').any(|p| p == format!("v1,{sig}"))
        })
        .map(|(i, _)| i)
        .collect()
}

async fn wait_for(seen: &Seen, n: usize) {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} of {n} requests",
        seen.lock().unwrap().len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_events_reach_a_signed_endpoint() {
    let (url, seen) = receiver().await;
    let app = TestApp::start(|s| s.outbox_poll_ms = 50).await;
    let bad = app
        .post(
            "/webhooks",
            json!({"url": url, "eventTypes": ["call.teleported"]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["error"], "invalid_event_types");
    let made = app
        .post(
            "/webhooks",
            json!({"url": url, "eventTypes": ["call.ringing", "webhook.test"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_owned();
    let secret = made.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = app.get("/webhooks").await;
    assert!(!listed.text.contains(&secret), "the secret is shown once");

    let integration = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "PBX"}),
        )
        .await;
    let hook = integration.body["webhookUrl"].as_str().unwrap();
    let r = app
        .client
        .get(hook)
        .query(&[
            ("event", "ringing"),
            ("callerid", "+79161234567"),
            ("user", "101"),
            ("id", "210701165649_900-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for(&seen, 1).await;
    let (headers, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(verified_by(&headers, &body, &[&secret]), [0]);
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "call.ringing");
    assert_eq!(
        payload["data"]["attributes"]["call.externalId"],
        "210701165649_900"
    );

    // Rotation: the next delivery carries both signatures.
    let rotated = app
        .post(&format!("/webhooks/{id}/rotate-secret"), json!({}))
        .await;
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let test = app.post(&format!("/webhooks/{id}/test"), json!({})).await;
    assert_eq!(test.body["ok"], true, "{}", test.text);
    wait_for(&seen, 2).await;
    let (headers, body) = seen.lock().unwrap()[1].clone();
    assert_eq!(
        verified_by(&headers, &body, &[&new_secret, &secret]),
        [0, 1]
    );

    // Scoping.
    let (_, other) = app.other_tenant().await;
    let foreign = app
        .call_as(
            &other,
            reqwest::Method::DELETE,
            &format!("/webhooks/{id}"),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body["error"], "webhook_not_found");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_answering_410_is_switched_off() {
    let gone = serve(
        axum::Router::new().route("/hook", axum::routing::post(|| async { StatusCode::GONE })),
    )
    .await;
    let app = TestApp::start(|s| s.outbox_poll_ms = 50).await;
    let made = app
        .post(
            "/webhooks",
            json!({"url": format!("{gone}/hook"), "eventTypes": ["*"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_owned();
    let test = app.post(&format!("/webhooks/{id}/test"), json!({})).await;
    assert_eq!(test.body["ok"], false, "{}", test.text);
    assert_eq!(test.body["status"], "failed", "{}", test.text);
    let endpoint = app.get(&format!("/webhooks/{id}")).await;
    assert_eq!(endpoint.body["isActive"], false, "{}", endpoint.text);
    assert_eq!(endpoint.body["inactiveReason"], "endpoint_gone");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_finishes_and_records_the_batch_being_sent() {
    // A receiver that takes its time: the stop comes while it holds the
    // request.
    let seen: Arc<Mutex<usize>> = Arc::default();
    let log = Arc::clone(&seen);
    let slow = serve(axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let log = Arc::clone(&log);
            async move {
                *log.lock().unwrap() += 1;
                tokio::time::sleep(Duration::from_millis(700)).await;
                "ok"
            }
        }),
    ))
    .await;
    let app = TestApp::start(|s| s.outbox_poll_ms = 50).await;
    let made = app
        .post(
            "/webhooks",
            json!({"url": format!("{slow}/hook"), "eventTypes": ["call.ringing"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let integration = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "PBX"}),
        )
        .await;
    let hook = integration.body["webhookUrl"].as_str().unwrap().to_owned();
    let r = app
        .client
        .get(&hook)
        .query(&[
            ("event", "ringing"),
            ("user", "101"),
            ("id", "210701165649_901-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for _ in 0..100 {
        if *seen.lock().unwrap() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(*seen.lock().unwrap(), 1, "the send is in flight");

    // Stopped mid-send, then started again: the send was finished and
    // recorded, so nothing waits to be sent again.
    let app = app.restart().await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, attempts FROM notifications WHERE channel = 'webhook'")
            .fetch_all(app.store().pool())
            .await
            .unwrap();
    assert_eq!(rows, [("delivered".to_owned(), 1)]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*seen.lock().unwrap(), 1, "sent once");
    app.stop().await;
}

/// A receiver answering 404 while it is being deployed loses nothing: the
/// event is retried on the webhook schedule and delivered once it is up,
/// and the delivery log (`GET /notifications`) shows where each stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_answering_404_is_retried_and_the_log_lists_it() {
    let seen: Arc<Mutex<usize>> = Arc::default();
    let log = Arc::clone(&seen);
    let deploying = serve(axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let log = Arc::clone(&log);
            async move {
                let mut n = log.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    (StatusCode::NOT_FOUND, "no route yet")
                } else {
                    (StatusCode::OK, "ok")
                }
            }
        }),
    ))
    .await;
    let app = TestApp::start(|s| s.outbox_poll_ms = 50).await;
    let made = app
        .post(
            "/webhooks",
            json!({"url": format!("{deploying}/hook"), "eventTypes": ["*"]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let endpoint = made.body["id"].as_str().unwrap().to_owned();
    let test = app
        .post(&format!("/webhooks/{endpoint}/test"), json!({}))
        .await;
    assert_eq!(test.body["ok"], false, "{}", test.text);
    assert_eq!(test.body["willRetry"], true, "{}", test.text);
    let id = test.body["id"].as_str().unwrap().to_owned();

    let pending = app
        .get(&format!(
            "/notifications?channel=webhook&status=pending&destinationId={endpoint}"
        ))
        .await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.text);
    let items = pending.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", pending.text);
    assert_eq!(items[0]["id"], id.as_str());
    assert!(
        items[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("HTTP 404: no route yet"),
        "{}",
        pending.text
    );

    // The first retry comes after about 5 s.
    let mut delivered = Value::Null;
    for _ in 0..200 {
        let page = app.get("/notifications?status=delivered").await;
        if page.body["items"].as_array().is_some_and(|i| !i.is_empty()) {
            delivered = page.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered["items"][0]["id"], id.as_str(), "{delivered}");
    assert_eq!(delivered["items"][0]["attempts"], 2, "{delivered}");
    assert_eq!(*seen.lock().unwrap(), 2);
    let failed = app.get("/notifications?status=failed").await;
    assert_eq!(failed.body["items"], json!([]), "{}", failed.text);

    // Pages, filters and tenants.
    let page = app.get("/notifications?limit=1").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let next = page.body["nextCursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(&format!("/notifications?limit=1&cursor={next}"))
        .await;
    assert_eq!(rest.body["items"], json!([]), "{}", rest.text);
    assert_eq!(rest.body["nextCursor"], Value::Null);
    for bad in ["status=lost", "channel=fax", "colour=red"] {
        let r = app.get(&format!("/notifications?{bad}")).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_filter", "{bad}");
    }
    let (_, other) = app.other_tenant().await;
    let theirs = app
        .call_as(&other, reqwest::Method::GET, "/notifications", None)
        .await;
    assert_eq!(theirs.body["items"], json!([]), "{}", theirs.text);
    app.stop().await;
}
