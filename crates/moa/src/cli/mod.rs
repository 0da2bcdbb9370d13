//! The `moa` command line: `main.rs` parses and dispatches to one module per kind of subcommand; what they
//! share (settings, opening the store, one-line errors) is here.

mod admin;
mod args;
mod curation;
mod parse;
mod search;
mod serve;
mod sources;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use moa::config::{FileConfig, Overrides, Settings};
use moa::ingest::registry;
use moa::now_unix;
use moa_store::Store;

pub(crate) use args::{Cli, Command, LogFormat, NewsletterCommand};
use args::{MigrateCommand, PostsCommand, Role, SourcesCommand, UserCommand};

/// What runs before the async runtime starts: commands that read only files.
pub(crate) fn run_offline(command: &Command) -> Option<ExitCode> {
    match command {
        Command::Parse { files, url, timezone, charset, language } => Some(parse::parse_files(
            files,
            url.as_deref(),
            timezone.as_deref(),
            charset.as_deref(),
            language.as_deref(),
        )),
        Command::Newsletter { command: NewsletterCommand::Check { files } } => Some(curation::check_newsletters(files)),
        _ => None,
    }
}

/// Runs a command that needs the store (or the network).
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    match cli.command {
        Command::Serve { role, no_crawl, .. } => serve::serve(settings, if no_crawl { Role::Web } else { role }).await,
        Command::Crawl { once, all, source } => serve::crawl(&settings, once, all, source).await,
        Command::Posts { command: PostsCommand::Rm { ids } } => admin::posts_rm(&settings, ids).await,
        Command::User { command: UserCommand::List } => admin::user_list(&settings).await,
        Command::User { command: UserCommand::Rm { name } } => admin::user_rm(&settings, &name).await,
        Command::User { command: UserCommand::Add { name, role } } => admin::user_add(&settings, &name, role).await,
        Command::Scrap { command } => {
            let store = open_store(&settings).await?;
            curation::scrap_command(&settings, store.as_ref(), command).await
        }
        Command::Newsletter { command } => {
            let store = open_store(&settings).await?;
            curation::newsletter_command(store.as_ref(), command).await
        }
        Command::Sources { command: SourcesCommand::List { json } } => {
            let store = open_synced_store(&settings).await?;
            sources::print_sources(store.as_ref(), json).await
        }
        Command::Sources { command } => {
            let store = open_synced_store(&settings).await?;
            sources::sources_command(&settings, store.as_ref(), command).await
        }
        Command::Backup { file } => admin::backup(&settings, &file).await,
        Command::Restore { file } => admin::restore(&settings, &file).await,
        Command::Retention { months, yes } => admin::retention(&settings, months, yes).await,
        Command::Search(args) => search::search(&settings, args).await,
        Command::Migrate { command: MigrateCommand::SqliteToPostgres { from, to } } => admin::migrate(from, &to).await,
        Command::Index { command } => search::index(&settings, command).await,
        Command::Parse { .. } => unreachable!("handled before the runtime starts"),
    }
}

/// An error and its causes on one line, each said once: libraries often put their cause's text in their
/// own message too ("database error: (code: 14) unable to open …: (code: 14) unable to open …").
pub(crate) fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// One line of standard input; on a terminal, asked for with echo turned off.
fn read_password() -> anyhow::Result<String> {
    let tty = std::io::stdin().is_terminal();
    if tty {
        eprint!("password: ");
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if tty {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
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

/// `moa search docker -kubernetes`: a word after a single dash is an exclusion, not an unknown flag. Such
/// words are moved after a `--`, where they are read as query terms (`-h` still asks for help).
pub(crate) fn search_exclusions_as_terms(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    // The subcommand: the first word that is neither an option nor the value of a global option.
    const VALUED: [&str; 6] = ["--config", "--database", "--search-index", "--sources", "--public-url", "--log-format"];
    let mut i = 1;
    while i < args.len() && args[i].to_str().is_some_and(|a| a.starts_with('-')) {
        i += if VALUED.contains(&args[i].to_str().unwrap_or("")) { 2 } else { 1 };
    }
    if args.get(i).is_none_or(|a| a != "search") {
        return args;
    }
    let at = i;
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let is_exclusion = |a: &std::ffi::OsString| {
        a.to_str().is_some_and(|a| a.len() > 1 && a.starts_with('-') && !a.starts_with("--") && a != "-h")
    };
    let excluded: Vec<std::ffi::OsString> = args[at + 1..end].iter().filter(|a| is_exclusion(a)).cloned().collect();
    if excluded.is_empty() {
        return args;
    }
    let mut kept: Vec<std::ffi::OsString> =
        args.drain(..end).enumerate().filter(|(i, a)| *i <= at || !is_exclusion(a)).map(|(_, a)| a).collect();
    if args.is_empty() {
        kept.push("--".into());
    } else {
        kept.push(args.remove(0));
    }
    kept.extend(excluded);
    kept.extend(args);
    kept
}

/// A command whose output goes to a reader that stops early (`moa sources list | head`) ends quietly, as
/// Unix tools do, instead of panicking on the broken pipe. Rust ignores SIGPIPE so that writes fail
/// instead. The long-running commands (serve, crawl, migrate) keep Rust's default: a PostgreSQL server
/// reached over a Unix socket that goes away must be an error they report, not a signal that kills them.
pub(crate) fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
