//! `/directory`: the business's people and customers, which request/reply
//! vendors query through connectors ("who is calling?", "list our users").
//! Ids are the CRM's own; `PUT` creates or replaces, so a CRM sync can
//! repeat itself safely.
//!
//! - `PUT /directory/users/{id}` `{name, email?, extension?, pbxUserId?}`
//! - `GET /directory/users`, `DELETE /directory/users/{id}`
//! - `PUT /directory/contacts/{id}` `{kind?: contact|company, name, phones[],
//!   companyId?, companyName?, ownerUserId?}` — phones in E.164
//! - `GET /directory/contacts[?phone=+E164]`, `DELETE /directory/contacts/{id}`

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Caller, Scope};
use super::calls::e164;
use super::error::ApiError;
use super::json::ApiJson;
use super::openapi::ErrorBody;
use crate::server::AppState;
use crate::store::{Contact, ContactKind, StoreError, User};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users))
        .routes(routes!(put_user, delete_user))
        .routes(routes!(list_contacts))
        .routes(routes!(put_contact, delete_contact))
}

const USER: &str = "The user: `{id, name, email, extension, pbxUserId}`";
const CONTACT: &str =
    "The contact: `{id, kind, name, phones, companyId, companyName, ownerUserId}`";

const MAX_ID: usize = 128;
const MAX_PHONES: usize = 20;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = DirectoryUserBody)]
struct UserBody {
    /// Not empty.
    name: String,
    email: Option<String>,
    extension: Option<String>,
    pbx_user_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = DirectoryContactBody)]
struct ContactBody {
    /// `contact` (default) or `company`.
    #[serde(default = "contact_kind")]
    kind: ContactKind,
    /// Not empty.
    name: String,
    /// E.164 numbers, at most 20.
    #[serde(default)]
    phones: Vec<String>,
    company_id: Option<String>,
    company_name: Option<String>,
    owner_user_id: Option<String>,
}

