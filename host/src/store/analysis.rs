//! The analysis stage's tables: each call's latest analysis
//! (`call_analyses`) and the durable queue of analysis work
//! (`analysis_jobs`). Storing an analysis and queueing the automations it
//! triggers happen in one transaction, so a finished analysis always fires.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError, new_id, now_ms, parse_json};

/// What an analysis found. Every field optional; `tags` may be empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisResult {
    pub transcript: Option<String>,
    pub summary: Option<String>,
    pub score: Option<f64>,
    pub sentiment: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
}

/// A stored analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallAnalysis {
    pub call_id: String,
    /// `analyzer`, `vendor` or `api`.
    pub source: String,
    #[serde(flatten)]
    pub result: AnalysisResult,
    pub analyzed_at: i64,
}

/// A claimed unit of analysis work.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisJob {
    pub id: String,
    pub business_id: String,
    pub call_id: String,
    /// `analyze` or `fire`.
    pub kind: String,
    /// Also this claim's fence: each claim adds one, so every write about
    /// the job's end (and each renewal) is conditional on it, and a worker
    /// whose lease ran out and was taken over changes nothing. (Not the
    /// lease's end, which each renewal moves: a renewal that committed but
    /// whose answer was lost would leave the holder fenced out of its own job.)
    pub attempts: i64,
}

/// Whether a job's end (or renewal) was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobLease {
    Held,
    /// Another worker took the job over after the lease ran out: nothing
    /// was written.
    Lost,
}

fn analysis_from_row(row: &AnyRow) -> Result<CallAnalysis, StoreError> {
    let tags: String = row.try_get("tags_json")?;
    let attributes: String = row.try_get("attributes_json")?;
    Ok(CallAnalysis {
        call_id: row.try_get("call_id")?,
        source: row.try_get("source")?,
        result: AnalysisResult {
            transcript: row.try_get("transcript")?,
            summary: row.try_get("summary")?,
            score: row.try_get("score")?,
            sentiment: row.try_get("sentiment")?,
            tags: serde_json::from_value(parse_json(&tags, "call_analyses.tags_json")?)
                .unwrap_or_default(),
            attributes: parse_json(&attributes, "call_analyses.attributes_json")?
                .as_object()
                .cloned()
                .unwrap_or_default(),
        },
        analyzed_at: row.try_get("analyzed_at")?,
    })
}

// Shared with the SQLite ingest writer (`sqlite_direct.rs`), which binds by
// position: each parameter first appears in numeric order.
/// A pending job of a kind for a call, unless one is pending already (the
/// unique index `analysis_jobs_one_pending`).
pub(super) const ENQUEUE_JOB: &str = "INSERT INTO analysis_jobs (id, business_id, call_id, kind, \
     status, attempts, next_attempt_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5) \
     ON CONFLICT (call_id, kind) WHERE status = 'pending' DO NOTHING";
/// The vendor's transcript and summary as the call's analysis.
pub(super) const UPSERT_VENDOR_ANALYSIS: &str = "INSERT INTO call_analyses (call_id, business_id, \
     source, transcript, summary, tags_json, attributes_json, analyzed_at) \
     VALUES ($1, $2, 'vendor', $3, $4, '[]', '{}', $5) \
     ON CONFLICT (call_id) DO UPDATE SET transcript = excluded.transcript, \
     summary = excluded.summary, analyzed_at = excluded.analyzed_at";

/// Queues `kind` for the call unless the same work is already waiting.
pub(super) async fn enqueue_job(
    conn: &mut AnyConnection,
    business_id: &str,
    call_id: &str,
    kind: &str,
) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query(ENQUEUE_JOB)
        .bind(new_id())
        .bind(business_id)
        .bind(call_id)
        .bind(kind)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The vendor's transcript and summary as the call's analysis, keeping
