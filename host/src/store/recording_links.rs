//! The download queue of recording links: a `linked` recording whose
//! `fetch_after` has come is due for a download try (`pull/links.rs` makes
//! them). Taking one is a compare-and-set on `fetch_after`, so two servers on
//! one database never download the same link at once, and a try cut short by
//! a crash comes due again when its lease runs out.

use sqlx::{AnyConnection, Row};

use super::recordings::audio_path;
use super::{Recording, Store, StoreError, StoredAudio};

/// A link due for a download try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueLink {
    pub id: String,
    pub business_id: String,
    pub call_id: String,
    /// The call's integration: its egress rules decide what may be fetched.
    pub integration_id: String,
    pub url: String,
    pub mime_type: Option<String>,
    /// Tries made before this one.
    pub attempts: i64,
    /// The `fetch_after` this row was seen with (the compare-and-set's key).
    pub fetch_after: i64,
}

impl Store {
    /// Up to `limit` links due at `now`, the longest waiting first.
    pub async fn due_links(&self, now: i64, limit: u32) -> Result<Vec<DueLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.business_id, r.call_id, c.integration_id, r.url, r.mime_type, \
             r.fetch_attempts, r.fetch_after \
             FROM recordings r JOIN calls c ON c.business_id = r.business_id AND c.id = r.call_id \
             WHERE r.status = 'linked' AND r.fetch_after IS NOT NULL AND r.fetch_after <= $1 \
             ORDER BY r.fetch_after LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DueLink {
                    id: row.try_get("id")?,
                    business_id: row.try_get("business_id")?,
                    call_id: row.try_get("call_id")?,
                    integration_id: row.try_get("integration_id")?,
                    url: row.try_get("url")?,
                    mime_type: row.try_get("mime_type")?,
                    attempts: row.try_get("fetch_attempts")?,
                    fetch_after: row.try_get("fetch_after")?,
                })
            })
            .collect()
    }

    /// Takes `link` until `until`: false when another worker took it first
    /// (or it is no longer a due link).
    pub async fn take_link(&self, link: &DueLink, until: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recordings SET fetch_after = $1 \
             WHERE id = $2 AND status = 'linked' AND fetch_after = $3",
        )
        .bind(until)
        .bind(&link.id)
        .bind(link.fetch_after)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The link's audio is stored: the recording becomes `stored` under the
    /// call's integration and the call's analysis is queued, in one
    /// transaction. None when the recording is gone (its call was deleted
    /// meanwhile): the caller removes the file.
    pub async fn link_stored(
        &self,
        link: &DueLink,
        audio: &StoredAudio,
    ) -> Result<Option<Recording>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE recordings SET status = 'stored', storage_key = $1, size_bytes = $2, \
             sha256 = $3, mime_type = $4, integration_id = $5, error = NULL, \
             fetch_after = NULL, fetch_attempts = fetch_attempts + 1 \
             WHERE id = $6 AND status = 'linked'",
        )
        .bind(&audio.storage_key)
        .bind(audio.size_bytes)
        .bind(&audio.sha256)
        .bind(&audio.mime_type)
        .bind(&link.integration_id)
        .bind(&link.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Ok(None);
        }
        // The call may have moved to another call of the chain meanwhile:
        // queue the analysis of the call the recording now belongs to.
        let call_id: String = sqlx::query_scalar("SELECT call_id FROM recordings WHERE id = $1")
            .bind(&link.id)
            .fetch_one(&mut *tx)
            .await?;
        super::analysis::enqueue_job(&mut tx, &link.business_id, &call_id, "analyze").await?;
        tx.commit().await?;
        self.get_recording(&link.business_id, &link.id)
            .await
            .map(Some)
    }

    /// A try failed in a way that may pass: tried again at `next_at`, the
    /// reason shown meanwhile.
    pub async fn link_retry(
        &self,
        link: &DueLink,
        next_at: i64,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET fetch_after = $1, fetch_attempts = fetch_attempts + 1, \
             error = $2 WHERE id = $3 AND status = 'linked'",
        )
        .bind(next_at)
        .bind(reason)
        .bind(&link.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The link cannot be downloaded (gone at the vendor, too large, or out
    /// of tries): `failed`, with why.
    pub async fn link_failed(&self, link: &DueLink, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET status = 'failed', error = $1, fetch_after = NULL, \
             fetch_attempts = fetch_attempts + 1 WHERE id = $2 AND status = 'linked'",
        )
        .bind(reason)
        .bind(&link.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The link is on a host the installation may not reach: it stays a
    /// link, and is not tried again.
    pub async fn link_kept(&self, link: &DueLink) -> Result<(), StoreError> {
        sqlx::query("UPDATE recordings SET fetch_after = NULL WHERE id = $1 AND status = 'linked'")
            .bind(&link.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Makes the links of `integration_id`'s calls that were left as links due
/// again (its settings changed: they may reach them now).
pub(super) async fn retry_kept_links(
    conn: &mut AnyConnection,
    business_id: &str,
    integration_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE recordings SET fetch_after = 0 \
         WHERE business_id = $1 AND status = 'linked' AND fetch_after IS NULL \
         AND call_id IN (SELECT id FROM calls WHERE business_id = $1 AND integration_id = $2)",
    )
    .bind(business_id)
    .bind(integration_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether a stored row's `url` column is the vendor's link rather than the
/// audio route (pulled recordings store the route there).
pub(super) fn vendor_link(id: &str, url: &str) -> bool {
    url != audio_path(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IntegrationPatch;
    use crate::store::now_ms;
    use crate::store::testing::{acme_with_integration, test_stores};

    /// A call of `integration_id` with one vendor link, as ingest leaves it.
    async fn call_with_link(
        store: &Store,
        business_id: &str,
        integration_id: &str,
    ) -> anyhow::Result<String> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO calls (id, business_id, integration_id, chain_id, status, direction, \
             legs_json, attributes_json, sort_at, created_at, updated_at) \
             VALUES ('c1', $1, $2, 'chain', 'ended', 'inbound', '[]', '{}', $3, $3, $3)",
        )
        .bind(business_id)
        .bind(integration_id)
        .bind(now)
        .execute(&store.pool)
        .await?;
        sqlx::query(
            "INSERT INTO recordings (id, business_id, call_id, url, mime_type, position, \
             created_at) VALUES ('r1', $1, 'c1', 'https://pbx.example/a.mp3', NULL, 0, $2)",
        )
        .bind(business_id)
        .bind(now)
        .execute(&store.pool)
        .await?;
        Ok("r1".into())
    }

    fn audio() -> StoredAudio {
        StoredAudio {
            storage_key: "b/r1".into(),
            size_bytes: 3,
            sha256: "abc".into(),
            mime_type: "audio/mpeg".into(),
        }
    }

    #[tokio::test]
    async fn a_link_is_taken_once_retried_then_stored_in_place() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            let id = call_with_link(&store, &b.id, &integration.id).await?;

            let due = store.due_links(now_ms(), 10).await?;
            assert_eq!(due.len(), 1, "a new link is due at once ({backend:?})");
            let link = &due[0];
            assert_eq!(
                (link.integration_id.as_str(), link.attempts),
                (integration.id.as_str(), 0)
            );
            // Two servers saw it due: one takes it.
            assert!(store.take_link(link, now_ms() + 60_000).await?);
            assert!(!store.take_link(link, now_ms() + 60_000).await?);
            assert!(store.due_links(now_ms(), 10).await?.is_empty());

            store
                .link_retry(link, now_ms() - 1, "pbx answered 503")
                .await?;
            let again = store.due_links(now_ms(), 10).await?;
            assert_eq!(again[0].attempts, 1, "{backend:?}");
            let shown = store.get_recording(&b.id, &id).await?;
            assert_eq!(
                (shown.status.as_str(), shown.error.as_deref()),
                ("linked", Some("pbx answered 503"))
            );

            assert!(store.take_link(&again[0], now_ms() + 60_000).await?);
            let stored = store.link_stored(&again[0], &audio()).await?.unwrap();
            assert_eq!(stored.status, "stored", "{backend:?}");
            assert_eq!(stored.url, format!("/recordings/{id}/audio"));
            assert_eq!(
                stored.vendor_url.as_deref(),
                Some("https://pbx.example/a.mp3")
            );
            assert_eq!(stored.error, None);
            assert_eq!(
                stored.integration_id.as_deref(),
                Some(integration.id.as_str())
            );
            let jobs: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM analysis_jobs WHERE call_id = 'c1' AND kind = 'analyze'",
            )
            .fetch_one(&store.pool)
            .await?;
            assert_eq!(jobs, 1, "{backend:?}");
            // Stored is final: a late second try changes nothing.
            assert!(store.link_stored(&again[0], &audio()).await?.is_none());
            store.link_failed(&again[0], "late").await?;
            assert_eq!(store.get_recording(&b.id, &id).await?, stored);

            // Deleting the integration hands back the audio to remove.
            assert_eq!(
                store.delete_integration(&b.id, &integration.id).await?,
                vec![audio().storage_key],
                "{backend:?}"
            );
            assert!(matches!(
                store.get_recording(&b.id, &id).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_kept_link_is_due_again_when_its_integration_changes() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            call_with_link(&store, &b.id, &integration.id).await?;
            let due = store.due_links(now_ms(), 10).await?;
            assert!(store.take_link(&due[0], now_ms() + 60_000).await?);
            store.link_kept(&due[0]).await?;
            store
                .update_integration(
                    &b.id,
                    &integration.id,
                    IntegrationPatch {
                        name: Some("renamed".into()),
                        ..IntegrationPatch::default()
                    },
                )
                .await?;
            assert!(
                store.due_links(now_ms(), 10).await?.is_empty(),
                "a new name reaches nothing new ({backend:?})"
            );
            store
                .update_integration(
                    &b.id,
                    &integration.id,
                    IntegrationPatch {
                        config: Some(serde_json::json!({"pbxUrl": "https://pbx.example"})),
                        ..IntegrationPatch::default()
                    },
                )
                .await?;
            assert_eq!(store.due_links(now_ms(), 10).await?.len(), 1, "{backend:?}");
        }
        Ok(())
    }
}
