//! Admission refusals (a tenant over its rate or concurrency limit) are
//! normal under load and can come thousands a second, so they are not
//! logged or recorded one by one. Per tenant, the first refusal of a
//! [`WINDOW`] is logged and recorded as an incident with how many calls were
//! refused since the last report; the rest are only counted.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct RefusalLog {
    tenants: Mutex<HashMap<String, (Instant, u64)>>,
}

impl RefusalLog {
    /// Counts a refusal for `business`; returns `Some(n)` when this one
    /// should be reported, `n` being the refusals since the last report
    /// (this one included).
    pub fn note(&self, business: &str, now: Instant) -> Option<u64> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        match tenants.get_mut(business) {
            Some((last, count)) if now.duration_since(*last) < WINDOW => {
                *count += 1;
                None
            }
            Some((last, count)) => {
                let n = *count + 1;
                *last = now;
                *count = 0;
                Some(n)
            }
            None => {
                tenants.insert(business.to_owned(), (now, 0));
                Some(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_of_each_window_with_the_count_since() {
        let log = RefusalLog::default();
        let t0 = Instant::now();
        assert_eq!(log.note("a", t0), Some(1));
        for i in 1..=5 {
            assert_eq!(log.note("a", t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(log.note("b", t0), Some(1), "per tenant");
        assert_eq!(log.note("a", t0 + WINDOW), Some(6));
        assert_eq!(log.note("a", t0 + WINDOW + Duration::from_millis(1)), None);
    }
}
