//! Call durations, from a `duration` field or from the call-ended `title`.
//!
//! The title is a free phrase ("a) the name of the DID rule; b) whether a
//! callback was ordered; c) call duration") whose exact wording the document
//! does not give. A duration is read from it only when that cannot be wrong:
//! the title holds exactly one time-like token and it is `h:mm:ss`. A lone
//! `12:34` could be minutes:seconds or a clock time, and two tokens could be
//! anything, so both leave the duration unknown.

/// A `duration` field: `83` seconds, `01:23` (mm:ss, as public material
/// shows `"00:06"`) or `0:01:23` (h:mm:ss).
pub fn from_field(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().ok();
    }
    clock(raw)
}

/// The duration in a title, when unambiguous (see the module doc).
pub fn from_title(title: &str) -> Option<u32> {
    let mut tokens = title
        .split(|c: char| !(c.is_ascii_digit() || c == ':'))
        .filter(|t| t.contains(':') && t.bytes().any(|b| b.is_ascii_digit()));
    let only = tokens.next()?;
    if tokens.next().is_some() || only.split(':').count() != 3 {
        return None;
    }
    clock(only)
}

/// `[h:]mm:ss` in seconds; minutes and seconds below 60 when they are not
/// the leading part.
fn clock(raw: &str) -> Option<u32> {
    let parts: Vec<&str> = raw.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut total: u32 = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || (i > 0 && part.len() > 2) || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let n: u32 = part.parse().ok()?;
        if i > 0 && n >= 60 {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(n)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(from_field("83"), Some(83));
        assert_eq!(from_field("00:06"), Some(6));
        assert_eq!(from_field("01:23"), Some(83));
        assert_eq!(from_field("1:02:03"), Some(3723));
        assert_eq!(from_field("1:75"), None);
        assert_eq!(from_field("about a minute"), None);
    }

    #[test]
    fn titles() {
        assert_eq!(
            from_title("Входящий на линию Main, длительность 00:01:23"),
            Some(83)
        );
        assert_eq!(
            from_title("Incoming call via 'Sales 2', duration 0:10:05"),
            Some(605)
        );
        // mm:ss or a clock time? Unknown.
        assert_eq!(from_title("Входящий, длительность 01:23"), None);
        // Two time-like tokens: which is the duration?
        assert_eq!(from_title("в 16:56:49, длительность 00:01:23"), None);
        assert_eq!(from_title("Пропущенный, заказан обратный звонок"), None);
        assert_eq!(from_title("bad 1:99:00"), None);
    }
}