/// whatever else an analyzer found, and the automations queued; inside the
/// ingest transaction.
pub(super) async fn record_vendor_analysis(
    conn: &mut AnyConnection,
    business_id: &str,
    call_id: &str,
    projection: &super::CallProjection,
) -> Result<(), StoreError> {
    sqlx::query(UPSERT_VENDOR_ANALYSIS)
        .bind(call_id)
        .bind(business_id)
        .bind(&projection.transcript)
        .bind(&projection.summary)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    enqueue_job(conn, business_id, call_id, "fire").await
}

impl Store {
    /// Stores the call's analysis (replacing an earlier one) and queues the
    /// automations it triggers. NotFound when the call is not the business's.
    pub async fn record_analysis(
        &self,
        business_id: &str,
        call_id: &str,
        source: &str,
        result: &AnalysisResult,
    ) -> Result<CallAnalysis, StoreError> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM calls WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(call_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let now = now_ms();
        sqlx::query(
            "INSERT INTO call_analyses (call_id, business_id, source, transcript, summary, score, \
             sentiment, tags_json, attributes_json, analyzed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (call_id) DO UPDATE SET source = excluded.source, \
             transcript = excluded.transcript, summary = excluded.summary, \
             score = excluded.score, sentiment = excluded.sentiment, \
             tags_json = excluded.tags_json, attributes_json = excluded.attributes_json, \
             analyzed_at = excluded.analyzed_at",
        )
        .bind(call_id)
        .bind(business_id)
        .bind(source)
        .bind(&result.transcript)
        .bind(&result.summary)
        .bind(result.score)
        .bind(&result.sentiment)
        .bind(serde_json::to_string(&result.tags).unwrap_or_else(|_| "[]".into()))
        .bind(Value::Object(result.attributes.clone()).to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        enqueue_job(&mut tx, business_id, call_id, "fire").await?;
        tx.commit().await?;
        Ok(CallAnalysis {
            call_id: call_id.to_owned(),
            source: source.to_owned(),
            result: result.clone(),
            analyzed_at: now,
        })
    }

    pub async fn get_analysis(
        &self,
        business_id: &str,
        call_id: &str,
    ) -> Result<Option<CallAnalysis>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM call_analyses WHERE business_id = $1 AND call_id = $2")
                .bind(business_id)
                .bind(call_id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(analysis_from_row).transpose()
    }

    /// The business's most recently analysed calls' analyses, newest first.
    pub async fn recent_analyses(
        &self,
        business_id: &str,
        limit: u32,
    ) -> Result<Vec<CallAnalysis>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM call_analyses WHERE business_id = $1 \
             ORDER BY analyzed_at DESC, call_id DESC LIMIT $2",
        )
        .bind(business_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(analysis_from_row).collect()
    }

