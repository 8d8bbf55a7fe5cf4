//! The execute-webhook request. Pure: URL and JSON body, no host calls.

use serde_json::{Value, json};

use crate::webhook::Webhook;

/// Sent as `user-agent` (Discord asks API clients to name themselves).
pub const USER_AGENT: &str = concat!("Switchboard-discord-channel/", env!("CARGO_PKG_VERSION"));

/// One webhook execution, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteWebhook {
    /// `{apiBase}/api/webhooks/{id}/{token}?wait=true`: it holds the token,
    /// so it is never logged or returned.
    pub url: String,
    pub body: Value,
}

/// `POST {apiBase}{webhook path}?wait=true` with
/// `{"content": …, "allowed_mentions": {"parse": []}}`: nobody is pinged,
/// whatever the content says.
pub fn execute(webhook: &Webhook, api_base: &str, content: &str) -> ExecuteWebhook {
    ExecuteWebhook {
        url: webhook.execute_url(api_base),
        body: json!({
            "content": content,
            "allowed_mentions": {"parse": []},
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_documented_request() {
        let webhook = crate::webhook::parse("https://discord.com/api/webhooks/42/tok_EN").unwrap();
        let req = execute(&webhook, "http://127.0.0.1:5000", "ℹ️ **Hi** @everyone");
        assert_eq!(
            req.url,
            "http://127.0.0.1:5000/api/webhooks/42/tok_EN?wait=true"
        );
        assert_eq!(
            req.body,
            json!({"content": "ℹ️ **Hi** @everyone", "allowed_mentions": {"parse": []}})
        );
    }
}
