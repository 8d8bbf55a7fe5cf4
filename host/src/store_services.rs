//! The sandbox's [`HostServices`] backed by the [`Store`].

use crate::runtime::services::{DirContact, DirUser, HostServices, IncidentReport};
use crate::store::Store;
use crate::store::{Contact, ContactKind, NewIncident, User};
use futures::FutureExt;
use futures::future::BoxFuture;

pub struct StoreServices {
    pub store: Store,
}

fn user(u: User) -> DirUser {
    DirUser {
        id: u.id,
        name: u.name,
        email: u.email,
        extension: u.extension,
        pbx_user_id: u.pbx_user_id,
    }
}

fn contact(c: Contact) -> DirContact {
    DirContact {
        id: c.id,
        is_company: c.kind == ContactKind::Company,
        name: c.name,
        phones: c.phones,
        company_id: c.company_id,
        company_name: c.company_name,
        owner_user_id: c.owner_user_id,
    }
}

impl HostServices for StoreServices {
    fn state_get<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<String>>> {
        async move { Ok(self.store.state_get(installation, key).await?) }.boxed()
    }

    fn state_set<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move { Ok(self.store.state_set(installation, key, value).await?) }.boxed()
    }

    fn state_delete<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            self.store.state_delete(installation, key).await?;
            Ok(())
        }
        .boxed()
    }

    fn list_users<'a>(&'a self, business: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<DirUser>>> {
        async move {
            Ok(self
                .store
                .list_users(business)
                .await?
                .into_iter()
                .map(user)
                .collect())
        }
        .boxed()
    }

    fn find_contacts<'a>(
        &'a self,
        business: &'a str,
        phone_e164: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<DirContact>>> {
        async move {
            Ok(self
                .store
                .find_contacts_by_phone(business, phone_e164)
                .await?
                .into_iter()
                .map(contact)
                .collect())
        }
        .boxed()
    }

    fn find_user_by_extension<'a>(
        &'a self,
        business: &'a str,
        extension: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<DirUser>>> {
        async move {
            Ok(self
                .store
                .find_user_by_extension(business, extension)
                .await?
                .map(user))
        }
        .boxed()
    }

    fn record_incident(&self, report: IncidentReport) -> BoxFuture<'_, anyhow::Result<()>> {
        async move {
            self.store
                .record_incident(NewIncident {
                    business_id: report.business_id,
                    integration_id: report.installation_id,
                    component: report.component,
                    component_version: report.component_version,
                    kind: report.kind,
                    message: report.message,
                })
                .await?;
            Ok(())
        }
        .boxed()
    }
}
