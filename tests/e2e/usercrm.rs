//! The cloud PBX's UserCRM integration (seed 002) through the real server:
//! directory replies built from our `/directory`, call events folded into a
//! call, the Bearer key, and make-call / hold against a local fake PBX that
//! records each request body.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_tests::app::{TestApp, reply};
use switchboard_tests::serve;
use usercrm_pbx::seed;

/// The seed prints its examples as Python dicts: make them JSON.
fn seed_json(text: &str) -> Value {
    serde_json::from_str(&text.replace('\'', "\"")).unwrap()
}

async fn fake_pbx() -> (String, Arc<Mutex<Vec<(String, Option<String>, Value)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
            let log = Arc::clone(&log);
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                log.lock()
                    .unwrap()
                    .push((uri.path().to_owned(), auth, body.clone()));
                // `get_cdr` answers with one CDR, in `cdr_append`'s shape.
                if body["action"] == "get_cdr" {
                    let cdr = seed_json(seed::CDR_APPEND)["body"].clone();
                    return axum::Json(json!({"code": 200, "body": [cdr]}));
                }
                axum::Json(json!({"code": 200, "body": {"call_id": "pbx-call-1"}}))
            }
        },
    );
    (serve(app).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_replies_call_events_and_call_control() {
    let (pbx, seen) = fake_pbx().await;
    for app in TestApp::each_backend().await {
        for (path, body) in [
            (
                "/directory/users/rita",
                json!({"name": "Менеджер Рита", "extension": "9022", "pbxUserId": "1004"}),
            ),
            (
                "/directory/contacts/1",
                json!({"kind": "company", "name": "Компания", "phones": ["+74951343060"], "ownerUserId": "rita"}),
            ),
        ] {
            let r = app.call(reqwest::Method::PUT, path, Some(body)).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        let created = app
            .post(
                "/integrations",
                json!({"kind": "usercrm-pbx", "name": "Cloud PBX", "config": {"pbxUrl": pbx},
                       "secrets": {"crmApiKey": "crm-key", "pbxApiKey": "pbx-key"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let hook = created.body["webhookUrl"].as_str().unwrap().to_owned();
        let post = |body: Value, key: &str| {
            let req = app.client.post(&hook).json(&body);
            let req = if key.is_empty() {
                req
            } else {
                req.bearer_auth(key)
            };
            async move { reply(req.send().await.unwrap()).await }
        };

        // Request/reply: the directory answers the PBX.
        let contact = post(
            json!({"action": "get_contact", "obj": "UserCRM", "action_id": "123",
                   "params": {"phone": "4951343060", "e164_phone": "74951343060"}}),
            "crm-key",
        )
        .await;
        assert_eq!(contact.status, 200, "{}", contact.text);
        assert_eq!(
            contact.body["list"],
            json!([{"name": "Компания", "id": 1, "type": "company", "owner_id": 1004}])
        );
        let users = post(seed_json(seed::GET_USERS_REQUEST), "crm-key").await;
        assert_eq!(
            users.body["body"][0]["name"], "Менеджер Рита",
            "{}",
            users.text
        );
        let denied = post(seed_json(seed::GET_USERS_REQUEST), "wrong").await;
        assert_eq!(denied.status, 401);

        // Events: ringing, answer, hangup of one call; a retry stored once.
        for text in [
            seed::CALL_RINGING,
            seed::CALL_ANSWER,
            seed::CALL_HANGUP,
            seed::CALL_RINGING,
        ] {
            let r = post(seed_json(text), "crm-key").await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["body"]["success"], true);
        }
        let calls = app.get("/calls").await;
        let items = calls.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", calls.text);
        let call = &items[0];
        assert_eq!(call["status"], "ended", "{call:#}");
        assert_eq!(call["direction"], "outbound");
        assert_eq!(call["customerPhone"], "+74952523060");
        assert_eq!(call["did"], "+74951343060");
        assert_eq!(call["extension"], "9022");
        let detail = app
            .get(&format!("/calls/{}", call["id"].as_str().unwrap()))
            .await;
        assert_eq!(detail.body["events"].as_array().unwrap().len(), 3);

        // Call control reaches the PBX as the seed's CRM→PBX requests.
        let pbx_seen = Arc::clone(&seen);
        seen.lock().unwrap().clear();
        let dial = app
            .post(
                "/calls/click-to-call",
                json!({"phone": "+79066800404", "extension": "9022"}),
            )
            .await;
        assert_eq!(dial.status, 200, "{}", dial.text);
        assert_eq!(dial.body["externalId"], "pbx-call-1");
        let hold = app
            .post(
                &format!("/calls/{}/hold", call["id"].as_str().unwrap()),
                json!({"userId": "rita"}),
            )
            .await;
        assert_eq!(hold.status, 200, "{}", hold.text);
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(seen.len(), 2, "{seen:#?}");
        let (path, auth, body) = &seen[0];
        assert_eq!(path, "/integration/usercrm/");
        assert_eq!(auth.as_deref(), Some("Bearer pbx-key"));
        assert_eq!(body["action"], "make_call");
        assert_eq!(body["obj"], "UserCRM");
        assert_eq!(body["params"]["crm_user_id"], "rita");
        let (_, _, body) = &seen[1];
        assert_eq!(body["action"], "switch_call_hold");
        assert_eq!(
            body["params"]["call_id"],
            "7c97ce9e-97aa-4549-9a92-e0d63f570db8"
        );

        // History for a customer card: the seed's `get_cdr`, read through.
        let history = app
            .get("/calls/pbx-history?phone=%2B74952523060,74951343060&from=1633074025000&to=1633074725500&limit=10&offset=20")
            .await;
        assert_eq!(history.status, 200, "{}", history.text);
        let seen = std::mem::take(&mut *pbx_seen.lock().unwrap());
        let (_, auth, body) = &seen[0];
        assert_eq!(auth.as_deref(), Some("Bearer pbx-key"));
        assert_eq!(body["action"], "get_cdr");
        assert_eq!(body["obj"], "UserCRM");
        assert_eq!(body["sort"], json!({"dt": "+"}));
        assert_eq!(
            (body["limit"].clone(), body["offset"].clone()),
            (json!(10), json!(20))
        );
        assert_eq!(
            body["params"],
            json!({"start_dt": "1633074025", "end_dt": "1633074726",
                   "src_or_dst_list": ["+74952523060", "+74951343060"]})
        );
        let rows = history.body["items"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{}", history.text);
        assert_eq!(
            rows[0]["externalId"],
            "5548f6ab-efab-4dd9-843b-c53f50a5506a"
        );
        assert_eq!(rows[0]["direction"], "outbound");
        assert_eq!(rows[0]["customerPhone"], "+74952523060");
        assert_eq!(rows[0]["extension"], "9022");
        assert_eq!(rows[0]["durationSec"], 14);
        assert_eq!(rows[0]["talkSec"], 3);
        assert_eq!(rows[0]["startedAt"], 1_633_333_012_000_i64);
        assert_eq!(
            rows[0]["recordings"][0]["url"],
            "https://pbx.runtel.org/get_file?file=onWde..."
        );
        // The hangup above was of another call: this CDR's events never
        // reached us.
        assert_eq!(rows[0]["callId"], Value::Null);
        assert_eq!(
            history.body["nextOffset"],
            Value::Null,
            "a short page is the last"
        );
        // Once the PBX has posted that CDR to us, the row names our call.
        let cdr = post(seed_json(seed::CDR_APPEND), "crm-key").await;
        assert_eq!(cdr.status, 200, "{}", cdr.text);
        let again = app.get("/calls/pbx-history").await;
        let call_id = again.body["items"][0]["callId"].as_str().unwrap();
        let ours = app.get(&format!("/calls/{call_id}")).await;
        assert_eq!(
            ours.body["externalId"],
            "5548f6ab-efab-4dd9-843b-c53f50a5506a"
        );
        let bad = app.get("/calls/pbx-history?phone=nobody").await;
        assert_eq!(
            (bad.status.as_u16(), bad.body["error"].clone()),
            (422, json!("invalid_filter"))
        );
        let backwards = app.get("/calls/pbx-history?from=2000&to=1000").await;
        assert_eq!(
            backwards.body["error"], "invalid_filter",
            "{}",
            backwards.text
        );
        app.stop().await;
    }
}

/// `call_held` and `call_active` carry no time: the call reads held, then
/// answered, then held again in the order the PBX sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_resume_and_hold_again() {
    for app in TestApp::each_backend().await {
        let created = app
            .post(
                "/integrations",
                json!({"kind": "usercrm-pbx", "name": "Cloud PBX",
                       "secrets": {"crmApiKey": "crm-key"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let hook = created.body["webhookUrl"].as_str().unwrap().to_owned();
        let second_hold = {
            let mut body = seed_json(seed::CALL_HELD);
            body["action_id"] = json!("5b0f25f5-dd98-4fd1-a69b-5b47341bd063");
            body
        };
        let mut statuses = Vec::new();
        for body in [
            seed_json(seed::CALL_HELD),
            seed_json(seed::CALL_ACTIVE),
            second_hold,
        ] {
            let r = reply(
                app.client
                    .post(&hook)
                    .bearer_auth("crm-key")
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let calls = app.get("/calls").await;
            let items = calls.body["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{}", calls.text);
            statuses.push(items[0]["status"].as_str().unwrap().to_owned());
            assert_eq!(items[0]["extension"], "9022", "the agent holding it");
        }
        assert_eq!(statuses, ["held", "answered", "held"]);
        app.stop().await;
    }
}
