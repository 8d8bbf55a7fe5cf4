//! Per-installation key-value state: what a connector keeps between calls and
//! restarts (sync cursors, cached tokens), behind the WIT `state` interface.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// One key of an integration's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateEntry {
    pub key: String,
    pub value: String,
    pub updated_at: i64,
}

impl Store {
    pub async fn state_get(
        &self,
        integration_id: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let value = sqlx::query_scalar(
            "SELECT value FROM installation_state WHERE integration_id = $1 AND key = $2",
        )
        .bind(integration_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(value)
    }

    /// Sets `key`, replacing any value. NotFound when the integration does not exist.
    pub async fn state_set(
        &self,
        integration_id: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO installation_state (integration_id, key, value, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (integration_id, key) \
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(integration_id)
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets `key` as [`Store::state_set`] does, unless the integration
    /// already keeps `max_keys` other keys (the host's `host.*` keys do not
    /// count; compared exactly, not with `LIKE`, which SQLite folds to lower
    /// case, so `HOST.x` counts): then false and nothing written. Replacing a key is always
    /// allowed. Two writers racing past the count can each add one: the
    /// bound is loose by the calls running at once, which are limited too.
    pub async fn state_set_within(
        &self,
        integration_id: &str,
        key: &str,
        value: &str,
        max_keys: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO installation_state (integration_id, key, value, updated_at) \
             SELECT $1, $2, $3, CAST($4 AS BIGINT) WHERE EXISTS (SELECT 1 FROM installation_state \
               WHERE integration_id = $1 AND key = $2) \
             OR (SELECT COUNT(*) FROM installation_state \
               WHERE integration_id = $1 AND substr(key, 1, 5) <> 'host.') < $5 \
             ON CONFLICT (integration_id, key) \
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(integration_id)
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .bind(i64::from(max_keys))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        // Nothing written: full, or no such integration (the plain upsert
        // would have failed on its foreign key; say the same).
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM integrations WHERE id = $1")
                .bind(integration_id)
                .fetch_optional(&self.pool)
                .await?;
        match exists {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound),
        }
    }

    /// Removes `key`; true when it was there. Removing a missing key is not an
    /// error, so a connector can clear state without reading it first.
    pub async fn state_delete(&self, integration_id: &str, key: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM installation_state WHERE integration_id = $1 AND key = $2")
                .bind(integration_id)
                .bind(key)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// All of an integration's state, by key.
    pub async fn state_list(&self, integration_id: &str) -> Result<Vec<StateEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, value, updated_at FROM installation_state \
             WHERE integration_id = $1 ORDER BY key",
        )
        .bind(integration_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StateEntry {
                    key: row.try_get("key")?,
                    value: row.try_get("value")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::test_stores;
    use super::super::{Integration, NewIntegration};
    use super::*;

    async fn integration(store: &Store, name: &str) -> anyhow::Result<Integration> {
        let business = store.create_business(name).await?;
        Ok(store
            .create_integration(NewIntegration {
                business_id: business.id,
                kind: "dtac".into(),
                name: name.into(),
                config: json!({}),
                secrets: None,
            })
            .await?)
    }

    #[tokio::test]
    async fn state_upserts_lists_and_deletes_per_integration() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let a = integration(&store, "A").await?;
            let b = integration(&store, "B").await?;

            assert_eq!(store.state_get(&a.id, "cursor").await?, None);
            store.state_set(&a.id, "cursor", "10").await?;
            store.state_set(&a.id, "cursor", "11").await?;
            store.state_set(&a.id, "token", "t").await?;
            store.state_set(&b.id, "cursor", "99").await?;

            assert_eq!(
                store.state_get(&a.id, "cursor").await?.as_deref(),
                Some("11"),
                "{backend:?}"
            );
            let keys: Vec<(String, String)> = store
                .state_list(&a.id)
                .await?
                .into_iter()
                .map(|e| (e.key, e.value))
                .collect();
            assert_eq!(
                keys,
                [("cursor".into(), "11".into()), ("token".into(), "t".into())],
                "{backend:?}"
            );

            assert!(store.state_delete(&a.id, "cursor").await?);
            assert!(!store.state_delete(&a.id, "cursor").await?);
            assert_eq!(store.state_get(&a.id, "cursor").await?, None);
            assert_eq!(
                store.state_get(&b.id, "cursor").await?.as_deref(),
                Some("99"),
                "{backend:?}"
            );

            assert!(matches!(
                store.state_set("ghost", "k", "v").await,
                Err(StoreError::NotFound)
            ));

            // At most `max_keys` keys, the host's aside; a key may always
            // be replaced.
            store.state_set(&a.id, "host.cursor", "{}").await?;
            assert!(!store.state_set_within(&a.id, "third", "3", 1).await?);
            assert!(store.state_set_within(&a.id, "token", "t2", 1).await?);
            assert!(store.state_set_within(&a.id, "third", "3", 2).await?);
            assert_eq!(
                store.state_get(&a.id, "token").await?.as_deref(),
                Some("t2"),
                "{backend:?}"
            );
            assert!(matches!(
                store.state_set_within("ghost", "k", "v", 5).await,
                Err(StoreError::NotFound)
            ));

            // State goes with its integration.
            store.delete_integration(&a.business_id, &a.id).await?;
            assert!(store.state_list(&a.id).await?.is_empty(), "{backend:?}");
        }
        Ok(())
    }
}
