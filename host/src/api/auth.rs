//! Who is calling: a bearer token bound to one or more businesses, the
//! business this request acts for (`x-business-id`, else the token's
//! default), and the scopes the token carries.
//!
//! | situation                                   | status | code              |
//! |---------------------------------------------|--------|-------------------|
//! | no `Authorization: Bearer`, unknown token   | 401    | `unauthorized`    |
//! | `x-business-id` the token is not bound to   | 403    | `business_forbidden` |
//! | the route needs a scope the token lacks     | 403    | `missing_scope`   |

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::error::ApiError;
use super::route_scopes::RouteScopes;
use crate::server::AppState;
use crate::store::StoreError;

pub const BUSINESS_HEADER: &str = "x-business-id";

/// What a token may do. Each `view_*` reads, each `manage_*` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    ViewNotifications,
    ManageNotifications,
    ViewIntegrations,
    ManageIntegrations,
    ViewCalls,
    ManageCalls,
    ViewDirectory,
    ManageDirectory,
}

impl Scope {
    pub const ALL: &[Scope] = &[
        Scope::ViewNotifications,
        Scope::ManageNotifications,
        Scope::ViewIntegrations,
        Scope::ManageIntegrations,
        Scope::ViewCalls,
        Scope::ManageCalls,
        Scope::ViewDirectory,
        Scope::ManageDirectory,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ViewNotifications => "view_notifications",
            Scope::ManageNotifications => "manage_notifications",
            Scope::ViewIntegrations => "view_integrations",
            Scope::ManageIntegrations => "manage_integrations",
            Scope::ViewCalls => "view_calls",
            Scope::ManageCalls => "manage_calls",
            Scope::ViewDirectory => "view_directory",
            Scope::ManageDirectory => "manage_directory",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.iter().copied().find(|scope| scope.as_str() == s)
    }

    pub fn all_names() -> Vec<String> {
        Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

/// An authenticated request, acting for one business.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: String,
    pub business_id: String,
    /// Whose notification preferences and feed read state this request
    /// uses: the token's member (a directory user of its default business)
    /// when it has one and acts for that business, else the token itself.
    pub reader_id: String,
    scopes: Vec<String>,
}

impl Caller {
    /// 403 `missing_scope` unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        require_named(&self.scopes, scope.as_str())
    }
}

fn require_named(held: &[String], needed: &str) -> Result<(), ApiError> {
    if held.iter().any(|s| s == needed) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "missing_scope",
            format!("this token lacks the `{needed}` scope"),
        ))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("an `Authorization: Bearer <token>` header is required")
            })?;
        let grant = match state.store.authenticate_token(token).await {
            Ok(g) => g,
            Err(StoreError::NotFound) => {
                return Err(ApiError::unauthorized("unknown or revoked token"));
            }
            Err(e) => return Err(ApiError::internal(e)),
        };
        // A blank header is no header (seed 000: "or the token's default
        // business"): clients send `x-business-id: $BUSINESS` with the
        // variable unset.
        let forbidden = || {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "business_forbidden",
                "this token is not bound to the business in `x-business-id`",
            )
        };
        let requested = match parts.headers.get(BUSINESS_HEADER).map(|v| v.to_str()) {
            None => None,
            Some(Ok(v)) if v.trim().is_empty() => None,
            Some(Ok(v)) => Some(v.trim()),
            // Not text: no business of ours is named so.
            Some(Err(_)) => return Err(forbidden()),
        };
        let business_id = match requested {
            None => grant.default_business_id.clone(),
            Some(requested) => {
                if !grant.business_ids.iter().any(|b| b == requested) {
                    return Err(forbidden());
                }
                requested.to_owned()
            }
        };
        // The route's scope, before it reads a query or body.
        if let (Some(routes), Some(matched)) = (
            parts.extensions.get::<Arc<RouteScopes>>(),
            parts.extensions.get::<MatchedPath>(),
        ) {
            for needed in routes.needed(&parts.method, matched.as_str()) {
                require_named(&grant.scopes, needed)?;
            }
        }
        // A member belongs to the default business only.
        let reader_id = if business_id == grant.default_business_id {
            grant.reader_id().to_owned()
        } else {
            grant.token_id.clone()
        };
        Ok(Caller {
            token_id: grant.token_id,
            business_id,
            reader_id,
            scopes: grant.scopes,
        })
    }
}
