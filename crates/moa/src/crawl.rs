//! Crawling: the scheduler hands out due sources in batches (their next check written before the fetch),
//! each is fetched politely, parsed and stored in its own transaction, so a failure or a kill affects
//! only the source it hit. After a fetch, webhooks are told of new posts and a WebSub hub the feed
//! advertises is subscribed to; after any check that reached the feed, a few article pages of the
//! source's posts are read for the picture or the date the feed did not give.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moa_feed::scrape::Selectors;
use moa_feed::{Entry, Feed, FeedError, ParseOptions};
use moa_store::{CheckResult, Claimed, ErrorKind, NewPost, PageVisit, Selection, SourceCheck, Store, UpsertStats};

use crate::fetch::{Content, Fetched, Fetcher, Get, Response, bot_wall};
use crate::now_unix;
use crate::schedule::{Hints, Schedule};
use crate::webhook::{AnnouncedPost, Notifier};
use crate::websub::WebSub;

/// An article page is read this far for its `og:image`: the `<head>` is at the start.
pub const PAGE_PREFIX_BYTES: usize = 256 * 1024;
/// A page's date this far past the crawl's clock is skew, not the future.
const PAGE_CLOCK_SKEW_SECONDS: i64 = 10 * 60;
/// Feeds up to this size are parsed on the async worker that fetched them.
const INLINE_PARSE_BYTES: usize = 256 * 1024;
/// Due sources claimed per batch, at most: a crawler holds no more than it can soon fetch, so crawlers
/// sharing a database share the work and leases are not spent waiting in a queue.
pub const DUE_BATCH: u32 = 256;
/// How often a running scheduler looks for due sources.
pub const SCHEDULER_TICK: Duration = Duration::from_secs(20);
/// 304s and failures are written this many at a time, in one transaction.
const RECORD_BATCH: usize = 128;

#[derive(Debug, Clone)]
pub struct CrawlOptions {
    pub timezone_offset: i32,
    pub progress: bool,
    pub schedule: Schedule,
    /// Read posts' article pages for the picture (og:image) or the date the feed does not give.
    pub page_images: bool,
    /// Article pages read per source and crawl, newest posts first; the rest on later crawls.
    pub pages_per_source: u32,
    /// How long claimed sources are held: one whose check never reports (the process died) is due again
    /// after it, for any crawler.
    pub lease: Duration,
    /// Sources fetched at once (each fetch also waits for its host's and the global politeness slots).
    pub concurrency: usize,
}

#[derive(Debug, Default)]
pub struct CrawlReport {
    pub sources_ok: usize,
    /// Of the sources ok, those that answered 304 Not Modified.
    pub sources_unchanged: usize,
    pub sources_failed: usize,
    pub new_posts: u32,
    pub updated_posts: u32,
    /// Posts an earlier version stored that are pages of their site, deleted.
    pub site_pages_removed: u32,
    pub images_found: u32,
    pub dates_found: u32,
    pub failures: Vec<(String, String)>,
    pub elapsed: Duration,
}

impl CrawlReport {
    pub fn summary_line(&self) -> String {
        format!(
            "crawl finished in {:.1}s: {} sources ok ({} unchanged), {} failed; {} new posts, {} updated, {} site pages removed; {} pictures and {} dates from article pages",
            self.elapsed.as_secs_f64(),
            self.sources_ok,
            self.sources_unchanged,
            self.sources_failed,
            self.new_posts,
            self.updated_posts,
            self.site_pages_removed,
            self.images_found,
            self.dates_found,
        )
    }
}

enum Outcome {
    Stored {
        stats: UpsertStats,
    },
    /// 304: nothing parsed, nothing written but the source's state.
    NotModified,
    Failed(String),
}

/// What reading article pages found.
#[derive(Debug, Default, Clone, Copy)]
struct PagesRead {
    images: u32,
    dates: u32,
}

#[derive(Clone)]
pub struct Crawler {
    pub store: Arc<dyn Store>,
    pub fetcher: Fetcher,
    pub options: CrawlOptions,
    pub notifier: Option<Notifier>,
    pub websub: Option<WebSub>,
    /// Hosts of article pages that did not resolve or connect, and when: passed over for a while.
    pub unreachable_hosts: Arc<Mutex<HashMap<String, Instant>>>,
}

/// How long an article host that did not resolve or connect is passed over.
const UNREACHABLE_HOST_PAUSE: Duration = Duration::from_secs(30 * 60);

