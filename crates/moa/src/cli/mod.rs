//! The `moa` command line: `main.rs` parses, this module dispatches each subcommand to the module of its kind;
//! what they share is in `open` (settings and the store) and `terminal` (errors, passwords, pipes).

mod admin;
mod args;
mod curation;
mod open;
mod parse;
mod search;
mod serve;
mod sources;
mod terminal;

use std::process::ExitCode;

pub(crate) use args::{Cli, Command, LogFormat, NewsletterCommand};
use args::{MigrateCommand, PostsCommand, Role, SourcesCommand, UserCommand};
use open::{open_store, open_synced_store, settings};
pub(crate) use terminal::{error_line, quiet_on_closed_pipe, search_exclusions_as_terms};

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
