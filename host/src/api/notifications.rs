//! The notification gateway (seed 000): send now, destinations, Discord
//! webhooks, the in-app feed and its realtime stream, preferences, and each
//! notification's delivery log and replay.
//!
//! | route | scope |
//! |---|---|
//! | `POST /notifications/send` | manage_notifications |
//! | `GET /notifications/destinations` | view_notifications |
//! | `POST /notifications/discord` `{name, webhookUrl}` → 201 `{id}` | manage_notifications |
//! | `DELETE /notifications/discord/{id}` | manage_notifications |
//! | `GET /notifications/preferences`, `PATCH` | view / manage_notifications |
//! | `GET /notifications/feed`, `POST /notifications/feed/read`, `GET /notifications/feed/stream` (SSE) | view_notifications |
//! | `GET /notifications` (the delivery log: filter, pages) | view_notifications |
//! | `GET /notifications/{id}` (with attempts), `POST /notifications/{id}/replay` | view / manage_notifications |

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::{ApiJson, OptionalJson};
use super::openapi::ErrorBody;
use super::telegram::{chat_not_found, chat_view};
use crate::crypto::aad;
use crate::notify::deliver::DISCORD_RECORD;
use crate::server::AppState;
use crate::store::{
    AttemptResult, NewNotification, Notification, NotificationFilter, StoreError, new_id,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send))
        .routes(routes!(destinations))
        .routes(routes!(add_discord))
        .routes(routes!(remove_discord))
        .routes(routes!(get_prefs, patch_prefs))
        .routes(routes!(feed))
        .routes(routes!(mark_read))
        .routes(routes!(stream))
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(replay))
}

const PREFS: &str = "The preferences with their defaults filled in: `{inAppEnabled, sound, desktop, minSeverity, mutedRuleIds}`";

pub const SEVERITIES: &[&str] = &["info", "warning", "critical"];
const MAX_TITLE: usize = 256;
const MAX_BODY: usize = 16 * 1024;

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn discord_not_found() -> ApiError {
    ApiError::not_found(
        "discord_webhook_not_found",
        "no such Discord webhook in this business",
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = SendNotificationBody)]
struct SendBody {
    /// `telegram`, `discord` or `in_app`.
    channel: String,
    /// For `telegram`: the linked chat's id.
    chat_id: Option<String>,
    /// For `discord`: the Discord webhook's id.
    webhook_id: Option<String>,
    /// At most 256 characters; `title` or `body` is required.
    #[serde(default)]
    title: String,
    /// At most 16 KiB of characters.
    #[serde(default)]
    body: String,
    /// An http(s) URL.
    link: Option<String>,
    /// `info` (default), `warning` or `critical`.
    severity: Option<String>,
}

fn check_link(link: Option<&str>) -> Result<(), ApiError> {
    if let Some(l) = link {
        let ok = url::Url::parse(l).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(unprocessable(
                "invalid_link",
                "`link` must be an http(s) URL",
            ));
        }
    }
    Ok(())
}

