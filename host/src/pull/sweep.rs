//! The recordings directory's cleanup when a server starts: what a process
//! killed mid-write (`kill -9`, a power cut) left behind.
//!
//! - `.part` files: a download that never finished.
//! - Finished files no recording names: a download renamed into place
//!   whose row was never committed (the retry stores it under a new key), or
//!   a file whose removal failed after its row went.
//!
//! Both only when older than `stale` (at least an hour): another server
//! sharing the directory may be between its rename and its commit now. And
//! only names this server could have made (ids). The orphan sweep also
//! stands down, with a warning, when the database names none of the files
//! or fewer than half of them: that is a server started on the wrong (or an
//! empty) database, not a few crashes, and its files are not to be touched.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::storage::AudioStore;
use crate::store::{Store, StoreError};

/// What the sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub parts: usize,
    pub orphans: usize,
}

pub async fn sweep(
    storage: Arc<AudioStore>,
    store: &Store,
    stale: Duration,
) -> anyhow::Result<Swept> {
    sweep_with(storage, stale, |keys: Vec<String>| async move {
        store.referenced_storage_keys(&keys).await
    })
    .await
}

/// [`sweep`] with the question "which of these keys does a recording
/// name?" given, so it can be tested without recordings.
/// (A plain closure returning a future rather than an async closure: the
/// latter's future is not `Send` for every borrow, and the server spawns
/// this.)
async fn sweep_with<F, Fut>(
    storage: Arc<AudioStore>,
    stale: Duration,
    referenced: F,
) -> anyhow::Result<Swept>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<HashSet<String>, StoreError>>,
{
    // Walking a directory (perhaps a network mount) blocks: off the runtime.
    let walker = Arc::clone(&storage);
    let (parts, candidates) =
        tokio::task::spawn_blocking(move || walker.sweep_parts(stale)).await??;
    let mut unnamed = Vec::new();
    for chunk in candidates.chunks(500) {
        let named = referenced(chunk.to_vec()).await?;
        unnamed.extend(chunk.iter().filter(|k| !named.contains(*k)).cloned());
    }
    let named = candidates.len() - unnamed.len();
    if !unnamed.is_empty() && named * 2 < candidates.len() {
        tracing::warn!(
            files = candidates.len(),
            named,
            "the database names fewer than half of the recording files: is this server on the \
             right database? No file was removed"
        );
        return Ok(Swept { parts, orphans: 0 });
    }
    let orphans = unnamed.len();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        for key in &unnamed {
            storage.remove(key)?;
        }
        Ok(())
    })
    .await??;
    Ok(Swept { parts, orphans })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_no_recording_names_go_and_named_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(AudioStore::open(dir.path()).unwrap());
        for name in ["kept", "kept-too", "orphan", "half.part", "notes.txt"] {
            std::fs::create_dir_all(dir.path().join("biz-1")).unwrap();
            std::fs::write(dir.path().join("biz-1").join(name), b"mp3").unwrap();
        }
        let swept = sweep_with(
            Arc::clone(&storage),
            Duration::ZERO,
            |keys: Vec<String>| async move {
                Ok(keys.into_iter().filter(|k| k.contains("kept")).collect())
            },
        )
        .await
        .unwrap();
        assert_eq!(
            swept,
            Swept {
                parts: 1,
                orphans: 1
            }
        );
        assert!(dir.path().join("biz-1/kept").exists());
        assert!(dir.path().join("biz-1/kept-too").exists());
        assert!(!dir.path().join("biz-1/orphan").exists());
        assert!(!dir.path().join("biz-1/half.part").exists());
        assert!(
            dir.path().join("biz-1/notes.txt").exists(),
            "not a name this server makes"
        );

        // A database that names almost none of them is the wrong one.
        let swept = sweep_with(Arc::clone(&storage), Duration::ZERO, |_| async {
            Ok(HashSet::new())
        })
        .await
        .unwrap();
        assert_eq!(swept, Swept::default());
        assert!(dir.path().join("biz-1/kept").exists());

        // Younger than the cut-off: another server may be committing it.
        std::fs::write(dir.path().join("biz-1/fresh"), b"mp3").unwrap();
        let swept = sweep_with(Arc::clone(&storage), Duration::from_secs(3600), |_| async {
            Ok(HashSet::new())
        })
        .await
        .unwrap();
        assert_eq!(swept, Swept::default());
        assert!(dir.path().join("biz-1/fresh").exists());
    }
}
