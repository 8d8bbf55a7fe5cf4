//! Admission control: per-tenant concurrency and call rate, checked before a
//! component is instantiated, so a noisy tenant is turned away cheaply and
//! never takes capacity from the others.

use super::limits::{Breach, Limits};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per-tenant gates. Cheap to clone.
#[derive(Default, Clone)]
pub struct Admission {
    tenants: Arc<Mutex<HashMap<String, Arc<TenantGate>>>>,
}

struct TenantGate {
    concurrency: Arc<Semaphore>,
    concurrency_limit: u32,
    bucket: Mutex<TokenBucket>,
}

/// A token bucket holding up to a minute's allowance, refilled continuously:
/// bursts up to the per-minute limit are fine, a sustained excess is not.
struct TokenBucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(per_minute: u32) -> Self {
        let capacity = f64::from(per_minute.max(1));
        TokenBucket {
            tokens: capacity,
            capacity,
            per_sec: capacity / 60.0,
            last: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Held for the duration of a call; releases the tenant's concurrency slot on drop.
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// Admits one call of `tenant` under `limits`, or says which limit refused it.
    pub fn admit(&self, tenant: &str, limits: &Limits) -> Result<Ticket, Breach> {
        let gate = self.gate(tenant, limits);
        let permit = Arc::clone(&gate.concurrency)
            .try_acquire_owned()
            .map_err(|_| Breach::Concurrency {
                limit: gate.concurrency_limit,
            })?;
        let mut bucket = gate.bucket.lock().unwrap_or_else(|p| p.into_inner());
        if !bucket.take(Instant::now()) {
            return Err(Breach::Rate {
                limit: limits.calls_per_minute,
            });
        }
        Ok(Ticket { _permit: permit })
    }

    /// The tenant's gate, rebuilt when its limits changed (an operator raised
    /// them): calls in flight keep their permits on the old semaphore.
    fn gate(&self, tenant: &str, limits: &Limits) -> Arc<TenantGate> {
        let mut map = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(g) = map.get(tenant) {
            let same_rate = g
                .bucket
                .lock()
                .map(|b| b.capacity == f64::from(limits.calls_per_minute.max(1)))
                .unwrap_or(false);
            if g.concurrency_limit == limits.max_concurrent_calls && same_rate {
                return Arc::clone(g);
            }
        }
        let gate = Arc::new(TenantGate {
            concurrency: Arc::new(Semaphore::new(limits.max_concurrent_calls as usize)),
            concurrency_limit: limits.max_concurrent_calls,
            bucket: Mutex::new(TokenBucket::new(limits.calls_per_minute)),
        });
        map.insert(tenant.to_string(), Arc::clone(&gate));
        gate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_is_per_tenant_and_released_on_drop() {
        let a = Admission::default();
        let limits = Limits {
            max_concurrent_calls: 1,
            ..Limits::default()
        };
        let t1 = a.admit("a", &limits).unwrap();
        assert_eq!(
            a.admit("a", &limits).err(),
            Some(Breach::Concurrency { limit: 1 })
        );
        assert!(
            a.admit("b", &limits).is_ok(),
            "another tenant is unaffected"
        );
        drop(t1);
        assert!(a.admit("a", &limits).is_ok());
    }

    #[test]
    fn rate_allows_a_minutes_burst_then_refuses() {
        let a = Admission::default();
        let limits = Limits {
            calls_per_minute: 3,
            ..Limits::default()
        };
        for _ in 0..3 {
            drop(a.admit("a", &limits).unwrap());
        }
        assert_eq!(a.admit("a", &limits).err(), Some(Breach::Rate { limit: 3 }));
    }

    #[test]
    fn bucket_refills_over_time() {
        let mut b = TokenBucket::new(60);
        let t0 = b.last;
        for _ in 0..60 {
            assert!(b.take(t0));
        }
        assert!(!b.take(t0));
        assert!(b.take(t0 + std::time::Duration::from_millis(1100)));
    }
}
