//! API tokens: bearer credentials bound to one or more businesses, one of
//! them the default, with a set of scopes. Only a hash of each token is
//! stored; the text is shown once, when it is created.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Store, StoreError, new_id, now_ms, one_row};

/// Every token starts with this, so a leaked one is easy to grep for in logs
/// and repositories.
pub const TOKEN_PREFIX: &str = "sbt_";

/// A token as the API sees it after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub token_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub default_business_id: String,
    pub business_ids: Vec<String>,
    /// The member (directory user of the default business) it speaks for.
    pub user_id: Option<String>,
}

impl TokenGrant {
    /// Whose preferences and feed read state a request with this token
    /// uses in its default business: its member's, shared by all their
    /// tokens, else its own.
    pub fn reader_id(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.token_id)
    }
}

/// A new token and its grant; `token` is the only copy of the secret text.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub grant: TokenGrant,
}

/// SHA-256, hex: tokens carry 256 bits of randomness, so a plain hash is
/// enough (no password stretching needed) and lookups stay one index probe.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    use base64::Engine as _;
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

impl Store {
    /// Issues a token for `business_ids` (the first is the default). NotFound
    /// when a business does not exist; nothing is stored then.
    pub async fn create_token(
        &self,
        name: &str,
        business_ids: &[String],
        scopes: &[String],
    ) -> Result<IssuedToken, StoreError> {
        self.create_member_token(name, business_ids, scopes, None)
            .await
    }

    /// Issues a token that speaks for `user_id`, a member (directory user)
    /// of the default business. NotFound when a business or the member does
    /// not exist there; nothing is stored then.
    pub async fn create_member_token(
        &self,
        name: &str,
        business_ids: &[String],
        scopes: &[String],
        user_id: Option<&str>,
    ) -> Result<IssuedToken, StoreError> {
        let Some(default_business_id) = business_ids.first() else {
            return Err(StoreError::NotFound);
        };
        if let Some(user) = user_id {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT id FROM directory_users WHERE business_id = $1 AND id = $2",
            )
            .bind(default_business_id)
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let token = generate_token();
        let grant = TokenGrant {
            token_id: new_id(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            default_business_id: default_business_id.clone(),
            business_ids: business_ids.to_vec(),
            user_id: user_id.map(str::to_owned),
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, name, scopes, default_business_id, created_at, \
             user_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&grant.token_id)
        .bind(hash_token(&token))
        .bind(name)
        .bind(scopes.join(" "))
        .bind(default_business_id)
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        for business_id in business_ids {
            sqlx::query(
                "INSERT INTO api_token_businesses (token_id, business_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&grant.token_id)
            .bind(business_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(IssuedToken { token, grant })
    }

    /// The grant of a presented token; NotFound for an unknown or revoked one.
    pub async fn authenticate_token(&self, token: &str) -> Result<TokenGrant, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, scopes, default_business_id, user_id FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_token(token))
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let token_id: String = row.try_get("id")?;
        let scopes: String = row.try_get("scopes")?;
        let business_ids = sqlx::query(
            "SELECT business_id FROM api_token_businesses WHERE token_id = $1 ORDER BY business_id",
        )
        .bind(&token_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("business_id"))
        .collect::<Result<Vec<_>, _>>()?;
        Ok(TokenGrant {
            token_id,
            name: row.try_get("name")?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            default_business_id: row.try_get("default_business_id")?,
            business_ids,
            user_id: row.try_get("user_id")?,
        })
    }

    /// Whether the token was revoked (or is gone): for long-lived requests,
    /// such as an event stream, that outlive the check made when they began.
    pub async fn token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        let live = sqlx::query("SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL")
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(live.is_none())
    }

    /// Revokes a token; later requests with it are 401.
    pub async fn revoke_token(&self, token_id: &str) -> Result<(), StoreError> {
        one_row(
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(token_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::test_stores;
    use super::*;

    #[tokio::test]
    async fn tokens_authenticate_by_hash_and_revoke() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let a = store.create_business("A").await?;
            let b = store.create_business("B").await?;
            let issued = store
                .create_token(
                    "ci",
                    &[a.id.clone(), b.id.clone()],
                    &["view_calls".into(), "manage_integrations".into()],
                )
                .await?;
            assert!(issued.token.starts_with(TOKEN_PREFIX));
            let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
                .fetch_one(store.pool())
                .await?;
            assert_ne!(stored, issued.token, "the token text must not be stored");

            let grant = store.authenticate_token(&issued.token).await?;
            assert_eq!(grant.default_business_id, a.id);
            let mut expected = vec![a.id.clone(), b.id.clone()];
            expected.sort();
            assert_eq!(grant.business_ids, expected);
            assert_eq!(grant.scopes, ["view_calls", "manage_integrations"]);

            assert!(matches!(
                store.authenticate_token("sbt_nope").await,
                Err(StoreError::NotFound)
            ));
            store.revoke_token(&grant.token_id).await?;
            assert!(matches!(
                store.authenticate_token(&issued.token).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_token_for_a_missing_business_stores_nothing() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let err = store
                .create_token("x", &["no-such-business".into()], &[])
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::NotFound), "{err:?}");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
                .fetch_one(store.pool())
                .await?;
            assert_eq!(n, 0);
        }
        Ok(())
    }
}
