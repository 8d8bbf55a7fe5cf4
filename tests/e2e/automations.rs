//! Automations and the analysis stage through the real server: a pulled
//! recording is transcribed and analysed by the bundled `openai-analyzer`
//! against a local fake of the API, and the business's rule fires to a
//! (fake) Discord webhook; the rule API exactly as the seed, graphs that no
//! rule expresses, dry runs, digests, external and vendor analyses, and
//! `ai.failed`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::config::Settings;
use switchboard_tests::ai_fake;
use switchboard_tests::app::TestApp;
use switchboard_tests::fakes::{self, Fake};
use switchboard_tests::recording_fakes::{Behaviour, FakeRecording, fake_3cx, fake_orktrack};

const DISCORD_URL: &str = "https://discord.com/api/webhooks/2222/tok-en";
const BOT_TOKEN: &str = "123:bot";
const HOOK_SECRET: &str = "tg-secret";

fn with_telegram(s: &mut Settings, tg: &Fake) {
    s.telegram_bot_token = Some(BOT_TOKEN.into());
    s.telegram_bot_username = Some("SwitchboardBot".into());
    s.telegram_api_base = tg.base.clone();
    s.telegram_webhook_secret = Some(HOOK_SECRET.into());
}

/// Links Telegram chat `chat_id` through the bot's `/start <code>` flow.
async fn link_chat(app: &TestApp, chat_id: i64) -> String {
    let code = app.post("/telegram/link-code", json!({})).await;
    let code = code.body["code"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(app.url("/telegram/webhook"))
        .header("x-telegram-bot-api-secret-token", HOOK_SECRET)
        .json(
            &json!({"update_id": 1, "message": {"message_id": 5, "text": format!("/start {code}"),
                      "chat": {"id": chat_id, "type": "group", "title": "Sales team"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.get("/telegram/chats").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn settings(s: &mut Settings, dc: &Fake) {
    s.discord_api_base = dc.base.clone();
    s.outbox_poll_ms = 50;
    s.analysis_poll_ms = 50;
    s.analysis_backoff_base_ms = 100;
    s.sync_poll_ms = 50;
}

async fn discord_hook(app: &TestApp) -> String {
    let r = app
        .post(
            "/notifications/discord",
            json!({"name": "Sales", "webhookUrl": DISCORD_URL}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..300 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// Connects the bundled analyzer to the fake AI API with the right key.
async fn connect_analyzer(app: &TestApp, ai: &ai_fake::AiFake) {
    let analyzer = app
        .post(
            "/integrations",
            json!({"kind": "openai-analyzer", "name": "AI", "config": {"baseUrl": ai.base_url},
                   "secrets": {"apiKey": ai_fake::API_KEY}}),
        )
        .await;
    assert_eq!(analyzer.status, StatusCode::CREATED, "{}", analyzer.text);
}

/// Connects a recording source and sets it as default: it starts pulling.
async fn pull_from(app: &TestApp, source: Value) {
    let created = app.post("/integrations", source).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let default = app
        .post(&format!("/integrations/{id}/default"), json!({}))
        .await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);
}

fn low_score_rule(hook: &str) -> Value {
    json!({"name": "Unhappy callers", "conditions": [{"field": "score", "op": "lt", "value": 50}],
           "message": "Call from {{customer_phone}} scored {{score}}: {{summary}}",
           "telegramChatIds": [], "discordWebhookIds": [hook]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_recording_is_analysed_and_fires_a_rule() {
    let (dc, tg, ai) = (
        fakes::discord().await,
        fakes::telegram(BOT_TOKEN).await,
        ai_fake::start().await,
    );
    ai.state.fail_transcriptions.store(1, Ordering::SeqCst);
    let source = Behaviour::with(vec![FakeRecording::new(1, 9000)]);
    let base = fake_3cx(Arc::clone(&source)).await;
    let app = TestApp::start(|s| {
        settings(s, &dc);
        with_telegram(s, &tg);
    })
    .await;
    let hook = discord_hook(&app).await;
    let chat = link_chat(&app, -5005).await;
    let mut rule = low_score_rule(&hook);
    rule["telegramChatIds"] = json!([chat]);
    let created = app.post("/notifications/automations", rule).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let automation = created.body["id"].as_str().unwrap().to_owned();

    let analyzer = app
        .post(
            "/integrations",
            json!({"kind": "openai-analyzer", "name": "AI", "config": {"baseUrl": ai.base_url, "sttModel": "whisper-1"},
                   "secrets": {"apiKey": ai_fake::API_KEY}}),
        )
        .await;
    assert_eq!(analyzer.status, StatusCode::CREATED, "{}", analyzer.text);
    let pbx = app
        .post(
            "/integrations",
            json!({"kind": "threecx-cloud", "name": "3CX", "config": {"baseUrl": base},
                   "secrets": {"clientId": "c", "clientSecret": "good-secret"}}),
        )
        .await;
    assert_eq!(pbx.status, StatusCode::CREATED, "{}", pbx.text);
    let default = app
        .post(
            &format!("/integrations/{}/default", pbx.body["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.text);

    // Synced, transcribed (after one 5xx, retried), analysed, fired.
    let texts = eventually("the Discord message", async || {
        let t = dc.state.texts();
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains(
            "**Unhappy callers**\nCall from +66812340001 scored 42: Customer asks for an invoice.\n"
        ),
        "{texts:?}"
    );
    assert!(
        texts[0].ends_with(&format!(
            "/calls/{}",
            app.get("/recordings").await.body["items"][0]["callId"]
                .as_str()
                .unwrap()
        )),
        "{texts:?}"
    );
    // The audio reached speech-to-text as the stored bytes, through the host.
    assert_eq!(
        ai.state.uploads.lock().unwrap().as_slice(),
        [FakeRecording::new(1, 9000).bytes()]
    );
    assert!(ai.state.prompts.lock().unwrap()[0].contains("Hello, I need an invoice."));
    let telegram = eventually("the Telegram message", async || {
        tg.state
            .texts()
            .into_iter()
            .find(|t| t.contains("scored 42"))
    })
    .await;
    assert!(
        telegram.contains("Call from +66812340001 scored 42: Customer asks for an invoice."),
        "{telegram}"
    );

    let call_id = app.get("/recordings").await.body["items"][0]["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    let analysis = app.get(&format!("/calls/{call_id}/analysis")).await;
    assert_eq!(
        analysis.body["analysis"]["score"], 42.0,
        "{}",
        analysis.text
    );
    assert_eq!(analysis.body["analysis"]["sentiment"], "negative");
    assert_eq!(
        analysis.body["analysis"]["tags"],
        json!(["invoice", "billing"])
    );
    assert_eq!(analysis.body["analysis"]["source"], "analyzer");
    let text = analysis.text.to_ascii_lowercase();
    for banned in ["gpt-4o", "whisper", "\"model\"", "usage", "cost"] {
        assert!(!text.contains(banned), "{banned} leaked: {}", analysis.text);
    }
    let jobs = analysis.body["jobs"].as_array().unwrap();
    let analyze = jobs.iter().find(|j| j["kind"] == "analyze").unwrap();
    assert_eq!(
        (analyze["status"].clone(), analyze["attempts"].clone()),
        (json!("done"), json!(2))
    );

    // Stats and the recorded firing.
    let listed = eventually("delivery stats", async || {
        let l = app.get("/notifications/automations").await.body;
        (l["items"][0]["sent"] == 2).then_some(l)
    })
    .await;
    assert_eq!(listed["items"][0]["failed"], 0);
    assert!(listed["items"][0]["lastRunAt"].is_i64());
    let runs = app
        .get(&format!("/notifications/automations/{automation}/runs"))
        .await;
    assert_eq!(runs.body["items"][0]["callId"], call_id.as_str());
    let targets: Vec<&str> = runs.body["items"][0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, [chat.as_str(), hook.as_str()]);
    let outcomes: Vec<&str> = runs.body["items"][0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["delivered", "delivered"], "{}", runs.text);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rule_api_as_the_seed_documents_it() {
    let dc = fakes::discord().await;
    let app = TestApp::start(|s| settings(s, &dc)).await;
    let hook = discord_hook(&app).await;

    let created = app
        .post("/notifications/automations", low_score_rule(&hook))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let read = app.get(&format!("/notifications/automations/{id}")).await;
    assert_eq!(read.body["advanced"], false);
    assert_eq!(read.body["enabled"], true);
    let rule = &read.body["rule"];
    assert_eq!(rule["name"], "Unhappy callers");
    assert_eq!(rule["conditions"], low_score_rule(&hook)["conditions"]);
    assert_eq!(rule["discordWebhookIds"], json!([hook]));
    assert_eq!(rule["message"], low_score_rule(&hook)["message"]);

    // Save-time errors name what is wrong.
    let mut bad = low_score_rule(&hook);
    bad["message"] = json!("Score {{scroe}}");
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.body["error"].clone(),
            r.body["name"].clone()
        ),
        (422, json!("unknown_variable"), json!("scroe")),
        "{}",
        r.text
    );
    let mut bad = low_score_rule(&hook);
    bad["conditions"] = json!([{"field": "mood", "op": "eq", "value": "x"}]);
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(
        (r.body["error"].clone(), r.body["name"].clone()),
        (json!("unknown_field"), json!("mood"))
    );
    let mut bad = low_score_rule(&hook);
    bad["conditions"] = json!([{"field": "direction", "op": "lt", "value": "inbound"}]);
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(
        (r.body["error"].clone(), r.body["index"].clone()),
        (json!("invalid_operator"), json!(0))
    );
    // A misspelt key is refused, not read as "no conditions" (a rule that
    // would fire on every call), in the rule and in a condition.
    let mut bad = low_score_rule(&hook);
    bad["condition"] = bad["conditions"].take();
    bad.as_object_mut().unwrap().remove("conditions");
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"].clone()),
        (422, json!("invalid_rule"))
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("`condition`"),
        "{}",
        r.text
    );
    let mut bad = low_score_rule(&hook);
    bad["conditions"] = json!([{"field": "score", "operator": "lt", "value": 50}]);
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"].clone()),
        (422, json!("invalid_rule"))
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("`operator`"),
        "{}",
        r.text
    );
    let mut bad = low_score_rule(&hook);
    bad["enabled"] = json!("no");
    let r = app.post("/notifications/automations", bad).await;
    assert_eq!(r.body["error"], "invalid_rule", "{}", r.text);

    let (_, other) = app.other_tenant().await;
    let theirs = app
        .call_as(
            &other,
            Method::POST,
            "/notifications/discord",
            Some(json!({"name": "Theirs", "webhookUrl": DISCORD_URL})),
        )
        .await;
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post("/notifications/automations", low_score_rule(&theirs))
        .await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.body["error"].clone(),
            r.body["id"].clone()
        ),
        (422, json!("invalid_destination"), json!(theirs))
    );
    assert_eq!(
        app.get("/notifications/automations").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "a refused rule stores nothing"
    );

    // `enabled` in the body is honoured: created off, switched on by a PUT.
    let mut paused = low_score_rule(&hook);
    paused["enabled"] = json!(false);
    let made = app.post("/notifications/automations", paused.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let pid = made.body["id"].as_str().unwrap().to_owned();
    let read = app.get(&format!("/notifications/automations/{pid}")).await;
    assert_eq!(read.body["enabled"], false, "{}", read.text);
    paused["enabled"] = json!(true);
    let put = app
        .call(
            Method::PUT,
            &format!("/notifications/automations/{pid}"),
            Some(paused),
        )
        .await;
    assert_eq!(put.body["enabled"], true, "{}", put.text);
    let gone = app
        .call(
            Method::DELETE,
            &format!("/notifications/automations/{pid}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    // PUT replaces, PATCH toggles, another business sees nothing, DELETE.
    let mut replaced = low_score_rule(&hook);
    replaced["match"] = json!("any");
    replaced["conditions"] = json!([{"field": "tags", "op": "contains", "value": "vip"},
                                    {"field": "duration", "op": "gte", "value": 600}]);
    let put = app
        .call(
            Method::PUT,
            &format!("/notifications/automations/{id}"),
            Some(replaced.clone()),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["rule"]["match"], "any");
    assert_eq!(put.body["rule"]["conditions"], replaced["conditions"]);
    let off = app
        .call(
            Method::PATCH,
            &format!("/notifications/automations/{id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(off.body["enabled"], false);
    let foreign = app
        .call_as(
            &other,
            Method::GET,
            &format!("/notifications/automations/{id}"),
            None,
        )
        .await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.body["error"].clone()),
        (404, json!("automation_not_found"))
    );
    let reader = app.token_with(&["view_notifications"]).await;
    let denied = app
        .call_as(
            &reader,
            Method::DELETE,
            &format!("/notifications/automations/{id}"),
            None,
        )
        .await;
    assert_eq!(denied.body["error"], "missing_scope");
    // The scope is checked before the body is read: whatever a token
    // without it sends, the answer is 403 `missing_scope`.
    for body in [Some(json!({})), Some(json!("not a rule")), None] {
        let r = app
            .call_as(
                &reader,
                Method::POST,
                "/notifications/automations",
                body.clone(),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["error"].clone()),
            (403, json!("missing_scope")),
            "{body:?}: {}",
            r.text
        );
    }
    let r = app
        .call_as(
            &reader,
            Method::GET,
            "/notifications/automations/test?limit=many",
            None,
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.text);
    assert_eq!(r.body["error"], "method_not_allowed", "{}", r.text);
    let gone = app
        .call(
            Method::DELETE,
            &format!("/notifications/automations/{id}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = app
        .call(
            Method::DELETE,
            &format!("/notifications/automations/{id}"),
            None,
        )
        .await;
    assert_eq!(again.body["error"], "automation_not_found");

    // A graph no rule expresses: nested AND/OR and an in-app action.
    let graph = json!({"name": "VIP triage", "nodes": [
        {"id": "t", "type": "trigger", "event": "call.analysis.finished"},
        {"id": "hot", "type": "condition", "field": "score", "op": "gte", "value": 80},
        {"id": "either", "type": "branch", "match": "any", "children": ["vip", "long"]},
        {"id": "vip", "type": "condition", "field": "tags", "op": "contains", "value": "vip"},
        {"id": "long", "type": "condition", "field": "duration", "op": "gt", "value": 300},
        {"id": "feed", "type": "action", "channel": "in_app", "message": "Hot lead {{customer_phone}}", "severity": "warning"}],
        "edges": [{"from": "t", "to": "hot"}, {"from": "hot", "to": "either"}, {"from": "either", "to": "feed"}]});
    let made = app
        .post("/notifications/automations/graphs", json!({"graph": graph}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let gid = made.body["id"].as_str().unwrap();
    let read = app.get(&format!("/notifications/automations/{gid}")).await;
    assert_eq!(
        (read.body["rule"].clone(), read.body["advanced"].clone()),
        (Value::Null, json!(true))
    );
    let stored = app
        .get(&format!("/notifications/automations/{gid}/graph"))
        .await;
    assert_eq!(stored.body["graph"]["nodes"].as_array().unwrap().len(), 6);
    // A misspelt key is refused, not dropped: `endpointID` would make an
    // action for every default endpoint.
    let mut typo = graph.clone();
    let action = typo["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["type"] == "action")
        .unwrap();
    action["endpointID"] = json!("ep_1");
    let r = app
        .post("/notifications/automations/graphs", json!({"graph": typo}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"], "invalid_graph");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("\"endpointID\""),
        "{}",
        r.text
    );
    let mut cyclic = graph.clone();
    cyclic["edges"]
        .as_array_mut()
        .unwrap()
        .push(json!({"from": "feed", "to": "hot"}));
    let r = app
        .post(
            "/notifications/automations/graphs",
            json!({"graph": cyclic}),
        )
        .await;
    assert_eq!(r.body["error"], "invalid_graph", "{}", r.text);
    assert!(
        r.body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "cycle" || p["code"] == "invalid_edge"),
        "{}",
        r.text
    );
    app.stop().await;
}

/// A call made by a webhook, for posting analyses to.
async fn webhook_call(app: &TestApp, chain: &str, phone: &str) -> String {
    let pbx = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": format!("PBX {chain}")}),
        )
        .await;
    let hook = pbx.body["webhookUrl"].as_str().unwrap().to_owned();
    let r = app
        .client
        .get(&hook)
        .query(&[
            ("event", "ringing"),
            ("callerid", phone),
            ("user", "101"),
            ("usertype", "ext"),
            ("id", &format!("{chain}-1")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let calls = app
        .get(&format!(
            "/calls?integrationId={}",
            pbx.body["id"].as_str().unwrap()
        ))
        .await;
    calls.body["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_analyses_fire_dry_runs_send_nothing_and_digests_wait() {
    let dc = fakes::discord().await;
    let app = TestApp::start(|s| settings(s, &dc)).await;
    let hook = discord_hook(&app).await;
    let low = app
        .post("/notifications/automations", low_score_rule(&hook))
        .await;
    let low = low.body["id"].as_str().unwrap().to_owned();
    let mut digest = low_score_rule(&hook);
    digest["name"] = json!("Daily digest");
    digest["conditions"] = json!([]);
    digest["digest"] = json!("24h");
    let digested = app.post("/notifications/automations", digest).await;
    assert_eq!(digested.status, StatusCode::CREATED, "{}", digested.text);

    // A flow with a webhook action naming no endpoint: every endpoint
    // subscribed to automation.fired gets it.
    let (receiver, fired) = switchboard_tests::sink().await;
    let endpoint = app
        .post(
            "/webhooks",
            json!({"url": receiver, "eventTypes": ["automation.fired"]}),
        )
        .await;
    assert_eq!(endpoint.status, StatusCode::CREATED, "{}", endpoint.text);
    let flow = json!({"name": "CRM push", "nodes": [
        {"id": "t", "type": "trigger", "event": "call.analysis.finished"},
        {"id": "low", "type": "condition", "field": "score", "op": "lt", "value": 50},
        {"id": "crm", "type": "action", "channel": "webhook", "message": "{{call_id}} scored {{score}}"}],
        "edges": [{"from": "t", "to": "low"}, {"from": "low", "to": "crm"}]});
    let made = app
        .post("/notifications/automations/graphs", json!({"graph": flow}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);

    let bad_call = webhook_call(&app, "240501100000_11", "+66811111111").await;
    let good_call = webhook_call(&app, "240501100000_12", "+66822222222").await;

    let empty = app
        .post(&format!("/calls/{bad_call}/analysis"), json!({}))
        .await;
    assert_eq!(empty.body["error"], "empty_analysis");
    let out_of_range = app
        .post(
            &format!("/calls/{bad_call}/analysis"),
            json!({"score": 140}),
        )
        .await;
    assert_eq!(out_of_range.body["error"], "invalid_score");
    let r = app
        .post(&format!("/calls/{bad_call}/analysis"),
              json!({"score": 20, "summary": "Angry about the delay", "tags": ["late"], "attributes": {"model": "x", "lang": "th"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["attributes"],
        json!({"lang": "th"}),
        "no model field is stored"
    );
    let r = app
        .post(
            &format!("/calls/{good_call}/analysis"),
            json!({"score": 90, "summary": "Happy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (_, other) = app.other_tenant().await;
    let foreign = app
        .call_as(
            &other,
            Method::POST,
            &format!("/calls/{good_call}/analysis"),
            Some(json!({"score": 1})),
        )
        .await;
    assert_eq!(foreign.body["error"], "call_not_found");

    // Only the low score fires at once; the digest waits for its window.
    let texts = eventually("the low-score message", async || {
        let t = dc.state.texts();
        (!t.is_empty()).then_some(t)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("Call from +66811111111 scored 20: Angry about the delay"),
        "{texts:?}"
    );
    assert_eq!(
        dc.state.texts().len(),
        1,
        "the digest and the good call sent nothing yet"
    );
    let runs = app
        .get(&format!(
            "/notifications/automations/{}/runs",
            digested.body["id"].as_str().unwrap()
        ))
        .await;
    let runs = runs.body["items"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2, "the digest rule matched both calls");
    assert!(
        runs.iter()
            .all(|r| r["deliveries"][0]["digestUntil"].is_i64())
    );

    switchboard_tests::wait_for(&fired, 1).await;
    let pushed: Value = serde_json::from_str(&fired.lock().unwrap()[0]).unwrap();
    assert_eq!(pushed["type"], "automation.fired", "{pushed}");
    assert!(
        pushed
            .to_string()
            .contains(&format!("{bad_call} scored 20")),
        "{pushed}"
    );
    assert_eq!(fired.lock().unwrap().len(), 1, "the good call did not fire");

    // Dry run: the saved rule over recent analyses, and an unsaved one.
    let dry = app
        .post(&format!("/notifications/automations/{low}/test"), json!({}))
        .await;
    assert_eq!(
        (dry.body["evaluated"].clone(), dry.body["matched"].clone()),
        (json!(2), json!(1)),
        "{}",
        dry.text
    );
    let fired: Vec<&Value> = dry.body["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["fires"] == true)
        .collect();
    assert_eq!(fired[0]["callId"], bad_call.as_str());
    assert_eq!(
        fired[0]["deliveries"][0]["message"],
        "Call from +66811111111 scored 20: Angry about the delay"
    );
    let mut unsaved = low_score_rule(&hook);
    unsaved["conditions"] = json!([{"field": "summary", "op": "contains", "value": "happy"}]);
    let dry = app
        .post("/notifications/automations/test", unsaved.clone())
        .await;
    assert_eq!(dry.body["matched"], 1, "{}", dry.text);
    // A bad `limit` is the one code every route gives it.
    let bad = app
        .post("/notifications/automations/test?limit=many", unsaved)
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["error"].as_str()),
        (400, Some("invalid_limit")),
        "{}",
        bad.text
    );
    // A dry run shows transcripts and numbers: `view_calls` reads those.
    let notifications_only = app.token_with(&["view_notifications"]).await;
    let denied = app
        .call_as(
            &notifications_only,
            Method::POST,
            &format!("/notifications/automations/{low}/test"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (denied.status.as_u16(), denied.body["error"].as_str()),
        (403, Some("missing_scope")),
        "{}",
        denied.text
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(dc.state.texts().len(), 1, "dry runs send nothing");

    // Deleting the digest rule drops what it collected: no digest later.
    let pending = |pool: sqlx::AnyPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM digest_items")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(pending(app.store().pool().clone()).await, 2);
    // Replacing the rule keeps what its destinations collected; a rule
    // switched off sends nothing more, its digest included.
    let digest_path = format!(
        "/notifications/automations/{}",
        digested.body["id"].as_str().unwrap()
    );
    let mut reworded = low_score_rule(&hook);
    reworded["name"] = json!("Daily digest");
    reworded["conditions"] = json!([]);
    reworded["digest"] = json!("24h");
    reworded["message"] = json!("{{customer_phone}}: {{score}}");
    let replaced = app
        .call(Method::PUT, &digest_path, Some(reworded.clone()))
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text);
    assert_eq!(pending(app.store().pool().clone()).await, 2);
    // Sending at once from now on: what was collected still goes as a digest.
    reworded["digest"] = Value::Null;
    let immediate = app.call(Method::PUT, &digest_path, Some(reworded)).await;
    assert_eq!(immediate.status, StatusCode::OK, "{}", immediate.text);
    assert_eq!(pending(app.store().pool().clone()).await, 2);
    let off = app
        .call(Method::PATCH, &digest_path, Some(json!({"enabled": false})))
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(pending(app.store().pool().clone()).await, 0);
    let removed = app
        .call(
            reqwest::Method::DELETE,
            &format!(
                "/notifications/automations/{}",
                digested.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_analytics_fire_and_a_rejected_key_is_ai_failed() {
    let (dc, ai) = (fakes::discord().await, ai_fake::start().await);
    let app = TestApp::start(|s| settings(s, &dc)).await;
    let hook = discord_hook(&app).await;
    let mut rule = low_score_rule(&hook);
    rule["conditions"] = json!([{"field": "summary", "op": "contains", "value": "счёт"}]);
    rule["message"] = json!("Invoice request: {{summary}}");
    assert_eq!(
        app.post("/notifications/automations", rule).await.status,
        StatusCode::CREATED
    );

    // 3CX's own speech analytics count as the call's analysis.
    let pbx = app
        .post(
            "/integrations",
            json!({"kind": "threecx-webhooks", "name": "PBX"}),
        )
        .await;
    let hook_url = pbx.body["webhookUrl"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(&hook_url)
        .json(&json!({"event": "analytics", "id": "240501100000_77-1",
                      "text": "— Добрый день! — Мне нужен счёт.", "summary": "Клиент просит счёт."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let texts = eventually("the vendor-analysis message", async || {
        let t = dc.state.texts();
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("Invoice request: Клиент просит счёт."),
        "{texts:?}"
    );

    // An analyzer whose key the API rejects: the job fails at once, ai.failed.
    let (receiver, seen) = switchboard_tests::sink().await;
    let endpoint = app
        .post(
            "/webhooks",
            json!({"url": receiver, "eventTypes": ["ai.failed"]}),
        )
        .await;
    assert_eq!(endpoint.status, StatusCode::CREATED, "{}", endpoint.text);
    app.post(
        "/integrations",
        json!({"kind": "openai-analyzer", "name": "AI", "config": {"baseUrl": ai.base_url},
               "secrets": {"apiKey": "sk-wrong"}}),
    )
    .await;
    let calls = app.get("/calls").await.body["items"]
        .as_array()
        .unwrap()
        .clone();
    let call_id = calls[0]["id"].as_str().unwrap();
    let r = app
        .post(&format!("/calls/{call_id}/analysis/run"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let body = eventually("ai.failed", async || seen.lock().unwrap().first().cloned()).await;
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "ai.failed");
    let attributes = &payload["data"]["attributes"];
    assert_eq!(attributes["call.id"], call_id);
    // The code only: the detail names the provider, which payloads do not.
    assert_eq!(attributes["error"], "vendor_bad_credentials", "{payload}");
    let jobs = app.get(&format!("/calls/{call_id}/analysis")).await;
    let analyze = jobs.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == "analyze")
        .unwrap()
        .clone();
    assert_eq!(
        (analyze["status"].clone(), analyze["attempts"].clone()),
        (json!("failed"), json!(1))
    );
    assert!(
        analyze["lastError"]
            .as_str()
            .is_some_and(|e| e.starts_with("vendor_bad_credentials: ")),
        "the detail stays on the job: {analyze}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_analysis_and_firing_fires_once() {
    let dc = fakes::discord().await;
    // The first server only queues: its analysis worker is off, so the
    // analysis is stored and its firing waits in the queue when it stops.
    let app = TestApp::start(|s| {
        settings(s, &dc);
        s.analysis_worker = false;
    })
    .await;
    let hook = discord_hook(&app).await;
    app.post("/notifications/automations", low_score_rule(&hook))
        .await;
    let call = webhook_call(&app, "240501100000_21", "+66833333333").await;
    let r = app
        .post(
            &format!("/calls/{call}/analysis"),
            json!({"score": 10, "summary": "Lost"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(dc.state.texts().is_empty());

    let mut app = app;
    app.settings.analysis_worker = true;
    let app = app.restart().await;
    let texts = eventually("the message after the restart", async || {
        let t = dc.state.texts();
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert!(texts[0].contains("scored 10: Lost"), "{texts:?}");
    // Another restart and a while later: still exactly once.
    let app = app.restart().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(dc.state.texts().len(), 1, "{:?}", dc.state.texts());
    let id = app.get("/notifications/automations").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let runs = app
        .get(&format!("/notifications/automations/{id}/runs"))
        .await;
    assert_eq!(runs.body["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// OrkTrack files a call's recording under the PBX's call id; when the
/// PBX's webhook for that call arrives while the pulled call is being
/// analysed, the webhook call adopts the pulled one and its running job.
/// The analysis is stored on the adopting call (the analyzer, paid per
/// minute of audio, is not run again) and the rule fires for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analysis_follows_its_call_when_a_webhook_call_adopts_it() {
    let (dc, ai) = (fakes::discord().await, ai_fake::start().await);
    ai.state.hold_transcriptions.store(true, Ordering::SeqCst);
    let mut recording = FakeRecording::new(1, 4000);
    recording.native_call_id = Some("240501100500_72".into());
    let ork = fake_orktrack(Behaviour::with(vec![recording])).await;
    let app = TestApp::start(|s| settings(s, &dc)).await;
    let hook = discord_hook(&app).await;
    let rule = app
        .post("/notifications/automations", low_score_rule(&hook))
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text);
    connect_analyzer(&app, &ai).await;
    pull_from(
        &app,
        json!({"kind": "dtac", "name": "DTAC", "config": {"baseUrl": ork},
               "secrets": {"username": "agent", "password": "pass"}}),
    )
    .await;

    tokio::time::timeout(Duration::from_secs(30), ai.state.held.notified())
        .await
        .expect("the pulled call's transcription never started");
    let pulled = app.get("/recordings").await.body["items"][0]["callId"]
        .as_str()
        .unwrap()
        .to_owned();
    let adopter = webhook_call(&app, "240501100500_72", "+66812340001").await;
    assert_ne!(adopter, pulled);
    assert_eq!(app.get(&format!("/calls/{pulled}")).await.status, 404);
    ai.state.release.notify_one();

    let texts = eventually("the Discord message", async || {
        let t = dc.state.texts();
        (!t.is_empty()).then_some(t)
    })
    .await;
    assert!(texts[0].contains("scored 42"), "{texts:?}");
    assert!(
        texts[0].ends_with(&format!("/calls/{adopter}")),
        "{texts:?}"
    );
    let analysis = app.get(&format!("/calls/{adopter}/analysis")).await;
    assert_eq!(
        analysis.body["analysis"]["score"], 42.0,
        "{}",
        analysis.text
    );
    let jobs = analysis.body["jobs"].as_array().unwrap();
    let analyze = jobs.iter().find(|j| j["kind"] == "analyze").unwrap();
    assert_eq!(
        (analyze["status"].clone(), analyze["attempts"].clone()),
        (json!("done"), json!(1)),
        "{}",
        analysis.text
    );
    assert_eq!(ai.state.uploads.lock().unwrap().len(), 1, "analysed twice");
    app.stop().await;
}

/// A server stopping (a deploy) while it analyses a call gives the job
/// back: pending again at once, the interrupted try not counted, instead
/// of left running under a ten-minute lease the next server waits out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_gives_back_the_analysis_it_was_running() {
    let (dc, ai) = (fakes::discord().await, ai_fake::start().await);
    ai.state.hold_transcriptions.store(true, Ordering::SeqCst);
    let source = Behaviour::with(vec![FakeRecording::new(1, 4000)]);
    let base = fake_3cx(Arc::clone(&source)).await;
    let app = TestApp::start(|s| settings(s, &dc)).await;
    connect_analyzer(&app, &ai).await;
    pull_from(
        &app,
        json!({"kind": "threecx-cloud", "name": "3CX", "config": {"baseUrl": base},
               "secrets": {"clientId": "c", "clientSecret": "good-secret"}}),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(30), ai.state.held.notified())
        .await
        .expect("the analysis never started");

    let app = app.restart_with(|s| s.analysis_worker = false).await;
    let jobs: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, attempts FROM analysis_jobs WHERE kind = 'analyze'")
            .fetch_all(app.store().pool())
            .await
            .unwrap();
    assert_eq!(jobs, [("pending".to_owned(), 0)]);
    ai.state.release.notify_one();
    app.stop().await;
}