    /// Queues the analyzer for a call (a stored recording, a retry by hand).
    pub async fn queue_analysis(&self, business_id: &str, call_id: &str) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        enqueue_job(&mut conn, business_id, call_id, "analyze").await
    }

    /// Claims the most overdue job nobody holds, for `lease_ms`.
    pub async fn claim_analysis_job(
        &self,
        lease_ms: i64,
    ) -> Result<Option<AnalysisJob>, StoreError> {
        let now = now_ms();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE analysis_jobs SET status = 'running', lease_until = $1, \
             attempts = attempts + 1, updated_at = $2 \
             WHERE id = (SELECT id FROM analysis_jobs WHERE \
               (status = 'pending' AND next_attempt_at <= $2) \
               OR (status = 'running' AND lease_until < $2) \
               ORDER BY next_attempt_at LIMIT 1{}) \
             AND (status = 'pending' OR lease_until < $2) \
             RETURNING id, business_id, call_id, kind, attempts",
            self.skip_locked()
        )))
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(AnalysisJob {
                id: r.try_get("id")?,
                business_id: r.try_get("business_id")?,
                call_id: r.try_get("call_id")?,
                kind: r.try_get("kind")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .transpose()
    }

    /// Extends the lease of the job claimed as attempt `claim` to `until`.
    pub async fn renew_analysis_job(
        &self,
        id: &str,
        claim: i64,
        until: i64,
    ) -> Result<JobLease, StoreError> {
        let done = sqlx::query(
            "UPDATE analysis_jobs SET lease_until = $3 \
             WHERE id = $1 AND status = 'running' AND attempts = $2",
        )
        .bind(id)
        .bind(claim)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(held_if(done.rows_affected()))
    }

    /// Ends the job claimed as attempt `claim`: `done`, `failed` or `skipped`, with the
    /// reason, storing `notices` (its `ai.failed`) with the end; nothing at
    /// all if the lease was lost.
    pub async fn finish_analysis_job(
        &self,
        id: &str,
        claim: i64,
        status: &str,
        error: Option<&str>,
        notices: &[super::NewNotification],
    ) -> Result<JobLease, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE analysis_jobs SET status = $2, last_error = $3, lease_until = NULL, \
             updated_at = $4 WHERE id = $1 AND status = 'running' AND attempts = $5",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(now_ms())
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(JobLease::Lost);
        }
        super::outbox::insert_notifications(&mut tx, notices).await?;
        tx.commit().await?;
        Ok(JobLease::Held)
    }

    /// Puts the job claimed as attempt `claim` back to wait until `at`. When the same
    /// work was queued again meanwhile (a pending job of the call and kind
    /// exists), that one will do it: this one ends `skipped`.
    pub async fn retry_analysis_job(
        &self,
        id: &str,
        claim: i64,
        at: i64,
        error: &str,
    ) -> Result<JobLease, StoreError> {
        let superseded =
            format!("superseded: the same work was queued again (last error: {error})");
        self.requeue_analysis_job(id, claim, at, Some(error), false, &superseded)
            .await
    }

    /// The call job `id` is for now: a webhook call that adopts a recording
    /// source's placeholder call takes the placeholder's jobs with it
    /// (`calls::MOVE_TO_CALL`), also one being run. None once the job is gone.
    pub async fn analysis_job_call(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT call_id FROM analysis_jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Gives back the job claimed as attempt `claim`, unfinished, because
    /// this server is stopping: pending again at once, and the attempt not
    /// counted (a deploy is not the job's failure; several in a row must
    /// not use up its attempts). A pending twin (queued meanwhile) makes
    /// this one superseded instead. Nothing if the claim no longer holds.
    pub async fn release_analysis_job(&self, id: &str, claim: i64) -> Result<JobLease, StoreError> {
        self.requeue_analysis_job(
            id,
            claim,
            now_ms(),
            None,
            true,
            "superseded: the same work was queued again while this server stopped",
        )
        .await
    }

    /// The job claimed as attempt `claim` pending again from `at`, with
    /// `error` as its last error (None keeps the one it has) and, with
    /// `refund`, the claim's attempt not counted. A pending twin of the
    /// same call and kind ends it `skipped` with `superseded` instead.
    async fn requeue_analysis_job(
        &self,
        id: &str,
        claim: i64,
        at: i64,
        error: Option<&str>,
        refund: bool,
        superseded: &str,
    ) -> Result<JobLease, StoreError> {
        let requeued = sqlx::query(
            "UPDATE analysis_jobs SET status = 'pending', next_attempt_at = $2, \
             last_error = COALESCE($3, last_error), attempts = attempts - $4, \
             lease_until = NULL, updated_at = $5 \
             WHERE id = $1 AND status = 'running' AND attempts = $6 \
             AND NOT EXISTS (SELECT 1 FROM analysis_jobs p WHERE p.call_id = analysis_jobs.call_id \
             AND p.kind = analysis_jobs.kind AND p.status = 'pending')",
        )
        .bind(id)
        .bind(at)
        .bind(error)
        .bind(i64::from(refund))
        .bind(now_ms())
        .bind(claim)
        .execute(&self.pool)
        .await;
        match requeued {
            Ok(done) if done.rows_affected() == 1 => return Ok(JobLease::Held),
            // No row: the lease is lost, or a pending twin exists (checked
            // below). A unique violation: the twin was queued just now.
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
            Err(e) => return Err(e.into()),
        }
        self.finish_analysis_job(id, claim, "skipped", Some(superseded), &[])
            .await
    }

    /// The call's analysis work, newest first, for the API.
    pub async fn analysis_jobs_of_call(
        &self,
        business_id: &str,
        call_id: &str,
    ) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, status, attempts, last_error, created_at, updated_at FROM analysis_jobs \
             WHERE business_id = $1 AND call_id = $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(business_id)
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "kind": r.try_get::<String, _>("kind")?,
                    "status": r.try_get::<String, _>("status")?,
                    "attempts": r.try_get::<i64, _>("attempts")?,
                    "lastError": r.try_get::<Option<String>, _>("last_error")?,
                    "createdAt": r.try_get::<i64, _>("created_at")?,
                    "updatedAt": r.try_get::<i64, _>("updated_at")?,
                }))
            })
            .collect()
    }
}

