//! `/notifications/automations` (seed 000): tenants' notification rules,
//! stored as flow graphs (see `flows/README.md` for the rule and graph JSON).
//!
//! Rules, exactly as the seed:
//! - `GET /notifications/automations` — every automation with its rule (or
//!   `rule: null, advanced: true`) and delivery stats `sent`, `failed`,
//!   `pending`, `lastRunAt`.
//! - `POST /notifications/automations` — a rule → 201 `{id}`.
//! - `GET /notifications/automations/{id}` — the rule projected back.
//! - `PUT /notifications/automations/{id}` — replace the rule (recompiled).
//! - `PATCH /notifications/automations/{id}` `{enabled}`.
//! - `DELETE /notifications/automations/{id}` — 204.
//!
//! Beyond the seed:
//! - `POST /notifications/automations/graphs` `{graph}` → 201 `{id}`, and
//!   `GET` / `PUT /notifications/automations/{id}/graph`: flows no flat rule
//!   expresses (nested AND/OR, else branches, in-app and webhook actions).
//! - `POST /notifications/automations/{id}/test` and
//!   `POST /notifications/automations/test` (body: an unsaved rule) — dry
//!   run over the last `?limit=` (default 20, at most 200) analysed calls:
//!   which would fire and the rendered messages; nothing is sent.
//! - `GET /notifications/automations/{id}/runs` — each firing: call,
//!   destinations, outcome.
//!
//! Errors: 404 `automation_not_found`; 422 with the flows crate's codes
//! (`unknown_variable` with `name`, `unknown_field`, `invalid_operator`,
//! `invalid_value` with `index`, `no_destination`, `empty_name`,
//! `invalid_graph` with `problems`), `invalid_destination` (an id that is
//! not the business's, with `name` and `id`), `invalid_rule` (JSON that is
//! not a rule).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use switchboard_flows::{Channel, Graph, NodeKind, Problem, Rule, compile, evaluate, project};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use super::query::ApiQuery;
use crate::automations::facts::call_facts;
use crate::server::AppState;
use crate::store::{Automation, AutomationReplacement, AutomationStats, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(test_unsaved))
        .routes(routes!(create_graph))
        .routes(routes!(read, replace, toggle, remove))
        .routes(routes!(read_graph, replace_graph))
        .routes(routes!(test_saved))
        .routes(routes!(runs))
}

const VIEW: &str = "The automation: `{id, name, enabled, advanced, rule, sent, failed, pending, lastRunAt, createdAt, updatedAt}` (`rule` is null and `advanced` true for a graph no flat rule expresses)";
const DRY_RUN: &str = "`{evaluated, matched, calls: [{callId, analyzedAt, fires, deliveries}]}`: which of the last analysed calls would fire and the rendered messages; nothing is sent";

fn not_found() -> ApiError {
    ApiError::not_found(
        "automation_not_found",
        "no such automation in this business",
    )
}

fn lookup(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => not_found(),
        e => ApiError::internal(e),
    }
}

fn unprocessable(problem: Problem) -> ApiError {
    let mut details = Map::new();
    if let Some(name) = problem.name {
        details.insert("name".into(), Value::String(name));
    }
    if let Some(index) = problem.index {
        details.insert("index".into(), json!(index));
    }
    if let Some(node) = problem.node {
        details.insert("node".into(), Value::String(node));
    }
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        problem.code,
        problem.message,
    )
    .with_details(details)
}

fn invalid_rule(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule", message)
}

