//! Server settings: built-in defaults, then a TOML file (`--config`), then
//! `SWITCHBOARD_*` environment variables (nested keys with `__`, e.g.
//! `SWITCHBOARD_LIMITS__CPU_MS_PER_CALL`). Every key is listed in
//! `docs/configuration.md`.

use crate::runtime::limits::Limits;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Default: a SQLite file in `data_dir`. A `postgres://` URL selects PostgreSQL.
    pub database_url: Option<String>,
    /// Base64 of 32 bytes. Unset on the embedded default: generated into `data_dir`.
    pub master_key: Option<String>,
    /// Comma-separated earlier master keys (base64 of 32 bytes each): values
    /// sealed with them still open, until `switchboard secrets reseal`.
    pub older_master_keys: String,
    /// Default `<data_dir>/components`.
    pub components_dir: Option<PathBuf>,
    pub components_poll_ms: u64,
    /// Default `<data_dir>/cache`.
    pub cache_dir: Option<PathBuf>,
    /// The address vendors reach this server at (`https://hooks.example.com`),
    /// used to build the `webhookUrl` of integrations. Default: `http://<listen>`.
    pub public_url: Option<String>,
    /// Bearer token for `/admin/*`; unset disables those routes.
    pub admin_token: Option<String>,
    /// Comma-separated CIDRs the egress guard lets through.
    pub egress_allow_private: String,
    pub http_timeout_ms: u64,
    pub http_max_response_bytes: u64,
    pub max_instances: u32,
    /// How long a call waits for one of those instances before it is
    /// refused as `sandbox_busy`.
    pub instance_wait_ms: u64,
    pub memory_ceiling_bytes: u64,
    pub epoch_tick_ms: u64,
    /// Largest inbound request body.
    pub max_body_bytes: usize,
    /// Log filter (`info`, `switchboard=debug`, ...).
    pub log: String,
    /// Default per-tenant limits.
    pub limits: Limits,
    /// The platform's one Telegram bot (from @BotFather). Unset: Telegram is off.
    pub telegram_bot_token: Option<String>,
    /// The bot's username, for `https://t.me/<bot>?start=<code>` deep links.
    pub telegram_bot_username: Option<String>,
    /// Where the Bot API is (tests point it at a local fake).
    pub telegram_api_base: String,
    /// `webhook` (Telegram POSTs updates to `/telegram/webhook`) or `polling`
    /// (the server calls `getUpdates`).
    pub telegram_mode: String,
    /// The secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` with
    /// each webhook update (set it with `setWebhook`). Webhook mode refuses
    /// updates without it.
    pub telegram_webhook_secret: Option<String>,
    /// Where Discord deliveries are actually sent (the stored webhook URL's
    /// path is kept). Validation still demands discord.com URLs.
    pub discord_api_base: String,
    /// How often an open feed stream (`/notifications/feed/stream`) checks
    /// that its token is still valid, ending the stream once it is revoked.
    pub feed_stream_token_check_ms: u64,
    /// How often the outbox worker looks for due notifications.
    pub outbox_poll_ms: u64,
    /// An outgoing webhook endpoint whose deliveries have failed without a
    /// success for this long is switched off (default 5 days).
    pub webhook_disable_after_ms: u64,
    /// Where pulled recordings are stored. Default `<data_dir>/recordings`.
    pub recordings_dir: Option<PathBuf>,
    /// A recording larger than this is not stored (its row says why).
    pub recording_max_bytes: u64,
    /// Longest a single recording download may take.
    pub recording_download_timeout_ms: u64,
    /// How often the sync scheduler looks for due recording syncs.
    pub sync_poll_ms: u64,
    /// Interval of a new integration's recording sync (tenants can change it).
    pub sync_interval_sec: u64,
    /// First retry delay after a failed sync; doubles per failure in a row.
    pub sync_backoff_base_ms: u64,
    /// The longest retry delay.
    pub sync_backoff_max_ms: u64,
    /// Recordings asked per page of a source's listing.
    pub sync_page_size: u32,
    /// How long a claimed sync stays claimed without renewal (a crashed
    /// server's sync is taken over after this).
    pub sync_lease_ms: u64,
    /// Syncs running at once on this server; also the recording links it
    /// downloads at once.
    pub sync_concurrency: usize,
    /// Tries at downloading a recording link before it is `failed`.
    pub recording_link_attempts: u32,
    /// Whether this server works the analysis queue (analysis, automations,
    /// digests). Off: it only queues work, for API-only servers next to
    /// worker servers on one database.
    pub analysis_worker: bool,
    /// How often the analysis worker looks for due jobs and closed digests.
    pub analysis_poll_ms: u64,
    /// First retry delay of a failed analysis job; doubles per attempt.
    pub analysis_backoff_base_ms: u64,
    /// Longest a recording's upload to speech-to-text may take.
    pub analysis_upload_timeout_ms: u64,
    /// `SWITCHBOARD_*` variables that name no setting, left alone (logged at
    /// start).
    #[serde(skip)]
    pub ignored_environment: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            master_key: None,
            older_master_keys: String::new(),
            components_dir: None,
            components_poll_ms: 1000,
            cache_dir: None,
            public_url: None,
            admin_token: None,
            egress_allow_private: String::new(),
            http_timeout_ms: 10_000,
            http_max_response_bytes: 8 << 20,
            max_instances: 128,
            instance_wait_ms: 10_000,
            memory_ceiling_bytes: 256 << 20,
            epoch_tick_ms: 5,
            max_body_bytes: 1 << 20,
            log: "info".into(),
            limits: Limits::default(),
            telegram_bot_token: None,
            telegram_bot_username: None,
            telegram_api_base: "https://api.telegram.org".into(),
            telegram_mode: "webhook".into(),
            telegram_webhook_secret: None,
            discord_api_base: "https://discord.com".into(),
            feed_stream_token_check_ms: 30_000,
            outbox_poll_ms: 500,
            webhook_disable_after_ms: 5 * 24 * 3_600_000,
            recordings_dir: None,
            recording_max_bytes: 512 << 20,
            recording_download_timeout_ms: 300_000,
            sync_poll_ms: 1000,
            sync_interval_sec: 300,
            sync_backoff_base_ms: 30_000,
            sync_backoff_max_ms: 3_600_000,
            sync_page_size: 100,
            sync_lease_ms: 120_000,
            sync_concurrency: 4,
            recording_link_attempts: 8,
            analysis_worker: true,
            analysis_poll_ms: 500,
            analysis_backoff_base_ms: 30_000,
            analysis_upload_timeout_ms: 300_000,
            ignored_environment: Vec::new(),
        }
    }
}

