//! A local fake of an OpenAI-compatible API, as the `openai-analyzer`
//! connector uses it: `POST /v1/audio/transcriptions` (multipart with a
//! `file` part) → `{"text"}`, and `POST /v1/chat/completions` → a chat
//! completion whose content is the analysis JSON. It checks the bearer key,
//! records what it received and can fail on demand.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::serve;

pub const API_KEY: &str = "sk-test-key";

#[derive(Default)]
pub struct AiState {
    /// Bytes of each uploaded file part, in order.
    pub uploads: Mutex<Vec<Vec<u8>>>,
    /// The `model` text field of each upload.
    pub stt_models: Mutex<Vec<String>>,
    /// User messages of each chat completion.
    pub prompts: Mutex<Vec<String>>,
    /// The next this-many transcriptions answer 500.
    pub fail_transcriptions: AtomicU32,
    /// The analysis JSON the model answers with.
    pub analysis: Mutex<Value>,
    /// The transcript text answered for every upload.
    pub transcript: Mutex<String>,
    /// While set, a transcription request signals `held` and waits for
    /// `release` before it is read: a test acts while an analysis runs.
    pub hold_transcriptions: AtomicBool,
    pub held: tokio::sync::Notify,
    pub release: tokio::sync::Notify,
}

pub struct AiFake {
    /// `http://127.0.0.1:<port>/v1`, the analyzer's `baseUrl`.
    pub base_url: String,
    pub state: Arc<AiState>,
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {API_KEY}"))
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})),
    )
        .into_response()
}

pub async fn start() -> AiFake {
    let state = Arc::new(AiState {
        analysis: Mutex::new(json!({
            "summary": "Customer asks for an invoice.", "score": 42,
            "sentiment": "Negative", "tags": ["Invoice", "billing"], "language": "en"})),
        transcript: Mutex::new("Hello, I need an invoice.".into()),
        ..AiState::default()
    });
    let app = axum::Router::new()
        .route("/v1/audio/transcriptions", axum::routing::post(transcribe))
        .route("/v1/chat/completions", axum::routing::post(chat))
        .with_state(Arc::clone(&state));
    let base = serve(app).await;
    AiFake {
        base_url: format!("{base}/v1"),
        state,
    }
}

async fn transcribe(
    State(s): State<Arc<AiState>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let failing = s
        .fail_transcriptions
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response();
    }
    if s.hold_transcriptions.load(Ordering::SeqCst) {
        s.held.notify_one();
        s.release.notified().await;
    }
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default().to_owned().as_str() {
            "file" => file = Some(field.bytes().await.unwrap().to_vec()),
            "model" => {
                let model = field.text().await.unwrap();
                s.stt_models.lock().unwrap().push(model);
            }
            _ => {}
        }
    }
    let Some(file) = file else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": "missing file"}})),
        )
            .into_response();
    };
    s.uploads.lock().unwrap().push(file);
    let text = s.transcript.lock().unwrap().clone();
    Json(json!({ "text": text })).into_response()
}

async fn chat(
    State(s): State<Arc<AiState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    s.prompts.lock().unwrap().push(user);
    let content = s.analysis.lock().unwrap().to_string();
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    }))
    .into_response()
}
