//! `application/x-www-form-urlencoded` parsing (query strings and form bodies).

/// Parses `a=1&b=x+y&c=%C3%A9` into decoded pairs, in order. Malformed
/// percent-escapes are kept literally rather than rejected: vendors send them.
pub fn parse(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(part), String::new()),
        })
        .collect()
}

/// Decodes one form component: `+` is a space, `%XX` a byte.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes one form component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_keeps_order() {
        let got = parse("event=ringing&callerid=%2B84901234567&title=Hello+world&flag");
        assert_eq!(
            got,
            vec![
                ("event".into(), "ringing".into()),
                ("callerid".into(), "+84901234567".into()),
                ("title".into(), "Hello world".into()),
                ("flag".into(), String::new()),
            ]
        );
    }

    #[test]
    fn utf8_and_malformed_escapes() {
        assert_eq!(decode("%D0%97%D0%B2%D0%BE%D0%BD%D0%BE%D0%BA"), "Звонок");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%4"), "%4");
    }

    #[test]
    fn encode_round_trips() {
        let s = "a b&c=d/é";
        assert_eq!(decode(&encode(s)), s);
    }
}
