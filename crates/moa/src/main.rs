//! The `moa` command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use moa::config::{FileConfig, Overrides, Settings};
use moa::crawl::{CrawlOptions, crawl_once};
use moa::fetch::{FetchConfig, Fetcher};
use moa::{now_unix, registry, web};
use moa_store::Store;

#[derive(Parser)]
#[command(name = "moa", version, about = "Korean tech-blog posts, gathered in one place")]
struct Cli {
    /// Config file (TOML). Default: ./moa.toml when it exists.
    #[arg(long, env = "MOA_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, or sqlite:///ABSOLUTE/PATH. Default: sqlite://moa-data/moa.db
    #[arg(long = "database", env = "MOA_DATABASE_URL", global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Registry of blogs to use instead of the built-in one: a CSV with the columns of blogs.csv, or OPML.
    #[arg(long, env = "MOA_SOURCES", global = true, value_name = "FILE")]
    sources: Option<PathBuf>,
    /// Permit fetching private and loopback addresses (for tests and intranets).
    #[arg(long, env = "MOA_ALLOW_PRIVATE_NETWORKS", global = true, action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    allow_private_networks: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Crawl on a schedule and serve the web page.
    Serve {
        /// Address to listen on. Default: 127.0.0.1:8080
        #[arg(long, env = "MOA_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
        /// Minutes between crawls. Default: 30
        #[arg(long, env = "MOA_CRAWL_INTERVAL", value_name = "MINUTES")]
        interval: Option<u64>,
        /// Serve only; do not crawl.
        #[arg(long)]
        no_crawl: bool,
    },
    /// Fetch the sources and store their posts.
    Crawl {
        /// Crawl once and exit (without it, crawl on a schedule until stopped).
        #[arg(long)]
        once: bool,
        /// Fetch every enabled source, not only those that are due.
        #[arg(long)]
        all: bool,
        /// Minutes between crawls when running on a schedule. Default: 30
        #[arg(long, env = "MOA_CRAWL_INTERVAL", value_name = "MINUTES")]
        interval: Option<u64>,
    },
    /// Parse feed documents and print them as JSON, one object per file.
    Parse {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The URL the documents came from, to resolve relative links.
        #[arg(long, value_name = "BASE_URL")]
        url: Option<String>,
        /// Zone for dates written without one: Asia/Seoul (default), UTC, +09:00 …
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
        /// The charset an HTTP server declared for the documents.
        #[arg(long, value_name = "CHARSET")]
        charset: Option<String>,
    },
    /// Inspect the registry of blogs.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// List every source with its state.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOA_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Command::Parse { files, url, timezone, charset } = &cli.command {
        return parse_files(files, url.as_deref(), timezone.as_deref(), charset.as_deref());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moa: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let file = FileConfig::load(cli.config.as_deref())?;
    let (listen, interval) = match &cli.command {
        Command::Serve { listen, interval, .. } => (listen.clone(), *interval),
        Command::Crawl { interval, .. } => (None, *interval),
        _ => (None, None),
    };
    Settings::resolve(
        file,
        Overrides {
            database_url: cli.database_url.clone(),
            listen,
            sources: cli.sources.clone(),
            allow_private_networks: cli.allow_private_networks,
            crawl_interval_minutes: interval,
        },
    )
}

/// Opens the store and brings its sources in line with the registry.
async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = moa_store::open(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the database {}", settings.database_url))?;
    let sources = match &settings.sources {
        Some(path) => registry::load(path)?,
        None => registry::builtin(),
    };
    let stats = store.sync_registry(&sources, now_unix()).await?;
    tracing::info!(
        sources = sources.len(),
        added = stats.added,
        updated = stats.updated,
        disabled = stats.disabled,
        "registry synced"
    );
    Ok(store)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    match cli.command {
        Command::Serve { no_crawl, .. } => serve(settings, no_crawl).await,
        Command::Crawl { once, all: _, .. } => {
            // Every enabled source is due until per-source scheduling exists, so --all changes nothing yet.
            let store = open_store(&settings).await?;
            let fetcher = Fetcher::new(FetchConfig::from(&settings))?;
            let options = CrawlOptions {
                concurrency: settings.concurrency,
                timezone_offset: settings.timezone_offset,
                progress: std::io::stderr().is_terminal(),
            };
            loop {
                let report = crawl_once(store.clone(), &fetcher, &options).await?;
                for (id, error) in &report.failures {
                    eprintln!("failed: {id}: {error}");
                }
                println!("{}", report.summary_line());
                if once {
                    return Ok(());
                }
                tokio::time::sleep(settings.crawl_interval).await;
            }
        }
        Command::Sources { command: SourcesCommand::List { json } } => {
            let store = open_store(&settings).await?;
            print_sources(store.as_ref(), json).await
        }
        Command::Parse { .. } => unreachable!("handled before the runtime starts"),
    }
}