/// A rule from a request body, and the host's own `enabled` beside it. Any
/// other key the rule does not know is refused: a misspelt `condition` would
/// otherwise make a rule without conditions, which fires on every call.
fn parse_rule(mut body: Value) -> Result<(Rule, Option<bool>), ApiError> {
    let enabled = match body.as_object_mut().and_then(|o| o.remove("enabled")) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(on)) => Some(on),
        Some(_) => return Err(invalid_rule("`enabled` must be true or false")),
    };
    // The rule refuses unknown keys itself; a condition is checked here,
    // since the same type sits flattened in graph nodes beside other keys.
    let conditions = body.get("conditions").and_then(Value::as_array);
    for (index, condition) in conditions.into_iter().flatten().enumerate() {
        let unknown = condition.as_object().and_then(|c| {
            c.keys()
                .find(|k| !matches!(k.as_str(), "field" | "op" | "value"))
        });
        if let Some(key) = unknown {
            return Err(invalid_rule(format!(
                "condition {index}: unknown key `{key}`, expected `field`, `op` or `value`"
            )));
        }
    }
    let rule = serde_json::from_value(body)
        .map_err(|e| invalid_rule(format!("not an automation rule: {e}")))?;
    Ok((rule, enabled))
}

fn parse_graph(body: Value) -> Result<Graph, ApiError> {
    if let Some(message) = switchboard_flows::unknown_key(&body) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_graph",
            message,
        ));
    }
    let graph: Graph = serde_json::from_value(body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_graph",
            format!("not a flow graph: {e}"),
        )
    })?;
    graph.validate().map_err(|errors| {
        let problems: Vec<Value> = errors
            .problems()
            .into_iter()
            .map(|p| serde_json::to_value(p).unwrap_or(Value::Null))
            .collect();
        let mut details = Map::new();
        details.insert("problems".into(), Value::Array(problems));
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_graph",
            errors.to_string(),
        )
        .with_details(details)
    })?;
    Ok(graph)
}

fn invalid_destination(list: &str, id: &str) -> ApiError {
    let mut details = Map::new();
    details.insert("name".into(), Value::String(list.into()));
    details.insert("id".into(), Value::String(id.into()));
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_destination",
        format!("`{id}` in `{list}` is not a destination of this business"),
    )
    .with_details(details)
}

