//! The `switchboard` command: `serve`, and operator tools.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use switchboard::api::auth::Scope;
use switchboard::config::Settings;
use switchboard::runtime::registry::{Registry, read_component_dir};
use switchboard::store::Store;

#[global_allocator]
static ALLOCATOR: switchboard::Allocator = switchboard::Allocator;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Integration hub for call-recording and call-analytics businesses"
)]
struct Cli {
    /// A TOML settings file (every key is in docs/configuration.md).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Tenants (businesses).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Component tools for the platform team and connector authors.
    Components {
        #[command(subcommand)]
        command: ComponentsCommand,
    },
    /// Sealed secrets (integration credentials, Discord URLs, webhook
    /// signing secrets).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Re-seal every secret still sealed with one of `older_master_keys`
    /// with `master_key`, so the older keys can be removed. Prints
    /// `{"resealed", "current", "unreadable"}`; fails if any is unreadable.
    Reseal,
}

#[derive(Subcommand)]
enum ComponentsCommand {
    /// Validate a component directory (manifest.toml + component.wasm) exactly
    /// as the hot-loader would, without a server.
    Check { dir: PathBuf },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a business and a token with every scope for it. Prints
    /// `{"businessId": ..., "token": ...}`.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token. The first `--business` is its default. Prints `{"token": ...}`.
    Create {
        #[arg(long = "business", required = true)]
        businesses: Vec<String>,
        /// Scopes (repeat, or space/comma separated). Default: every scope.
        #[arg(long = "scope", num_args = 1..)]
        scopes: Vec<String>,
        #[arg(long, default_value = "cli")]
        name: String,
        /// The member the token speaks for: a directory user id of the
        /// default business (`/directory/users`). Its notification
        /// preferences and feed read state are then that member's.
        #[arg(long)]
        user: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("loading settings")?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log)),
        )
        .init();
    if !settings.ignored_environment.is_empty() {
        tracing::warn!(variables = ?settings.ignored_environment, "environment variables with the SWITCHBOARD_ prefix that name no setting are ignored");
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Tenant {
                command: TenantCommand::Create { name },
            } => tenant_create(settings, name).await,
            Command::Token {
                command:
                    TokenCommand::Create {
                        businesses,
                        scopes,
                        name,
                        user,
                    },
            } => token_create(settings, businesses, scopes, name, user).await,
            Command::Components {
                command: ComponentsCommand::Check { dir },
            } => check(settings, dir).await,
            Command::Secrets {
                command: SecretsCommand::Reseal,
            } => reseal(settings).await,
        }
    })
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let server = switchboard::server::start(settings).await?;
    println!("switchboard listening on http://{}", server.addr);
    shutdown_signal().await?;
    tracing::info!("shutting down");
    server.stop().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what a service manager or container runtime sends
/// to stop a process), so a deploy stops the server gracefully too.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    // Which database: a command run without the server's settings works on
    // another one (`./data` of wherever it runs), and should say so.
    eprintln!("database: {}", without_password(&settings.database_url()));
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let store = Store::connect(&settings.database_url())
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

async fn reseal(settings: Settings) -> anyhow::Result<()> {
    // Run where the server's settings are not (another directory, no
    // environment file), this would otherwise make a new database and key
    // and report nothing to do.
    if settings.master_key.is_none() && settings.is_embedded_database() {
        anyhow::ensure!(
            switchboard::crypto::key_file_exists(&settings.data_dir),
            "no master key in {} and none configured: run with the server's settings (--config, SWITCHBOARD_DATA_DIR)",
            settings.data_dir.display()
        );
    }
    let store = open_store(&settings).await?;
    let secrets = switchboard::server::master_key(&settings)?;
    let found = switchboard::reseal::reseal(&store, &secrets).await;
    store.close().await;
    let found = found?;
    println!("{}", serde_json::to_string(&found)?);
    anyhow::ensure!(
        found.unreadable == 0,
        "{} sealed values open with no configured key: keep the key they need in older_master_keys (the log names them)",
        found.unreadable
    );
    Ok(())
}

async fn tenant_create(settings: Settings, name: String) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty(), "--name must not be empty");
    let store = open_store(&settings).await?;
    let business = store.create_business(name).await?;
    let issued = store
        .create_token(
            &format!("{name} (tenant create)"),
            std::slice::from_ref(&business.id),
            &Scope::all_names(),
        )
        .await?;
    println!(
        "{}",
        serde_json::json!({ "businessId": business.id, "token": issued.token })
    );
    store.close().await;
    Ok(())
}

async fn token_create(
    settings: Settings,
    businesses: Vec<String>,
    scopes: Vec<String>,
    name: String,
    user: Option<String>,
) -> anyhow::Result<()> {
    let mut parsed = Vec::new();
    for scope in scopes
        .iter()
        .flat_map(|s| s.split([',', ' ']))
        .filter(|s| !s.is_empty())
    {
        let known = Scope::parse(scope).with_context(|| {
            format!(
                "unknown scope `{scope}`; known: {}",
                Scope::all_names().join(", ")
            )
        })?;
        parsed.push(known.as_str().to_owned());
    }
    if parsed.is_empty() {
        parsed = Scope::all_names();
    }
    let store = open_store(&settings).await?;
    for id in &businesses {
        store
            .get_business(id)
            .await
            .with_context(|| format!("business `{id}`"))?;
    }
    let issued = store
        .create_member_token(&name, &businesses, &parsed, user.as_deref())
        .await
        .with_context(|| match &user {
            Some(u) => format!("member `{u}` is not a directory user of the default business"),
            None => "issuing the token".into(),
        })?;
    println!("{}", serde_json::json!({ "token": issued.token }));
    store.close().await;
    Ok(())
}

async fn check(settings: Settings, dir: PathBuf) -> anyhow::Result<()> {
    let rs = switchboard::server::runtime_settings(&settings)?;
    let engine = switchboard::runtime::engine::build(&rs.engine).map_err(anyhow::Error::from)?;
    let registry = Arc::new(Registry::new(engine, None).map_err(anyhow::Error::from)?);
    let (manifest, wasm) = read_component_dir(&dir)?;
    let loaded = tokio::task::spawn_blocking(move || registry.prepare(manifest, &wasm)).await??;
    println!(
        "{}",
        serde_json::json!({
            "ok": true,
            "name": loaded.manifest.name,
            "version": loaded.manifest.version,
            "worlds": loaded.manifest.worlds,
            "apiVersion": loaded.api_version.to_string(),
            "digest": loaded.digest,
        })
    );
    Ok(())
}

/// A database URL fit to print: any password replaced.
fn without_password(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_owned();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    // sqlx also takes `?password=` (and `sslpassword=`).
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let hidden = k.ends_with("password");
                (
                    k.into_owned(),
                    if hidden { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}
