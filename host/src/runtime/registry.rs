//! The component registry: what is loaded, under which name, and hot
//! replacement.
//!
//! A loaded component is an `Arc`: a call clones it at the start, so replacing
//! the registry entry never disturbs calls in flight — they finish on the
//! version they started with, and the old one is freed when the last ends.
//! Loading validates everything before the swap (manifest, version stamp,
//! compilation, imports, each declared world's exports); a component that
//! fails is refused with a [`LoadError`] and the old version keeps serving.

pub mod manifest;
pub mod watch;

use super::call_state::CallState;
use super::egress::AllowList;
use super::wit::{self, ApiVersion, since_v0_1_0 as v0_1};
use manifest::{Manifest, World};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("bad manifest: {0}")]
    Manifest(String),
    #[error("reading {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    NotAComponent(String),
    #[error("no `switchboard:api-version` stamp: build the component with switchboard-sdk")]
    NoVersionStamp,
    #[error("built against WIT {0}, which this host does not support (it loads 0.1.x)")]
    UnknownApiVersion(semver::Version),
    #[error("compilation failed: {0}")]
    Compile(String),
    #[error("imports something the host does not provide: {0}")]
    Imports(String),
    #[error("manifest declares world `{world}` but the component does not export it: {detail}")]
    MissingExports { world: World, detail: String },
}

/// Pre-instantiated worlds of a 0.1 component (only those its manifest declares).
#[derive(Default)]
pub struct PresV0_1 {
    pub ingest: Option<v0_1::ingest::IngestPre<CallState>>,
    pub recording_source: Option<v0_1::recording_source::RecordingSourcePre<CallState>>,
    pub channel: Option<v0_1::channel::ChannelPre<CallState>>,
    pub call_control: Option<v0_1::call_control::CallControlPre<CallState>>,
    pub analyzer: Option<v0_1::analyzer::AnalyzerPre<CallState>>,
}

/// One version-specific set of bindings; a later WIT adds a variant.
pub enum Bindings {
    V0_1(PresV0_1),
}

pub struct LoadedComponent {
    pub manifest: Manifest,
    pub api_version: semver::Version,
    /// SHA-256 of the component bytes.
    pub digest: String,
    pub allow_list: AllowList,
    pub bindings: Bindings,
}

impl LoadedComponent {
    pub fn label(&self) -> String {
        format!("{}@{}", self.manifest.name, self.manifest.version)
    }
}

/// What the admin API shows about a component.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInfo {
    pub name: String,
    pub version: String,
    pub worlds: Vec<World>,
    pub publisher: String,
    pub api_version: String,
    pub digest: String,
    pub egress: Vec<String>,
}

pub struct Registry {
    engine: Engine,
    linker: Linker<CallState>,
    cache_dir: Option<PathBuf>,
    components: RwLock<HashMap<String, Arc<LoadedComponent>>>,
}

impl Registry {
    pub fn new(engine: Engine, cache_dir: Option<PathBuf>) -> wasmtime::Result<Self> {
        let mut linker = Linker::new(&engine);
        super::capabilities::add_to_linker(&mut linker)?;
        Ok(Registry {
            engine,
            linker,
            cache_dir,
            components: RwLock::new(HashMap::new()),
        })
    }

