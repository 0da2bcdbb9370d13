//! The `moa` command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use moa::config::{FileConfig, Overrides, Settings};
use moa::ingest::crawl::{CrawlOptions, Crawler};
use moa::ingest::fetch::{FetchConfig, Fetcher};
use moa::ingest::registry;
use moa::ingest::schedule::Schedule;
use moa::ingest::webhook::{Delivery, Notifier};
use moa::ingest::websub::WebSub;
use moa::newsletter::{Month, Section};
use moa::{now_unix, web};
use moa_store::{Selection, Store};

#[derive(Parser)]
#[command(name = "moa", version, about = "Korean tech-blog posts, gathered in one place")]
struct Cli {
    /// Config file (TOML). Default: ./moa.toml when it exists.
    #[arg(long, env = "MOA_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, or sqlite:///ABSOLUTE/PATH. Default: sqlite://moa-data/moa.db
    #[arg(long = "database", env = "MOA_DATABASE_URL", global = true, value_name = "URL")]
    database_url: Option<String>,
    /// The search index's directory. Default: "search" beside the SQLite file.
    #[arg(long = "search-index", env = "MOA_SEARCH_INDEX", global = true, value_name = "DIR")]
    search_index_dir: Option<PathBuf>,
    /// Registry of blogs to use instead of the built-in one: a CSV with the columns of blogs.csv, or OPML.
    #[arg(long, env = "MOA_SOURCES", global = true, value_name = "FILE")]
    sources: Option<PathBuf>,
    /// Permit fetching private and loopback addresses (for tests and intranets).
    #[arg(long, env = "MOA_ALLOW_PRIVATE_NETWORKS", global = true, action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    allow_private_networks: bool,
    /// The address this server is reached at (WebSub callbacks).
    #[arg(long, env = "MOA_PUBLIC_URL", global = true, value_name = "URL")]
    public_url: Option<String>,
    /// Logs as text (default) or as JSON lines, one object per event with its span fields.
    #[arg(long, env = "MOA_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Role {
    Web,
    Crawler,
    All,
}

