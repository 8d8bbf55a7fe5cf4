//! The thin layer that talks to the host: sends the requests built in
//! [`crate::api`], caches the access token in installation state, and logs
//! in again once when OrkTrack answers 401.

use switchboard_sdk::host::{clock, config, http, log, state};
use switchboard_sdk::prelude::*;

use crate::api::{self, ApiRequest, ListQuery};
use crate::auth::{self, Token};
use crate::errors::{self, Transport};
use crate::listing::{self, VendorPage};
use crate::settings::{self, Settings};

/// Per-request timeout; the host may cap it lower.
const TIMEOUT_MS: u32 = 10_000;

pub struct Client {
    pub settings: Settings,
    pub username: String,
    password: String,
}

impl Client {
    pub fn new(installation: &Installation) -> Result<Self, ConnectorError> {
        let settings = Settings::from_installation(installation)?;
        let username = secret("username")?;
        let password = secret("password")?;
        Ok(Client {
            settings,
            username,
            password,
        })
    }

    pub fn host(&self) -> &str {
        settings::host_of(&self.settings.base_url)
    }

    fn send(&self, request: &ApiRequest) -> Result<http::Response, ConnectorError> {
        let mut builder = http::Request::new(request.method, &request.url).timeout_ms(TIMEOUT_MS);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        builder.send().map_err(|e| {
            let failure = match e {
                http::HttpError::Timeout => Transport::Timeout,
                http::HttpError::Connect(m) => Transport::Connect(m),
                http::HttpError::TooLarge(n) => Transport::TooLarge(n),
                http::HttpError::InvalidRequest(m) => Transport::Invalid(m),
            };
            errors::transport(self.host(), failure)
        })
    }

    /// Logs in and caches the new token.
    pub fn login(&self) -> Result<Token, ConnectorError> {
        let request = api::login_request(&self.settings.base_url, &self.username, &self.password);
        let response = self.send(&request)?;
        let token = auth::parse_login(
            self.host(),
            response.status,
            &response.body,
            clock::now_ms(),
        )?;
        let owner = auth::owner(&self.settings.base_url, &self.username);
        if let Err(e) = state::set(auth::STATE_KEY, &auth::encode_cache(&token, &owner)) {
            log::warn(&format!("could not cache the DTAC token: {e}"));
        }
        Ok(token)
    }

    /// The cached token, or a new one.
    pub fn token(&self) -> Result<String, ConnectorError> {
        let owner = auth::owner(&self.settings.base_url, &self.username);
        let cached = state::get(auth::STATE_KEY)
            .and_then(|raw| auth::decode_cache(&raw, &owner, clock::now_ms()));
        match cached {
            Some(t) => Ok(t.value),
            None => Ok(self.login()?.value),
        }
    }

    /// One page of the listing. With `retry`, a 401 on a cached token logs
    /// in again and repeats the request once.
    pub fn list(
        &self,
        token: &str,
        query: &ListQuery,
        retry: bool,
    ) -> Result<VendorPage, ConnectorError> {
        let base = &self.settings.base_url;
        let mut response = self.send(&api::list_request(base, token, query))?;
        if response.status == 401 && retry {
            log::info("DTAC token refused; logging in again");
            let fresh = self.login()?;
            response = self.send(&api::list_request(base, &fresh.value, query))?;
        }
        listing::parse_list(
            self.host(),
            response.status,
            &response.body,
            query.page_size,
        )
    }
}

fn secret(key: &str) -> Result<String, ConnectorError> {
    config::secret(key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConnectorError::Config(format!("secret `{key}` is missing")))
}
