//! The OpenAPI document, generated from the code: each handler carries a
//! `#[utoipa::path]` annotation, each module's `router()` registers its
//! handlers through `utoipa_axum::routes!` (so a route and its document
//! cannot drift apart), and [`finish`] adds what every route shares.
//!
//! - `GET /openapi.json` — the document (OpenAPI 3.1).
//! - `GET /docs` — a page that renders it (Redoc, loaded from a CDN by the
//!   reader's browser; nothing is bundled or downloaded at build time).
//!
//! What [`finish`] adds, so the handlers' annotations list only their own
//! errors:
//! - the security schemes `bearer` (tenant tokens), `admin` (the operator's
//!   `admin_token`) and `telegramSecret` (Telegram's secret header);
//! - on every operation secured by `bearer`: the optional `x-business-id`
//!   header, 401 `unauthorized` and 403 `business_forbidden` /
//!   `missing_scope` (naming the scope the operation's security requires);
//! - 500 `internal` on every operation that can fail with a 4xx (all but
//!   `/healthz` and this module's);
//! - unique operation ids, `<tag>_<handler>`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type};
use utoipa::{OpenApi, ToSchema};

use super::auth::BUSINESS_HEADER;
use super::error::ApiError;
use crate::server::AppState;

/// The one error shape of every route. `error` is the stable code the
/// responses of each operation list; some errors carry more fields.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"error": "call_not_found", "message": "no such call in this business"}))]
pub struct ErrorBody {
    /// Stable machine code, e.g. `call_not_found`.
    pub error: String,
    /// Human message; wording may change.
    pub message: String,
    /// The offending variable, field or destination list (automation rules,
    /// `invalid_destination`).
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// The offending condition's or destination's position in a rule.
    #[schema(nullable = false)]
    pub index: Option<u64>,
    /// The offending node of a flow graph.
    #[schema(nullable = false)]
    pub node: Option<String>,
    /// The destination id that is not the business's (`invalid_destination`).
    #[schema(nullable = false)]
    pub id: Option<String>,
    /// Every problem of an `invalid_graph`, each `{code, message, name?, node?}`.
    #[schema(nullable = false, value_type = Option<Vec<Object>>)]
    pub problems: Option<Vec<serde_json::Value>>,
}

/// Raw bytes: a vendor's webhook body, recorded audio.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// The document's frame: info, tags and the routes of this module. The
/// modules' routers add their paths (see `api::routes`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "Switchboard, the integration hub: calls, recordings, conversations and \
            the directory folded from vendors' events; integrations with PBX, messaging and \
            recording vendors; notifications, automations and outgoing webhooks.\n\n\
            Authenticate with `Authorization: Bearer <token>`. A token is bound to one or more \
            businesses: send `x-business-id` to act for one other than the token's default. \
            Every error is `{\"error\": \"<code>\", \"message\": \"...\"}`; the codes each \
            operation can answer with are listed under its responses. List routes page with \
            `limit` (1 to 200, default 50) and the previous page's `nextCursor` as `cursor`."
    ),
    paths(openapi_json, docs),
    components(schemas(ErrorBody)),
    tags(
        (name = "health", description = "Liveness for load balancers and orchestrators."),
        (name = "admin", description = "Operator routes, guarded by the server's `admin_token`; \
            without one configured they answer 404."),
        (name = "hooks", description = "Inbound vendor webhooks. No bearer token: the \
            integration's unguessable id (or CTI customer code) in the URL, and whatever the \
            vendor's product allows, checked by the connector."),
        (name = "integrations", description = "A business's connections to its PBX, messaging \
            system or recording source. Secrets are sealed and never returned."),
        (name = "sync", description = "The recording pull schedule of a recording source."),
        (name = "recordings", description = "Recordings pulled from recording sources or linked \
            from vendor webhooks, and their audio."),
        (name = "calls", description = "Calls folded from the vendors' events."),
        (name = "call_control", description = "Driving the PBX through a `call-control` \
            connector: click-to-call and hold."),
        (name = "analysis", description = "A call's analysis: transcript, summary, score, \
            sentiment and tags."),
        (name = "conversations", description = "Messaging chats (WhatsApp through TimelinesAI) \
            and their messages."),
        (name = "directory", description = "The business's users and contacts, which vendors \
            query through connectors. Ids are the CRM's own; `PUT` creates or replaces."),
        (name = "telegram", description = "Linking Telegram chats as notification destinations, \
            and the webhook Telegram calls."),
        (name = "notifications", description = "The notification gateway: send now, \
            destinations, Discord webhooks, the in-app feed and its stream, preferences, \
            delivery logs and replay."),
        (name = "automations", description = "Notification rules, stored as flow graphs (see \
            `flows/README.md` for the rule and graph JSON)."),
        (name = "webhooks", description = "Outgoing webhook endpoints, signed per Standard \
            Webhooks."),
        (name = "openapi", description = "This document and its rendered page."),
    )
)]
pub struct ApiDoc;

