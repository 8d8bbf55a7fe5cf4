//! The pull schedule of recording-source integrations (`recording_syncs`).
//!
//! A sync is claimed with a lease: one conditional UPDATE that only succeeds
//! while nobody else holds an unexpired lease, so across every server sharing
//! the database at most one sync of an integration runs at a time. The holder
//! renews the lease after each page; one that dies simply lets it expire and
//! the next claim resumes from the stored cursor.
//!
//! Only the default integration of its kind pulls on schedule: seed 000's
//! setup ends with "Set as default — the system starts pulling recordings",
//! after "Test connection". Until then a source syncs only when asked.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get_bool, now_ms, one_row};

/// A sync's schedule and the outcome of its last run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub integration_id: String,
    #[serde(skip)]
    pub business_id: String,
    /// Whether the integration is the default of its kind: only the default
    /// pulls on schedule; another runs only when asked (`POST`).
    pub is_default: bool,
    pub enabled: bool,
    pub interval_sec: i64,
    pub running: bool,
    pub next_run_at: i64,
    pub last_started_at: Option<i64>,
    pub last_finished_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    /// Failed runs in a row; the backoff grows with it.
    pub consecutive_failures: i64,
    pub last_run: RunCounts,
    pub total_stored: i64,
    pub total_failed: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Recordings whose audio was stored.
    pub stored: i64,
    /// Recordings that cannot be stored (over the size cap, gone at the vendor).
    pub failed: i64,
    /// Listed again but already stored (a resumed page).
    pub skipped: i64,
}

/// How a run ended, for [`Store::finish_sync`].
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub counts: RunCounts,
    /// None on success.
    pub error: Option<String>,
    /// When to run next: at once when pages are left, or the backoff after
    /// a failure; None for one interval on from now, the interval read when
    /// the run ends (a PATCH during the run counts). A "sync now" during the
    /// run wins.
    pub next_run_at: Option<i64>,
}

macro_rules! sync_columns {
    () => {
        "integration_id, business_id, enabled, interval_sec, next_run_at, \
     requested_at, lease_until, last_started_at, last_finished_at, last_success_at, last_error, \
     failures, last_run_stored, last_run_failed, last_run_skipped, total_stored, total_failed, \
     COALESCE((SELECT i.is_default FROM integrations i \
       WHERE i.id = recording_syncs.integration_id), FALSE) AS is_default"
    };
}

impl SyncStatus {
    fn from_row(row: &AnyRow, now: i64) -> Result<SyncStatus, StoreError> {
        let lease_until: Option<i64> = row.try_get("lease_until")?;
        Ok(SyncStatus {
            integration_id: row.try_get("integration_id")?,
            business_id: row.try_get("business_id")?,
            is_default: get_bool(row, "is_default")?,
            enabled: get_bool(row, "enabled")?,
            interval_sec: row.try_get("interval_sec")?,
            running: lease_until.is_some_and(|t| t > now),
            next_run_at: row.try_get("next_run_at")?,
            last_started_at: row.try_get("last_started_at")?,
            last_finished_at: row.try_get("last_finished_at")?,
            last_success_at: row.try_get("last_success_at")?,
            last_error: row.try_get("last_error")?,
            consecutive_failures: row.try_get("failures")?,
            last_run: RunCounts {
                stored: row.try_get("last_run_stored")?,
                failed: row.try_get("last_run_failed")?,
                skipped: row.try_get("last_run_skipped")?,
            },
            total_stored: row.try_get("total_stored")?,
            total_failed: row.try_get("total_failed")?,
        })
    }
}

