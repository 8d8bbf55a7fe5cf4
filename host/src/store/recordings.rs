//! Recordings: the links vendors send with their call events (`linked`, until
//! the host downloads them: `recording_links.rs`) and the audio the host
//! stored (`stored`), pulled from a recording source or downloaded from a
//! link, or could not store (`failed`, with the reason). Every recording
//! belongs to a call of its business.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::calls_many;
use super::ingest::{EventTarget, Fold, IngestJob, NewEvent, ingest_jobs};
use super::recording_links::vendor_link;
use super::{NewNotification, Store, StoreError, now_ms};

/// A recording as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    pub id: String,
    pub call_id: String,
    /// `linked`, `stored`, `failed` or `deleted` (the audio removed on
    /// request: `DELETE /recordings/{id}`).
    pub status: String,
    /// This API's audio route when `stored`, else the vendor's link.
    pub url: String,
    /// The link the vendor sent with its call events (null for a recording
    /// pulled from a recording source).
    pub vendor_url: Option<String>,
    pub mime_type: Option<String>,
    pub integration_id: Option<String>,
    /// The source's own id of the recording.
    pub remote_id: Option<String>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub started_at: Option<i64>,
    pub duration_sec: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    /// Where the audio lies in storage; never shown.
    #[serde(skip)]
    pub storage_key: Option<String>,
}

macro_rules! recording_columns {
    () => {
        "id, call_id, status, url, mime_type, integration_id, remote_id, \
     size_bytes, sha256, started_at, duration_sec, error, created_at, storage_key"
    };
}

impl Recording {
    fn from_row(row: &AnyRow) -> Result<Recording, StoreError> {
        let id: String = row.try_get("id")?;
        let status: String = row.try_get("status")?;
        let column: String = row.try_get("url")?;
        // A downloaded link keeps the vendor's URL in its row (a vendor's
        // retry of the link then matches it) and is served like any stored
        // recording.
        let vendor_url = vendor_link(&id, &column).then(|| column.clone());
        let url = if status == "stored" {
            audio_path(&id)
        } else {
            column
        };
        Ok(Recording {
            call_id: row.try_get("call_id")?,
            url,
            vendor_url,
            id,
            status,
            mime_type: row.try_get("mime_type")?,
            integration_id: row.try_get("integration_id")?,
            remote_id: row.try_get("remote_id")?,
            size_bytes: row.try_get("size_bytes")?,
            sha256: row.try_get("sha256")?,
            started_at: row.try_get("started_at")?,
            duration_sec: row.try_get("duration_sec")?,
            error: row.try_get("error")?,
            created_at: row.try_get("created_at")?,
            storage_key: row.try_get("storage_key")?,
        })
    }
}

/// The audio route of a stored recording, which is also its `url`.
pub fn audio_path(recording_id: &str) -> String {
    format!("/recordings/{recording_id}/audio")
}

/// A recording a source listed, after the host tried to store its audio.
#[derive(Debug, Clone)]
pub struct PulledRecording {
    /// Chosen before the download: the storage key derives from it.
    pub id: String,
    pub business_id: String,
    pub integration_id: String,
    pub remote_id: String,
    /// The vendor's call chain id, when the source named one.
    pub vendor_chain: Option<String>,
    /// The call as the recording's metadata describes it, for a call this
    /// recording creates (its target is the chain the call is keyed by).
    pub call_event: NewEvent,
    pub stored: Result<StoredAudio, String>,
    pub started_at: Option<i64>,
    pub duration_sec: Option<i64>,
    /// `recording.completed` for the outgoing webhooks, stored with the
    /// recording when it is stored (`call.id` filled in here).
    pub notices: Vec<NewNotification>,
}

/// `notices` about a recording with the call it joined as `call.id`.
pub(super) fn with_call_id(notices: &[NewNotification], call_id: &str) -> Vec<NewNotification> {
    notices
        .iter()
        .cloned()
        .map(|mut n| {
            if let Some(attributes) = n.attributes.as_object_mut() {
                attributes.insert("call.id".into(), serde_json::Value::String(call_id.into()));
            }
            n
        })
        .collect()
}