/// Every destination a graph sends to must be the business's.
async fn check_destinations(
    state: &AppState,
    business_id: &str,
    graph: &Graph,
) -> Result<(), ApiError> {
    for node in &graph.nodes {
        let NodeKind::Action(action) = &node.kind else {
            continue;
        };
        let (list, id, found) = match &action.channel {
            Channel::Telegram { chat_id } => (
                "telegramChatIds",
                chat_id,
                state
                    .store
                    .get_telegram_chat(business_id, chat_id)
                    .await
                    .map(|_| ()),
            ),
            Channel::Discord { webhook_id } => (
                "discordWebhookIds",
                webhook_id,
                state
                    .store
                    .get_discord_webhook(business_id, webhook_id)
                    .await
                    .map(|_| ()),
            ),
            Channel::Webhook {
                endpoint_id: Some(endpoint_id),
            } => (
                "endpointId",
                endpoint_id,
                state
                    .store
                    .get_webhook_endpoint(business_id, endpoint_id)
                    .await
                    .map(|_| ()),
            ),
            _ => continue,
        };
        match found {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(invalid_destination(list, id)),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    Ok(())
}

/// A rule, validated and compiled, with its destinations checked; and the
/// body's `enabled`, if it has one.
async fn rule_graph(
    state: &AppState,
    business_id: &str,
    body: Value,
) -> Result<(Graph, Option<bool>), ApiError> {
    let (rule, enabled) = parse_rule(body)?;
    let graph = compile(&rule).map_err(|e| unprocessable(e.problem()))?;
    check_destinations(state, business_id, &graph).await?;
    Ok((graph, enabled))
}

async fn view(state: &AppState, a: &Automation, with_graph: bool) -> Result<Value, ApiError> {
    let stats = state
        .store
        .automation_stats(&a.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(view_with(a, &stats, with_graph))
}

fn view_with(a: &Automation, stats: &AutomationStats, with_graph: bool) -> Value {
    let rule = serde_json::from_value::<Graph>(a.graph.clone())
        .ok()
        .and_then(|g| project(&g));
    let mut v = json!({
        "id": a.id, "name": a.name, "enabled": a.enabled,
        "advanced": rule.is_none(), "rule": rule,
        "sent": stats.sent, "failed": stats.failed, "pending": stats.pending,
        "lastRunAt": stats.last_run_at,
        "createdAt": a.created_at, "updatedAt": a.updated_at,
    });
    if with_graph {
        v["graph"] = a.graph.clone();
    }
    v
}

/// The business's automations with their delivery stats.
#[utoipa::path(
    get,
    path = "/notifications/automations",
    tag = "automations",
    security(("bearer" = ["view_notifications"])),
    responses(
        (status = 200, description = "`{items: [...]}`, each as `GET /notifications/automations/{id}`", body = Object),
    )
)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let all = state
        .store
        .list_automations(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    let ids: Vec<String> = all.iter().map(|a| a.id.clone()).collect();
    let stats = state
        .store
        .automations_stats(&ids)
        .await
        .map_err(ApiError::internal)?;
    let items: Vec<Value> = all
        .iter()
        .map(|a| view_with(a, &stats.get(&a.id).copied().unwrap_or_default(), false))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn store_graph(
    state: &AppState,
    business_id: &str,
    graph: &Graph,
    enabled: bool,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let value = serde_json::to_value(graph).map_err(ApiError::internal)?;
    let a = state
        .store
        .create_automation(business_id, &graph.name, &value, enabled)
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": a.id }))))
}

/// Create an automation from a rule.
#[utoipa::path(
    post,
    path = "/notifications/automations",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    request_body(content = Object, description = "An automation rule (see `flows/README.md`)"),
    responses(
        (status = 201, description = "`{id}`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_rule`: JSON that is not a rule; `empty_name`; `no_destination`; `invalid_destination` (with `name` and `index`, or `name` and `id` for an id that is not the business's); `empty_message`; `unknown_variable` (with `name`), `unclosed_variable`: the message template; `unknown_field`, `invalid_operator`, `invalid_value` (with `name` and `index`): a condition", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let (graph, enabled) = rule_graph(&state, &caller.business_id, body).await?;
    store_graph(&state, &caller.business_id, &graph, enabled.unwrap_or(true)).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutomationGraphBody)]
struct GraphBody {
    /// A flow graph (see `flows/README.md`).
    #[schema(value_type = Object)]
    graph: Value,
    /// Whether it runs; created on when absent, left as it is on a replace.
    #[serde(default)]
    enabled: Option<bool>,
}

/// Create an automation from a flow graph.
///
/// For flows no flat rule expresses: nested AND/OR, else branches, in-app
/// and webhook actions.
#[utoipa::path(
    post,
    path = "/notifications/automations/graphs",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    request_body = GraphBody,
    responses(
        (status = 201, description = "`{id}`", body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_graph`: not a flow graph, or an invalid one (with `problems`, each `{code, message, name?, node?}`); `invalid_destination` (with `name` and `id`): a destination that is not the business's", body = ErrorBody),
    )
)]
async fn create_graph(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<GraphBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let graph = parse_graph(body.graph)?;
    check_destinations(&state, &caller.business_id, &graph).await?;
    store_graph(
        &state,
        &caller.business_id,
        &graph,
        body.enabled.unwrap_or(true),
    )
    .await
}

/// One automation, its rule projected back.
#[utoipa::path(
    get,
    path = "/notifications/automations/{id}",
    tag = "automations",
    security(("bearer" = ["view_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
    )
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let a = state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    Ok(Json(view(&state, &a, false).await?))
}

/// One automation's flow graph.
#[utoipa::path(
    get,
    path = "/notifications/automations/{id}/graph",
    tag = "automations",
    security(("bearer" = ["view_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    responses(
        (status = 200, description = "`{id, graph}`", body = Object),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
    )
)]
async fn read_graph(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    let a = state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    Ok(Json(json!({ "id": a.id, "graph": a.graph })))
}

/// The (channel, target) of each action: the destinations a replaced
/// automation's collected digest items may still go to (an action switched
/// from a digest to sending at once still gets the digest it was promised).
fn action_destinations(graph: &Graph) -> Vec<(String, Option<String>)> {
    graph
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Action(a) => Some((
                a.channel.kind().name().to_owned(),
                a.channel.target().map(str::to_owned),
            )),
            _ => None,
        })
        .collect()
}

async fn replace_with(
    state: &AppState,
    business_id: &str,
    id: &str,
    graph: &Graph,
    enabled: Option<bool>,
) -> Result<Json<Value>, ApiError> {
    // The callers looked the id up before validating the body, so a foreign
    // or unknown id is 404 first; the UPDATE's own NotFound covers a delete
    // in between.
    let value = serde_json::to_value(graph).map_err(ApiError::internal)?;
    let digests = action_destinations(graph);
    let a = state
        .store
        .replace_automation(
            business_id,
            id,
            AutomationReplacement {
                name: &graph.name,
                graph: &value,
                enabled,
                digests: &digests,
            },
        )
        .await
        .map_err(lookup)?;
    Ok(Json(view(state, &a, false).await?))
}

/// Replace an automation's rule (recompiled).
#[utoipa::path(
    put,
    path = "/notifications/automations/{id}",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    request_body(content = Object, description = "An automation rule (see `flows/README.md`)"),
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
        (status = 422, description = "`invalid_rule`: JSON that is not a rule; `empty_name`; `no_destination`; `invalid_destination` (with `name` and `index`, or `name` and `id` for an id that is not the business's); `empty_message`; `unknown_variable` (with `name`), `unclosed_variable`: the message template; `unknown_field`, `invalid_operator`, `invalid_value` (with `name` and `index`): a condition", body = ErrorBody),
    )
)]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    let (graph, enabled) = rule_graph(&state, &caller.business_id, body).await?;
    replace_with(&state, &caller.business_id, &id, &graph, enabled).await
}

/// Replace an automation's flow graph.
#[utoipa::path(
    put,
    path = "/notifications/automations/{id}/graph",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    request_body = GraphBody,
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_graph`: not a flow graph, or an invalid one (with `problems`, each `{code, message, name?, node?}`); `invalid_destination` (with `name` and `id`): a destination that is not the business's", body = ErrorBody),
    )
)]
async fn replace_graph(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GraphBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    let graph = parse_graph(body.graph)?;
    check_destinations(&state, &caller.business_id, &graph).await?;
    replace_with(&state, &caller.business_id, &id, &graph, body.enabled).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutomationToggle)]
struct Toggle {
    enabled: bool,
}

/// Switch an automation on or off.
#[utoipa::path(
    patch,
    path = "/notifications/automations/{id}",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    request_body = Toggle,
    responses(
        (status = 200, description = VIEW, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape", body = ErrorBody),
    )
)]
async fn toggle(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Toggle>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    let a = state
        .store
        .set_automation_enabled(&caller.business_id, &id, body.enabled)
        .await
        .map_err(lookup)?;
    Ok(Json(view(&state, &a, false).await?))
}