/// Checks of sources that brought no posts, written in batches.
struct Recorder {
    store: Arc<dyn Store>,
    pending: Mutex<Vec<SourceCheck>>,
}

impl Recorder {
    async fn push(&self, check: SourceCheck) {
        let batch = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.push(check);
            if pending.len() < RECORD_BATCH {
                return;
            }
            std::mem::take(&mut *pending)
        };
        self.write(batch).await;
    }

    async fn flush(&self) {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if !batch.is_empty() {
            self.write(batch).await;
        }
    }

    async fn write(&self, batch: Vec<SourceCheck>) {
        // Unrecorded, the sources keep their claimed next check and are simply checked again then.
        if let Err(e) = self.store.record_checks(&batch).await {
            tracing::error!(error = %e, sources = batch.len(), "could not record source checks");
        }
    }
}

impl Crawler {
    /// Runs for ever: whatever is due, every [`SCHEDULER_TICK`].
    pub async fn run_scheduler(&self) {
        loop {
            match self.run(Selection::Due { limit: self.due_batch() }).await {
                Ok(report) if report.sources_ok + report.sources_failed > 0 => {
                    tracing::info!("{}", report.summary_line())
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "crawl failed"),
            }
            // Sources a dead crawler leased are due when its lease ends: look at least twice per lease.
            tokio::time::sleep(SCHEDULER_TICK.min(self.options.lease / 2)).await;
        }
    }

    /// Sources claimed at a time: what is in flight at once, within [16, DUE_BATCH].
    pub fn due_batch(&self) -> u32 {
        u32::try_from(self.options.concurrency).unwrap_or(DUE_BATCH).clamp(16, DUE_BATCH)
    }

