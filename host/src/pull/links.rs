//! Downloading the recording links vendors send with their call events (3CX's
//! recording POST, the CTI call log's `recording`, the PBX's `cdr_append`
//! `link`), so that a webhook vendor's calls have their audio here like a
//! recording source's: served by `/recordings/{id}/audio`, kept when the
//! PBX rotates its files, and analysed.
//!
//! A link is fetched only from the host and port of one of the installation's
//! own base-URL settings (for the webhook connectors, `pbxUrl`) — not from
//! the component's allow-list, which a third-party connector may make wide —
//! and only under the address guard. Any other link stays a link: a webhook's
//! payload alone never makes the server fetch an address. What comes back is
//! kept only if it is audio, so a tenant cannot use the downloader to read
//! other pages of a host it may name.
//!
//! Each due link is taken under a lease (`store/recording_links.rs`) and
//! downloaded with the recording pull's [`Downloader`] into a file of its own
//! try; a transient failure is retried with the sync's backoff until
//! `recording_link_attempts` tries have begun.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::download::{Downloader, FetchError};
use super::storage::{NOT_AUDIO, key_for};
use super::sync::{Completed, Syncer};
use crate::runtime::wit::since_v0_1_0::recording_source::exports::switchboard::connector::recordings::Download;
use crate::store::{DueLink, StoreError, new_id, now_ms};

/// Starts the loop: every `poll`, as many due links as there are free
/// downloads of `concurrency`, so a slow download holds one slot, not the
/// queue. Aborting the task aborts the downloads in flight; their leases
/// run out and they come due again (`.part` files are swept at the next
/// start).
pub fn spawn(
    syncer: Arc<Syncer>,
    poll: Duration,
    concurrency: usize,
    max_attempts: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        // Owned here so that aborting this task drops it, aborting the tries.
        let mut tries = JoinSet::new();
        loop {
            let free = u32::try_from(permits.available_permits()).unwrap_or(u32::MAX);
            if free > 0 {
                match syncer.store.due_links(now_ms(), free).await {
                    Ok(links) => {
                        for link in links {
                            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                                break;
                            };
                            let syncer = Arc::clone(&syncer);
                            tries.spawn(async move {
                                if let Err(e) = fetch(&syncer, &link, max_attempts).await {
                                    tracing::error!(recording = %link.id, error = %e, "recording link try not recorded");
                                }
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "looking for recording links to download failed");
                    }
                }
            }
            while tries.try_join_next().is_some() {}
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                Some(_) = tries.join_next(), if !tries.is_empty() => {}
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
    let Some(taken) = syncer
        .store
        .take_link(link, now_ms().saturating_add(lease))
        .await?
    else {
        return Ok(());
    };
    let max_attempts = i64::from(max_attempts.max(1));
    if taken.attempts > max_attempts {
        // The earlier tries never finished (each crashed or was aborted).
        let reason = format!("gave up after {max_attempts} tries that did not finish");
        return syncer.store.link_failed(&taken, &reason).await;
    }
    let integration = match syncer
        .store
        .get_integration_any(&taken.integration_id)
        .await
    {
        Ok(i) => i,
        // Deleted meanwhile: its calls' recordings go with it.
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    let target = match syncer.target_of(&integration).await {
        Ok((target, _)) => target,
        Err(e) => {
            return retry(syncer, &taken, max_attempts, &format!("internal: {e:#}")).await;
        }
    };
    let reachable = url::Url::parse(&taken.url).ok().filter(|url| {
        let own = target.context.egress_extra.as_ref().is_some_and(|own| {
            url.host_str().is_some_and(|host| {
                url.port_or_known_default()
                    .is_some_and(|port| own.allows(host, port))
            })
        });
        own && syncer.runtime.egress_refusal(&target, url).is_none()
    });
    if reachable.is_none() {
        return syncer.store.link_kept(&taken, integration.updated_at).await;
    }
    let key = match key_for(&taken.business_id, &new_id()) {
        Ok(k) => k,
        Err(e) => {
            return syncer
                .store
                .link_failed(&taken, &format!("internal: {e}"))
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
        url: taken.url.clone(),
        headers: Vec::new(),
    };
    // No listed type: what the PBX sent must say or show that it is audio.
    let audio = match downloader.fetch(&target, &request, &key, None).await {
        Ok(audio) => audio,
        Err(FetchError::Permanent(reason)) => {
            return syncer.store.link_failed(&taken, &reason).await;
        }
        Err(FetchError::Transient(reason) | FetchError::Ours(reason)) => {
            return retry(syncer, &taken, max_attempts, &reason).await;
        }
    };
    if !audio.mime_type.starts_with("audio/") {
        discard(syncer, &audio.storage_key);
        return syncer.store.link_failed(&taken, NOT_AUDIO).await;
    }
    let done = Completed {
        id: &taken.id,
        integration_id: &taken.integration_id,
        remote_id: None,
        audio: &audio,
    };
    let notices = match syncer.completed_notices(&taken.business_id, &done).await {
        Ok(n) => n,
        Err(e) => {
            discard(syncer, &audio.storage_key);
            return retry(syncer, &taken, max_attempts, &format!("internal: {e}")).await;
        }
    };
    match syncer.store.link_stored(&taken, &audio, &notices).await {
        Ok(Some(_)) => Ok(()),
        // Overtaken, or its call deleted meanwhile: this try's file is no
        // one's.
        Ok(None) => {
            discard(syncer, &audio.storage_key);
            Ok(())
        }
        Err(e) => {
            discard(syncer, &audio.storage_key);
            Err(e)
        }
    }
}

/// Backs the link off, or fails it once it has had its tries.
async fn retry(
    syncer: &Syncer,
    taken: &DueLink,
    max_attempts: i64,
    reason: &str,
) -> Result<(), StoreError> {
    if taken.attempts >= max_attempts {
        let reason = format!("{reason} (gave up after {} tries)", taken.attempts);
        return syncer.store.link_failed(taken, &reason).await;
    }
    let next = now_ms().saturating_add(syncer.backoff(taken.attempts));
    syncer.store.link_retry(taken, next, reason).await
}

/// Removes a try's file that no row points at.
fn discard(syncer: &Syncer, key: &str) {
    if let Err(e) = syncer.storage.remove(key) {
        tracing::warn!(%key, error = %e, "removing an unused recording download failed");
    }
}
