//! People: the WhatsApp account on our side (`whatsapp_account`) and the
//! `sender` and `recipient` of a message, as `chat-party`.

use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;

use crate::fields;
use crate::json::{self, Object};

/// Reads the party at `path` (`sender`, `whatsapp_account`, …) into its
/// name, phone and email. A phone that is not E.164 as sent keeps its text in
/// `raw.{path}.phone`; every other field is kept as `{path}.{key}`. A missing
/// object is a party with nothing known (group chats leave phones blank).
pub fn read(
    object: Option<&Object>,
    path: &str,
    country: Option<&str>,
    attributes: &mut Vec<Pair>,
) -> ChatParty {
    let Some(object) = object else {
        return ChatParty {
            name: None,
            phone: None,
            email: None,
        };
    };
    let raw_phone = json::get_text(object, fields::PHONE);
    let phone = raw_phone.as_deref().and_then(|raw| e164(raw, country));
    if let Some(raw) = raw_phone.as_deref()
        && phone.as_deref() != Some(raw)
    {
        attributes.push(Pair {
            name: format!("raw.{path}.phone"),
            value: raw.to_string(),
        });
    }
    attributes.extend(json::leftovers(
        object,
        &format!("{path}."),
        &[fields::FULL_NAME, fields::PHONE, fields::EMAIL],
    ));
    ChatParty {
        name: json::get_text(object, fields::FULL_NAME),
        phone,
        email: json::get_text(object, fields::EMAIL),
    }
}

/// A WhatsApp number to E.164. Besides the usual forms, a WhatsApp id
/// (`972540000000@c.us`, `…@s.whatsapp.net`) is read as the number before `@`.
pub fn e164(raw: &str, country: Option<&str>) -> Option<String> {
    let number = match raw.split_once('@') {
        Some((number, "c.us" | "s.whatsapp.net")) => number,
        _ => raw,
    };
    to_e164(number, country)
}

/// Whether two parties have the same (normalised) phone.
pub fn same_phone(a: &ChatParty, b: &ChatParty) -> bool {
    matches!((&a.phone, &b.phone), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;
    use serde_json::json;

    fn party(value: serde_json::Value, country: Option<&str>) -> (ChatParty, Vec<Pair>) {
        let object = value.as_object().cloned().unwrap();
        let mut a = Vec::new();
        let p = read(Some(&object), "sender", country, &mut a);
        (p, a)
    }

    #[test]
    fn e164_phone_adds_no_raw() {
        let (p, a) = party(
            json!({"full_name": "John Doe", "phone": "+972540000000"}),
            None,
        );
        assert_eq!(p.name.as_deref(), Some("John Doe"));
        assert_eq!(p.phone.as_deref(), Some("+972540000000"));
        assert_eq!(p.email, None);
        assert!(a.is_empty(), "{a:?}");
    }

    #[test]
    fn national_and_whatsapp_ids_are_normalised_raw_kept() {
        let (p, a) = party(json!({"phone": "054-000-0000"}), Some("972"));
        assert_eq!(p.phone.as_deref(), Some("+972540000000"));
        assert_eq!(attrs(&a), [("raw.sender.phone", "054-000-0000")]);
        let (p, _) = party(json!({"phone": "972540000000@c.us"}), None);
        assert_eq!(p.phone.as_deref(), Some("+972540000000"));
    }

    #[test]
    fn blank_phone_is_absent_and_unreadable_phone_is_kept() {
        let (p, a) = party(json!({"full_name": "Group", "phone": ""}), None);
        assert_eq!(p.phone, None);
        assert!(a.is_empty(), "{a:?}");
        let (p, a) = party(
            json!({"phone": "hidden", "email": "j@x.io", "avatar": "u"}),
            None,
        );
        assert_eq!(p.phone, None);
        assert_eq!(p.email.as_deref(), Some("j@x.io"));
        assert_eq!(
            attrs(&a),
            [("raw.sender.phone", "hidden"), ("sender.avatar", "u")]
        );
    }

    #[test]
    fn missing_party_is_empty() {
        let mut a = Vec::new();
        let p = read(None, "recipient", None, &mut a);
        assert_eq!((p.name, p.phone, p.email), (None, None, None));
        assert!(a.is_empty());
    }
}
