//! Local fakes of the two recording sources, following the documented
//! endpoints (`../shared/design/vendor-apis.md`, the connectors' READMEs):
//! the 3CX v20 XAPI (OAuth client credentials, `/xapi/v1/Recordings` with
//! OData `$top` / `$filter=Id gt N`, `Pbx.DownloadRecording(recId=N)`) and
//! OrkTrack (Basic login → `accesstoken`, paged `/orktrack/rest/recordings`,
//! `recordingURL` downloads). Each serves real WAV bytes and can misbehave on
//! demand: expire tokens, fail with 5xx, answer slowly, hang a download.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::serve;

/// A WAV file of `size` bytes (44-byte header, then 8 kHz 16-bit mono PCM
/// of a tone whose pitch depends on `seed`, so every file differs).
pub fn wav(size: usize, seed: u64) -> Vec<u8> {
    wav_range(size, seed, 0, size.max(44))
}

/// Bytes `start..start + len` of [`wav`]`(size, seed)`, computed without
/// building the whole file: the fake streams large files in constant memory,
/// so a memory benchmark measures the host, not the fake.
pub fn wav_range(size: usize, seed: u64, start: usize, len: usize) -> Vec<u8> {
    let size = size.max(44);
    let data_len = (size - 44) as u32;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36 + data_len).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&1u16.to_le_bytes()); // mono
    header.extend_from_slice(&8000u32.to_le_bytes());
    header.extend_from_slice(&16000u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&16u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_len.to_le_bytes());
    let step = 0.05 + (seed % 17) as f64 * 0.01;
    let end = (start + len).min(size);
    (start..end)
        .map(|pos| {
            if pos < 44 {
                return header[pos];
            }
            let k = (pos - 44) / 2;
            let sample = ((k as f64 * step).sin() * 8000.0) as i16;
            sample.to_le_bytes()[(pos - 44) % 2]
        })
        .collect()
}

/// One recording the fake source lists.
#[derive(Debug, Clone)]
pub struct FakeRecording {
    pub id: u64,
    pub size: usize,
    pub caller: String,
    pub extension: String,
    /// OrkTrack's `nativeCallId`.
    pub native_call_id: Option<String>,
}

impl FakeRecording {
    pub fn new(id: u64, size: usize) -> Self {
        FakeRecording {
            id,
            size,
            caller: format!("+6681234{id:04}"),
            extension: format!("{}", 100 + id % 10),
            native_call_id: None,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        wav(self.size, self.id)
    }
}

/// Knobs and counters shared with the test.
#[derive(Default)]
pub struct Behaviour {
    pub recordings: Mutex<Vec<FakeRecording>>,
    /// A token stops working after this many listing requests (0: never).
    pub token_uses: AtomicU32,
    /// The next this-many listing requests answer 500.
    pub fail_lists: AtomicU32,
    /// Every listing request waits this long first.
    pub list_delay_ms: AtomicU64,
    /// The download of this recording id waits until `release` is notified.
    pub hold_download: Mutex<Option<u64>>,
    pub release: tokio::sync::Notify,
    /// Downloads of these recording ids answer this instead of the audio:
    /// an HTTP status, or 200 with a JSON error body (status 0).
    pub broken_downloads: Mutex<HashMap<u64, u16>>,
    /// Counters.
    pub tokens_issued: AtomicU32,
    pub lists: AtomicU32,
    pub downloads: AtomicU32,
    uses: Mutex<HashMap<String, u32>>,
}

impl Behaviour {
    pub fn with(recordings: Vec<FakeRecording>) -> Arc<Behaviour> {
        let b = Behaviour::default();
        *b.recordings.lock().unwrap() = recordings;
        Arc::new(b)
    }

    fn issue_token(&self) -> String {
        let n = self.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
        format!("tok-{n}")
    }

    /// Whether `token` is one we issued; for a listing (`count_use`), also
    /// that it has uses left, counting this one. Downloads only need a
    /// token we issued: expiry is what listings test.
    fn token_ok(&self, token: &str, count_use: bool) -> bool {
        let issued = self.tokens_issued.load(Ordering::SeqCst);
        let known = token
            .strip_prefix("tok-")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 1 && n <= issued);
        if !known || !count_use {
            return known;
        }
        let limit = self.token_uses.load(Ordering::SeqCst);
        let mut uses = self.uses.lock().unwrap();
        let used = uses.entry(token.to_owned()).or_default();
        if limit > 0 && *used >= limit {
            return false;
        }
        *used += 1;
        true
    }

    async fn before_list(&self) -> Option<Response> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        let delay = self.list_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let failing = self
            .fail_lists
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        failing.then(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }

    async fn audio(&self, id: u64) -> Response {
        let rec = self
            .recordings
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.id == id)
            .cloned();
        let Some(rec) = rec else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let hold = *self.hold_download.lock().unwrap();
        if hold == Some(id) {
            self.release.notified().await;
        }
        self.downloads.fetch_add(1, Ordering::SeqCst);
        let broken = self.broken_downloads.lock().unwrap().get(&id).copied();
        match broken {
            Some(0) => {
                return (
                    [("content-type", "audio/wav")],
                    r#"{"error": "recording archived"}"#,
                )
                    .into_response();
            }
            Some(status) => {
                return StatusCode::from_u16(status).unwrap().into_response();
            }
            None => {}
        }
        // Streamed in 64 KiB chunks computed on the fly, like a file server.
        let size = rec.size.max(44);
        let chunk = 64 << 10;
        let seed = rec.id;
        let chunks = futures::stream::iter(
            (0..size.div_ceil(chunk))
                .map(move |i| Ok::<_, std::io::Error>(wav_range(size, seed, i * chunk, chunk))),
        );
        Response::builder()
            .header("content-type", "audio/wav")
            .header("content-length", size.to_string())
            .body(Body::from_stream(chunks))
            .unwrap()
    }
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_owned()
}

