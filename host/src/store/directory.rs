//! The tenant directory: the business's people (users, with their PBX
//! extensions) and its customers (contacts and companies, with their E.164
//! numbers), synced in from a CRM and read by connectors through the WIT
//! `directory` interface ("who is calling?").
//!
//! Ids are the CRM's, so they are unique per business only, and writes are
//! upserts: a sync can put the same record again and again.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, now_ms};

/// A person of the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub business_id: String,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// Their extension on the PBX.
    pub extension: Option<String>,
    /// Their id in the PBX, where it has one.
    pub pbx_user_id: Option<String>,
}

impl User {
    fn from_row(row: &AnyRow) -> Result<User, StoreError> {
        Ok(User {
            business_id: row.try_get("business_id")?,
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            extension: row.try_get("extension")?,
            pbx_user_id: row.try_get("pbx_user_id")?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    Contact,
    Company,
}

impl ContactKind {
    fn as_str(self) -> &'static str {
        match self {
            ContactKind::Contact => "contact",
            ContactKind::Company => "company",
        }
    }

    fn parse(text: &str) -> Result<ContactKind, StoreError> {
        match text {
            "contact" => Ok(ContactKind::Contact),
            "company" => Ok(ContactKind::Company),
            other => Err(StoreError::Corrupt(format!(
                "directory_contacts.kind: unknown kind {other:?}"
            ))),
        }
    }
}

/// A customer record: a person or a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub business_id: String,
    pub id: String,
    pub kind: ContactKind,
    pub name: String,
    /// E.164 numbers (`+` and up to 15 digits), the first being the primary one.
    pub phones: Vec<String>,
    pub company_id: Option<String>,
    pub company_name: Option<String>,
    /// The directory user responsible for this contact.
    pub owner_user_id: Option<String>,
}

impl Contact {
    /// Reads one row of a contacts-left-join-phones query; `phones` starts
    /// with this row's number, if it has one.
    fn from_row(row: &AnyRow) -> Result<Contact, StoreError> {
        let kind: String = row.try_get("kind")?;
        let phone: Option<String> = row.try_get("phone_e164")?;
        Ok(Contact {
            business_id: row.try_get("business_id")?,
            id: row.try_get("id")?,
            kind: ContactKind::parse(&kind)?,
            name: row.try_get("name")?,
            phones: phone.into_iter().collect(),
            company_id: row.try_get("company_id")?,
            company_name: row.try_get("company_name")?,
            owner_user_id: row.try_get("owner_user_id")?,
        })
    }