    /// Crawls the selected sources: for [`Selection::Due`], batch after batch until none is due.
    pub async fn run(&self, selection: Selection) -> anyhow::Result<CrawlReport> {
        let started = Instant::now();
        let bar = if self.options.progress {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} sources {msg}") {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        let recorder = Arc::new(Recorder { store: self.store.clone(), pending: Mutex::new(Vec::new()) });
        let concurrency = self.options.concurrency.max(1);
        let mut queue: VecDeque<Claimed> = VecDeque::new();
        let mut next_claim = Some(selection);
        // Each source is its own task, so its I/O wake-ups stay on the runtime's workers.
        let mut in_flight = tokio::task::JoinSet::new();
        let mut report = CrawlReport::default();
        let mut claim_error = None;
        loop {
            // Keep `concurrency` sources in flight, claiming the next batch when the queue runs dry.
            while in_flight.len() < concurrency {
                if queue.is_empty()
                    && let Some(selection) = next_claim.take()
                {
                    let now = now_unix();
                    let lease_until = now + self.options.lease.as_secs() as i64;
                    match self.store.claim(&selection, now, lease_until).await {
                        Ok(claimed) => {
                            let full = matches!(selection, Selection::Due { limit } if claimed.len() == limit as usize);
                            queue.extend(claimed);
                            if full {
                                next_claim = Some(selection);
                            }
                        }
                        Err(e) => claim_error = Some(e),
                    }
                }
                let Some(source) = queue.pop_front() else { break };
                let (crawler, recorder) = (self.clone(), recorder.clone());
                in_flight.spawn(async move { crawler.crawl_source(source, &recorder).await });
            }
            let Some(joined) = in_flight.join_next().await else { break };
            let (id, outcome, pages) = match joined {
                Ok(done) => done,
                Err(e) => (String::from("?"), Outcome::Failed(format!("crawl task failed: {e}")), PagesRead::default()),
            };
            bar.inc(1);
            report.images_found += pages.images;
            report.dates_found += pages.dates;
            match outcome {
                Outcome::Stored { stats } => {
                    report.sources_ok += 1;
                    report.new_posts += stats.new;
                    report.updated_posts += stats.updated;
                    report.site_pages_removed += stats.site_pages_removed;
                }
                Outcome::NotModified => {
                    report.sources_ok += 1;
                    report.sources_unchanged += 1;
                }
                Outcome::Failed(message) => {
                    report.sources_failed += 1;
                    report.failures.push((id, message));
                }
            }
            bar.set_message(format!("{} new posts", report.new_posts));
        }
        recorder.flush().await;
        bar.finish_and_clear();
        if let Some(e) = claim_error {
            return Err(e.into());
        }
        report.failures.sort();
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Checks a source's feed, then reads article pages of its posts: after any check that reached the
    /// feed, a 304 too, since pages left from earlier crawls are read a few per crawl.
    async fn crawl_source(&self, source: Claimed, recorder: &Recorder) -> (String, Outcome, PagesRead) {
        use tracing::Instrument;
        // At error level so that it is on whenever any event is: `crawl` logs warnings only by default, and
        // a span below the filter's level would leave those warnings without the source they are about.
        let span = tracing::error_span!("source", id = %source.id);
        let (outcome, pages) = async {
            let started = Instant::now();
            let outcome = self.check_source(&source, recorder).await;
            let label = match &outcome {
                Outcome::Failed(message) => {
                    tracing::warn!(error = %message, "fetch failed");
                    "failed"
                }
                Outcome::NotModified => {
                    tracing::debug!("not modified");
                    "not_modified"
                }
                Outcome::Stored { stats } => {
                    tracing::debug!(new = stats.new, updated = stats.updated, "fetched");
                    crate::metrics::posts_stored(stats.new, stats.updated);
                    "fetched"
                }
            };
            crate::metrics::fetched(label, started.elapsed());
            let pages = match outcome {
                Outcome::Failed(_) => PagesRead::default(),
                _ => self.read_pages(&source).await,
            };
            (outcome, pages)
        }
        .instrument(span)
        .await;
        (source.id, outcome, pages)
    }

    async fn check_source(&self, source: &Claimed, recorder: &Recorder) -> Outcome {
        let at = now_unix();
        let started = Instant::now();
        let body_bytes = std::sync::atomic::AtomicI64::new(0);
        // Time spent waiting for politeness slots is the queue's, not the source's.
        let queued_ms = std::sync::atomic::AtomicU64::new(0);
        let schedule = &self.options.schedule;
        let how = Get {
            validators: Some(&source.validators),
            user_agent: source.user_agent.as_deref(),
            prefix_bytes: None,
            queued_ms: Some(&queued_ms),
        };
        let check = |interval: Duration, hints: Hints, redirect: Option<String>, result| {
            let wait = schedule.next_wait(interval, &hints, &source.id, at);
            SourceCheck {
                source_id: source.id.clone(),
                at,
                next_check_at: at + wait.as_secs() as i64,
                interval: interval.as_secs() as i64,
                permanent_redirect: redirect,
                result,
                elapsed_ms: (started.elapsed().as_millis() as i64)
                    .saturating_sub(queued_ms.load(std::sync::atomic::Ordering::Relaxed) as i64),
                bytes: body_bytes.load(std::sync::atomic::Ordering::Relaxed),
            }
        };
        let failed = |kind: ErrorKind, message: String, retry_after: Option<Duration>, redirect| {
            let interval = schedule.after_failures(source.consecutive_failures + 1);
            let hints = Hints { retry_after, ..Hints::default() };
            let disable = kind == ErrorKind::Gone;
            check(interval, hints, redirect, CheckResult::Failed { kind, message, disable })
        };
        let selectors = match source.selectors.as_deref().map(serde_json::from_str::<Selectors>).transpose() {
            Ok(s) => s,
            Err(e) => {
                let message = format!("the source's CSS selectors cannot be read: {e}");
                recorder.push(failed(ErrorKind::Other, message.clone(), None, None)).await;
                return Outcome::Failed(message);
            }
        };
        let response = match self.fetcher.get_with(&source.fetch_url, how).await {
            Ok(r) => r,
            Err(e) => {
                let message = e.to_string();
                recorder.push(failed(e.kind(), message.clone(), e.retry_after(), None)).await;
                return Outcome::Failed(message);
            }
        };
        let Response { content, permanent_redirect, fresh_for } = response;
        let redirect = permanent_redirect.map(String::from);
        let fetched = match content {
            Content::NotModified => {
                let interval = source.check_interval.map_or(schedule.min, |s| Duration::from_secs(s as u64));
                let hints = Hints { fresh_for, ..Hints::default() };
                recorder
                    .push(check(interval.clamp(schedule.min, schedule.max), hints, redirect, CheckResult::NotModified))
                    .await;
                return Outcome::NotModified;
            }
            Content::Changed(fetched) => *fetched,
        };
        let Fetched { url, body, charset, language, validators } = fetched;
        let body_len = body.len();
        body_bytes.store(body_len as i64, std::sync::atomic::Ordering::Relaxed);
        let parse_options = ParseOptions {
            url: Some(url.clone()),
            http_charset: charset,
            http_language: language,
            timezone_offset: self.options.timezone_offset,
            now: Some(at),
            ..ParseOptions::default()
        };
        let parse = move || {
            let result = match &selectors {
                Some(selectors) => moa_feed::scrape::parse_page(&body, selectors, &parse_options),
                None => moa_feed::parse(&body, &parse_options),
            };
            let wall = match &result {
                Err(FeedError::NotAFeed { .. }) => bot_wall(&reqwest::header::HeaderMap::new(), &body),
                _ => None,
            };
            (result, wall)
        };
        // A typical feed parses in well under a millisecond (≈ 300 MB/s): cheaper on this worker than a
        // hop to the blocking pool. Only large ones move off the async workers.
        let parsed =
            if body_len <= INLINE_PARSE_BYTES { Ok(parse()) } else { tokio::task::spawn_blocking(parse).await };
        let feed: Feed = match parsed {
            Ok((Ok(feed), _)) => feed,
            Ok((Err(e), wall)) => {
                let (kind, message) = match (wall, &e) {
                    (Some(by), _) => (ErrorKind::Blocked, format!("blocked by bot protection ({by})")),
                    (None, FeedError::NotAFeed { .. } | FeedError::Empty) => (ErrorKind::NotAFeed, e.to_string()),
                    (None, FeedError::TooLarge { .. }) => (ErrorKind::TooLarge, e.to_string()),
                    (None, _) => (ErrorKind::Parse, e.to_string()),
                };
                recorder.push(failed(kind, message.clone(), None, redirect)).await;
                return Outcome::Failed(message);
            }
            Err(e) => {
                let message = format!("parser task failed: {e}");
                recorder.push(failed(ErrorKind::Other, message.clone(), None, redirect)).await;
                return Outcome::Failed(message);
            }
        };
        let published: Vec<i64> = feed.entries.iter().filter_map(|e| e.published.or(e.updated)).map(|t| t.0).collect();
        let interval = schedule.from_posts(&published, at);
        let ttl = feed.ttl_minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
        let hints = Hints { ttl, fresh_for, retry_after: None };
        let (hub, topic) = (feed.hub.clone(), feed.self_url.clone().unwrap_or_else(|| url.to_string()));
        let site_pages = feed.site_pages.iter().map(|p| p.id.clone()).collect();
        let posts = posts_of(feed);
        let check = check(interval, hints, redirect, CheckResult::Fetched { validators, site_pages });
        let stats = match self.store.store_fetch(&check, &posts).await {
            Ok(stats) => stats,
            Err(e) => {
                let message = format!("cannot store: {e}");
                recorder.push(failed(ErrorKind::Other, message.clone(), None, None)).await;
                return Outcome::Failed(message);
            }
        };
        if let Some(notifier) = &self.notifier {
            notifier.announce(&source.id, &source.name, announced(&stats, &posts));
        }
        if let (Some(websub), Some(hub)) = (&self.websub, hub) {
            websub.ensure_subscribed(&source.id, &hub, &topic).await;
        }
        Outcome::Stored { stats }
    }

    /// Reads the article pages of the source's newest posts that lack a picture or a date (at most
    /// [`CrawlOptions::pages_per_source`] a crawl; the rest on later crawls), for the og:image and the date
    /// each page states. Each page is read once, politely, at most [`PAGE_PREFIX_BYTES`] of it; a host
    /// that does not resolve or connect is passed over for a while instead of costing every page a wait.
    async fn read_pages(&self, source: &Claimed) -> PagesRead {
        let mut read = PagesRead::default();
        if !self.options.page_images || self.options.pages_per_source == 0 {
            return read;
        }
        let visits = match self.store.pages_to_visit(&source.id, self.options.pages_per_source).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "could not list article pages to read");
                return read;
            }
        };
        // One page of each host first: a host that does not answer is then passed over by the others,
        // instead of each of them waiting for its turn at the host only to fail.
        let mut hosts = std::collections::HashSet::new();
        let (first, rest): (Vec<_>, Vec<_>) =
            visits.into_iter().map(|v| (page_host(&v.url), v)).partition(|(host, _)| hosts.insert(host.clone()));
        for round in [first, rest] {
            let mut pages = FuturesUnordered::new();
            let mut visits = round.into_iter();
            loop {
                // A few at a time: the host's politeness slots are shared with other sources.
                while pages.len() < 4
                    && let Some((host, visit)) = visits.next()
                {
                    pages.push(self.read_page(visit, host, source.user_agent.as_deref()));
                }
                let Some((image, date)) = pages.next().await else { break };
                read.images += u32::from(image);
                read.dates += u32::from(date);
            }
        }
        read
    }

    /// Reads one article page; whether it gave a picture and a date.
    async fn read_page(&self, visit: PageVisit, host: Option<String>, user_agent: Option<&str>) -> (bool, bool) {
        if let Some(host) = &host
            && self.host_unreachable(host)
        {
            // Not marked read: a later crawl tries again once the host's pause is over.
            return (false, false);
        }
        let how = Get { user_agent, prefix_bytes: Some(PAGE_PREFIX_BYTES), ..Get::default() };
        let (image, published) = match self.fetcher.get_with(&visit.url, how).await {
            Ok(Response { content: Content::Changed(page), .. }) => {
                let html = String::from_utf8_lossy(&page.body);
                let image = visit
                    .needs_image
                    .then(|| moa_feed::page::page_meta(&html).image)
                    .flatten()
                    .and_then(|src| page.url.join(&src).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .map(String::from);
                // Never in the future: a page that says so is wrong about its date (a few minutes of clock
                // skew aside), and no date beats a made-up one.
                let now = now_unix();
                let published = visit
                    .needs_date
                    .then(|| moa_feed::page_date::published(&html, self.options.timezone_offset))
                    .flatten()
                    .filter(|t| *t <= now + PAGE_CLOCK_SKEW_SECONDS)
                    .map(|t| t.min(now));
                (image, published)
            }
            Ok(_) => (None, None),
            Err(e) => {
                tracing::debug!(url = visit.url, error = %e, "article page not read");
                if matches!(e.kind(), ErrorKind::Dns | ErrorKind::Connect)
                    && let Some(host) = host
                {
                    self.unreachable_hosts.lock().unwrap_or_else(|e| e.into_inner()).insert(host, Instant::now());
                    return (false, false);
                }
                (None, None)
            }
        };
        if let Err(e) = self.store.set_page_facts(visit.post_id, image.as_deref(), published).await {
            tracing::error!(post = visit.post_id, error = %e, "could not store what the article page said");
        }
        (image.is_some(), published.is_some())
    }

    fn host_unreachable(&self, host: &str) -> bool {
        let mut hosts = self.unreachable_hosts.lock().unwrap_or_else(|e| e.into_inner());
        match hosts.get(host) {
            Some(since) if since.elapsed() < UNREACHABLE_HOST_PAUSE => true,
            Some(_) => {
                hosts.remove(host);
                false
            }
            None => false,
        }
    }
}