/// Stores the notification, then tries it once right away, and answers with
/// what happened. A failure is `200 {ok: false, error}` (the seed's contract):
/// a transient one stays in the outbox and is retried on the documented
/// schedule (`willRetry: true`), so the caller should not send it again.
pub async fn send_and_answer(
    state: &AppState,
    n: NewNotification,
    idempotency_key: Option<&str>,
) -> Result<Json<Value>, ApiError> {
    let business_id = n.business_id.clone();
    let (stored, result) = match state.notifier.send_new(n, idempotency_key).await {
        Ok(sent) => sent,
        // The same key raced in from another request: its notification.
        Err(StoreError::Conflict(_)) if idempotency_key.is_some() => {
            let key = idempotency_key.unwrap_or_default();
            let first = state
                .store
                .notification_by_idempotency_key(&business_id, key)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("an idempotency key conflicted with no row"))?;
            return Ok(Json(replayed(&first)));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let id = stored.id;
    Ok(Json(match result {
        // The channel's own id of what it made: a Telegram message id, the
        // feed row's id (to mark it read), or none.
        AttemptResult::Delivered { external_id } => {
            json!({"ok": true, "id": id, "status": "delivered", "externalId": external_id})
        }
        // The channel's rate limit says wait: the outbox sends it then.
        AttemptResult::RateLimited { .. } | AttemptResult::Deferred { .. } => {
            json!({"ok": true, "id": id, "status": "queued"})
        }
        AttemptResult::Retry { code, detail, .. } => json!({
            "ok": false, "id": id, "status": "pending", "willRetry": true,
            "error": format!("{code}: {detail}"),
        }),
        AttemptResult::Failed { code, detail } => json!({
            "ok": false, "id": id, "status": "failed", "willRetry": false,
            "error": format!("{code}: {detail}"),
        }),
    }))
}

/// Send a notification now.
///
/// Stored, then tried once right away; the answer says what happened.
#[utoipa::path(
    post,
    path = "/notifications/send",
    tag = "notifications",
    security(("bearer" = ["manage_notifications"])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters naming this notification: a request with a key used before sends nothing and answers the first one's outcome (`replayed: true`)")),
    request_body = SendBody,
    responses(
        (status = 200, description = "`{ok: true, id, status: \"delivered\", externalId}` (the channel's id of what it made, e.g. the feed row), `{ok: true, id, status: \"queued\"}`, or `{ok: false, id, status: \"pending\" | \"failed\", willRetry, error}`: a transient failure stays in the outbox and is retried, so do not send again (or send again with the same `Idempotency-Key`: the answer is then the first one's outcome, with `replayed: true`)", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON; `invalid_idempotency_key`: the header is not 1 to 255 visible ASCII characters", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`chat_not_found`: `chatId` is not a chat of this business; `discord_webhook_not_found`: `webhookId` is not a Discord webhook of this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_channel`: not `telegram`, `discord` or `in_app`; `invalid_severity`; `empty_notification`: neither `title` nor `body`; `notification_too_long`; `invalid_link`: not an http(s) URL; `chat_id_required`; `webhook_id_required`", body = ErrorBody),
    )
)]
async fn send(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(b): ApiJson<SendBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let idempotency_key = idempotency_key(&headers)?;
    // A used key answers what became of its notification before the body
    // is looked at: the retry of a send whose chat was unlinked since is
    // still that send.
    if let Some(key) = &idempotency_key
        && let Some(first) = state
            .store
            .notification_by_idempotency_key(&caller.business_id, key)
            .await
            .map_err(ApiError::internal)?
    {
        return Ok(Json(replayed(&first)));
    }
    let severity = b.severity.unwrap_or_else(|| "info".into());
    if !SEVERITIES.contains(&severity.as_str()) {
        return Err(unprocessable(
            "invalid_severity",
            "`severity` must be info, warning or critical",
        ));
    }
    if b.title.trim().is_empty() && b.body.trim().is_empty() {
        return Err(unprocessable(
            "empty_notification",
            "give a `title` or a `body`",
        ));
    }
    if b.title.chars().count() > MAX_TITLE || b.body.chars().count() > MAX_BODY {
        return Err(unprocessable(
            "notification_too_long",
            format!("`title` is at most {MAX_TITLE} characters and `body` {MAX_BODY}"),
        ));
    }
    check_link(b.link.as_deref())?;
    let destination_id = match b.channel.as_str() {
        "telegram" => {
            let id = b
                .chat_id
                .ok_or_else(|| unprocessable("chat_id_required", "`telegram` needs `chatId`"))?;
            match state
                .store
                .find_telegram_chat(&caller.business_id, &id)
                .await
            {
                Ok(chat) => Some(chat.id),
                Err(StoreError::NotFound) => return Err(chat_not_found()),
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
        "discord" => {
            let id = b.webhook_id.ok_or_else(|| {
                unprocessable("webhook_id_required", "`discord` needs `webhookId`")
            })?;
            match state
                .store
                .get_discord_webhook(&caller.business_id, &id)
                .await
            {
                Ok(_) => Some(id),
                Err(StoreError::NotFound) => return Err(discord_not_found()),
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
        // Through the outbox like the others, so the answer's `id` is a
        // notification `GET /notifications/{id}` finds, with its attempt;
        // the feed row's id is that attempt's `externalId`.
        "in_app" => None,
        _ => {
            return Err(unprocessable(
                "invalid_channel",
                "`channel` must be telegram, discord or in_app",
            ));
        }
    };
    send_and_answer(
        &state,
        NewNotification {
            business_id: caller.business_id.clone(),
            channel: b.channel,
            destination_id,
            title: b.title,
            body: b.body,
            link: b.link,
            severity,
            attributes: json!({"event.type": "notification.sent"}),
        },
        idempotency_key.as_deref(),
    )
    .await
}

/// The longest `Idempotency-Key` kept.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(|k| Some(k.to_owned()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                format!(
                    "`Idempotency-Key` must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
                ),
            )
        })
}

