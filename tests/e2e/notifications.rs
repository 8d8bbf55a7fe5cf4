//! The notification gateway (seed 000) through the real server, with local
//! fakes of Telegram's Bot API and Discord's webhooks: the `/start <code>`
//! link flow, sending, destinations, Discord validation, the in-app feed
//! and its stream, rate limits held exactly, a vanished destination marked
//! inactive, auth on every route, and an outbox that delivers what it
//! accepted exactly once across a restart.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::config::Settings;
use switchboard::store::NewNotification;
use switchboard_tests::app::{TestApp, reply};
use switchboard_tests::fakes::{self, Fake};

const BOT_TOKEN: &str = "123456:TEST-token";
const HOOK_SECRET: &str = "telegram-hook-secret";
const DISCORD_URL: &str = "https://discord.com/api/webhooks/1111/tok-en";

fn gateway(s: &mut Settings, tg: &Fake, dc: &Fake) {
    s.telegram_bot_token = Some(BOT_TOKEN.into());
    s.telegram_bot_username = Some("SwitchboardBot".into());
    s.telegram_api_base = tg.base.clone();
    s.telegram_webhook_secret = Some(HOOK_SECRET.into());
    s.discord_api_base = dc.base.clone();
    s.outbox_poll_ms = 50;
    s.feed_stream_token_check_ms = 100;
}

async fn telegram_update(app: &TestApp, secret: &str, chat_id: i64, text: &str) -> StatusCode {
    app.client
        .post(app.url("/telegram/webhook"))
        .header("x-telegram-bot-api-secret-token", secret)
        .json(
            &json!({"update_id": 1, "message": {"message_id": 5, "text": text,
            "chat": {"id": chat_id, "type": "group", "title": "Sales team"}}}),
        )
        .send()
        .await
        .unwrap()
        .status()
}

