//! WhatsApp through TimelinesAI: the vendor document's two payloads, posted
//! verbatim to a real server, become one conversation with three messages;
//! retries and the same message inside a bundle are stored once; a broken
//! payload is a 400 that stores nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_tests::app::{TestApp, reply};
use timelines_whatsapp::seed::{BUNDLE, SINGLE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_payloads_become_one_conversation() {
    for app in TestApp::each_backend().await {
        let created = app
            .post(
                "/integrations",
                json!({"kind": "timelines-whatsapp", "name": "Sales WhatsApp"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let hook = created.body["webhookUrl"].as_str().unwrap().to_owned();

        for (payload, events) in [(SINGLE, 1), (BUNDLE, 2), (SINGLE, 1), (BUNDLE, 2)] {
            let r = reply(
                app.client
                    .post(&hook)
                    .header("content-type", "application/json")
                    .body(payload)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["events"], events, "{}", r.text);
        }
        let broken = reply(
            app.client
                .post(&hook)
                .header("content-type", "application/json")
                .body("{\"chat\": ")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(broken.status, 400, "{}", broken.text);

        let list = app.get("/conversations").await;
        assert_eq!(list.status, 200, "{}", list.text);
        let items = list.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{items:#?}");
        let conv = &items[0];
        assert_eq!(conv["chatId"], "10010001");
        assert_eq!(
            conv["url"],
            "https://app.timelines.ai/chat/10010001/messages/"
        );
        assert_eq!(conv["messageCount"], 3, "{} on {}", conv, app.backend);

        let id = conv["id"].as_str().unwrap();
        let messages = app.get(&format!("/conversations/{id}/messages")).await;
        let msgs = messages.body["items"].as_array().unwrap();
        let directions: Vec<&str> = msgs
            .iter()
            .map(|m| m["direction"].as_str().unwrap())
            .collect();
        assert_eq!(directions, ["sent", "sent", "received"], "oldest first");
        assert_eq!(msgs[0]["text"], "lorem ipsum");
        assert_eq!(msgs[0]["sender"]["phone"], "+972540000000");
        assert_eq!(msgs[0]["sentAt"], 1_614_147_929_000_i64);
        assert_eq!(msgs[0]["attributes"]["account"]["phone"], "+972500000000");

        // Another business sees none of it.
        let (_, other) = app.other_tenant().await;
        let foreign = app
            .call_as(
                &other,
                reqwest::Method::GET,
                &format!("/conversations/{id}/messages"),
                None,
            )
            .await;
        assert_eq!(foreign.status, 404);
        assert_eq!(foreign.body["error"], "conversation_not_found");
        let theirs = app
            .call_as(&other, reqwest::Method::GET, "/conversations", None)
            .await;
        assert_eq!(theirs.body["items"], Value::Array(vec![]));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_api_round_trips_and_validates() {
    let app = TestApp::start(|_| {}).await;
    let put = app
        .call(
            reqwest::Method::PUT,
            "/directory/users/u1",
            Some(json!({"name": "Anna", "extension": "101", "pbxUserId": "55"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let contact = app
        .call(
            reqwest::Method::PUT,
            "/directory/contacts/c1",
            Some(json!({"name": "Ivan", "phones": ["+7 916 123-45-67"], "ownerUserId": "u1"})),
        )
        .await;
    assert_eq!(contact.status, 200, "{}", contact.text);
    assert_eq!(contact.body["phones"], json!(["+79161234567"]));
    let found = app.get("/directory/contacts?phone=%2B79161234567").await;
    assert_eq!(found.body["items"][0]["id"], "c1", "{}", found.text);
    let bad = app
        .call(
            reqwest::Method::PUT,
            "/directory/contacts/c2",
            Some(json!({"name": "X", "phones": ["call me"]})),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["error"], "invalid_phone");
    let users = app.get("/directory/users").await;
    assert_eq!(users.body["items"][0]["extension"], "101");
    let reader = app.token_with(&["view_directory"]).await;
    let denied = app
        .call_as(
            &reader,
            reqwest::Method::DELETE,
            "/directory/users/u1",
            None,
        )
        .await;
    assert_eq!(denied.status, 403);
    let del = app
        .call(reqwest::Method::DELETE, "/directory/users/u1", None)
        .await;
    assert_eq!(del.status, 204);
    let again = app
        .call(reqwest::Method::DELETE, "/directory/users/u1", None)
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(again.body["error"], "user_not_found");
    app.stop().await;
}