/// Delete an automation.
#[utoipa::path(
    delete,
    path = "/notifications/automations/{id}",
    tag = "automations",
    security(("bearer" = ["manage_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageNotifications)?;
    state
        .store
        .delete_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DryRunQuery {
    /// How many of the last analysed calls, 1 to 200 (default 20).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

const DRY_RUN_DEFAULT: u32 = 20;

/// Evaluates `graph` over the business's last analysed calls; sends nothing.
async fn dry_run(
    state: &AppState,
    business_id: &str,
    graph: &Graph,
    limit: Option<&str>,
) -> Result<Json<Value>, ApiError> {
    // Checked like a list's page size, with its own default.
    let limit = match limit {
        None => DRY_RUN_DEFAULT,
        given => super::pagination::limit(given)?,
    };
    let analyses = state
        .store
        .recent_analyses(business_id, limit)
        .await
        .map_err(ApiError::internal)?;
    let public_url = state.settings.public_url.clone().unwrap_or_default();
    let mut calls = Vec::with_capacity(analyses.len());
    let mut matched = 0;
    for analysis in &analyses {
        let call = match state.store.get_call(business_id, &analysis.call_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(ApiError::internal(e)),
        };
        let kind = state
            .store
            .get_integration(business_id, &call.integration_id)
            .await
            .ok()
            .map(|i| i.kind);
        let facts = call_facts(&call, Some(analysis), kind.as_deref(), &public_url);
        let firings = evaluate(graph, &facts);
        if !firings.is_empty() {
            matched += 1;
        }
        calls.push(json!({
            "callId": call.id, "analyzedAt": analysis.analyzed_at,
            "fires": !firings.is_empty(), "deliveries": firings,
        }));
    }
    Ok(Json(json!({
        "evaluated": calls.len(), "matched": matched, "calls": calls,
    })))
}

/// Dry-run a saved automation over the last analysed calls.
#[utoipa::path(
    post,
    path = "/notifications/automations/{id}/test",
    tag = "automations",
    // The dry run shows the calls' transcripts, numbers and analyses,
    // which are `view_calls`'s to read.
    security(("bearer" = ["view_notifications", "view_calls"])),
    params(("id" = String, Path, description = "The automation's id"), DryRunQuery),
    responses(
        (status = 200, description = DRY_RUN, body = Object),
        (status = 400, description = "`invalid_query`: a query other than `limit=<n>`; `invalid_limit`: `limit` is not 1 to 200", body = ErrorBody),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
    )
)]
async fn test_saved(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DryRunQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    caller.require(Scope::ViewCalls)?;
    let a = state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    let graph: Graph = serde_json::from_value(a.graph).map_err(ApiError::internal)?;
    dry_run(&state, &caller.business_id, &graph, q.limit.as_deref()).await
}

/// Dry-run an unsaved rule over the last analysed calls.
#[utoipa::path(
    post,
    path = "/notifications/automations/test",
    tag = "automations",
    // The dry run shows the calls' transcripts, numbers and analyses,
    // which are `view_calls`'s to read.
    security(("bearer" = ["view_notifications", "view_calls"])),
    params(DryRunQuery),
    request_body(content = Object, description = "An automation rule (see `flows/README.md`)"),
    responses(
        (status = 200, description = DRY_RUN, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON; `invalid_query`: a query other than `limit=<n>`; `invalid_limit`: `limit` is not 1 to 200", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_rule`: JSON that is not a rule; `empty_name`; `no_destination`; `invalid_destination` (with `name` and `index`, or `name` and `id` for an id that is not the business's); `empty_message`; `unknown_variable` (with `name`), `unclosed_variable`: the message template; `unknown_field`, `invalid_operator`, `invalid_value` (with `name` and `index`): a condition", body = ErrorBody),
    )
)]
async fn test_unsaved(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    caller.require(Scope::ViewCalls)?;
    let (graph, _enabled) = rule_graph(&state, &caller.business_id, body).await?;
    dry_run(&state, &caller.business_id, &graph, q.limit.as_deref()).await
}

/// The automation's last 100 firings: call, destinations, outcome.
#[utoipa::path(
    get,
    path = "/notifications/automations/{id}/runs",
    tag = "automations",
    security(("bearer" = ["view_notifications"])),
    params(("id" = String, Path, description = "The automation's id")),
    responses(
        (status = 200, description = "`{items: [...]}`", body = Object),
        (status = 404, description = "`automation_not_found`: no such automation in this business", body = ErrorBody),
    )
)]
async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewNotifications)?;
    state
        .store
        .get_automation(&caller.business_id, &id)
        .await
        .map_err(lookup)?;
    let runs = state
        .store
        .automation_runs(&caller.business_id, &id, 100)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({ "items": runs })))
}
