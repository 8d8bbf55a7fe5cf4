//! Businesses (tenants) and their sandbox limit overrides.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, new_id, now_ms, parse_json};

/// A tenant. Everything else in the store belongs to one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Business {
    pub id: String,
    pub name: String,
    /// Overrides of the default sandbox limits, as the runtime's config reads
    /// them; `None` means the defaults apply.
    pub limits: Option<Value>,
    pub created_at: i64,
}

impl Business {
    fn from_row(row: &AnyRow) -> Result<Business, StoreError> {
        let limits: Option<String> = row.try_get("limits_json")?;
        Ok(Business {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            limits: limits
                .map(|text| parse_json(&text, "businesses.limits_json"))
                .transpose()?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Store {
    pub async fn create_business(&self, name: &str) -> Result<Business, StoreError> {
        let business = Business {
            id: new_id(),
            name: name.to_owned(),
            limits: None,
            created_at: now_ms(),
        };
        sqlx::query(
            "INSERT INTO businesses (id, name, limits_json, created_at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(&business.id)
        .bind(&business.name)
        .bind(business.created_at)
        .execute(&self.pool)
        .await?;
        Ok(business)
    }

    pub async fn get_business(&self, id: &str) -> Result<Business, StoreError> {
        let row =
            sqlx::query("SELECT id, name, limits_json, created_at FROM businesses WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        Business::from_row(&row)
    }

    /// All businesses, oldest first.
    pub async fn list_businesses(&self) -> Result<Vec<Business>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, limits_json, created_at FROM businesses ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Business::from_row).collect()
    }

    /// Replaces the business's limit overrides; `None` returns it to the defaults.
    pub async fn set_business_limits(
        &self,
        id: &str,
        limits: Option<Value>,
    ) -> Result<(), StoreError> {
        let text = limits.map(|limits| limits.to_string());
        let done = sqlx::query("UPDATE businesses SET limits_json = $2 WHERE id = $1")
            .bind(id)
            .bind(text)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The business's limit overrides, `None` when it uses the defaults.
    pub async fn business_limits(&self, id: &str) -> Result<Option<Value>, StoreError> {
        Ok(self.get_business(id).await?.limits)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::test_stores;
    use super::*;

    #[tokio::test]
    async fn businesses_round_trip_and_list_in_creation_order() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let first = store.create_business("Acme").await?;
            let second = store.create_business("Globex").await?;
            assert_ne!(first.id, second.id);

            assert_eq!(store.get_business(&first.id).await?, first, "{backend:?}");
            let names: Vec<String> = store
                .list_businesses()
                .await?
                .into_iter()
                .map(|b| b.name)
                .collect();
            assert_eq!(names, ["Acme", "Globex"], "{backend:?}");

            assert!(
                matches!(store.get_business("nope").await, Err(StoreError::NotFound)),
                "{backend:?}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn limits_are_set_cleared_and_scoped_to_their_business() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            assert_eq!(store.business_limits(&acme.id).await?, None);

            let limits = json!({"memory_mb": 64, "fuel": 1_000_000});
            store
                .set_business_limits(&acme.id, Some(limits.clone()))
                .await?;
            assert_eq!(
                store.business_limits(&acme.id).await?,
                Some(limits),
                "{backend:?}"
            );
            assert_eq!(
                store.business_limits(&globex.id).await?,
                None,
                "{backend:?}"
            );

            store.set_business_limits(&acme.id, None).await?;
            assert_eq!(store.business_limits(&acme.id).await?, None, "{backend:?}");

            assert!(matches!(
                store.set_business_limits("nope", Some(json!({}))).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store.business_limits("nope").await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn unreadable_limits_are_reported_as_corrupt() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let acme = store.create_business("Acme").await?;
            sqlx::query("UPDATE businesses SET limits_json = $1 WHERE id = $2")
                .bind("{not json")
                .bind(&acme.id)
                .execute(store.pool())
                .await?;
            assert!(
                matches!(
                    store.business_limits(&acme.id).await,
                    Err(StoreError::Corrupt(_))
                ),
                "{:?}",
                store.backend()
            );
        }
        Ok(())
    }
}