    /// Validates and compiles a component. CPU-heavy: call from a blocking
    /// thread. Nothing is installed.
    pub fn prepare(&self, manifest: Manifest, wasm: &[u8]) -> Result<LoadedComponent, LoadError> {
        let version = wit::read_stamp(wasm)
            .map_err(LoadError::NotAComponent)?
            .ok_or(LoadError::NoVersionStamp)?;
        let api = ApiVersion::from_semver(&version)
            .ok_or_else(|| LoadError::UnknownApiVersion(version.clone()))?;
        let allow_list = manifest.allow_list().map_err(LoadError::Manifest)?;
        let digest = hex::encode(Sha256::digest(wasm));
        let component = self.compile(wasm, &digest)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Imports(format!("{e:#}")))?;
        let bindings = match api {
            ApiVersion::V0_1 => {
                let mut pres = PresV0_1::default();
                for world in &manifest.worlds {
                    let missing = |e: wasmtime::Error| LoadError::MissingExports {
                        world: *world,
                        detail: format!("{e:#}"),
                    };
                    match world {
                        World::Ingest => {
                            pres.ingest =
                                Some(v0_1::ingest::IngestPre::new(pre.clone()).map_err(missing)?)
                        }
                        World::RecordingSource => {
                            pres.recording_source = Some(
                                v0_1::recording_source::RecordingSourcePre::new(pre.clone())
                                    .map_err(missing)?,
                            )
                        }
                        World::Channel => {
                            pres.channel =
                                Some(v0_1::channel::ChannelPre::new(pre.clone()).map_err(missing)?)
                        }
                        World::CallControl => {
                            pres.call_control = Some(
                                v0_1::call_control::CallControlPre::new(pre.clone())
                                    .map_err(missing)?,
                            )
                        }
                        World::Analyzer => {
                            pres.analyzer = Some(
                                v0_1::analyzer::AnalyzerPre::new(pre.clone()).map_err(missing)?,
                            )
                        }
                    }
                }
                Bindings::V0_1(pres)
            }
        };
        Ok(LoadedComponent {
            manifest,
            api_version: version,
            digest,
            allow_list,
            bindings,
        })
    }

    /// Compiles, or reuses this engine's compiled artifact from the cache
    /// directory. The cache is keyed by the component's digest and the engine's
    /// compatibility hash, so a different wasmtime or setting never reads it.
    fn compile(&self, wasm: &[u8], digest: &str) -> Result<Component, LoadError> {
        let Some(dir) = &self.cache_dir else {
            return Component::new(&self.engine, wasm)
                .map_err(|e| LoadError::Compile(format!("{e:#}")));
        };
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let path = dir.join(format!("{digest}-{:016x}.cwasm", h.finish()));
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash, in the operator's own
            // cache directory; wasmtime validates its header before use.
            if let Ok(c) = unsafe { Component::deserialize_file(&self.engine, &path) } {
                return Ok(c);
            }
        }
        let component =
            Component::new(&self.engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        if let Ok(bytes) = component.serialize() {
            // Write-then-rename so a concurrent reader never sees half a file.
            let tmp = dir.join(format!(".{}.{}.tmp", digest, uuid::Uuid::new_v4().simple()));
            if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, bytes).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        Ok(component)
    }

    /// Installs (or replaces) a prepared component; returns the one it replaced.
    pub fn install(&self, loaded: LoadedComponent) -> Option<Arc<LoadedComponent>> {
        self.install_arc(Arc::new(loaded))
    }

    fn install_arc(&self, loaded: Arc<LoadedComponent>) -> Option<Arc<LoadedComponent>> {
        let name = loaded.manifest.name.clone();
        let mut map = self.components.write().unwrap_or_else(|p| p.into_inner());
        map.insert(name, loaded)
    }

    /// Validates, compiles and installs on a blocking thread.
    pub async fn load(
        self: &Arc<Self>,
        manifest: Manifest,
        wasm: Vec<u8>,
    ) -> Result<Arc<LoadedComponent>, LoadError> {
        let this = Arc::clone(self);
        let loaded = tokio::task::spawn_blocking(move || this.prepare(manifest, &wasm))
            .await
            .map_err(|e| LoadError::Compile(format!("compiler thread failed: {e}")))??;
        // Return what was installed, not a fresh lookup: a concurrent swap
        // could otherwise hand back the other version.
        let loaded = Arc::new(loaded);
        self.install_arc(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Loads a component directory: `manifest.toml` plus the wasm it names.
    pub async fn load_dir(self: &Arc<Self>, dir: &Path) -> Result<Arc<LoadedComponent>, LoadError> {
        let (manifest, wasm) = read_component_dir(dir)?;
        self.load(manifest, wasm).await
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn get(&self, name: &str) -> Option<Arc<LoadedComponent>> {
        self.components
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    pub fn remove(&self, name: &str) -> Option<Arc<LoadedComponent>> {
        self.components
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
    }

    pub fn list(&self) -> Vec<ComponentInfo> {
        let map = self.components.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<ComponentInfo> = map
            .values()
            .map(|c| ComponentInfo {
                name: c.manifest.name.clone(),
                version: c.manifest.version.clone(),
                worlds: c.manifest.worlds.clone(),
                publisher: c.manifest.publisher.clone(),
                api_version: c.api_version.to_string(),
                digest: c.digest.clone(),
                egress: c.manifest.egress.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Reads `dir/manifest.toml` and the component file it names.
pub fn read_component_dir(dir: &Path) -> Result<(Manifest, Vec<u8>), LoadError> {
    let manifest_path = dir.join("manifest.toml");
    let text = std::fs::read_to_string(&manifest_path).map_err(|error| LoadError::Io {
        path: manifest_path,
        error,
    })?;
    let manifest = Manifest::parse(&text).map_err(LoadError::Manifest)?;
    let wasm_name = manifest
        .wasm
        .clone()
        .unwrap_or_else(|| "component.wasm".into());
    if wasm_name.contains(['/', '\\']) || wasm_name.starts_with('.') {
        return Err(LoadError::Manifest(format!(
            "wasm `{wasm_name}` must be a file name in the component directory"
        )));
    }
    let wasm_path = dir.join(&wasm_name);
    let wasm = std::fs::read(&wasm_path).map_err(|error| LoadError::Io {
        path: wasm_path,
        error,
    })?;
    Ok((manifest, wasm))
}