/// The posts of a parsed feed worth storing.
pub fn posts_of(feed: Feed) -> Vec<NewPost> {
    feed.entries.into_iter().filter_map(to_new_post).collect()
}

/// New posts as webhooks announce them: duplicates of posts already shown are not news.
pub fn announced(stats: &UpsertStats, posts: &[NewPost]) -> Vec<AnnouncedPost> {
    stats
        .created
        .iter()
        .filter(|c| c.duplicate_of.is_none())
        .map(|c| {
            let p = &posts[c.index];
            AnnouncedPost {
                id: c.id,
                title: p.title.clone(),
                url: p.url.clone(),
                summary: p.summary.clone(),
                thumbnail: p.thumbnail.clone(),
                published_at: p.published_at.map(moa_feed::format_rfc3339),
            }
        })
        .collect()
}

/// An entry worth storing has something to show: a title or a link.
/// The host an article page is politely queued on, and passed over at when it does not answer.
fn page_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_ascii_lowercase)
}

fn to_new_post(e: Entry) -> Option<NewPost> {
    if e.title.is_empty() && e.link.is_none() {
        return None;
    }
    let title = if e.title.is_empty() { e.link.clone().unwrap_or_default() } else { e.title };
    let topics = moa_search::topics::tag_post(&title, &e.categories, e.summary.as_deref(), e.content_html.as_deref());
    Some(NewPost {
        entry_id: e.id,
        url: e.link,
        title,
        summary: e.summary,
        content_html: e.content_html,
        author: e.author,
        thumbnail: e.thumbnail,
        categories: e.categories,
        category_labels: e.category_labels,
        topics,
        // A post dated only by its last update (some Atom feeds) is shown at that date.
        published_at: e.published.or(e.updated).map(|t| t.0),
        updated_at: e.updated.map(|t| t.0),
    })
}
