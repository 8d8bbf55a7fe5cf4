//! The customer's number: E.164 for the model, the vendor's text kept.

use switchboard_sdk::phone::to_e164;
use switchboard_sdk::prelude::*;

/// Reads `phone` (`090xxxxxxx`, `84904824242`, `+84 90 482 4242`) as E.164
/// with the installation's calling code. The raw text goes to the attribute
/// `raw.phone` whenever it differs from what is stored, including when
/// nothing could be stored (a masked or hidden number).
pub fn customer_phone(
    raw: Option<&str>,
    country: &str,
    attributes: &mut Vec<Pair>,
) -> Option<String> {
    let raw = raw?;
    let e164 = to_e164(raw, Some(country));
    if e164.as_deref() != Some(raw) {
        attributes.push(Pair {
            name: "raw.phone".into(),
            value: raw.to_string(),
        });
    }
    e164
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::attrs;

    #[test]
    fn national_numbers_become_e164_and_raw_is_kept() {
        let mut a = Vec::new();
        let phone = customer_phone(Some("0904824242"), "84", &mut a);
        assert_eq!(phone.as_deref(), Some("+84904824242"));
        assert_eq!(attrs(&a), vec![("raw.phone", "0904824242")]);
    }

    #[test]
    fn e164_input_is_not_repeated() {
        let mut a = Vec::new();
        let phone = customer_phone(Some("+84904824242"), "84", &mut a);
        assert_eq!(phone.as_deref(), Some("+84904824242"));
        assert!(a.is_empty());
    }

    #[test]
    fn masked_numbers_are_kept_raw_only() {
        let mut a = Vec::new();
        assert_eq!(customer_phone(Some("090xxxx242"), "84", &mut a), None);
        assert_eq!(attrs(&a), vec![("raw.phone", "090xxxx242")]);
        assert_eq!(customer_phone(None, "84", &mut a), None);
        assert_eq!(a.len(), 1);
    }
}
