//! A small read-through cache with a time to live, for lookups every inbound
//! request makes (the integration behind a webhook URL, the tenant's limits,
//! its outgoing-webhook endpoints). On the embedded default every one of
//! those is a trip through the single SQLite connection the event writes
//! also need. A local change invalidates its entry at once; another server
//! sharing the database sees it within the TTL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached value, or `load`'s (cached when it succeeds).
    pub async fn get_or_load<E, F>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        let v = load.await?;
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), (Instant::now(), v.clone()));
        Ok(v)
    }

    fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn invalidate(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// The lookups inbound traffic repeats, cached for [`LOOKUP_TTL`].
pub struct Lookups {
    /// Integration by id (the `/hooks/{id}` route).
    pub integrations: TtlCache<String, crate::store::Integration>,
    /// A business's limit overrides.
    pub limits: TtlCache<String, Option<serde_json::Value>>,
    /// A business's outgoing-webhook endpoints.
    pub endpoints: TtlCache<String, Vec<crate::store::WebhookEndpoint>>,
}

/// Long enough to spare the database under a burst of webhooks, short
/// enough that another server's change is seen promptly.
pub const LOOKUP_TTL: Duration = Duration::from_secs(2);

impl Default for Lookups {
    fn default() -> Self {
        Lookups {
            integrations: TtlCache::new(LOOKUP_TTL),
            limits: TtlCache::new(LOOKUP_TTL),
            endpoints: TtlCache::new(LOOKUP_TTL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caches_until_invalidated_or_expired() {
        let cache = TtlCache::new(Duration::from_millis(50));
        let load = |n: u32| async move { Ok::<_, ()>(n) };
        assert_eq!(cache.get_or_load(&"k", load(1)).await, Ok(1));
        assert_eq!(cache.get_or_load(&"k", load(2)).await, Ok(1), "cached");
        cache.invalidate(&"k");
        assert_eq!(cache.get_or_load(&"k", load(3)).await, Ok(3));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get_or_load(&"k", load(4)).await, Ok(4), "expired");
        let failing = async { Err::<u32, ()>(()) };
        assert_eq!(cache.get_or_load(&"other", failing).await, Err(()));
    }
}
