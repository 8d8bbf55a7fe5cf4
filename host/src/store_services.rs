//! The sandbox's [`HostServices`] backed by the [`Store`].

use crate::runtime::services::{DirContact, DirUser, HostServices, IncidentReport};
use crate::store::Store;
use crate::store::{Contact, ContactKind, NewIncident, User};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::crypto::{SecretBox, aad};

pub struct StoreServices {
    pub store: Store,
    /// Seals what components keep in `state` (see [`seal_state`]).
    pub secrets: Arc<SecretBox>,
}

/// How a sealed state value starts; anything else is a value kept before
/// state was sealed, or the host's own (`host.*`, the sync cursor).
pub(crate) const SEALED_STATE: &str = "sealed:1:";
const STATE_RECORD: &str = "installation_state";

/// A component's state value as stored: sealed like integration secrets,
/// bound to its installation and key. Components keep vendor access tokens
/// there (3CX, OrkTrack): a copy of the database alone must not hand them
/// out.
pub(crate) fn seal_state(
    secrets: &SecretBox,
    installation: &str,
    key: &str,
    value: &str,
) -> String {
    let sealed = secrets.seal(value.as_bytes(), &aad(installation, STATE_RECORD, key));
    format!("{SEALED_STATE}{}", STANDARD.encode(sealed))
}

/// The value a component set, from what is stored.
pub(crate) fn open_state(
    secrets: &SecretBox,
    installation: &str,
    key: &str,
    stored: String,
) -> anyhow::Result<String> {
    let Some(encoded) = stored.strip_prefix(SEALED_STATE) else {
        return Ok(stored);
    };
    let sealed = STANDARD.decode(encoded)?;
    let plain = secrets.open(&sealed, &aad(installation, STATE_RECORD, key))?;
    Ok(String::from_utf8(plain)?)
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
        async move {
            let Some(stored) = self.store.state_get(installation, key).await? else {
                return Ok(None);
            };
            // Sealed under a key this server is not configured with (a
            // rotation rolled out out of order): an error, which ends the
            // call. Read as unset, the connector would start its sync over
            // and overwrite a value the other servers can open. A value
            // that is no envelope of ours, or fails its check, no key will
            // ever open: it reads as unset and the next `set` replaces it.
            match open_state(&self.secrets, installation, key, stored) {
                Ok(value) => Ok(Some(value)),
                Err(e)
                    if e.downcast_ref::<crate::crypto::CryptoError>().is_some_and(|c| {
                        matches!(c, crate::crypto::CryptoError::UnknownKey(_))
                    }) =>
                {
                    Err(e)
                }
                Err(e) => {
                    tracing::warn!(error = %e, installation, key, "a state value is not a sealed value any key opens; read as unset");
                    Ok(None)
                }
            }
        }
        .boxed()
    }

    fn state_set<'a>(
        &'a self,
        installation: &'a str,
        key: &'a str,
        value: &'a str,
        max_keys: u32,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        async move {
            let sealed = seal_state(&self.secrets, installation, key, value);
            Ok(self
                .store
                .state_set_within(installation, key, &sealed, max_keys)
                .await?)
        }
        .boxed()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_sealed_to_its_installation_and_key() {
        let secrets = SecretBox::new([3; 32], Vec::new());
        let stored = seal_state(&secrets, "int-1", "threecx.token", "eyJhbGciOi");
        assert!(stored.starts_with(SEALED_STATE), "{stored}");
        assert!(!stored.contains("eyJhbGciOi"));
        assert_eq!(
            open_state(&secrets, "int-1", "threecx.token", stored.clone()).unwrap(),
            "eyJhbGciOi"
        );
        // Copied onto another key or installation, it does not open.
        assert!(open_state(&secrets, "int-1", "other", stored.clone()).is_err());
        assert!(open_state(&secrets, "int-2", "threecx.token", stored).is_err());
        // A value kept before sealing (or the host's cursor) reads as it is.
        assert_eq!(
            open_state(&secrets, "int-1", "host.cursor", "{\"page\":2}".into()).unwrap(),
            "{\"page\":2}"
        );
    }
}
