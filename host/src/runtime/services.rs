//! What the capabilities need from the rest of the host (state and directory
//! storage), behind a trait so the sandbox does not depend on the store's row
//! types and each capability can be tested on its own.

use futures::future::BoxFuture;

/// A tenant user as the directory capability returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirUser {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub extension: Option<String>,
    pub pbx_user_id: Option<String>,
}

/// A contact or company as the directory capability returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirContact {
    pub id: String,
    pub is_company: bool,
    pub name: String,
    pub phones: Vec<String>,
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    pub owner_user_id: Option<String>,
}

/// A limit breach or guest crash, for the incident log.
#[derive(Debug, Clone)]
pub struct IncidentReport {
    pub business_id: String,
    pub installation_id: Option<String>,
    pub component: String,
    pub component_version: String,
    pub kind: String,
    pub message: String,
}

pub trait HostServices: Send + Sync + 'static {
    fn state_get<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<String>>>;
    /// Sets `key` unless that would make more than `max_keys` keys (the
    /// host's `host.*` aside): false, and nothing written, when full.
    fn state_set<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
        value: &'a str,
        max_keys: u32,
    ) -> BoxFuture<'a, anyhow::Result<bool>>;
    fn state_delete<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
    fn list_users<'a>(&'a self, business: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<DirUser>>>;
    fn find_contacts<'a>(
        &'a self,
        business: &'a str,
        phone_e164: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<DirContact>>>;
    fn find_user_by_extension<'a>(
        &'a self,
        business: &'a str,
        extension: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<DirUser>>>;
    fn record_incident(&self, report: IncidentReport) -> BoxFuture<'_, anyhow::Result<()>>;
}