/// Links chat `chat_id` through the whole flow and returns its row id.
async fn link_chat(app: &TestApp, chat_id: i64) -> String {
    let code = app.post("/telegram/link-code", json!({})).await;
    assert_eq!(code.status, StatusCode::CREATED, "{}", code.text);
    let c = code.body["code"].as_str().unwrap().to_owned();
    assert_eq!(code.body["expiresInSec"], 900);
    assert_eq!(
        code.body["deepLink"],
        format!("https://t.me/SwitchboardBot?start={c}")
    );
    assert_eq!(
        telegram_update(app, HOOK_SECRET, chat_id, &format!("/start {c}")).await,
        200
    );
    let chats = app.get("/telegram/chats").await;
    chats.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["chatId"].as_str() == Some(chat_id.to_string().as_str()))
        .unwrap_or_else(|| panic!("chat {chat_id} not linked: {}", chats.text))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn eventually(mut check: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_link_flow_and_sending() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let app = TestApp::start(|s| gateway(s, &tg, &dc)).await;

    // The webhook is Telegram's alone.
    assert_eq!(telegram_update(&app, "guess", 1, "/start x").await, 401);
    let status = app.get("/telegram/status").await;
    assert_eq!(
        status.body,
        json!({"configured": true, "botUsername": "SwitchboardBot", "mode": "webhook",
               "chats": 0, "activeChats": 0}),
        "{}",
        status.text
    );

    let chat = link_chat(&app, -1001).await;
    assert_eq!(app.get("/telegram/status").await.body["chats"], 1);
    let listed = app.get("/telegram/chats").await;
    assert_eq!(
        listed.body["items"][0],
        json!({"id": chat, "chatId": "-1001", "title": "Sales team", "isActive": true})
    );
    // The bot answered in the chat.
    assert!(
        tg.state.texts()[0].contains("now connected"),
        "{:?}",
        tg.state.texts()
    );

    // A code works once; an unknown one binds nothing; both are answered.
    let code = app.post("/telegram/link-code", json!({})).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        telegram_update(&app, HOOK_SECRET, -2002, &format!("/start {code}")).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(1100)).await; // the fake's 1/s per chat
    assert_eq!(
        telegram_update(&app, HOOK_SECRET, -2002, &format!("/start {code}")).await,
        200
    );
    assert_eq!(
        telegram_update(&app, HOOK_SECRET, -3003, "/start not-a-code").await,
        200
    );
    let ids: Vec<String> = app.get("/telegram/chats").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chatId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["-1001", "-2002"]);
    let texts = tg.state.texts();
    assert!(
        texts.iter().any(|t| t.contains("already used")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("not valid")), "{texts:?}");

    // A `/start` addressed to another bot in the group is not ours; one
    // addressed to ours (any case) is.
    let code = app.post("/telegram/link-code", json!({})).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let answers = tg.state.texts().len();
    assert_eq!(
        telegram_update(&app, HOOK_SECRET, -5005, &format!("/start@OtherBot {code}")).await,
        200
    );
    assert_eq!(
        tg.state.texts().len(),
        answers,
        "no answer for another bot's command"
    );
    assert_eq!(
        telegram_update(
            &app,
            HOOK_SECRET,
            -5005,
            &format!("/start@switchboardbot {code}")
        )
        .await,
        200
    );
    let linked: Vec<String> = app.get("/telegram/chats").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chatId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(linked, ["-1001", "-2002", "-5005"]);
    let third = app.get("/telegram/chats").await.body["items"][2]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unlinked = app
        .call(Method::DELETE, &format!("/telegram/chats/{third}"), None)
        .await;
    assert_eq!(unlinked.status, 204, "{}", unlinked.text);

    // An expired code binds nothing.
    app.store()
        .create_link_code(&app.business_id, "expired-code", 1)
        .await
        .unwrap();
    assert_eq!(
        telegram_update(&app, HOOK_SECRET, -4004, "/start expired-code").await,
        200
    );
    assert_eq!(
        app.get("/telegram/chats").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Send: delivered to the chat, HTML-escaped by the channel. `chatId`
    // may be either id the list shows: ours (below) or Telegram's.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let sent = app
        .post(
            "/notifications/send",
            json!({"channel": "telegram", "chatId": "-1001", "title": "Lead ใหม่: คุณสมชาย",
                   "body": "score < 50", "link": "https://crm.example.com/leads/123", "severity": "info"}),
        )
        .await;
    assert_eq!(sent.body["ok"], true, "{}", sent.text);
    // Telegram's message_id: the fake numbers its messages from 1.
    assert_eq!(
        sent.body["externalId"],
        tg.state.received().len().to_string(),
        "{}",
        sent.text
    );
    let last = tg.state.received().last().unwrap().clone();
    assert_eq!(last.target, "-1001");
    let text = last.body["text"].as_str().unwrap();
    assert!(
        text.contains("คุณสมชาย") && text.contains("score &lt; 50"),
        "{text}"
    );

    // Test message, switch off, and a switched-off chat is not sent to.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let test = app
        .post(&format!("/telegram/chats/{chat}/test"), json!({}))
        .await;
    assert_eq!(test.body["ok"], true, "{}", test.text);
    let off = app
        .call(
            Method::PATCH,
            &format!("/telegram/chats/{chat}"),
            Some(json!({"isActive": false})),
        )
        .await;
    assert_eq!(off.body["isActive"], false);
    let refused = app
        .post(
            "/notifications/send",
            json!({"channel": "telegram", "chatId": chat, "body": "x"}),
        )
        .await;
    assert_eq!(refused.status, 200);
    assert_eq!(refused.body["ok"], false, "{}", refused.text);

    // A blocked bot: the chat is marked inactive by the delivery.
    let other = app.get("/telegram/chats").await.body["items"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tg.state.gone.lock().unwrap().insert("-2002".into());
    let blocked = app
        .post(
            "/notifications/send",
            json!({"channel": "telegram", "chatId": other, "body": "x"}),
        )
        .await;
    assert_eq!(blocked.body["ok"], false);
    assert!(
        blocked.body["error"]
            .as_str()
            .unwrap()
            .starts_with("bot_blocked"),
        "{}",
        blocked.text
    );
    let after = app.get("/telegram/chats").await;
    assert_eq!(after.body["items"][1]["isActive"], false, "{}", after.text);

    // Auth on every route: no token 401, missing scope 403, foreign id 404.
    let (_, other_token) = app.other_tenant().await;
    let reader = app.token_with(&["view_notifications"]).await;
    for (method, path, body) in [
        (
            Method::POST,
            "/telegram/link-code".to_owned(),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/telegram/chats/{chat}/test"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/telegram/chats/{chat}"),
            Some(json!({"isActive": true})),
        ),
        (Method::DELETE, format!("/telegram/chats/{chat}"), None),
        (
            Method::POST,
            "/notifications/send".to_owned(),
            Some(json!({"channel": "telegram", "chatId": chat, "body": "x"})),
        ),
    ] {
        let none = app.call_as("", method.clone(), &path, body.clone()).await;
        assert_eq!(none.status, 401, "{method} {path}");
        let scoped = app
            .call_as(&reader, method.clone(), &path, body.clone())
            .await;
        assert_eq!(scoped.status, 403, "{method} {path}: {}", scoped.text);
        if !path.ends_with("link-code") {
            let foreign = app
                .call_as(&other_token, method.clone(), &path, body.clone())
                .await;
            assert_eq!(foreign.status, 404, "{method} {path}: {}", foreign.text);
            assert_eq!(foreign.body["error"], "chat_not_found");
        }
    }
    // Telegram's id of a chat linked to this business means nothing to another.
    let foreign = app
        .call_as(
            &other_token,
            Method::POST,
            "/notifications/send",
            Some(json!({"channel": "telegram", "chatId": "-1001", "body": "x"})),
        )
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.text);
    let deleted = app
        .call(Method::DELETE, &format!("/telegram/chats/{chat}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    app.stop().await;
}

/// In webhook mode without `telegram_webhook_secret`, `/telegram/webhook`
/// refuses every update, so a link code could never be redeemed: none is
/// minted, and the status says why a CRM should not offer the QR code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_cannot_receive_updates_mints_no_link_codes() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let app = TestApp::start(|s| {
        gateway(s, &tg, &dc);
        s.telegram_webhook_secret = None;
    })
    .await;
    let refused = app.post("/telegram/link-code", json!({})).await;
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert_eq!(refused.body["error"], "telegram_not_configured");
    let status = app.get("/telegram/status").await;
    assert_eq!(status.body["configured"], false, "{}", status.text);
    assert_eq!(status.body["botUsername"], Value::Null);
    app.stop().await;

    // Polling needs no secret.
    let app = TestApp::start(|s| {
        gateway(s, &tg, &dc);
        s.telegram_webhook_secret = None;
        s.telegram_mode = "polling".into();
    })
    .await;
    let minted = app.post("/telegram/link-code", json!({})).await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    assert!(
        minted.body["deepLink"]
            .as_str()
            .unwrap()
            .starts_with("https://t.me/SwitchboardBot?start="),
        "{}",
        minted.text
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_webhooks_limits_and_feed() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let app = TestApp::start(|s| gateway(s, &tg, &dc)).await;

    let bad = app
        .post(
            "/notifications/discord",
            json!({"name": "x", "webhookUrl": "https://evil.example/api/webhooks/1/t"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["error"], "discord_invalid_webhook");
    // Discord's host and path, but what the channel component would refuse
    // at every send: refused now, in the component's words.
    for (url, says) in [
        (
            "https://discord.com/api/webhooks/123/tok?foo=1",
            "only `thread_id`",
        ),
        ("https://discord.com/api/webhooks/123/tok.en", "characters"),
        ("https://discord.com/api/webhooks/123/tok#x", "fragment"),
    ] {
        let r = app
            .post(
                "/notifications/discord",
                json!({"name": "x", "webhookUrl": url}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["error"].clone()),
            (422, json!("discord_invalid_webhook")),
            "{url}: {}",
            r.text
        );
        assert!(
            r.body["message"].as_str().unwrap().contains(says),
            "{url}: {}",
            r.text
        );
    }
    assert_eq!(
        app.get("/notifications/destinations").await.body["discord"],
        json!([]),
        "a refused URL stores nothing"
    );
    let made = app
        .post(
            "/notifications/discord",
            json!({"name": "#alerts", "webhookUrl": DISCORD_URL}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let hook = made.body["id"].as_str().unwrap().to_owned();
    let dest = app.get("/notifications/destinations").await;
    assert_eq!(
        dest.body["discord"],
        json!([{"id": hook, "name": "#alerts", "isActive": true}])
    );
    assert!(!dest.text.contains("tok-en"), "the URL never leaves");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT url_sealed FROM discord_webhooks")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&stored).contains("tok-en"),
        "sealed at rest"
    );

    // Seven at once: five go now, two wait for the window; Discord never
    // has to say 429.
    for i in 0..7 {
        let r = app
            .post("/notifications/send", json!({"channel": "discord", "webhookId": hook, "title": "t", "body": format!("m{i}")}))
            .await;
        assert_eq!(r.body["ok"], true, "{}", r.text);
        let expected = if i < 5 { "delivered" } else { "queued" };
        assert_eq!(r.body["status"], expected, "{i}: {}", r.text);
    }
    eventually(async || dc.state.received().len() == 7, "the queued two").await;
    assert_eq!(
        *dc.state.throttled.lock().unwrap(),
        0,
        "our limiter kept to Discord's"
    );
    let at: Vec<_> = dc.state.received().iter().map(|r| r.at).collect();
    assert!(
        at[5].duration_since(at[0]) >= Duration::from_millis(1990),
        "5 per 2 s held"
    );

    // A 429 our limiter could not foresee holds the webhook: the sends
    // behind it wait for its `retry_after` rather than each drawing a 429
    // (and using up an attempt).
    let second = app
        .post(
            "/notifications/discord",
            json!({"name": "#ops", "webhookUrl": "https://discord.com/api/webhooks/2222/tok-two"}),
        )
        .await;
    let second = second.body["id"].as_str().unwrap().to_owned();
    let throttled_before = *dc.state.throttled.lock().unwrap();
    *dc.state.slow_down_until.lock().unwrap() = Some(Instant::now() + Duration::from_millis(1500));
    let mut statuses = Vec::new();
    for i in 0..3 {
        let r = app
            .post("/notifications/send", json!({"channel": "discord", "webhookId": second, "title": "t", "body": format!("held {i}")}))
            .await;
        statuses.push(r.body["status"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        statuses,
        ["pending", "queued", "queued"],
        "only the first met the 429"
    );
    assert_eq!(*dc.state.throttled.lock().unwrap(), throttled_before + 1);
    eventually(
        async || {
            dc.state
                .texts()
                .iter()
                .filter(|t| t.contains("held"))
                .count()
                == 3
        },
        "the held three",
    )
    .await;

    // Foreign and unknown ids.
    let (_, other_token) = app.other_tenant().await;
    let foreign = app
        .call_as(
            &other_token,
            Method::POST,
            "/notifications/send",
            Some(json!({"channel": "discord", "webhookId": hook, "body": "x"})),
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body["error"], "discord_webhook_not_found");
    let foreign_delete = app
        .call_as(
            &other_token,
            Method::DELETE,
            &format!("/notifications/discord/{hook}"),
            None,
        )
        .await;
    assert_eq!(foreign_delete.status, 404);

    // A deleted webhook at Discord: {ok:false}, and it is marked inactive.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    dc.state.gone.lock().unwrap().insert("1111".into());
    let gone = app
        .post(
            "/notifications/send",
            json!({"channel": "discord", "webhookId": hook, "body": "x"}),
        )
        .await;
    assert_eq!(gone.body["ok"], false, "{}", gone.text);
    let detail = app
        .get(&format!(
            "/notifications/{}",
            gone.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(detail.body["status"], "failed");
    assert_eq!(
        detail.body["deliveryAttempts"][0]["code"], "webhook_unknown",
        "{}",
        detail.text
    );
    let dest = app.get("/notifications/destinations").await;
    assert_eq!(dest.body["discord"][0]["isActive"], false);
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/notifications/discord/{hook}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/notifications/discord/{hook}"),
            None
        )
        .await
        .status,
        404
    );

    // In-app: the stream receives the row as it is created.
    let stream = app
        .client
        .get(app.url("/notifications/feed/stream"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let posted = app
        .post("/notifications/send", json!({"channel": "in_app", "title": "Call missed", "body": "from +66812345678", "link": "https://app.example/calls/1", "severity": "warning"}))
        .await;
    assert_eq!(posted.body["ok"], true);
    let mut stream = stream.bytes_stream();
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        use futures::StreamExt;
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains("Call missed") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got, Ok(true), "{seen}");
    assert!(seen.contains("event: notification"));
    let feed = app.get("/notifications/feed").await;
    assert_eq!(feed.body["unreadCount"], 1);
    assert_eq!(
        feed.body["items"][0]["data"]["link"],
        "https://app.example/calls/1"
    );
    // The answer's id is the outbox's record of it, whose one attempt
    // names the feed row it made.
    assert_eq!(posted.body["status"], "delivered", "{}", posted.text);
    let id = posted.body["id"].as_str().unwrap();
    let record = app.get(&format!("/notifications/{id}")).await;
    assert_eq!(record.status, 200, "{}", record.text);
    assert_eq!(record.body["channel"], "in_app");
    assert_eq!(record.body["status"], "delivered");
    assert_eq!(record.body["externalId"], feed.body["items"][0]["id"]);
    assert_eq!(posted.body["externalId"], feed.body["items"][0]["id"]);
    assert_eq!(record.body["deliveryAttempts"].as_array().unwrap().len(), 1);
    // The body may be left out: "mark all read".
    let read = app
        .call(Method::POST, "/notifications/feed/read", None)
        .await;
    assert_eq!(read.body["marked"], 1, "{}", read.text);
    assert_eq!(app.get("/notifications/feed").await.body["unreadCount"], 0);

    // A stream ends soon after its token is revoked.
    let short_lived = app.token_with(&["view_notifications"]).await;
    let revoked = app
        .client
        .get(app.url("/notifications/feed/stream"))
        .bearer_auth(&short_lived)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let grant = app.store().authenticate_token(&short_lived).await.unwrap();
    app.store().revoke_token(&grant.token_id).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        use futures::StreamExt;
        let mut body = revoked.bytes_stream();
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the revoked token's stream is still open");

    // Preferences: defaults, a patch, validation.
    let prefs = app.get("/notifications/preferences").await;
    assert_eq!(prefs.body["minSeverity"], "info");
    let patched = app
        .call(
            Method::PATCH,
            "/notifications/preferences",
            Some(json!({"minSeverity": "critical", "mutedRuleIds": ["r1"]})),
        )
        .await;
    assert_eq!(patched.body["minSeverity"], "critical", "{}", patched.text);
    assert_eq!(patched.body["inAppEnabled"], true);
    let invalid = app
        .call(
            Method::PATCH,
            "/notifications/preferences",
            Some(json!({"minSeverity": "loud"})),
        )
        .await;
    assert_eq!(invalid.status, 422);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_notifications_survive_a_restart_and_arrive_once() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let configure = |s: &mut Settings| {
        gateway(s, &tg, &dc);
        s.data_dir = data.clone();
    };
    let app = TestApp::start(configure).await;
    let hook = app
        .post(
            "/notifications/discord",
            json!({"name": "ops", "webhookUrl": DISCORD_URL}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let business = app.business_id.clone();
    app.stop().await;

    // Accepted while the server is down: three pending, and one a crashed
    // worker had claimed (its lease long gone).
    let store = switchboard::store::Store::connect(&format!(
        "sqlite://{}",
        data.join("switchboard.db").display()
    ))
    .await
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..4 {
        let n = store
            .enqueue_notification(NewNotification {
                business_id: business.clone(),
                channel: "discord".into(),
                destination_id: Some(hook.clone()),
                title: "restart".into(),
                body: format!("n{i}"),
                link: None,
                severity: "info".into(),
                attributes: json!({}),
            })
            .await
            .unwrap();
        ids.push(n.id);
    }
    assert!(
        store.claim_notification(&ids[3], -1).await.unwrap(),
        "a stale claim"
    );
    store.close().await;

    let app = TestApp::start(configure).await;
    eventually(
        async || dc.state.received().len() >= 4,
        "delivery after restart",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut texts = dc.state.texts();
    texts.sort();
    assert_eq!(texts.len(), 4, "each exactly once: {texts:?}");
    for (i, t) in texts.iter().enumerate() {
        assert!(t.contains(&format!("n{i}")), "{t}");
    }
    for id in &ids {
        let n = app.store().get_notification(&business, id).await.unwrap();
        assert_eq!(n.status, "delivered", "{n:?}");
        assert_eq!(n.attempts, 1, "{n:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_upgraded_to_a_supergroup_is_followed() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let app = TestApp::start(|s| gateway(s, &tg, &dc)).await;
    let chat = link_chat(&app, -7007).await;
    tg.state
        .migrated
        .lock()
        .unwrap()
        .insert("-7007".into(), "-1007007".into());
    tokio::time::sleep(Duration::from_millis(1100)).await; // the fake's 1/s per chat
    let sent = app
        .post(
            "/notifications/send",
            json!({"channel": "telegram", "chatId": chat, "title": "t", "body": "after the upgrade"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    for _ in 0..100 {
        if tg.state.received().iter().any(|r| r.target == "-1007007") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered: Vec<String> = tg
        .state
        .received()
        .iter()
        .filter(|r| r.target == "-1007007")
        .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(delivered.len(), 1, "{:?}", tg.state.received());
    assert!(delivered[0].contains("after the upgrade"), "{delivered:?}");
    let chats = app.get("/telegram/chats").await;
    assert_eq!(
        (
            chats.body["items"][0]["chatId"].clone(),
            chats.body["items"][0]["isActive"].clone()
        ),
        (json!("-1007007"), json!(true)),
        "{}",
        chats.text
    );
    app.stop().await;
}

/// The supergroup a group became was already linked on its own: the old
/// row is switched off and the message goes to the linked supergroup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_upgraded_to_a_linked_supergroup_sends_there() {
    let (tg, dc) = (fakes::telegram(BOT_TOKEN).await, fakes::discord().await);
    let app = TestApp::start(|s| gateway(s, &tg, &dc)).await;
    let group = link_chat(&app, -8008).await;
    let supergroup = link_chat(&app, -1008008).await;
    tg.state
        .migrated
        .lock()
        .unwrap()
        .insert("-8008".into(), "-1008008".into());
    tokio::time::sleep(Duration::from_millis(1100)).await; // the fake's 1/s per chat
    let sent = app
        .post(
            "/notifications/send",
            json!({"channel": "telegram", "chatId": group, "body": "after the upgrade"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let id = sent.body["id"].as_str().unwrap().to_owned();
    let mut delivered = Value::Null;
    for _ in 0..100 {
        let n = app.get(&format!("/notifications/{id}")).await.body;
        if n["status"] == "delivered" {
            delivered = n;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        delivered["destinationId"],
        supergroup.as_str(),
        "{delivered}"
    );
    assert!(
        tg.state.received().iter().any(|r| r.target == "-1008008"
            && r.body["text"]
                .as_str()
                .unwrap_or_default()
                .contains("after the upgrade")),
        "{:?}",
        tg.state.received()
    );
    let chats = app.get("/telegram/chats").await;
    let old = chats.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == group.as_str())
        .unwrap()
        .clone();
    assert_eq!(old["isActive"], false, "{}", chats.text);
    app.stop().await;
}

/// Two servers on one PostgreSQL: an in-app row made on one reaches a
/// stream open on the other (SQLite has one server by construction).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_app_row_reaches_streams_on_every_server() {
    let Ok(admin_url) = std::env::var(switchboard_tests::app::POSTGRES_URL_VAR) else {
        eprintln!("skipped: no PostgreSQL configured");
        return;
    };
    let db = switchboard_tests::app::fresh_postgres(&admin_url).await;
    let a = TestApp::start(|s| {
        s.database_url = Some(db.clone());
        s.master_key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into());
    })
    .await;
    let b = switchboard::server::start(a.settings.clone())
        .await
        .unwrap();
    let stream = a
        .client
        .get(format!("http://{}/notifications/feed/stream", b.addr))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // The listener on the second server may still be connecting.
    let mut stream = stream.bytes_stream();
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        use futures::StreamExt;
        let mut sent = 0;
        loop {
            if sent < 20 {
                let posted = a
                    .post("/notifications/send", json!({"channel": "in_app", "title": format!("Made on A {sent}"), "body": "x"}))
                    .await;
                assert_eq!(posted.body["ok"], true, "{}", posted.text);
                sent += 1;
            }
            let next = tokio::time::timeout(Duration::from_millis(250), stream.next()).await;
            if let Ok(Some(chunk)) = next {
                seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
                if seen.contains("Made on A") {
                    return true;
                }
            }
        }
    })
    .await;
    assert_eq!(got, Ok(true), "{seen}");
    b.stop().await;
    a.stop().await;
}

/// Seed 000 invites a caller to retry after `ok: false`; with an
/// `Idempotency-Key` the retry answers the first send's outcome instead of
/// sending twice, even when both arrive at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_makes_a_retry_answer_the_first_send() {
    for app in TestApp::each_backend().await {
        let send = |key: String, body: &'static str| {
            let req = app
                .client
                .post(app.url("/notifications/send"))
                .bearer_auth(&app.token)
                .header("idempotency-key", key)
                .json(&json!({"channel": "in_app", "title": "Lead", "body": body}));
            async move { reply(req.send().await.unwrap()).await }
        };
        let first = send("lead-123".into(), "first").await;
        assert_eq!(
            (first.body["ok"].clone(), first.body["status"].clone()),
            (json!(true), json!("delivered")),
            "{}",
            first.text
        );
        let again = send("lead-123".into(), "second").await;
        assert_eq!(again.body["id"], first.body["id"], "{}", again.text);
        assert_eq!(again.body["replayed"], true);
        assert_eq!(again.body["status"], "delivered");
        // The key answers before the body is looked at.
        let odd = reply(
            app.client
                .post(app.url("/notifications/send"))
                .bearer_auth(&app.token)
                .header("idempotency-key", "lead-123")
                .json(&json!({"channel": "in_app", "title": "Lead", "severity": "loud"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(odd.body["id"], first.body["id"], "{}", odd.text);
        // Two at once with a new key: one notification.
        let (a, b) = tokio::join!(send("lead-124".into(), "x"), send("lead-124".into(), "x"));
        assert_eq!(a.body["id"], b.body["id"], "{} / {}", a.text, b.text);
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications")
            .fetch_one(app.store().pool())
            .await
            .unwrap();
        assert_eq!(stored, 2, "{}", app.backend);
        // Keys are the business's own: another business's is another send.
        let (_, other) = app.other_tenant().await;
        let theirs = reply(
            app.client
                .post(app.url("/notifications/send"))
                .bearer_auth(&other)
                .header("idempotency-key", "lead-123")
                .json(&json!({"channel": "in_app", "title": "Lead", "body": "theirs"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_ne!(theirs.body["id"], first.body["id"], "{}", theirs.text);
        assert_eq!(theirs.body["replayed"], Value::Null);
        for bad in ["has space".to_owned(), "k".repeat(256)] {
            let r = send(bad, "x").await;
            assert_eq!(
                (r.status.as_u16(), r.body["error"].clone()),
                (400, json!("invalid_idempotency_key")),
                "{}",
                r.text
            );
        }
        app.stop().await;
    }
}