fn held_if(rows: u64) -> JobLease {
    if rows == 1 {
        JobLease::Held
    } else {
        JobLease::Lost
    }
}

#[cfg(test)]
mod tests {
    use super::super::Backend;
    use super::super::testing::{acme_with_integration, test_stores, test_stores_migrated_to};
    use super::*;

    async fn pending(store: &Store, call_id: &str) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM analysis_jobs WHERE call_id = $1 AND status = 'pending'",
        )
        .bind(call_id)
        .fetch_one(&store.pool)
        .await?)
    }

    async fn status(store: &Store, id: &str) -> anyhow::Result<(String, Option<String>)> {
        let row = sqlx::query("SELECT status, last_error FROM analysis_jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&store.pool)
            .await?;
        Ok((row.try_get("status")?, row.try_get("last_error")?))
    }

    #[tokio::test]
    async fn a_job_taken_over_after_its_lease_ran_out_is_ended_by_its_new_holder_only()
    -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, _) = acme_with_integration(&store).await?;
            store.queue_analysis(&b.id, "call-1").await?;
            // A lease that has already run out: the next claim takes it over.
            let first = store.claim_analysis_job(-1).await?.expect("due");
            let second = store.claim_analysis_job(60_000).await?.expect("taken over");
            assert_eq!(first.id, second.id, "{backend:?}");
            assert_eq!(second.attempts, 2, "{backend:?}");

            // The first holder's writes change nothing.
            let lost = store
                .renew_analysis_job(&first.id, first.attempts, now_ms() + 60_000)
                .await?;
            assert_eq!(lost, JobLease::Lost, "{backend:?}");
            let notice = crate::store::NewNotification {
                business_id: b.id.clone(),
                channel: "webhook".into(),
                destination_id: None,
                title: "ai.failed".into(),
                body: "x".into(),
                link: None,
                severity: "error".into(),
                attributes: serde_json::json!({}),
            };
            let ended = store
                .finish_analysis_job(&first.id, first.attempts, "failed", Some("x"), &[notice])
                .await?;
            assert_eq!(ended, JobLease::Lost, "{backend:?}");
            let retried = store
                .retry_analysis_job(&first.id, first.attempts, now_ms(), "x")
                .await?;
            assert_eq!(retried, JobLease::Lost, "{backend:?}");
            assert_eq!(status(&store, &first.id).await?.0, "running", "{backend:?}");
            assert!(
                store
                    .list_notifications(&b.id, &Default::default(), None, 10)
                    .await?
                    .is_empty(),
                "no ai.failed from the overtaken holder ({backend:?})"
            );

            // The new holder's renewal and end are recorded.
            let until = now_ms() + 120_000;
            let renewed = store
                .renew_analysis_job(&second.id, second.attempts, until)
                .await?;
            assert_eq!(renewed, JobLease::Held, "{backend:?}");
            let ended = store
                .finish_analysis_job(&second.id, second.attempts, "done", None, &[])
                .await?;
            assert_eq!(ended, JobLease::Held, "{backend:?}");
            assert_eq!(status(&store, &second.id).await?.0, "done", "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn one_pending_job_per_call_and_kind() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, _) = acme_with_integration(&store).await?;
            store.queue_analysis(&b.id, "call-1").await?;
            store.queue_analysis(&b.id, "call-1").await?;
            assert_eq!(pending(&store, "call-1").await?, 1, "{backend:?}");
            // Even past the NOT EXISTS check (two transactions at once).
            let twin = sqlx::query(
                "INSERT INTO analysis_jobs (id, business_id, call_id, kind, status, attempts, \
                 next_attempt_at, created_at, updated_at) \
                 VALUES ('twin', $1, 'call-1', 'analyze', 'pending', 0, 0, 0, 0)",
            )
            .bind(&b.id)
            .execute(&store.pool)
            .await;
            assert!(
                twin.is_err(),
                "the index refuses a second pending job ({backend:?})"
            );

            // A running job whose work was queued again ends `skipped`
            // instead of going back to pending beside the new one.
            let running = store.claim_analysis_job(60_000).await?.expect("due");
            store.queue_analysis(&b.id, "call-1").await?;
            let retried = store
                .retry_analysis_job(&running.id, running.attempts, now_ms(), "timeout")
                .await?;
            assert_eq!(retried, JobLease::Held, "{backend:?}");
            let (state, error) = status(&store, &running.id).await?;
            assert_eq!(state, "skipped", "{backend:?}");
            assert!(
                error.unwrap_or_default().starts_with("superseded"),
                "{backend:?}"
            );
            assert_eq!(pending(&store, "call-1").await?, 1, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_migration_keeps_one_of_twin_pending_jobs() -> anyhow::Result<()> {
        for store in test_stores_migrated_to(20261207000006).await? {
            let backend = store.backend();
            let (b, _) = acme_with_integration(&store).await?;
            for id in ["j1", "j2"] {
                sqlx::query(
                    "INSERT INTO analysis_jobs (id, business_id, call_id, kind, status, attempts, \
                     next_attempt_at, created_at, updated_at) \
                     VALUES ($1, $2, 'call-1', 'analyze', 'pending', 0, 0, 0, 0)",
                )
                .bind(id)
                .bind(&b.id)
                .execute(&store.pool)
                .await?;
            }
            store.migrate().await?;
            assert_eq!(pending(&store, "call-1").await?, 1, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_claim_passes_over_a_job_another_server_is_claiming() -> anyhow::Result<()> {
        for store in test_stores().await? {
            if store.backend() != Backend::Postgres {
                continue; // one writer at a time: no two claims at once
            }
            let (b, _) = acme_with_integration(&store).await?;
            store.queue_analysis(&b.id, "call-1").await?;
            store.queue_analysis(&b.id, "call-2").await?;
            // Another server's claim holds the row it picked, uncommitted.
            let mut other = store.pool.begin().await?;
            let held: String = sqlx::query_scalar(
                "SELECT id FROM analysis_jobs WHERE call_id = 'call-1' FOR UPDATE",
            )
            .fetch_one(&mut *other)
            .await?;
            // This claim takes the other job at once: it neither waits for
            // that commit nor comes back empty after it.
            let claimed = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                store.claim_analysis_job(60_000),
            )
            .await
            .expect("the claim waited for the other server's row")?
            .expect("a job was due");
            assert_ne!(claimed.id, held);
            assert_eq!(claimed.call_id, "call-2");
            other.rollback().await?;
        }
        Ok(())
    }
}
