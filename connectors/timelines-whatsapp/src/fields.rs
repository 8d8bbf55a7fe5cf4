//! Every field name the connector reads, as the vendor document spells it,
//! with the few aliases accepted. Lookups also match a key that differs only
//! in case or separators (see [`crate::json::get`]).

// The request body.
pub const MESSAGE: &[&str] = &["message"];
pub const MESSAGES: &[&str] = &["messages"];
pub const ACCOUNT: &[&str] = &["whatsapp_account"];
pub const CHAT: &[&str] = &["chat"];

// Bundle only.
pub const FIRST_MESSAGE_TIMESTAMP: &[&str] = &["first_message_timestamp"];
pub const LAST_MESSAGE_TIMESTAMP: &[&str] = &["last_message_timestamp"];
pub const AGGREGATION: &[&str] = &["aggregation"];

// `chat`.
pub const CHAT_ID: &[&str] = &["chat_id", "id"];
pub const CHAT_NAME: &[&str] = &["full_name", "name"];
pub const CHAT_URL: &[&str] = &["chat_url", "url"];
pub const IS_GROUP: &[&str] = &["is_group"];

// `whatsapp_account`, `sender`, `recipient`.
pub const FULL_NAME: &[&str] = &["full_name", "name"];
pub const PHONE: &[&str] = &["phone"];
pub const EMAIL: &[&str] = &["email"];

// One message.
pub const MESSAGE_ID: &[&str] = &["message_id", "id"];
pub const DIRECTION: &[&str] = &["direction"];
pub const TIMESTAMP: &[&str] = &["timestamp"];
pub const SENDER: &[&str] = &["sender"];
pub const RECIPIENT: &[&str] = &["recipient"];
pub const TEXT: &[&str] = &["text"];