/// What became of a notification sent before under the same key, in the
/// shape of a first answer, marked `replayed`.
fn replayed(n: &Notification) -> Value {
    let mut answer = match (n.status.as_str(), &n.last_error) {
        ("delivered", _) => {
            json!({"ok": true, "id": n.id, "status": "delivered", "externalId": n.external_id})
        }
        ("failed", error) => {
            json!({"ok": false, "id": n.id, "status": "failed", "willRetry": false, "error": error})
        }
        // The first request is still sending it: no outcome yet (if that
        // request dies, the outbox sends it once its claim runs out).
        ("sending", _) => {
            json!({"ok": false, "id": n.id, "status": "sending", "willRetry": true, "error": null})
        }
        (_, Some(error)) => {
            json!({"ok": false, "id": n.id, "status": "pending", "willRetry": true, "error": error})
        }
        (_, None) => json!({"ok": true, "id": n.id, "status": "queued"}),
    };
    answer["replayed"] = Value::Bool(true);
    answer
}

/// Where notifications can go: linked Telegram chats and Discord webhooks.
#[utoipa::path(
    get,
    path = "/notifications/destinations",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "`{telegram: [{id, chatId, title, isActive}], discord: [{id, name, isActive}]}` (never a Discord URL: it is the webhook's credential)", body = Object),
    )
)]
async fn destinations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let chats = state
        .store
        .list_telegram_chats(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    let hooks = state
        .store
        .list_discord_webhooks(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "telegram": chats.iter().map(chat_view).collect::<Vec<_>>(),
        // Never the URL: it is the webhook's credential.
        "discord": hooks.iter().map(|h| json!({"id": h.id, "name": h.name, "isActive": h.is_active})).collect::<Vec<_>>(),
    })))
}

/// Discord webhook URLs: `https://discord.com/api/webhooks/{id}/{token}` (or
/// discordapp.com, ptb., canary.; an `/api/v10/` version segment is fine).
pub fn valid_discord_webhook(raw: &str) -> bool {
    let Ok(u) = url::Url::parse(raw) else {
        return false;
    };
    let host_ok = matches!(
        u.host_str(),
        Some("discord.com" | "discordapp.com" | "ptb.discord.com" | "canary.discord.com")
    );
    if u.scheme() != "https"
        || !host_ok
        || !u.username().is_empty()
        || u.password().is_some()
        || u.port().is_some()
    {
        return false;
    }
    let segments: Vec<&str> = u.path().trim_end_matches('/').split('/').skip(1).collect();
    let rest = match segments.as_slice() {
        ["api", "webhooks", rest @ ..] => rest,
        ["api", v, "webhooks", rest @ ..] if v.starts_with('v') => rest,
        _ => return false,
    };
    matches!(rest, [id, token] if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = DiscordWebhookBody)]
struct DiscordBody {
    /// 1 to 200 characters.
    name: String,
    /// `https://discord.com/api/webhooks/<id>/<token>`; sealed, never returned.
    webhook_url: String,
}

