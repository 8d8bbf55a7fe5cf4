//! `get_contact`: who is calling, and which of our users is responsible for
//! them, so the PBX can put the call through to that user.
//!
//! The PBX sends the number as the seed's "E164 without the country code"
//! (`phone: "4951343060"`) and/or `e164_phone: "74951343060"`. We look the
//! contact up by E.164 and answer the seed's `list` of companies and
//! contacts with `owner_id`: the responsible user as the PBX knows them.

use serde_json::{Value, json};
use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;

use crate::action::Action;
use crate::fields::Fields;
use crate::parties::e164_without_plus;
use crate::reply::{self, id_value};

/// The E.164 numbers to look up, best first: `e164_phone` (read as
/// international whatever the country setting), then `phone` read with the
/// installation's calling code. Neither field → bad request; fields that are
/// not numbers (`anonymous`) give no candidates, and the reply is an empty
/// list.
pub fn phones(params: &mut Fields, country: &str) -> Result<Vec<String>, ConnectorError> {
    let e164 = params.text("e164_phone");
    let national = params.text("phone");
    if e164.is_none() && national.is_none() {
        return Err(ConnectorError::BadRequest(
            "missing `params.phone` (or `params.e164_phone`)".into(),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    let candidates = [
        e164.as_deref().and_then(e164_without_plus),
        national.as_deref().and_then(|p| to_e164(p, Some(country))),
    ];
    for phone in candidates.into_iter().flatten() {
        if !out.contains(&phone) {
            out.push(phone);
        }
    }
    Ok(out)
}

/// The contacts of the first number that has any (the host's
/// `find-contacts` is one number at a time).
pub fn lookup(phones: &[String], mut find: impl FnMut(&str) -> Vec<Contact>) -> Vec<Contact> {
    phones
        .iter()
        .map(|p| find(p))
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}

/// Whether the reply needs the user list (to turn owners into PBX ids).
pub fn needs_users(contacts: &[Contact]) -> bool {
    contacts.iter().any(|c| c.owner_user_id.is_some())
}

/// The seed's reply:
///
/// ```json
/// {"obj": "UserCRM", "action": "get_contact", "action_id": "123", "code": 200,
///  "list": [
///    {"name": "Компания", "id": 1, "type": "company", "owner_id": 1004},
///    {"name": "Петров АА", "id": 2, "type": "contact",
///     "company_id": 1, "company_name": "Компания", "owner_id": 1004}]}
/// ```
///
/// Companies first, then contacts, each in directory order, without
/// repeats. The seed's example swaps `company_id` and `company_name`
/// (`"company_id": "Компания", "company_name": "1"`); we send each under its
/// own name. Absent values are `null`. Nothing found is `"list": []`.
pub fn reply(action_id: Option<&str>, contacts: &[Contact], users: &[DirectoryUser]) -> Value {
    let mut seen: Vec<(bool, &str)> = Vec::new();
    let mut ordered: Vec<&Contact> = Vec::new();
    for company_pass in [true, false] {
        for c in contacts {
            let is_company = c.kind == ContactKind::Company;
            if is_company == company_pass && !seen.contains(&(is_company, c.id.as_str())) {
                seen.push((is_company, c.id.as_str()));
                ordered.push(c);
            }
        }
    }
    let list: Vec<Value> = ordered.into_iter().map(|c| entry(c, users)).collect();
    let mut map = reply::envelope(Action::GetContact.name(), action_id, 200);
    map.insert("list".into(), Value::Array(list));
    Value::Object(map)
}

fn entry(contact: &Contact, users: &[DirectoryUser]) -> Value {
    let owner = owner_id(contact.owner_user_id.as_deref(), users);
    match contact.kind {
        ContactKind::Company => json!({
            "name": contact.name,
            "id": id_value(&contact.id),
            "type": "company",
            "owner_id": owner,
        }),
        ContactKind::Contact => json!({
            "name": contact.name,
            "id": id_value(&contact.id),
            "type": "contact",
            "company_id": contact.company_id.as_deref().map(id_value),
            "company_name": contact.company_name,
            "owner_id": owner,
        }),
    }
}

/// The responsible user as the PBX should know them: their `pbx-user-id`
/// when the directory has one, otherwise our id (which the PBX knows from
/// `get_users`; the seed allows either "the user's number or their CRM
/// id"). An owner the directory no longer lists is sent as our id; no owner
/// is `null`.
pub fn owner_id(owner: Option<&str>, users: &[DirectoryUser]) -> Value {
    let Some(owner) = owner else {
        return Value::Null;
    };
    let pbx_id = users
        .iter()
        .find(|u| u.id == owner)
        .and_then(|u| u.pbx_user_id.as_deref())
        .map(str::trim)
        .filter(|id| !id.is_empty());
    id_value(pbx_id.unwrap_or(owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{contact, fields, user};

    #[test]
    fn phone_candidates() {
        let mut p = fields(json!({"phone": "4951343060", "e164_phone": "74951343060"}));
        assert_eq!(phones(&mut p, "7").unwrap(), ["+74951343060"]);
        let mut p = fields(json!({"phone": "4951343060"}));
        assert_eq!(phones(&mut p, "7").unwrap(), ["+74951343060"]);
        let mut p = fields(json!({"e164_phone": 74951343060u64}));
        assert_eq!(phones(&mut p, "84").unwrap(), ["+74951343060"]);
        let mut p = fields(json!({"phone": "anonymous"}));
        assert!(phones(&mut p, "7").unwrap().is_empty());
        let mut p = fields(json!({"phone": "", "other": 1}));
        let err = phones(&mut p, "7").unwrap_err();
        assert!(
            matches!(err, ConnectorError::BadRequest(ref m) if m.contains("`params.phone`")),
            "{err:?}"
        );
    }

    #[test]
    fn lookup_stops_at_the_first_hit() {
        let phones = vec!["+1".to_string(), "+2".to_string(), "+3".to_string()];
        let mut asked = Vec::new();
        let found = lookup(&phones, |p| {
            asked.push(p.to_string());
            if p == "+2" {
                vec![contact("c1", ContactKind::Contact, "A", None)]
            } else {
                Vec::new()
            }
        });
        assert_eq!(found.len(), 1);
        assert_eq!(asked, ["+1", "+2"]);
    }

    #[test]
    fn owners() {
        let users = [
            user("u1", "Рита", Some("1004")),
            user("u2", "Иван", None),
            user("u3", "Олег", Some(" ")),
        ];
        assert_eq!(owner_id(Some("u1"), &users), json!(1004));
        assert_eq!(owner_id(Some("u2"), &users), json!("u2"));
        assert_eq!(owner_id(Some("u3"), &users), json!("u3"));
        assert_eq!(owner_id(Some("42"), &users), json!(42));
        assert_eq!(owner_id(None, &users), Value::Null);
    }

    #[test]
    fn companies_first_without_repeats() {
        let found = [
            contact("2", ContactKind::Contact, "Петров АА", None),
            contact("1", ContactKind::Company, "Компания", None),
            contact("2", ContactKind::Contact, "Петров АА", None),
        ];
        let r = reply(None, &found, &[]);
        assert_eq!(
            r,
            json!({"action": "get_contact", "obj": "UserCRM", "code": 200, "list": [
                {"name": "Компания", "id": 1, "type": "company", "owner_id": null},
                {"name": "Петров АА", "id": 2, "type": "contact", "company_id": null,
                 "company_name": null, "owner_id": null},
            ]})
        );
        assert!(!needs_users(&found));
    }
}
