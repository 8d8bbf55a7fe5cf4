//! Recording sources through the real server: `POST /integrations/{id}/test`
//! against a local fake of the 3CX v20 XAPI tells good credentials from bad
//! ones, an unreachable host and a wrong base URL.

use axum::Json;
use axum::extract::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use reqwest::Method;
use serde_json::{Value, json};
use switchboard_tests::app::TestApp;
use switchboard_tests::serve;

/// A fake 3CX: OAuth client credentials (`good-secret`), then recordings.
async fn fake_3cx() -> String {
    let app = axum::Router::new()
        .route(
            "/connect/token",
            axum::routing::post(|Form(form): Form<Vec<(String, String)>>| async move {
                let secret = form.iter().find(|(k, _)| k == "client_secret").map(|(_, v)| v.as_str());
                if secret == Some("good-secret") {
                    (StatusCode::OK, Json(json!({"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"})))
                } else {
                    (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_client"})))
                }
            }),
        )
        .route(
            "/xapi/v1/Recordings",
            axum::routing::get(|headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer tok-1") {
                    Json(json!({"value": [{"Id": 7, "StartTime": "2024-05-01T10:00:00Z"}]})).into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        );
    serve(app).await
}

/// Something that is not 3CX: 404 for everything.
async fn not_3cx() -> String {
    serve(axum::Router::new()).await
}

async fn test_connection(app: &TestApp, base_url: &str, secret: &str) -> Value {
    let created = app
        .post(
            "/integrations",
            json!({"kind": "threecx-cloud", "name": "3CX cloud", "config": {"baseUrl": base_url},
                   "secrets": {"clientId": "switchboard", "clientSecret": secret}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.body["webhookUrl"],
        Value::Null,
        "a pull source has no inbound URL"
    );
    let id = created.body["id"].as_str().unwrap();
    let r = app
        .post(&format!("/integrations/{id}/test"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_tells_the_failure_modes_apart() {
    let (good, wrong) = (fake_3cx().await, not_3cx().await);
    let app = TestApp::start(|_| {}).await;

    let ok = test_connection(&app, &good, "good-secret").await;
    assert_eq!(ok["ok"], true, "{ok}");
    assert!(
        ok["message"]
            .as_str()
            .unwrap()
            .starts_with("Connected to 3CX"),
        "{ok}"
    );

    let bad = test_connection(&app, &good, "wrong-secret").await;
    assert_eq!(
        (bad["ok"].clone(), bad["error"].clone()),
        (json!(false), json!("vendor_bad_credentials")),
        "{bad}"
    );

    let unreachable = test_connection(&app, "http://127.0.0.1:9", "good-secret").await;
    assert_eq!(unreachable["error"], "vendor_unreachable", "{unreachable}");

    let not_it = test_connection(&app, &wrong, "good-secret").await;
    assert_eq!(not_it["error"], "vendor_error", "{not_it}");
    assert!(
        not_it["message"].as_str().unwrap().contains("baseUrl"),
        "{not_it}"
    );

    // The secret never comes back.
    let listed = app.get("/integrations").await;
    assert!(!listed.text.contains("good-secret"));
    app.stop().await;
}

/// A fake OrkTrack: Basic login (`agent` / `pass`), then an empty listing.
async fn fake_orktrack() -> String {
    use base64::Engine as _;
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("agent:pass")
    );
    let app = axum::Router::new()
        .route(
            "/orktrack/rest/user/login",
            axum::routing::post(move |headers: HeaderMap| {
                let good = good.clone();
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        == Some(good.as_str())
                    {
                        Json(json!({"accesstoken": "0f4c-guid"})).into_response()
                    } else {
                        StatusCode::UNAUTHORIZED.into_response()
                    }
                }
            }),
        )
        .route(
            "/orktrack/rest/recordings",
            axum::routing::get(|headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("0f4c-guid") {
                    Json(json!({"objects": [], "nextPageUri": null, "resultCount": 0}))
                        .into_response()
                } else {
                    StatusCode::UNAUTHORIZED.into_response()
                }
            }),
        );
    serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtac_test_connection() {
    let ork = fake_orktrack().await;
    let app = TestApp::start(|_| {}).await;
    let mut results = Vec::new();
    for password in ["pass", "wrong"] {
        let created = app
            .post(
                "/integrations",
                json!({"kind": "dtac", "name": "DTAC", "config": {"baseUrl": ork},
                       "secrets": {"username": "agent", "password": password}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.body["id"].as_str().unwrap();
        results.push(
            app.post(&format!("/integrations/{id}/test"), json!({}))
                .await
                .body,
        );
    }
    assert_eq!(results[0]["ok"], true, "{}", results[0]);
    assert_eq!(results[0]["message"], "Connected to DTAC orktrack as agent");
    assert_eq!(
        results[1]["error"], "vendor_bad_credentials",
        "{}",
        results[1]
    );
    app.stop().await;
}

/// A DTAC integration with `config`, as `agent` / `pass`; its id.
async fn dtac(app: &TestApp, config: Value) -> String {
    let created = app
        .post(
            "/integrations",
            json!({"kind": "dtac", "name": "DTAC", "config": config,
                   "secrets": {"username": "agent", "password": "pass"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.body["id"].as_str().unwrap().to_owned()
}

/// Pointing an integration at another server needs its credentials again:
/// else a token that never knew the password could have the connector send
/// it to a server of its choosing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_address_needs_the_secrets_again() {
    let ork = fake_orktrack().await;
    let elsewhere = fake_orktrack().await;
    let app = TestApp::start(|_| {}).await;
    let id = dtac(&app, json!({"baseUrl": ork})).await;
    let path = format!("/integrations/{id}");
    let moved = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"config": {"baseUrl": elsewhere}})),
        )
        .await;
    assert_eq!(moved.status, 422, "{}", moved.text);
    assert_eq!(moved.body["error"], "secrets_required");
    assert!(
        moved.body["message"]
            .as_str()
            .unwrap()
            .contains("`password`")
    );
    let half = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"config": {"baseUrl": elsewhere}, "secrets": {"password": "pass"}})),
        )
        .await;
    assert_eq!(half.body["error"], "secrets_required", "{}", half.text);
    let unchanged = app.get(&path).await;
    assert_eq!(unchanged.body["config"]["baseUrl"], ork.as_str());
    // The same address, or a rename, needs nothing again.
    let renamed = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"name": "DTAC main", "config": {"baseUrl": ork}})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let full = app
        .call(
            Method::PATCH,
            &path,
            Some(json!({"config": {"baseUrl": elsewhere},
                        "secrets": {"username": "agent", "password": "pass"}})),
        )
        .await;
    assert_eq!(full.status, 200, "{}", full.text);
    assert_eq!(full.body["config"]["baseUrl"], elsewhere.as_str());
    // Unset, blank: the same address (the default), nothing to give again.
    let plain_path = format!("/integrations/{}", dtac(&app, json!({})).await);
    let blank = app
        .call(
            Method::PATCH,
            &plain_path,
            Some(json!({"name": "DTAC", "config": {"baseUrl": ""}})),
        )
        .await;
    assert_eq!(blank.status, 200, "{}", blank.text);
    app.stop().await;
}

/// A master-key rotation: the new key current, the old one older; every
/// secret still opens, `reseal` moves them to the new key, and then the old
/// key can go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_key_rotates_and_reseal_finishes_it() {
    const OLD: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const NEW: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    const LOST: &str = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
    let ork = fake_orktrack().await;
    let (receiver, _) = switchboard_tests::sink().await;
    for app in TestApp::each_backend_with(|s| s.master_key = Some(OLD.into())).await {
        let id = dtac(&app, json!({"baseUrl": ork})).await;
        let hook = app
            .post(
                "/webhooks",
                json!({"url": receiver, "eventTypes": ["recording.completed"]}),
            )
            .await;
        assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
        // The connector caches its OrkTrack token in `state`, sealed too.
        let test = app
            .post(&format!("/integrations/{id}/test"), json!({}))
            .await;
        assert_eq!(test.body["ok"], true, "{}", test.text);

        let app = app
            .restart_with(|s| {
                s.master_key = Some(NEW.into());
                s.older_master_keys = OLD.into();
            })
            .await;
        let read = app.get(&format!("/integrations/{id}")).await;
        assert_eq!(
            read.body["secretKeys"],
            json!(["password", "username"]),
            "opened with the older key: {}",
            read.text
        );
        let keys = switchboard::server::master_key(&app.settings).unwrap();
        let first = switchboard::reseal::reseal(app.store(), &keys)
            .await
            .unwrap();
        assert_eq!(
            (first.resealed, first.current, first.unreadable),
            (3, 0, 0),
            "the integration's secrets, the endpoint's signing secret and the cached token"
        );
        let again = switchboard::reseal::reseal(app.store(), &keys)
            .await
            .unwrap();
        assert_eq!((again.resealed, again.current), (0, 3));

        // The older key is no longer needed.
        let app = app.restart_with(|s| s.older_master_keys.clear()).await;
        let test = app
            .post(&format!("/integrations/{id}/test"), json!({}))
            .await;
        assert_eq!(test.body["ok"], true, "{}", test.text);
        // A key that never sealed anything opens nothing: reseal says so.
        let stranger = switchboard::crypto::SecretBox::new([7; 32], Vec::new());
        let lost = switchboard::reseal::reseal(app.store(), &stranger)
            .await
            .unwrap();
        assert_eq!((lost.resealed, lost.unreadable), (0, 3));

        // A server started on a key that opens nothing still lists the
        // integration, says its secrets are unreadable, and a PATCH giving
        // them again mends it.
        let app = app.restart_with(|s| s.master_key = Some(LOST.into())).await;
        let listed = app.get("/integrations").await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert_eq!(
            listed.body["items"][0]["secretsUnreadable"], true,
            "{}",
            listed.text
        );
        let path = format!("/integrations/{id}");
        let rename = app
            .call(Method::PATCH, &path, Some(json!({"name": "DTAC 2"})))
            .await;
        assert_eq!(
            rename.body["error"], "secrets_unreadable",
            "{}",
            rename.text
        );
        let mended = app
            .call(
                Method::PATCH,
                &path,
                Some(json!({"secrets": {"username": "agent", "password": "pass"}})),
            )
            .await;
        assert_eq!(mended.status, 200, "{}", mended.text);
        assert_eq!(mended.body["secretsUnreadable"], false);
        let test = app
            .post(&format!("/integrations/{id}/test"), json!({}))
            .await;
        assert_eq!(test.body["ok"], true, "{}", test.text);
        app.stop().await;
    }
}
