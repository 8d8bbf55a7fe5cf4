//! Hot-loading from the components directory.
//!
//! Each subdirectory holding a `manifest.toml` is a component. The watcher
//! polls file sizes and modification times rather than using inotify: polling
//! also works on network and container-mounted filesystems, and a deploy that
//! writes the wasm then the manifest is picked up once both have settled
//! (a directory is loaded only when its fingerprint is the same on two
//! consecutive scans). The admin API's reload runs the same scan at once.
//! Two directories naming the same component are both refused: which one
//! won would depend on the order of their names.

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

/// Each file: its path, the file it resolves to, size, modification time.
type Fingerprint = Vec<(PathBuf, Option<PathBuf>, u64, Option<SystemTime>)>;

/// Links are followed: a Kubernetes ConfigMap mounts `manifest.toml` as a
/// link into a `..data` directory it swaps, and a deploy may point
/// `component.wasm` at a new artifact. The link's own metadata never
/// changes; its target's does, and the target itself is part of the print,
/// so a swap to a file of the same size and time is seen too.
fn fingerprint(dir: &Path) -> Option<Fingerprint> {
    let mut fp = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        // A dangling link (a leftover `component.wasm.old`) is not a file
        // of the component; it must not hide the directory.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_file() {
            let resolved = std::fs::canonicalize(&path).ok();
            fp.push((path, resolved, meta.len(), meta.modified().ok()));
        }
    }
    fp.sort();
    Some(fp)
}

#[derive(Default)]
pub struct Watcher {
    /// Fingerprint seen on the previous scan, and whether it was acted on.
    seen: HashMap<PathBuf, (Fingerprint, bool)>,
    /// Directories refused for naming a component another one names: each
    /// is loaded on the first scan after it no longer does (its twin was
    /// removed), though its own files did not change.
    twinned: std::collections::HashSet<PathBuf>,
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
        // A directory removed, then restored as it was (`tar x`, `rsync -a`
        // keep times) must load again: forget what was seen of it.
        self.seen.retain(|dir, _| dirs.contains(dir));
        self.twinned.retain(|dir| dirs.contains(dir));
        let twins = same_name_dirs(&dirs);
        for dir in dirs {
            let Some(fp) = fingerprint(&dir) else {
                continue;
            };
            let untwinned = !twins.contains_key(&dir) && self.twinned.remove(&dir);
            let due = match self.seen.get(&dir) {
                _ if force || untwinned => true,
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
            if let Some((name, others)) = twins.get(&dir) {
                self.twinned.insert(dir.clone());
                // Which would win is an accident of directory order (a
                // leftover `acme-v9/` after `acme-v10/`): load neither.
                let error = format!(
                    "component `{name}` is also in {}: remove one, then reload; neither is loaded",
                    others.join(", ")
                );
                tracing::error!(dir = %dir.display(), %error, "component refused; any previous version keeps serving");
                out.push(ScanOutcome {
                    dir: dir.display().to_string(),
                    loaded: None,
                    error: Some(error),
                });
                continue;
            }
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

/// The directories whose manifest names a component another directory
/// names too: each with the name and the others' paths.
fn same_name_dirs(dirs: &[PathBuf]) -> HashMap<PathBuf, (String, Vec<String>)> {
    let mut by_name: HashMap<String, Vec<&PathBuf>> = HashMap::new();
    for dir in dirs {
        let name = std::fs::read_to_string(dir.join("manifest.toml"))
            .ok()
            .and_then(|text| super::manifest::Manifest::parse(&text).ok())
            .map(|m| m.name);
        if let Some(name) = name {
            by_name.entry(name).or_default().push(dir);
        }
    }
    let mut twins = HashMap::new();
    for (name, holders) in by_name.into_iter().filter(|(_, h)| h.len() > 1) {
        for dir in &holders {
            let others = holders
                .iter()
                .filter(|o| o != &dir)
                .map(|o| o.display().to_string())
                .collect();
            twins.insert((*dir).clone(), (name.clone(), others));
        }
    }
    twins
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
