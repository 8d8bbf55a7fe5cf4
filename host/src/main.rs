//! The `switchboard` command: `serve`, and operator tools.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use switchboard::config::Settings;
use switchboard::runtime::registry::{Registry, read_component_dir};

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
    /// Component tools for the platform team and connector authors.
    Components {
        #[command(subcommand)]
        command: ComponentsCommand,
    },
}

#[derive(Subcommand)]
enum ComponentsCommand {
    /// Validate a component directory (manifest.toml + component.wasm) exactly
    /// as the hot-loader would, without a server.
    Check { dir: PathBuf },
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
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Components {
                command: ComponentsCommand::Check { dir },
            } => check(settings, dir).await,
        }
    })
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let server = switchboard::server::start(settings).await?;
    println!("switchboard listening on http://{}", server.addr);
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    server.stop().await;
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
