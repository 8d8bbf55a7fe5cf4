//! Integrations: one business's installation of one connector kind, with its
//! settings, its encrypted secrets and whether it is the default of its family.
//!
//! Two columns are derived from the caller's input rather than given:
//!
//! - `family` = [`kind_family`]`(kind)`: the part of the kind before the first
//!   `:` (`recording:dtac` and `recording:3cx` are both `recording`), or the
//!   whole kind when it has none. A business has at most one default per
//!   family, enforced by a partial unique index.
//! - `route_key` = the config value named by [`route_field`]`(kind)`, for
//!   kinds whose inbound webhooks identify the installation by a setting
//!   rather than by its id (the CTI call center puts the `customer` code in
//!   its URL). It is unique per kind across all businesses, so one tenant
//!   cannot claim another tenant's code and receive its calls.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get_bool, new_id, now_ms, parse_json};

/// Kinds routed by a config value, and the config field holding it.
pub const ROUTE_FIELDS: &[(&str, &str)] = &[("cti-callcenter", "customer")];

/// The config field that routes inbound traffic for `kind`, if it has one.
pub fn route_field(kind: &str) -> Option<&'static str> {
    ROUTE_FIELDS
        .iter()
        .find(|(routed, _)| *routed == kind)
        .map(|(_, field)| *field)
}

/// The family a kind competes in for "default": the text before the first
/// `:`, or the whole kind.
pub fn kind_family(kind: &str) -> &str {
    kind.split_once(':').map_or(kind, |(family, _)| family)
}

