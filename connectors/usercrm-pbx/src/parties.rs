//! The numbers of a call: the customer's, the gateway (DID), and whether a
//! "number" is really one of our own extensions.

use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;

use crate::fields::pair;

/// The seed's users are 4 digits (`9022`, `1022`, `1004`); PBX users are
/// short, phone numbers are not.
const MAX_EXTENSION_DIGITS: usize = 6;

/// Whether `raw` looks like one of our extensions rather than a phone number.
pub fn is_extension(raw: &str) -> bool {
    (1..=MAX_EXTENSION_DIGITS).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit())
}

/// The external party of a call (`other_leg`, a CDR's `src`/`dst`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// E.164, when it is a phone number we could place.
    pub phone: Option<String>,
    /// The "external" party is one of our extensions: an internal call.
    pub internal: bool,
}

/// Reads the external party from the field `field`. The raw text goes to
/// `raw.<field>` whenever it differs from the stored phone (including when
/// nothing could be stored); an extension also goes to `internal.<field>`.
pub fn party(raw: Option<&str>, field: &str, country: &str, attributes: &mut Vec<Pair>) -> Party {
    let Some(raw) = raw else {
        return Party::default();
    };
    let internal = is_extension(raw);
    let phone = if internal {
        None
    } else {
        to_e164(raw, Some(country))
    };
    keep_raw(field, raw, phone.as_deref(), attributes);
    if internal {
        attributes.push(pair(format!("internal.{field}"), raw));
    }
    Party { phone, internal }
}

/// The gateway number the call came in on or went out by: E.164 when
/// possible, otherwise the vendor's text (`did` is not a `*-phone` field).
pub fn did(
    raw: Option<&str>,
    field: &str,
    country: &str,
    attributes: &mut Vec<Pair>,
) -> Option<String> {
    let raw = raw?;
    let e164 = to_e164(raw, Some(country));
    keep_raw(field, raw, e164.as_deref(), attributes);
    Some(e164.unwrap_or_else(|| raw.to_string()))
}

/// A number the PBX sends in E.164 without the `+` (`e164_phone:
/// "74951343060"`); read as international whatever the country setting.
pub fn e164_without_plus(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let international = if raw.starts_with('+') {
        raw.to_string()
    } else {
        format!("+{raw}")
    };
    to_e164(&international, None)
}

fn keep_raw(field: &str, raw: &str, stored: Option<&str>, attributes: &mut Vec<Pair>) {
    if stored != Some(raw) {
        attributes.push(pair(format!("raw.{field}"), raw));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;

    #[test]
    fn e164_other_leg_adds_nothing() {
        let mut a = Vec::new();
        let p = party(Some("+74952523060"), "other_leg", "7", &mut a);
        assert_eq!(p.phone.as_deref(), Some("+74952523060"));
        assert!(!p.internal);
        assert!(a.is_empty());
    }

    #[test]
    fn national_number_is_normalised_and_raw_kept() {
        let mut a = Vec::new();
        let p = party(Some("89066800404"), "dst", "7", &mut a);
        assert_eq!(p.phone.as_deref(), Some("+79066800404"));
        assert_eq!(attrs(&a), [("raw.dst", "89066800404")]);
    }

    #[test]
    fn extension_is_internal() {
        let mut a = Vec::new();
        let p = party(Some("9022"), "src", "7", &mut a);
        assert_eq!(
            p,
            Party {
                phone: None,
                internal: true
            }
        );
        assert_eq!(attrs(&a), [("raw.src", "9022"), ("internal.src", "9022")]);
    }

    #[test]
    fn did_falls_back_to_raw() {
        let mut a = Vec::new();
        assert_eq!(
            did(Some("74951343060"), "gateway_number", "7", &mut a).as_deref(),
            Some("+74951343060")
        );
        assert_eq!(
            did(Some("Test1"), "gateway", "7", &mut a).as_deref(),
            Some("Test1")
        );
        assert_eq!(
            attrs(&a),
            [
                ("raw.gateway_number", "74951343060"),
                ("raw.gateway", "Test1")
            ]
        );
    }

    #[test]
    fn e164_without_plus_ignores_the_country() {
        assert_eq!(
            e164_without_plus("74951343060").as_deref(),
            Some("+74951343060")
        );
        assert_eq!(
            e164_without_plus("+84901234567").as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            e164_without_plus("4951343060").as_deref(),
            Some("+4951343060")
        );
        assert_eq!(e164_without_plus("abc"), None);
    }
}
