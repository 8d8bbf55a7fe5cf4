//! Cursor pagination shared by list routes: `?limit=` (1 to 200, default 50)
//! and an opaque `?cursor=` from the previous page's `nextCursor`. A cursor
//! is the last row's sort key and id, base64url-encoded; clients must not
//! build one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The page size from `?limit=`, as given (text): whatever is wrong with it,
/// a word, a negative, zero, too many, is the one error `invalid_limit`.
pub fn limit(requested: Option<&str>) -> Result<u32, ApiError> {
    let Some(text) = requested else {
        return Ok(DEFAULT_LIMIT);
    };
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_limit",
                format!("`limit` must be a whole number from 1 to {MAX_LIMIT}"),
            )
        })
}

pub fn encode(sort_key: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{sort_key}:{id}"))
}

/// The next page's cursor: the last row's sort key and id when the page is
/// full (a shorter page is the last), else none.
pub fn next_cursor<T>(rows: &[T], limit: u32, key: impl Fn(&T) -> (i64, &str)) -> Option<String> {
    if rows.len() != limit as usize {
        return None;
    }
    rows.last().map(|row| {
        let (sort_key, id) = key(row);
        encode(sort_key, id)
    })
}

pub fn decode(cursor: Option<&str>) -> Result<Option<(i64, String)>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            "`cursor` cannot be read (pass `nextCursor` back as given)",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (key, id) = text.split_once(':').ok_or_else(invalid)?;
    let key = key.parse::<i64>().map_err(|_| invalid())?;
    if id.is_empty() {
        return Err(invalid());
    }
    Ok(Some((key, id.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode(1_700_000_000_000, "0190-abc");
        assert_eq!(
            decode(Some(&c)).unwrap(),
            Some((1_700_000_000_000, "0190-abc".to_owned()))
        );
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("nonum:x"),
            &URL_SAFE_NO_PAD.encode("5:"),
        ] {
            assert_eq!(
                decode(Some(bad)).unwrap_err().code,
                "invalid_cursor",
                "{bad}"
            );
        }
        for bad in ["0", "201", "-1", "abc", "", "1.5", "99999999999"] {
            assert_eq!(limit(Some(bad)).unwrap_err().code, "invalid_limit", "{bad}");
        }
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("200")).unwrap(), 200);
    }
}
