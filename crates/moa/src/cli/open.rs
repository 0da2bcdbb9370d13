//! The settings of a command (file, environment, flags) and the store they name, opened as the command needs
//! it: as it is, or with its sources brought in line with the registry it follows.

use std::sync::Arc;

use anyhow::Context;
use moa::config::{FileConfig, Overrides, Settings};
use moa::ingest::registry;
use moa::now_unix;
use moa_store::Store;

use super::args::{Cli, Command};

pub(crate) fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    Settings::resolve(
        file,
        Overrides {
            database_url: cli.database_url.clone(),
            search_index_dir: cli.search_index_dir.clone(),
            listen,
            sources: cli.sources.clone(),
            allow_private_networks: cli.allow_private_networks,
            public_url: cli.public_url.clone(),
        },
    )
}

/// The store the settings name, as it is.
async fn connect(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let options = moa_store::OpenOptions { max_connections: settings.database_max_connections };
    moa_store::open_with(&settings.database_url, &options)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_url))
}

/// Opens the store and leaves its sources as they are: only commands about sources (serve, crawl,
/// sources …) bring them in line with a registry. A `--sources` this command ignores is pointed out.
pub(crate) async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = connect(settings).await?;
    if let Some(given) = registry_given(settings)? {
        let followed = store.setting("registry").await?.unwrap_or_else(|| BUILTIN_REGISTRY.into());
        if given != followed {
            eprintln!(
                "note: this command leaves the sources as they are; the database follows the registry {followed}, \
                 and only serve, crawl and sources commands switch it to {given}"
            );
        }
    }
    Ok(store)
}

/// How the store names the built-in registry (and `--sources builtin` goes back to it).
const BUILTIN_REGISTRY: &str = "builtin";

/// The registry `--sources` / `MOA_SOURCES` names, as the store records it (an absolute path).
fn registry_given(settings: &Settings) -> anyhow::Result<Option<String>> {
    settings
        .sources
        .as_ref()
        .map(|p| {
            if p.as_os_str() == BUILTIN_REGISTRY {
                return Ok(BUILTIN_REGISTRY.to_string());
            }
            let abs = std::path::absolute(p).with_context(|| format!("cannot resolve the path {}", p.display()))?;
            Ok(abs.display().to_string())
        })
        .transpose()
}

/// Opens the store and brings its sources in line with the registry it follows: the one `--sources`
/// names (which it then follows), else the one it followed before, else the built-in one. So a
/// deployment's own list survives any command run without the flag.
pub(crate) async fn open_synced_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = connect(settings).await?;
    let followed = store.setting("registry").await?;
    let registry = match (registry_given(settings)?, followed) {
        (Some(given), Some(followed)) if given != followed => {
            eprintln!("note: the database followed the registry {followed}; from now on it follows {given}");
            given
        }
        (Some(given), _) => given,
        (None, Some(followed)) => followed,
        (None, None) => BUILTIN_REGISTRY.to_string(),
    };
    let sources = if registry == BUILTIN_REGISTRY {
        registry::builtin()
    } else {
        registry::load(std::path::Path::new(&registry)).with_context(|| {
            format!("the database follows the registry {registry}; give --sources FILE (or --sources builtin) to follow another")
        })?
    };
    let stats = store.sync_registry(&sources, now_unix()).await?;
    store.set_setting("registry", &registry).await?;
    tracing::info!(
        registry = %registry,
        sources = sources.len(),
        added = stats.added,
        updated = stats.updated,
        disabled = stats.disabled,
        "registry synced"
    );
    Ok(store)
}
