//! Lengths and cuts in UTF-16 code units.
//!
//! Chat services count their message limits in UTF-16 code units (Telegram
//! measures entities in them; Discord's 2000 characters are never fewer).
//! A character outside the Basic Multilingual Plane (most emoji) is two
//! units, everything else one, so a length in units is never less than the
//! count of characters: text cut to a limit in units fits however the
//! service counts.

/// Length of `s` in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The longest prefix of `s` of at most `max` UTF-16 units, ending on a
/// character boundary: a character (or surrogate pair) that would cross
/// `max` is left out whole.
pub fn utf16_prefix(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += c.len_utf16();
        if used > max {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(utf16_len(""), 0);
        assert_eq!(utf16_len("abc"), 3);
        // Two surrogate pairs.
        assert_eq!(utf16_len("😀🚨"), 4);
        // A marker with a variation selector: two characters, one unit each.
        assert_eq!(utf16_len("ℹ️"), 2);
        // Thai: 3 bytes per character in UTF-8, one unit in UTF-16; the
        // combining vowel and tone marks are characters of their own.
        assert_eq!("สวัสดี".len(), 18);
        assert_eq!(utf16_len("สวัสดี"), 6);
    }

    #[test]
    fn prefixes_never_split_a_surrogate_pair() {
        let s = "a😀b";
        assert_eq!(utf16_prefix(s, 0), "");
        assert_eq!(utf16_prefix(s, 1), "a");
        // Room for half the emoji is no room for it.
        assert_eq!(utf16_prefix(s, 2), "a");
        assert_eq!(utf16_prefix(s, 3), "a😀");
        assert_eq!(utf16_prefix(s, 4), "a😀b");
        assert_eq!(utf16_prefix(&"😀".repeat(5), 7), "😀".repeat(3));
    }

    #[test]
    fn prefixes_of_thai_end_on_character_boundaries() {
        let s = "สวัสดีครับ";
        for max in 0..=utf16_len(s) + 1 {
            let p = utf16_prefix(s, max);
            assert!(s.starts_with(p));
            assert_eq!(utf16_len(p), max.min(utf16_len(s)), "{max}");
        }
        assert_eq!(utf16_prefix(s, 4), "สวัส");
    }

    #[test]
    fn a_prefix_at_exactly_the_length_is_the_whole_text() {
        let s = "x😀สวัสดี";
        let len = utf16_len(s);
        assert_eq!(utf16_prefix(s, len), s);
        assert_eq!(utf16_prefix(s, len + 10), s);
        assert_eq!(utf16_prefix(s, len - 1), "x😀สวัสด");
        assert_eq!(utf16_prefix("", 0), "");
        assert_eq!(utf16_prefix("", 5), "");
    }
}