/// The routes of this module: they serve the finished document, so they are
/// added after the modules' routers are split into router and document.
pub fn router(spec: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
        .with_state(spec)
}

/// The API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "openapi",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = Object),
    )
)]
async fn openapi_json(
    State(spec): State<Arc<utoipa::openapi::OpenApi>>,
) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(spec.as_ref()).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Switchboard API</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <noscript>This page renders <a href="/openapi.json">/openapi.json</a> with JavaScript.</noscript>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#;

/// A human page that renders `/openapi.json` (Redoc, from a CDN).
#[utoipa::path(
    get,
    path = "/docs",
    tag = "openapi",
    responses(
        (status = 200, description = "An HTML page rendering `/openapi.json`", content_type = "text/html", body = String),
    )
)]
async fn docs() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

fn error_response(description: String) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// Adds `description` to the operation's `status` response, or the response
/// if the handler did not list that status.
fn add_error(op: &mut Operation, status: &str, description: String) {
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{}; {description}", existing.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            op.responses
                .responses
                .insert(status.to_owned(), error_response(description));
        }
    }
}

fn business_header() -> Parameter {
    ParameterBuilder::new()
        .name(BUSINESS_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "The business this request acts for; the token's default business when absent.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// The security requirements of an operation, as `(scheme, scopes)`.
fn requirements(op: &Operation) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for req in op.security.iter().flatten() {
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(req) {
            for (scheme, scopes) in map {
                let scopes = scopes
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                out.push((scheme, scopes));
            }
        }
    }
    out
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// Completes the collected document: security schemes, the shared
/// authentication and internal errors, unique operation ids.
pub fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A tenant API token: `Authorization: Bearer <token>`. The operation's \
                     requirement names the scope the token needs.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "admin",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The server's `admin_token`: `Authorization: Bearer <admin token>`.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "telegramSecret",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-Telegram-Bot-Api-Secret-Token",
            "The secret set with Telegram's setWebhook (`telegram_webhook_secret`).",
        ))),
    );

    let mut ids: HashMap<String, usize> = HashMap::new();
    for item in api.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            let id = operation_id(op);
            *ids.entry(id).or_default() += 1;
        }
    }
    for item in api.paths.paths.values_mut() {
        for (method, op) in operations_mut(item) {
            // The vendor webhooks are documented as GET and POST from one
            // annotation: a GET carries no body.
            if method == "get" {
                op.request_body = None;
            }
            let id = operation_id(op);
            op.operation_id = Some(if ids.get(&id).copied().unwrap_or(0) > 1 {
                format!("{id}_{method}")
            } else {
                id
            });
            for (scheme, scopes) in requirements(op) {
                if scheme != "bearer" {
                    continue;
                }
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(business_header());
                add_error(
                    op,
                    "401",
                    "`unauthorized`: no `Authorization: Bearer` token, or an unknown or revoked one"
                        .into(),
                );
                let scope = match scopes.as_slice() {
                    [] => String::new(),
                    scopes => format!(
                        " (`{}`)",
                        scopes
                            .iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join("`, `")
                    ),
                };
                add_error(
                    op,
                    "403",
                    format!(
                        "`missing_scope`: the token lacks the scope this route needs{scope}; \
                         `business_forbidden`: the token is not bound to the business in \
                         `x-business-id`"
                    ),
                );
            }
            let can_fail = op
                .responses
                .responses
                .keys()
                .any(|status| status.starts_with('4'));
            if can_fail {
                add_error(
                    op,
                    "500",
                    "`internal`: an unexpected failure (logged with its cause)".into(),
                );
            }
        }
    }
    api
}

/// `<tag>_<handler>`: handler names repeat across modules (`list`, `read`).
fn operation_id(op: &Operation) -> String {
    let handler = op.operation_id.clone().unwrap_or_default();
    match op.tags.as_ref().and_then(|t| t.first()) {
        Some(tag) if !handler.starts_with(&format!("{tag}_")) => format!("{tag}_{handler}"),
        _ => handler,
    }
}

/// The whole document, as `GET /openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    finish(super::routes().split_for_parts().1)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn operation_ids_are_unique_and_bearer_routes_document_auth_errors() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let mut ids = HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_owned();
                assert!(ids.insert(id.clone()), "{method} {path}: duplicate id {id}");
                if op["security"][0].get("bearer").is_some() {
                    for status in ["401", "403", "500"] {
                        assert!(
                            op["responses"].get(status).is_some(),
                            "{method} {path}: no {status}"
                        );
                    }
                    let params = op["parameters"].as_array().unwrap();
                    assert!(
                        params.iter().any(|p| p["name"] == "x-business-id"),
                        "{method} {path}"
                    );
                }
            }
        }
        assert!(ids.len() > 50);
    }
}