    /// Folds join rows (one per phone, ordered by contact) into contacts.
    fn collect(rows: &[AnyRow]) -> Result<Vec<Contact>, StoreError> {
        let mut contacts: Vec<Contact> = Vec::new();
        for row in rows {
            let contact = Contact::from_row(row)?;
            match contacts.last_mut() {
                Some(last) if last.id == contact.id => last.phones.extend(contact.phones),
                _ => contacts.push(contact),
            }
        }
        Ok(contacts)
    }
}

/// Contacts joined with their phones, one row per phone, grouped by contact.
/// A single statement so the phones always match the contact they belong to.
macro_rules! contacts_with_phones {
    ($filter:literal) => {
        concat!(
            "SELECT c.business_id, c.id, c.kind, c.name, c.company_id, c.company_name, ",
            "c.owner_user_id, p.phone_e164 FROM directory_contacts c ",
            "LEFT JOIN directory_contact_phones p ",
            "ON p.business_id = c.business_id AND p.contact_id = c.id ",
            "WHERE c.business_id = $1 ",
            $filter,
            " ORDER BY c.name, c.id, p.position"
        )
    };
}

impl Store {
    /// Inserts or replaces the user `(user.business_id, user.id)`.
    pub async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO directory_users (business_id, id, name, email, extension, pbx_user_id, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (business_id, id) DO UPDATE SET name = excluded.name, \
             email = excluded.email, extension = excluded.extension, \
             pbx_user_id = excluded.pbx_user_id, updated_at = excluded.updated_at",
        )
        .bind(&user.business_id)
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.extension)
        .bind(&user.pbx_user_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The business's users, by name.
    pub async fn list_users(&self, business_id: &str) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT business_id, id, name, email, extension, pbx_user_id FROM directory_users \
             WHERE business_id = $1 ORDER BY name, id",
        )
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(User::from_row).collect()
    }

    pub async fn delete_user(&self, business_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM directory_users WHERE business_id = $1 AND id = $2")
            .bind(business_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The user with this extension. Extensions are not unique in the table (a
    /// sync may briefly hold two); the lowest id wins, so the answer is stable.
    pub async fn find_user_by_extension(
        &self,
        business_id: &str,
        extension: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT business_id, id, name, email, extension, pbx_user_id FROM directory_users \
             WHERE business_id = $1 AND extension = $2 ORDER BY id LIMIT 1",
        )
        .bind(business_id)
        .bind(extension)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// Inserts or replaces the contact and all of its phones, in one
    /// transaction: a number the database refuses (not E.164) leaves the
    /// previous version untouched.
    pub async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO directory_contacts (business_id, id, kind, name, company_id, \
             company_name, owner_user_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (business_id, id) DO UPDATE SET kind = excluded.kind, \
             name = excluded.name, company_id = excluded.company_id, \
             company_name = excluded.company_name, owner_user_id = excluded.owner_user_id, \
             updated_at = excluded.updated_at",
        )
        .bind(&contact.business_id)
        .bind(&contact.id)
        .bind(contact.kind.as_str())
        .bind(&contact.name)
        .bind(&contact.company_id)
        .bind(&contact.company_name)
        .bind(&contact.owner_user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM directory_contact_phones WHERE business_id = $1 AND contact_id = $2",
        )
        .bind(&contact.business_id)
        .bind(&contact.id)
        .execute(&mut *tx)
        .await?;
        let mut seen = std::collections::HashSet::new();
        // A number listed twice is stored once, at its first position.
        for (position, phone) in contact
            .phones
            .iter()
            .filter(|phone| seen.insert(phone.as_str()))
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO directory_contact_phones (business_id, contact_id, phone_e164, \
                 position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&contact.business_id)
            .bind(&contact.id)
            .bind(phone)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The business's contacts and companies with their phones, by name.
    pub async fn list_contacts(&self, business_id: &str) -> Result<Vec<Contact>, StoreError> {
        let rows: Vec<AnyRow> = sqlx::query(contacts_with_phones!(""))
            .bind(business_id)
            .fetch_all(&self.pool)
            .await?;
        Contact::collect(&rows)
    }

    /// Deletes the contact and its phones.
    pub async fn delete_contact(&self, business_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM directory_contacts WHERE business_id = $1 AND id = $2")
            .bind(business_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Contacts and companies of the business with this exact E.164 number,
    /// each with all of its phones. Normalising the number is the caller's job.
    pub async fn find_contacts_by_phone(
        &self,
        business_id: &str,
        e164: &str,
    ) -> Result<Vec<Contact>, StoreError> {
        let rows: Vec<AnyRow> = sqlx::query(contacts_with_phones!(
            "AND c.id IN (SELECT contact_id FROM directory_contact_phones \
             WHERE business_id = $1 AND phone_e164 = $2)"
        ))
        .bind(business_id)
        .bind(e164)
        .fetch_all(&self.pool)
        .await?;
        Contact::collect(&rows)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::test_stores;
    use super::*;

    fn user(business_id: &str, id: &str, name: &str, extension: Option<&str>) -> User {
        User {
            business_id: business_id.to_owned(),
            id: id.to_owned(),
            name: name.to_owned(),
            email: Some(format!("{id}@example.com")),
            extension: extension.map(str::to_owned),
            pbx_user_id: None,
        }
    }

    fn contact(business_id: &str, id: &str, name: &str, phones: &[&str]) -> Contact {
        Contact {
            business_id: business_id.to_owned(),
            id: id.to_owned(),
            kind: ContactKind::Contact,
            name: name.to_owned(),
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            company_id: None,
            company_name: None,
            owner_user_id: None,
        }
    }

    #[tokio::test]
    async fn users_upsert_and_are_found_by_extension_within_their_business() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;

            store
                .put_user(&user(&acme.id, "u1", "Ann", Some("101")))
                .await?;
            store
                .put_user(&user(&acme.id, "u2", "Bob", Some("102")))
                .await?;
            store
                .put_user(&user(&globex.id, "u1", "Gina", Some("201")))
                .await?;
            // The same id again replaces, not duplicates.
            let mut ann = user(&acme.id, "u1", "Ann Lee", Some("103"));
            ann.pbx_user_id = Some("pbx-7".into());
            store.put_user(&ann).await?;

            assert_eq!(store.list_users(&acme.id).await?.len(), 2, "{backend:?}");
            assert_eq!(
                store.find_user_by_extension(&acme.id, "103").await?,
                Some(ann.clone()),
                "{backend:?}"
            );
            assert_eq!(store.find_user_by_extension(&acme.id, "101").await?, None);
            assert_eq!(
                store.find_user_by_extension(&acme.id, "201").await?,
                None,
                "another tenant's extension must not match"
            );

            store.delete_user(&acme.id, "u1").await?;
            assert!(matches!(
                store.delete_user(&acme.id, "u1").await,
                Err(StoreError::NotFound)
            ));
            assert_eq!(
                store.list_users(&globex.id).await?[0].name,
                "Gina",
                "{backend:?}"
            );
            assert!(matches!(
                store.put_user(&user("ghost", "u1", "X", None)).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn contacts_are_found_by_phone_only_within_their_business() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;

            let mut company = contact(&acme.id, "co1", "Initech", &["+6621234567"]);
            company.kind = ContactKind::Company;
            store.put_contact(&company).await?;
            let mut bob = contact(
                &acme.id,
                "c1",
                "Bob",
                &["+66812345678", "+6621234567", "+66812345678"],
            );
            bob.company_id = Some("co1".into());
            bob.company_name = Some("Initech".into());
            bob.owner_user_id = Some("u1".into());
            store.put_contact(&bob).await?;
            store
                .put_contact(&contact(&globex.id, "g1", "Gail", &["+66812345678"]))
                .await?;

            let found = store
                .find_contacts_by_phone(&acme.id, "+66812345678")
                .await?;
            assert_eq!(found.len(), 1, "{backend:?}: {found:?}");
            assert_eq!(found[0].name, "Bob");
            // All of Bob's numbers come back, once each, in the order given.
            assert_eq!(
                found[0].phones,
                ["+66812345678", "+6621234567"],
                "{backend:?}"
            );
            assert_eq!(found[0].company_name.as_deref(), Some("Initech"));

            let shared = store
                .find_contacts_by_phone(&acme.id, "+6621234567")
                .await?;
            let names: Vec<&str> = shared.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["Bob", "Initech"], "{backend:?}");
            assert_eq!(shared[1].kind, ContactKind::Company);

            // Only exact E.164 matches, and never another tenant's contacts.
            assert!(
                store
                    .find_contacts_by_phone(&acme.id, "0812345678")
                    .await?
                    .is_empty()
            );
            let gail = store
                .find_contacts_by_phone(&globex.id, "+66812345678")
                .await?;
            assert_eq!(gail.len(), 1);
            assert_eq!(gail[0].name, "Gail", "{backend:?}");

            // Replacing a contact replaces its phones.
            store
                .put_contact(&contact(&acme.id, "c1", "Bob", &["+66899999999"]))
                .await?;
            assert!(
                store
                    .find_contacts_by_phone(&acme.id, "+66812345678")
                    .await?
                    .is_empty(),
                "{backend:?}"
            );
            assert_eq!(
                store
                    .find_contacts_by_phone(&acme.id, "+66899999999")
                    .await?[0]
                    .phones,
                ["+66899999999"]
            );

            let all = store.list_contacts(&acme.id).await?;
            assert_eq!(all.len(), 2, "{backend:?}");

            store.delete_contact(&acme.id, "c1").await?;
            assert!(
                store
                    .find_contacts_by_phone(&acme.id, "+66899999999")
                    .await?
                    .is_empty()
            );
            assert!(matches!(
                store.delete_contact(&acme.id, "c1").await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_phone_leaves_the_previous_contact_intact() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let before = contact(&acme.id, "c1", "Bob", &["+66812345678"]);
            store.put_contact(&before).await?;

            // The contact row and the first phone are written before the
            // second phone fails its E.164 check; all of it must roll back.
            let broken = contact(&acme.id, "c1", "Robert", &["+66800000000", "not-a-number"]);
            assert!(store.put_contact(&broken).await.is_err(), "{backend:?}");
            assert_eq!(
                store.list_contacts(&acme.id).await?,
                vec![before],
                "{backend:?}"
            );

            // A brand-new contact that fails leaves no trace either.
            let fresh = contact(&acme.id, "c2", "Carol", &["+66811111111", "0811"]);
            assert!(store.put_contact(&fresh).await.is_err());
            assert_eq!(store.list_contacts(&acme.id).await?.len(), 1, "{backend:?}");
            assert!(
                store
                    .find_contacts_by_phone(&acme.id, "+66811111111")
                    .await?
                    .is_empty()
            );
        }
        Ok(())
    }
}
