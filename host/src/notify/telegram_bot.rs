//! The platform bot's side of the link flow: a user opens
//! `https://t.me/<bot>?start=<code>`, Telegram sends the bot `/start <code>`,
//! and the chat is bound to the business that minted the code. Updates
//! arrive by webhook (`POST /telegram/webhook`, guarded by the secret-token
//! header) or by long polling (`getUpdates`), as configured. The bot answers
//! in the chat either way; an unknown, expired or spent code binds nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::deliver::{Notifier, Route, TELEGRAM_COMPONENT};
use super::ratelimit::{TELEGRAM_BOT, TELEGRAM_BOT_KEY, TELEGRAM_CHAT};
use crate::runtime::wit::since_v0_1_0::channel::exports::switchboard::connector::delivery::{
    Notification, Severity,
};
use crate::store::{LinkOutcome, StoreError};

/// The business id the bot's own calls are accounted to (incidents, logs).
const PLATFORM: &str = "platform";

/// What the bot says back.
pub fn answer(outcome: Option<&LinkOutcome>) -> &'static str {
    match outcome {
        Some(LinkOutcome::Linked(_)) => {
            "This chat is now connected: notifications for your business will arrive here."
        }
        Some(LinkOutcome::Expired) => {
            "This link has expired. Create a new one in the dashboard and open it again."
        }
        Some(LinkOutcome::Used) => {
            "This link was already used. Create a new one in the dashboard to connect another chat."
        }
        Some(LinkOutcome::Unknown) => {
            "This link is not valid. Create a new one in the dashboard and open it again."
        }
        None => {
            "To connect this chat, open the link from your dashboard (it starts the bot with a code)."
        }
    }
}

/// The chat's display name: a group's title, else the person's name.
fn chat_title(chat: &Value) -> String {
    if let Some(t) = chat.get("title").and_then(Value::as_str) {
        return t.to_owned();
    }
    let first = chat.get("first_name").and_then(Value::as_str).unwrap_or("");
    let last = chat.get("last_name").and_then(Value::as_str).unwrap_or("");
    let name = format!("{first} {last}").trim().to_owned();
    if !name.is_empty() {
        return name;
    }
    chat.get("username")
        .and_then(Value::as_str)
        .map_or_else(|| "Telegram chat".to_owned(), |u| format!("@{u}"))
}

/// Handles one update. Returns what was done with it, for logs and tests;
/// an error when the store failed and nothing was done, so the update must
/// come again (Telegram redelivers one answered with an error; polling
/// keeps its offset).
pub async fn handle_update(
    notifier: &Notifier,
    update: &Value,
) -> Result<Option<LinkOutcome>, StoreError> {
    let Some((chat_id, code, title)) = start_command(notifier, update) else {
        return Ok(None);
    };
    let outcome = match &code {
        Some(code) => Some(
            notifier
                .store
                .redeem_link_code(code, &chat_id, &title)
                .await?,
        ),
        None => None,
    };
    reply(notifier, &chat_id, answer(outcome.as_ref())).await;
    Ok(outcome
        .or(Some(LinkOutcome::Unknown))
        .filter(|_| code.is_some()))
}

/// A `/start [code]` meant for this bot: the chat's id, the code, the chat's title.
fn start_command(notifier: &Notifier, update: &Value) -> Option<(String, Option<String>, String)> {
    let message = update
        .get("message")
        .or_else(|| update.get("channel_post"))?;
    let text = message.get("text").and_then(Value::as_str)?.trim();
    let command = text.split_whitespace().next()?;
    // `/start` or `/start@SwitchboardBot`. In a group with several bots,
    // `/start@OtherBot <code>` is meant for another bot: it must neither
    // link the chat here nor get an answer from us.
    let (name, addressee) = command.split_once('@').unwrap_or((command, ""));
    if name != "/start" {
        return None;
    }
    if let Some(ours) = notifier.settings.telegram_bot_username.as_deref()
        && !addressee.is_empty()
        && !addressee.eq_ignore_ascii_case(ours.trim_start_matches('@'))
    {
        return None;
    }
    let chat = message.get("chat")?;
    let chat_id = match chat.get("id")? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let code = text.split_whitespace().nth(1).map(str::to_owned);
    Some((chat_id, code, chat_title(chat)))
}

