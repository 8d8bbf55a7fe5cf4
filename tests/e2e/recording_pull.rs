//! Recording pull through the real server: the scheduler syncs 3CX cloud and
//! DTAC orktrack integrations from local fakes, stores the audio, links it to
//! calls, serves it with range requests, and survives expired tokens, 5xx,
//! slow answers, oversized files, a kill in the middle of a page and two
//! tenants syncing at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use switchboard::config::Settings;
use switchboard_tests::app::TestApp;
use switchboard_tests::recording_fakes::{Behaviour, FakeRecording, fake_3cx, fake_orktrack};

fn fast(s: &mut Settings) {
    s.sync_poll_ms = 50;
    s.sync_backoff_base_ms = 300;
    s.sync_lease_ms = 1000;
    s.sync_page_size = 2;
    s.recording_max_bytes = 64 << 10;
}

async fn connect_3cx(app: &TestApp, token: &str, base: &str) -> String {
    let created = app
        .call_as(
            token,
            Method::POST,
            "/integrations",
            Some(json!({"kind": "threecx-cloud", "name": "3CX cloud",
                   "config": {"baseUrl": base, "defaultCountryCode": "66"},
                   "secrets": {"clientId": "switchboard", "clientSecret": "good-secret"}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    // Seed 000: "Set as default" is what starts the pulling.
    let default = app
        .call_as(
            token,
            Method::POST,
            &format!("/integrations/{id}/default"),
            None,
        )
        .await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);
    id
}

/// Polls the sync status until `done` holds.
async fn wait_sync(app: &TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let r = app
            .call_as(
                token,
                Method::GET,
                &format!("/integrations/{id}/sync"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        if done(&r.body) {
            return r.body;
        }
        last = r.body;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sync never got there: {last}");
}

async fn recordings(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app
        .call_as(token, Method::GET, &format!("/recordings{query}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threecx_sync_stores_links_and_serves_audio() {
    for app in each_backend_fast().await {
        let mut list: Vec<FakeRecording> = (1..=5)
            .map(|i| FakeRecording::new(i, 20_000 + i as usize))
            .collect();
        list[3].size = 100_000; // over the 64 KiB cap
        let fake = Behaviour::with(list.clone());
        // Every token works for two listings, then 401: the connector must
        // fetch a new one and carry on.
        fake.token_uses.store(2, Ordering::SeqCst);
        let base = fake_3cx(Arc::clone(&fake)).await;
        let (hook_url, seen) = switchboard_tests::sink().await;
        let hook = app
            .post(
                "/webhooks",
                json!({"url": hook_url, "eventTypes": ["recording.completed"]}),
            )
            .await;
        assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.text);

        let id = connect_3cx(&app, &app.token, &base).await;
        let status = wait_sync(&app, &app.token, &id, |s| {
            s["totalStored"] == 4 && s["running"] == false
        })
        .await;
        assert_eq!(status["totalFailed"], 1, "{status}");
        assert_eq!(status["lastError"], Value::Null, "{status}");
        assert_eq!(status["intervalSec"], 300);
        assert!(
            fake.tokens_issued.load(Ordering::SeqCst) >= 2,
            "401 → a new token"
        );

        let rows = recordings(&app, &app.token, &format!("?integrationId={id}")).await;
        assert_eq!(rows.len(), 5, "{rows:?}");
        for r in &rows {
            let remote: u64 = r["remoteId"].as_str().unwrap().parse().unwrap();
            let want = &list[(remote - 1) as usize];
            if remote == 4 {
                assert_eq!(r["status"], "failed");
                assert!(r["error"].as_str().unwrap().starts_with("too_large"), "{r}");
                continue;
            }
            assert_eq!(r["status"], "stored", "{r}");
            assert_eq!(r["mimeType"], "audio/wav");
            assert_eq!(r["sizeBytes"], want.size as u64);
            assert_eq!(r["sha256"], hex::encode(Sha256::digest(want.bytes())));
            // Linked to a call made from the recording's metadata.
            let call = app
                .get(&format!("/calls/{}", r["callId"].as_str().unwrap()))
                .await;
            assert_eq!(call.status, 200, "{}", call.text);
            assert_eq!(call.body["direction"], "inbound");
            assert_eq!(call.body["customerPhone"], want.caller);
            assert_eq!(call.body["durationSec"], 30);
        }

        // The audio, whole and in ranges.
        let first = rows.iter().find(|r| r["remoteId"] == "1").unwrap();
        let audio_path = format!("/recordings/{}/audio", first["id"].as_str().unwrap());
        let bytes = list[0].bytes();
        let whole = app
            .client
            .get(app.url(&audio_path))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.headers()["content-type"], "audio/wav");
        assert_eq!(whole.headers()["accept-ranges"], "bytes");
        assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
        let part = app
            .client
            .get(app.url(&audio_path))
            .bearer_auth(&app.token)
            .header("range", "bytes=8-15")
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes 8-15/{}", bytes.len()).as_str()
        );
        assert_eq!(part.bytes().await.unwrap().as_ref(), b"WAVEfmt ");
        let tail = app
            .client
            .get(app.url(&audio_path))
            .bearer_auth(&app.token)
            .header("range", "bytes=-4")
            .send()
            .await
            .unwrap();
        assert_eq!(
            tail.bytes().await.unwrap().as_ref(),
            &bytes[bytes.len() - 4..]
        );
        let beyond = app
            .client
            .get(app.url(&audio_path))
            .bearer_auth(&app.token)
            .header("range", format!("bytes={}-", bytes.len()))
            .send()
            .await
            .unwrap();
        assert_eq!(beyond.status(), 416);

        // Another tenant sees none of it.
        let (_, other) = app.other_tenant().await;
        assert!(recordings(&app, &other, "").await.is_empty());
        let foreign = app.call_as(&other, Method::GET, &audio_path, None).await;
        assert_eq!(foreign.status, 404);
        assert_eq!(foreign.body["error"], "recording_not_found");

        // recording.completed reached the subscribed endpoint, once per stored file.
        switchboard_tests::wait_for(&seen, 4).await;
        let types: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|b| {
                serde_json::from_str::<Value>(b).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert!(
            types.iter().all(|t| t == "recording.completed"),
            "{types:?}"
        );

        // A second run finds nothing new and downloads nothing again.
        let downloads = fake.downloads.load(Ordering::SeqCst);
        let r = app
            .post(&format!("/integrations/{id}/sync"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        let before = status["lastFinishedAt"].as_i64().unwrap();
        wait_sync(&app, &app.token, &id, |s| {
            s["lastFinishedAt"].as_i64().unwrap_or(0) > before && s["running"] == false
        })
        .await;
        assert_eq!(fake.downloads.load(Ordering::SeqCst), downloads);
        assert_eq!(recordings(&app, &app.token, "").await.len(), 5);

        // Deleting a recording removes its file and leaves a tombstone.
        let files = || {
            std::fs::read_dir(app.settings.recordings_dir().join(&app.business_id))
                .unwrap()
                .count()
        };
        assert_eq!(files(), 4);
        let one = format!("/recordings/{}", first["id"].as_str().unwrap());
        let viewer = app.token_with(&["view_calls"]).await;
        let denied = app.call_as(&viewer, Method::DELETE, &one, None).await;
        assert_eq!(denied.status, 403, "{}", denied.text);
        let foreign = app.call_as(&other, Method::DELETE, &one, None).await;
        assert_eq!(foreign.status, 404);
        assert_eq!(files(), 4, "refusals remove nothing");
        let deleted = app.call(Method::DELETE, &one, None).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert_eq!(files(), 3, "the file is gone before the 204");
        let tombstone = app.get(&one).await.body;
        assert_eq!(tombstone["status"], "deleted", "{tombstone}");
        assert_eq!(tombstone["sizeBytes"], Value::Null);
        assert_eq!(tombstone["sha256"], Value::Null);
        let gone = app.get(&audio_path).await;
        assert_eq!(gone.status, 404);
        assert_eq!(gone.body["error"], "audio_not_stored");
        let listed = recordings(&app, &app.token, "?status=deleted").await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(app.call(Method::DELETE, &one, None).await.status, 204);

        // The source still lists it: the next sync does not store it again.
        let before =
            wait_sync(&app, &app.token, &id, |s| s["running"] == false).await["lastFinishedAt"]
                .as_i64()
                .unwrap();
        let r = app
            .post(&format!("/integrations/{id}/sync"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        wait_sync(&app, &app.token, &id, |s| {
            s["lastFinishedAt"].as_i64().unwrap_or(0) > before && s["running"] == false
        })
        .await;
        assert_eq!(fake.downloads.load(Ordering::SeqCst), downloads);
        assert_eq!(app.get(&one).await.body["status"], "deleted");
        assert_eq!(files(), 3);
        app.stop().await;
    }
}

async fn each_backend_fast() -> Vec<TestApp> {
    TestApp::each_backend_with(fast).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_backs_off_then_recovers() {
    let fake = Behaviour::with((1..=3).map(|i| FakeRecording::new(i, 4000)).collect());
    fake.fail_lists.store(1, Ordering::SeqCst);
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(|s| {
        fast(s);
        // Long enough to read the failure before the retry.
        s.sync_backoff_base_ms = 60_000;
    })
    .await;
    let id = connect_3cx(&app, &app.token, &base).await;
    let failed = wait_sync(&app, &app.token, &id, |s| s["consecutiveFailures"] == 1).await;
    let error = failed["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("vendor_error") && error.contains("500"),
        "{failed}"
    );
    let backoff =
        failed["nextRunAt"].as_i64().unwrap() - failed["lastFinishedAt"].as_i64().unwrap();
    assert!(
        (59_000..=61_000).contains(&backoff),
        "backoff {backoff} ms: {failed}"
    );
    assert_eq!(failed["totalStored"], 0);

    // "Sync now" does not wait for the backoff; the source has recovered.
    let r = app
        .post(&format!("/integrations/{id}/sync"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let ok = wait_sync(&app, &app.token, &id, |s| {
        s["totalStored"] == 3 && s["running"] == false
    })
    .await;
    assert_eq!(ok["lastError"], Value::Null, "{ok}");
    assert_eq!(ok["consecutiveFailures"], 0);
    assert!(ok["lastSuccessAt"].as_i64().is_some());
    app.stop().await;
}

/// One recording the vendor keeps refusing (500) stops the sync only until
/// it has failed `recording_link_attempts` times; one it answers with an
/// error page instead of audio fails at once. Neither holds back the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_that_keeps_failing_does_not_hold_back_the_rest() {
    let fake = Behaviour::with((1..=5).map(|i| FakeRecording::new(i, 4000)).collect());
    fake.broken_downloads
        .lock()
        .unwrap()
        .extend([(2, 500), (4, 0)]);
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(|s| {
        fast(s);
        s.sync_backoff_base_ms = 20;
        s.sync_backoff_max_ms = 20;
        s.recording_link_attempts = 3;
    })
    .await;
    let id = connect_3cx(&app, &app.token, &base).await;
    let done = wait_sync(&app, &app.token, &id, |s| {
        s["totalStored"] == 3 && s["running"] == false
    })
    .await;
    assert_eq!(done["lastError"], Value::Null, "{done}");
    let failed = recordings(&app, &app.token, "?status=failed").await;
    let mut reasons: Vec<(String, String)> = failed
        .iter()
        .map(|r| {
            (
                r["remoteId"].as_str().unwrap().to_owned(),
                r["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{failed:?}");
    assert!(
        reasons[0].0 == "2"
            && reasons[0].1.contains("500")
            && reasons[0].1.ends_with("(gave up after 3 tries)"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == "4" && reasons[1].1.starts_with("not_audio"),
        "{reasons:?}"
    );
    let tries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pull_attempts")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(tries, 0, "a recorded recording's tries are forgotten");
    // The connector keeps its 3CX access token in `state`: sealed there.
    let kept: Vec<String> = sqlx::query_scalar("SELECT value FROM installation_state")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    let token = kept.iter().find(|v| v.starts_with("sealed:1:"));
    assert!(token.is_some(), "{kept:?}");
    assert!(kept.iter().all(|v| !v.contains("tok-")), "{kept:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_source_times_out_and_stores_nothing() {
    let fake = Behaviour::with(vec![FakeRecording::new(1, 4000)]);
    fake.list_delay_ms.store(3000, Ordering::SeqCst);
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(|s| {
        fast(s);
        s.http_timeout_ms = 500;
        s.sync_backoff_base_ms = 60_000;
    })
    .await;
    let id = connect_3cx(&app, &app.token, &base).await;
    let failed = wait_sync(&app, &app.token, &id, |s| s["consecutiveFailures"] == 1).await;
    let error = failed["lastError"].as_str().unwrap();
    assert!(
        error.starts_with("vendor_unreachable") && error.contains("in time"),
        "{failed}"
    );
    assert!(recordings(&app, &app.token, "").await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_page_every_recording_is_stored_exactly_once() {
    // Pages of two: [1,2] [3,4] [5,6] [7]. The download of 4 hangs, so the
    // server dies with 3 stored and the cursor still after page one.
    let list: Vec<FakeRecording> = (1..=7).map(|i| FakeRecording::new(i, 3000)).collect();
    let fake = Behaviour::with(list);
    *fake.hold_download.lock().unwrap() = Some(4);
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(fast).await;
    let id = connect_3cx(&app, &app.token, &base).await;
    for _ in 0..200 {
        if recordings(&app, &app.token, "").await.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(recordings(&app, &app.token, "").await.len(), 3);
    let cursor = app
        .store()
        .state_get(&id, "host.sync.cursor")
        .await
        .unwrap();
    assert!(
        cursor.unwrap().contains("\"lastId\":2"),
        "advanced only past the stored page"
    );

    *fake.hold_download.lock().unwrap() = None;
    let app = app.restart().await;
    fake.release.notify_waiters();
    let status = wait_sync(&app, &app.token, &id, |s| {
        s["lastSuccessAt"].is_i64() && s["running"] == false
    })
    .await;
    let rows = recordings(&app, &app.token, "").await;
    let mut remote: Vec<u64> = rows
        .iter()
        .map(|r| r["remoteId"].as_str().unwrap().parse().unwrap())
        .collect();
    remote.sort_unstable();
    assert_eq!(remote, (1..=7).collect::<Vec<_>>(), "{status}");
    assert!(rows.iter().all(|r| r["status"] == "stored"));
    assert_eq!(
        status["lastRun"]["skipped"], 1,
        "recording 3 was listed again and skipped: {status}"
    );
    // Nothing half-written is left behind in storage.
    let dir = app.settings.recordings_dir().join(&app.business_id);
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.iter().all(|f| !f.ends_with(".part")), "{files:?}");
    assert_eq!(files.len(), 7, "{files:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_syncing_at_once_keep_their_recordings_apart() {
    let a = Behaviour::with((1..=4).map(|i| FakeRecording::new(i, 5000)).collect());
    let b = Behaviour::with((1..=3).map(|i| FakeRecording::new(i, 7000)).collect());
    let (base_a, base_b) = (
        fake_3cx(Arc::clone(&a)).await,
        fake_3cx(Arc::clone(&b)).await,
    );
    let app = TestApp::start(fast).await;
    let (_, other) = app.other_tenant().await;
    let id_a = connect_3cx(&app, &app.token, &base_a).await;
    let id_b = connect_3cx(&app, &other, &base_b).await;
    wait_sync(&app, &app.token, &id_a, |s| s["totalStored"] == 4).await;
    wait_sync(&app, &other, &id_b, |s| s["totalStored"] == 3).await;
    let mine = recordings(&app, &app.token, "").await;
    let theirs = recordings(&app, &other, "").await;
    assert_eq!((mine.len(), theirs.len()), (4, 3));
    assert!(
        mine.iter()
            .all(|r| r["integrationId"] == id_a.as_str() && r["sizeBytes"] == 5000)
    );
    assert!(
        theirs
            .iter()
            .all(|r| r["integrationId"] == id_b.as_str() && r["sizeBytes"] == 7000)
    );
    // Not even the status of the other's sync.
    let peek = app
        .call_as(
            &other,
            Method::GET,
            &format!("/integrations/{id_a}/sync"),
            None,
        )
        .await;
    assert_eq!(peek.status, 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtac_pages_and_links_recordings_to_webhook_calls_both_ways() {
    // Recording 1 belongs to a call the 3CX webhook reported before the
    // sync; recording 2's call is reported by webhook only afterwards.
    let mut list: Vec<FakeRecording> = (1..=5).map(|i| FakeRecording::new(i, 2000)).collect();
    list[0].native_call_id = Some("240501100000_71".into());
    list[1].native_call_id = Some("240501100500_72".into());
    let fake = Behaviour::with(list);
    let ork = fake_orktrack(Arc::clone(&fake)).await;
    let app = TestApp::start(fast).await;

    let pbx = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "PBX"}),
        )
        .await;
    let hook = pbx.body["webhookUrl"].as_str().unwrap().to_owned();
    let ring = |chain: &'static str| {
        let client = app.client.clone();
        let hook = hook.clone();
        async move {
            let r = client
                .get(&hook)
                .query(&[
                    ("event", "ringing"),
                    ("callerid", "+66812340001"),
                    ("user", "101"),
                    ("usertype", "ext"),
                    ("id", &format!("{chain}-1")),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    ring("240501100000_71").await;

    let created = app
        .post(
            "/integrations",
            json!({"kind": "dtac", "name": "DTAC", "config": {"baseUrl": ork},
                   "secrets": {"username": "agent", "password": "pass"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    // Seed 000's steps: add, Test connection, then "Set as default — the
    // system starts pulling". Until then the scheduler leaves it alone.
    let waiting = app.get(&format!("/integrations/{id}/sync")).await;
    assert_eq!(waiting.body["isDefault"], false, "{}", waiting.text);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        fake.lists.load(Ordering::SeqCst),
        0,
        "pulled before default"
    );
    let default = app
        .post(&format!("/integrations/{id}/default"), json!({}))
        .await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);
    let status = wait_sync(&app, &app.token, &id, |s| {
        s["totalStored"] == 5 && s["running"] == false
    })
    .await;
    assert_eq!(status["isDefault"], true, "{status}");
    assert!(
        fake.lists.load(Ordering::SeqCst) >= 3,
        "pages of two: {status}"
    );

    let by_remote = |rows: &[Value], remote: &str| -> Value {
        rows.iter()
            .find(|r| r["remoteId"] == remote)
            .unwrap()
            .clone()
    };
    let rows = recordings(&app, &app.token, "").await;
    let webhook_call = app.get("/calls?phone=%2B66812340001").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["integrationId"] == pbx.body["id"])
        .unwrap()
        .clone();
    assert_eq!(
        by_remote(&rows, "1")["callId"],
        webhook_call["id"],
        "a recording naming a known call joins it"
    );

    // The webhook of recording 2's call arrives late: that call takes over
    // the recording's placeholder call, recording included.
    let placeholder = by_remote(&rows, "2")["callId"].as_str().unwrap().to_owned();
    ring("240501100500_72").await;
    let rows = recordings(&app, &app.token, "").await;
    let moved = by_remote(&rows, "2");
    assert_ne!(moved["callId"], placeholder.as_str());
    let call = app
        .get(&format!("/calls/{}", moved["callId"].as_str().unwrap()))
        .await;
    assert_eq!(call.body["integrationId"], pbx.body["id"], "{}", call.text);
    assert_eq!(
        call.body["durationSec"], 30,
        "the recording's metadata folds in: {}",
        call.text
    );
    assert_eq!(app.get(&format!("/calls/{placeholder}")).await.status, 404);
    // The stored recording's analysis went with it.
    let jobs = |call: String| {
        let pool = app.store().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM analysis_jobs WHERE call_id = $1 AND kind = 'analyze'",
            )
            .bind(call)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(jobs(placeholder.clone()).await, 0);
    assert_eq!(jobs(moved["callId"].as_str().unwrap().to_owned()).await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_errors() {
    let fake = Behaviour::with(vec![]);
    let base = fake_3cx(Arc::clone(&fake)).await;
    let app = TestApp::start(fast).await;
    let id = connect_3cx(&app, &app.token, &base).await;
    let patched = app
        .call(
            Method::PATCH,
            &format!("/integrations/{id}/sync"),
            Some(json!({"intervalSec": 900, "enabled": false})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(
        (
            patched.body["intervalSec"].clone(),
            patched.body["enabled"].clone()
        ),
        (json!(900), json!(false))
    );
    let bad = app
        .call(
            Method::PATCH,
            &format!("/integrations/{id}/sync"),
            Some(json!({"intervalSec": 5})),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["error"].clone()),
        (422, json!("invalid_interval"))
    );

    let webhook = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "PBX"}),
        )
        .await;
    let not_source = app
        .get(&format!(
            "/integrations/{}/sync",
            webhook.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (not_source.status.as_u16(), not_source.body["error"].clone()),
        (422, json!("sync_unsupported"))
    );
    let none = app.get("/recordings/nope").await;
    assert_eq!(
        (none.status.as_u16(), none.body["error"].clone()),
        (404, json!("recording_not_found"))
    );
    let filter = app.get("/recordings?status=lost").await;
    assert_eq!(filter.body["error"], "invalid_filter");
    let reader = app.token_with(&["view_notifications"]).await;
    let denied = app.call_as(&reader, Method::GET, "/recordings", None).await;
    assert_eq!(
        (denied.status.as_u16(), denied.body["error"].clone()),
        (403, json!("missing_scope"))
    );
    app.stop().await;
}