async fn serve(settings: Settings, no_crawl: bool) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    if !no_crawl {
        let fetcher = Fetcher::new(FetchConfig::from(&settings))?;
        let store = store.clone();
        let options = CrawlOptions {
            concurrency: settings.concurrency,
            timezone_offset: settings.timezone_offset,
            progress: false,
        };
        let interval = settings.crawl_interval;
        tokio::spawn(async move {
            loop {
                match crawl_once(store.clone(), &fetcher, &options).await {
                    Ok(report) => tracing::info!("{}", report.summary_line()),
                    Err(e) => tracing::error!(error = %e, "crawl failed"),
                }
                tokio::time::sleep(interval).await;
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!("serving http://{addr}");
    eprintln!("moa: serving http://{addr}");
    axum::serve(listener, web::router(web::AppState { store })).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
    tracing::info!("shutting down");
}

async fn print_sources(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let sources = store.sources().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&sources)?);
        return Ok(());
    }
    println!("{:<24} {:<10} {:>6}  {:<20} NAME", "ID", "STATE", "POSTS", "LAST SUCCESS (UTC)");
    for s in &sources {
        let state = if !s.enabled {
            "disabled".to_string()
        } else if s.consecutive_failures > 0 {
            format!("failing×{}", s.consecutive_failures)
        } else if s.last_success_at.is_some() {
            "ok".to_string()
        } else {
            "new".to_string()
        };
        let last = s
            .last_success_at
            .map(|t| moa_feed::format_rfc3339(t).replace('T', " ").replace('Z', ""))
            .unwrap_or_else(|| "-".into());
        println!("{:<24} {:<10} {:>6}  {:<20} {}", s.spec.id, state, s.post_count, last, s.spec.name_ko);
        if let Some(err) = s.last_error.as_deref().filter(|_| s.consecutive_failures > 0) {
            println!("{:<24} └ {}", "", err);
        }
    }
    Ok(())
}

fn parse_files(files: &[PathBuf], url: Option<&str>, timezone: Option<&str>, charset: Option<&str>) -> ExitCode {
    let base = match url.map(moa_feed::Url::parse).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("moa: --url: not an absolute URL ({e})");
            return ExitCode::from(2);
        }
    };
    let timezone_offset = match timezone {
        Some(tz) => match moa_feed::parse_timezone(tz) {
            Some(o) => o,
            None => {
                eprintln!("moa: --timezone: unknown zone {tz:?} (use e.g. Asia/Seoul, UTC or +09:00)");
                return ExitCode::from(2);
            }
        },
        None => moa_feed::KST_OFFSET_SECONDS,
    };
    let options = moa_feed::ParseOptions {
        url: base,
        http_charset: charset.map(String::from),
        timezone_offset,
        now: Some(now_unix()),
        ..moa_feed::ParseOptions::default()
    };
    let mut failed = false;
    for file in files {
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| moa_feed::parse(&bytes, &options).map_err(|e| e.to_string()));
        match result {
            Ok(feed) => {
                let json =
                    if files.len() == 1 { serde_json::to_string_pretty(&feed) } else { serde_json::to_string(&feed) };
                match json {
                    Ok(j) => println!("{j}"),
                    Err(e) => {
                        eprintln!("moa: {}: {e}", file.display());
                        failed = true;
                    }
                }
            }
            Err(e) => {
                eprintln!("moa: {}: {e}", file.display());
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