fn contact_kind() -> ContactKind {
    ContactKind::Contact
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ContactQuery {
    /// Only contacts with this number (E.164).
    phone: Option<String>,
}

fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID {
        return Err(unprocessable(
            "invalid_id",
            format!("ids are 1 to {MAX_ID} bytes"),
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(unprocessable("invalid_name", "`name` must not be empty"));
    }
    Ok(name.to_owned())
}

fn user_view(u: &User) -> Value {
    json!({
        "id": u.id, "name": u.name, "email": u.email,
        "extension": u.extension, "pbxUserId": u.pbx_user_id,
    })
}

fn contact_view(c: &Contact) -> Value {
    json!({
        "id": c.id, "kind": c.kind, "name": c.name, "phones": c.phones,
        "companyId": c.company_id, "companyName": c.company_name,
        "ownerUserId": c.owner_user_id,
    })
}

fn gone(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |e| match e {
        StoreError::NotFound => {
            ApiError::not_found(what, "no such record in this business's directory")
        }
        other => ApiError::internal(other),
    }
}

/// Create or replace a user.
#[utoipa::path(
    put,
    path = "/directory/users/{id}",
    tag = "directory",
    security(("bearer" = ["manage_directory"])),
    params(("id" = String, Path, description = "The user's id in the CRM (1 to 128 bytes)")),
    request_body = UserBody,
    responses(
        (status = 200, description = USER, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_id`: the id is not 1 to 128 bytes; `invalid_name`: `name` is empty", body = ErrorBody),
    )
)]
async fn put_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageDirectory)?;
    check_id(&id)?;
    let user = User {
        business_id: caller.business_id.clone(),
        id,
        name: check_name(&body.name)?,
        email: body.email.filter(|e| !e.is_empty()),
        extension: body.extension.filter(|e| !e.is_empty()),
        pbx_user_id: body.pbx_user_id.filter(|e| !e.is_empty()),
    };
    state
        .store
        .put_user(&user)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(user_view(&user)))
}

/// The business's users.
#[utoipa::path(
    get,
    path = "/directory/users",
    tag = "directory",
    security(("bearer" = ["view_directory"])),
    responses(
        (status = 200, description = "`{items: [{id, name, email, extension, pbxUserId}]}`", body = Object),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewDirectory)?;
    let users = state
        .store
        .list_users(&caller.business_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        json!({ "items": users.iter().map(user_view).collect::<Vec<_>>() }),
    ))
}

/// Delete a user.
#[utoipa::path(
    delete,
    path = "/directory/users/{id}",
    tag = "directory",
    security(("bearer" = ["manage_directory"])),
    params(("id" = String, Path, description = "The user's id in the CRM (1 to 128 bytes)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`user_not_found`: no such user in this business's directory", body = ErrorBody),
    )
)]
async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageDirectory)?;
    state
        .store
        .delete_user(&caller.business_id, &id)
        .await
        .map_err(gone("user_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create or replace a contact or company.
#[utoipa::path(
    put,
    path = "/directory/contacts/{id}",
    tag = "directory",
    security(("bearer" = ["manage_directory"])),
    params(("id" = String, Path, description = "The contact's id in the CRM (1 to 128 bytes)")),
    request_body = ContactBody,
    responses(
        (status = 200, description = CONTACT, body = Object),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: send `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: JSON of the wrong shape; `invalid_id`: the id is not 1 to 128 bytes; `invalid_phone`: a phone that is not E.164, or more than 20; `invalid_name`: `name` is empty", body = ErrorBody),
    )
)]
async fn put_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ManageDirectory)?;
    check_id(&id)?;
    if body.phones.len() > MAX_PHONES {
        return Err(unprocessable(
            "invalid_phone",
            format!("at most {MAX_PHONES} phones per contact"),
        ));
    }
    let mut phones = Vec::with_capacity(body.phones.len());
    for raw in &body.phones {
        let phone = e164(raw).ok_or_else(|| {
            unprocessable(
                "invalid_phone",
                format!("`{raw}` is not an E.164 number such as +79161234567"),
            )
        })?;
        if !phones.contains(&phone) {
            phones.push(phone);
        }
    }
    let contact = Contact {
        business_id: caller.business_id.clone(),
        id,
        kind: body.kind,
        name: check_name(&body.name)?,
        phones,
        company_id: body.company_id.filter(|v| !v.is_empty()),
        company_name: body.company_name.filter(|v| !v.is_empty()),
        owner_user_id: body.owner_user_id.filter(|v| !v.is_empty()),
    };
    state
        .store
        .put_contact(&contact)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(contact_view(&contact)))
}

/// The business's contacts, or those with a phone number.
#[utoipa::path(
    get,
    path = "/directory/contacts",
    tag = "directory",
    security(("bearer" = ["view_directory"])),
    params(ContactQuery),
    responses(
        (status = 200, description = "`{items: [{id, kind, name, phones, companyId, companyName, ownerUserId}]}`", body = Object),
        (status = 400, description = "`invalid_query`: an unknown or malformed query parameter", body = ErrorBody),
        (status = 422, description = "`invalid_phone`: `phone` is not E.164", body = ErrorBody),
    )
)]
async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<ContactQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::ViewDirectory)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let contacts = match q.phone.as_deref() {
        Some(raw) => {
            let phone = e164(raw).ok_or_else(|| {
                unprocessable("invalid_phone", format!("`{raw}` is not an E.164 number"))
            })?;
            state
                .store
                .find_contacts_by_phone(&caller.business_id, &phone)
                .await
        }
        None => state.store.list_contacts(&caller.business_id).await,
    }
    .map_err(ApiError::internal)?;
    Ok(Json(
        json!({ "items": contacts.iter().map(contact_view).collect::<Vec<_>>() }),
    ))
}

/// Delete a contact.
#[utoipa::path(
    delete,
    path = "/directory/contacts/{id}",
    tag = "directory",
    security(("bearer" = ["manage_directory"])),
    params(("id" = String, Path, description = "The contact's id in the CRM (1 to 128 bytes)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`contact_not_found`: no such contact in this business's directory", body = ErrorBody),
    )
)]
async fn delete_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::ManageDirectory)?;
    state
        .store
        .delete_contact(&caller.business_id, &id)
        .await
        .map_err(gone("contact_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}
