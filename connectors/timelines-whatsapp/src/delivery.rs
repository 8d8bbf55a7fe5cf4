//! One webhook call: which of the two documented shapes it is, and what its
//! messages share.
//!
//! - **Single** ("don't aggregate"): `{"whatsapp_account", "chat", "message": {…}}`.
//! - **Bundle** (aggregated every 1/6/12/24 h): `{"whatsapp_account", "chat",
//!   "messages": […], "first_message_timestamp", "last_message_timestamp",
//!   "aggregation"}`.

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::bundle::Bundle;
use crate::chat::{self, Chat};
use crate::json::{self, Object};
use crate::{Settings, fields, party};

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The `message` of a single delivery.
    Single,
    /// Entry `n` of a bundle's `messages`.
    Bundle(usize),
}

/// One message as sent, not yet read.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub value: &'a Value,
    pub origin: Origin,
}

/// The request, read as far as what all of its messages share.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub chat: Chat,
    /// `whatsapp_account`: our side.
    pub account: ChatParty,
    /// Attributes every message gets: the chat's, the account's, and any
    /// unknown top-level field.
    pub shared: Vec<Pair>,
    pub bundle: Option<Bundle>,
    pub entries: Vec<Entry<'a>>,
}

impl<'a> Delivery<'a> {
    /// `BadRequest` when the body has neither `message` nor `messages`, or
    /// `messages` is not a list.
    pub fn read(root: &'a Object, settings: &Settings) -> Result<Self, ConnectorError> {
        let mut entries = Vec::new();
        if let Some(value) = json::get(root, fields::MESSAGE) {
            entries.push(Entry {
                value,
                origin: Origin::Single,
            });
        }
        let bundle = match json::get(root, fields::MESSAGES) {
            None => None,
            Some(Value::Array(items)) => {
                entries.extend(items.iter().enumerate().map(|(i, value)| Entry {
                    value,
                    origin: Origin::Bundle(i),
                }));
                Some(Bundle::read(root, items.len()))
            }
            // A bundle of one sent as an object rather than a list.
            Some(value @ Value::Object(_)) => {
                entries.push(Entry {
                    value,
                    origin: Origin::Bundle(0),
                });
                Some(Bundle::read(root, 1))
            }
            Some(_) => {
                return Err(ConnectorError::BadRequest(
                    "`messages` must be a list of messages".into(),
                ));
            }
        };
        if entries.is_empty() && bundle.is_none() {
            return Err(ConnectorError::BadRequest(
                "neither `message` (one message) nor `messages` (a bundle): \
                 not a TimelinesAI outgoing webhook"
                    .into(),
            ));
        }

        let chat_object = json::object(root, fields::CHAT);
        let account_object = json::object(root, fields::ACCOUNT);
        let chat = chat::read(chat_object);
        let mut shared = chat.attributes.clone();
        let account = party::read(
            account_object,
            "whatsapp_account",
            settings.default_country_code.as_deref(),
            &mut shared,
        );
        // `chat` or `whatsapp_account` that is not an object is kept as sent.
        let mut mapped = vec![
            fields::MESSAGE,
            fields::MESSAGES,
            fields::FIRST_MESSAGE_TIMESTAMP,
            fields::LAST_MESSAGE_TIMESTAMP,
            fields::AGGREGATION,
        ];
        if chat_object.is_some() {
            mapped.push(fields::CHAT);
        }
        if account_object.is_some() {
            mapped.push(fields::ACCOUNT);
        }
        shared.extend(json::leftovers(root, "", &mapped));
        Ok(Delivery {
            chat,
            account,
            shared,
            bundle,
            entries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn read(value: Value) -> Result<Vec<Origin>, ConnectorError> {
        let root = value.as_object().cloned().unwrap();
        Delivery::read(&root, &Settings::default())
            .map(|d| d.entries.iter().map(|e| e.origin).collect())
    }

    #[test]
    fn shapes() {
        assert_eq!(read(json!({"message": {}})).unwrap(), [Origin::Single]);
        assert_eq!(
            read(json!({"messages": [{}, {}]})).unwrap(),
            [Origin::Bundle(0), Origin::Bundle(1)]
        );
        assert_eq!(read(json!({"messages": {}})).unwrap(), [Origin::Bundle(0)]);
        assert!(read(json!({"messages": []})).unwrap().is_empty());
    }

    #[test]
    fn neither_shape_is_a_bad_request() {
        for body in [
            json!({}),
            json!({"chat": {"chat_id": "1"}}),
            json!({"message": null}),
            json!({"messages": "hi"}),
        ] {
            let err = read(body.clone()).unwrap_err();
            assert!(
                matches!(err, ConnectorError::BadRequest(_)),
                "{body}: {err:?}"
            );
        }
    }

    #[test]
    fn unknown_top_level_fields_are_shared() {
        let root = json!({
            "message": {}, "chat": "not an object", "workspace_id": 7,
            "whatsapp_account": {"phone": "+972500000000", "plan": "pro"}
        });
        let root = root.as_object().cloned().unwrap();
        let d = Delivery::read(&root, &Settings::default()).unwrap();
        assert_eq!(d.account.phone.as_deref(), Some("+972500000000"));
        assert_eq!(
            attrs(&d.shared),
            [
                ("whatsapp_account.plan", "pro"),
                ("chat", "not an object"),
                ("workspace_id", "7"),
            ]
        );
    }
}