#[derive(Subcommand)]
enum Command {
    /// Crawl on a schedule and serve the web page.
    Serve {
        /// Address to listen on. Default: 127.0.0.1:8080
        #[arg(long, env = "MOA_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
        /// What this process does: `web` (pages, feeds, API, console), `crawler` (fetches due sources;
        /// serves only /healthz, /readyz and /metrics), or `all`. Several of each can share a
        /// PostgreSQL database.
        #[arg(long, env = "MOA_ROLE", value_enum, default_value_t = Role::All)]
        role: Role,
        /// Serve only; do not crawl (the same as --role web).
        #[arg(long, conflicts_with = "role")]
        no_crawl: bool,
    },
    /// Fetch the sources and store their posts: on their schedule until stopped, or once.
    Crawl {
        /// Fetch what is due once and exit.
        #[arg(long)]
        once: bool,
        /// With --once: fetch every enabled source, due or not.
        #[arg(long, requires = "once", conflicts_with = "source")]
        all: bool,
        /// With --once: fetch this source (repeatable), due or not, enabled or not.
        #[arg(long, requires = "once", value_name = "ID")]
        source: Vec<String>,
    },
    /// Manage stored posts.
    Posts {
        #[command(subcommand)]
        command: PostsCommand,
    },
    /// Parse feed documents and print them as JSON, one object per file.
    Parse {
        /// Feed documents (RSS, Atom, RDF, JSON Feed) to read.
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
        /// The language an HTTP server declared for the documents (Content-Language).
        #[arg(long, value_name = "LANGUAGE")]
        language: Option<String>,
    },
    /// Curator accounts, for the web's curation pages.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The curator's scraps: links kept for a month's newsletter, with commentary.
    Scrap {
        #[command(subcommand)]
        command: ScrapCommand,
    },
    /// The curator's monthly newsletter (월간 기술 스크랩).
    Newsletter {
        #[command(subcommand)]
        command: NewsletterCommand,
    },
    /// Search the stored posts (the index the web's search uses).
    Search {
        /// Words (all must match), "phrases" and -exclusions.
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
        /// Only this source's posts.
        #[arg(long, value_name = "ID")]
        company: Option<String>,
        /// Only posts with this topic (backend, frontend, mobile, infra, devops, data, database, ai-ml, …).
        #[arg(long, value_name = "SLUG")]
        topic: Option<String>,
        /// Only posts with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// From this day (YYYY-MM-DD, in Korea).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Up to and including this day (YYYY-MM-DD, in Korea).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// Newest first instead of by relevance.
        #[arg(long)]
        newest: bool,
        /// How many results (1 to 1000).
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Move the store to another database.
    Migrate {
        #[command(subcommand)]
        command: MigrateCommand,
    },
    /// The search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// The blogs moa follows: list, add by homepage, edit, disable, delete, OPML in and out.
    Sources {
        #[command(subcommand)]
        command: SourcesCommand,
    },
    /// Write a consistent copy of the SQLite store while moa runs (PostgreSQL: use pg_dump).
    Backup {
        /// The new file to write.
        file: PathBuf,
    },
    /// Replace the store with a backup. Stop moa first; the current database is kept beside it.
    Restore {
        /// The backup file (written by `moa backup`).
        file: PathBuf,
    },
    /// Drop post bodies older than `retention_body_months` now (moa serve does it daily).
    Retention {
        /// Months to keep, instead of the configured value.
        #[arg(long)]
        months: Option<u32>,
        /// Confirm dropping every post's body (needed with --months 0).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Retag every post with the current topic dictionary and build the index again from the store.
    Rebuild,
    /// How far the index is behind the store.
    Status,
}

#[derive(Subcommand)]
enum MigrateCommand {
    /// Copy everything of an SQLite store (sources, posts, crawl state, scraps, users, clicks) into a new
    /// PostgreSQL database, then compare the row counts. Interrupted, it resumes where it stopped.
    SqliteToPostgres {
        /// The SQLite file (or sqlite:// URL) to copy; stop moa using it first.
        #[arg(long, value_name = "FILE")]
        from: String,
        /// The PostgreSQL database to copy into (postgres://…), new and empty.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
enum PostsCommand {
    /// Delete posts for good: the crawler will not store them again.
    Rm {
        /// Post ids (the web's /posts/ID, `moa search`).
        #[arg(required = true, value_name = "POST_ID")]
        ids: Vec<i64>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, or set a new password (which signs the user out everywhere). The password is
    /// read from standard input (asked for, without echo, on a terminal).
    Add {
        /// The user's name: letters, digits, '.', '_' or '-'.
        name: String,
        /// curator (scraps and newsletter) or operator (also sources, users and the console).
        #[arg(long, value_parser = ["curator", "operator"])]
        role: Option<String>,
    },
    /// List users with their roles.
    List,
    /// Delete a user and end their sessions.
    Rm {
        /// The user's name.
        name: String,
    },
}

/// Commentary, given inline or from a file.
#[derive(clap::Args)]
struct Note {
    /// The commentary, in Markdown.
    #[arg(long, conflicts_with = "note_file")]
    note: Option<String>,
    /// Read the commentary from this file.
    #[arg(long, value_name = "FILE")]
    note_file: Option<PathBuf>,
}

impl Note {
    fn read(&self) -> anyhow::Result<Option<String>> {
        match (&self.note, &self.note_file) {
            (Some(n), _) => Ok(Some(n.clone())),
            (None, Some(f)) => {
                Ok(Some(std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?))
            }
            (None, None) => Ok(None),
        }
    }
}

#[derive(Subcommand)]
enum ScrapCommand {
    /// Keep a link: a post moa has, or any page (its title and description are proposed from the page).
    Add {
        /// The link to keep.
        url: String,
        /// article (글), bookmark (북마크), news (기술 뉴스), software (소프트웨어 / 프로젝트), media (책 / 강의 / 영상).
        #[arg(long, default_value = "article")]
        section: String,
        #[command(flatten)]
        note: Note,
        /// YYYY-MM. Default: the current month in Korea.
        #[arg(long)]
        month: Option<String>,
        /// The title, instead of the one proposed from the page.
        #[arg(long)]
        title: Option<String>,
    },
    /// List scraps in newsletter order.
    List {
        /// Only this month (YYYY-MM).
        #[arg(long)]
        month: Option<String>,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Change a scrap's title, URL, section, commentary or month.
    Edit {
        /// The scrap's id (`moa scrap list` shows it).
        id: i64,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
        /// A new URL.
        #[arg(long)]
        url: Option<String>,
        /// A new section: article, bookmark, news, software or media.
        #[arg(long)]
        section: Option<String>,
        #[command(flatten)]
        note: Note,
        /// Move it to this month (YYYY-MM).
        #[arg(long)]
        month: Option<String>,
    },
    /// Move a scrap to a position (1 = first) within its section.
    Move {
        /// The scrap's id.
        id: i64,
        /// The new position, 1 being the first.
        #[arg(long)]
        to: i64,
    },
    /// Delete a scrap.
    Rm {
        /// The scrap's id.
        id: i64,
    },
}

#[derive(Subcommand)]
enum NewsletterCommand {
    /// Render a month's post, byte for byte in the newsletter format. Settings not given here come from
    /// the month's stored ones; those given are stored.
    Render {
        /// YYYY-MM.
        month: String,
        /// Mark the post a draft (`draft: true`).
        #[arg(long, conflicts_with = "publish")]
        draft: bool,
        /// Mark the post published (`draft: false`).
        #[arg(long)]
        publish: bool,
        /// Keep it off the blog's home page (`hiddenfromhomepage: true`).
        #[arg(long)]
        hidden_from_homepage: bool,
        /// The front matter's date, e.g. 2022-04-02T09:00:00. Default: the month's last day, 00:01.
        #[arg(long)]
        date: Option<String>,
        /// Write here instead of to standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Read existing posts (hand-written or rendered) into scraps; importing a file again updates them.
    Import {
        /// Newsletter posts in the Hugo format.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Check hand-written or rendered posts without importing them: every item read, with warnings,
    /// or the first thing that cannot be read, with its file and line.
    Check {
        /// Newsletter posts in the Hugo format.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
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
    /// Add a blog by its homepage: its feed is found (advertised links, platform rules, well-known paths),
    /// its first posts are shown, and it is saved (unless --dry-run).
    Add {
        /// The homepage (or the feed itself; with --page, the page listing the posts).
        url: String,
        /// The source's id, instead of the one proposed from the address.
        #[arg(long)]
        id: Option<String>,
        /// The Korean name, instead of the feed's title.
        #[arg(long)]
        name_ko: Option<String>,
        /// The English name.
        #[arg(long)]
        name_en: Option<String>,
        /// Show what would be added, without saving.
        #[arg(long)]
        dry_run: bool,
        /// A page without a feed, read with CSS selectors: the selector of one post.
        #[arg(long, value_name = "CSS", requires = "title")]
        item: Option<String>,
        /// With --item: the title's selector within a post.
        #[arg(long, value_name = "CSS", requires = "item")]
        title: Option<String>,
        /// With --item: the link's selector (default: the title's link).
        #[arg(long, value_name = "CSS", requires = "item")]
        link: Option<String>,
        /// With --item: the date's selector.
        #[arg(long, value_name = "CSS", requires = "item")]
        date: Option<String>,
        /// With --item: the summary's selector.
        #[arg(long, value_name = "CSS", requires = "item")]
        summary: Option<String>,
        /// With --item: the picture's selector.
        #[arg(long, value_name = "CSS", requires = "item")]
        image: Option<String>,
    },
    /// Change a source's names, homepage or feed URL (the registry then leaves it be).
    Edit {
        /// The source's id (`moa sources list`).
        id: String,
        /// A new Korean name.
        #[arg(long)]
        name_ko: Option<String>,
        /// A new English name.
        #[arg(long)]
        name_en: Option<String>,
        /// A new homepage (http or https).
        #[arg(long)]
        homepage: Option<String>,
        /// A new feed URL (http or https); fetched afresh.
        #[arg(long)]
        feed_url: Option<String>,
    },
    /// Stop fetching a source (its posts stay).
    Disable {
        /// The source's id.
        id: String,
        /// Why, shown on the health page and in `sources list`.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Fetch a disabled source again, from now.
    Enable {
        /// The source's id.
        id: String,
    },
    /// Make a source due now (moa serve fetches it within its next tick).
    Refresh {
        /// The source's id.
        id: String,
    },
    /// Delete a source: retired with its posts kept, or with --with-posts, all of it.
    Rm {
        /// The source's id.
        id: String,
        /// Delete its posts too.
        #[arg(long)]
        with_posts: bool,
    },
    /// Add the feeds of an OPML file that moa does not follow yet.
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Write every source as OPML to standard output.
    Export,
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(search_exclusions_as_terms(std::env::args_os().collect()));
    if !matches!(cli.command, Command::Serve { .. } | Command::Crawl { .. } | Command::Migrate { .. }) {
        quiet_on_closed_pipe();
    }
    let default_level = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    if let Command::Parse { files, url, timezone, charset, language } = &cli.command {
        return parse_files(files, url.as_deref(), timezone.as_deref(), charset.as_deref(), language.as_deref());
    }
    if let Command::Newsletter { command: NewsletterCommand::Check { files } } = &cli.command {
        return check_newsletters(files);
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
            eprintln!("moa: {}", error_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: libraries often put their cause's text in their
/// own message too ("database error: (code: 14) unable to open …: (code: 14) unable to open …").
fn error_line(e: &anyhow::Error) -> String {
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

fn month_arg(month: Option<&str>) -> anyhow::Result<Month> {
    match month {
        Some(m) => Month::parse(m).with_context(|| format!("month {m:?} is not YYYY-MM")),
        None => Ok(moa::newsletter::curation::current_month(now_unix())),
    }
}

fn section_arg(section: &str) -> anyhow::Result<Section> {
    Section::parse(section).with_context(|| {
        format!("unknown section {section:?}: article (글), bookmark (북마크), news (기술 뉴스), software (소프트웨어 / 프로젝트), media (책 / 강의 / 영상)")
    })
}

async fn scrap_command(settings: &Settings, store: &dyn Store, command: ScrapCommand) -> anyhow::Result<()> {
    match command {
        ScrapCommand::Add { url, section, note, month, title } => {
            let section = section_arg(&section)?;
            let month = month_arg(month.as_deref())?;
            let url = url.trim().to_string();
            anyhow::ensure!(url.starts_with("http://") || url.starts_with("https://"), "{url:?} is not an http(s) URL");
            if let Some(s) = store.scrap_by_url(&month.to_string(), &url).await? {
                anyhow::bail!("{url} is already scrap {} of {month}", s.id);
            }
            let note = note.read()?;
            let proposal = if title.is_some() && note.is_some() {
                let post = store.post_by_url(&url).await?;
                moa::newsletter::curation::Proposal { title: None, description: None, post_id: post.map(|p| p.id) }
            } else {
                let fetcher = Fetcher::new(FetchConfig::from(settings))?;
                match moa::newsletter::curation::propose(store, &fetcher, &url).await {
                    Ok(p) => p,
                    Err(e) if title.is_some() => {
                        eprintln!("moa: could not read the page ({e:#}); keeping the title given");
                        moa::newsletter::curation::Proposal { title: None, description: None, post_id: None }
                    }
                    Err(e) => anyhow::bail!("could not read {url}: {e:#}; give the title with --title"),
                }
            };
            let Some(title) = title.or(proposal.title) else {
                anyhow::bail!("{url} has no title to propose; give one with --title");
            };
            let fields = moa_store::ScrapFields {
                month: month.to_string(),
                section: section.key().into(),
                title: title.split_whitespace().collect::<Vec<_>>().join(" "),
                url,
                commentary: note.or(proposal.description).unwrap_or_default(),
                post_id: proposal.post_id,
            };
            let scrap = store.add_scrap(&fields, now_unix()).await?;
            println!("scrap {} added: {month} {} #{} {}", scrap.id, scrap.section, scrap.position, scrap.title);
        }
        ScrapCommand::List { month, json } => {
            let month = month.as_deref().map(|m| month_arg(Some(m))).transpose()?.map(|m| m.to_string());
            let scraps = store.scraps(month.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&scraps)?);
            } else {
                for s in &scraps {
                    println!("{:>5}  {}  {:<8} {:>2}  {}  <{}>", s.id, s.month, s.section, s.position, s.title, s.url);
                }
            }
        }
        ScrapCommand::Edit { id, title, url, section, note, month } => {
            let Some(old) = store.scrap(id).await? else { anyhow::bail!("no scrap {id}") };
            let fields = moa_store::ScrapFields {
                month: match month {
                    Some(m) => month_arg(Some(&m))?.to_string(),
                    None => old.month,
                },
                section: match section {
                    Some(s) => section_arg(&s)?.key().into(),
                    None => old.section,
                },
                title: title.unwrap_or(old.title),
                url: url.unwrap_or(old.url),
                commentary: note.read()?.unwrap_or(old.commentary),
                post_id: old.post_id,
            };
            store.update_scrap(id, &fields, now_unix()).await?;
            println!("scrap {id} updated");
        }
        ScrapCommand::Move { id, to } => {
            anyhow::ensure!(store.move_scrap(id, to).await?, "no scrap {id}");
            let s = store.scrap(id).await?.with_context(|| format!("no scrap {id}"))?;
            println!("scrap {id} is now #{} of {} {}", s.position, s.month, s.section);
        }
        ScrapCommand::Rm { id } => {
            anyhow::ensure!(store.delete_scrap(id).await?, "no scrap {id}");
            println!("scrap {id} deleted");
        }
    }
    Ok(())
}

async fn newsletter_command(store: &dyn Store, command: NewsletterCommand) -> anyhow::Result<()> {
    match command {
        NewsletterCommand::Render { month, draft, publish, hidden_from_homepage, date, output } => {
            let month = month_arg(Some(&month))?;
            let mut post = moa::newsletter::curation::post_of(store, month).await?;
            let given = draft || publish || hidden_from_homepage || date.is_some();
            if draft || publish {
                post.settings.draft = draft;
            }
            if hidden_from_homepage {
                post.settings.hidden_from_homepage = Some(true);
            }
            if let Some(date) = date {
                post.settings.date =
                    moa::newsletter::front_matter_date(date.trim()).map_err(anyhow::Error::msg)?.to_string();
            }
            if given {
                moa::newsletter::curation::save_settings(store, month, &post.settings).await?;
            }
            let text = moa::newsletter::render(&post);
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{text}"),
            }
        }
        NewsletterCommand::Import { files } => {
            for file in files {
                let name = file.display();
                let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
                let imported =
                    moa::newsletter::import(&text).map_err(|e| anyhow::anyhow!("{name}:{}: {}", e.line, e.message))?;
                for w in &imported.warnings {
                    eprintln!("{name}:{}: warning: {}", w.line, w.message);
                }
                let stats = moa::newsletter::curation::store_import(store, &imported, now_unix()).await?;
                println!("{name}: {}: {} scraps added, {} updated", imported.post.month, stats.added, stats.updated);
            }
        }
        NewsletterCommand::Check { .. } => unreachable!("handled before the runtime starts"),
    }
    Ok(())
}

/// `moa newsletter check`: one line per file (`FILE: 7 items, 2022-03`), warnings and errors as
/// `FILE:LINE: …`; fails when any file cannot be read.
fn check_newsletters(files: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        let name = file.display();
        let text = match std::fs::read(file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                eprintln!("{name}: not UTF-8 text");
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                failed = true;
                continue;
            }
        };
        match moa::newsletter::import(&text) {
            Ok(imported) => {
                for w in &imported.warnings {
                    eprintln!("{name}:{}: warning: {}", w.line, w.message);
                }
                println!("{name}: {} items, {}", imported.post.items.len(), imported.post.month);
            }
            Err(e) => {
                eprintln!("{name}:{}: error: {}", e.line, e.message);
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
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
async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
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
async fn open_synced_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
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
fn search_exclusions_as_terms(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
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
fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to its default before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    match cli.command {
        Command::Serve { role, no_crawl, .. } => serve(settings, if no_crawl { Role::Web } else { role }).await,
        Command::Crawl { once, all, source } => {
            let store = open_synced_store(&settings).await?;
            let crawler = crawler(&settings, store, std::io::stderr().is_terminal())?;
            if once {
                retag_after_upgrade(crawler.store.as_ref()).await;
            } else {
                // The crawling process keeps the retention and the topics, as `serve` does (its web-only role
                // does not).
                spawn_retention(&settings, crawler.store.clone());
                let store = crawler.store.clone();
                tokio::spawn(async move { retag_after_upgrade(store.as_ref()).await });
                tokio::select! {
                    _ = crawler.run_scheduler() => {}
                    _ = shutdown_signal() => {}
                }
                return Ok(());
            }
            let selection = if all {
                Selection::All
            } else if !source.is_empty() {
                for id in &source {
                    anyhow::ensure!(
                        crawler.store.source(id).await?.is_some(),
                        "no source has the id {id:?}; `moa sources list` shows the ids"
                    );
                }
                Selection::Ids(source)
            } else {
                Selection::Due { limit: crawler.due_batch() }
            };
            let report = crawler.run(selection).await?;
            if let Some(notifier) = &crawler.notifier {
                notifier.close(WEBHOOK_DRAIN).await;
            }
            for (id, error) in &report.failures {
                eprintln!("failed: {id}: {error}");
            }
            println!("{}", report.summary_line());
            // Nothing fetched although something was tried: a failure for scripts and supervisors.
            anyhow::ensure!(
                report.sources_ok > 0 || report.sources_failed == 0,
                "nothing could be fetched: all {} sources tried failed (see the lines above)",
                report.sources_failed
            );
            Ok(())
        }
        Command::Posts { command: PostsCommand::Rm { ids } } => {
            let store = open_store(&settings).await?;
            for id in ids {
                let post = store.post(id).await?;
                anyhow::ensure!(
                    store.delete_post(id).await?,
                    "no post has the id {id}; the web's /posts/ID or `moa search` shows ids"
                );
                let detail = post.map(|p| format!("{} {}", p.source_id, p.url.unwrap_or_default())).unwrap_or_default();
                store.audit(now_unix(), "cli", "post.delete", &id.to_string(), &detail).await?;
                println!("deleted post {id}; the crawler will not store it again");
            }
            Ok(())
        }
        Command::User { command: UserCommand::List } => {
            let store = open_store(&settings).await?;
            for u in store.users().await? {
                println!("{:<24} {:<9} {} KST", u.name, u.role, moa::kst::minute(u.created_at));
            }
            Ok(())
        }
        Command::User { command: UserCommand::Rm { name } } => {
            let store = open_store(&settings).await?;
            anyhow::ensure!(store.delete_user(&name).await?, "no user {name}");
            store.audit(now_unix(), "cli", "user.delete", &name, "").await?;
            println!("user deleted: {name}");
            Ok(())
        }
        Command::User { command: UserCommand::Add { name, role } } => {
            let name = name.trim().to_string();
            anyhow::ensure!(
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)),
                "a curator's name is letters, digits, '.', '_' or '-'"
            );
            let password = read_password()?;
            anyhow::ensure!(password.chars().count() >= 8, "a password has at least 8 characters");
            let hash = moa::web::auth::hash_password(&password)?;
            let store = open_store(&settings).await?;
            let created = store.set_user_password(&name, &hash, now_unix()).await?;
            if let Some(role) = &role {
                store.set_user_role(&name, role).await?;
            }
            let role = role.unwrap_or_else(|| if created { "curator".into() } else { String::new() });
            store.audit(now_unix(), "cli", if created { "user.add" } else { "user.password" }, &name, &role).await?;
            if created {
                println!("{role} added: {name}");
            } else {
                println!("password changed: {name}");
            }
            Ok(())
        }
        Command::Scrap { command } => {
            let store = open_store(&settings).await?;
            scrap_command(&settings, store.as_ref(), command).await
        }
        Command::Newsletter { command } => {
            let store = open_store(&settings).await?;
            newsletter_command(store.as_ref(), command).await
        }
        Command::Sources { command: SourcesCommand::List { json } } => {
            let store = open_synced_store(&settings).await?;
            print_sources(store.as_ref(), json).await
        }
        Command::Sources { command } => {
            let store = open_synced_store(&settings).await?;
            sources_command(&settings, store.as_ref(), command).await
        }
        Command::Backup { file } => {
            let store = open_store(&settings).await?;
            let started = std::time::Instant::now();
            let info = moa::ops::backup(store.as_ref(), &settings.database_url, &file).await?;
            println!(
                "backup written to {}: {} sources, {} posts, schema {}, in {:.1} s",
                file.display(),
                info.sources,
                info.posts,
                info.schema_version,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file } => {
            // A running moa serve holds the search index: restoring under it would lose what it writes.
            let dir = &settings.search_index_dir;
            if dir.exists() {
                match moa_search::SearchIndex::open(dir) {
                    Err(moa_search::SearchError::Locked(_)) => {
                        anyhow::bail!("moa serve is running on this store ({} is held); stop it first", dir.display())
                    }
                    Ok(index) => drop(index),
                    Err(_) => {}
                }
            }
            let restored = moa::ops::restore(&settings.database_url, dir, &file).await?;
            println!(
                "restored {}: {} sources, {} posts; the search index is rebuilt at the next start",
                file.display(),
                restored.info.sources,
                restored.info.posts
            );
            if let Some(previous) = restored.previous {
                println!("the database it replaced is kept at {}", previous.display());
            }
            Ok(())
        }
        Command::Retention { months, yes } => {
            let Some(months) = months.or(settings.retention_body_months) else {
                anyhow::bail!("no retention set: give --months N or retention_body_months in moa.toml");
            };
            anyhow::ensure!(months > 0 || yes, "--months 0 drops the body of every post; add --yes to do that");
            let store = open_store(&settings).await?;
            let dropped = moa::ops::apply_retention(store.as_ref(), months, now_unix()).await?;
            println!("dropped the bodies of {dropped} posts older than {months} months");
            Ok(())
        }
        Command::Search { query, json, company, topic, tag, from, to, newest, limit } => {
            anyhow::ensure!((1..=1000).contains(&limit), "--limit must be between 1 and 1000");
            if let Some(t) = topic.as_deref().filter(|t| moa_search::topics::topic(t).is_none()) {
                let known: Vec<&str> = moa_search::topics::TOPICS.iter().map(|t| t.slug).collect();
                anyhow::bail!("unknown topic {t:?}; topics: {}", known.join(", "));
            }
            let params = web::SearchParams {
                q: Some(query.join(" ")),
                company,
                topic,
                tag,
                from,
                to,
                sort: newest.then(|| "date".to_string()),
                ..web::SearchParams::default()
            };
            for (name, value) in [("--from", &params.from), ("--to", &params.to)] {
                if let Some(v) = value {
                    anyhow::ensure!(moa::kst::day_start(v).is_some(), "{name} {v:?} is not a YYYY-MM-DD date");
                }
            }
            let store = open_store(&settings).await?;
            if let Some(id) = params.company.as_deref() {
                anyhow::ensure!(
                    store.source(id).await?.is_some(),
                    "no company has the id {id:?}; `moa sources list` shows the ids"
                );
            }
            let search = open_search(&settings, store, true).await?;
            let results = search.search(&params.query(limit)).await?;
            print_results(&results, json)
        }
        Command::Migrate { command: MigrateCommand::SqliteToPostgres { from, to } } => {
            let from = if from.starts_with("sqlite:") { from } else { format!("sqlite://{from}") };
            let path = moa_store::sqlite_path(&from)?;
            anyhow::ensure!(std::path::Path::new(path).is_file(), "{path} is not a file");
            let started = std::time::Instant::now();
            let mut progress = |table: &str, rows: i64| eprintln!("copied {rows} rows of {table}");
            let report = moa_store::sqlite_to_postgres(&from, &to, &mut progress)
                .await
                .with_context(|| format!("cannot copy {path} into PostgreSQL"))?;
            println!("{:<18} {:>10} {:>12} {:>10}", "TABLE", "SQLITE", "POSTGRESQL", "THIS RUN");
            for t in &report {
                println!("{:<18} {:>10} {:>12} {:>10}", t.table, t.source_rows, t.target_rows, t.copied_now);
            }
            println!(
                "verified: every table has as many rows in PostgreSQL as in SQLite ({:.1} s). Next: set \
                 MOA_DATABASE_URL to the PostgreSQL URL and start moa; its search index rebuilds from the store.",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Index { command } => {
            let store = open_store(&settings).await?;
            let dir = &settings.search_index_dir;
            match command {
                IndexCommand::Rebuild => {
                    let search = moa::search::Search::open(dir, store).map_err(|e| match e {
                        moa_search::SearchError::Locked(_) => anyhow::anyhow!(
                            "{e}; stop it first, or leave it be: it catches up from the store by itself"
                        ),
                        e => anyhow::Error::new(e).context(format!("cannot open the search index {}", dir.display())),
                    })?;
                    let started = std::time::Instant::now();
                    let r = search.rebuild().await?;
                    println!(
                        "rebuilt {}: {} posts indexed (up to change {}), {} retagged, in {:.1} s",
                        dir.display(),
                        r.indexed,
                        r.seq,
                        r.retagged,
                        started.elapsed().as_secs_f64()
                    );
                }
                IndexCommand::Status => {
                    let last = store.last_change().await?;
                    let search = open_search(&settings, store, false).await?;
                    let applied = search.applied_seq()?;
                    println!(
                        "{}: {} posts indexed, change {applied} of {last} applied{}",
                        dir.display(),
                        search.len(),
                        if search.is_writable() { "" } else { " (held by a running moa, which keeps it current)" }
                    );
                }
            }
            Ok(())
        }
        Command::Parse { .. } => unreachable!("handled before the runtime starts"),
    }
}

async fn sources_command(settings: &Settings, store: &dyn Store, command: SourcesCommand) -> anyhow::Result<()> {
    let audit = |action: &'static str, id: String, detail: String| async move {
        store.audit(now_unix(), "cli", action, &id, &detail).await
    };
    match command {
        SourcesCommand::List { .. } => unreachable!("handled by the caller"),
        SourcesCommand::Add { url, id, name_ko, name_en, dry_run, item, title, link, date, summary, image } => {
            let fetcher = Fetcher::new(FetchConfig::from(settings))?;
            let (mut source, posts) = if let (Some(item), Some(title)) = (item, title) {
                let selectors = moa_feed::scrape::Selectors { item, title, link, date, summary, image };
                let (page, posts, page_title) =
                    moa::web::console::preview_page(&fetcher, &url, &selectors, settings.timezone_offset)
                        .await
                        .map_err(|e| anyhow::anyhow!(e))?;
                let home = moa_feed::Url::parse(&page)?;
                let proposed_id = moa::ingest::discovery::propose_id(&home);
                let name = page_title.unwrap_or_else(|| proposed_id.clone());
                let spec = moa_store::SourceSpec {
                    name_en: if name.is_ascii() { name.clone() } else { proposed_id.clone() },
                    name_ko: name,
                    id: proposed_id,
                    homepage: home.origin().ascii_serialization() + "/",
                    feed_url: page,
                    platform: String::new(),
                    user_agent: None,
                };
                println!("page: {} (CSS selectors)", spec.feed_url);
                (moa_store::NewSource { spec, selectors: Some(serde_json::to_string(&selectors)?) }, posts)
            } else {
                let found = moa::ingest::discovery::discover(&fetcher, &url, settings.timezone_offset).await?;
                println!("feed: {} (found by: {})", found.feed_url, found.origin);
                for (other, title) in &found.others {
                    println!(
                        "  also offered: {other}{}",
                        title.as_deref().map(|t| format!(" — {t}")).unwrap_or_default()
                    );
                }
                let self_url = found.feed.self_url.clone();
                let known = [Some(found.feed_url.as_str()), self_url.as_deref()];
                let known: Vec<&str> = known.into_iter().flatten().collect();
                if let Some(existing) = registry::source_with_feed(store, &known).await? {
                    anyhow::bail!(
                        "the feed {} is already the source {existing:?}; `moa sources list` shows it",
                        found.feed_url
                    );
                }
                (found.proposed, found.posts)
            };
            if let Some(id) = id {
                anyhow::ensure!(
                    moa::ingest::discovery::valid_id(&id),
                    "--id {id:?}: letters, digits, '-' or '_', at most 64"
                );
                source.spec.id = id;
            }
            if let Some(n) = name_ko {
                source.spec.name_ko = n;
            }
            if let Some(n) = name_en {
                source.spec.name_en = n;
            }
            println!("id: {}  name: {} / {}", source.spec.id, source.spec.name_ko, source.spec.name_en);
            println!("{} posts; the first:", posts.len());
            for p in posts.iter().take(5) {
                let date = p.published_at.map(moa::kst::day).unwrap_or_else(|| "-".repeat(10));
                println!("  {date}  {}", p.title);
            }
            if dry_run {
                println!("not saved (--dry-run)");
                return Ok(());
            }
            store.add_source(&source, now_unix()).await?;
            audit("source.add", source.spec.id.clone(), source.spec.feed_url.clone()).await?;
            println!("added {}; moa serve (or moa crawl) fetches it at its next tick", source.spec.id);
        }
        SourcesCommand::Edit { id, name_ko, name_en, homepage, feed_url } => {
            let Some(row) = store.source(&id).await?.filter(|s| s.origin != "removed") else {
                anyhow::bail!("no source has the id {id:?}; `moa sources list` shows the ids")
            };
            let before = row.spec.clone();
            let mut spec = row.spec;
            if let Some(v) = name_ko {
                spec.name_ko = v;
            }
            if let Some(v) = name_en {
                spec.name_en = v;
            }
            if let Some(v) = homepage {
                spec.homepage = v;
            }
            if let Some(v) = feed_url {
                let u = moa_feed::Url::parse(&v).with_context(|| format!("--feed-url {v:?} is not a URL"))?;
                anyhow::ensure!(matches!(u.scheme(), "http" | "https"), "--feed-url must be http(s)");
                spec.feed_url = v;
            }
            let spec = moa::ingest::registry::checked(spec).map_err(anyhow::Error::msg)?;
            if spec == before {
                println!("source {id} unchanged (nothing to edit)");
                return Ok(());
            }
            let detail = spec.feed_url.clone();
            store.update_source(&id, &moa_store::NewSource { spec, selectors: row.selectors }).await?;
            audit("source.edit", id.clone(), detail).await?;
            println!("source {id} updated");
        }
        SourcesCommand::Disable { id, reason } => {
            let reason = reason.unwrap_or_else(|| "disabled by an operator".into());
            anyhow::ensure!(
                store.set_source_enabled(&id, false, Some(&reason)).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit("source.disable", id.clone(), reason).await?;
            println!("source {id} disabled");
        }
        SourcesCommand::Enable { id } => {
            anyhow::ensure!(
                store.set_source_enabled(&id, true, None).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit("source.enable", id.clone(), String::new()).await?;
            println!("source {id} enabled, due now");
        }
        SourcesCommand::Refresh { id } => {
            anyhow::ensure!(
                store.make_due(&id).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit("source.refresh", id.clone(), String::new()).await?;
            println!("source {id} is due now");
        }
        SourcesCommand::Rm { id, with_posts } => {
            let Some(n) = store.delete_source(&id, with_posts).await? else {
                anyhow::bail!("no source has the id {id:?}; `moa sources list` shows the ids")
            };
            let detail = if with_posts { format!("with {n} posts") } else { "posts kept".into() };
            audit("source.delete", id.clone(), detail.clone()).await?;
            println!("source {id} deleted ({detail})");
        }
        SourcesCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let imported = moa::web::console::import_opml(store, &text, "cli").await?;
            println!("{} sources added, {} already followed", imported.added.len(), imported.skipped);
            for id in imported.added {
                println!("  {id}");
            }
        }
        SourcesCommand::Export => {
            print!("{}", moa::web::syndication::opml("moa sources", &store.sources().await?));
        }
    }
    Ok(())
}

/// The search index for a command: written and caught up when no other process holds it, else read as
/// the process that holds it (moa serve) keeps it.
async fn open_search(
    settings: &Settings,
    store: Arc<dyn Store>,
    catch_up: bool,
) -> anyhow::Result<moa::search::Search> {
    let dir = &settings.search_index_dir;
    let context = || format!("cannot open the search index {}", dir.display());
    match moa::search::Search::open(dir, store.clone()) {
        Ok(search) => {
            if catch_up {
                let c = search.catch_up().await?;
                if c.indexed + c.removed > 0 {
                    tracing::info!(indexed = c.indexed, removed = c.removed, "search index caught up");
                }
            }
            Ok(search)
        }
        Err(moa_search::SearchError::Locked(_)) => {
            moa::search::Search::open_read_only(dir, store).with_context(context)
        }
        Err(e) => Err(anyhow::Error::new(e).context(context())),
    }
}

fn print_results(results: &moa::search::Results, json: bool) -> anyhow::Result<()> {
    if json {
        let hits: Vec<serde_json::Value> = results
            .found
            .iter()
            .map(|(hit, post)| {
                serde_json::json!({
                    "id": post.id,
                    "company": post.source_id,
                    "title": post.title,
                    "url": post.url,
                    "published_at": post.published_at.map(moa_feed::format_rfc3339),
                    "topics": post.topics,
                    "score": hit.score,
                    "title_html": hit.title_html,
                    "snippet_html": hit.snippet_html,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "total": results.total, "results": hits }))?);
        return Ok(());
    }
    let plain = |html: &str| moa_feed::html::decode_entities(&html.replace("<b>", "").replace("</b>", ""));
    for (hit, post) in &results.found {
        let date = moa::kst::day(post.sort_at);
        println!("{:>7}  {date}  {:<16} {}", post.id, post.source_id, plain(&hit.title_html));
        if let Some(url) = &post.url {
            println!("{:>7}  {url}", "");
        }
        let snippet = plain(&hit.snippet_html);
        if !snippet.trim().is_empty() {
            println!("{:>7}  {}", "", snippet.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    println!("{} of {} matching posts", results.found.len(), results.total);
    Ok(())
}

/// How long `crawl --once` waits at exit for webhook deliveries still being retried.
const WEBHOOK_DRAIN: std::time::Duration = std::time::Duration::from_secs(60);

fn crawler(settings: &Settings, store: Arc<dyn Store>, progress: bool) -> anyhow::Result<Crawler> {
    let fetcher = Fetcher::new(FetchConfig::from(settings))?;
    let delivery = Delivery { attempts: settings.webhook_attempts, retry_base: settings.webhook_retry_base };
    let notifier = Notifier::start(settings.webhooks.clone(), delivery, fetcher.clone())?;
    let websub = settings.public_url.clone().map(|public_url| WebSub {
        store: store.clone(),
        fetcher: fetcher.clone(),
        public_url,
    });
    let options = CrawlOptions {
        timezone_offset: settings.timezone_offset,
        progress,
        schedule: Schedule { min: settings.min_check_interval, max: settings.max_check_interval },
        page_images: settings.page_images,
        pages_per_source: settings.pages_per_source,
        // Enough sources in flight to fill every politeness slot, some of them waiting on busy hosts.
        concurrency: settings.concurrency * 2,
        lease: settings.crawl_lease,
    };
    Ok(Crawler { store, fetcher, options, notifier, websub, unreachable_hosts: Default::default() })
}

async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    let store = open_synced_store(&settings).await?;
    let crawler = Arc::new(crawler(&settings, store.clone(), false)?);
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    moa::metrics::install();
    if role != Role::Web {
        let crawler = crawler.clone();
        tokio::spawn(async move { crawler.run_scheduler().await });
        spawn_retention(&settings, store.clone());
        let store = store.clone();
        tokio::spawn(async move { retag_after_upgrade(store.as_ref()).await });
    }
    if role == Role::Crawler {
        // Nothing of the web: no search index to keep, only what a supervisor and Prometheus ask.
        tracing::info!("crawling; serving /healthz, /readyz and /metrics on http://{addr}");
        eprintln!("moa: crawler serving http://{addr}");
        let mut ops = web::AppState::new(store.clone());
        ops.operations = Arc::new(settings.operations.clone());
        let app = web::ops_router(ops);
        moa::web::listen::serve(listener, app, settings.server.clone(), shutdown_signal()).await?;
        return Ok(());
    }
    let dir = &settings.search_index_dir;
    let search = Arc::new(moa::search::Search::open(dir, store.clone()).map_err(|e| match e {
        moa_search::SearchError::Locked(_) => {
            anyhow::anyhow!("{e}: another moa serve uses {}; give this one its own --search-index", dir.display())
        }
        e => anyhow::Error::new(e).context(format!("cannot open the search index {}", dir.display())),
    })?);
    // Before serving: posts stored while no index followed (a crash, `moa crawl` alone, another
    // process's crawler) are searchable from the first request.
    let started = std::time::Instant::now();
    let caught = search.catch_up().await?;
    tracing::info!(
        indexed = caught.indexed,
        removed = caught.removed,
        seq = %caught.seq,
        ms = started.elapsed().as_millis() as u64,
        "search index caught up with the store"
    );
    search.follow();
    tracing::info!("serving http://{addr}");
    eprintln!("moa: serving http://{addr}");
    if settings.public_url.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            "serving on {addr} without public_url: feeds and the API take their absolute links from each request's Host header; set public_url (MOA_PUBLIC_URL) to this site's address"
        );
    }
    let mut state = web::AppState::new(store.clone()).with_cache_ttl(settings.page_cache_ttl);
    state.timezone_offset = settings.timezone_offset;
    state.notifier = crawler.notifier.clone();
    state.public_url = settings.public_url.clone();
    state.fetcher = Some(crawler.fetcher.clone());
    state.search = Some(search);
    // The console's "refresh now" crawls the one source in this process, whatever the role.
    state.crawler = Some(crawler.clone());
    state.settings = Arc::new(moa::config::effective(&settings));
    state.trusted_proxies = Arc::new(settings.server.trusted_proxies.clone());
    state.operations = Arc::new(settings.operations.clone());
    moa::web::listen::serve(listener, web::router(state), settings.server.clone(), shutdown_signal()).await?;
    Ok(())
}

/// Drops old post bodies daily, when a retention is set: the crawling processes do it (several doing it
/// is harmless: the second finds nothing to drop).
fn spawn_retention(settings: &Settings, store: Arc<dyn Store>) {
    let Some(months) = settings.retention_body_months else { return };
    tokio::spawn(async move {
        loop {
            match moa::ops::apply_retention(store.as_ref(), months, now_unix()).await {
                Ok(n) if n > 0 => tracing::info!(posts = n, months, "dropped old post bodies"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
        }
    });
}

/// Retags the stored posts when this version's topic dictionary is not the one they were tagged with.
async fn retag_after_upgrade(store: &dyn Store) {
    match moa::search::retag_after_upgrade(store).await {
        Ok(Some(n)) => tracing::info!(posts = n, "the topic dictionary changed: stored posts retagged"),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %format!("{e:#}"), "retagging after an upgrade failed"),
    }
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
    let time = |t: Option<i64>| t.map(moa::kst::minute).unwrap_or_else(|| "-".into());
    println!(
        "{:<24} {:<14} {:>6}  {:<19}  {:<19} {:>8} {:>5} {:>5}  NAME",
        "ID", "STATE", "POSTS", "LAST SUCCESS (KST)", "NEXT CHECK (KST)", "FETCH", "304", "PAGES"
    );
    for s in &sources {
        let state = match s.state() {
            "failing" => format!("failing×{}", s.consecutive_failures),
            other => other.to_string(),
        };
        let next = if s.enabled { time(Some(s.next_check_at).filter(|t| *t > 0)) } else { "-".into() };
        let mean = s.health.mean_fetch_ms().map_or_else(|| "-".into(), |ms| format!("{ms} ms"));
        let ratio = s.health.not_modified_ratio().map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0));
        println!(
            "{:<24} {:<14} {:>6}  {:<19}  {:<19} {:>8} {:>5} {:>5}  {}",
            s.spec.id,
            state,
            s.post_count,
            time(s.last_success_at),
            next,
            mean,
            ratio,
            s.health.pages_skipped,
            s.spec.name_ko
        );
        if let Some(reason) = s.disabled_reason.as_deref().filter(|_| !s.enabled) {
            println!("{:<24} └ disabled: {reason}", "");
        } else if let Some(err) = s.last_error.as_deref().filter(|_| s.consecutive_failures > 0) {
            let kind = s.last_error_kind.map_or("error", |k| k.as_str());
            println!("{:<24} └ {kind}: {err}", "");
        }
        if let Some(moved) = &s.moved_to {
            println!("{:<24} └ moved to {moved}", "");
        }
    }
    Ok(())
}

fn parse_files(
    files: &[PathBuf],
    url: Option<&str>,
    timezone: Option<&str>,
    charset: Option<&str>,
    language: Option<&str>,
) -> ExitCode {
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
        http_language: language.map(String::from),
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
