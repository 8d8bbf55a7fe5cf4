//! Local stand-ins for Telegram's Bot API and Discord's webhooks, following
//! their documented contracts closely enough to test delivery: they record
//! what they receive and enforce the real limits (Telegram one message a
//! second per chat, Discord five requests per two seconds per webhook),
//! answering 429 with `retry_after` like the real services.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::serve;
use serde_json::{Value, json};

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub target: String,
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
pub struct FakeState {
    pub received: Mutex<Vec<Received>>,
    /// How many requests were refused with 429.
    pub throttled: Mutex<u32>,
    /// Telegram chats that blocked the bot / Discord webhooks deleted.
    pub gone: Mutex<HashSet<String>>,
    /// Answer 500 to everything while set.
    pub down: Mutex<bool>,
    /// Telegram groups upgraded to supergroups: old chat id → new one.
    pub migrated: Mutex<HashMap<String, String>>,
    /// Discord: every request is refused with 429 until then (a shared
    /// bucket our limiter cannot see), with the time left as `retry_after`.
    pub slow_down_until: Mutex<Option<Instant>>,
    last: Mutex<HashMap<String, Vec<Instant>>>,
}

impl FakeState {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn texts(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter_map(|r| {
                r.body
                    .get("text")
                    .or_else(|| r.body.get("content"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    }

    /// Records a send to `key` at now unless `max` in `per` were already
    /// accepted; then the wait until a slot frees.
    fn admit(&self, key: &str, max: usize, per: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap();
        let times = last.entry(key.to_owned()).or_default();
        times.retain(|t| now.duration_since(*t) < per);
        if times.len() >= max {
            *self.throttled.lock().unwrap() += 1;
            return Err(per - now.duration_since(times[0]));
        }
        times.push(now);
        Ok(())
    }
}

pub struct Fake {
    pub base: String,
    pub state: Arc<FakeState>,
}

/// Telegram: `POST /bot<token>/sendMessage`.
pub async fn telegram(token: &str) -> Fake {
    let state = Arc::new(FakeState::default());
    let expected = format!("bot{token}");
    let app = axum::Router::new()
        .route(
            "/{bot}/sendMessage",
            axum::routing::post(
                move |State(s): State<Arc<FakeState>>,
                      Path(bot): Path<String>,
                      Json(body): Json<Value>| {
                    let expected = expected.clone();
                    async move { telegram_send(&s, &bot, &expected, body) }
                },
            ),
        )
        .with_state(Arc::clone(&state));
    Fake {
        base: serve(app).await,
        state,
    }
}

fn telegram_send(s: &FakeState, bot: &str, expected: &str, body: Value) -> Response {
    if *s.down.lock().unwrap() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    if bot != expected {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response();
    }
    let chat = match &body["chat_id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: chat_id is empty"})),
            )
                .into_response();
        }
    };
    if let Some(new_id) = s.migrated.lock().unwrap().get(&chat) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": new_id.parse::<i64>().unwrap()}})),
        )
            .into_response();
    }
    if s.gone.lock().unwrap().contains(&chat) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})),
        )
            .into_response();
    }
    if let Err(wait) = s.admit(&chat, 1, Duration::from_secs(1)) {
        let secs = wait.as_secs_f64().ceil() as u64;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {secs}"),
                "parameters": {"retry_after": secs}})),
        )
            .into_response();
    }
    let mut received = s.received.lock().unwrap();
    received.push(Received {
        target: chat,
        body,
        at: Instant::now(),
    });
    let id = received.len();
    Json(json!({"ok": true, "result": {"message_id": id}})).into_response()
}

/// Discord: `POST /api/webhooks/{id}/{token}`.
pub async fn discord() -> Fake {
    let state = Arc::new(FakeState::default());
    let app = axum::Router::new()
        .route(
            "/api/webhooks/{id}/{token}",
            axum::routing::post(
                |State(s): State<Arc<FakeState>>,
                 Path((id, _token)): Path<(String, String)>,
                 Json(body): Json<Value>| async move { discord_send(&s, &id, body) },
            ),
        )
        .with_state(Arc::clone(&state));
    Fake {
        base: serve(app).await,
        state,
    }
}

fn discord_send(s: &FakeState, id: &str, body: Value) -> Response {
    if *s.down.lock().unwrap() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    if s.gone.lock().unwrap().contains(id) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Unknown Webhook", "code": 10015})),
        )
            .into_response();
    }
    let slow_down = s
        .slow_down_until
        .lock()
        .unwrap()
        .and_then(|until| until.checked_duration_since(Instant::now()));
    if let Some(left) = slow_down {
        *s.throttled.lock().unwrap() += 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"message": "You are being rate limited.", "retry_after": left.as_secs_f64(), "global": false})),
        )
            .into_response();
    }
    if let Err(wait) = s.admit(id, 5, Duration::from_secs(2)) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"message": "You are being rate limited.", "retry_after": wait.as_secs_f64(), "global": false})),
        )
            .into_response();
    }
    let mut received = s.received.lock().unwrap();
    received.push(Received {
        target: id.to_owned(),
        body,
        at: Instant::now(),
    });
    Json(json!({"id": format!("{}", received.len()), "type": 0})).into_response()
}