impl Settings {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let defaults = Settings::default();
        let shape = serde_json::to_value(&defaults).unwrap_or_default();
        let mut fig = Figment::from(Serialized::defaults(defaults));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        let mut ignored = Vec::new();
        for (key, value) in Env::prefixed("SWITCHBOARD_").split("__").iter() {
            let path = key.as_str().to_ascii_lowercase();
            let top = path.split('.').next().unwrap_or_default();
            // `SWITCHBOARD_TEST_*` configure the test suite, not the server;
            // other names that are no setting of ours are someone else's:
            // Kubernetes gives a pod `SWITCHBOARD_PORT`,
            // `SWITCHBOARD_SERVICE_HOST`, ... for a Service of that name.
            // (A typo below a setting, `SWITCHBOARD_LIMITS__CPU_MS`, is
            // still refused by the setting's own check.)
            if top.starts_with("test_") {
                continue;
            }
            if shape.get(top).is_none() {
                ignored.push(format!("SWITCHBOARD_{}", key.as_str().to_ascii_uppercase()));
                continue;
            }
            // Text where the setting is text (its default is a string or
            // unset): parsed, `SWITCHBOARD_ADMIN_TOKEN=20261207` would be a
            // number, which a text setting refuses.
            let text = path
                .split('.')
                .try_fold(&shape, |v, k| v.get(k))
                .is_none_or(|d| d.is_string() || d.is_null());
            // Parsed as figment parses it (trimmed, `"quotes"` taken off),
            // then kept as text where a number or flag came out of it.
            // (Every setting unset by default is text; an optional number
            // would have to be told apart here.)
            let parsed: figment::value::Value = value
                .parse()
                .unwrap_or_else(|_| figment::value::Value::from(value.trim().to_owned()));
            fig = if text && parsed.as_str().is_none() {
                fig.merge(Serialized::global(&path, value.trim()))
            } else {
                fig.merge(Serialized::global(&path, parsed))
            };
        }
        let mut settings: Settings = fig.extract().map_err(Box::new)?;
        ignored.sort();
        settings.ignored_environment = ignored;
        // Anything but `polling` would otherwise mean webhook mode: a typo
        // (`poll`) with no webhook secret leaves the bot deaf, silently.
        if !matches!(settings.telegram_mode.as_str(), "webhook" | "polling") {
            return Err(Box::new(figment::Error::from(format!(
                "telegram_mode must be `webhook` or `polling`, not `{}`",
                settings.telegram_mode
            ))));
        }
        Ok(settings.blank_is_unset())
    }

    /// An optional secret given as blanks is unset. `SWITCHBOARD_ADMIN_TOKEN=`
    /// (an unset variable in a compose file) must not be a token that an
    /// empty header matches, nor an empty Telegram webhook secret one that a
    /// request without the header matches. (A blank `database_url` or
    /// `master_key` stays an error at start: read as unset, it would start
    /// the server on an empty embedded database or a new key.)
    fn blank_is_unset(mut self) -> Settings {
        for value in [
            &mut self.public_url,
            &mut self.admin_token,
            &mut self.telegram_bot_token,
            &mut self.telegram_bot_username,
            &mut self.telegram_webhook_secret,
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        self
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("switchboard.db").display()
            )
        })
    }

    /// `public_url` without a trailing slash, or `http://<listen>`.
    pub fn public_base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    pub fn components_dir(&self) -> PathBuf {
        self.components_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("components"))
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.recordings_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("recordings"))
    }

    pub fn is_embedded_database(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Result
mod tests {
    use super::*;

    #[test]
    fn file_then_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "sb.toml",
                "listen = \"0.0.0.0:9000\"\n[limits]\ncpu_ms_per_call = 250\n",
            )?;
            jail.set_env("SWITCHBOARD_DATA_DIR", "/var/lib/sb");
            jail.set_env("SWITCHBOARD_LIMITS__MAX_CONCURRENT_CALLS", "3");
            jail.set_env("SWITCHBOARD_TEST_POSTGRES_URL", "postgres://ignored");
            let s = Settings::load(Some(Path::new("sb.toml"))).map_err(|e| *e)?;
            assert_eq!(s.listen, "0.0.0.0:9000");
            assert_eq!(s.limits.cpu_ms_per_call, 250);
            assert_eq!(s.limits.max_concurrent_calls, 3);
            assert_eq!(
                s.limits.calls_per_minute,
                Limits::default().calls_per_minute
            );
            assert_eq!(s.database_url(), "sqlite:///var/lib/sb/switchboard.db");
            Ok(())
        });
    }

    #[test]
    fn blank_secrets_are_unset() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET", "");
            jail.set_env("SWITCHBOARD_ADMIN_TOKEN", "  ");
            jail.set_env("SWITCHBOARD_TELEGRAM_BOT_TOKEN", "123:abc");
            let s = Settings::load(None).map_err(|e| *e)?;
            assert_eq!(s.telegram_webhook_secret, None);
            assert_eq!(s.admin_token, None);
            assert_eq!(s.telegram_bot_token.as_deref(), Some("123:abc"));
            Ok(())
        });
    }

    #[test]
    fn numbers_are_text_where_text_is_wanted_and_others_variables_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SWITCHBOARD_ADMIN_TOKEN", "20261207\n");
            jail.set_env("SWITCHBOARD_PUBLIC_URL", "\"https://hooks.example.com\"");
            jail.set_env("SWITCHBOARD_TELEGRAM_WEBHOOK_SECRET", "123456");
            // What Kubernetes sets for a Service named `switchboard`.
            jail.set_env("SWITCHBOARD_PORT", "tcp://10.0.0.7:8080");
            jail.set_env("SWITCHBOARD_SERVICE_HOST", "10.0.0.7");
            jail.set_env("SWITCHBOARD_PORT_8080_TCP_ADDR", "10.0.0.7");
            let s = Settings::load(None).map_err(|e| *e)?;
            assert_eq!(s.admin_token.as_deref(), Some("20261207"));
            assert_eq!(s.public_url.as_deref(), Some("https://hooks.example.com"));
            assert_eq!(s.telegram_webhook_secret.as_deref(), Some("123456"));
            assert_eq!(
                s.ignored_environment,
                [
                    "SWITCHBOARD_PORT",
                    "SWITCHBOARD_PORT_8080_TCP_ADDR",
                    "SWITCHBOARD_SERVICE_HOST"
                ]
            );
            // A setting's own name with a typo below it is still an error,
            // as is a Telegram mode that is neither.
            jail.set_env("SWITCHBOARD_TELEGRAM_MODE", "poll");
            let e = Settings::load(None).unwrap_err();
            assert!(e.to_string().contains("telegram_mode"), "{e}");
            jail.set_env("SWITCHBOARD_TELEGRAM_MODE", "polling");
            jail.set_env("SWITCHBOARD_LIMITS__CPU_MS", "5");
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("sb.toml", "lisen = \"x\"\n")?;
            assert!(Settings::load(Some(Path::new("sb.toml"))).is_err());
            Ok(())
        });
    }
}
