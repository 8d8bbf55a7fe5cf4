//! One sync run of one recording-source integration: page through what the
//! source lists since the stored cursor, store each recording's audio and
//! link it to its call, and advance the cursor only once every recording of
//! the page is recorded. A run killed anywhere resumes from the last stored
//! cursor; recordings of the resumed page that were already stored are
//! skipped by their unique `(integration, remote id)`, so each is stored
//! exactly once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

use super::download::{Downloader, FetchError};
use super::metadata::{call_event, chain_of};
use super::storage::{AudioStore, NOT_AUDIO, key_for};
use crate::cache::Lookups;
use crate::calls::fold::fold;
use crate::crypto::SecretBox;
use crate::installations::call_target;
use crate::runtime::wit::since_v0_1_0::recording_source::exports::switchboard::connector::recordings::RemoteRecording;
use crate::runtime::wit::since_v0_1_0::types::Installation;
use crate::runtime::{CallTarget, Runtime};
use crate::notify::events;
use crate::store::{
    Integration, NewNotification, PulledRecording, RunCounts, RunOutcome, Store, StoreError,
    StoredAudio, SyncStatus, audio_path, new_id,
};

/// The installation-state key of the source's cursor. The `host.` prefix is
/// reserved: components cannot write it (see `capabilities/state.rs`).
pub const CURSOR_KEY: &str = "host.sync.cursor";

#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub page_size: u32,
    pub max_bytes: u64,
    pub download_timeout: Duration,
    pub lease_ms: i64,
    pub backoff_base_ms: i64,
    pub backoff_max_ms: i64,
    /// Pages per run; a source with more waiting runs again at once, so one
    /// integration's backlog cannot hold a worker forever.
    pub max_pages_per_run: u32,
    /// Failed tries at one listed recording's download before it is
    /// recorded as failed and the sync moves past it
    /// (`recording_link_attempts`, shared with vendor links).
    pub download_attempts: u32,
}

/// Everything a run needs; shared by the scheduler's runs.
pub struct Syncer {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    pub secrets: Arc<SecretBox>,
    pub lookups: Arc<Lookups>,
    pub storage: std::sync::Arc<AudioStore>,
    pub settings: SyncSettings,
    /// This server's name, the prefix of each claim's lease token.
    pub owner: String,
}

/// Why a run stopped early.
enum Stop {
    /// Recorded in the status; the next run is backed off.
    Failed(String),
    /// Another server took the lease over: leave everything to it.
    LeaseLost,
}

impl Syncer {
    /// Runs the `sync` claimed as `lease` and records its outcome. The
    /// lease is renewed beside the run; once it is lost (this server stalled
    /// past it and the sync was claimed again), the run stops after the
    /// recording in hand (dropping it half-way could leave its downloaded
    /// file behind with no row) and records nothing more: the new holder
    /// resumes from the cursor.
    pub async fn run(&self, sync: &SyncStatus, lease: &str) {
        let mut counts = RunCounts::default();
        let lost = AtomicBool::new(false);
        let result = {
            let pages = self.pages(&sync.integration_id, lease, &lost, &mut counts);
            tokio::pin!(pages);
            tokio::select! {
                result = &mut pages => result,
                () = self.keep_lease(&sync.integration_id, lease, &lost) => pages.await,
            }
        };
        let now = crate::store::now_ms();
        let outcome = match result {
            Ok(more) => RunOutcome {
                counts,
                error: None,
                next_run_at: more.then_some(now),
            },
            Err(Stop::Failed(error)) => {
                tracing::warn!(integration = %sync.integration_id, %error, "recording sync failed");
                RunOutcome {
                    counts,
                    error: Some(error),
                    next_run_at: Some(now + self.backoff(sync.consecutive_failures + 1)),
                }
            }
            Err(Stop::LeaseLost) => {
                tracing::warn!(integration = %sync.integration_id, "recording sync lease lost; another server continues");
                return;
            }
        };
        if let Err(e) = self
            .store
            .finish_sync(&sync.integration_id, lease, &outcome)
            .await
        {
            tracing::error!(integration = %sync.integration_id, error = %e, "recording the sync outcome failed");
        }
    }

    /// Renews the run's lease (`lease::keep`); once it is lost, says so in
    /// `lost` and returns.
    async fn keep_lease(&self, integration_id: &str, lease: &str, lost: &AtomicBool) {
        let what = format!("recording sync of {integration_id}");
        crate::lease::keep(self.settings.lease_ms, &what, || {
            self.store
                .renew_sync_lease(integration_id, lease, self.settings.lease_ms)
        })
        .await;
        lost.store(true, Ordering::SeqCst);
    }

