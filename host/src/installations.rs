//! From a stored integration to what a component call needs: decrypted
//! secrets, settings as text, the tenant's limits and the installation's own
//! egress (hosts of its configured base URLs). Also the one place secrets are
//! sealed and opened, so the associated data can never drift apart.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::cache::Lookups;
use crate::crypto::{SecretBox, aad};
use crate::runtime::CallTarget;
use crate::runtime::Runtime;
use crate::runtime::call_state::CallContext;
use crate::runtime::egress::AllowList;
use crate::runtime::limits::LimitOverrides;
use crate::runtime::registry::manifest::Manifest;
use crate::runtime::wit::since_v0_1_0::types::{Installation, Pair};
use crate::store::{Integration, Store};

pub const RECORD_KIND: &str = "integration";

/// Seals an integration's secrets, bound to its business and id.
pub fn seal_secrets(
    secrets: &SecretBox,
    business_id: &str,
    integration_id: &str,
    values: &BTreeMap<String, String>,
) -> anyhow::Result<Option<Vec<u8>>> {
    if values.is_empty() {
        return Ok(None);
    }
    let plaintext = serde_json::to_vec(values)?;
    Ok(Some(secrets.seal(
        &plaintext,
        &aad(business_id, RECORD_KIND, integration_id),
    )))
}

/// Opens an integration's secrets; none stored is an empty map.
pub fn open_secrets(
    secrets: &SecretBox,
    integration: &Integration,
) -> anyhow::Result<BTreeMap<String, String>> {
    let Some(envelope) = &integration.secrets else {
        return Ok(BTreeMap::new());
    };
    let plaintext = secrets.open(
        envelope,
        &aad(&integration.business_id, RECORD_KIND, &integration.id),
    )?;
    Ok(serde_json::from_slice(&plaintext)?)
}

/// A config value as the component sees it: strings as they are, anything
/// else as JSON text.
fn setting_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn config_pairs(config: &Value) -> Vec<(String, String)> {
    config
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), setting_text(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// A base-URL setting's value (a manifest field marked `egress = true`) as
/// the URL the installation may reach: an http(s) URL with a host. The one
/// definition both the integrations API (which refuses anything else) and
/// [`installation_egress`] (which grants only this) go by. Err says why not.
pub fn http_base_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("not a `{}:` URL", url.scheme()));
    }
    if url.host_str().is_none() {
        return Err("no host".into());
    }
    Ok(url)
}

/// `host[:port]` patterns for the installation's base-URL settings (manifest
/// fields marked `egress = true`). A value that is not an http(s) URL adds
/// nothing: the component then cannot reach it, which is the safe failure.
pub fn installation_egress(manifest: &Manifest, config: &[(String, String)]) -> Option<AllowList> {
    let patterns: Vec<String> = manifest
        .config
        .iter()
        .filter(|f| f.egress)
        .filter_map(|f| config.iter().find(|(k, _)| *k == f.key))
        .filter_map(|(_, raw)| http_base_url(raw).ok())
        .filter_map(|u| {
            let host = u.host_str()?.to_owned();
            let port = u.port_or_known_default()?;
            Some(if host.contains(':') {
                format!("[{}]:{port}", host.trim_matches(['[', ']']))
            } else {
                format!("{host}:{port}")
            })
        })
        .collect();
    if patterns.is_empty() {
        return None;
    }
    AllowList::parse(&patterns).ok()
}

/// Everything to call `integration`'s component.
pub async fn call_target(
    store: &Store,
    lookups: &Lookups,
    runtime: &Runtime,
    secrets: &SecretBox,
    integration: &Integration,
) -> anyhow::Result<(CallTarget, Installation)> {
    let limits = lookups
        .limits
        .get_or_load(
            &integration.business_id,
            store.business_limits(&integration.business_id),
        )
        .await?;
    let overrides: Option<LimitOverrides> = limits.map(serde_json::from_value).transpose()?;
    let limits = runtime.limits_for(overrides.as_ref());
    let config = config_pairs(&integration.config);
    let egress_extra = runtime
        .registry
        .get(&integration.kind)
        .and_then(|c| installation_egress(&c.manifest, &config));
    let context = CallContext {
        business_id: integration.business_id.clone(),
        installation_id: integration.id.clone(),
        kind: integration.kind.clone(),
        config: config.clone(),
        secrets: open_secrets(secrets, integration)?
            .into_iter()
            .collect::<HashMap<_, _>>(),
        egress_narrowing: None,
        egress_extra,
    };
    let installation = Installation {
        id: integration.id.clone(),
        business_id: integration.business_id.clone(),
        kind: integration.kind.clone(),
        config: config
            .into_iter()
            .map(|(name, value)| Pair { name, value })
            .collect(),
    };
    Ok((
        CallTarget {
            component: integration.kind.clone(),
            context,
            limits,
        },
        installation,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn egress_comes_from_marked_url_settings_only() {
        let manifest = Manifest::parse(
            r#"
            name = "pbx"
            version = "0.1.0"
            worlds = ["call-control"]
            publisher = "t"
            [[config]]
            key = "pbxUrl"
            egress = true
            [[config]]
            key = "note"
            "#,
        )
        .unwrap();
        let allow = installation_egress(
            &manifest,
            &config_pairs(
                &json!({"pbxUrl": "https://pbx.example.com:8443/api", "note": "http://evil.example"}),
            ),
        )
        .unwrap();
        assert!(allow.allows("pbx.example.com", 8443));
        assert!(!allow.allows("pbx.example.com", 443));
        assert!(!allow.allows("evil.example", 80));
        assert!(
            installation_egress(&manifest, &config_pairs(&json!({"pbxUrl": "ftp://x"}))).is_none()
        );
        assert!(installation_egress(&manifest, &config_pairs(&json!({}))).is_none());
    }

    #[test]
    fn settings_reach_components_as_text() {
        assert_eq!(
            config_pairs(&json!({"a": "x", "b": 180, "c": null, "d": true})),
            vec![
                ("a".to_owned(), "x".to_owned()),
                ("b".to_owned(), "180".to_owned()),
                ("d".to_owned(), "true".to_owned())
            ]
        );
    }
}
