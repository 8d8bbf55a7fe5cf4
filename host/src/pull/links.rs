//! Downloading the recording links vendors send with their call events (3CX's
//! recording POST, the CTI call log's `recording`, the PBX's `cdr_append`
//! `link`), so that a webhook vendor's calls have their audio here like a
//! recording source's: served by `/recordings/{id}/audio`, kept when the
//! PBX rotates its files, and analysed.
//!
//! A link is fetched only when the call's installation may reach its host —
//! the same egress rules as the connector's own HTTP, which for the webhook
//! connectors means the installation's `pbxUrl`. Any other link stays a link:
//! the host never fetches an address a vendor's payload alone chose.
//!
//! Each due link is taken under a lease (`store/recording_links.rs`) and
//! downloaded with the recording pull's [`Downloader`]; a transient failure
//! is retried with the sync's backoff until `recording_link_attempts` tries.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;

use super::download::{Downloader, FetchError};
use super::storage::key_for;
use super::sync::Syncer;
use crate::runtime::wit::since_v0_1_0::recording_source::exports::switchboard::connector::recordings::Download;
use crate::store::{DueLink, StoreError, now_ms};

/// Starts the loop: every `poll`, the due links, `concurrency` at a time.
/// Aborting the task aborts the downloads in flight; their leases run out
/// and they come due again (`.part` files are swept at the next start).
pub fn spawn(
    syncer: Arc<Syncer>,
    poll: Duration,
    concurrency: usize,
    max_attempts: u32,
) -> tokio::task::JoinHandle<()> {
    let concurrency = concurrency.max(1);
    tokio::spawn(async move {
        loop {
            let batch = u32::try_from(concurrency * 4).unwrap_or(u32::MAX);
            let full = match syncer.store.due_links(now_ms(), batch).await {
                Ok(links) => {
                    let full = links.len() == batch as usize;
                    futures::stream::iter(links)
                        .for_each_concurrent(concurrency, |link| {
                            let syncer = &syncer;
                            async move {
                                if let Err(e) = fetch(syncer, &link, max_attempts).await {
                                    tracing::error!(recording = %link.id, error = %e, "recording link download not recorded");
                                }
                            }
                        })
                        .await;
                    full
                }
                Err(e) => {
                    tracing::error!(error = %e, "looking for recording links to download failed");
                    false
                }
            };
            // A full batch may have more behind it.
            if !full {
                tokio::time::sleep(poll).await;
            }
        }
    })
}

/// One try at one link, if no one else has taken it.
async fn fetch(syncer: &Syncer, link: &DueLink, max_attempts: u32) -> Result<(), StoreError> {
    let timeout = syncer.settings.download_timeout;
    let lease = i64::try_from(timeout.as_millis())
        .unwrap_or(i64::MAX / 2)
        .saturating_add(60_000);
    if !syncer
        .store
        .take_link(link, now_ms().saturating_add(lease))
        .await?
    {
        return Ok(());
    }
    let integration = match syncer.store.get_integration_any(&link.integration_id).await {
        Ok(i) => i,
        // The call outlived its integration: nothing says where it may go.
        Err(StoreError::NotFound) => return syncer.store.link_kept(link).await,
        Err(e) => return Err(e),
    };
    let target = match syncer.target_of(&integration).await {
        Ok((target, _)) => target,
        Err(e) => {
            return retry(syncer, link, max_attempts, &format!("internal: {e:#}")).await;
        }
    };
    let Ok(url) = url::Url::parse(&link.url) else {
        return syncer.store.link_kept(link).await;
    };
    if syncer.runtime.egress_refusal(&target, &url).is_some() {
        return syncer.store.link_kept(link).await;
    }
    let key = match key_for(&link.business_id, &link.id) {
        Ok(k) => k,
        Err(e) => {
            return syncer
                .store
                .link_failed(link, &format!("internal: {e}"))
                .await;
        }
    };
    let downloader = Downloader {
        runtime: &syncer.runtime,
        storage: &syncer.storage,
        max_bytes: syncer.settings.max_bytes,
        timeout,
    };
    let request = Download {
        method: "GET".into(),
        url: link.url.clone(),
        headers: Vec::new(),
    };
    match downloader
        .fetch(&target, &request, &key, link.mime_type.as_deref())
        .await
    {
        Ok(audio) => match syncer.store.link_stored(link, &audio).await {
            Ok(Some(row)) => {
                syncer.completed(&link.business_id, &row).await;
                Ok(())
            }
            // Its call was deleted meanwhile: no one will ask for the file.
            Ok(None) => {
                let _ = syncer.storage.remove(&audio.storage_key);
                Ok(())
            }
            Err(e) => {
                let _ = syncer.storage.remove(&audio.storage_key);
                Err(e)
            }
        },
        Err(FetchError::Permanent(reason)) => syncer.store.link_failed(link, &reason).await,
        Err(FetchError::Transient(reason)) => retry(syncer, link, max_attempts, &reason).await,
    }
}

/// Backs the link off, or fails it once it has had its tries.
async fn retry(
    syncer: &Syncer,
    link: &DueLink,
    max_attempts: u32,
    reason: &str,
) -> Result<(), StoreError> {
    let tries = link.attempts + 1;
    if tries >= i64::from(max_attempts.max(1)) {
        let reason = format!("{reason} (gave up after {tries} tries)");
        return syncer.store.link_failed(link, &reason).await;
    }
    let next = now_ms().saturating_add(syncer.backoff(tries));
    syncer.store.link_retry(link, next, reason).await
}