/// The call of a pulled recording whose event is already stored: the call
/// the event belongs to, if it still exists. If not (the event had moved to
/// a webhook's call, deleted since with its integration), the orphaned event
/// is dropped and stored again, which makes the call anew.
async fn event_call(
    conn: &mut AnyConnection,
    pulled: &PulledRecording,
    job: &IngestJob,
    fold: &Fold,
) -> Result<String, StoreError> {
    let key = &pulled.call_event.dedup_key;
    let owner: Option<String> = sqlx::query_scalar(
        "SELECT c.id FROM inbound_events e JOIN calls c ON c.id = e.call_id \
         WHERE e.integration_id = $1 AND e.dedup_key = $2 AND c.business_id = $3",
    )
    .bind(&pulled.integration_id)
    .bind(key)
    .bind(&pulled.business_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = owner {
        return Ok(id);
    }
    sqlx::query("DELETE FROM inbound_events WHERE integration_id = $1 AND dedup_key = $2")
        .bind(&pulled.integration_id)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    let outcomes = ingest_jobs(&mut *conn, std::slice::from_ref(job), fold).await?;
    outcomes
        .into_iter()
        .next()
        .and_then(|o| o.call_ids.into_iter().next())
        .ok_or_else(|| StoreError::Corrupt("a pulled recording's event made no call".into()))
}

/// One recording of `business_id` on `conn` (inside a caller's transaction).
pub(super) async fn read_recording(
    conn: &mut AnyConnection,
    business_id: &str,
    id: &str,
) -> Result<Recording, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        recording_columns!(),
        " FROM recordings WHERE business_id = $1 AND id = $2"
    ))
    .bind(business_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Recording::from_row(&row)
}

/// Where and what the audio is.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAudio {
    pub storage_key: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub mime_type: String,
}

