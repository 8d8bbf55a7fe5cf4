//! Conversations (a messaging chat: WhatsApp through TimelinesAI) and their
//! messages. Written by [`Store::ingest`], read by the conversations API.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError, get_bool, new_id, now_ms, parse_json};

/// One message to store, already normalised by a connector.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub chat_id: String,
    pub chat_name: Option<String>,
    pub chat_url: Option<String>,
    pub is_group: bool,
    /// The vendor's message id.
    pub message_id: String,
    /// What makes the message unique in its conversation (the event's
    /// dedup key: a vendor may reuse message ids).
    pub dedup_key: String,
    /// `received` or `sent`.
    pub direction: String,
    pub sender: Value,
    pub recipient: Value,
    pub text: String,
    pub sent_at: i64,
    pub attributes: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: String,
    pub integration_id: String,
    pub chat_id: String,
    pub name: Option<String>,
    pub url: Option<String>,
    pub is_group: bool,
    pub last_message_at: i64,
    pub message_count: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub message_id: String,
    pub direction: String,
    pub sender: Value,
    pub recipient: Value,
    pub text: String,
    pub sent_at: i64,
    pub attributes: Value,
}

impl Conversation {
    fn from_row(row: &AnyRow) -> Result<Conversation, StoreError> {
        Ok(Conversation {
            id: row.try_get("id")?,
            integration_id: row.try_get("integration_id")?,
            chat_id: row.try_get("chat_id")?,
            name: row.try_get("name")?,
            url: row.try_get("url")?,
            is_group: get_bool(row, "is_group")?,
            last_message_at: row.try_get("last_message_at")?,
            message_count: row.try_get("message_count")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Message {
    fn from_row(row: &AnyRow) -> Result<Message, StoreError> {
        let sender: String = row.try_get("sender_json")?;
        let recipient: String = row.try_get("recipient_json")?;
        let attributes: String = row.try_get("attributes_json")?;
        Ok(Message {
            id: row.try_get("id")?,
            message_id: row.try_get("message_id")?,
            direction: row.try_get("direction")?,
            sender: parse_json(&sender, "messages.sender_json")?,
            recipient: parse_json(&recipient, "messages.recipient_json")?,
            text: row.try_get("text")?,
            sent_at: row.try_get("sent_at")?,
            attributes: parse_json(&attributes, "messages.attributes_json")?,
        })
    }
}

/// Stores `m` in its conversation (created on first sight, renamed when the
/// vendor renames the chat). Returns false when the message was already there.
// The statements of `store_message`, shared with the SQLite ingest writer
// (`sqlite_direct.rs`), which binds by position: each parameter first
// appears in numeric order.
pub(super) const UPSERT_CONVERSATION: &str = "INSERT INTO conversations (id, business_id, \
     integration_id, chat_id, name, url, is_group, last_message_at, message_count, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) \
     ON CONFLICT (integration_id, chat_id) DO UPDATE SET \
     name = COALESCE(excluded.name, conversations.name), \
     url = COALESCE(excluded.url, conversations.url)";
pub(super) const CONVERSATION_ID: &str =
    "SELECT id FROM conversations WHERE integration_id = $1 AND chat_id = $2";
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO messages (id, business_id, conversation_id, \
     message_id, direction, sender_json, recipient_json, text, sent_at, attributes_json, \
     dedup_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (conversation_id, dedup_key) DO NOTHING";
/// `$1` the message's time, `$2` the conversation.
pub(super) const COUNT_MESSAGE: &str = "UPDATE conversations SET message_count = message_count + 1, \
     last_message_at = CASE WHEN last_message_at > $1 THEN last_message_at ELSE $1 END \
     WHERE id = $2";

pub(super) async fn store_message(
    conn: &mut AnyConnection,
    business_id: &str,
    integration_id: &str,
    m: &NewMessage,
) -> Result<bool, StoreError> {
    sqlx::query(UPSERT_CONVERSATION)
        .bind(new_id())
        .bind(business_id)
        .bind(integration_id)
        .bind(&m.chat_id)
        .bind(&m.chat_name)
        .bind(&m.chat_url)
        .bind(m.is_group)
        .bind(m.sent_at)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    let conversation_id: String = sqlx::query_scalar(CONVERSATION_ID)
        .bind(integration_id)
        .bind(&m.chat_id)
        .fetch_one(&mut *conn)
        .await?;
    let inserted = sqlx::query(INSERT_MESSAGE)
        .bind(new_id())
        .bind(business_id)
        .bind(&conversation_id)
        .bind(&m.message_id)
        .bind(&m.direction)
        .bind(m.sender.to_string())
        .bind(m.recipient.to_string())
        .bind(&m.text)
        .bind(m.sent_at)
        .bind(m.attributes.to_string())
        .bind(&m.dedup_key)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0;
    if inserted {
        sqlx::query(COUNT_MESSAGE)
            .bind(m.sent_at)
            .bind(&conversation_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(inserted)
}

impl Store {
    /// A page of conversations, most recently active first, after `before`
    /// (`(last_message_at, id)` of the previous page's last row).
    pub async fn list_conversations(
        &self,
        business_id: &str,
        before: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError> {
        let (at, id) = before.map_or((None, String::new()), |(a, i)| (Some(a), i));
        let rows = sqlx::query(
            "SELECT id, integration_id, chat_id, name, url, is_group, last_message_at, \
             message_count, created_at FROM conversations WHERE business_id = $1 \
             AND ($2 IS NULL OR last_message_at < $2 OR (last_message_at = $2 AND id < $3)) \
             ORDER BY last_message_at DESC, id DESC LIMIT $4",
        )
        .bind(business_id)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Conversation::from_row).collect()
    }

    pub async fn get_conversation(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Conversation, StoreError> {
        let row = sqlx::query(
            "SELECT id, integration_id, chat_id, name, url, is_group, last_message_at, \
             message_count, created_at FROM conversations WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Conversation::from_row(&row)
    }

    /// A page of a conversation's messages, oldest first, after `after`
    /// (`(sent_at, id)` of the previous page's last row).
    pub async fn list_messages(
        &self,
        business_id: &str,
        conversation_id: &str,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let (at, id) = after.map_or((None, String::new()), |(a, i)| (Some(a), i));
        let rows = sqlx::query(
            "SELECT id, message_id, direction, sender_json, recipient_json, text, sent_at, \
             attributes_json FROM messages WHERE business_id = $1 AND conversation_id = $2 \
             AND ($3 IS NULL OR sent_at > $3 OR (sent_at = $3 AND id > $4)) \
             ORDER BY sent_at, id LIMIT $5",
        )
        .bind(business_id)
        .bind(conversation_id)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Message::from_row).collect()
    }
}
