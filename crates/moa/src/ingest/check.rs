//! One check of one source: its feed fetched politely (conditionally, with the validators of the last
//! answer), read and stored through the one ingest path, and the source's next check scheduled from what
//! the feed showed. A check that brought no posts is recorded in a batch.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moa_feed::Feed;
use moa_feed::scrape::Selectors;
use moa_store::{CheckResult, Claimed, ErrorKind, SourceCheck, Store, UpsertStats};

use crate::ingest::fetch::{Content, Fetched, Fetcher, Get, Response};
use crate::ingest::pipeline::{self, Arrival, Delivered, Reading, Source};
use crate::ingest::schedule::{Hints, Schedule};
use crate::ingest::webhook::Notifier;
use crate::ingest::websub::WebSub;
use crate::now_unix;

/// 304s and failures are written this many at a time, in one transaction.
const RECORD_BATCH: usize = 128;
/// Feeds up to this size are parsed on the async worker that fetched them.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// How a check ended.
pub(crate) enum Outcome {
    Stored {
        stats: UpsertStats,
    },
    /// 304: nothing parsed, nothing written but the source's state.
    NotModified,
    Failed(String),
}

/// Checks of sources that brought no posts, written in batches.
pub(crate) struct Recorder {
    store: Arc<dyn Store>,
    pending: Mutex<Vec<SourceCheck>>,
}

impl Recorder {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self { store, pending: Mutex::new(Vec::new()) }
    }

    pub(crate) async fn push(&self, check: SourceCheck) {
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

    pub(crate) async fn flush(&self) {
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

/// A check in progress: when it began and what it cost, for the [`SourceCheck`] it ends with.
struct Timing<'a> {
    source: &'a Claimed,
    schedule: &'a Schedule,
    at: i64,
    started: Instant,
    body_bytes: AtomicI64,
    /// Time spent waiting for politeness slots is the queue's, not the source's.
    queued_ms: AtomicU64,
}

impl<'a> Timing<'a> {
    fn new(source: &'a Claimed, schedule: &'a Schedule) -> Self {
        let (at, started) = (now_unix(), Instant::now());
        Self { source, schedule, at, started, body_bytes: AtomicI64::new(0), queued_ms: AtomicU64::new(0) }
    }

    fn check(&self, interval: Duration, hints: Hints, redirect: Option<String>, result: CheckResult) -> SourceCheck {
        let wait = self.schedule.next_wait(interval, &hints, &self.source.id, self.at);
        SourceCheck {
            source_id: self.source.id.clone(),
            at: self.at,
            next_check_at: self.at + wait.as_secs() as i64,
            interval: interval.as_secs() as i64,
            permanent_redirect: redirect,
            result,
            elapsed_ms: (self.started.elapsed().as_millis() as i64)
                .saturating_sub(self.queued_ms.load(Ordering::Relaxed) as i64),
            bytes: self.body_bytes.load(Ordering::Relaxed),
        }
    }

    fn failed(
        &self,
        kind: ErrorKind,
        message: String,
        retry_after: Option<Duration>,
        redirect: Option<String>,
    ) -> SourceCheck {
        let interval = self.schedule.after_failures(self.source.consecutive_failures + 1);
        let hints = Hints { retry_after, ..Hints::default() };
        let disable = kind == ErrorKind::Gone;
        self.check(interval, hints, redirect, CheckResult::Failed { kind, message, disable })
    }
}

/// Records a failed check and says what failed.
async fn give_up(recorder: &Recorder, check: SourceCheck) -> Outcome {
    let message = match &check.result {
        CheckResult::Failed { message, .. } => message.clone(),
        _ => String::new(),
    };
    recorder.push(check).await;
    Outcome::Failed(message)
}

/// What checking a source needs: the crawler's store, fetcher, announcers and schedule.
pub(crate) struct Checker<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) fetcher: &'a Fetcher,
    pub(crate) notifier: Option<&'a Notifier>,
    pub(crate) websub: Option<&'a WebSub>,
    pub(crate) schedule: &'a Schedule,
    pub(crate) timezone_offset: i32,
}

