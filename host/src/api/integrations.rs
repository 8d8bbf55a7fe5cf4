//! `/integrations`: a business's connections to its PBX, messaging system or
//! recording source (the dashboard's Settings → Providers → Phone
//! Integrations, as REST). `config` is returned; `secrets` are sealed with
//! the master key, bound to the business and the integration, and never
//! returned — only the names of the ones set (`secretKeys`).
//!
//! Settings are checked against the connector's manifest: a missing
//! required setting is 422 `missing_setting`, a secret sent in `config` is
//! 422 `secret_in_config`, an undeclared key is 422 `unknown_setting`, and a
//! base-URL setting (what the installation may reach) that is not an http(s)
//! URL is 422 `invalid_setting`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use crate::ingest::{call_error, connector_error};
use crate::installations::{open_secrets, seal_secrets};
use crate::runtime::registry::manifest::{Manifest, World};
use crate::server::AppState;
use crate::store::{Integration, IntegrationPatch, NewIntegration, StoreError, new_id};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(make_default))
        .routes(routes!(test))
}

/// What `GET /integrations/{id}` and the other routes answer with.
const VIEW: &str = "The integration: `{id, kind, name, config, secretKeys, webhookUrl, isDefault, createdAt, updatedAt}` (`webhookUrl` is the address to paste into the vendor's admin, for kinds that receive webhooks; secrets are never returned, only `secretKeys`)";

const MAX_NAME: usize = 200;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewIntegrationBody)]
struct CreateBody {
    /// The connector, e.g. `threecx-webhooks`, `cti-callcenter`, `dtac`.
    kind: String,
    /// 1 to 200 characters.
    name: String,
    /// Plain settings, as the connector's manifest declares them.
    #[serde(default)]
    #[schema(value_type = Object)]
    config: Map<String, Value>,
    /// Secret settings (passwords, API keys): sealed, never returned.
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = IntegrationPatchBody)]
struct PatchBody {
    name: Option<String>,
    /// Replaces the whole config.
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    /// Merged: a key with a string sets that secret, with `null` removes it.
    secrets: Option<BTreeMap<String, Option<String>>>,
}

fn not_found() -> ApiError {
    ApiError::not_found(
        "integration_not_found",
        "no such integration in this business",
    )
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => not_found(),
        StoreError::Conflict(_) => ApiError::new(
            StatusCode::CONFLICT,
            "integration_conflict",
            "another integration already uses this inbound address (for `cti-callcenter`: the `customer` code)",
        ),
        other => ApiError::internal(other),
    }
}

/// A business installs vendor connectors: components serving `ingest`,
/// `recording-source` or `call-control`. Channel components are the
/// platform's own delivery (notifications), not something a tenant installs.
fn installable(worlds: &[World]) -> bool {
    worlds.iter().any(|w| {
        matches!(
            w,
            World::Ingest | World::RecordingSource | World::CallControl | World::Analyzer
        )
    })
}

fn manifest_of(state: &AppState, kind: &str) -> Result<Manifest, ApiError> {
    state
        .runtime
        .registry
        .get(kind)
        .map(|c| c.manifest.clone())
        .filter(|m| installable(&m.worlds))
        .ok_or_else(|| {
            let mut kinds: Vec<String> = state
                .runtime
                .registry
                .list()
                .into_iter()
                .filter(|c| installable(&c.worlds))
                .map(|c| c.name)
                .collect();
            kinds.sort();
            unprocessable(
                "unknown_kind",
                format!(
                    "no connector of kind `{kind}`; available: {}",
                    kinds.join(", ")
                ),
            )
        })
}