/// Add a Discord webhook as a destination.
#[utoipa::path(
    post,
    path = "/notifications/discord",
    tag = "notifications",
    security(("bearer" = ["manage_notifications"])),
    request_body = DiscordBody,
    responses(
        (status = 201, description = "`{id}`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_name`: `name` is not 1 to 200 characters; `discord_invalid_webhook`: `webhookUrl` is not a Discord webhook URL", body = ErrorBody),
    )
)]
async fn add_discord(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DiscordBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(unprocessable(
            "invalid_name",
            "`name` must be 1 to 200 characters",
        ));
    }
    if !valid_discord_webhook(b.webhook_url.trim()) {
        return Err(unprocessable(
            "discord_invalid_webhook",
            "`webhookUrl` must be a Discord webhook URL: https://discord.com/api/webhooks/<id>/<token>",
        ));
    }
    let id = new_id();
    // Then the channel component's own rules (token characters, query,
    // version): a URL it refuses would fail every send, so it is refused now.
    let route = state
        .notifier
        .discord_route(b.webhook_url.trim().to_owned(), &id);
    match state
        .notifier
        .validate(&caller.business_id, &id, &route)
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => return Err(unprocessable("discord_invalid_webhook", reason)),
        // The sandbox's own answers (busy tenant 429, component missing 503)
        // as every route gives them.
        Err(e) => {
            return Err(match e.downcast::<crate::runtime::CallError>() {
                Ok(call) => crate::ingest::call_error(call),
                Err(e) => ApiError::internal(format!("{e:#}")),
            });
        }
    }
    let sealed = state.secrets.seal(
        b.webhook_url.trim().as_bytes(),
        &aad(&caller.business_id, DISCORD_RECORD, &id),
    );
    state
        .store
        .create_discord_webhook(&caller.business_id, &id, name, &sealed)
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Remove a Discord webhook.
#[utoipa::path(
    delete,
    path = "/notifications/discord/{id}",
    tag = "notifications",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The Discord webhook's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`discord_webhook_not_found`: no such Discord webhook in this business", body = ErrorBody),
    )
)]
async fn remove_discord(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    match state
        .store
        .delete_discord_webhook(&caller.business_id, &id)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(discord_not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Preferences with their defaults filled in.
fn with_defaults(stored: Option<Value>) -> Value {
    let mut prefs = json!({
        "inAppEnabled": true, "sound": true, "desktop": false,
        "minSeverity": "info", "mutedRuleIds": [],
    });
    if let (Some(Value::Object(stored)), Some(p)) = (stored, prefs.as_object_mut()) {
        for (k, v) in stored {
            p.insert(k, v);
        }
    }
    prefs
}

/// The token's notification preferences.
#[utoipa::path(
    get,
    path = "/notifications/preferences",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = PREFS, body = Object),
    )
)]
async fn get_prefs(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let stored = state
        .store
        .get_preferences(&caller.business_id, &caller.reader_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(with_defaults(stored)))
}

/// Change some preferences.
///
/// Keys: `inAppEnabled`, `sound`, `desktop` (booleans), `minSeverity`
/// (`info`, `warning`, `critical`), `mutedRuleIds` (automation ids).
#[utoipa::path(
    patch,
    path = "/notifications/preferences",
    tag = "notifications",
    security(("bearer" = ["manage_notifications"])),
    request_body(content = Object, description = "The preferences to change"),
    responses(
        (status = 200, description = PREFS, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: not a JSON object; `unknown_preference`: a key that is not a preference; `invalid_preference`: a value of the wrong type", body = ErrorBody),
    )
)]
async fn patch_prefs(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    for (key, value) in &patch {
        let ok = match key.as_str() {
            "inAppEnabled" | "sound" | "desktop" => value.is_boolean(),
            "minSeverity" => value.as_str().is_some_and(|s| SEVERITIES.contains(&s)),
            "mutedRuleIds" => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            _ => {
                return Err(unprocessable(
                    "unknown_preference",
                    format!("`{key}` is not a preference"),
                ));
            }
        };
        if !ok {
            return Err(unprocessable(
                "invalid_preference",
                format!("`{key}` has the wrong type or value"),
            ));
        }
    }
    let merged = state
        .store
        .merge_preferences(&caller.business_id, &caller.reader_id, |current| {
            let mut merged = with_defaults(current);
            if let Some(m) = merged.as_object_mut() {
                m.extend(patch.clone());
            }
            merged
        })
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(merged))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// How many, 1 to 200 (default 50).
    /// (Read as text, so that any bad value is `invalid_limit`.)
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// The in-app feed, newest first.
#[utoipa::path(
    get,
    path = "/notifications/feed",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    params(FeedQuery),
    responses(
        (status = 200, description = "`{items: [...], unreadCount}`", body = Object),
        (status = 400, description = "`invalid_query`: an unknown or malformed query parameter; `invalid_limit`: `limit` is not 1 to 200", body = ErrorBody),
    )
)]
async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<FeedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = super::pagination::limit(q.limit.as_deref())?;
    let (items, unread) = state
        .store
        .list_feed(&caller.business_id, &caller.reader_id, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "items": items, "unreadCount": unread })))
}

