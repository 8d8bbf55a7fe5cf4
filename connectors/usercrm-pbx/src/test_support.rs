//! Request builders, directory fakes and small assertions shared by the unit
//! tests.

use std::cell::RefCell;

use serde_json::Value;
use switchboard_sdk::prelude::*;

use crate::fields::Fields;
use crate::ingest::Directory;

/// An installation of this connector with these non-secret settings.
pub fn installation(config: &[(&str, &str)]) -> Installation {
    Installation {
        id: "i1".into(),
        business_id: "b1".into(),
        kind: "usercrm-pbx".into(),
        config: pairs(config.iter().copied()),
    }
}

/// A JSON POST without `Authorization`.
pub fn post(body: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        query: Vec::new(),
        headers: pairs([("content-type", "application/json")]),
        body: body.as_bytes().to_vec(),
    }
}

/// A JSON POST with this `Authorization` header.
pub fn with_auth(body: &str, authorization: &str) -> HttpRequest {
    let mut request = post(body);
    request.headers.push(Pair {
        name: "authorization".into(),
        value: authorization.into(),
    });
    request
}

/// The seed prints the events it sends as Python dicts (`{'action': …}`);
/// real traffic is JSON (`Content-Type: application/json`). This turns the
/// seed's text into the JSON it stands for: single quotes become double
/// quotes. The seed's strings contain neither kind of quote, which is
/// checked.
pub fn seed_json(python_dict: &str) -> String {
    assert!(
        !python_dict.contains('"'),
        "a seed payload in Python notation has no double quotes"
    );
    python_dict.replace('\'', "\"")
}

/// An object as [`Fields`] named `body`.
pub fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => Fields::new(map, "body"),
        other => panic!("not an object: {other}"),
    }
}

pub fn user(id: &str, name: &str, pbx_user_id: Option<&str>) -> DirectoryUser {
    DirectoryUser {
        id: id.into(),
        name: name.into(),
        email: None,
        extension: None,
        pbx_user_id: pbx_user_id.map(str::to_string),
    }
}

pub fn contact(id: &str, kind: ContactKind, name: &str, owner: Option<&str>) -> Contact {
    Contact {
        id: id.into(),
        kind,
        name: name.into(),
        phones: Vec::new(),
        company_id: None,
        company_name: None,
        owner_user_id: owner.map(str::to_string),
    }
}

/// A directory in memory that records what it was asked.
#[derive(Default)]
pub struct FakeDirectory {
    pub users: Vec<DirectoryUser>,
    /// (E.164, contacts with it)
    pub contacts: Vec<(String, Vec<Contact>)>,
    pub asked: RefCell<Vec<String>>,
}

impl Directory for FakeDirectory {
    fn users(&self) -> Vec<DirectoryUser> {
        self.asked.borrow_mut().push("users".into());
        self.users.clone()
    }
    fn contacts(&self, phone_e164: &str) -> Vec<Contact> {
        self.asked
            .borrow_mut()
            .push(format!("contacts {phone_e164}"));
        self.contacts
            .iter()
            .filter(|(p, _)| p == phone_e164)
            .flat_map(|(_, c)| c.clone())
            .collect()
    }
}

/// The JSON body of a reply.
pub fn json_body(response: &HttpResponse) -> Value {
    serde_json::from_slice(&response.body).expect("reply is JSON")
}

/// Pairs as tuples, to compare (WIT records have no `PartialEq`).
pub fn attrs(list: &[Pair]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect()
}

/// The first attribute named `name`.
pub fn attr<'a>(list: &'a [Pair], name: &str) -> Option<&'a str> {
    find(list, name)
}
