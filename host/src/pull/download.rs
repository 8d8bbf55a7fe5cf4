//! Performing the download a recording source described: the component says
//! which request fetches the audio (URL, method, auth headers); the host
//! sends it under the installation's egress rules and streams the body to
//! storage, so the audio never passes through guest memory and the host
//! holds one chunk of it at a time.

use std::time::Duration;

use futures::TryStreamExt as _;

use super::storage::{AudioStore, WriteError, content_type};
use crate::runtime::wit::since_v0_1_0::recording_source::exports::switchboard::connector::recordings::Download;
use crate::runtime::capabilities::without_url;
use crate::runtime::{CallTarget, Runtime};
use crate::store::StoredAudio;

/// Why a download did not produce a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Retrying will not help (too large, gone, refused by policy): the
    /// recording is recorded as failed and the sync moves on.
    Permanent(String),
    /// It may work later (timeout, 5xx, connection): the sync stops and the
    /// page is asked again on the next run.
    Transient(String),
    /// Our side failed (our disk, the sandbox): as `Transient`, but not the
    /// recording's fault, so it does not count towards giving up on it.
    Ours(String),
}

pub struct Downloader<'a> {
    pub runtime: &'a Runtime,
    pub storage: &'a AudioStore,
    pub max_bytes: u64,
    pub timeout: Duration,
}

impl Downloader<'_> {
    /// Fetches `request` into the file of `key`.
    pub async fn fetch(
        &self,
        target: &CallTarget,
        request: &Download,
        key: &str,
        listed_mime: Option<&str>,
    ) -> Result<StoredAudio, FetchError> {
        let url = url::Url::parse(&request.url)
            .map_err(|e| FetchError::Permanent(format!("invalid download URL: {e}")))?;
        if let Some(refusal) = self.runtime.egress_refusal(target, &url) {
            return Err(FetchError::Permanent(format!(
                "download refused: {refusal}"
            )));
        }
        let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| FetchError::Permanent(format!("invalid method `{}`", request.method)))?;
        let mut builder = self
            .runtime
            .guarded_http()
            .request(method, url.clone())
            .timeout(self.timeout);
        for h in &request.headers {
            if !crate::runtime::egress::guest_may_set_header(&h.name) {
                return Err(FetchError::Permanent(format!(
                    "download refused: header `{}` is set from the URL",
                    h.name
                )));
            }
            builder = builder.header(h.name.as_str(), h.value.as_str());
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let response = builder.send().await.map_err(|e| {
            if crate::runtime::egress::find_refusal(&e).is_some() {
                FetchError::Permanent(format!(
                    "download refused: {host} resolves to a blocked address"
                ))
            } else if e.is_timeout() {
                FetchError::Transient(format!("{host} did not send the recording in time"))
            } else {
                FetchError::Transient(format!("cannot reach {host}: {}", without_url(e)))
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            let text = format!("{host} answered HTTP {} to the download", status.as_u16());
            // Gone or never there: asking again will not change it.
            return Err(if matches!(status.as_u16(), 404 | 410) {
                FetchError::Permanent(text)
            } else {
                FetchError::Transient(text)
            });
        }
        if let Some(len) = response.content_length()
            && len > self.max_bytes
        {
            return Err(too_large(len, self.max_bytes));
        }
        let header = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes_stream().map_err(anyhow::Error::from);
        match self
            .storage
            .write(key, self.max_bytes, Box::pin(body))
            .await
        {
            Ok(w) => Ok(StoredAudio {
                mime_type: content_type(header.as_deref(), listed_mime, &w.head),
                storage_key: w.key,
                size_bytes: i64::try_from(w.size).unwrap_or(i64::MAX),
                sha256: w.sha256,
            }),
            Err(WriteError::TooLarge { cap }) => Err(too_large_streamed(cap)),
            Err(WriteError::Source(e)) => Err(FetchError::Transient(
                match e.downcast::<reqwest::Error>() {
                    Ok(e) if e.is_timeout() => format!("{host} did not send the recording in time"),
                    Ok(e) => format!("the download from {host} broke off: {}", without_url(e)),
                    Err(e) => format!("the download from {host} broke off: {e}"),
                },
            )),
            // Our own disk: not the recording's fault, try again later.
            Err(WriteError::Io(e)) => Err(FetchError::Ours(format!("storage: {e}"))),
        }
    }
}

fn too_large(len: u64, cap: u64) -> FetchError {
    FetchError::Permanent(format!(
        "too_large: the recording is {len} bytes, over the {cap} byte limit"
    ))
}

fn too_large_streamed(cap: u64) -> FetchError {
    FetchError::Permanent(format!(
        "too_large: the recording is over the {cap} byte limit"
    ))
}
