//! Recording links from webhooks, downloaded: a 3CX webhooks integration
//! with `pbxUrl` gets the links on its PBX stored (a 5xx retried; a 404, an
//! oversized file and a web page failed), links elsewhere left alone, a vendor's retry of the same links
//! stored once, the files removed with the integration; an integration
//! without `pbxUrl` keeps its links until one is set.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode as AxumStatus, header};
use axum::response::IntoResponse;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchboard::config::Settings;
use switchboard_tests::app::TestApp;

fn fast(s: &mut Settings) {
    s.sync_poll_ms = 50;
    s.sync_backoff_base_ms = 200;
    s.recording_max_bytes = 64 << 10;
}

/// Requests the fake PBX saw, by file name.
type Hits = Arc<Mutex<HashMap<String, usize>>>;

fn mp3(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes
}

/// A PBX serving its recordings as 3CX does, by plain GET: `a.mp3`;
/// `b.mp3`, which answers 503 the first time; `big.mp3`, over the test's
/// size cap; `page.mp3`, a web page; anything else 404.
async fn fake_pbx() -> (String, Hits) {
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .route(
            "/rec/{file}",
            axum::routing::get(
                |State(hits): State<Hits>, Path(file): Path<String>| async move {
                    let n = {
                        let mut h = hits.lock().unwrap();
                        let n = h.entry(file.clone()).or_default();
                        *n += 1;
                        *n
                    };
                    let audio = |bytes: Vec<u8>| {
                        ([(header::CONTENT_TYPE, "audio/mpeg")], bytes).into_response()
                    };
                    match file.as_str() {
                        "a.mp3" => audio(mp3(1, 20_000)),
                        "b.mp3" if n == 1 => AxumStatus::SERVICE_UNAVAILABLE.into_response(),
                        "b.mp3" => audio(mp3(2, 30_000)),
                        "big.mp3" => audio(mp3(3, 100_000)),
                        "page.mp3" => (
                            [(header::CONTENT_TYPE, "text/html")],
                            "<html>admin console</html>",
                        )
                            .into_response(),
                        _ => AxumStatus::NOT_FOUND.into_response(),
                    }
                },
            ),
        )
        .with_state(Arc::clone(&hits));
    (switchboard_tests::serve(app).await, hits)
}

async fn create(app: &TestApp, config: Value) -> (String, String) {
    let r = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "Office PBX", "config": config}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["webhookUrl"].as_str().unwrap().to_owned(),
    )
}

