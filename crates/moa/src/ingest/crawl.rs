//! Crawling: the scheduler hands out due sources in batches (their next check written before the fetch),
//! each is fetched politely, parsed and stored in its own transaction, so a failure or a kill affects
//! only the source it hit. After a fetch, webhooks are told of new posts and a WebSub hub the feed
//! advertises is subscribed to; after any check that reached the feed, a few article pages of the
//! source's posts are read for the picture or the date the feed did not give.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moa_store::{Claimed, Selection, Store};

use crate::ingest::check::{Checker, Outcome, Recorder};
use crate::ingest::fetch::Fetcher;
use crate::ingest::pages::{PageReader, PagesRead};
use crate::ingest::schedule::Schedule;
use crate::ingest::webhook::Notifier;
use crate::ingest::websub::WebSub;
use crate::now_unix;

/// Due sources claimed per batch, at most: a crawler holds no more than it can soon fetch, so crawlers
/// sharing a database share the work and leases are not spent waiting in a queue.
pub const DUE_BATCH: u32 = 256;
/// How often a running scheduler looks for due sources.
pub const SCHEDULER_TICK: Duration = Duration::from_secs(20);

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
        let recorder = Arc::new(Recorder::new(self.store.clone()));
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
            let checker = Checker {
                store: self.store.as_ref(),
                fetcher: &self.fetcher,
                notifier: self.notifier.as_ref(),
                websub: self.websub.as_ref(),
                schedule: &self.options.schedule,
                timezone_offset: self.options.timezone_offset,
            };
            let outcome = checker.check_source(&source, recorder).await;
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
                _ if !self.options.page_images => PagesRead::default(),
                _ => self.page_reader().read_pages(&source, self.options.pages_per_source).await,
            };
            (outcome, pages)
        }
        .instrument(span)
        .await;
        (source.id, outcome, pages)
    }

    fn page_reader(&self) -> PageReader<'_> {
        PageReader {
            store: self.store.as_ref(),
            fetcher: &self.fetcher,
            timezone_offset: self.options.timezone_offset,
            unreachable_hosts: &self.unreachable_hosts,
        }
    }
}
