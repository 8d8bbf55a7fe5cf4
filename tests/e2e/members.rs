//! Members: tokens that speak for the same person of the business share
//! notification preferences and the feed's read state; a token without a
//! member keeps its own.

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::api::auth::Scope;
use switchboard_tests::app::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_tokens_share_preferences_and_read_state() {
    let app = TestApp::start(|_| {}).await;
    let put = app
        .call(
            Method::PUT,
            "/directory/users/somchai",
            Some(json!({"name": "Somchai", "extension": "101"})),
        )
        .await;
    assert!(put.status.is_success(), "{}", put.text);
    let store = app.store();
    let business = std::slice::from_ref(&app.business_id);
    let (web, mobile) = (
        store
            .create_member_token("web", business, &Scope::all_names(), Some("somchai"))
            .await
            .unwrap()
            .token,
        store
            .create_member_token("mobile", business, &Scope::all_names(), Some("somchai"))
            .await
            .unwrap()
            .token,
    );
    assert!(
        store
            .create_member_token("x", business, &Scope::all_names(), Some("nobody"))
            .await
            .is_err(),
        "a member must be a directory user of the business"
    );

    let patched = app
        .call_as(
            &web,
            Method::PATCH,
            "/notifications/preferences",
            Some(json!({"minSeverity": "critical", "mutedRuleIds": ["r1"]})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let seen = app
        .call_as(&mobile, Method::GET, "/notifications/preferences", None)
        .await;
    assert_eq!(seen.body["minSeverity"], "critical", "{}", seen.text);
    assert_eq!(seen.body["mutedRuleIds"], json!(["r1"]));
    // The tenant's own token is another reader.
    let own = app.get("/notifications/preferences").await;
    assert_eq!(own.body["minSeverity"], "info");

    // Read on one device, read on the other.
    let sent = app
        .post(
            "/notifications/send",
            json!({"channel": "in_app", "title": "t", "body": "b"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let unread = |token: String| {
        let app = &app;
        async move {
            app.call_as(&token, Method::GET, "/notifications/feed", None)
                .await
                .body["unreadCount"]
                .clone()
        }
    };
    assert_eq!(unread(mobile.clone()).await, 1);
    let read = app
        .call_as(
            &web,
            Method::POST,
            "/notifications/feed/read",
            Some(json!({})),
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(unread(mobile).await, 0);
    assert_eq!(unread(app.token.clone()).await, 1);
    app.stop().await;
}
