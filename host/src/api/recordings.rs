//! `/recordings`: the business's recordings, pulled from recording sources
//! and linked from vendor webhooks.
//!
//! - `GET /recordings` — filters `callId`, `integrationId`, `status`
//!   (`stored`, `failed`, `linked`), `from` / `to` (ms, on when it was
//!   recorded here); newest first; `limit` + `cursor`.
//! - `GET /recordings/{id}` — one recording.
//! - `DELETE /recordings/{id}` — removes the stored audio (a caller's
//!   erasure request); the recording stays as a `deleted` tombstone so that
//!   no sync or vendor retry stores it again.
//! - `GET /recordings/{id}/audio` — the stored audio with its content type;
//!   supports `Range: bytes=a-b` / `a-` / `-n` (206, or 416 with
//!   `Content-Range: bytes */size`). A recording that is only a vendor link,
//!   or failed, has no audio here (404 `audio_not_stored`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::openapi::{Binary, ErrorBody};
use super::pagination;
use crate::server::AppState;
use crate::store::{Recording, RecordingFilter, StoreError};

pub const STATUSES: &[&str] = &["linked", "stored", "failed", "deleted"];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(read, remove))
        .routes(routes!(audio))
}

fn recording_not_found() -> ApiError {
    ApiError::not_found("recording_not_found", "no such recording in this business")
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this call's recordings.
    call_id: Option<String>,
    /// Only this integration's recordings.
    integration_id: Option<String>,
    /// `stored`, `failed` or `linked`.
    status: Option<String>,
    /// From this time (ms since the epoch, on when it was recorded here).
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

/// The business's recordings, newest first.
#[utoipa::path(
    get,
    path = "/recordings",
    tag = "recordings",
    security(("bearer" = ["view_calls"])),
    params(ListQuery),
    responses(
        (status = 200, description = "`{items: [...], nextCursor}`, each item a recording as `GET /recordings/{id}`", body = Object),
        (status = 400, description = "`invalid_limit`: `limit` is not 1 to 200; `invalid_cursor`: `cursor` cannot be read (pass `nextCursor` back as given)", body = ErrorBody),
        (status = 422, description = "`invalid_filter`: an unknown or malformed query parameter, or a `status` that is not `stored`, `failed`, `linked` or `deleted`", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let Query(q) = query.map_err(|e| ApiError::invalid_filter(e.body_text()))?;
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::invalid_filter(format!(
            "`status` must be one of {}",
            STATUSES.join(", ")
        )));
    }
    let limit = pagination::limit(q.limit.as_deref())?;
    let cursor = pagination::decode(q.cursor.as_deref())?;
    let filter = RecordingFilter {
        call_id: q.call_id,
        integration_id: q.integration_id,
        status: q.status,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .store
        .list_recordings(&caller.business_id, &filter, cursor, limit)
        .await
        .map_err(ApiError::internal)?;
    let next = pagination::next_cursor(&rows, limit, |r| (r.created_at, &r.id));
    Ok(Json(json!({ "items": rows, "nextCursor": next })))
}

async fn find(state: &AppState, business_id: &str, id: &str) -> Result<Recording, ApiError> {
    match state.store.get_recording(business_id, id).await {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound) => Err(recording_not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// One recording.
#[utoipa::path(
    get,
    path = "/recordings/{id}",
    tag = "recordings",
    security(("bearer" = ["view_calls"])),
    params(("id" = String, Path, description = "The recording's id")),
    responses(
        (status = 200, description = "The recording", body = Recording),
        (status = 404, description = "`recording_not_found`: no such recording in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Recording>, ApiError> {
    caller.require(Scope::ViewCalls)?;
    Ok(Json(find(&state, &caller.business_id, &id).await?))
}

/// Delete a recording's audio.
///
/// The stored file is removed before the answer, and the recording stays as
/// a tombstone (`status: "deleted"`, no size or hash): a recording source's
/// next sync and a vendor's retry of the link then do not store it again. A
/// link not yet downloaded is never downloaded. The call, its transcript and
/// analysis stay. Deleting a deleted recording is a 204 again.
#[utoipa::path(
    delete,
    path = "/recordings/{id}",
    tag = "recordings",
    security(("bearer" = ["manage_calls"])),
    params(("id" = String, Path, description = "The recording's id")),
    responses(
        (status = 204, description = "Deleted: the audio is gone"),
        (status = 404, description = "`recording_not_found`: no such recording in this business", body = ErrorBody),
        (status = 409, description = "`conflict`: the recording kept changing (a download finishing at that moment); retry", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageCalls)?;
    let key = match state.store.delete_recording(&caller.business_id, &id).await {
        Ok(key) => key,
        Err(StoreError::NotFound) => return Err(recording_not_found()),
        Err(StoreError::Conflict(m)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "conflict", m));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    if let Some(key) = key {
        let syncer = std::sync::Arc::clone(&state.syncer);
        let file = key.clone();
        tokio::task::spawn_blocking(move || syncer.storage.remove(&file))
            .await
            .map_err(ApiError::internal)?
            // The tombstone keeps the key until the file is gone, so the
            // caller's retry of the DELETE tries again.
            .map_err(|e| {
                tracing::error!(recording = %id, error = %e, "removing a deleted recording's audio failed");
                ApiError::internal(e)
            })?;
        state
            .store
            .audio_removed(&id, &key)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A single byte range of a `size`-byte file, from a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) Range header: the whole file.
    Full,
    /// Inclusive start and end.
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges, other
/// units or garbage get the whole file, as RFC 9110 allows a server to.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => Some((size.saturating_sub(n), size.saturating_sub(1))),
            Err(_) => None,
        },
        (false, true) => a.parse::<u64>().ok().map(|s| (s, size.saturating_sub(1))),
        (false, false) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, e.min(size.saturating_sub(1)))),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        None => RangeRequest::Full,
        Some((start, _)) if start >= size => RangeRequest::Unsatisfiable,
        Some((start, end)) => RangeRequest::Part(start, end),
    }
}