impl Store {
    /// Gives every integration of `kind` a schedule if it has none; the
    /// first run is due at once. Every server's scheduler and the sync API
    /// call this: two at once for a new integration both pass `NOT EXISTS`
    /// on PostgreSQL, and the second must not fail.
    pub async fn ensure_syncs(&self, kind: &str, interval_sec: i64) -> Result<u64, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO recording_syncs (integration_id, business_id, interval_sec, next_run_at, \
             created_at) SELECT i.id, i.business_id, $2, $3, $3 FROM integrations i \
             WHERE i.kind = $1 AND NOT EXISTS \
             (SELECT 1 FROM recording_syncs s WHERE s.integration_id = i.id) \
             ON CONFLICT (integration_id) DO NOTHING",
        )
        .bind(kind)
        .bind(interval_sec)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Claims the most overdue sync nobody holds, for `lease_ms`, as
    /// `lease`: a token unique to this claim (not to the server), which
    /// every later write of the run is conditional on. So a run whose lease
    /// ran out and was claimed again, even by the same server, can no
    /// longer renew, move the cursor or record an outcome.
    ///
    /// A sync is due on schedule only while its integration is the default
    /// of its kind; any other only after a "sync now" (`requested_at`).
    pub async fn claim_due_sync(
        &self,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Option<SyncStatus>, StoreError> {
        let now = now_ms();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE recording_syncs SET lease_owner = $1, lease_until = $2, last_started_at = $3 \
             WHERE integration_id = (SELECT integration_id FROM recording_syncs \
               WHERE enabled = TRUE AND next_run_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $3) \
               AND (requested_at IS NOT NULL OR EXISTS (SELECT 1 FROM integrations i \
                 WHERE i.id = recording_syncs.integration_id AND i.is_default = TRUE)) \
               ORDER BY next_run_at LIMIT 1{}) \
             AND (lease_until IS NULL OR lease_until < $3) \
             RETURNING {}",
            self.skip_locked(),
            sync_columns!()
        )))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| SyncStatus::from_row(&r, now - 1)).transpose()
    }

    /// Extends a held lease; false when it was lost (expired and taken).
    pub async fn renew_sync_lease(
        &self,
        integration_id: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recording_syncs SET lease_until = $3 \
             WHERE integration_id = $1 AND lease_owner = $2",
        )
        .bind(integration_id)
        .bind(owner)
        .bind(now_ms() + lease_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves the source's cursor, if `lease` is still this run's.
    pub async fn set_sync_cursor(
        &self,
        integration_id: &str,
        lease: &str,
        key: &str,
        cursor: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO installation_state (integration_id, key, value, updated_at) \
             SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM recording_syncs \
               WHERE integration_id = $1 AND lease_owner = $5) \
             ON CONFLICT (integration_id, key) \
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(integration_id)
        .bind(key)
        .bind(cursor)
        .bind(now_ms())
        .bind(lease)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Releases the lease and records the run. A "sync now" that arrived
    /// while the run was going makes the next run due at once, and stays
    /// asked for (so that it runs even for a source that is not its kind's
    /// default).
    pub async fn finish_sync(
        &self,
        integration_id: &str,
        owner: &str,
        outcome: &RunOutcome,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let ok = outcome.error.is_none();
        let c = outcome.counts;
        let done = sqlx::query(
            "UPDATE recording_syncs SET lease_owner = NULL, lease_until = NULL, \
             last_finished_at = $3, \
             last_success_at = CASE WHEN $4 THEN $3 ELSE last_success_at END, \
             last_error = $5, \
             failures = CASE WHEN $4 THEN 0 ELSE failures + 1 END, \
             next_run_at = CASE WHEN requested_at IS NOT NULL AND requested_at > last_started_at \
               THEN $3 ELSE COALESCE($6, $3 + interval_sec * 1000) END, \
             requested_at = CASE WHEN requested_at > last_started_at THEN requested_at ELSE NULL END, \
             last_run_stored = $7, last_run_failed = $8, last_run_skipped = $9, \
             total_stored = total_stored + $7, total_failed = total_failed + $8 \
             WHERE integration_id = $1 AND lease_owner = $2",
        )
        .bind(integration_id)
        .bind(owner)
        .bind(now)
        .bind(ok)
        .bind(&outcome.error)
        .bind(outcome.next_run_at)
        .bind(c.stored)
        .bind(c.failed)
        .bind(c.skipped)
        .execute(&self.pool)
        .await?;
        one_row(done)
    }

    pub async fn get_sync(
        &self,
        business_id: &str,
        integration_id: &str,
    ) -> Result<SyncStatus, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            sync_columns!(),
            " FROM recording_syncs WHERE business_id = $1 AND integration_id = $2"
        ))
        .bind(business_id)
        .bind(integration_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        SyncStatus::from_row(&row, now_ms())
    }

    /// "Sync now": due at once, or right after the run in progress.
    pub async fn request_sync(
        &self,
        business_id: &str,
        integration_id: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE recording_syncs SET requested_at = $3, \
             next_run_at = CASE WHEN next_run_at > $3 THEN $3 ELSE next_run_at END \
             WHERE business_id = $1 AND integration_id = $2",
        )
        .bind(business_id)
        .bind(integration_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        one_row(done)
    }

    /// Changes the schedule: a new interval counts from the end of the last
    /// run. A sync that is due at once stays so: its first run, a "sync
    /// now", or a backlog the last run left (due when it finished).
    pub async fn update_sync_schedule(
        &self,
        business_id: &str,
        integration_id: &str,
        enabled: Option<bool>,
        interval_sec: Option<i64>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE recording_syncs SET enabled = COALESCE($3, enabled), \
             interval_sec = COALESCE($4, interval_sec), \
             next_run_at = CASE WHEN $4 IS NULL OR last_finished_at IS NULL \
               OR requested_at IS NOT NULL OR next_run_at <= last_finished_at THEN next_run_at \
               ELSE last_finished_at + $4 * 1000 END \
             WHERE business_id = $1 AND integration_id = $2",
        )
        .bind(business_id)
        .bind(integration_id)
        .bind(enabled)
        .bind(interval_sec)
        .execute(&self.pool)
        .await?;
        one_row(done)
    }
}

