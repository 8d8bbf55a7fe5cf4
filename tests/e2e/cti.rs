//! The CTI call-center (seed 001) through the real server: the vendor's fixed
//! `/wsapi/{customer}/...` routes, its query secret, the call log POST, and
//! click-to-call against a local fake PBX that records the exact request.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use switchboard_tests::app::{TestApp, reply};
use switchboard_tests::serve;

/// A fake PBX: records each request's path and query, answers `OK`.
async fn fake_pbx() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().push(uri.to_string());
            "OK"
        }
    });
    (serve(app).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_call_then_call_log_then_click_to_call() {
    let (pbx, seen) = fake_pbx().await;
    for app in TestApp::each_backend().await {
        let created = app
            .post(
                "/integrations",
                json!({"kind": "cti-callcenter", "name": "Call center",
                       "config": {"customer": "ACME", "pbxUrl": pbx},
                       "secrets": {"secret": "s3cr3t"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.body["webhookUrl"], app.url("/wsapi/ACME"));
        // The customer code is one tenant's: a second claim is refused.
        let (_, other) = app.other_tenant().await;
        let clash = app
            .call_as(
                &other,
                reqwest::Method::POST,
                "/integrations",
                Some(json!({"kind": "cti-callcenter", "name": "x",
                            "config": {"customer": "ACME"}, "secrets": {"secret": "z"}})),
            )
            .await;
        assert_eq!(clash.status, 409, "{}", clash.text);
        let missing = app
            .post(
                "/integrations",
                json!({"kind": "cti-callcenter", "name": "x", "config": {"customer": "B"}}),
            )
            .await;
        assert_eq!(missing.status, 422);
        assert_eq!(missing.body["error"], "missing_setting");

        let ring = |secret: &str| {
            app.url(&format!(
                "/wsapi/ACME/incoming_call?secret={secret}&phone=0904824242&extension=101&callid=1700000000.42"
            ))
        };
        let wrong = reply(app.client.get(ring("guess")).send().await.unwrap()).await;
        assert_eq!(wrong.status, 401, "{}", wrong.text);
        let nobody = reply(
            app.client
                .get(app.url("/wsapi/NOBODY/incoming_call?secret=s3cr3t&callid=1&extension=1"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(nobody.status, 404);
        let ok = reply(app.client.get(ring("s3cr3t")).send().await.unwrap()).await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        assert_eq!(ok.body, json!({"status": "ok"}));

        let log = reply(
            app.client
                .post(app.url("/wsapi/ACME/call_answered?secret=s3cr3t"))
                .json(&json!({
                    "callid": "1700000000.42", "calldate": "2024-01-15 09:30:00",
                    "src": "0904824242", "dst": "101", "duration": 95, "billsec": 80,
                    "status": "ANSWERED", "recording": "https://pbx.example.vn/rec/42.mp3",
                    "userfield": "order-77"
                }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(log.status, 200, "{}", log.text);

        let calls = app.get("/calls").await;
        let items = calls.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", calls.text);
        let call = app
            .get(&format!("/calls/{}", items[0]["id"].as_str().unwrap()))
            .await
            .body;
        assert_eq!(call["status"], "ended", "{call:#}");
        assert_eq!(call["outcome"], "answered");
        assert_eq!(call["customerPhone"], "+84904824242");
        assert_eq!(call["talkSec"], 80);
        assert_eq!(call["durationSec"], 95);
        assert_eq!(
            call["recordings"][0]["url"],
            "https://pbx.example.vn/rec/42.mp3"
        );
        assert_eq!(call["events"].as_array().unwrap().len(), 2);

        // Click-to-call reaches the PBX exactly as the seed documents it.
        seen.lock().unwrap().clear();
        let dial = app
            .post(
                "/calls/click-to-call",
                json!({"phone": "+84904824242", "extension": "101", "userfield": "order-77"}),
            )
            .await;
        assert_eq!(dial.status, 200, "{}", dial.text);
        assert_eq!(dial.body["ok"], true);
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [
                "/wsapi/ACME/click2call.php?secret=s3cr3t&extension=101&phone=0904824242&userfield=order-77"
            ]
        );
        app.stop().await;
    }
}
