//! Article pages: after a check that reached the feed, a few pages of the source's newest posts are read for
//! the picture (`og:image`) or the date the feed did not give. Each page is read once, politely, and only its
//! start; a host that does not resolve or connect is passed over for a while.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use moa_store::{Claimed, ErrorKind, PageVisit, Store};

use crate::ingest::fetch::{Content, Fetcher, Get, PAGE_PREFIX_BYTES, Response};
use crate::now_unix;

/// A page's date this far past the crawl's clock is skew, not the future.
const PAGE_CLOCK_SKEW_SECONDS: i64 = 10 * 60;
/// How long an article host that did not resolve or connect is passed over.
const UNREACHABLE_HOST_PAUSE: Duration = Duration::from_secs(30 * 60);

/// What reading article pages found.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PagesRead {
    pub(crate) images: u32,
    pub(crate) dates: u32,
}

/// What reading article pages needs: the store, the crawler's fetcher, and the hosts passed over.
pub(crate) struct PageReader<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) fetcher: &'a Fetcher,
    pub(crate) timezone_offset: i32,
    /// Hosts of article pages that did not resolve or connect, and when.
    pub(crate) unreachable_hosts: &'a Mutex<HashMap<String, Instant>>,
}

impl PageReader<'_> {
    /// Reads the article pages of the source's newest posts that lack a picture or a date (at most
    /// `limit` a crawl; the rest on later crawls), for the og:image and the date
    /// each page states. Each page is read once, politely, at most [`PAGE_PREFIX_BYTES`] of it; a host
    /// that does not resolve or connect is passed over for a while instead of costing every page a wait.
    pub(crate) async fn read_pages(&self, source: &Claimed, limit: u32) -> PagesRead {
        let mut read = PagesRead::default();
        if limit == 0 {
            return read;
        }
        let visits = match self.store.pages_to_visit(&source.id, limit).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "could not list article pages to read");
                return read;
            }
        };
        // One page of each host first: a host that does not answer is then passed over by the others,
        // instead of each of them waiting for its turn at the host only to fail.
        let mut hosts = HashSet::new();
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
                    .then(|| moa_feed::page_meta(&html).image)
                    .flatten()
                    .and_then(|src| page.url.join(&src).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .map(String::from);
                // Never in the future: a page that says so is wrong about its date (a few minutes of clock
                // skew aside), and no date beats a made-up one.
                let now = now_unix();
                let published = visit
                    .needs_date
                    .then(|| moa_feed::page_published(&html, self.timezone_offset))
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

/// The host an article page is politely queued on, and passed over at when it does not answer.
fn page_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_ascii_lowercase)
}
