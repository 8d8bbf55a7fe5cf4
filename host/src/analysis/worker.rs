//! The analysis worker: claims due jobs (with a lease, so a crashed
//! server's job is taken up again), runs them, retries transient failures
//! with backoff, and reports permanent ones as `ai.failed`. It also sends
//! automation digests whose window has closed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::run::{Failure, analyze, store_failed};
use crate::notify::events;
use crate::pull::sync::Syncer;
use crate::store::{AnalysisJob, JobLease, NewNotification, StoreError, now_ms};

/// Attempts before an analysis counts as failed.
pub const MAX_ATTEMPTS: i64 = 5;
const LEASE_MS: i64 = 10 * 60_000;

pub struct AnalysisWorker {
    pub syncer: Arc<Syncer>,
    pub public_url: String,
    pub upload_timeout: Duration,
    /// First retry delay; doubles per attempt.
    pub backoff_base_ms: i64,
    /// Cancelled when the server stops: the job being run is given back
    /// (`Store::release_analysis_job`) and the worker returns.
    pub stop: tokio_util::sync::CancellationToken,
}

impl AnalysisWorker {
    pub fn spawn(
        self: Arc<Self>,
        poll: Duration,
        wake: Arc<tokio::sync::Notify>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                self.flush_digests().await;
                let mut flushed = tokio::time::Instant::now();
                loop {
                    if self.stop.is_cancelled() {
                        return;
                    }
                    // Between jobs too: an analysis can take minutes, and a
                    // backlog of them must not hold a closed window's digest.
                    if flushed.elapsed() >= poll {
                        self.flush_digests().await;
                        flushed = tokio::time::Instant::now();
                    }
                    match self.syncer.store.claim_analysis_job(LEASE_MS).await {
                        Ok(Some(job)) => self.run(&job).await,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::error!(error = %e, "claiming an analysis job failed");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = wake.notified() => {}
                    () = self.stop.cancelled() => return,
                }
            }
        })
    }

    /// Sends the digests whose window has closed.
    async fn flush_digests(&self) {
        if let Err(e) = self.syncer.store.flush_digests("Digest").await {
            tracing::error!(error = %e, "sending automation digests failed");
        }
    }

    /// Runs the job while keeping its lease, then records its end under
    /// this claim. If the lease is lost (this server stalled
    /// past it and another took the job over), the run is dropped and
    /// nothing is recorded: the new holder does the job and ends it.
    async fn run(&self, job: &AnalysisJob) {
        // Biased: a stop that came while the job was being claimed gives
        // it back before any of it runs.
        let outcome = tokio::select! {
            biased;
            () = self.stop.cancelled() => {
                // Given back at once, not left running under a lease of
                // minutes that the next server would wait out.
                if let Err(e) = self.syncer.store.release_analysis_job(&job.id, job.attempts).await {
                    tracing::warn!(job = %job.id, error = %e, "giving back an analysis job at stop failed; its lease runs out");
                }
                return;
            }
            outcome = self.execute(job) => outcome,
            () = self.keep_lease(job) => {
                tracing::warn!(job = %job.id, kind = %job.kind, "analysis job's lease was taken over; left to its new holder");
                return;
            }
        };
        match self.record(job, outcome).await {
            Ok(JobLease::Held) => {}
            Ok(JobLease::Lost) => {
                tracing::warn!(job = %job.id, kind = %job.kind, "analysis job's lease was lost before its end was recorded");
            }
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "recording an analysis job's outcome failed");
            }
        }
    }

    /// Renews the job's lease (`lease::keep`); returns only once it is lost.
    async fn keep_lease(&self, job: &AnalysisJob) {
        let what = format!("analysis job {}", job.id);
        crate::lease::keep(LEASE_MS, &what, || async move {
            let renewed = self
                .syncer
                .store
                .renew_analysis_job(&job.id, job.attempts, now_ms() + LEASE_MS)
                .await?;
            Ok(renewed == JobLease::Held)
        })
        .await;
    }

    async fn execute(&self, job: &AnalysisJob) -> Result<(), Failure> {
        let store = &self.syncer.store;
        let business = job.business_id.as_str();
        let mut call = job.call_id.clone();
        let mut moves = 0;
        match job.kind.as_str() {
            "analyze" => {
                let result = loop {
                    match analyze(&self.syncer, business, &call, self.upload_timeout).await {
                        Err(Failure::CallGone) => call = self.moved(job, &call, &mut moves).await?,
                        // Adopted between reading the call and reading its
                        // recordings: what was found is the placeholder's
                        // remains, and the adopting call has the audio.
                        Err(Failure::Skip(reason)) => {
                            match self.moved(job, &call, &mut moves).await {
                                Ok(moved) => call = moved,
                                Err(Failure::CallGone) => return Err(Failure::Skip(reason)),
                                Err(e) => return Err(e),
                            }
                        }
                        other => break other?,
                    }
                };
                // The analyzer's work is not repeated if the call moves now.
                loop {
                    match store
                        .record_analysis(business, &call, "analyzer", &result)
                        .await
                    {
                        Err(StoreError::NotFound) => {
                            call = self.moved(job, &call, &mut moves).await?;
                        }
                        other => return other.map(drop).map_err(store_failed),
                    }
                }
            }
            "fire" => loop {
                match crate::automations::fire::fire_for_call(
                    store,
                    &self.public_url,
                    business,
                    &call,
                )
                .await
                {
                    Err(StoreError::NotFound) => call = self.moved(job, &call, &mut moves).await?,
                    other => return other.map(drop).map_err(store_failed),
                }
            },
            other => Err(Failure::Permanent(format!("unknown job kind `{other}`"))),
        }
    }

    /// The call the job is for now, once a step found `call` gone. A
    /// webhook call can adopt a recording source's placeholder call while
    /// its job runs, and the job moves with it (`Store::analysis_job_call`):
    /// the step goes on there. A call deleted with its integration (the job
    /// still names it) is [`Failure::CallGone`].
    async fn moved(
        &self,
        job: &AnalysisJob,
        call: &str,
        moves: &mut u32,
    ) -> Result<String, Failure> {
        // A call is adopted once (the adopter is a webhook call, which
        // nothing adopts), so more moves are a bug, not a race to chase.
        *moves += 1;
        if *moves > 2 {
            return Err(Failure::Retry("the job's call kept moving".into()));
        }
        match self.syncer.store.analysis_job_call(&job.id).await {
            Ok(Some(moved)) if moved != call => {
                tracing::info!(job = %job.id, from = %call, to = %moved, "analysis job's call was adopted while it ran; following it");
                Ok(moved)
            }
            Ok(_) => Err(Failure::CallGone),
            Err(e) => Err(store_failed(e)),
        }
    }

    /// Records the job's end, if this claim still holds it.
    async fn record(
        &self,
        job: &AnalysisJob,
        outcome: Result<(), Failure>,
    ) -> Result<JobLease, StoreError> {
        let store = &self.syncer.store;
        let claim = job.attempts;
        match outcome {
            Ok(()) => {
                store
                    .finish_analysis_job(&job.id, claim, "done", None, &[])
                    .await
            }
            Err(Failure::CallGone) => {
                store
                    .finish_analysis_job(&job.id, claim, "skipped", Some("the call is gone"), &[])
                    .await
            }
            Err(Failure::Skip(reason)) => {
                store
                    .finish_analysis_job(&job.id, claim, "skipped", Some(&reason), &[])
                    .await
            }
            Err(Failure::Retry(reason)) if job.attempts < MAX_ATTEMPTS => {
                // `attempts` counts this one: the first retry waits the base.
                let delay = self
                    .backoff_base_ms
                    .saturating_mul(1 << (job.attempts - 1).clamp(0, 16));
                tracing::warn!(job = %job.id, kind = %job.kind, %reason, "analysis job will be retried");
                store
                    .retry_analysis_job(&job.id, claim, now_ms() + delay, &reason)
                    .await
            }
            Err(Failure::Retry(reason) | Failure::Permanent(reason)) => {
                tracing::warn!(job = %job.id, kind = %job.kind, %reason, "analysis job failed");
                // `ai.failed` is stored with the job's end: once, and not
                // lost. Without the endpoints the job is not ended either;
                // its lease runs out and it is tried again.
                let notices = if job.kind == "analyze" {
                    self.ai_failed(job, &reason).await?
                } else {
                    Vec::new()
                };
                store
                    .finish_analysis_job(&job.id, claim, "failed", Some(&reason), &notices)
                    .await
            }
        }
    }

    /// `ai.failed` for the business's outgoing webhooks, to store with
    /// the job's end.
    async fn ai_failed(
        &self,
        job: &AnalysisJob,
        reason: &str,
    ) -> Result<Vec<NewNotification>, StoreError> {
        let mut data = Map::new();
        // The call the job is for now (it follows an adopted call).
        let call_id = self
            .syncer
            .store
            .analysis_job_call(&job.id)
            .await?
            .unwrap_or_else(|| job.call_id.clone());
        data.insert("call.id".into(), Value::String(call_id));
        // Only the code (`vendor_bad_credentials`): the detail names the AI
        // provider's host, model or quota, which event payloads do not carry
        // (seed 000). It stays on the job (`GET /calls/{id}/analysis`).
        let code = reason.split_once(':').map_or(reason, |(code, _)| code);
        data.insert("error".into(), Value::String(code.trim().to_owned()));
        data.insert("attempts".into(), Value::String(job.attempts.to_string()));
        events::prepare(
            &self.syncer.store,
            &self.syncer.lookups,
            &job.business_id,
            "ai.failed",
            "The call's analysis failed",
            &data,
        )
        .await
    }
}
