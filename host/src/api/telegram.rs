//! Telegram (seed 000): link a chat to the business with `/start <code>`,
//! list, test, switch off and unlink chats; and the webhook Telegram calls.
//!
//! | route | scope |
//! |---|---|
//! | `POST /telegram/link-code` → `{code, deepLink, expiresInSec}` | manage_notifications |
//! | `GET /telegram/chats` → `{items: [{id, chatId, title, isActive}]}` | view_notifications |
//! | `POST /telegram/chats/{id}/test` → `{ok, error?}` | manage_notifications |
//! | `PATCH /telegram/chats/{id}` `{isActive}` | manage_notifications |
//! | `DELETE /telegram/chats/{id}` | manage_notifications |
//! | `POST /telegram/webhook` (Telegram; `X-Telegram-Bot-Api-Secret-Token`) | — |
//!
//! A chat id of another business is 404 `chat_not_found`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{patch, post};
use axum::{Json, Router};
use base64::Engine as _;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::notifications::send_and_answer;
use crate::notify::telegram_bot::handle_update;
use crate::server::AppState;
use crate::store::{NewNotification, StoreError, TelegramChat, now_ms};

/// How long a link code works: 15 minutes, as the seed says.
pub const LINK_CODE_TTL_SEC: i64 = 15 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/telegram/link-code", post(link_code))
        .route("/telegram/chats", axum::routing::get(list))
        .route("/telegram/chats/{id}", patch(update).delete(remove))
        .route("/telegram/chats/{id}/test", post(test))
        .route("/telegram/webhook", post(webhook))
}

pub fn chat_not_found() -> ApiError {
    ApiError::not_found("chat_not_found", "no such Telegram chat in this business")
}

fn telegram_off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "telegram_not_configured",
        "this server has no Telegram bot configured (SWITCHBOARD_TELEGRAM_BOT_TOKEN)",
    )
}

pub fn chat_view(c: &TelegramChat) -> Value {
    json!({ "id": c.id, "chatId": c.chat_id, "title": c.title, "isActive": c.is_active })
}

async fn link_code(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let Some(bot) = state.settings.telegram_bot_username.as_deref() else {
        return Err(telegram_off());
    };
    // 12 random bytes → 16 characters of [A-Za-z0-9_-], what /start accepts.
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    state
        .store
        .create_link_code(
            &caller.business_id,
            &code,
            now_ms() + LINK_CODE_TTL_SEC * 1000,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": code,
            "deepLink": format!("https://t.me/{}?start={code}", bot.trim_start_matches('@')),
            "expiresInSec": LINK_CODE_TTL_SEC,
        })),
    ))
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let chats = state
        .store
        .list_telegram_chats(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        json!({ "items": chats.iter().map(chat_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PatchBody {
    is_active: bool,
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let reason = (!body.is_active).then_some("switched off by the business");
    match state
        .store
        .set_telegram_chat_active(&caller.business_id, &id, body.is_active, reason)
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(chat_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    }
    let chat = state
        .store
        .get_telegram_chat(&caller.business_id, &id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(chat_view(&chat)))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    match state
        .store
        .delete_telegram_chat(&caller.business_id, &id)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(chat_not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    match state
        .store
        .get_telegram_chat(&caller.business_id, &id)
        .await
    {
        Ok(_) => {}
        Err(StoreError::NotFound) => return Err(chat_not_found()),
        Err(e) => return Err(ApiError::internal(e)),
    }
    send_and_answer(
        &state,
        NewNotification {
            business_id: caller.business_id.clone(),
            channel: "telegram".into(),
            destination_id: Some(id),
            title: "Test message".into(),
            body: "This chat is connected and will receive notifications.".into(),
            link: None,
            severity: "info".into(),
            attributes: json!({"event.type": "telegram.test"}),
        },
    )
    .await
}

/// Telegram's webhook. The secret token is what proves the caller is
/// Telegram: without one configured, this route does not exist.
async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let Some(expected) = state.settings.telegram_webhook_secret.as_deref() else {
        return Err(ApiError::not_found("not_found", "no such route"));
    };
    let presented = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        presented.as_bytes(),
        expected.as_bytes(),
    )) {
        return Err(ApiError::unauthorized(
            "wrong or missing X-Telegram-Bot-Api-Secret-Token",
        ));
    }
    let update: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    handle_update(&state.notifier, &update).await;
    // Telegram only needs a 2xx; anything else makes it retry the update.
    Ok(Json(json!({ "ok": true })))
}