/// The value of `field` in `config` as routing compares it: strings as they
/// are, numbers in their JSON spelling (a code typed as `123` matches `"123"`).
fn config_value(config: &Value, field: &str) -> Option<String> {
    match config.get(field)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn route_key(kind: &str, config: &Value) -> Option<String> {
    config_value(config, route_field(kind)?)
}

/// A stored integration. `secrets` is the sealed envelope and never leaves
/// the process through serialisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Integration {
    pub id: String,
    pub business_id: String,
    pub kind: String,
    pub family: String,
    pub name: String,
    pub config: Value,
    /// The routing value copied from `config` (see the module docs).
    pub route_key: Option<String>,
    #[serde(skip)]
    pub secrets: Option<Vec<u8>>,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns `Integration::from_row` reads, as a literal for `concat!`.
macro_rules! integration_columns {
    () => {
        "id, business_id, kind, family, name, config_json, route_key, secrets, is_default, \
         created_at, updated_at"
    };
}

impl Integration {
    fn from_row(row: &AnyRow) -> Result<Integration, StoreError> {
        let config: String = row.try_get("config_json")?;
        Ok(Integration {
            id: row.try_get("id")?,
            business_id: row.try_get("business_id")?,
            kind: row.try_get("kind")?,
            family: row.try_get("family")?,
            name: row.try_get("name")?,
            config: parse_json(&config, "integrations.config_json")?,
            route_key: row.try_get("route_key")?,
            secrets: row.try_get("secrets")?,
            is_default: get_bool(row, "is_default")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// What a caller gives to create an integration. `secrets` is already sealed
/// (`crypto::SecretBox::seal` with `aad(business_id, "integration", id)`); to
/// know the id before sealing, make one with [`new_id`](super::new_id) and
/// call [`Store::create_integration_with_id`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntegration {
    pub business_id: String,
    pub kind: String,
    pub name: String,
    pub config: Value,
    pub secrets: Option<Vec<u8>>,
}

/// A partial update: `None` leaves a field as it is. `secrets: Some(None)`
/// removes the secrets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntegrationPatch {
    pub name: Option<String>,
    pub config: Option<Value>,
    pub secrets: Option<Option<Vec<u8>>>,
}

impl Store {
    /// Creates an integration with a fresh id; not the default of its family.
    pub async fn create_integration(&self, new: NewIntegration) -> Result<Integration, StoreError> {
        self.create_integration_with_id(&new_id(), new).await
    }

    /// Creates an integration with an id the caller chose (so it could bind
    /// the secrets' envelope to it). Conflict when the id is taken or another
    /// integration of the kind already has the same route key.
    pub async fn create_integration_with_id(
        &self,
        id: &str,
        new: NewIntegration,
    ) -> Result<Integration, StoreError> {
        let now = now_ms();
        let integration = Integration {
            id: id.to_owned(),
            family: kind_family(&new.kind).to_owned(),
            route_key: route_key(&new.kind, &new.config),
            business_id: new.business_id,
            kind: new.kind,
            name: new.name,
            config: new.config,
            secrets: new.secrets,
            is_default: false,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO integrations (id, business_id, kind, family, name, config_json, \
             route_key, secrets, is_default, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, $9, $9)",
        )
        .bind(&integration.id)
        .bind(&integration.business_id)
        .bind(&integration.kind)
        .bind(&integration.family)
        .bind(&integration.name)
        .bind(integration.config.to_string())
        .bind(&integration.route_key)
        .bind(&integration.secrets)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(integration)
    }

    /// The integration `id` of `business_id`; another business's integration
    /// is NotFound, exactly like a missing one.
    pub async fn get_integration(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Integration, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            integration_columns!(),
            " FROM integrations WHERE business_id = $1 AND id = $2"
        ))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Integration::from_row(&row)
    }

    /// The integration `id` whatever its business: only for inbound webhook
    /// routing, where the id in the URL is all there is.
    pub async fn get_integration_any(&self, id: &str) -> Result<Integration, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            integration_columns!(),
            " FROM integrations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Integration::from_row(&row)
    }

    /// The integration of `kind` whose config has `key` = `value`, across all
    /// businesses (inbound routing, e.g. `("cti-callcenter", "customer",
    /// code)`).
    ///
    /// When `key` is the kind's [`route_field`] this is an indexed look-up of
    /// a value that is unique by construction. Any other key falls back to
    /// reading every integration of the kind, and more than one match is a
    /// Conflict rather than a guess, since routing to the wrong tenant would
    /// leak its data.
    pub async fn find_integration_by_config(
        &self,
        kind: &str,
        key: &str,
        value: &str,
    ) -> Result<Integration, StoreError> {
        if route_field(kind) == Some(key) {
            let row = sqlx::query(concat!(
                "SELECT ",
                integration_columns!(),
                " FROM integrations WHERE kind = $1 AND route_key = $2"
            ))
            .bind(kind)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            return Integration::from_row(&row);
        }

        let rows = sqlx::query(concat!(
            "SELECT ",
            integration_columns!(),
            " FROM integrations WHERE kind = $1"
        ))
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        let mut found = Vec::new();
        for row in &rows {
            let integration = Integration::from_row(row)?;
            if config_value(&integration.config, key).as_deref() == Some(value) {
                found.push(integration);
            }
        }
        match found.len() {
            0 => Err(StoreError::NotFound),
            1 => Ok(found.remove(0)),
            n => Err(StoreError::Conflict(format!(
                "{n} integrations of kind {kind} have {key} = {value}"
            ))),
        }
    }

    /// The business's integrations, oldest first.
    pub async fn list_integrations(
        &self,
        business_id: &str,
    ) -> Result<Vec<Integration>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            integration_columns!(),
            " FROM integrations WHERE business_id = $1 ORDER BY created_at, id"
        ))
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Integration::from_row).collect()
    }

    /// Applies `patch` in one statement and returns the updated row. A new
    /// config recomputes the route key (Conflict if another integration of the
    /// kind has it).
    pub async fn update_integration(
        &self,
        business_id: &str,
        id: &str,
        patch: IntegrationPatch,
    ) -> Result<Integration, StoreError> {
        // The route key depends on the kind, which only the row knows; the
        // kind never changes, so reading it first cannot race with anything.
        let kind: String =
            sqlx::query_scalar("SELECT kind FROM integrations WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        let new_route_key = patch
            .config
            .as_ref()
            .and_then(|config| route_key(&kind, config));
        let (set_secrets, secrets) = match patch.secrets {
            Some(secrets) => (true, secrets),
            None => (false, None),
        };
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(concat!(
            "UPDATE integrations SET ",
            "name = COALESCE($3, name), ",
            "config_json = COALESCE($4, config_json), ",
            "route_key = CASE WHEN $5 THEN $6 ELSE route_key END, ",
            "secrets = CASE WHEN $7 THEN $8 ELSE secrets END, ",
            "updated_at = $9 ",
            "WHERE business_id = $1 AND id = $2 RETURNING ",
            integration_columns!()
        ))
        .bind(business_id)
        .bind(id)
        .bind(patch.name)
        .bind(patch.config.as_ref().map(Value::to_string))
        .bind(patch.config.is_some())
        .bind(new_route_key)
        .bind(set_secrets)
        .bind(secrets)
        .bind(now_ms())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        if patch.config.is_some() {
            // A new `pbxUrl` may let the host reach links it left alone.
            super::recording_links::retry_kept_links(&mut tx, business_id, id).await?;
        }
        tx.commit().await?;
        Integration::from_row(&row)
    }

    /// Deletes the integration with its state and inbound events (incidents
    /// keep their record).
    ///
    /// Returns the storage keys of the audio its calls' recordings had (the
    /// rows go with the calls): the caller removes the files.
    pub async fn delete_integration(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The recordings are deleted here rather than by the calls' cascade,
        // so that the keys are those of exactly the rows deleted, whatever
        // committed since (a download finishing).
        let keys: Vec<Option<String>> = sqlx::query_scalar(
            "DELETE FROM recordings WHERE business_id = $1 \
             AND call_id IN (SELECT id FROM calls WHERE business_id = $1 AND integration_id = $2) \
             RETURNING storage_key",
        )
        .bind(business_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM integrations WHERE business_id = $1 AND id = $2")
            .bind(business_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(keys.into_iter().flatten().collect())
    }

    /// Makes `id` the one default of its family in its business. Two
    /// concurrent switches in one family cannot both win: the loser gets
    /// Conflict and can retry.
    pub async fn set_default_integration(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Clear first, then set: the one-default index is checked row by row,
        // so setting first would collide with the old default.
        sqlx::query(
            "UPDATE integrations SET is_default = FALSE, updated_at = $3 \
             WHERE business_id = $1 AND is_default = TRUE AND id <> $2 \
             AND family = (SELECT family FROM integrations WHERE business_id = $1 AND id = $2)",
        )
        .bind(business_id)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE integrations SET is_default = TRUE, updated_at = $3 \
             WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // Dropping the transaction rolls it back.
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::test_stores;
    use super::*;

    fn new(business_id: &str, kind: &str, name: &str, config: Value) -> NewIntegration {
        NewIntegration {
            business_id: business_id.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            config,
            secrets: None,
        }
    }

    #[test]
    fn families_and_route_keys_are_derived_from_the_kind() {
        assert_eq!(kind_family("recording:dtac"), "recording");
        assert_eq!(kind_family("threecx-webhooks"), "threecx-webhooks");
        assert_eq!(route_field("cti-callcenter"), Some("customer"));
        assert_eq!(route_field("threecx-webhooks"), None);
        assert_eq!(
            route_key("cti-callcenter", &json!({"customer": 4711})),
            Some("4711".to_owned())
        );
        assert_eq!(route_key("cti-callcenter", &json!({"customer": ""})), None);
        assert_eq!(route_key("dtac", &json!({"customer": "x"})), None);
    }

    #[tokio::test]
    async fn create_get_list_and_scoping() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            let mut input = new(
                &acme.id,
                "recording:dtac",
                "DTAC",
                json!({"baseUrl": "https://x"}),
            );
            input.secrets = Some(vec![1, 0, 255, 7]);
            let created = store.create_integration(input).await?;
            assert_eq!(created.family, "recording");
            assert!(!created.is_default);

            let fetched = store.get_integration(&acme.id, &created.id).await?;
            assert_eq!(fetched, created, "{backend:?}");
            assert_eq!(fetched.secrets, Some(vec![1, 0, 255, 7]), "{backend:?}");
            assert_eq!(store.get_integration_any(&created.id).await?, created);

            // Another business sees nothing, and cannot change or delete it.
            assert!(
                matches!(
                    store.get_integration(&globex.id, &created.id).await,
                    Err(StoreError::NotFound)
                ),
                "{backend:?}"
            );
            assert!(matches!(
                store
                    .update_integration(
                        &globex.id,
                        &created.id,
                        IntegrationPatch {
                            name: Some("stolen".into()),
                            ..Default::default()
                        }
                    )
                    .await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store.delete_integration(&globex.id, &created.id).await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                store.set_default_integration(&globex.id, &created.id).await,
                Err(StoreError::NotFound)
            ));
            assert!(store.list_integrations(&globex.id).await?.is_empty());
            assert_eq!(store.list_integrations(&acme.id).await?, vec![created]);

            // A business that does not exist cannot own one.
            assert!(matches!(
                store
                    .create_integration(new("ghost", "dtac", "x", json!({})))
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn secrets_never_serialise() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let acme = store.create_business("Acme").await?;
            let mut input = new(&acme.id, "dtac", "DTAC", json!({}));
            input.secrets = Some(b"ciphertext".to_vec());
            let created = store.create_integration(input).await?;
            let json = serde_json::to_value(&created)?;
            assert!(json.get("secrets").is_none(), "{json}");
            assert_eq!(json["name"], "DTAC");
        }
        Ok(())
    }

    #[tokio::test]
    async fn update_patches_only_what_it_names() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let mut input = new(&acme.id, "cti-callcenter", "CTI", json!({"customer": "c1"}));
            input.secrets = Some(vec![9; 4]);
            let created = store.create_integration(input).await?;
            assert_eq!(created.route_key.as_deref(), Some("c1"));

            let renamed = store
                .update_integration(
                    &acme.id,
                    &created.id,
                    IntegrationPatch {
                        name: Some("CTI main".into()),
                        ..Default::default()
                    },
                )
                .await?;
            assert_eq!(renamed.name, "CTI main", "{backend:?}");
            assert_eq!(renamed.config, created.config, "{backend:?}");
            assert_eq!(renamed.route_key.as_deref(), Some("c1"), "{backend:?}");
            assert_eq!(renamed.secrets, Some(vec![9; 4]), "{backend:?}");

            let reconfigured = store
                .update_integration(
                    &acme.id,
                    &created.id,
                    IntegrationPatch {
                        config: Some(json!({"customer": "c2"})),
                        secrets: Some(Some(vec![7; 3])),
                        ..Default::default()
                    },
                )
                .await?;
            assert_eq!(reconfigured.name, "CTI main");
            assert_eq!(reconfigured.route_key.as_deref(), Some("c2"), "{backend:?}");
            assert_eq!(reconfigured.secrets, Some(vec![7; 3]), "{backend:?}");

            let cleared = store
                .update_integration(
                    &acme.id,
                    &created.id,
                    IntegrationPatch {
                        secrets: Some(None),
                        ..Default::default()
                    },
                )
                .await?;
            assert_eq!(cleared.secrets, None, "{backend:?}");
            assert_eq!(store.get_integration(&acme.id, &created.id).await?, cleared);

            store.delete_integration(&acme.id, &created.id).await?;
            assert!(matches!(
                store.get_integration_any(&created.id).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn route_keys_find_one_integration_and_cannot_be_claimed_twice() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            let cti = store
                .create_integration(new(
                    &acme.id,
                    "cti-callcenter",
                    "CTI",
                    json!({"customer": "acme01"}),
                ))
                .await?;

            let found = store
                .find_integration_by_config("cti-callcenter", "customer", "acme01")
                .await?;
            assert_eq!(found.id, cti.id, "{backend:?}");
            assert!(matches!(
                store
                    .find_integration_by_config("cti-callcenter", "customer", "other")
                    .await,
                Err(StoreError::NotFound)
            ));

            // Another tenant cannot take the same code, on create or update.
            let claim = store
                .create_integration(new(
                    &globex.id,
                    "cti-callcenter",
                    "CTI",
                    json!({"customer": "acme01"}),
                ))
                .await;
            assert!(
                matches!(claim, Err(StoreError::Conflict(_))),
                "{backend:?}: {claim:?}"
            );
            let own = store
                .create_integration(new(
                    &globex.id,
                    "cti-callcenter",
                    "CTI",
                    json!({"customer": "globex01"}),
                ))
                .await?;
            let steal = store
                .update_integration(
                    &globex.id,
                    &own.id,
                    IntegrationPatch {
                        config: Some(json!({"customer": "acme01"})),
                        ..Default::default()
                    },
                )
                .await;
            assert!(matches!(steal, Err(StoreError::Conflict(_))), "{steal:?}");
            // The refused update changed nothing.
            assert_eq!(
                store.get_integration(&globex.id, &own.id).await?.route_key,
                Some("globex01".to_owned())
            );

            // Unindexed keys work too, and refuse to guess between two matches.
            for business in [&acme.id, &globex.id] {
                store
                    .create_integration(new(business, "dtac", "DTAC", json!({"region": "th"})))
                    .await?;
            }
            store
                .create_integration(new(&acme.id, "dtac", "DTAC 2", json!({"region": "vn"})))
                .await?;
            let vn = store
                .find_integration_by_config("dtac", "region", "vn")
                .await?;
            assert_eq!(vn.name, "DTAC 2", "{backend:?}");
            assert!(matches!(
                store
                    .find_integration_by_config("dtac", "region", "th")
                    .await,
                Err(StoreError::Conflict(_))
            ));
            assert!(matches!(
                store
                    .find_integration_by_config("dtac", "region", "us")
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn default_switching_leaves_exactly_one_default_per_family() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            let dtac = store
                .create_integration(new(&acme.id, "recording:dtac", "DTAC", json!({})))
                .await?;
            let threecx = store
                .create_integration(new(&acme.id, "recording:3cx", "3CX", json!({})))
                .await?;
            let telegram = store
                .create_integration(new(&acme.id, "telegram", "TG", json!({})))
                .await?;
            let other = store
                .create_integration(new(&globex.id, "recording:dtac", "DTAC", json!({})))
                .await?;
            store.set_default_integration(&globex.id, &other.id).await?;
            store
                .set_default_integration(&acme.id, &telegram.id)
                .await?;

            let defaults = |list: Vec<Integration>| -> Vec<String> {
                list.into_iter()
                    .filter(|i| i.is_default)
                    .map(|i| i.name)
                    .collect()
            };

            store.set_default_integration(&acme.id, &dtac.id).await?;
            assert_eq!(
                defaults(store.list_integrations(&acme.id).await?),
                ["DTAC", "TG"],
                "{backend:?}"
            );
            store.set_default_integration(&acme.id, &threecx.id).await?;
            assert_eq!(
                defaults(store.list_integrations(&acme.id).await?),
                ["3CX", "TG"],
                "{backend:?}"
            );
            // Setting it again is harmless.
            store.set_default_integration(&acme.id, &threecx.id).await?;
            assert_eq!(
                defaults(store.list_integrations(&acme.id).await?),
                ["3CX", "TG"]
            );
            // An unknown id changes nothing.
            assert!(matches!(
                store.set_default_integration(&acme.id, "nope").await,
                Err(StoreError::NotFound)
            ));
            assert_eq!(
                defaults(store.list_integrations(&acme.id).await?),
                ["3CX", "TG"]
            );
            // The other business's default is untouched throughout.
            assert_eq!(
                defaults(store.list_integrations(&globex.id).await?),
                ["DTAC"],
                "{backend:?}"
            );

            // The database itself refuses a second default in a family.
            let second = sqlx::query("UPDATE integrations SET is_default = TRUE WHERE id = $1")
                .bind(&dtac.id)
                .execute(store.pool())
                .await;
            assert!(
                matches!(
                    second.map_err(StoreError::from),
                    Err(StoreError::Conflict(_))
                ),
                "{backend:?}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn corrupt_config_is_reported_not_swallowed() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let acme = store.create_business("Acme").await?;
            let created = store
                .create_integration(new(&acme.id, "dtac", "DTAC", json!({})))
                .await?;
            sqlx::query("UPDATE integrations SET config_json = $1 WHERE id = $2")
                .bind("[unterminated")
                .bind(&created.id)
                .execute(store.pool())
                .await?;
            assert!(matches!(
                store.get_integration(&acme.id, &created.id).await,
                Err(StoreError::Corrupt(_))
            ));
        }
        Ok(())
    }
}