#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FeedReadBody)]
struct ReadBody {
    /// The feed items to mark read; all of them when absent (the body may be
    /// left out).
    ids: Option<Vec<String>>,
}

/// Mark feed items read.
#[utoipa::path(
    post,
    path = "/notifications/feed/read",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    request_body = ReadBody,
    responses(
        (status = 200, description = "`{marked}`: how many were marked", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape", body = ErrorBody),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    OptionalJson(b): OptionalJson<ReadBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let marked = state
        .store
        .mark_feed_read(&caller.business_id, &caller.reader_id, b.ids.as_deref())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "marked": marked })))
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 2,
        "warning" => 1,
        _ => 0,
    }
}

/// The in-app feed as server-sent events.
///
/// Server-sent events: each new feed row of the business as an event
/// `notification` with the row as JSON, filtered by the reader's
/// `inAppEnabled`, `minSeverity` and `mutedRuleIds` (rows of automations
/// they muted) at the time they connect.
#[utoipa::path(
    get,
    path = "/notifications/feed/stream",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "A stream of `notification` events, each a feed item as JSON (with keep-alive comments)", content_type = "text/event-stream", body = String),
    )
)]
async fn stream(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let prefs = with_defaults(
        state
            .store
            .get_preferences(&caller.business_id, &caller.reader_id)
            .await
            .map_err(ApiError::internal)?,
    );
    let enabled = prefs["inAppEnabled"].as_bool().unwrap_or(true);
    let min = severity_rank(prefs["minSeverity"].as_str().unwrap_or("info"));
    // Rows an automation the reader muted made stay in the feed but are
    // not pushed to them.
    let muted: Vec<String> = prefs["mutedRuleIds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let muted = std::sync::Arc::new(muted);
    let rx = state.feed.subscribe(&caller.business_id);
    // The token was checked once, when the stream began; a stream lives for
    // hours, so it ends soon after its token is revoked.
    let mut recheck = tokio::time::interval(std::time::Duration::from_millis(
        state.settings.feed_stream_token_check_ms.max(1),
    ));
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    let watch = (state.store.clone(), caller.token_id.clone());
    let events = futures::stream::unfold((rx, recheck), move |(mut rx, mut recheck)| {
        let muted = std::sync::Arc::clone(&muted);
        let (store, token_id) = watch.clone();
        async move {
            loop {
                let received = tokio::select! {
                    received = rx.recv() => received,
                    _ = recheck.tick() => {
                        match store.token_revoked(&token_id).await {
                            Ok(true) => return None,
                            Ok(false) => {}
                            Err(e) => tracing::warn!(error = %e, "feed stream: checking its token failed"),
                        }
                        continue;
                    }
                };
                match received {
                    Ok(item)
                        if enabled
                            && severity_rank(&item.severity) >= min
                            && !item.data["ruleId"]
                                .as_str()
                                .is_some_and(|r| muted.iter().any(|m| m == r)) =>
                    {
                        let event = Event::default()
                            .event("notification")
                            .id(item.id.clone())
                            .json_data(&item)
                            .unwrap_or_else(|_| Event::default().comment("unserialisable item"));
                        return Some((Ok(event), (rx, recheck)));
                    }
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

const STATUSES: &[&str] = &["pending", "sending", "delivered", "failed"];
const CHANNELS: &[&str] = &["telegram", "discord", "in_app", "webhook"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `pending`, `sending`, `delivered` or `failed`.
    status: Option<String>,
    /// `telegram`, `discord`, `in_app` or `webhook`.
    channel: Option<String>,
    /// Only those to this chat, Discord webhook or endpoint (its id).
    destination_id: Option<String>,
    /// From this time (ms since the epoch, when it was accepted).
    from: Option<i64>,
    /// Up to this time (ms since the epoch).
    to: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    /// (Read as text, so that any bad value is `invalid_limit`.)
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// The previous page's `nextCursor`.
    cursor: Option<String>,
}

/// The business's notifications, newest first: the delivery log.
///
/// What finds the ones to replay: `?status=failed` (with `channel=webhook`
/// for the outgoing webhooks a receiver missed while it was down).
#[utoipa::path(
    get,
    path = "/notifications",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    params(ListQuery),
    responses(
        (status = 200, description = "`{items: [...], nextCursor}`, each item a notification as `GET /notifications/{id}` without its attempts", body = Object),
        (status = 400, description = "`invalid_limit`: `limit` is not 1 to 200; `invalid_cursor`: `cursor` cannot be read (pass `nextCursor` back as given)", body = ErrorBody),
        (status = 422, description = "`invalid_filter`: an unknown or malformed query parameter, a `status` or `channel` not listed", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let Query(q) = query.map_err(|e| ApiError::invalid_filter(e.body_text()))?;
    for (name, given, allowed) in [
        ("status", &q.status, STATUSES),
        ("channel", &q.channel, CHANNELS),
    ] {
        if let Some(v) = given
            && !allowed.contains(&v.as_str())
        {
            return Err(ApiError::invalid_filter(format!(
                "`{name}` must be one of {}",
                allowed.join(", ")
            )));
        }
    }
    let limit = super::pagination::limit(q.limit.as_deref())?;
    let cursor = super::pagination::decode(q.cursor.as_deref())?;
    let filter = NotificationFilter {
        status: q.status,
        channel: q.channel,
        destination_id: q.destination_id,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .store
        .list_notifications(&caller.business_id, &filter, cursor, limit)
        .await
        .map_err(ApiError::internal)?;
    let next = super::pagination::next_cursor(&rows, limit, |n| (n.created_at, &n.id));
    Ok(Json(json!({ "items": rows, "nextCursor": next })))
}

/// One notification, with its delivery attempts.
#[utoipa::path(
    get,
    path = "/notifications/{id}",
    tag = "notifications",
    security(("bearer" = ["view_notifications"])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "The notification with `deliveryAttempts`", body = Object),
        (status = 404, description = "`notification_not_found`: no such notification in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let n = match state.store.get_notification(&caller.business_id, &id).await {
        Ok(n) => n,
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "notification_not_found",
                "no such notification in this business",
            ));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let attempts = state
        .store
        .list_attempts(&id)
        .await
        .map_err(ApiError::internal)?;
    let mut body = serde_json::to_value(&n).map_err(ApiError::internal)?;
    if let Some(o) = body.as_object_mut() {
        o.insert("deliveryAttempts".into(), json!(attempts));
    }
    Ok(Json(body))
}

/// Send a failed notification again.
#[utoipa::path(
    post,
    path = "/notifications/{id}/replay",
    tag = "notifications",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "`{ok: true, id, status: \"pending\"}`: back in the outbox", body = Object),
        (status = 404, description = "`notification_not_found`: no failed notification with this id in this business", body = ErrorBody),
    )
)]
async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    match state
        .store
        .replay_notification(&caller.business_id, &id)
        .await
    {
        Ok(()) => Ok(Json(json!({ "ok": true, "id": id, "status": "pending" }))),
        Err(StoreError::NotFound) => Err(ApiError::not_found(
            "notification_not_found",
            "no failed notification with this id in this business",
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_discord_webhook;

    #[test]
    fn only_discord_webhook_urls_are_accepted() {
        for good in [
            "https://discord.com/api/webhooks/123456/abc-DEF_ghi",
            "https://discordapp.com/api/webhooks/1/t",
            "https://canary.discord.com/api/v10/webhooks/9/t/",
        ] {
            assert!(valid_discord_webhook(good), "{good}");
        }
        for bad in [
            "http://discord.com/api/webhooks/1/t",
            "https://discord.com.evil.com/api/webhooks/1/t",
            "https://evil.com/api/webhooks/1/t",
            "https://x@discord.com/api/webhooks/1/t",
            "https://discord.com/api/webhooks/1",
            "https://discord.com/api/webhooks/abc/t",
            "https://discord.com:8443/api/webhooks/1/t",
            "not a url",
        ] {
            assert!(!valid_discord_webhook(bad), "{bad}");
        }
    }
}
