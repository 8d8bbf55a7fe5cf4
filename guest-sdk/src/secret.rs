//! Comparing secrets without leaking their contents through timing.

/// Constant-time equality of two secrets. The length may leak (it is not
/// secret in any scheme we support); the contents do not.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // black_box keeps the optimiser from turning the loop into an early exit.
    std::hint::black_box(diff) == 0
}

/// Checks a presented secret against the configured one. `None` configured
/// means the installation has no secret, so anything (or nothing) passes.
pub fn check(configured: Option<&str>, presented: Option<&str>) -> bool {
    match (configured, presented) {
        (None, _) => true,
        (Some(c), Some(p)) => constant_time_eq(c, p),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares() {
        assert!(constant_time_eq("s3cret", "s3cret"));
        assert!(!constant_time_eq("s3cret", "s3creT"));
        assert!(!constant_time_eq("s3cret", "s3cre"));
        assert!(check(None, None));
        assert!(check(Some("x"), Some("x")));
        assert!(!check(Some("x"), None));
        assert!(!check(Some("x"), Some("y")));
    }
}