/// Filters of `GET /recordings`; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct RecordingFilter {
    pub call_id: Option<String>,
    pub integration_id: Option<String>,
    pub status: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Store {
    /// Whether a source's recording was already handled (stored or failed).
    pub async fn recording_known(
        &self,
        integration_id: &str,
        remote_id: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM recordings WHERE integration_id = $1 AND remote_id = $2",
        )
        .bind(integration_id)
        .bind(remote_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Counts a failed try at downloading a listed recording; returns the
    /// tries failed so far (see migration `20261207000010`).
    pub async fn count_pull_failure(
        &self,
        integration_id: &str,
        remote_id: &str,
        error: &str,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO pull_attempts (integration_id, remote_id, attempts, last_error, updated_at) \
             VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (integration_id, remote_id) DO UPDATE \
             SET attempts = pull_attempts.attempts + 1, last_error = excluded.last_error, \
                 updated_at = excluded.updated_at \
             RETURNING attempts",
        )
        .bind(integration_id)
        .bind(remote_id)
        .bind(error)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets the failed tries of a recording now recorded.
    pub async fn clear_pull_failures(
        &self,
        integration_id: &str,
        remote_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pull_attempts WHERE integration_id = $1 AND remote_id = $2")
            .bind(integration_id)
            .bind(remote_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a pulled recording and links it to its call, in one
    /// transaction. The call is the business's call of the vendor's chain
    /// when one exists (whichever integration made it), else one made from
    /// the recording's metadata under the source. Returns the recording and
    /// whether it is new (false: a duplicate of one already recorded, whose
    /// audio the caller should discard).
    pub async fn record_pulled(
        &self,
        pulled: &PulledRecording,
        fold: &Fold,
    ) -> Result<(Recording, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
        // A webhook opening this chain's call now waits for this, or this
        // for it (PostgreSQL): either way one of them sees the other's call.
        if let Some(chain) = &pulled.vendor_chain {
            let key = BTreeSet::from([(pulled.business_id.as_str(), chain.as_str())]);
            calls_many::serialize_chains(&mut tx, &key).await?;
        }
        let existing: Option<String> = match &pulled.vendor_chain {
            Some(chain) => {
                sqlx::query_scalar(
                    "SELECT id FROM calls WHERE business_id = $1 AND chain_id = $2 \
                     ORDER BY created_at LIMIT 1",
                )
                .bind(&pulled.business_id)
                .bind(chain)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let call_id = match existing {
            Some(id) => id,
            None => {
                let EventTarget::Call { chain_id } = &pulled.call_event.target else {
                    return Err(StoreError::Corrupt(
                        "a pulled recording's event must target a call".into(),
                    ));
                };
                // The recording's metadata as the call's one event, stored
                // and folded the way ingest stores a webhook's.
                let job = IngestJob {
                    business_id: pulled.business_id.clone(),
                    integration_id: pulled.integration_id.clone(),
                    events: vec![pulled.call_event.clone()],
                    notices: Vec::new(),
                };
                ingest_jobs(&mut *tx, std::slice::from_ref(&job), fold).await?;
                let made: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM calls WHERE integration_id = $1 AND chain_id = $2",
                )
                .bind(&pulled.integration_id)
                .bind(chain_id)
                .fetch_optional(&mut *tx)
                .await?;
                match made {
                    Some(id) => id,
                    // The event was stored before (the source listed this
                    // recording again), so ingest made no call for it.
                    None => event_call(&mut tx, pulled, &job, fold).await?,
                }
            }
        };
        let (status, key, size, sha, mime, error) = match &pulled.stored {
            Ok(a) => (
                "stored",
                Some(a.storage_key.as_str()),
                Some(a.size_bytes),
                Some(a.sha256.as_str()),
                Some(a.mime_type.as_str()),
                None,
            ),
            Err(e) => ("failed", None, None, None, None, Some(e.as_str())),
        };
        let inserted = sqlx::query(
            "INSERT INTO recordings (id, business_id, call_id, url, mime_type, position, created_at, \
             integration_id, remote_id, status, storage_key, size_bytes, sha256, error, started_at, \
             duration_sec) \
             VALUES ($1, $2, $3, $4, $5, \
             (SELECT COUNT(*) FROM recordings WHERE call_id = $3), $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15) \
             ON CONFLICT (integration_id, remote_id) DO NOTHING RETURNING id",
        )
        .bind(&pulled.id)
        .bind(&pulled.business_id)
        .bind(&call_id)
        .bind(audio_path(&pulled.id))
        .bind(mime)
        .bind(now_ms())
        .bind(&pulled.integration_id)
        .bind(&pulled.remote_id)
        .bind(status)
        .bind(key)
        .bind(size)
        .bind(sha)
        .bind(error)
        .bind(pulled.started_at)
        .bind(pulled.duration_sec)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if inserted && pulled.stored.is_ok() {
            // Durable with the recording: the analysis stage picks it up,
            // and the announcement goes out.
            super::analysis::enqueue_job(&mut tx, &pulled.business_id, &call_id, "analyze").await?;
            let notices = with_call_id(&pulled.notices, &call_id);
            super::outbox::insert_notifications(&mut tx, &notices).await?;
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE integration_id = $1 AND remote_id = $2"
        ))
        .bind(&pulled.integration_id)
        .bind(&pulled.remote_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((Recording::from_row(&row)?, inserted))
    }

    /// Which of `keys` a recording names (a stored file, or a deleted
    /// recording's whose removal is still to happen): the startup sweep
    /// removes the other files (`pull/sweep.rs`).
    pub async fn referenced_storage_keys(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let style = super::multirow::Style::of(&conn);
        let mut found = std::collections::HashSet::new();
        for chunk in keys.chunks(super::multirow::rows_per_statement(1)) {
            let sql = format!(
                "SELECT storage_key FROM recordings WHERE storage_key IN ({})",
                super::multirow::list(style, 1, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for key in chunk {
                query = query.bind(key);
            }
            for row in query.fetch_all(&mut *conn).await? {
                found.insert(row.try_get::<String, _>("storage_key")?);
            }
        }
        Ok(found)
    }

    /// One recording of `business_id`; another business's is NotFound.
    pub async fn get_recording(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Recording, StoreError> {
        let mut conn = self.pool.acquire().await?;
        read_recording(&mut conn, business_id, id).await
    }

    /// A page of recordings, newest first, after the `(created_at, id)` cursor.
    pub async fn list_recordings(
        &self,
        business_id: &str,
        filter: &RecordingFilter,
        cursor: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<Recording>, StoreError> {
        let (after_at, after_id) = match cursor {
            Some((at, id)) => (Some(at), id),
            None => (None, String::new()),
        };
        let rows = sqlx::query(concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE business_id = $1 \
             AND ($2 IS NULL OR call_id = $2) \
             AND ($3 IS NULL OR integration_id = $3) \
             AND ($4 IS NULL OR status = $4) \
             AND ($5 IS NULL OR created_at >= $5) \
             AND ($6 IS NULL OR created_at < $6) \
             AND ($7 IS NULL OR created_at < $7 OR (created_at = $7 AND id < $8)) \
             ORDER BY created_at DESC, id DESC LIMIT $9"
        ))
        .bind(business_id)
        .bind(&filter.call_id)
        .bind(&filter.integration_id)
        .bind(&filter.status)
        .bind(filter.from)
        .bind(filter.to)
        .bind(after_at)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Recording::from_row).collect()
    }

    /// Deletes a recording's audio on the tenant's request, leaving a
    /// tombstone: status `deleted`, no size or hash. The row stays so that
    /// nothing brings the audio back: a source's next sync knows the
    /// recording (`recording_known`), a vendor's retry of the link matches
    /// the row, and a download of the link under way loses its lease
    /// (`fetch_after` cleared) and discards what it fetched.
    ///
    /// Returns the storage key of the audio the caller must remove, then
    /// report with [`Store::audio_removed`]; the key stays on the tombstone
    /// until then, so a crash or a failed removal is mended by deleting
    /// again. NotFound when the recording is not `business_id`'s.
    pub async fn delete_recording(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        // Compare-and-set on the key read: a download storing the link at
        // this moment changes it, and its file must not be left behind.
        for _ in 0..3 {
            let mut tx = self.pool.begin().await?;
            let key = read_recording(&mut tx, business_id, id).await?.storage_key;
            let done = sqlx::query(
                "UPDATE recordings SET status = 'deleted', size_bytes = NULL, sha256 = NULL,                  error = NULL, fetch_after = NULL                  WHERE business_id = $1 AND id = $2                  AND (storage_key = $3 OR (storage_key IS NULL AND $3 IS NULL))",
            )
            .bind(business_id)
            .bind(id)
            .bind(key.as_deref())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                tx.commit().await?;
                return Ok(key);
            }
        }
        Err(StoreError::Conflict(
            "the recording kept changing while it was being deleted".into(),
        ))
    }

    /// The deleted recording's file `storage_key` is gone: the tombstone
    /// forgets it.
    pub async fn audio_removed(&self, id: &str, storage_key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET storage_key = NULL              WHERE id = $1 AND status = 'deleted' AND storage_key = $2",
        )
        .bind(id)
        .bind(storage_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A call's recordings in the order the vendor gave them.
    pub async fn call_recordings(
        &self,
        business_id: &str,
        call_id: &str,
    ) -> Result<Vec<Recording>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE business_id = $1 AND call_id = $2 \
             ORDER BY position, created_at, id"
        ))
        .bind(business_id)
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Recording::from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{acme_with_integration, test_stores};
    use super::super::{Store, new_id};
    use super::*;

    fn pulled(business_id: &str, integration_id: &str) -> PulledRecording {
        PulledRecording {
            id: new_id(),
            business_id: business_id.to_owned(),
            integration_id: integration_id.to_owned(),
            remote_id: "r1".into(),
            vendor_chain: None,
            call_event: NewEvent {
                dedup_key: "recording:r1".into(),
                kind: "call.ended".into(),
                payload: "{}".into(),
                target: EventTarget::Call {
                    chain_id: "chain-r1".into(),
                },
            },
            stored: Err("too_large: over the cap".into()),
            started_at: None,
            duration_sec: None,
            notices: Vec::new(),
        }
    }

    /// The source lists a recording again whose event outlived its call
    /// (it had moved to a webhook's call, deleted since with its
    /// integration): the recording gets a call again instead of failing
    /// the page, and with it the sync, for good.
    #[tokio::test]
    async fn a_recording_listed_again_after_its_call_went_gets_a_call() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, source) = acme_with_integration(&store).await?;
            let fold = crate::calls::fold::fold;
            let (first, new) = store
                .record_pulled(&pulled(&b.id, &source.id), &fold)
                .await?;
            assert!(new, "{backend:?}");
            sqlx::query("DELETE FROM calls WHERE id = $1")
                .bind(&first.call_id)
                .execute(Store::pool(&store))
                .await?;

            let (again, new) = store
                .record_pulled(&pulled(&b.id, &source.id), &fold)
                .await?;
            assert!(new, "{backend:?}");
            assert_ne!(again.call_id, first.call_id, "{backend:?}");
            let call = store.get_call(&b.id, &again.call_id).await?;
            assert_eq!(call.external_id, "chain-r1", "{backend:?}");
        }
        Ok(())
    }
}