    /// Everything to call `integration`'s component, through this server's
    /// caches.
    pub async fn target_of(
        &self,
        integration: &Integration,
    ) -> anyhow::Result<(CallTarget, Installation)> {
        call_target(
            &self.store,
            &self.lookups,
            &self.runtime,
            &self.secrets,
            integration,
        )
        .await
    }

    /// Delay before retry number `failures` (1 = the first failure).
    pub fn backoff(&self, failures: i64) -> i64 {
        let exp = u32::try_from(failures.clamp(1, 30) - 1).unwrap_or(0);
        self.settings
            .backoff_base_ms
            .saturating_mul(1i64 << exp.min(20))
            .min(self.settings.backoff_max_ms)
    }

    /// Pages until caught up; Ok(true) when the page budget ran out first.
    async fn pages(
        &self,
        integration_id: &str,
        lease: &str,
        lost: &AtomicBool,
        counts: &mut RunCounts,
    ) -> Result<bool, Stop> {
        let failed = |e: String| Stop::Failed(e);
        let integration = self
            .store
            .get_integration_any(integration_id)
            .await
            .map_err(|e| failed(format!("internal: {e}")))?;
        let (target, installation) = self
            .target_of(&integration)
            .await
            .map_err(|e| failed(format!("internal: {e:#}")))?;
        let mut cursor = self
            .store
            .state_get(integration_id, CURSOR_KEY)
            .await
            .map_err(|e| failed(format!("internal: {e}")))?;
        for _ in 0..self.settings.max_pages_per_run.max(1) {
            let page = match self
                .runtime
                .list_recordings(
                    &target,
                    &installation,
                    cursor.as_deref(),
                    self.settings.page_size,
                )
                .await
            {
                Ok(Ok(page)) => page,
                Ok(Err(e)) => {
                    let e = crate::ingest::connector_error(e);
                    return Err(failed(format!("{}: {}", e.code, e.message)));
                }
                Err(e) => return Err(failed(format!("{}: {e}", e.code()))),
            };
            for recording in &page.recordings {
                if lost.load(Ordering::SeqCst) {
                    return Err(Stop::LeaseLost);
                }
                self.one(&target, &installation, recording, counts).await?;
            }
            if let Some(next) = &page.next_cursor
                && cursor.as_ref() != Some(next)
            {
                // Only while the run holds its lease: a run taken over must
                // not move the new holder's cursor back.
                let moved = self
                    .store
                    .set_sync_cursor(integration_id, lease, CURSOR_KEY, next)
                    .await
                    .map_err(|e| failed(format!("internal: {e}")))?;
                if !moved {
                    return Err(Stop::LeaseLost);
                }
                cursor = Some(next.clone());
            }
            if !page.has_more {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A transient failure to download a listed recording: the run stops
    /// (the page is listed again next time), until the recording has failed
    /// `download_attempts` times; then it is recorded as failed (the `Err`
    /// returned in `Ok`) and the sync goes on past it.
    async fn failed_try(
        &self,
        integration_id: &str,
        remote_id: &str,
        reason: String,
    ) -> Result<Result<StoredAudio, String>, Stop> {
        let tries = self
            .store
            .count_pull_failure(integration_id, remote_id, &reason)
            .await
            .map_err(|e| Stop::Failed(format!("internal: {e}")))?;
        if tries >= i64::from(self.settings.download_attempts.max(1)) {
            return Ok(Err(format!("{reason} (gave up after {tries} tries)")));
        }
        Err(Stop::Failed(format!(
            "recording {remote_id} not downloaded: {reason}"
        )))
    }

    /// Stores one listed recording (or records why it cannot be stored).
    async fn one(
        &self,
        target: &CallTarget,
        installation: &Installation,
        recording: &RemoteRecording,
        counts: &mut RunCounts,
    ) -> Result<(), Stop> {
        let integration_id = &installation.id;
        let business_id = &installation.business_id;
        let failed = |e: String| Stop::Failed(e);
        if self
            .store
            .recording_known(integration_id, &recording.id)
            .await
            .map_err(|e| failed(format!("internal: {e}")))?
        {
            counts.skipped += 1;
            return Ok(());
        }
        let id = new_id();
        let key = key_for(business_id, &id).map_err(|e| failed(format!("internal: {e}")))?;
        let stored = match self
            .runtime
            .download_request(target, installation, recording)
            .await
        {
            Ok(Ok(request)) => {
                let downloader = Downloader {
                    runtime: &self.runtime,
                    storage: &self.storage,
                    max_bytes: self.settings.max_bytes,
                    timeout: self.settings.download_timeout,
                };
                downloader
                    .fetch(target, &request, &key, recording.mime_type.as_deref())
                    .await
            }
            Ok(Err(e)) => {
                let e = crate::ingest::connector_error(e);
                Err(FetchError::Ours(format!("{}: {}", e.code, e.message)))
            }
            Err(e) => Err(FetchError::Ours(format!("{}: {e}", e.code()))),
        };
        let stored = match stored {
            // A vendor error page or JSON answered with 200 is not a recording.
            Ok(audio) if !audio.mime_type.starts_with("audio/") => {
                let _ = self.storage.remove(&audio.storage_key);
                Err(NOT_AUDIO.to_owned())
            }
            Ok(audio) => Ok(audio),
            Err(FetchError::Permanent(reason)) => Err(reason),
            Err(FetchError::Transient(reason)) => {
                self.failed_try(integration_id, &recording.id, reason)
                    .await?
            }
            // Not the recording's fault (our disk, the connector, the
            // sandbox): stop this run, count nothing against it.
            Err(FetchError::Ours(reason)) => {
                return Err(Stop::Failed(format!(
                    "recording {} not downloaded: {reason}",
                    recording.id
                )));
            }
        };
        let notices = match &stored {
            Ok(audio) => {
                let done = Completed {
                    id: &id,
                    integration_id,
                    remote_id: Some(&recording.id),
                    audio,
                };
                match self.completed_notices(business_id, &done).await {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = self.storage.remove(&audio.storage_key);
                        return Err(failed(format!("internal: {e}")));
                    }
                }
            }
            Err(_) => Vec::new(),
        };
        let pulled = PulledRecording {
            id,
            notices,
            business_id: business_id.clone(),
            integration_id: integration_id.clone(),
            remote_id: recording.id.clone(),
            vendor_chain: recording.call.as_ref().map(|_| chain_of(recording)),
            call_event: call_event(recording).map_err(|e| failed(format!("internal: {e}")))?,
            stored,
            started_at: recording.started_at,
            duration_sec: recording.duration_sec.map(i64::from),
        };
        let (row, inserted) = match self.store.record_pulled(&pulled, &fold).await {
            Ok(r) => r,
            Err(e) => {
                if let Ok(audio) = &pulled.stored {
                    let _ = self.storage.remove(&audio.storage_key);
                }
                return Err(failed(format!("internal: {e}")));
            }
        };
        if !inserted {
            // Someone recorded it between our check and now: keep theirs
            // (and forget our failed tries at it).
            let _ = self
                .store
                .clear_pull_failures(integration_id, &recording.id)
                .await;
            if let Ok(audio) = &pulled.stored {
                let _ = self.storage.remove(&audio.storage_key);
            }
            counts.skipped += 1;
            return Ok(());
        }
        if let Err(e) = self
            .store
            .clear_pull_failures(integration_id, &recording.id)
            .await
        {
            tracing::warn!(integration = %integration_id, remote = %recording.id, error = %e, "forgetting a recording's failed tries failed");
        }
        if row.status == "stored" {
            counts.stored += 1;
        } else {
            counts.failed += 1;
            tracing::warn!(integration = %integration_id, remote = %recording.id, error = ?row.error, "recording not storable");
        }
        Ok(())
    }

    /// `recording.completed` for the business's outgoing webhooks, one per
    /// subscribed endpoint, for the caller to store in the transaction that
    /// stores the recording: the announcement is durable with it, never
    /// lost to a crash in between. The store fills in `call.id` (which call
    /// the recording joins is decided in that transaction).
    pub(super) async fn completed_notices(
        &self,
        business_id: &str,
        done: &Completed<'_>,
    ) -> Result<Vec<NewNotification>, StoreError> {
        let mut data = Map::new();
        for (k, v) in [
            ("recording.id", Some(done.id.to_owned())),
            ("integration.id", Some(done.integration_id.to_owned())),
            ("recording.remote_id", done.remote_id.map(str::to_owned)),
            ("recording.url", Some(audio_path(done.id))),
            ("recording.content_type", Some(done.audio.mime_type.clone())),
            (
                "recording.size_bytes",
                Some(done.audio.size_bytes.to_string()),
            ),
            ("recording.sha256", Some(done.audio.sha256.clone())),
        ] {
            if let Some(v) = v {
                data.insert(k.into(), Value::String(v));
            }
        }
        events::prepare(
            &self.store,
            &self.lookups,
            business_id,
            "recording.completed",
            "A recording was stored",
            &data,
        )
        .await
    }
}

/// A recording about to be stored, as `recording.completed` describes it.
pub struct Completed<'a> {
    pub id: &'a str,
    pub integration_id: &'a str,
    pub remote_id: Option<&'a str>,
    pub audio: &'a StoredAudio,
}
