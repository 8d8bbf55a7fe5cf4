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

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::calls::e164;
use super::error::ApiError;
use super::json::ApiJson;
use crate::server::AppState;
use crate::store::{Contact, ContactKind, StoreError, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/directory/users", get(list_users))
        .route("/directory/users/{id}", put(put_user).delete(delete_user))
        .route("/directory/contacts", get(list_contacts))
        .route(
            "/directory/contacts/{id}",
            put(put_contact).delete(delete_contact),
        )
}

const MAX_ID: usize = 128;
const MAX_PHONES: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserBody {
    name: String,
    email: Option<String>,
    extension: Option<String>,
    pbx_user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContactBody {
    #[serde(default = "contact_kind")]
    kind: ContactKind,
    name: String,
    #[serde(default)]
    phones: Vec<String>,
    company_id: Option<String>,
    company_name: Option<String>,
    owner_user_id: Option<String>,
}

fn contact_kind() -> ContactKind {
    ContactKind::Contact
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactQuery {
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