/// Checks settings against the manifest. `stored` is the config saved
/// before (on a PATCH): a value kept as it was is not checked again against
/// rules newer than it, so a rename still works on an older integration.
/// `secret_keys` are the secrets the integration will hold; `blank` those of
/// them this request gives as blanks, which count as missing.
fn validate(
    manifest: &Manifest,
    config: &Map<String, Value>,
    stored: Option<&Map<String, Value>>,
    secret_keys: &[&str],
    blank: &[&str],
) -> Result<(), ApiError> {
    for (key, value) in config {
        match manifest.config.iter().find(|f| f.key == *key) {
            None => {
                return Err(unprocessable(
                    "unknown_setting",
                    format!("`{key}` is not a setting of `{}`", manifest.name),
                ));
            }
            Some(f) if f.secret => {
                return Err(unprocessable(
                    "secret_in_config",
                    format!("`{key}` is a secret: send it in `secrets`, not `config`"),
                ));
            }
            Some(_)
                if !(value.is_string()
                    || value.is_number()
                    || value.is_boolean()
                    || value.is_null()) =>
            {
                return Err(unprocessable(
                    "invalid_setting",
                    format!("`{key}` must be a string, number or boolean"),
                ));
            }
            Some(f) if f.egress && stored.and_then(|c| c.get(key)) != Some(value) => {
                if let Some(problem) = base_url_problem(value) {
                    return Err(unprocessable(
                        "invalid_setting",
                        format!("`{key}` {problem}"),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    for key in secret_keys {
        match manifest.config.iter().find(|f| f.key == *key) {
            Some(f) if f.secret => {}
            Some(_) => {
                return Err(unprocessable(
                    "not_a_secret",
                    format!("`{key}` is not secret: send it in `config`"),
                ));
            }
            None => {
                return Err(unprocessable(
                    "unknown_setting",
                    format!("`{key}` is not a setting of `{}`", manifest.name),
                ));
            }
        }
    }
    for field in manifest.config.iter().filter(|f| f.required) {
        let present = if field.secret {
            secret_keys.contains(&field.key.as_str()) && !blank.contains(&field.key.as_str())
        } else {
            config
                .get(&field.key)
                .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        };
        if !present {
            let place = if field.secret { "secrets" } else { "config" };
            return Err(unprocessable(
                "missing_setting",
                format!("`{}` is required in `{place}`", field.key),
            ));
        }
    }
    Ok(())
}

/// The keys of the secrets a request gives as blanks (`"password": " "`).
fn blank_secrets<'a>(
    given: impl Iterator<Item = (&'a String, Option<&'a String>)>,
) -> Vec<&'a str> {
    given
        .filter(|(_, v)| v.is_some_and(|v| v.trim().is_empty()))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// Why `value` cannot be a base-URL setting (a manifest field marked
/// `egress = true`), if it cannot. Checked on the way in because such a value
/// is what the installation may reach: a typo would otherwise be accepted and
/// quietly grant nothing, and click-to-call or link downloads would fail far
/// from the request that caused it. Null or empty clears the setting.
fn base_url_problem(value: &Value) -> Option<String> {
    const SHAPE: &str = "must be an http(s) base URL such as `https://pbx.example.com`";
    let text = match value {
        Value::Null => return None,
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s.trim(),
        _ => return Some(SHAPE.to_owned()),
    };
    match crate::installations::http_base_url(text) {
        Ok(u) if u.username().is_empty() && u.password().is_none() => None,
        Ok(_) => {
            Some("must not carry a user name or password; put credentials in `secrets`".into())
        }
        Err(why) => Some(format!("{SHAPE} ({why})")),
    }
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(unprocessable(
            "invalid_name",
            format!("`name` must be 1 to {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// The address to paste into the vendor's admin, for kinds that receive.
pub fn webhook_url(state: &AppState, integration: &Integration) -> Option<String> {
    let component = state.runtime.registry.get(&integration.kind)?;
    if !component.manifest.worlds.contains(&World::Ingest) {
        return None;
    }
    let base = state.settings.public_base_url();
    Some(match &integration.route_key {
        Some(customer) if integration.kind == super::hooks::CTI_KIND => {
            format!("{base}/wsapi/{customer}")
        }
        _ => format!("{base}/hooks/{}", integration.id),
    })
}

fn view(state: &AppState, integration: &Integration) -> Result<Value, ApiError> {
    // Secrets the configured keys cannot open (a master key lost or rotated
    // without `older_master_keys`) must not fail every listing: the
    // integration shows so, and a PATCH with its secrets mends it.
    let secret_keys: Option<Vec<String>> = match open_secrets(&state.secrets, integration) {
        Ok(secrets) => Some(secrets.into_keys().collect()),
        Err(e) => {
            tracing::warn!(integration = %integration.id, error = %e, "an integration's secrets cannot be opened");
            None
        }
    };
    Ok(json!({
        "id": integration.id,
        "kind": integration.kind,
        "name": integration.name,
        "config": integration.config,
        "secretsUnreadable": secret_keys.is_none(),
        "secretKeys": secret_keys,
        "webhookUrl": webhook_url(state, integration),
        "isDefault": integration.is_default,
        "createdAt": integration.created_at,
        "updatedAt": integration.updated_at,
    }))
}

/// Install an integration.
///
/// Settings are checked against the connector's manifest.
#[utoipa::path(
    post,
    path = "/integrations",
    tag = "integrations",
    security(("bearer" = ["manage_integrations"])),
    request_body = CreateBody,
    responses(
        (status = 201, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 409, description = "`integration_conflict`: another integration already uses this inbound address (for `cti-callcenter`: the `customer` code)", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `unknown_kind`: no installable connector of that kind; `invalid_name`: `name` is not 1 to 200 characters; `unknown_setting`: a key the manifest does not declare; `secret_in_config`: a secret sent in `config`; `not_a_secret`: a plain setting sent in `secrets`; `invalid_setting`: a value that is not a string, number or boolean, or a base-URL setting (`pbxUrl`) that is not an http(s) URL; `missing_setting`: a required setting is missing", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    let manifest = manifest_of(&state, &body.kind)?;
    let name = validate_name(&body.name)?;
    let keys: Vec<&str> = body.secrets.keys().map(String::as_str).collect();
    let blank = blank_secrets(body.secrets.iter().map(|(k, v)| (k, Some(v))));
    validate(&manifest, &body.config, None, &keys, &blank)?;
    let id = new_id();
    let sealed = seal_secrets(&state.secrets, &caller.business_id, &id, &body.secrets)
        .map_err(ApiError::internal)?;
    let integration = state
        .store
        .create_integration_with_id(
            &id,
            NewIntegration {
                business_id: caller.business_id.clone(),
                kind: body.kind,
                name,
                config: Value::Object(body.config),
                secrets: sealed,
            },
        )
        .await
        .map_err(store_error)?;
    Ok((StatusCode::CREATED, Json(view(&state, &integration)?)))
}

/// The business's integrations.
#[utoipa::path(
    get,
    path = "/integrations",
    tag = "integrations",
    security(("bearer" = ["view_integrations"])),
    responses(
        (status = 200, description = "`{items: [...]}`, each as `GET /integrations/{id}`", body = Object),
    )
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewIntegrations)?;
    let items = state
        .store
        .list_integrations(&caller.business_id)
        .await
        .map_err(store_error)?;
    let items = items
        .iter()
        .map(|i| view(&state, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "items": items })))
}

/// One integration.
#[utoipa::path(
    get,
    path = "/integrations/{id}",
    tag = "integrations",
    security(("bearer" = ["view_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewIntegrations)?;
    let integration = state
        .store
        .get_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    Ok(Json(view(&state, &integration)?))
}

/// Change an integration.
///
/// `name` and `config` replace; `secrets` merge (a string sets a secret,
/// `null` removes it). The result is checked against the manifest.
#[utoipa::path(
    patch,
    path = "/integrations/{id}",
    tag = "integrations",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    request_body = PatchBody,
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
        (status = 409, description = "`integration_conflict`: another integration already uses this inbound address", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `unknown_kind`: no installable connector of that kind; `invalid_name`: `name` is not 1 to 200 characters; `unknown_setting`: a key the manifest does not declare; `secret_in_config`: a secret sent in `config`; `not_a_secret`: a plain setting sent in `secrets`; `invalid_setting`: a value that is not a string, number or boolean, or a base-URL setting (`pbxUrl`) that is not an http(s) URL; `missing_setting`: a required setting is missing; `secrets_required`: an address setting (`baseUrl`, `pbxUrl`) changed without every stored secret given again; `secrets_unreadable`: the stored secrets cannot be opened (the master key changed): give them all in `secrets`", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    let current = state
        .store
        .get_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    let manifest = manifest_of(&state, &current.kind)?;
    let name = body.name.as_deref().map(validate_name).transpose()?;
    let mut secrets = match open_secrets(&state.secrets, &current) {
        Ok(secrets) => secrets,
        // Unreadable secrets are replaced by those given: every secret the
        // connector declares must then be named (set, or `null` for none),
        // since which of them were stored cannot be read.
        Err(_)
            if body.secrets.as_ref().is_some_and(|given| {
                manifest
                    .config
                    .iter()
                    .filter(|f| f.secret)
                    .all(|f| given.contains_key(&f.key))
            }) =>
        {
            BTreeMap::new()
        }
        Err(_) => {
            return Err(unprocessable(
                "secrets_unreadable",
                "the integration's stored secrets cannot be opened with the configured master key: name every secret of its kind again in `secrets` (a value, or null for none)",
            ));
        }
    };
    let stored_keys: Vec<String> = secrets.keys().cloned().collect();
    if let Some(changes) = &body.secrets {
        for (key, value) in changes {
            match value {
                Some(v) => secrets.insert(key.clone(), v.clone()),
                None => secrets.remove(key),
            };
        }
    }
    let config = body
        .config
        .clone()
        .unwrap_or_else(|| current.config.as_object().cloned().unwrap_or_default());
    if let Some(field) = moved_address(&manifest, current.config.as_object(), &config) {
        resend_secrets(&field, &stored_keys, body.secrets.as_ref())?;
    }
    let keys: Vec<&str> = secrets.keys().map(String::as_str).collect();
    let blank = blank_secrets(body.secrets.iter().flatten().map(|(k, v)| (k, v.as_ref())));
    validate(
        &manifest,
        &config,
        current.config.as_object(),
        &keys,
        &blank,
    )?;
    let sealed = match body.secrets {
        Some(_) => Some(
            seal_secrets(&state.secrets, &caller.business_id, &id, &secrets)
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let updated = state
        .store
        .update_integration(
            &caller.business_id,
            &id,
            IntegrationPatch {
                name,
                config: body.config.map(Value::Object),
                secrets: sealed,
            },
        )
        .await
        .map_err(store_error)?;
    state.lookups.integrations.invalidate(&id);
    Ok(Json(view(&state, &updated)?))
}

/// The first setting that says where the connector may connect
/// (`egress = true` in its manifest: `baseUrl`, `pbxUrl`) whose value this
/// change alters, if any.
fn moved_address(
    manifest: &Manifest,
    stored: Option<&Map<String, Value>>,
    config: &Map<String, Value>,
) -> Option<String> {
    // Absent, `null` and blank all mean "unset" (as `validate` reads them).
    let set = |v: Option<&Value>| {
        v.filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
            .cloned()
    };
    manifest
        .config
        .iter()
        .filter(|f| f.egress && !f.secret)
        .find(|f| set(stored.and_then(|s| s.get(&f.key))) != set(config.get(&f.key)))
        .map(|f| f.key.clone())
}

/// A change of address must give every stored secret again (or remove it):
/// else a token that never knew the password could point the integration
/// at its own server and have the connector send the password there on
/// the next test or sync.
fn resend_secrets(
    field: &str,
    stored: &[String],
    given: Option<&BTreeMap<String, Option<String>>>,
) -> Result<(), ApiError> {
    let missing: Vec<&str> = stored
        .iter()
        .filter(|k| !given.is_some_and(|g| g.contains_key(k.as_str())))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(unprocessable(
        "secrets_required",
        format!(
            "changing `{field}` sends the integration's credentials to a new address: give `secrets` {} again in the same request",
            missing
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// Delete an integration.
#[utoipa::path(
    delete,
    path = "/integrations/{id}",
    tag = "integrations",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 204, description = "Deleted, with its calls, their recordings and the recordings' stored audio"),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    let audio = state
        .store
        .delete_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    state.lookups.integrations.invalidate(&id);
    // The recordings went with the calls; their audio goes too, before the
    // answer, so a 204 means it is gone. One that cannot be removed is
    // logged and left (it is no one's: no route serves it).
    let syncer = std::sync::Arc::clone(&state.syncer);
    let removed = tokio::task::spawn_blocking(move || {
        for key in &audio {
            if let Err(e) = syncer.storage.remove(key) {
                tracing::error!(%key, error = %e, "removing a deleted recording's audio failed");
            }
        }
    })
    .await;
    if let Err(e) = removed {
        tracing::error!(error = %e, "removing a deleted integration's audio stopped");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Make an integration the business's default of its kind.
///
/// Click-to-call uses the default among the integrations that can place calls;
/// a recording source pulls on schedule only while it is its kind's default.
#[utoipa::path(
    post,
    path = "/integrations/{id}/default",
    tag = "integrations",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
    )
)]
async fn make_default(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    state
        .store
        .set_default_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    // The default flag of the others of its kind changed too: drop them all.
    for other in state
        .store
        .list_integrations(&caller.business_id)
        .await
        .map_err(store_error)?
    {
        state.lookups.integrations.invalidate(&other.id);
    }
    // A recording source starts pulling now, not at the next poll.
    state.sync_wake.notify_one();
    let integration = state
        .store
        .get_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    Ok(Json(view(&state, &integration)?))
}

/// Test the connection of a recording source.
///
/// Connection tests belong to connectors that call out (recording sources);
/// an inbound-only connector has nothing to test from our side. A failed
/// test is an answer, not an error: `{ok: false, error, message}`.
#[utoipa::path(
    post,
    path = "/integrations/{id}/test",
    tag = "integrations",
    security(("bearer" = ["manage_integrations"])),
    params(("id" = String, Path, description = "The integration's id")),
    responses(
        (status = 200, description = "`{ok: true, message}`, or `{ok: false, error, message}` with the connector's code (`vendor_bad_credentials`, `vendor_unreachable`, ...)", body = Object),
        (status = 404, description = "`integration_not_found`: no such integration in this business", body = ErrorBody),
        (status = 422, description = "`unknown_kind`: the connector is no longer loaded; `test_unsupported`: the connector is not a recording source (webhook connectors have no connection to test)", body = ErrorBody),
        (status = 429, description = "`limit_rate`, `limit_concurrency`: the tenant's component limits; retry later", body = ErrorBody),
        (status = 500, description = "`component_crashed`, `limit_cpu_time`, `limit_memory`, `egress_denied`, `limit_http_requests`, `limit_http_bytes`, `limit_store_calls`, `limit_wall_time`, `limit_reply_size`: the connector failed", body = ErrorBody),
        (status = 503, description = "`component_not_found`, `world_not_served`: the integration's connector is not loaded; `sandbox_busy`: every sandbox instance stayed busy, retry", body = ErrorBody),
    )
)]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageIntegrations)?;
    let integration = state
        .store
        .get_integration(&caller.business_id, &id)
        .await
        .map_err(store_error)?;
    let manifest = manifest_of(&state, &integration.kind)?;
    if !manifest.worlds.contains(&World::RecordingSource) {
        return Err(unprocessable(
            "test_unsupported",
            format!(
                "`{}` has no connection test: a webhook connector is tested by sending a test event from the vendor to its webhookUrl",
                integration.kind
            ),
        ));
    }
    let (target, installation) = state
        .syncer
        .target_of(&integration)
        .await
        .map_err(ApiError::internal)?;
    match state.runtime.test_connection(&target, &installation).await {
        Ok(Ok(info)) => Ok(Json(json!({ "ok": true, "message": info.message }))),
        // A failed test is an answer, not an error: say what failed.
        Ok(Err(e)) => {
            let e = connector_error(e);
            Ok(Json(
                json!({ "ok": false, "error": e.code, "message": e.message }),
            ))
        }
        Err(e) => Err(call_error(e)),
    }
}
