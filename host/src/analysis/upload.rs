//! Sending a stored recording to speech-to-text: the analyzer describes a
//! multipart POST; the host sends it under the installation's egress rules
//! with the audio streamed from storage as the file part, so the audio never
//! enters guest memory, and returns the reply (bounded) to the analyzer.

use std::time::Duration;

use crate::pull::storage::AudioStore;
use crate::runtime::capabilities::without_url;
use crate::runtime::wit::since_v0_1_0::analyzer::exports::switchboard::connector::analysis::{
    Upload, UploadReply,
};
use crate::runtime::wit::since_v0_1_0::types::Pair;
use crate::runtime::{CallTarget, Runtime};
use crate::store::Recording;

/// The largest speech-to-text reply read (a transcript is text).
const MAX_REPLY: usize = 4 << 20;

/// Sends `upload` with the recording's audio. Err: why it could not be
/// sent at all (the text is the job's error).
pub async fn send(
    runtime: &Runtime,
    target: &CallTarget,
    storage: &AudioStore,
    upload: &Upload,
    recording: &Recording,
    timeout: Duration,
) -> Result<UploadReply, String> {
    let url = url::Url::parse(&upload.url).map_err(|e| format!("invalid upload URL: {e}"))?;
    if let Some(refusal) = runtime.egress_refusal(target, &url) {
        return Err(format!("upload refused: {refusal}"));
    }
    let key = recording
        .storage_key
        .as_deref()
        .ok_or("the recording's audio is not stored")?;
    let file = storage
        .open_file(key)
        .map_err(|e| format!("storage: {e}"))?;
    let size = u64::try_from(recording.size_bytes.unwrap_or(0)).unwrap_or(0);
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let mime = recording
        .mime_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let part = reqwest::multipart::Part::stream_with_length(body, size)
        .file_name(file_name(recording))
        .mime_str(&mime)
        .map_err(|e| format!("content type {mime}: {e}"))?;
    let mut form = reqwest::multipart::Form::new();
    for f in &upload.fields {
        form = form.text(f.name.clone(), f.value.clone());
    }
    form = form.part(upload.file_field.clone(), part);
    let mut request = runtime
        .guarded_http()
        .post(url.clone())
        .timeout(timeout)
        .multipart(form);
    for h in &upload.headers {
        if !crate::runtime::egress::guest_may_set_header(&h.name) {
            return Err(format!(
                "upload refused: header `{}` is set from the URL",
                h.name
            ));
        }
        request = request.header(h.name.as_str(), h.value.as_str());
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            format!("{host} did not answer the upload in time")
        } else {
            format!("cannot reach {host}: {}", without_url(e))
        }
    })?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| Pair {
            name: n.as_str().to_owned(),
            value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading {host}'s reply: {}", without_url(e)))?
    {
        if body.len() + chunk.len() > MAX_REPLY {
            return Err(format!("{host}'s reply is over {MAX_REPLY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(UploadReply {
        status,
        headers,
        body,
    })
}

/// The part's file name, from our id and the content type: never a vendor's.
pub fn file_name(recording: &Recording) -> String {
    let ext = match recording.mime_type.as_deref() {
        Some("audio/wav" | "audio/x-wav" | "audio/wave") => "wav",
        Some("audio/mpeg" | "audio/mp3") => "mp3",
        Some("audio/ogg") => "ogg",
        Some("audio/mp4" | "audio/m4a" | "audio/x-m4a") => "m4a",
        Some("audio/webm") => "webm",
        Some("audio/flac") => "flac",
        _ => "bin",
    };
    format!("{}.{ext}", recording.id)
}
