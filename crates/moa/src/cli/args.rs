//! The command line's words: every subcommand, option and help text (clap reads them from here).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "moa", version, about = "Korean tech-blog posts, gathered in one place")]
pub(crate) struct Cli {
    /// Config file (TOML). Default: ./moa.toml when it exists.
    #[arg(long, env = "MOA_CONFIG", global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, or sqlite:///ABSOLUTE/PATH. Default: sqlite://moa-data/moa.db
    #[arg(long = "database", env = "MOA_DATABASE_URL", global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,
    /// The search index's directory. Default: "search" beside the SQLite file.
    #[arg(long = "search-index", env = "MOA_SEARCH_INDEX", global = true, value_name = "DIR")]
    pub(crate) search_index_dir: Option<PathBuf>,
    /// Registry of blogs to use instead of the built-in one: a CSV with the columns of blogs.csv, or OPML.
    #[arg(long, env = "MOA_SOURCES", global = true, value_name = "FILE")]
    pub(crate) sources: Option<PathBuf>,
    /// Permit fetching private and loopback addresses (for tests and intranets).
    #[arg(long, env = "MOA_ALLOW_PRIVATE_NETWORKS", global = true, action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) allow_private_networks: bool,
    /// The address this server is reached at (WebSub callbacks).
    #[arg(long, env = "MOA_PUBLIC_URL", global = true, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// Logs as text (default) or as JSON lines, one object per event with its span fields.
    #[arg(long, env = "MOA_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    Web,
    Crawler,
    All,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    Search(SearchArgs),
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
pub(crate) enum IndexCommand {
    /// Retag every post with the current topic dictionary and build the index again from the store.
    Rebuild,
    /// How far the index is behind the store.
    Status,
}

#[derive(Subcommand)]
pub(crate) enum MigrateCommand {
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
pub(crate) enum PostsCommand {
    /// Delete posts for good: the crawler will not store them again.
    Rm {
        /// Post ids (the web's /posts/ID, `moa search`).
        #[arg(required = true, value_name = "POST_ID")]
        ids: Vec<i64>,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
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
pub(crate) struct Note {
    /// The commentary, in Markdown.
    #[arg(long, conflicts_with = "note_file")]
    pub(crate) note: Option<String>,
    /// Read the commentary from this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) note_file: Option<PathBuf>,
}

impl Note {
    pub(crate) fn read(&self) -> anyhow::Result<Option<String>> {
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
pub(crate) enum ScrapCommand {
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
pub(crate) enum NewsletterCommand {
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
pub(crate) enum SourcesCommand {
    /// List every source with its state.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a blog by its homepage: its feed is found (advertised links, platform rules, well-known paths),
    /// its first posts are shown, and it is saved (unless --dry-run).
    Add(AddSourceArgs),
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

#[derive(clap::Args)]
pub(crate) struct SearchArgs {
    /// Words (all must match), "phrases" and -exclusions.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub(crate) query: Vec<String>,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only this source's posts.
    #[arg(long, value_name = "ID")]
    pub(crate) company: Option<String>,
    /// Only posts with this topic (backend, frontend, mobile, infra, devops, data, database, ai-ml, …).
    #[arg(long, value_name = "SLUG")]
    pub(crate) topic: Option<String>,
    /// Only posts with this tag.
    #[arg(long)]
    pub(crate) tag: Option<String>,
    /// From this day (YYYY-MM-DD, in Korea).
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<String>,
    /// Up to and including this day (YYYY-MM-DD, in Korea).
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<String>,
    /// Newest first instead of by relevance.
    #[arg(long)]
    pub(crate) newest: bool,
    /// How many results (1 to 1000).
    #[arg(long, default_value_t = 10)]
    pub(crate) limit: usize,
}

#[derive(clap::Args)]
pub(crate) struct AddSourceArgs {
    /// The homepage (or the feed itself; with --page, the page listing the posts).
    pub(crate) url: String,
    /// The source's id, instead of the one proposed from the address.
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// The Korean name, instead of the feed's title.
    #[arg(long)]
    pub(crate) name_ko: Option<String>,
    /// The English name.
    #[arg(long)]
    pub(crate) name_en: Option<String>,
    /// Show what would be added, without saving.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// A page without a feed, read with CSS selectors: the selector of one post.
    #[arg(long, value_name = "CSS", requires = "title")]
    pub(crate) item: Option<String>,
    /// With --item: the title's selector within a post.
    #[arg(long, value_name = "CSS", requires = "item")]
    pub(crate) title: Option<String>,
    /// With --item: the link's selector (default: the title's link).
    #[arg(long, value_name = "CSS", requires = "item")]
    pub(crate) link: Option<String>,
    /// With --item: the date's selector.
    #[arg(long, value_name = "CSS", requires = "item")]
    pub(crate) date: Option<String>,
    /// With --item: the summary's selector.
    #[arg(long, value_name = "CSS", requires = "item")]
    pub(crate) summary: Option<String>,
    /// With --item: the picture's selector.
    #[arg(long, value_name = "CSS", requires = "item")]
    pub(crate) image: Option<String>,
}