fn query_pairs(req: &Request) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The fake 3CX XAPI; the OAuth client secret is `good-secret`.
pub async fn fake_3cx(behaviour: Arc<Behaviour>) -> String {
    let app = axum::Router::new().fallback(threecx).with_state(behaviour);
    serve(app).await
}

async fn threecx(State(b): State<Arc<Behaviour>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let q = query_pairs(&req);
    let token = bearer(req.headers());
    if path == "/connect/token" {
        let body = axum::body::to_bytes(req.into_body(), 1 << 16)
            .await
            .unwrap();
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(&body).into_owned().collect();
        if form.get("client_secret").map(String::as_str) != Some("good-secret") {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_client"})),
            )
                .into_response();
        }
        let token = b.issue_token();
        return axum::Json(
            json!({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}),
        )
        .into_response();
    }
    if path == "/xapi/v1/Recordings" {
        if let Some(failure) = b.before_list().await {
            return failure;
        }
        if !b.token_ok(&token, true) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let top: usize = q.get("$top").and_then(|t| t.parse().ok()).unwrap_or(100);
        let after: u64 = q
            .get("$filter")
            .and_then(|f| f.split("Id gt ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let mut all = b.recordings.lock().unwrap().clone();
        all.sort_by_key(|r| r.id);
        let page: Vec<Value> = all
            .iter()
            .filter(|r| r.id > after)
            .take(top)
            .map(|r| {
                json!({"Id": r.id, "FromCallerNumber": r.caller, "ToDn": r.extension,
                       "FromDn": r.caller, "CallType": "InboundExternal",
                       "StartTime": format!("2024-05-01T10:{:02}:00Z", r.id % 60),
                       "EndTime": format!("2024-05-01T10:{:02}:30Z", r.id % 60),
                       "RecordingUrl": format!("recordings/{}.wav", r.id)})
            })
            .collect();
        return axum::Json(json!({"@odata.context": "$metadata#Recordings", "value": page}))
            .into_response();
    }
    if let Some(rest) = path.strip_prefix("/xapi/v1/Recordings/Pbx.DownloadRecording(recId=") {
        if !b.token_ok(&token, false) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let id: u64 = rest.trim_end_matches(')').parse().unwrap_or(0);
        return b.audio(id).await;
    }
    StatusCode::NOT_FOUND.into_response()
}

/// The fake OrkTrack; the account is `agent` / `pass`. Pages by `page` and
/// `pagesize`, with `nextPageUri` while more remain.
pub async fn fake_orktrack(behaviour: Arc<Behaviour>) -> String {
    let app = axum::Router::new().fallback(orktrack).with_state(behaviour);
    serve(app).await
}

async fn orktrack(State(b): State<Arc<Behaviour>>, req: Request) -> Response {
    use base64::Engine as _;
    let path = req.uri().path().to_owned();
    let q = query_pairs(&req);
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if path == "/orktrack/rest/user/login" {
        let good = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("agent:pass")
        );
        if auth != good {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        return axum::Json(json!({"accesstoken": b.issue_token()})).into_response();
    }
    if path == "/orktrack/rest/recordings" {
        if let Some(failure) = b.before_list().await {
            return failure;
        }
        if !b.token_ok(&auth, true) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let page: usize = q
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .max(1);
        let size: usize = q
            .get("pagesize")
            .and_then(|p| p.parse().ok())
            .unwrap_or(100)
            .max(1);
        let mut all = b.recordings.lock().unwrap().clone();
        all.sort_by_key(|r| r.id);
        let total = all.len();
        let objects: Vec<Value> = all
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|r| {
                // Ten minutes ago (the connector leaves the last two minutes
                // for the next window), one second apart.
                let ts = epoch_ms_ago(600 + r.id);
                json!({"id": r.id, "nativeCallId": r.native_call_id, "direction": "IN",
                       "remoteParty": r.caller, "localParty": r.extension,
                       "timestamp": ts, "duration": 30,
                       "recordingURL": format!("/orktrack/audio/{}.wav", r.id)})
            })
            .collect();
        let more = page * size < total;
        return axum::Json(json!({
            "objects": objects,
            "nextPageUri": if more { Value::String(format!("/orktrack/rest/recordings?page={}", page + 1)) } else { Value::Null },
            "page": page, "pageSize": size, "resultCount": total}))
        .into_response();
    }
    if let Some(file) = path.strip_prefix("/orktrack/audio/") {
        if !b.token_ok(&auth, false) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let id: u64 = file.trim_end_matches(".wav").parse().unwrap_or(0);
        return b.audio(id).await;
    }
    StatusCode::NOT_FOUND.into_response()
}

/// Epoch milliseconds `secs` seconds ago (OrkTrack accepts epoch timestamps).
fn epoch_ms_ago(secs: u64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    now - (secs as i64) * 1000
}
