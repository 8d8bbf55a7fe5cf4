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
    pub attempts: i64,
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
/// A pending job of a kind for a call, unless one is pending already.
pub(super) const ENQUEUE_JOB: &str = "INSERT INTO analysis_jobs (id, business_id, call_id, kind, \
     status, attempts, next_attempt_at, created_at, updated_at) \
     SELECT $1, $2, $3, $4, 'pending', 0, $5, $5, $5 \
     WHERE NOT EXISTS (SELECT 1 FROM analysis_jobs WHERE call_id = $3 AND kind = $4 \
     AND status = 'pending')";
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
        let row = sqlx::query(
            "UPDATE analysis_jobs SET status = 'running', lease_until = $1, \
             attempts = attempts + 1, updated_at = $2 \
             WHERE id = (SELECT id FROM analysis_jobs WHERE \
               (status = 'pending' AND next_attempt_at <= $2) \
               OR (status = 'running' AND lease_until < $2) \
               ORDER BY next_attempt_at LIMIT 1) \
             AND (status = 'pending' OR lease_until < $2) \
             RETURNING id, business_id, call_id, kind, attempts",
        )
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

    /// Ends a job: `done`, `failed` or `skipped`, with the reason.
    /// Ends a job, storing `notices` (its `ai.failed`) with the end.
    pub async fn finish_analysis_job(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        notices: &[super::NewNotification],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE analysis_jobs SET status = $2, last_error = $3, lease_until = NULL, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        super::outbox::insert_notifications(&mut tx, notices).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a job back to wait until `at`.
    pub async fn retry_analysis_job(
        &self,
        id: &str,
        at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE analysis_jobs SET status = 'pending', next_attempt_at = $2, last_error = $3, \
             lease_until = NULL, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .bind(error)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
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
