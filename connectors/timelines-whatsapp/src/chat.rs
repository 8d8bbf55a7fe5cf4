//! The `chat` object: the conversation (direct or group) a message is in.

use switchboard_sdk::prelude::*;

use crate::fields;
use crate::json::{self, Object};

/// What every message of a request shares about its chat.
#[derive(Debug, Clone, Default)]
pub struct Chat {
    /// `chat_id`; when absent, the id in `chat_url` (`…/chat/10010001/…`);
    /// otherwise empty.
    pub id: String,
    pub name: Option<String>,
    pub url: Option<String>,
    pub is_group: bool,
    /// Everything else about the chat (`chat.responsible_name`,
    /// `chat.is_new_chat`, `chat.phone`, …), and notes on what was inferred.
    pub attributes: Vec<Pair>,
}

/// Reads the chat; a missing `chat` is a chat with nothing known.
pub fn read(chat: Option<&Object>) -> Chat {
    let Some(chat) = chat else {
        return Chat::default();
    };
    let mut attributes = Vec::new();
    let url = json::get_text(chat, fields::CHAT_URL);
    let id = match json::get_text(chat, fields::CHAT_ID) {
        Some(id) => id,
        None => match url.as_deref().and_then(id_from_url) {
            Some(id) => {
                attributes.push(pair("chat_id.source", "chat_url"));
                id
            }
            None => String::new(),
        },
    };
    // The document says `is_group` is "true if this is a direct chat"; the
    // name, the example (a direct chat with `false`) and "phone is empty for
    // group chats" all say the opposite, so the name is taken at its word.
    let is_group = match json::get(chat, fields::IS_GROUP) {
        None => false,
        Some(value) => json::flag(value).unwrap_or_else(|| {
            if let Some(raw) = json::attribute_value(value) {
                attributes.push(pair("raw.chat.is_group", &raw));
            }
            false
        }),
    };
    attributes.extend(json::leftovers(
        chat,
        "chat.",
        &[
            fields::CHAT_ID,
            fields::CHAT_NAME,
            fields::CHAT_URL,
            fields::IS_GROUP,
        ],
    ));
    Chat {
        id,
        name: json::get_text(chat, fields::CHAT_NAME),
        url,
        is_group,
        attributes,
    }
}

/// `https://app.timelines.ai/chat/10010001/messages/` → `10010001`.
fn id_from_url(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/chat/")?;
    let id = rest.split(['/', '?', '#']).next()?;
    (!id.is_empty()).then(|| id.to_string())
}

fn pair(name: &str, value: &str) -> Pair {
    Pair {
        name: name.into(),
        value: value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn chat(value: serde_json::Value) -> Chat {
        read(Some(value.as_object().unwrap()))
    }

    #[test]
    fn numeric_id_and_string_flag() {
        let c = chat(json!({"chat_id": 10010001, "is_group": "true", "full_name": "Team"}));
        assert_eq!(c.id, "10010001");
        assert!(c.is_group);
        assert_eq!(c.name.as_deref(), Some("Team"));
        assert!(c.attributes.is_empty());
    }

    #[test]
    fn id_from_the_url_when_missing() {
        let c = chat(json!({"chat_url": "https://app.timelines.ai/chat/10010001/messages/"}));
        assert_eq!(c.id, "10010001");
        assert_eq!(attrs(&c.attributes), [("chat_id.source", "chat_url")]);
        assert_eq!(chat(json!({"chat_url": "https://x/"})).id, "");
    }

    #[test]
    fn unreadable_flag_is_kept_and_false() {
        let c = chat(json!({"chat_id": "1", "is_group": "group"}));
        assert!(!c.is_group);
        assert_eq!(attrs(&c.attributes), [("raw.chat.is_group", "group")]);
    }

    #[test]
    fn missing_chat() {
        let c = read(None);
        assert_eq!((c.id.as_str(), c.is_group), ("", false));
    }
}
