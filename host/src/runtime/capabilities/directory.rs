//! The tenant's directory, read-only, scoped to the call's business.

use crate::runtime::call_state::CallState;
use crate::runtime::services::{DirContact, DirUser};
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::directory::Host;
use crate::runtime::wit::since_v0_1_0::capabilities::switchboard::connector::types::{
    Contact, ContactKind, DirectoryUser,
};

fn user(u: DirUser) -> DirectoryUser {
    DirectoryUser {
        id: u.id,
        name: u.name,
        email: u.email,
        extension: u.extension,
        pbx_user_id: u.pbx_user_id,
    }
}

fn contact(c: DirContact) -> Contact {
    Contact {
        id: c.id,
        kind: if c.is_company {
            ContactKind::Company
        } else {
            ContactKind::Contact
        },
        name: c.name,
        phones: c.phones,
        company_id: c.company_id,
        company_name: c.company_name,
        owner_user_id: c.owner_user_id,
    }
}

impl Host for CallState {
    async fn list_users(&mut self) -> wasmtime::Result<Vec<DirectoryUser>> {
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        let users = services
            .list_users(&self.ctx.business_id)
            .await
            .map_err(|e| wasmtime::Error::from_anyhow(e.context("directory list-users")))?;
        Ok(users.into_iter().map(user).collect())
    }

    async fn find_contacts(&mut self, phone: String) -> wasmtime::Result<Vec<Contact>> {
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        let found = services
            .find_contacts(&self.ctx.business_id, &phone)
            .await
            .map_err(|e| wasmtime::Error::from_anyhow(e.context("directory find-contacts")))?;
        Ok(found.into_iter().map(contact).collect())
    }

    async fn find_user_by_extension(
        &mut self,
        extension: String,
    ) -> wasmtime::Result<Option<DirectoryUser>> {
        self.store_call()?;
        let services = std::sync::Arc::clone(&self.env.services);
        let found = services
            .find_user_by_extension(&self.ctx.business_id, &extension)
            .await
            .map_err(|e| {
                wasmtime::Error::from_anyhow(e.context("directory find-user-by-extension"))
            })?;
        Ok(found.map(user))
    }
}
