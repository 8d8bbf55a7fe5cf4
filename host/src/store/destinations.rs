//! Where notifications go: Telegram chats (bound to a business by the
//! `/start <code>` flow) and Discord webhooks (URL sealed, never returned).

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get_bool, new_id, now_ms, one_row};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TelegramChat {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub chat_id: String,
    pub title: String,
    pub is_active: bool,
    pub inactive_reason: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscordWebhook {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub name: String,
    #[serde(skip)]
    pub url_sealed: Vec<u8>,
    pub is_active: bool,
    pub inactive_reason: Option<String>,
    pub created_at: i64,
}

/// What redeeming a link code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    Linked(String),
    Unknown,
    Expired,
    Used,
}

fn chat(row: &AnyRow) -> Result<TelegramChat, StoreError> {
    Ok(TelegramChat {
        id: row.try_get("id")?,
        business_id: row.try_get("business_id")?,
        chat_id: row.try_get("chat_id")?,
        title: row.try_get("title")?,
        is_active: get_bool(row, "is_active")?,
        inactive_reason: row.try_get("inactive_reason")?,
        created_at: row.try_get("created_at")?,
    })
}

fn webhook(row: &AnyRow) -> Result<DiscordWebhook, StoreError> {
    Ok(DiscordWebhook {
        id: row.try_get("id")?,
        business_id: row.try_get("business_id")?,
        name: row.try_get("name")?,
        url_sealed: row.try_get("url_sealed")?,
        is_active: get_bool(row, "is_active")?,
        inactive_reason: row.try_get("inactive_reason")?,
        created_at: row.try_get("created_at")?,
    })
}

const CHAT_COLUMNS: &str =
    "id, business_id, chat_id, title, is_active, inactive_reason, created_at";

impl Store {
    pub async fn create_link_code(
        &self,
        business_id: &str,
        code: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO telegram_link_codes (code, business_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(business_id)
        .bind(expires_at)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Redeems `code` for `chat_id`: single use, only before it expires. The
    /// chat is bound (or re-activated) in the same transaction that spends
    /// the code.
    pub async fn redeem_link_code(
        &self,
        code: &str,
        chat_id: &str,
        title: &str,
    ) -> Result<LinkOutcome, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(
            "SELECT business_id, expires_at, used_at FROM telegram_link_codes WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(LinkOutcome::Unknown);
        };
        let used: Option<i64> = row.try_get("used_at")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        if used.is_some() {
            return Ok(LinkOutcome::Used);
        }
        if expires_at <= now {
            return Ok(LinkOutcome::Expired);
        }
        let business_id: String = row.try_get("business_id")?;
        // Only one redemption can flip used_at; a racing second one sees 0 rows.
        let spent = sqlx::query(
            "UPDATE telegram_link_codes SET used_at = $2 WHERE code = $1 AND used_at IS NULL",
        )
        .bind(code)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 0 {
            return Ok(LinkOutcome::Used);
        }
        sqlx::query(
            "INSERT INTO telegram_chats (id, business_id, chat_id, title, is_active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5) ON CONFLICT (business_id, chat_id) \
             DO UPDATE SET title = excluded.title, is_active = TRUE, inactive_reason = NULL",
        )
        .bind(new_id())
        .bind(&business_id)
        .bind(chat_id)
        .bind(title)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LinkOutcome::Linked(business_id))
    }

    pub async fn list_telegram_chats(
        &self,
        business_id: &str,
    ) -> Result<Vec<TelegramChat>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHAT_COLUMNS} FROM telegram_chats WHERE business_id = $1 ORDER BY created_at, id"
        )))
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(chat).collect()
    }

    pub async fn get_telegram_chat(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<TelegramChat, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHAT_COLUMNS} FROM telegram_chats WHERE business_id = $1 AND id = $2"
        )))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        chat(&row)
    }

    /// A chat of the business by our id or by Telegram's own chat id (the
    /// `chatId` the list shows next to `id`): seed 000 asks senders for "the
    /// id from /telegram/chats", and both are there. Ours wins; Telegram's is
    /// unique within a business.
    pub async fn find_telegram_chat(
        &self,
        business_id: &str,
        id_or_chat_id: &str,
    ) -> Result<TelegramChat, StoreError> {
        match self.get_telegram_chat(business_id, id_or_chat_id).await {
            Err(StoreError::NotFound) => {}
            found => return found,
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHAT_COLUMNS} FROM telegram_chats WHERE business_id = $1 AND chat_id = $2"
        )))
        .bind(business_id)
        .bind(id_or_chat_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        chat(&row)
    }

    pub async fn set_telegram_chat_active(
        &self,
        business_id: &str,
        id: &str,
        active: bool,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        one_row(
            sqlx::query(
                "UPDATE telegram_chats SET is_active = $3, inactive_reason = $4 \
             WHERE business_id = $1 AND id = $2",
            )
            .bind(business_id)
            .bind(id)
            .bind(active)
            .bind(reason)
            .execute(&self.pool)
            .await?,
        )
    }

    /// A group became a supergroup under a new chat id: the linked chat
    /// follows it, and the row to send to is `id` still. When the new chat
    /// is already linked to the business as a row of its own, the old row is
    /// switched off and that row is the one to send to.
    pub async fn migrate_telegram_chat(
        &self,
        business_id: &str,
        id: &str,
        new_chat_id: &str,
    ) -> Result<String, StoreError> {
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM telegram_chats WHERE business_id = $1 AND chat_id = $2",
        )
        .bind(business_id)
        .bind(new_chat_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(taken) = taken {
            self.set_telegram_chat_active(business_id, id, false, Some("chat_migrated"))
                .await?;
            return Ok(taken);
        }
        one_row(
            sqlx::query(
                "UPDATE telegram_chats SET chat_id = $3 WHERE business_id = $1 AND id = $2",
            )
            .bind(business_id)
            .bind(id)
            .bind(new_chat_id)
            .execute(&self.pool)
            .await?,
        )?;
        Ok(id.to_owned())
    }

    pub async fn delete_telegram_chat(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        one_row(
            sqlx::query("DELETE FROM telegram_chats WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(id)
                .execute(&self.pool)
                .await?,
        )
    }

    pub async fn create_discord_webhook(
        &self,
        business_id: &str,
        id: &str,
        name: &str,
        url_sealed: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO discord_webhooks (id, business_id, name, url_sealed, is_active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5)",
        )
        .bind(id)
        .bind(business_id)
        .bind(name)
        .bind(url_sealed)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_discord_webhooks(
        &self,
        business_id: &str,
    ) -> Result<Vec<DiscordWebhook>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, business_id, name, url_sealed, is_active, inactive_reason, created_at \
             FROM discord_webhooks WHERE business_id = $1 ORDER BY created_at, id",
        )
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(webhook).collect()
    }

    pub async fn get_discord_webhook(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<DiscordWebhook, StoreError> {
        let row = sqlx::query(
            "SELECT id, business_id, name, url_sealed, is_active, inactive_reason, created_at \
             FROM discord_webhooks WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        webhook(&row)
    }

    pub async fn set_discord_webhook_active(
        &self,
        business_id: &str,
        id: &str,
        active: bool,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE discord_webhooks SET is_active = $3, inactive_reason = $4 \
             WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .bind(active)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_discord_webhook(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        one_row(
            sqlx::query("DELETE FROM discord_webhooks WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(id)
                .execute(&self.pool)
                .await?,
        )
    }
}
