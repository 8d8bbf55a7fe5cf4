//! The numbers of a call: the customer's, the DID, and whether the "caller"
//! is really one of our own extensions.

use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;

/// 3CX extensions are short (2–6 digits by default); longer digit strings
/// are phone numbers, even if we cannot normalise them.
const MAX_EXTENSION_DIGITS: usize = 6;

/// Whether `raw` looks like one of our extensions rather than a phone number.
pub fn is_extension(raw: &str) -> bool {
    (1..=MAX_EXTENSION_DIGITS).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit())
}

/// The `callerid` of a call event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// E.164, when it is a phone number we could place.
    pub phone: Option<String>,
    /// The "external" party is one of our extensions: an internal call.
    pub internal: bool,
}

/// Reads a callerid. The raw text goes to `raw.callerid` whenever it differs
/// from the stored phone (including when nothing could be stored); an
/// extension also goes to `internal.callerid`, so the other side of an
/// internal call is not lost.
pub fn caller(raw: Option<&str>, country: Option<&str>, attributes: &mut Vec<Pair>) -> Caller {
    let Some(raw) = raw else {
        return Caller::default();
    };
    let internal = is_extension(raw);
    let phone = if internal {
        None
    } else {
        to_e164(raw, country)
    };
    keep_raw("callerid", raw, phone.as_deref(), attributes);
    if internal {
        attributes.push(Pair {
            name: "internal.callerid".into(),
            value: raw.to_string(),
        });
    }
    Caller { phone, internal }
}

/// Reads a DID: E.164 when possible, otherwise the vendor's text (the DID
/// field is not a `*-phone` field, so a number we cannot place is still
/// worth showing).
pub fn did(raw: Option<&str>, country: Option<&str>, attributes: &mut Vec<Pair>) -> Option<String> {
    let raw = raw?;
    let e164 = to_e164(raw, country);
    keep_raw("did", raw, e164.as_deref(), attributes);
    Some(e164.unwrap_or_else(|| raw.to_string()))
}

fn keep_raw(field: &str, raw: &str, stored: Option<&str>, attributes: &mut Vec<Pair>) {
    if stored != Some(raw) {
        attributes.push(Pair {
            name: format!("raw.{field}"),
            value: raw.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;

    #[test]
    fn national_caller_is_normalised_and_raw_kept() {
        let mut a = Vec::new();
        let c = caller(Some("8 (495) 134-30-60"), Some("7"), &mut a);
        assert_eq!(
            c,
            Caller {
                phone: Some("+74951343060".into()),
                internal: false
            }
        );
        assert_eq!(attrs(&a), [("raw.callerid", "8 (495) 134-30-60")]);
    }

    #[test]
    fn e164_caller_adds_nothing() {
        let mut a = Vec::new();
        let c = caller(Some("+74951343060"), Some("7"), &mut a);
        assert_eq!(c.phone.as_deref(), Some("+74951343060"));
        assert!(a.is_empty());
    }

    #[test]
    fn extension_caller_is_internal() {
        let mut a = Vec::new();
        let c = caller(Some("101"), Some("7"), &mut a);
        assert_eq!(
            c,
            Caller {
                phone: None,
                internal: true
            }
        );
        assert_eq!(
            attrs(&a),
            [("raw.callerid", "101"), ("internal.callerid", "101")]
        );
    }

    #[test]
    fn anonymous_is_external_without_phone() {
        let mut a = Vec::new();
        let c = caller(Some("anonymous"), Some("7"), &mut a);
        assert_eq!(
            c,
            Caller {
                phone: None,
                internal: false
            }
        );
        assert_eq!(attrs(&a), [("raw.callerid", "anonymous")]);
    }

    #[test]
    fn did_falls_back_to_raw() {
        let mut a = Vec::new();
        assert_eq!(
            did(Some("84951343060"), Some("7"), &mut a).as_deref(),
            Some("+74951343060")
        );
        assert_eq!(
            did(Some("1000"), Some("7"), &mut a).as_deref(),
            Some("1000")
        );
        assert_eq!(did(None, Some("7"), &mut a), None);
        assert_eq!(attrs(&a), [("raw.did", "84951343060"), ("raw.did", "1000")]);
    }
}
