//! Timestamps without a date library: vendors send a handful of formats and
//! components should stay small.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of a civil date-time in a zone `offset_minutes`
/// east of UTC. `None` for impossible fields.
pub fn civil_to_ms(
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    offset_minutes: i32,
) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s)
        - i64::from(offset_minutes) * 60;
    Some(secs * 1000)
}

/// Parses `2019-08-16 15:29:30`, `2021-02-24T16:25:29+0000`,
/// `2024-05-01T10:00:00.123Z`, `…+07:00`. A time without a zone is read in
/// `default_offset_minutes` (the PBX's local time).
pub fn parse_datetime(s: &str, default_offset_minutes: i32) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        let digits = &frac[..n];
        millis = format!("{digits:0<3}").get(..3)?.parse().ok()?;
        rest = &frac[n..];
    }
    let offset = match rest {
        "" => default_offset_minutes,
        "Z" | "z" => 0,
        zone => parse_offset(zone)?,
    };
    Some(civil_to_ms(i64::from(y), mo, d, h, mi, sec, offset)? + millis)
}

/// `+0700`, `+07:00`, `-05`, in minutes east of UTC.
pub fn parse_offset(zone: &str) -> Option<i32> {
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    Some(sign * (h * 60 + m))
}

/// `yyMMddHHmmss` (as in 3CX call ids `210701165649_…`), read in the PBX's
/// zone. Years are 2000-based.
pub fn parse_compact(s: &str, offset_minutes: i32) -> Option<i64> {
    if s.len() != 12 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    civil_to_ms(
        2000 + i64::from(n(0..2)?),
        n(2..4)?,
        n(4..6)?,
        n(6..8)?,
        n(8..10)?,
        n(10..12)?,
        offset_minutes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2019-08-16 15:29:30 UTC = 1565969370
        assert_eq!(
            parse_datetime("2019-08-16 15:29:30", 0),
            Some(1_565_969_370_000)
        );
        // The same wall time in Vietnam (UTC+7) is 7 hours earlier in UTC.
        assert_eq!(
            parse_datetime("2019-08-16 15:29:30", 420),
            Some(1_565_969_370_000 - 7 * 3_600_000)
        );
        assert_eq!(
            parse_datetime("2021-02-24T16:25:29+0000", 420),
            Some(1_614_183_929_000)
        );
        assert_eq!(
            parse_datetime("2021-02-24T23:25:29+07:00", 0),
            Some(1_614_183_929_000)
        );
        assert_eq!(
            parse_datetime("2021-02-24T16:25:29.5Z", 0),
            Some(1_614_183_929_500)
        );
        assert_eq!(parse_compact("210701165649", 0), Some(1_625_158_609_000));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_datetime("16/08/2019 15:29", 0), None);
        assert_eq!(parse_datetime("2019-13-16 15:29:30", 0), None);
        assert_eq!(parse_datetime("2019-08-16 15:29:30 PST", 0), None);
        assert_eq!(parse_compact("21070116564", 0), None);
    }
}
