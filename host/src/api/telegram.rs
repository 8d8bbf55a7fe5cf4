//! Telegram (seed 000): link a chat to the business with `/start <code>`,
//! list, test, switch off and unlink chats; and the webhook Telegram calls.
//!
//! | route | scope |
//! |---|---|
//! | `GET /telegram/status` → `{configured, botUsername, mode, chats, activeChats}` | view_notifications |
//! | `POST /telegram/link-code` → `{code, deepLink, expiresInSec}` | manage_notifications |
//! | `GET /telegram/chats` → `{items: [{id, chatId, title, isActive}]}` | view_notifications |
//! | `POST /telegram/chats/{id}/test` → `{ok, error?}` | manage_notifications |
//! | `PATCH /telegram/chats/{id}` `{isActive}` | manage_notifications |
//! | `DELETE /telegram/chats/{id}` | manage_notifications |
//! | `POST /telegram/webhook` (Telegram; `X-Telegram-Bot-Api-Secret-Token`) | — |
//!
//! A chat id of another business is 404 `chat_not_found`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::notifications::send_and_answer;
use super::openapi::ErrorBody;
use crate::notify::telegram_bot::handle_update;
use crate::server::AppState;
use crate::store::{NewNotification, StoreError, TelegramChat, now_ms};

/// How long a link code works: 15 minutes, as the seed says.
pub const LINK_CODE_TTL_SEC: i64 = 15 * 60;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(link_code))
        .routes(routes!(list))
        .routes(routes!(update, remove))
        .routes(routes!(test))
        .routes(routes!(webhook))
}

pub fn chat_not_found() -> ApiError {
    ApiError::not_found("chat_not_found", "no such Telegram chat in this business")
}

fn telegram_off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "telegram_not_configured",
        "this server's Telegram bot is not set up to link chats: it needs a bot token and \
         username, and updates must reach it (telegram_mode = polling, or a \
         telegram_webhook_secret for webhook mode)",
    )
}

/// The bot's username when the bot can take `/start <code>`: it has a
/// token and a username, and updates reach it (polling, or a webhook with
/// its secret; without the secret `/telegram/webhook` refuses every update).
/// Otherwise a minted code could never be redeemed, and a tenant polling
/// `/telegram/chats` for the new chat would wait forever.
fn linkable_bot(settings: &crate::config::Settings) -> Option<&str> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
    let receives = settings.telegram_mode == "polling" || !blank(&settings.telegram_webhook_secret);
    if blank(&settings.telegram_bot_token) || !receives {
        return None;
    }
    settings
        .telegram_bot_username
        .as_deref()
        .map(|u| u.trim().trim_start_matches('@'))
        .filter(|u| !u.is_empty())
}

/// Whether chats can be linked here, and how many are.
///
/// Seed 000's `view_notifications` reads "status": a CRM asks this before
/// showing its "connect Telegram" QR code.
#[utoipa::path(
    get,
    path = "/telegram/status",
    tag = "telegram",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "`{configured, botUsername, mode, chats, activeChats}`: `configured` is whether `POST /telegram/link-code` works (a bot token and username, and updates reach the bot); `botUsername` null when not", body = Object),
    )
)]
async fn status(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let chats = state
        .store
        .list_telegram_chats(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    let bot = linkable_bot(&state.settings);
    Ok(Json(json!({
        "configured": bot.is_some(),
        "botUsername": bot,
        "mode": state.settings.telegram_mode,
        "chats": chats.len(),
        "activeChats": chats.iter().filter(|c| c.is_active).count(),
    })))
}

pub fn chat_view(c: &TelegramChat) -> Value {
    json!({ "id": c.id, "chatId": c.chat_id, "title": c.title, "isActive": c.is_active })
}

/// A code to link a chat: send `/start <code>` to the bot.
///
/// The code works for 15 minutes.
#[utoipa::path(
    post,
    path = "/telegram/link-code",
    tag = "telegram",
    security(("bearer" = ["manage_notifications"])),
    responses(
        (status = 201, description = "`{code, deepLink, expiresInSec}`: `deepLink` opens the bot with the code", body = Object),
        (status = 503, description = "`telegram_not_configured`: this server's bot cannot link chats (no token or username, or updates cannot reach it)", body = ErrorBody),
    )
)]
async fn link_code(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let Some(bot) = linkable_bot(&state.settings) else {
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
            "deepLink": format!("https://t.me/{bot}?start={code}"),
            "expiresInSec": LINK_CODE_TTL_SEC,
        })),
    ))
}

/// The business's linked chats.
#[utoipa::path(
    get,
    path = "/telegram/chats",
    tag = "telegram",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "`{items: [{id, chatId, title, isActive}]}`", body = Object),
    )
)]
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = TelegramChatPatch)]
struct PatchBody {
    is_active: bool,
}

/// Switch a chat on or off.
#[utoipa::path(
    patch,
    path = "/telegram/chats/{id}",
    tag = "telegram",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The linked chat's id (`id`, not Telegram's `chatId`)")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The chat: `{id, chatId, title, isActive}`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`chat_not_found`: no such Telegram chat in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape", body = ErrorBody),
    )
)]
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

/// Unlink a chat.
#[utoipa::path(
    delete,
    path = "/telegram/chats/{id}",
    tag = "telegram",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The linked chat's id (`id`, not Telegram's `chatId`)")),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 404, description = "`chat_not_found`: no such Telegram chat in this business", body = ErrorBody),
    )
)]
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

/// Send a test message to a chat.
#[utoipa::path(
    post,
    path = "/telegram/chats/{id}/test",
    tag = "telegram",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The linked chat's id (`id`, not Telegram's `chatId`)")),
    responses(
        (status = 200, description = "`{ok: true, id, status: \"delivered\" | \"queued\"}`, or `{ok: false, id, status: \"pending\" | \"failed\", willRetry, error}`: a transient failure stays in the outbox and is retried, so do not send again", body = Object),
        (status = 404, description = "`chat_not_found`: no such Telegram chat in this business", body = ErrorBody),
    )
)]
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
        None,
    )
    .await
}

/// Telegram's webhook.
///
/// The secret token is what proves the caller is Telegram: without one
/// configured, this route does not exist.
#[utoipa::path(
    post,
    path = "/telegram/webhook",
    tag = "telegram",
    security(("telegramSecret" = [])),
    request_body(content = Object, description = "A Telegram `Update`"),
    responses(
        (status = 200, description = "`{ok: true}`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthorized`: wrong or missing `X-Telegram-Bot-Api-Secret-Token`", body = ErrorBody),
        (status = 404, description = "`not_found`: no `telegram_webhook_secret` is configured, so the route does not exist", body = ErrorBody),
        (status = 500, description = "`internal`: the update could not be stored; Telegram sends it again", body = ErrorBody),
    )
)]
async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    // A blank secret is none (an empty header would match it).
    let Some(expected) = state
        .settings
        .telegram_webhook_secret
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    else {
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
    // Telegram only needs a 2xx; anything else makes it retry the update,
    // which is what a failed store needs (the code is not used up).
    handle_update(&state.notifier, &update)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "ok": true })))
}
