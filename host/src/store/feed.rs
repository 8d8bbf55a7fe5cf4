//! The in-app feed (one row per in-app notification, read state per reader)
//! and each reader's notification preferences. A reader is the member a
//! token speaks for, or the token itself when it speaks for no member.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get_bool, now_ms, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedItem {
    pub id: String,
    pub title: String,
    pub body: String,
    pub severity: String,
    pub data: Value,
    pub read: bool,
    pub created_at: i64,
}

fn item(row: &AnyRow) -> Result<FeedItem, StoreError> {
    let data: String = row.try_get("data_json")?;
    Ok(FeedItem {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        severity: row.try_get("severity")?,
        data: parse_json(&data, "feed_items.data_json")?,
        read: get_bool(row, "is_read")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Tries of [`Store::merge_preferences`] before it gives up: each lost
/// race means another change landed, so a few suffice.
const MERGE_TRIES: usize = 16;

impl Store {
    /// Adds the feed row `id` (the notification's id, so that a second
    /// attempt at the same notification cannot add it twice). None when it
    /// is there already.
    pub async fn add_feed_item(
        &self,
        id: &str,
        business_id: &str,
        title: &str,
        body: &str,
        severity: &str,
        data: &Value,
    ) -> Result<Option<FeedItem>, StoreError> {
        let item = FeedItem {
            id: id.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            severity: severity.to_owned(),
            data: data.clone(),
            read: false,
            created_at: now_ms(),
        };
        let added = sqlx::query(
            "INSERT INTO feed_items (id, business_id, title, body, severity, data_json, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&item.id)
        .bind(business_id)
        .bind(&item.title)
        .bind(&item.body)
        .bind(&item.severity)
        .bind(item.data.to_string())
        .bind(item.created_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((added == 1).then_some(item))
    }

    /// One row as a stream pushes it (unread).
    pub async fn get_feed_item(&self, business_id: &str, id: &str) -> Result<FeedItem, StoreError> {
        let row = sqlx::query(
            "SELECT id, title, body, severity, data_json, created_at, 0 AS is_read \
             FROM feed_items WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        item(&row)
    }

    /// PostgreSQL: tells every server listening on `channel` (see
    /// `notify/feed_relay.rs`). Delivered on commit, at most 8000 bytes.
    pub async fn pg_notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Newest first, with `reader`'s read state; and the reader's unread count.
    pub async fn list_feed(
        &self,
        business_id: &str,
        reader: &str,
        limit: u32,
    ) -> Result<(Vec<FeedItem>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT f.id, f.title, f.body, f.severity, f.data_json, f.created_at, \
             CASE WHEN r.item_id IS NULL THEN 0 ELSE 1 END AS is_read \
             FROM feed_items f LEFT JOIN feed_reads r ON r.item_id = f.id AND r.reader_id = $2 \
             WHERE f.business_id = $1 ORDER BY f.created_at DESC, f.id DESC LIMIT $3",
        )
        .bind(business_id)
        .bind(reader)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM feed_items f WHERE f.business_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM feed_reads r WHERE r.item_id = f.id AND r.reader_id = $2)",
        )
        .bind(business_id)
        .bind(reader)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows.iter().map(item).collect::<Result<_, _>>()?, unread))
    }

    /// Marks items read for `reader`; `None` marks every item of the business.
    /// Ids of other businesses are ignored.
    pub async fn mark_feed_read(
        &self,
        business_id: &str,
        reader: &str,
        ids: Option<&[String]>,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut marked = 0;
        match ids {
            Some(ids) => {
                for id in ids {
                    marked += sqlx::query(
                        "INSERT INTO feed_reads (item_id, reader_id, read_at) \
                         SELECT id, $2, $3 FROM feed_items WHERE id = $4 AND business_id = $1 \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(business_id)
                    .bind(reader)
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                }
            }
            None => {
                marked = sqlx::query(
                    "INSERT INTO feed_reads (item_id, reader_id, read_at) \
                     SELECT id, $2, $3 FROM feed_items WHERE business_id = $1 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(business_id)
                .bind(reader)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
            }
        }
        Ok(marked)
    }

    pub async fn get_preferences(
        &self,
        business_id: &str,
        reader: &str,
    ) -> Result<Option<Value>, StoreError> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT prefs_json FROM notification_preferences WHERE business_id = $1 AND reader_id = $2",
        )
        .bind(business_id)
        .bind(reader)
        .fetch_optional(&self.pool)
        .await?;
        text.map(|t| parse_json(&t, "notification_preferences.prefs_json"))
            .transpose()
    }

    /// Changes a reader's preferences with `merge` (given what is stored,
    /// returns the new preferences) and returns them. A compare-and-set on
    /// the stored text, retried: two changes at once (a member's web and
    /// mobile apps) both land instead of the later overwriting the earlier
    /// with what it read before it.
    pub async fn merge_preferences(
        &self,
        business_id: &str,
        reader: &str,
        merge: impl Fn(Option<Value>) -> Value,
    ) -> Result<Value, StoreError> {
        for _ in 0..MERGE_TRIES {
            let stored: Option<String> = sqlx::query_scalar(
                "SELECT prefs_json FROM notification_preferences WHERE business_id = $1 AND reader_id = $2",
            )
            .bind(business_id)
            .bind(reader)
            .fetch_optional(&self.pool)
            .await?;
            let current = stored
                .as_deref()
                .map(|t| parse_json(t, "notification_preferences.prefs_json"))
                .transpose()?;
            let merged = merge(current);
            let done = match &stored {
                None => sqlx::query(
                    "INSERT INTO notification_preferences (business_id, reader_id, prefs_json, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (business_id, reader_id) DO NOTHING",
                )
                .bind(business_id)
                .bind(reader)
                .bind(merged.to_string())
                .bind(now_ms())
                .execute(&self.pool)
                .await?,
                Some(old) => sqlx::query(
                    "UPDATE notification_preferences SET prefs_json = $3, updated_at = $4 \
                     WHERE business_id = $1 AND reader_id = $2 AND prefs_json = $5",
                )
                .bind(business_id)
                .bind(reader)
                .bind(merged.to_string())
                .bind(now_ms())
                .bind(old)
                .execute(&self.pool)
                .await?,
            };
            if done.rows_affected() == 1 {
                return Ok(merged);
            }
        }
        Err(StoreError::Conflict(
            "the preferences kept changing underneath; try again".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::test_stores;

    /// Concurrent changes to one reader's preferences all land.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_preference_changes_all_land() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let b = store.create_business("A").await?;
            let tasks: Vec<_> = (0..12)
                .map(|i| {
                    let store = store.clone();
                    let business = b.id.clone();
                    tokio::spawn(async move {
                        store
                            .merge_preferences(&business, "member-1", |current| {
                                let mut prefs = current.unwrap_or_else(|| serde_json::json!({}));
                                prefs[format!("k{i}")] = serde_json::json!(i);
                                prefs
                            })
                            .await
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            let stored = store.get_preferences(&b.id, "member-1").await?.unwrap();
            assert_eq!(
                stored.as_object().unwrap().len(),
                12,
                "{:?}: {stored}",
                store.backend()
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_notification_adds_its_feed_row_once() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let b = store.create_business("A").await?;
            let data = serde_json::json!({"link": null});
            let first = store
                .add_feed_item("n1", &b.id, "t", "b", "info", &data)
                .await?;
            assert_eq!(first.map(|i| i.id).as_deref(), Some("n1"), "{backend:?}");
            // A second attempt at the same notification (its first was never
            // recorded) adds nothing.
            let again = store
                .add_feed_item("n1", &b.id, "t", "b", "info", &data)
                .await?;
            assert_eq!(again, None, "{backend:?}");
            let (items, unread) = store.list_feed(&b.id, "reader", 10).await?;
            assert_eq!((items.len(), unread), (1, 1), "{backend:?}");
        }
        Ok(())
    }
}
