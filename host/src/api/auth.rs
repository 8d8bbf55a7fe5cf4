//! Who is calling: a bearer token bound to one or more businesses, the
//! business this request acts for (`x-business-id`, else the token's
//! default), and the scopes the token carries.
//!
//! | situation                                   | status | code              |
//! |---------------------------------------------|--------|-------------------|
//! | no `Authorization: Bearer`, unknown token   | 401    | `unauthorized`    |
//! | `x-business-id` the token is not bound to   | 403    | `business_forbidden` |
//! | the route needs a scope the token lacks     | 403    | `missing_scope`   |

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::error::ApiError;
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
        if self.scopes.iter().any(|s| s == scope.as_str()) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_scope",
                format!("this token lacks the `{}` scope", scope.as_str()),
            ))
        }
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
        let business_id = match parts.headers.get(BUSINESS_HEADER) {
            None => grant.default_business_id.clone(),
            Some(v) => {
                let requested = v.to_str().unwrap_or_default().trim();
                if !grant.business_ids.iter().any(|b| b == requested) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "business_forbidden",
                        "this token is not bound to the business in `x-business-id`",
                    ));
                }
                requested.to_owned()
            }
        };
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
