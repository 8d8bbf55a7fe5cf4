//! The OpenAPI document at `/openapi.json` is generated from the handlers:
//! it lists the known routes with their errors, every route it lists exists
//! in the router (and answers on the documented method), and `/docs`
//! renders it.

use reqwest::Method;
use serde_json::Value;
use switchboard_tests::app::{TestApp, reply};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Routes whose only answers are 2xx / 503: they document no 4xx.
const NO_CLIENT_ERRORS: &[&str] = &["/healthz", "/openapi.json", "/docs"];

async fn document(app: &TestApp) -> Value {
    let r = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    r.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_document_lists_the_routes_with_their_errors() {
    let app = TestApp::start(|_| {}).await;
    let doc = document(&app).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3."), "{version}");
    assert_eq!(doc["info"]["title"], "Switchboard API");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    let paths = doc["paths"].as_object().unwrap();
    for known in [
        "/healthz",
        "/calls",
        "/calls/{id}",
        "/calls/click-to-call",
        "/calls/{id}/analysis",
        "/integrations",
        "/integrations/{id}/sync",
        "/recordings/{id}/audio",
        "/conversations/{id}/messages",
        "/directory/contacts/{id}",
        "/notifications/send",
        "/notifications/automations/{id}",
        "/notifications/automations/{id}/graph",
        "/telegram/link-code",
        "/telegram/webhook",
        "/webhooks",
        "/webhooks/{id}/rotate-secret",
        "/hooks/{integration_id}",
        "/wsapi/{customer}/{event}",
        "/admin/components",
    ] {
        assert!(paths.contains_key(known), "{known} is not documented");
    }

    let ops = operations(&doc);
    assert!(ops.len() >= 70, "only {} operations", ops.len());
    for (path, method, op) in &ops {
        let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        if !NO_CLIENT_ERRORS.contains(&path.as_str()) {
            assert!(
                statuses.iter().any(|s| s.starts_with('4')),
                "{method} {path} documents no 4xx: {statuses:?}"
            );
        }
        assert!(op["operationId"].is_string(), "{method} {path}");
    }

    // The handlers' own error codes are there, and the shared ones.
    let read_call = &doc["paths"]["/calls/{id}"]["get"]["responses"];
    assert!(
        read_call["404"]["description"]
            .as_str()
            .unwrap()
            .contains("call_not_found")
    );
    assert!(
        read_call["401"]["description"]
            .as_str()
            .unwrap()
            .contains("unauthorized")
    );
    assert!(
        read_call["403"]["description"]
            .as_str()
            .unwrap()
            .contains("missing_scope")
    );
    assert_eq!(
        read_call["404"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert_eq!(
        doc["paths"]["/calls/{id}"]["get"]["security"][0]["bearer"][0],
        "view_calls"
    );
    let audio = &doc["paths"]["/recordings/{id}/audio"]["get"]["responses"];
    assert!(
        audio["404"]["description"]
            .as_str()
            .unwrap()
            .contains("audio_not_stored")
    );
    assert!(audio["416"].is_object());
    app.stop().await;
}

/// Every documented (path, method) reaches a handler: with placeholder ids
/// and no token, none gets the router's fallback (404 "no such route") or a
/// 405 for a method the route does not serve.
#[tokio::test]
async fn every_documented_route_exists_in_the_router() {
    // Routes that do not exist without their secret configured would look
    // like the fallback: configure them.
    let app = TestApp::start(|s| {
        s.admin_token = Some("operator-secret".into());
        s.telegram_webhook_secret = Some("telegram-secret".into());
    })
    .await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    for (path, method, _) in &ops {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
        let r = reply(
            app.client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let fallback = r.status == 404
            && r.body["error"] == "not_found"
            && r.body["message"] == "no such route";
        assert!(
            !fallback,
            "{method} {concrete} ({path}) is not routed: {}",
            r.text
        );
        assert_ne!(
            r.status, 405,
            "{method} {concrete} ({path}): method not routed"
        );
        if path.starts_with("/hooks/") || path.starts_with("/wsapi/") {
            assert_eq!(
                r.body["error"], "integration_not_found",
                "{method} {concrete}"
            );
        } else if doc["paths"][path][method.as_str().to_ascii_lowercase()]["security"][0]
            .get("bearer")
            .is_some()
        {
            assert_eq!(
                r.status, 401,
                "{method} {concrete} without a token: {}",
                r.text
            );
            assert_eq!(r.body["error"], "unauthorized");
        }
    }

    // And the fallback is what an undocumented route gets.
    let r = app.get("/no/such/route").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "no such route");
    app.stop().await;
}

#[tokio::test]
async fn docs_page_renders_the_document() {
    let app = TestApp::start(|_| {}).await;
    let r = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = r.text().await.unwrap();
    assert!(html.contains("/openapi.json"), "{html}");
    assert!(html.contains("<script"), "{html}");
    app.stop().await;
}
