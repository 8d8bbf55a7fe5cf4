//! A component's manifest (`switchboard.toml` beside the crate, or
//! `manifest.toml` in a component directory): what it is, which worlds it
//! serves, where it may connect, and which settings it takes.

use crate::runtime::egress::AllowList;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    Ingest,
    RecordingSource,
    Channel,
    CallControl,
    Analyzer,
}

impl World {
    pub fn as_str(self) -> &'static str {
        match self {
            World::Ingest => "ingest",
            World::RecordingSource => "recording-source",
            World::Channel => "channel",
            World::CallControl => "call-control",
            World::Analyzer => "analyzer",
        }
    }
}

impl std::fmt::Display for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    pub key: String,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub required: bool,
    /// The value is a base URL the connector calls (a PBX, a recording
    /// server): each installation may reach that URL's host and port, on top
    /// of the manifest's `egress`. This is how a connector for self-hosted
    /// vendors gets an allow-list narrower than `*`.
    #[serde(default)]
    pub egress: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Also the integration `kind` tenants install it as.
    pub name: String,
    pub version: String,
    pub worlds: Vec<World>,
    pub publisher: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Hosts the component asks to reach (see `egress` for the pattern syntax).
    #[serde(default)]
    pub egress: Vec<String>,
    #[serde(default)]
    pub config: Vec<ConfigField>,
    /// The component file, relative to the manifest (default `component.wasm`).
    #[serde(default)]
    pub wasm: Option<String>,
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| e.message().to_string())?;
        m.validate()?;
        Ok(m)
    }

    fn validate(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(format!(
                "name `{}` must be 1-64 characters of a-z, 0-9 and -",
                self.name
            ));
        }
        semver::Version::parse(&self.version)
            .map_err(|e| format!("version `{}`: {e}", self.version))?;
        if self.worlds.is_empty() {
            return Err("worlds must name at least one world".into());
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(w) = self.worlds.iter().find(|w| !seen.insert(**w)) {
            return Err(format!("world `{w}` is listed twice"));
        }
        if self.publisher.trim().is_empty() {
            return Err("publisher is required".into());
        }
        self.allow_list()?;
        let mut keys = std::collections::HashSet::new();
        if let Some(f) = self.config.iter().find(|f| !keys.insert(f.key.as_str())) {
            return Err(format!("config key `{}` is declared twice", f.key));
        }
        Ok(())
    }

    pub fn allow_list(&self) -> Result<AllowList, String> {
        AllowList::parse(&self.egress)
    }

    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.config
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        name = "threecx-webhooks"
        version = "0.1.0"
        worlds = ["ingest"]
        publisher = "switchboard"
        egress = ["*.3cx.example"]
        [[config]]
        key = "token"
        secret = true
    "#;

    #[test]
    fn parses_and_lists_secrets() {
        let m = Manifest::parse(GOOD).unwrap();
        assert_eq!(m.worlds, vec![World::Ingest]);
        assert_eq!(m.secret_keys().collect::<Vec<_>>(), vec!["token"]);
        assert!(m.allow_list().unwrap().allows("pbx.3cx.example", 443));
    }

    #[test]
    fn refuses_bad_manifests() {
        for (bad, why) in [
            (GOOD.replace("\"ingest\"", "\"teleport\""), "unknown world"),
            (GOOD.replace("0.1.0", "one"), "version"),
            (GOOD.replace("threecx-webhooks", "Three CX"), "name"),
            (GOOD.replace("*.3cx.example", "http://x/"), "egress"),
            (GOOD.replace("publisher", "author"), "unknown field"),
            (GOOD.replace("[\"ingest\"]", "[]"), "no worlds"),
        ] {
            assert!(Manifest::parse(&bad).is_err(), "{why} should be refused");
        }
    }
}