/// Sends the bot's answer straight through the Telegram channel component:
/// a conversational reply, not a business notification, so no outbox.
async fn reply(notifier: &Notifier, chat_id: &str, text: &str) {
    let Some(token) = notifier.settings.telegram_bot_token.clone() else {
        return;
    };
    let route = Route {
        component: TELEGRAM_COMPONENT,
        key: format!("telegram:{chat_id}"),
        rules: TELEGRAM_CHAT,
        shared: Some((TELEGRAM_BOT_KEY, TELEGRAM_BOT)),
        config: vec![
            ("chatId".to_owned(), chat_id.to_owned()),
            (
                "apiBase".to_owned(),
                notifier.settings.telegram_api_base.clone(),
            ),
        ],
        secrets: HashMap::from([("botToken".to_owned(), token)]),
    };
    // Within the chat's rate limit like any message to it: a flood of
    // `/start` from one chat must not get the bot throttled by Telegram for
    // everyone's notifications. Over the limit, the reply is dropped (the
    // code, if valid, is still redeemed).
    if notifier
        .limiter
        .reserve_all(&route.limits(), std::time::Instant::now())
        .is_err()
    {
        tracing::debug!(
            chat = chat_id,
            "telegram: bot reply dropped by the chat's rate limit"
        );
        return;
    }
    // The bot's own conversation, not a business's: no business limits.
    let target = match notifier.target(PLATFORM, "telegram-bot", &route).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "telegram: cannot prepare the bot's reply");
            return;
        }
    };
    let message = Notification {
        id: format!("bot-reply-{chat_id}-{}", crate::store::now_ms()),
        title: String::new(),
        body: text.to_owned(),
        link: None,
        severity: Severity::Info,
        attributes: Vec::new(),
    };
    if let Err(e) = notifier
        .runtime
        .send(&target, &route.destination(chat_id), &message)
        .await
    {
        tracing::warn!(error = %e, "telegram: the bot's reply could not be sent");
    }
}

/// How long one update may keep failing on our side (the store) before
/// polling moves past it: a database outage of minutes is waited out (the
/// `/start` codes in it are redeemed after), a poison update is not
/// allowed to hold every later one until Telegram drops it a day later.
const UPDATE_GIVE_UP: Duration = Duration::from_secs(10 * 60);

/// Long polling: `getUpdates` with the offset after the last update seen.
pub fn spawn_polling(notifier: Arc<Notifier>) -> Option<tokio::task::JoinHandle<()>> {
    let token = notifier.settings.telegram_bot_token.clone()?;
    let base = notifier
        .settings
        .telegram_api_base
        .trim_end_matches('/')
        .to_owned();
    Some(tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut offset: i64 = 0;
        // The update that failed last, and since when it has been failing.
        let mut failing: Option<(Option<i64>, std::time::Instant)> = None;
        loop {
            let url = format!("{base}/bot{token}/getUpdates");
            let answer = client
                .post(&url)
                .json(&serde_json::json!({"offset": offset, "timeout": 25, "allowed_updates": ["message", "channel_post"]}))
                .timeout(Duration::from_secs(35))
                .send()
                .await;
            let updates: Value = match answer {
                Ok(r) => r.json().await.unwrap_or(Value::Null),
                Err(e) => {
                    // Never log the URL: it holds the token.
                    tracing::warn!(error = %e.without_url(), "telegram: getUpdates failed; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            let list = updates
                .get("result")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if list.is_empty() && updates.get("ok") != Some(&Value::Bool(true)) {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            for update in &list {
                let id = update.get("update_id").and_then(Value::as_i64);
                if let Err(e) = handle_update(&notifier, update).await {
                    let since = match failing {
                        Some((failed, since)) if failed == id => since,
                        _ => std::time::Instant::now(),
                    };
                    failing = Some((id, since));
                    if since.elapsed() < UPDATE_GIVE_UP {
                        // The offset stays at this update: `getUpdates`
                        // gives it again.
                        tracing::error!(error = %e, "telegram: an update could not be handled; asking again");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        break;
                    }
                    // One update failing for good must not hold every
                    // later one, of every business, until Telegram drops it.
                    tracing::error!(error = %e, update_id = ?id, "telegram: an update kept failing for {} minutes; skipped", UPDATE_GIVE_UP.as_secs() / 60);
                }
                if let Some(id) = id {
                    offset = offset.max(id + 1);
                }
            }
        }
    }))
}
