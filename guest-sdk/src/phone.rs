//! Phone numbers to E.164.
//!
//! Vendors send numbers in every shape: `+84 90 123 4567`, `0901234567`,
//! `84901234567`, Russian `8 (495) 134-30-60`, or 10-digit national
//! `4951343060`. Switchboard stores E.164 (`+84901234567`) so one customer is
//! one customer across vendors. A connector knows its PBX's country from the
//! installation's `defaultCountryCode` setting (a calling code such as `84`).

/// Normalises `raw` to E.164, or `None` when it is not a phone number we can
/// place (extensions, `anonymous`, SIP URIs, too short or too long).
///
/// `country` is the calling code (`"84"`, `"66"`, `"7"`) used to read national
/// numbers; without it only international forms are accepted.
pub fn to_e164(raw: &str, country: Option<&str>) -> Option<String> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let country = country
        .map(|c| c.trim_start_matches('+'))
        .filter(|c| !c.is_empty());
    let international = if plus {
        digits
    } else if let Some(intl) = digits.strip_prefix("00") {
        intl.to_string()
    } else {
        national_to_international(&digits, country)?
    };
    valid(&international).then(|| format!("+{international}"))
}

fn national_to_international(d: &str, country: Option<&str>) -> Option<String> {
    // Russia and Kazakhstan dial 8 as the trunk prefix before 10 digits, and
    // their PBXs often drop the country code altogether (seed 002 searches by
    // the 10-digit form).
    if country == Some("7") {
        return match d.len() {
            11 if d.starts_with('8') || d.starts_with('7') => Some(format!("7{}", &d[1..])),
            10 => Some(format!("7{d}")),
            _ => None,
        };
    }
    match country {
        Some(cc) if d.starts_with('0') && !d.starts_with("00") => Some(format!("{cc}{}", &d[1..])),
        // Already international, written without the `+`.
        Some(cc) if d.starts_with(cc) && d.len() >= 10 => Some(d.to_string()),
        Some(cc) if d.len() >= 8 => Some(format!("{cc}{d}")),
        // Without a country only a long number that starts with a calling
        // code in use can be international: `89161234567` (a Russian
        // national number with its trunk 8) is not `+89…`, which no country
        // has, so it is left unplaced rather than guessed.
        None if d.len() >= 11 && assigned_calling_code(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Whether `digits` start with an assigned ITU-T E.164 country calling code
/// (as of 2024; unassigned and spare codes answer false).
fn assigned_calling_code(digits: &str) -> bool {
    const TWO: &[u8] = &[
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55,
        56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    // Three-digit codes, by their first two digits: the third digits in use.
    const THREE: &[(u8, &str)] = &[
        (21, "12368"),
        (22, "0123456789"),
        (23, "0123456789"),
        (24, "0123456789"),
        (25, "012345678"),
        (26, "0123456789"),
        (29, "01789"),
        (35, "0123456789"),
        (37, "012345678"),
        (38, "01235679"),
        (42, "013"),
        (50, "0123456789"),
        (59, "0123456789"),
        (67, "023456789"),
        (68, "0123456789"),
        (69, "012"),
        (80, "08"),
        (85, "02356"),
        (87, "08"),
        (88, "012368"),
        (96, "012345678"),
        (97, "01234567"),
        (99, "2345678"),
    ];
    let b = digits.as_bytes();
    if b.len() < 3 || !b.iter().take(3).all(u8::is_ascii_digit) {
        return false;
    }
    if matches!(b[0], b'1' | b'7') {
        return true;
    }
    let two = (b[0] - b'0') * 10 + (b[1] - b'0');
    TWO.contains(&two)
        || THREE
            .iter()
            .any(|(p, thirds)| *p == two && thirds.as_bytes().contains(&b[2]))
}

/// E.164 allows at most 15 digits; anything under 8 is an extension or a
/// service number, never a customer.
fn valid(digits: &str) -> bool {
    (8..=15).contains(&digits.len()) && !digits.starts_with('0')
}

/// The national significant number: E.164 without `+` and the calling code
/// (`+74951343060` with country `7` → `4951343060`).
pub fn national(e164: &str, country: &str) -> Option<String> {
    e164.strip_prefix('+')?
        .strip_prefix(country)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_forms() {
        assert_eq!(
            to_e164("+84 90 123 4567", None).as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            to_e164("0084901234567", None).as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            to_e164("+7 (495) 252-30-60", None).as_deref(),
            Some("+74952523060")
        );
    }

    #[test]
    fn national_forms_with_country() {
        assert_eq!(
            to_e164("0901234567", Some("84")).as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            to_e164("84901234567", Some("84")).as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            to_e164("021234567", Some("66")).as_deref(),
            Some("+6621234567")
        );
        assert_eq!(
            to_e164("4951343060", Some("7")).as_deref(),
            Some("+74951343060")
        );
        assert_eq!(
            to_e164("89066800404", Some("7")).as_deref(),
            Some("+79066800404")
        );
        assert_eq!(
            to_e164("74951343060", Some("+7")).as_deref(),
            Some("+74951343060")
        );
    }

    #[test]
    fn without_a_country_only_assigned_calling_codes_are_international() {
        assert_eq!(
            to_e164("84901234567", None).as_deref(),
            Some("+84901234567")
        );
        assert_eq!(
            to_e164("79161234567", None).as_deref(),
            Some("+79161234567")
        );
        assert_eq!(
            to_e164("66812345678", None).as_deref(),
            Some("+66812345678")
        );
        assert_eq!(
            to_e164("972540000000", None).as_deref(),
            Some("+972540000000")
        );
        // A Russian national number with its trunk 8: no country is +89.
        assert_eq!(to_e164("89161234567", None), None);
        assert_eq!(to_e164("83012345678", None), None);
        // With the country it is read correctly.
        assert_eq!(
            to_e164("89161234567", Some("7")).as_deref(),
            Some("+79161234567")
        );
    }

    #[test]
    fn not_phone_numbers() {
        assert_eq!(to_e164("101", Some("84")), None);
        assert_eq!(to_e164("anonymous", Some("84")), None);
        assert_eq!(to_e164("0901234567", None), None);
        assert_eq!(to_e164("+1234567890123456", None), None);
        assert_eq!(to_e164("", Some("84")), None);
    }

    #[test]
    fn national_part() {
        assert_eq!(national("+74951343060", "7").as_deref(), Some("4951343060"));
        assert_eq!(national("+84901234567", "7"), None);
    }
}