impl Checker<'_> {
    pub(crate) async fn check_source(&self, source: &Claimed, recorder: &Recorder) -> Outcome {
        let timing = Timing::new(source, self.schedule);
        let selectors = match source.selectors.as_deref().map(serde_json::from_str::<Selectors>).transpose() {
            Ok(s) => s,
            Err(e) => {
                let message = format!("the source's CSS selectors cannot be read: {e}");
                return give_up(recorder, timing.failed(ErrorKind::Other, message, None, None)).await;
            }
        };
        let how = Get {
            validators: Some(&source.validators),
            user_agent: source.user_agent.as_deref(),
            prefix_bytes: None,
            queued_ms: Some(&timing.queued_ms),
        };
        let Response { content, permanent_redirect, fresh_for } =
            match self.fetcher.get_with(&source.fetch_url, how).await {
                Ok(r) => r,
                Err(e) => {
                    return give_up(recorder, timing.failed(e.kind(), e.to_string(), e.retry_after(), None)).await;
                }
            };
        let redirect = permanent_redirect.map(String::from);
        let fetched = match content {
            Content::NotModified => {
                let schedule = timing.schedule;
                let interval = source.check_interval.map_or(schedule.min, |s| Duration::from_secs(s as u64));
                let hints = Hints { fresh_for, ..Hints::default() };
                let interval = interval.clamp(schedule.min, schedule.max);
                recorder.push(timing.check(interval, hints, redirect, CheckResult::NotModified)).await;
                return Outcome::NotModified;
            }
            Content::Changed(fetched) => *fetched,
        };
        timing.body_bytes.store(fetched.body.len() as i64, Ordering::Relaxed);
        let Fetched { url, validators, .. } = &fetched;
        let (url, validators) = (url.to_string(), validators.clone());
        let feed = match self.parse(fetched, selectors, timing.at).await {
            Ok(feed) => feed,
            Err((kind, message)) => return give_up(recorder, timing.failed(kind, message, None, redirect)).await,
        };
        let hints = Hints {
            ttl: feed.ttl_minutes.map(|m| Duration::from_secs(u64::from(m) * 60)),
            fresh_for,
            retry_after: None,
        };
        self.ingest(source, &timing, feed, Fetch { url, validators, redirect, hints }, recorder).await
    }

    /// Reads a fetched feed: on this worker when it is small (a typical feed parses in well under a
    /// millisecond, cheaper than a hop to the blocking pool), on the blocking pool when it is large.
    async fn parse(
        &self,
        fetched: Fetched,
        selectors: Option<Selectors>,
        at: i64,
    ) -> Result<Feed, (ErrorKind, String)> {
        let timezone_offset = self.timezone_offset;
        let inline = fetched.body.len() <= INLINE_PARSE_BYTES;
        let parse = move || {
            let reading = Reading { selectors: selectors.as_ref(), timezone_offset, now: at };
            pipeline::read(&Delivered::fetched(&fetched), reading).map_err(|e| pipeline::failure_of(&e, &fetched.body))
        };
        if inline {
            parse()
        } else {
            tokio::task::spawn_blocking(parse)
                .await
                .unwrap_or_else(|e| Err((ErrorKind::Other, format!("parser task failed: {e}"))))
        }
    }

    /// Stores a feed's posts with the check that brought them, schedules the next check from their dates,
    /// and subscribes to the WebSub hub the feed advertises.
    async fn ingest(
        &self,
        source: &Claimed,
        timing: &Timing<'_>,
        feed: Feed,
        fetch: Fetch,
        recorder: &Recorder,
    ) -> Outcome {
        let published: Vec<i64> = feed.entries.iter().filter_map(|e| e.published.or(e.updated)).map(|t| t.0).collect();
        let interval = timing.schedule.from_posts(&published, timing.at);
        let (hub, topic) = (feed.hub.clone(), feed.self_url.clone().unwrap_or_else(|| fetch.url.clone()));
        let site_pages = feed.site_pages.iter().map(|p| p.id.clone()).collect();
        let posts = pipeline::posts_of(feed);
        let result = CheckResult::Fetched { validators: fetch.validators, site_pages };
        let check = timing.check(interval, fetch.hints, fetch.redirect, result);
        let whose = Source { id: &source.id, name: Some(&source.name) };
        let stats = match pipeline::store(self.store, self.notifier, whose, Arrival::Checked(&check), &posts).await {
            Ok(stats) => stats,
            Err(e) => {
                let message = format!("cannot store: {e}");
                return give_up(recorder, timing.failed(ErrorKind::Other, message, None, None)).await;
            }
        };
        if let (Some(websub), Some(hub)) = (self.websub, hub) {
            websub.ensure_subscribed(&source.id, &hub, &topic).await;
        }
        Outcome::Stored { stats }
    }
}

/// What a fetch that brought a body told besides the body.
struct Fetch {
    url: String,
    validators: moa_store::Validators,
    redirect: Option<String>,
    hints: Hints,
}
