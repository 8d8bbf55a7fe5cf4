//! The download queue of recording links: a `linked` recording whose
//! `fetch_after` has come is due for a download try (`pull/links.rs` makes
//! them). Taking one is a compare-and-set on `fetch_after` that also counts
//! the try, and every write that ends a try is fenced on the value the taker
//! set: a worker whose lease ran out (a stall, clock skew between servers)
//! and was overtaken changes nothing, and a try cut short by a crash comes
//! due again when its lease runs out, counted.

use sqlx::{AnyConnection, Row};

use super::recordings::{audio_path, read_recording, with_call_id};
use super::{NewNotification, Recording, Store, StoreError, StoredAudio};

/// A link due for a download try, or (from [`Store::take_link`]) taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueLink {
    pub id: String,
    pub business_id: String,
    pub call_id: String,
    /// The call's integration: its egress rules decide what may be fetched.
    pub integration_id: String,
    pub url: String,
    pub mime_type: Option<String>,
    /// Tries begun, this one included once taken.
    pub attempts: i64,
    /// The `fetch_after` the row had when read, or the lease its taker set:
    /// the fence of every write about this try.
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

    /// Takes `link` until `until`, counting the try. None when another
    /// worker took it first (or it is no longer a due link).
    pub async fn take_link(
        &self,
        link: &DueLink,
        until: i64,
    ) -> Result<Option<DueLink>, StoreError> {
        let done = sqlx::query(
            "UPDATE recordings SET fetch_after = $1, fetch_attempts = fetch_attempts + 1 \
             WHERE id = $2 AND status = 'linked' AND fetch_after = $3",
        )
        .bind(until)
        .bind(&link.id)
        .bind(link.fetch_after)
        .execute(&self.pool)
        .await?;
        Ok((done.rows_affected() == 1).then(|| DueLink {
            attempts: link.attempts + 1,
            fetch_after: until,
            ..link.clone()
        }))
    }

    /// The taken link's audio is stored: the recording becomes `stored`
    /// under the call's integration and the call's analysis is queued, in
    /// one transaction. None when the try no longer holds the link (the
    /// recording went with its call, or another worker took over): nothing
    /// changed, and the caller removes its file.
    /// `notices` (`recording.completed`) are stored with it.
    pub async fn link_stored(
        &self,
        taken: &DueLink,
        audio: &StoredAudio,
        notices: &[NewNotification],
    ) -> Result<Option<Recording>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE recordings SET status = 'stored', storage_key = $1, size_bytes = $2, \
             sha256 = $3, mime_type = $4, integration_id = $5, error = NULL, fetch_after = NULL \
             WHERE id = $6 AND status = 'linked' AND fetch_after = $7",
        )
        .bind(&audio.storage_key)
        .bind(audio.size_bytes)
        .bind(&audio.sha256)
        .bind(&audio.mime_type)
        .bind(&taken.integration_id)
        .bind(&taken.id)
        .bind(taken.fetch_after)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Ok(None);
        }
        // Read back before the commit, so that once it commits nothing can
        // fail that would make the caller discard the stored file. Its call
        // may have changed since the link was read (a chain's calls merged).
        let row = read_recording(&mut tx, &taken.business_id, &taken.id).await?;
        super::analysis::enqueue_job(&mut tx, &taken.business_id, &row.call_id, "analyze").await?;
        super::outbox::insert_notifications(&mut tx, &with_call_id(notices, &row.call_id)).await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    /// The try failed in a way that may pass: tried again at `next_at`, the
    /// reason shown meanwhile.
    pub async fn link_retry(
        &self,
        taken: &DueLink,
        next_at: i64,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET fetch_after = $1, error = $2 \
             WHERE id = $3 AND status = 'linked' AND fetch_after = $4",
        )
        .bind(next_at)
        .bind(reason)
        .bind(&taken.id)
        .bind(taken.fetch_after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The link cannot be downloaded (gone at the vendor, too large, not
    /// audio, or out of tries): `failed`, with why.
    pub async fn link_failed(&self, taken: &DueLink, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET status = 'failed', error = $1, fetch_after = NULL \
             WHERE id = $2 AND status = 'linked' AND fetch_after = $3",
        )
        .bind(reason)
        .bind(&taken.id)
        .bind(taken.fetch_after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The link is on a host the installation may not reach: it stays a
    /// link, not tried again — unless the integration changed since it was
    /// read as `seen_updated_at` (its new settings may reach it), in which
    /// case it is due again at once.
    pub async fn link_kept(&self, taken: &DueLink, seen_updated_at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET fetch_after = CASE WHEN EXISTS (SELECT 1 FROM integrations \
             WHERE id = $1 AND updated_at = $2) THEN NULL ELSE 0 END \
             WHERE id = $3 AND status = 'linked' AND fetch_after = $4",
        )
        .bind(&taken.integration_id)
        .bind(seen_updated_at)
        .bind(&taken.id)
        .bind(taken.fetch_after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Makes the links of `integration_id`'s calls that were left as links due
/// again (its settings changed: they may reach them now). Links that were
/// already there when downloading began (`fetch_attempts` -1, see the
/// migration) stay as they are.
pub(super) async fn retry_kept_links(
    conn: &mut AnyConnection,
    business_id: &str,
    integration_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE recordings SET fetch_after = 0 \
         WHERE business_id = $1 AND status = 'linked' AND fetch_after IS NULL \
         AND fetch_attempts >= 0 AND call_id IN (SELECT id FROM calls WHERE business_id = $1 AND integration_id = $2)",
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
    use crate::store::testing::{acme_with_integration, test_stores, test_stores_migrated_to};
    use crate::store::{IntegrationPatch, now_ms};

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

    fn audio(key: &str) -> StoredAudio {
        StoredAudio {
            storage_key: key.into(),
            size_bytes: 3,
            sha256: "abc".into(),
            mime_type: "audio/mpeg".into(),
        }
    }

    /// A settings change that gives the integration a `pbxUrl`.
    fn set_pbx_url() -> IntegrationPatch {
        IntegrationPatch {
            config: Some(serde_json::json!({"pbxUrl": "https://pbx.example"})),
            ..IntegrationPatch::default()
        }
    }

    async fn take(store: &Store, link: &DueLink, lease_ms: i64) -> anyhow::Result<DueLink> {
        store
            .take_link(link, now_ms() + lease_ms)
            .await?
            .ok_or_else(|| anyhow::anyhow!("not taken"))
    }

    #[tokio::test]
    async fn the_sweep_asks_which_files_a_recording_names() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            let id = call_with_link(&store, &b.id, &integration.id).await?;
            sqlx::query("UPDATE recordings SET storage_key = $1 WHERE id = $2")
                .bind(format!("{}/{id}", b.id))
                .bind(&id)
                .execute(&store.pool)
                .await?;
            let asked = vec![format!("{}/{id}", b.id), format!("{}/orphan", b.id)];
            let named = store.referenced_storage_keys(&asked).await?;
            assert_eq!(
                named,
                std::collections::HashSet::from([asked[0].clone()]),
                "{backend:?}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_link_is_taken_once_retried_then_stored_in_place() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            let id = call_with_link(&store, &b.id, &integration.id).await?;

            let due = store.due_links(now_ms(), 10).await?;
            assert_eq!(due.len(), 1, "a new link is due at once ({backend:?})");
            assert_eq!(
                (due[0].integration_id.as_str(), due[0].attempts),
                (integration.id.as_str(), 0)
            );
            // Two servers saw it due: one takes it, and the try counts.
            let first = take(&store, &due[0], 60_000).await?;
            assert_eq!(first.attempts, 1);
            assert_eq!(store.take_link(&due[0], now_ms() + 60_000).await?, None);
            assert!(store.due_links(now_ms(), 10).await?.is_empty());

            store
                .link_retry(&first, now_ms() - 1, "pbx answered 503")
                .await?;
            let again = store.due_links(now_ms(), 10).await?;
            assert_eq!(again[0].attempts, 1, "{backend:?}");
            let shown = store.get_recording(&b.id, &id).await?;
            assert_eq!(
                (shown.status.as_str(), shown.error.as_deref()),
                ("linked", Some("pbx answered 503"))
            );

            let second = take(&store, &again[0], 60_000).await?;
            let announcement = NewNotification {
                business_id: b.id.clone(),
                channel: "webhook".into(),
                destination_id: Some("endpoint".into()),
                title: "recording.completed".into(),
                body: "A recording was stored".into(),
                link: None,
                severity: "info".into(),
                attributes: serde_json::json!({"recording.id": id}),
            };
            let stored = store
                .link_stored(&second, &audio("b/try2"), &[announcement])
                .await?
                .ok_or_else(|| anyhow::anyhow!("not stored"))?;
            assert_eq!(stored.status, "stored", "{backend:?}");
            assert_eq!(stored.url, format!("/recordings/{id}/audio"));
            assert_eq!(
                stored.vendor_url.as_deref(),
                Some("https://pbx.example/a.mp3")
            );
            assert_eq!(stored.error, None);
            assert_eq!(stored.storage_key.as_deref(), Some("b/try2"));
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
            // The announcement is stored with it, naming the call.
            let announced: Vec<String> = sqlx::query_scalar(
                "SELECT attributes_json FROM notifications WHERE business_id = $1",
            )
            .bind(&b.id)
            .fetch_all(&store.pool)
            .await?;
            assert_eq!(announced.len(), 1, "{backend:?}");
            let attributes: serde_json::Value = serde_json::from_str(&announced[0])?;
            assert_eq!(attributes["call.id"], "c1");
            assert_eq!(attributes["recording.id"], id.as_str());

            // Deleting the integration hands back the audio to remove.
            assert_eq!(
                store.delete_integration(&b.id, &integration.id).await?,
                vec!["b/try2".to_owned()],
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
    async fn an_overtaken_try_changes_nothing() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            let id = call_with_link(&store, &b.id, &integration.id).await?;
            let due = store.due_links(now_ms(), 10).await?;
            // The first taker stalls past its lease; a second takes over.
            let stale = take(&store, &due[0], -1).await?;
            let again = store.due_links(now_ms(), 10).await?;
            let current = take(&store, &again[0], 60_000).await?;
            assert_eq!(current.attempts, 2, "{backend:?}");

            // Whatever the stale one ends with is dropped.
            assert_eq!(
                store.link_stored(&stale, &audio("b/stale"), &[]).await?,
                None
            );
            store.link_failed(&stale, "stale").await?;
            store.link_retry(&stale, 0, "stale").await?;
            store.link_kept(&stale, integration.updated_at).await?;
            let shown = store.get_recording(&b.id, &id).await?;
            assert_eq!(
                (shown.status.as_str(), shown.error, shown.storage_key),
                ("linked", None, None),
                "{backend:?}"
            );
            assert!(store.due_links(now_ms(), 10).await?.is_empty());

            let stored = store
                .link_stored(&current, &audio("b/current"), &[])
                .await?;
            assert_eq!(
                stored.and_then(|r| r.storage_key).as_deref(),
                Some("b/current")
            );
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
            let taken = take(&store, &due[0], 60_000).await?;
            store.link_kept(&taken, integration.updated_at).await?;
            let rename = IntegrationPatch {
                name: Some("renamed".into()),
                ..IntegrationPatch::default()
            };
            store
                .update_integration(&b.id, &integration.id, rename)
                .await?;
            assert!(
                store.due_links(now_ms(), 10).await?.is_empty(),
                "a new name reaches nothing new ({backend:?})"
            );
            let pbx = set_pbx_url();
            let changed = store
                .update_integration(&b.id, &integration.id, pbx.clone())
                .await?;
            let due = store.due_links(now_ms(), 10).await?;
            assert_eq!(due.len(), 1, "{backend:?}");

            // Settings changed while a try was deciding with the old ones:
            // it comes due again rather than staying a link.
            let taken = take(&store, &due[0], 60_000).await?;
            store
                .update_integration(&b.id, &integration.id, pbx.clone())
                .await?;
            store.link_kept(&taken, changed.updated_at - 1).await?;
            assert_eq!(store.due_links(now_ms(), 10).await?.len(), 1);

            // Links that predate downloading (marked by the migration) are
            // not queued by a settings change.
            sqlx::query("UPDATE recordings SET fetch_after = NULL, fetch_attempts = -1")
                .execute(&store.pool)
                .await?;
            store
                .update_integration(&b.id, &integration.id, pbx)
                .await?;
            assert!(
                store.due_links(now_ms(), 10).await?.is_empty(),
                "{backend:?}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn links_from_before_the_upgrade_stay_links() -> anyhow::Result<()> {
        // The migration before the one that added downloading.
        for store in test_stores_migrated_to(20261121000005).await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            let id = call_with_link(&store, &b.id, &integration.id).await?;
            store.migrate().await?;
            assert!(
                store.due_links(now_ms(), 10).await?.is_empty(),
                "{backend:?}"
            );
            let pbx = set_pbx_url();
            store
                .update_integration(&b.id, &integration.id, pbx)
                .await?;
            assert!(
                store.due_links(now_ms(), 10).await?.is_empty(),
                "{backend:?}"
            );
            let shown = store.get_recording(&b.id, &id).await?;
            assert_eq!(
                (shown.status.as_str(), shown.url.as_str()),
                ("linked", "https://pbx.example/a.mp3")
            );
        }
        Ok(())
    }
}
