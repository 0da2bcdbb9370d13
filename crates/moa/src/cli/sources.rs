//! `moa sources`: the blogs moa follows, listed, added (found from a homepage, or read with CSS selectors),
//! edited, disabled, refreshed, deleted, and moved in and out as OPML.

use anyhow::Context;
use moa::config::Settings;
use moa::ingest::fetch::{FetchConfig, Fetcher};
use moa::ingest::registry;
use moa::now_unix;
use moa_store::Store;

use super::args::{AddSourceArgs, SourcesCommand};

pub(crate) async fn sources_command(
    settings: &Settings,
    store: &dyn Store,
    command: SourcesCommand,
) -> anyhow::Result<()> {
    match command {
        SourcesCommand::List { .. } => unreachable!("handled by the caller"),
        SourcesCommand::Add(args) => add_source(settings, store, args).await?,
        SourcesCommand::Edit { id, name_ko, name_en, homepage, feed_url } => {
            edit_source(store, id, name_ko, name_en, homepage, feed_url).await?
        }
        SourcesCommand::Disable { id, reason } => {
            let reason = reason.unwrap_or_else(|| "disabled by an operator".into());
            anyhow::ensure!(
                store.set_source_enabled(&id, false, Some(&reason)).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit(store, "source.disable", &id, &reason).await?;
            println!("source {id} disabled");
        }
        SourcesCommand::Enable { id } => {
            anyhow::ensure!(
                store.set_source_enabled(&id, true, None).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit(store, "source.enable", &id, "").await?;
            println!("source {id} enabled, due now");
        }
        SourcesCommand::Refresh { id } => {
            anyhow::ensure!(
                store.make_due(&id).await?,
                "no source has the id {id:?}; `moa sources list` shows the ids"
            );
            audit(store, "source.refresh", &id, "").await?;
            println!("source {id} is due now");
        }
        SourcesCommand::Rm { id, with_posts } => {
            let Some(n) = store.delete_source(&id, with_posts).await? else {
                anyhow::bail!("no source has the id {id:?}; `moa sources list` shows the ids")
            };
            let detail = if with_posts { format!("with {n} posts") } else { "posts kept".into() };
            audit(store, "source.delete", &id, &detail).await?;
            println!("source {id} deleted ({detail})");
        }
        SourcesCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let imported = moa::ingest::registry::import_opml(store, &text, "cli").await?;
            println!("{} sources added, {} already followed", imported.added.len(), imported.skipped);
            for id in imported.added {
                println!("  {id}");
            }
        }
        SourcesCommand::Export => {
            print!("{}", moa::web::syndication::opml(moa::i18n::published::EXPORT_OPML_TITLE, &store.sources().await?));
        }
    }
    Ok(())
}

/// `moa sources add`: the feed found from a homepage (or a page read with CSS selectors), previewed, then saved.
async fn add_source(settings: &Settings, store: &dyn Store, args: AddSourceArgs) -> anyhow::Result<()> {
    let AddSourceArgs { url, id, name_ko, name_en, dry_run, item, title, link, date, summary, image } = args;
    let fetcher = Fetcher::new(FetchConfig::from(settings))?;
    let (mut source, posts) = if let (Some(item), Some(title)) = (item, title) {
        let selectors = moa_feed::scrape::Selectors { item, title, link, date, summary, image };
        let (page, posts, page_title) =
            moa::ingest::discovery::preview_page(&fetcher, &url, &selectors, settings.timezone_offset)
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
            println!("  also offered: {other}{}", title.as_deref().map(|t| format!(" — {t}")).unwrap_or_default());
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
        anyhow::ensure!(moa::ingest::discovery::valid_id(&id), "--id {id:?}: letters, digits, '-' or '_', at most 64");
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
    audit(store, "source.add", &source.spec.id, &source.spec.feed_url).await?;
    println!("added {}; moa serve (or moa crawl) fetches it at its next tick", source.spec.id);
    Ok(())
}

/// `moa sources edit`: names, homepage or feed URL changed; the registry then leaves the source be.
async fn edit_source(
    store: &dyn Store,
    id: String,
    name_ko: Option<String>,
    name_en: Option<String>,
    homepage: Option<String>,
    feed_url: Option<String>,
) -> anyhow::Result<()> {
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
    audit(store, "source.edit", &id, &detail).await?;
    println!("source {id} updated");
    Ok(())
}

pub(crate) async fn print_sources(store: &dyn Store, json: bool) -> anyhow::Result<()> {
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

/// A change made from the command line, in the audit log.
async fn audit(store: &dyn Store, action: &str, target: &str, detail: &str) -> anyhow::Result<()> {
    Ok(store.audit(now_unix(), "cli", action, target, detail).await?)
}
