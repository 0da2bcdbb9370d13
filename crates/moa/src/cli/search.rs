//! `moa search` and `moa index`: the search index the web uses, from the command line.

use std::sync::Arc;

use anyhow::Context;
use moa::config::Settings;
use moa::web;
use moa_store::Store;

use super::args::{IndexCommand, SearchArgs};
use super::open::open_store;

/// `moa search WORDS…`: the web's search, printed as lines or JSON.
pub(crate) async fn search(settings: &Settings, args: SearchArgs) -> anyhow::Result<()> {
    let SearchArgs { query, json, company, topic, tag, from, to, newest, limit } = args;
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
    let store = open_store(settings).await?;
    if let Some(id) = params.company.as_deref() {
        anyhow::ensure!(
            store.source(id).await?.is_some(),
            "no company has the id {id:?}; `moa sources list` shows the ids"
        );
    }
    let search = open_search(settings, store, true).await?;
    let results = search.search(&params.query(limit)).await?;
    print_results(&results, json)
}

/// `moa index rebuild|status`.
pub(crate) async fn index(settings: &Settings, command: IndexCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let dir = &settings.search_index_dir;
    match command {
        IndexCommand::Rebuild => {
            let search = moa::search::Search::open(dir, store).map_err(|e| match e {
                moa_search::SearchError::Locked(_) => {
                    anyhow::anyhow!("{e}; stop it first, or leave it be: it catches up from the store by itself")
                }
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
            let search = open_search(settings, store, false).await?;
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
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "total": results.total, "total_is_lower_bound": results.more, "results": hits })
            )?
        );
        return Ok(());
    }
    let plain = |html: &str| moa_feed::decode_entities(&html.replace("<b>", "").replace("</b>", ""));
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
    let more = if results.more { "+" } else { "" };
    println!("{} of {}{more} matching posts", results.found.len(), results.total);
    Ok(())
}