/// A call ended, then its recording POST with `links`.
async fn post_call(app: &TestApp, hook: &str, chain: &str, links: &[String]) {
    let ended = app
        .client
        .post(hook)
        .query(&[
            ("event", "incoming"),
            ("callerid", "89161234567"),
            ("did", "74951343060"),
            ("user", "101"),
            ("finishtype", "Ok"),
            ("transfer", "false"),
            ("id", &format!("{chain}-1")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    post_links(app, hook, chain, links).await;
}

async fn post_links(app: &TestApp, hook: &str, chain: &str, links: &[String]) {
    let recording = app
        .client
        .post(hook)
        .json(&json!({"event": "recording", "id": format!("{chain}-1"), "FileUrls": links}))
        .send()
        .await
        .unwrap();
    assert_eq!(recording.status(), 200);
}

/// The recordings of the integration's one call, keyed by vendor link.
async fn recordings(app: &TestApp, integration: &str) -> HashMap<String, Value> {
    let calls = app
        .get(&format!("/calls?integrationId={integration}"))
        .await;
    let items = calls.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", calls.text);
    let call = app
        .get(&format!("/calls/{}", items[0]["id"].as_str().unwrap()))
        .await;
    call.body["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["vendorUrl"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// Polls until `done` holds for the integration's recordings.
async fn wait(
    app: &TestApp,
    integration: &str,
    done: impl Fn(&HashMap<String, Value>) -> bool,
) -> HashMap<String, Value> {
    let mut last = HashMap::new();
    for _ in 0..200 {
        last = recordings(app, integration).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the links never got there: {last:#?}");
}

fn settled(recs: &HashMap<String, Value>) -> bool {
    recs.values().all(|r| r["status"] != "linked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_on_the_pbx_are_downloaded_and_others_left_alone() {
    for app in TestApp::each_backend_with(fast).await {
        let (pbx, hits) = fake_pbx().await;
        let (sink, seen) = switchboard_tests::sink().await;
        let hook = app
            .post(
                "/webhooks",
                json!({"url": sink, "eventTypes": ["recording.completed"]}),
            )
            .await;
        assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);
        let (id, webhook) = create(&app, json!({"pbxUrl": pbx, "defaultCountryCode": "7"})).await;
        // Same fake, but by another name than `pbxUrl`'s: not the PBX's host.
        let elsewhere = pbx.replace("127.0.0.1", "localhost") + "/rec/a.mp3";
        let links: Vec<String> = ["a.mp3", "b.mp3", "gone.mp3", "big.mp3", "page.mp3"]
            .iter()
            .map(|f| format!("{pbx}/rec/{f}"))
            .chain([elsewhere.clone()])
            .collect();
        post_call(&app, &webhook, "241207101500_1", &links).await;

        let recs = wait(&app, &id, |r| {
            r.len() == 6
                && r.iter()
                    .filter(|(k, _)| **k != elsewhere)
                    .all(|(_, v)| v["status"] != "linked")
        })
        .await;
        for (file, seed, len) in [("a.mp3", 1, 20_000), ("b.mp3", 2, 30_000)] {
            let r = &recs[&format!("{pbx}/rec/{file}")];
            let rid = r["id"].as_str().unwrap();
            assert_eq!(r["status"], "stored", "{r:#}");
            assert_eq!(r["url"], format!("/recordings/{rid}/audio"));
            assert_eq!(r["integrationId"], id.as_str());
            assert_eq!(r["mimeType"], "audio/mpeg");
            assert_eq!(r["error"], Value::Null, "{r:#}");
            let want = mp3(seed, len);
            assert_eq!(r["sizeBytes"], want.len() as u64);
            assert_eq!(r["sha256"], hex::encode(Sha256::digest(&want)));
            let audio = app
                .client
                .get(app.url(&format!("/recordings/{rid}/audio")))
                .bearer_auth(&app.token)
                .send()
                .await
                .unwrap();
            assert_eq!(audio.status(), 200);
            assert_eq!(audio.bytes().await.unwrap().as_ref(), want.as_slice());
        }
        assert_eq!(hits.lock().unwrap()["b.mp3"], 2, "a 503 is tried again");
        let gone = &recs[&format!("{pbx}/rec/gone.mp3")];
        assert_eq!(gone["status"], "failed");
        assert!(gone["error"].as_str().unwrap().contains("404"), "{gone:#}");
        let big = &recs[&format!("{pbx}/rec/big.mp3")];
        assert_eq!(big["status"], "failed");
        assert!(
            big["error"].as_str().unwrap().starts_with("too_large"),
            "{big:#}"
        );
        assert_eq!(hits.lock().unwrap()["gone.mp3"], 1, "a 404 is final");
        let page = &recs[&format!("{pbx}/rec/page.mp3")];
        assert_eq!(page["status"], "failed");
        assert!(
            page["error"].as_str().unwrap().starts_with("not_audio"),
            "{page:#}"
        );
        // Only the two recordings' files are left in storage.
        let dir = app.settings.recordings_dir().join(&app.business_id);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "{dir:?}");

        // The link on another host stays a link, never fetched: the fake
        // served a.mp3 once, by the PBX's name.
        let other = &recs[&elsewhere];
        assert_eq!(other["status"], "linked");
        assert_eq!(other["url"], elsewhere.as_str());
        assert_eq!(other["error"], Value::Null);
        assert_eq!(
            hits.lock().unwrap()["a.mp3"],
            1,
            "{:?}",
            hits.lock().unwrap()
        );

        // Both stored recordings were announced, and the call's analysis
        // queued.
        switchboard_tests::wait_for(&seen, 2).await;
        let events: Vec<Value> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .collect();
        assert!(
            events
                .iter()
                .all(|e| e.to_string().contains("recording.completed")),
            "{events:#?}"
        );
        let call_id = recs[&links[0]]["callId"].as_str().unwrap();
        let analyses: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM analysis_jobs WHERE call_id = $1 AND kind = 'analyze'",
        )
        .bind(call_id)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
        assert!(analyses >= 1, "the stored audio is queued for analysis");

        // The vendor posts the same links again: still one recording each,
        // nothing downloaded twice.
        post_links(&app, &webhook, "241207101500_1", &links).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = recordings(&app, &id).await;
        assert_eq!(again.len(), 6, "{again:#?}");
        assert_eq!(again[&links[0]]["id"], recs[&links[0]]["id"]);
        assert_eq!(hits.lock().unwrap()["a.mp3"], 1);

        // Deleting the integration deletes the audio with the recordings.
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        let deleted = app
            .call(Method::DELETE, &format!("/integrations/{id}"), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
        assert!(files.iter().all(|f| !f.exists()), "{files:?}");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_wait_for_a_pbx_url_and_are_fetched_once_it_is_set() {
    for app in TestApp::each_backend_with(fast).await {
        let (pbx, hits) = fake_pbx().await;
        let (id, webhook) = create(&app, json!({"defaultCountryCode": "7"})).await;
        let link = format!("{pbx}/rec/a.mp3");
        let erased = format!("{pbx}/rec/b.mp3");
        post_call(
            &app,
            &webhook,
            "241207111500_2",
            &[link.clone(), erased.clone()],
        )
        .await;
        // Give the downloader several rounds: without `pbxUrl` it may not go.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = recordings(&app, &id).await;
        assert_eq!(before[&link]["status"], "linked");
        assert_eq!(before[&link]["url"], link.as_str());
        assert!(hits.lock().unwrap().is_empty());
        // A link deleted before it was downloaded never is.
        let deleted = app
            .call(
                Method::DELETE,
                &format!("/recordings/{}", before[&erased]["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);

        let patched = app
            .call(
                Method::PATCH,
                &format!("/integrations/{id}"),
                Some(json!({"config": {"defaultCountryCode": "7", "pbxUrl": pbx}})),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
        let after = wait(&app, &id, settled).await;
        assert_eq!(after[&link]["status"], "stored", "{after:#?}");
        assert_eq!(hits.lock().unwrap()["a.mp3"], 1);
        assert_eq!(after[&erased]["status"], "deleted", "{after:#?}");
        assert!(!hits.lock().unwrap().contains_key("b.mp3"));
        app.stop().await;
    }
}
