//! One crawl: every enabled source fetched concurrently, parsed, and stored — each source in its own
//! transaction, so a failure or a kill affects only the source it hit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moa_feed::{Entry, ParseOptions};
use moa_store::{NewPost, SourceRow, Store};

use crate::fetch::{Fetched, Fetcher, Response};
use crate::now_unix;

#[derive(Debug, Clone)]
pub struct CrawlOptions {
    pub concurrency: usize,
    pub timezone_offset: i32,
    pub progress: bool,
}

#[derive(Debug, Default)]
pub struct CrawlReport {
    pub sources_ok: usize,
    /// Of the sources ok, those that answered 304 Not Modified.
    pub sources_unchanged: usize,
    pub sources_failed: usize,
    pub new_posts: u32,
    pub updated_posts: u32,
    pub failures: Vec<(String, String)>,
    pub elapsed: Duration,
}

impl CrawlReport {
    pub fn summary_line(&self) -> String {
        format!(
            "crawl finished in {:.1}s: {} sources ok ({} unchanged), {} failed; {} new posts, {} updated",
            self.elapsed.as_secs_f64(),
            self.sources_ok,
            self.sources_unchanged,
            self.sources_failed,
            self.new_posts,
            self.updated_posts
        )
    }
}

enum Outcome {
    Ok {
        new: u32,
        updated: u32,
    },
    /// 304: nothing parsed, nothing written but the source's success.
    NotModified,
    Failed(String),
}

pub async fn crawl_once(
    store: Arc<dyn Store>,
    fetcher: &Fetcher,
    options: &CrawlOptions,
) -> anyhow::Result<CrawlReport> {
    let started = Instant::now();
    let sources: Vec<SourceRow> = store.sources().await?.into_iter().filter(|s| s.enabled).collect();
    let bar = if options.progress {
        let bar = ProgressBar::with_draw_target(Some(sources.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} sources {msg}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut report = CrawlReport::default();
    let mut results = futures_util::stream::iter(sources)
        .map(|source| {
            let store = store.clone();
            async move {
                let outcome = crawl_source(store.as_ref(), fetcher, &source, options).await;
                (source.spec.id, outcome)
            }
        })
        .buffer_unordered(options.concurrency.max(1));
    while let Some((id, outcome)) = results.next().await {
        bar.inc(1);
        match outcome {
            Outcome::Ok { new, updated } => {
                report.sources_ok += 1;
                report.new_posts += new;
                report.updated_posts += updated;
            }
            Outcome::NotModified => {
                report.sources_ok += 1;
                report.sources_unchanged += 1;
            }
            Outcome::Failed(message) => {
                tracing::warn!(source = %id, error = %message, "fetch failed");
                report.sources_failed += 1;
                report.failures.push((id, message));
            }
        }
        bar.set_message(format!("{} new", report.new_posts));
    }
    bar.finish_and_clear();
    report.failures.sort();
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn crawl_source(store: &dyn Store, fetcher: &Fetcher, source: &SourceRow, options: &CrawlOptions) -> Outcome {
    let started_at = now_unix();
    let result = async {
        let response =
            fetcher.get_if_changed(&source.spec.feed_url, &source.validators).await.map_err(|e| e.to_string())?;
        let Response::Changed(Fetched { url, body, charset, validators }) = response else {
            store.record_not_modified(&source.spec.id, started_at).await.map_err(|e| e.to_string())?;
            return Ok(None);
        };
        let parse_options = ParseOptions {
            url: Some(url),
            http_charset: charset,
            timezone_offset: options.timezone_offset,
            now: Some(now_unix()),
            ..ParseOptions::default()
        };
        // Parsing a large feed is CPU work: keep it off the async workers.
        let feed = tokio::task::spawn_blocking(move || moa_feed::parse(&body, &parse_options))
            .await
            .map_err(|e| format!("parser task failed: {e}"))?
            .map_err(|e| e.to_string())?;
        let posts: Vec<NewPost> = feed.entries.into_iter().filter_map(to_new_post).collect();
        store.store_fetch(&source.spec.id, now_unix(), &posts, &validators).await.map(Some).map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(Some(stats)) => Outcome::Ok { new: stats.new, updated: stats.updated },
        Ok(None) => Outcome::NotModified,
        Err(message) => {
            if let Err(e) = store.record_failure(&source.spec.id, started_at, &message).await {
                tracing::error!(source = %source.spec.id, error = %e, "could not record the failure");
            }
            Outcome::Failed(message)
        }
    }
}

/// An entry worth storing has something to show: a title or a link.
fn to_new_post(e: Entry) -> Option<NewPost> {
    if e.title.is_empty() && e.link.is_none() {
        return None;
    }
    let title = if e.title.is_empty() { e.link.clone().unwrap_or_default() } else { e.title };
    Some(NewPost {
        entry_id: e.id,
        url: e.link,
        title,
        summary: e.summary,
        content_html: e.content_html,
        author: e.author,
        thumbnail: e.thumbnail,
        categories: e.categories,
        // A post dated only by its last update (some Atom feeds) is shown at that date.
        published_at: e.published.or(e.updated).map(|t| t.0),
        updated_at: e.updated.map(|t| t.0),
    })
}
