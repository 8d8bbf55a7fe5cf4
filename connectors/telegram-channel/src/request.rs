//! The `sendMessage` request. Pure: URL and JSON body, no host calls.

use serde_json::{Value, json};

use crate::settings::Settings;

/// One Bot API call, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SendMessage {
    /// `{apiBase}/bot{token}/sendMessage`: it holds the token, so it is never
    /// logged or returned.
    pub url: String,
    pub body: Value,
}

/// `POST {apiBase}/bot{token}/sendMessage` with
/// `{"chat_id", "text", "parse_mode": "HTML", "disable_web_page_preview": true}`.
/// The token must have passed [`crate::settings::check_token`].
pub fn send_message(settings: &Settings, token: &str, text: &str) -> SendMessage {
    SendMessage {
        url: format!("{}/bot{token}/sendMessage", settings.api_base),
        body: json!({
            "chat_id": chat_id(&settings.chat_id),
            "text": text,
            "parse_mode": "HTML",
            "disable_web_page_preview": true,
        }),
    }
}

/// A numeric id as a JSON number (`-1001234567890`), anything else
/// (`@channelname`) as a string.
pub fn chat_id(raw: &str) -> Value {
    match raw.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(chat_id: &str) -> Settings {
        Settings {
            chat_id: chat_id.into(),
            api_base: "http://127.0.0.1:9999".into(),
        }
    }

    #[test]
    fn builds_the_documented_request() {
        let req = send_message(&settings("-1001234567890"), "123:ABC", "ℹ️ <b>Hi</b>");
        assert_eq!(req.url, "http://127.0.0.1:9999/bot123:ABC/sendMessage");
        assert_eq!(
            req.body,
            json!({
                "chat_id": -1001234567890_i64,
                "text": "ℹ️ <b>Hi</b>",
                "parse_mode": "HTML",
                "disable_web_page_preview": true,
            })
        );
    }

    #[test]
    fn chat_ids_are_numbers_when_they_can_be() {
        assert_eq!(chat_id("42"), json!(42));
        assert_eq!(chat_id("-42"), json!(-42));
        assert_eq!(chat_id("@news_channel"), json!("@news_channel"));
        // Beyond i64: kept as text rather than rounded.
        assert_eq!(
            chat_id("99999999999999999999"),
            json!("99999999999999999999")
        );
        assert_eq!(chat_id("12abc"), json!("12abc"));
    }
}