#[cfg(test)]
mod tests {
    use super::super::integrations::NewIntegration;
    use super::super::testing::{acme_with_integration, test_stores, test_stores_migrated_to};
    use super::*;

    /// A run that stored nothing and failed nothing, next due at `next_run_at`.
    fn success(next_run_at: Option<i64>) -> RunOutcome {
        RunOutcome {
            counts: RunCounts::default(),
            error: None,
            next_run_at,
        }
    }

    #[tokio::test]
    async fn a_run_whose_lease_was_claimed_again_writes_nothing() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            store
                .set_default_integration(&b.id, &integration.id)
                .await?;
            store.ensure_syncs(&integration.kind, 300).await?;
            // The same server claims twice: the first lease ran out.
            let first = store.claim_due_sync("server/a", -1).await?.expect("due");
            let again = store
                .claim_due_sync("server/b", 60_000)
                .await?
                .expect("taken");
            assert_eq!(first.integration_id, again.integration_id, "{backend:?}");

            assert!(
                !store
                    .renew_sync_lease(&integration.id, "server/a", 60_000)
                    .await?
            );
            let moved = store
                .set_sync_cursor(&integration.id, "server/a", "host.sync.cursor", "stale")
                .await?;
            assert!(!moved, "{backend:?}");
            let outcome = success(None);
            assert!(
                store
                    .finish_sync(&integration.id, "server/a", &outcome)
                    .await
                    .is_err(),
                "{backend:?}"
            );
            assert!(
                store.get_sync(&b.id, &integration.id).await?.running,
                "{backend:?}"
            );