/// The stored audio.
///
/// With its content type (the recording's `mimeType`); supports a single
/// `Range: bytes=a-b` / `a-` / `-n`. A recording that is only a vendor link,
/// or failed, has no audio here.
#[utoipa::path(
    get,
    path = "/recordings/{id}/audio",
    tag = "recordings",
    security(("bearer" = ["view_calls"])),
    params(
        ("id" = String, Path, description = "The recording's id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges or other units get the whole file"),
    ),
    responses(
        (status = 200, description = "The whole audio file (`Accept-Ranges: bytes`, `ETag` from its SHA-256)", content_type = "application/octet-stream", body = inline(Binary)),
        (status = 206, description = "The requested range, with `Content-Range: bytes a-b/size`", content_type = "application/octet-stream", body = inline(Binary)),
        (status = 404, description = "`recording_not_found`: no such recording in this business; `audio_not_stored`: the recording's audio is not stored here (see its `status` and `url`)", body = ErrorBody),
        (status = 416, description = "The range starts past the end: no body, `Content-Range: bytes */size`"),
    )
)]
async fn audio(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Scope::ViewCalls)?;
    let recording = find(&state, &caller.business_id, &id).await?;
    let (Some(key), Some(size)) = (
        recording
            .storage_key
            .as_ref()
            .filter(|_| recording.status == "stored"),
        recording.size_bytes,
    ) else {
        return Err(ApiError::not_found(
            "audio_not_stored",
            "this recording's audio is not stored here (see its status and url)",
        ));
    };
    let size = u64::try_from(size).unwrap_or(0);
    let mut file = state
        .syncer
        .storage
        .open_file(key)
        .map_err(ApiError::internal)?;
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        size,
    );
    let content_type = recording
        .mime_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let etag = recording.sha256.as_ref().map(|s| format!("\"{s}\""));
    let mut response = match range {
        RangeRequest::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            insert(&mut r, header::CONTENT_RANGE, format!("bytes */{size}"));
            return Ok(r);
        }
        RangeRequest::Full => {
            let mut r = Response::new(Body::from_stream(ReaderStream::new(file)));
            insert(&mut r, header::CONTENT_LENGTH, size.to_string());
            r
        }
        RangeRequest::Part(start, end) => {
            file.seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(ApiError::internal)?;
            let len = end - start + 1;
            let mut r = Response::new(Body::from_stream(ReaderStream::new(file.take(len))));
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            insert(&mut r, header::CONTENT_LENGTH, len.to_string());
            insert(
                &mut r,
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{size}"),
            );
            r
        }
    };
    insert(&mut response, header::CONTENT_TYPE, content_type);
    insert(&mut response, header::ACCEPT_RANGES, "bytes".into());
    if let Some(etag) = etag {
        insert(&mut response, header::ETAG, etag);
    }
    Ok(response)
}

fn insert(r: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeRequest::*;
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Part(0, 9));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Part(90, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Part(90, 99));
        assert_eq!(parse_range(Some("bytes=-1000"), 100), Part(0, 99));
        assert_eq!(parse_range(Some("bytes=50-1000"), 100), Part(50, 99));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=5-2"), 100), Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), Full);
    }
}
