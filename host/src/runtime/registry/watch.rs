//! Hot-loading from the components directory.
//!
//! Each subdirectory holding a `manifest.toml` is a component. The watcher
//! polls file sizes and modification times rather than using inotify: polling
//! also works on network and container-mounted filesystems, and a deploy that
//! writes the wasm then the manifest is picked up once both have settled
//! (a directory is loaded only when its fingerprint is the same on two
//! consecutive scans). The admin API's reload runs the same scan at once.

use super::Registry;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What one scan did for one directory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanOutcome {
    pub dir: String,
    /// `name@version` when it loaded.
    pub loaded: Option<String>,
    /// Why it was refused (the previous version, if any, keeps serving).
    pub error: Option<String>,
}

type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(dir: &Path) -> Option<Fingerprint> {
    let mut fp = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let meta = entry.metadata().ok()?;
        if meta.is_file() {
            fp.push((entry.path(), meta.len(), meta.modified().ok()));
        }
    }
    fp.sort();
    Some(fp)
}

#[derive(Default)]
pub struct Watcher {
    /// Fingerprint seen on the previous scan, and whether it was acted on.
    seen: HashMap<PathBuf, (Fingerprint, bool)>,
}

impl Watcher {
    /// Loads every directory that changed and has settled. With `force`, loads
    /// every directory now (the admin reload).
    pub async fn scan(
        &mut self,
        registry: &Arc<Registry>,
        root: &Path,
        force: bool,
    ) -> Vec<ScanOutcome> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(root) else {
            return out;
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("manifest.toml").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let Some(fp) = fingerprint(&dir) else {
                continue;
            };
            let due = match self.seen.get(&dir) {
                _ if force => true,
                Some((prev, done)) if *prev == fp => !done,
                _ => {
                    // Changed (or new) since the last scan: wait one more scan
                    // for the writer to finish.
                    self.seen.insert(dir.clone(), (fp, false));
                    continue;
                }
            };
            if !due {
                continue;
            }
            self.seen.insert(dir.clone(), (fp, true));
            let outcome = match registry.load_dir(&dir).await {
                Ok(c) => {
                    tracing::info!(component = %c.label(), dir = %dir.display(), "component loaded");
                    ScanOutcome {
                        dir: dir.display().to_string(),
                        loaded: Some(c.label()),
                        error: None,
                    }
                }
                Err(e) => {
                    tracing::error!(dir = %dir.display(), error = %e, "component refused; any previous version keeps serving");
                    ScanOutcome {
                        dir: dir.display().to_string(),
                        loaded: None,
                        error: Some(e.to_string()),
                    }
                }
            };
            out.push(outcome);
        }
        out
    }
}

/// Polls `root` every `interval` until the task is aborted.
pub fn spawn(
    registry: Arc<Registry>,
    root: PathBuf,
    interval: Duration,
    watcher: Arc<tokio::sync::Mutex<Watcher>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            watcher.lock().await.scan(&registry, &root, false).await;
        }
    })
}