            // The holder's writes land.
            assert!(
                store
                    .renew_sync_lease(&integration.id, "server/b", 60_000)
                    .await?
            );
            let moved = store
                .set_sync_cursor(&integration.id, "server/b", "host.sync.cursor", "p2")
                .await?;
            assert!(moved, "{backend:?}");
            assert_eq!(
                store
                    .state_get(&integration.id, "host.sync.cursor")
                    .await?
                    .as_deref(),
                Some("p2"),
                "{backend:?}"
            );
            store
                .finish_sync(&integration.id, "server/b", &outcome)
                .await?;
            let done = store.get_sync(&b.id, &integration.id).await?;
            assert!(!done.running, "{backend:?}");
            let finished = done.last_finished_at.expect("finished");
            assert_eq!(done.next_run_at, finished + 300_000, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_new_interval_counts_from_the_last_run_but_due_stays_due() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            store
                .set_default_integration(&b.id, &integration.id)
                .await?;
            store.ensure_syncs(&integration.kind, 86_400).await?;
            let created = store.get_sync(&b.id, &integration.id).await?.next_run_at;
            // Not run yet: its first run stays due.
            store
                .update_sync_schedule(&b.id, &integration.id, None, Some(60))
                .await?;
            let first = store.get_sync(&b.id, &integration.id).await?;
            assert_eq!(first.next_run_at, created, "{backend:?}");

            // A run ends; the interval changed during it counts.
            store.claim_due_sync("s/1", 60_000).await?.expect("due");
            store
                .update_sync_schedule(&b.id, &integration.id, None, Some(120))
                .await?;
            let outcome = success(None);
            store.finish_sync(&integration.id, "s/1", &outcome).await?;
            let ran = store.get_sync(&b.id, &integration.id).await?;
            let finished = ran.last_finished_at.expect("finished");
            assert_eq!(ran.next_run_at, finished + 120_000, "{backend:?}");

            // Then a new interval counts from that run's end.
            store
                .update_sync_schedule(&b.id, &integration.id, None, Some(600))
                .await?;
            let later = store.get_sync(&b.id, &integration.id).await?;
            assert_eq!(later.next_run_at, finished + 600_000, "{backend:?}");

            // "Sync now" stays due whatever the interval becomes.
            store.request_sync(&b.id, &integration.id).await?;
            let now = store.get_sync(&b.id, &integration.id).await?.next_run_at;
            store
                .update_sync_schedule(&b.id, &integration.id, None, Some(3_600))
                .await?;
            let kept = store.get_sync(&b.id, &integration.id).await?;
            assert_eq!(kept.next_run_at, now, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn only_the_default_pulls_on_schedule_another_when_asked() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (b, integration) = acme_with_integration(&store).await?;
            store.ensure_syncs(&integration.kind, 300).await?;
            let fresh = store.get_sync(&b.id, &integration.id).await?;
            assert!(!fresh.is_default, "{backend:?}");
            assert!(
                store.claim_due_sync("s/1", 60_000).await?.is_none(),
                "a source not yet set as default is not pulled: {backend:?}"
            );

            // "Sync now" runs it once, and only once; asked again during
            // that run, once more after it.
            store.request_sync(&b.id, &integration.id).await?;
            let asked = store.claim_due_sync("s/2", 60_000).await?.expect("asked");
            assert_eq!(asked.integration_id, integration.id, "{backend:?}");
            let outcome = success(Some(0));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            store.request_sync(&b.id, &integration.id).await?;
            store.finish_sync(&integration.id, "s/2", &outcome).await?;
            store
                .claim_due_sync("s/2b", 60_000)
                .await?
                .expect("asked during the run");
            store.finish_sync(&integration.id, "s/2b", &outcome).await?;
            assert!(
                store.claim_due_sync("s/3", 60_000).await?.is_none(),
                "due again, but not the default: {backend:?}"
            );

            // Set as default: pulling starts.
            store
                .set_default_integration(&b.id, &integration.id)
                .await?;
            let claimed = store.claim_due_sync("s/4", 60_000).await?.expect("default");
            assert!(claimed.is_default, "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_upgrade_keeps_pulling_sources_pulling() -> anyhow::Result<()> {
        for store in test_stores_migrated_to(20261207000007).await? {
            let backend = store.backend();
            let new = |business: &str, kind: &str| NewIntegration {
                business_id: business.to_owned(),
                kind: kind.to_owned(),
                name: kind.to_owned(),
                config: serde_json::json!({}),
                secrets: None,
            };
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            let mut ids = Vec::new();
            for (at, (business, kind)) in [
                (&acme.id, "dtac"),
                (&acme.id, "dtac"),
                (&acme.id, "acme-recorder"),
                (&acme.id, "threecx-webhooks"),
                (&globex.id, "dtac"),
                (&globex.id, "dtac"),
            ]
            .into_iter()
            .enumerate()
            {
                let i = store.create_integration(new(business, kind)).await?;
                sqlx::query("UPDATE integrations SET created_at = $1 WHERE id = $2")
                    .bind(i64::try_from(at)? + 1)
                    .bind(&i.id)
                    .execute(&store.pool)
                    .await?;
                ids.push(i.id);
            }
            // The recording sources are those with a pull schedule, a
            // third party's kind too; webhooks have none.
            for kind in ["dtac", "acme-recorder"] {
                store.ensure_syncs(kind, 300).await?;
            }
            // Acme switched its first DTAC account's pulling off.
            store
                .update_sync_schedule(&acme.id, &ids[0], Some(false), None)
                .await?;
            // Globex had already chosen its second DTAC account.
            store.set_default_integration(&globex.id, &ids[5]).await?;

            store.migrate().await?;
            let mut defaults = Vec::new();
            for business in [&acme.id, &globex.id] {
                for i in store.list_integrations(business).await? {
                    if i.is_default {
                        defaults.push(i.id);
                    }
                }
            }
            defaults.sort();
            let mut expected = vec![ids[1].clone(), ids[2].clone(), ids[5].clone()];
            expected.sort();
            assert_eq!(defaults, expected, "{backend:?}");
        }
        Ok(())
    }
}
