//! The scope each route requires, read from the OpenAPI document: a route
//! declares it once, in its `security(("bearer" = [scope]))`, and the
//! [`Caller`](super::auth::Caller) extractor enforces it before the route
//! reads its query or body. So a token without the scope is 403
//! `missing_scope` whatever it sent, not 415, 400 or 422 first, as the
//! platform documents scopes (seed 000). Handlers still call
//! `Caller::require`, which then always passes.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::Value;

#[derive(Debug, Default)]
pub struct RouteScopes {
    /// (method, path template as axum matches it) → the scopes it needs.
    needs: HashMap<(Method, String), Vec<String>>,
}

impl RouteScopes {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> RouteScopes {
        let mut needs = HashMap::new();
        let Ok(json) = serde_json::to_value(spec) else {
            return RouteScopes { needs };
        };
        let paths = json.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let scopes: Vec<String> = operation
                    .get("security")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|requirement| requirement.get("bearer"))
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                if !scopes.is_empty() {
                    needs.insert((method, path.clone()), scopes);
                }
            }
        }
        RouteScopes { needs }
    }

    /// The scopes `method` on the route matched as `path` needs (all of them).
    pub fn needed(&self, method: &Method, path: &str) -> &[String] {
        self.needs
            .get(&(method.clone(), path.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.needs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scoped_route_of_the_document_is_read() {
        let (_, spec) = super::super::routes().split_for_parts();
        let scopes = RouteScopes::from_spec(&spec);
        assert_eq!(
            scopes.needed(&Method::GET, "/calls"),
            ["view_calls".to_owned()]
        );
        assert_eq!(
            scopes.needed(&Method::POST, "/notifications/send"),
            ["manage_notifications".to_owned()]
        );
        assert_eq!(
            scopes.needed(&Method::PATCH, "/integrations/{id}/sync"),
            ["manage_integrations".to_owned()]
        );
        assert!(scopes.needed(&Method::GET, "/healthz").is_empty());
        assert!(scopes.len() > 50, "{}", scopes.len());
    }
}
