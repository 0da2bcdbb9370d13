//! Sources: as a registry or an operator describes them, and as the store keeps them.

use serde::Serialize;

/// A source as a registry describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSpec {
    /// moa's id of the source (`woowahan`), used in URLs.
    pub id: String,
    /// The company's name in Korean.
    pub name_ko: String,
    /// The company's name in English.
    pub name_en: String,
    /// The blog's home page.
    pub homepage: String,
    /// The feed (or, for a source without one, the page) to fetch.
    pub feed_url: String,
    /// The blogging platform, as the registry names it (may be empty).
    pub platform: String,
    /// A User-Agent for this source only, instead of moa's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// A source as readers' pages list it: its names and home page, and its posts' count and newest date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// moa's id of the source.
    pub id: String,
    /// The company's name in Korean.
    pub name_ko: String,
    /// The company's name in English.
    pub name_en: String,
    /// The blog's home page.
    pub homepage: String,
    /// Whether it is crawled.
    pub enabled: bool,
    /// How many posts it has.
    pub post_count: i64,
    /// The sort time of its newest post.
    pub last_post_at: Option<i64>,
}

/// A stored source with its crawl state and post count.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    /// What the registry or the operator said of it.
    #[serde(flatten)]
    pub spec: SourceSpec,
    /// Whether it is crawled.
    pub enabled: bool,
    /// When it was last fetched, whatever came of it.
    pub last_attempt_at: Option<i64>,
    /// When a fetch last succeeded (a body or a 304).
    pub last_success_at: Option<i64>,
    /// The last failure's message, while it is failing.
    pub last_error: Option<String>,
    /// The last failure's kind, while it is failing.
    pub last_error_kind: Option<ErrorKind>,
    /// Failures since the last success.
    pub consecutive_failures: i64,
    /// Why it is disabled (by the crawler, an operator or the registry).
    pub disabled_reason: Option<String>,
    /// When it is next due.
    pub next_check_at: i64,
    /// Seconds between checks, as last chosen.
    pub check_interval: Option<i64>,
    /// The URL a permanent redirect moved the feed to (fetched instead of `feed_url`).
    pub moved_to: Option<String>,
    /// A permanent redirect seen on the last fetch, not yet confirmed by a second one.
    pub redirect_candidate: Option<String>,
    /// The validators of the last full response.
    #[serde(flatten)]
    pub validators: Validators,
    /// How many posts it has.
    pub post_count: i64,
    /// The sort time of its newest post.
    pub last_post_at: Option<i64>,
    /// `registry`, `operator` (added in the console, which the registry never changes) or `removed`.
    pub origin: String,
    /// CSS selectors (JSON) for a page without a feed; `None` for a feed.
    pub selectors: Option<String>,
    /// Running figures of its fetches.
    #[serde(flatten)]
    pub health: Health,
}

impl SourceRow {
    /// `new`, `ok`, `failing` or `disabled`: what the API, the health page and `moa sources list` call it.
    pub fn state(&self) -> &'static str {
        if !self.enabled {
            "disabled"
        } else if self.consecutive_failures > 0 {
            "failing"
        } else if self.last_success_at.is_some() {
            "ok"
        } else {
            "new"
        }
    }

    /// The URL to fetch: where the feed moved to, else the registry's.
    pub fn fetch_url(&self) -> &str {
        self.moved_to.as_deref().unwrap_or(&self.spec.feed_url)
    }
}

/// Running figures of a source's fetches, for the health page.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Health {
    /// When the current run of failures began (`None` while the source works).
    pub failing_since: Option<i64>,
    /// Fetches answered (bodies and 304s).
    pub fetch_count: i64,
    /// Of the fetches answered, the 304s.
    pub not_modified_count: i64,
    /// Milliseconds summed over every fetch attempt, failures included.
    pub fetch_ms_total: i64,
    /// Bytes summed over every fetch attempt.
    pub fetch_bytes_total: i64,
    /// Fetch attempts, failures included.
    pub attempt_count: i64,
    /// Posts dated within the last 365 days.
    pub posts_last_year: i64,
    /// Entries the last fetch left out as pages of the site (About, Search, Archives…), not posts.
    pub pages_skipped: i64,
}

impl Health {
    /// Milliseconds per fetch attempt, once there was one.
    pub fn mean_fetch_ms(&self) -> Option<i64> {
        (self.attempt_count > 0).then(|| self.fetch_ms_total / self.attempt_count)
    }

    /// Bytes per answered fetch, once there was one.
    pub fn mean_fetch_bytes(&self) -> Option<i64> {
        (self.fetch_count > 0).then(|| self.fetch_bytes_total / self.fetch_count)
    }

    /// The share of answered fetches that were 304 Not Modified.
    pub fn not_modified_ratio(&self) -> Option<f64> {
        (self.fetch_count > 0).then(|| self.not_modified_count as f64 / self.fetch_count as f64)
    }

    /// Posts a month, over the last year.
    pub fn posts_per_month(&self) -> f64 {
        self.posts_last_year as f64 / 12.0
    }
}

/// A source an operator adds or edits.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSource {
    /// What it is and where its feed is.
    pub spec: SourceSpec,
    /// CSS selectors (JSON) for a page without a feed; `None` for a feed.
    pub selectors: Option<String>,
}

/// What a registry sync changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct SyncStats {
    /// Sources stored for the first time.
    pub added: u32,
    /// Sources whose stored spec was changed to the registry's.
    pub updated: u32,
    /// Sources disabled because the registry no longer lists them.
    pub disabled: u32,
}

/// The reason recorded when a registry no longer lists a source.
pub const REMOVED_FROM_REGISTRY: &str = "removed from the registry";

/// What kind of failure a fetch met: the health page groups by it, and backoff depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The server took too long.
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// No connection could be made.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// An HTTP error status (4xx/5xx) that is not one of the kinds below.
    HttpStatus,
    /// 429, or 503 with Retry-After: the server asked us to slow down.
    Throttled,
    /// A bot-protection wall (Cloudflare challenge, CAPTCHA page).
    Blocked,
    /// 410: the feed is gone for good.
    Gone,
    /// The response is larger than moa reads.
    TooLarge,
    /// Too many redirects, or a redirect loop.
    Redirect,
    /// The address is on a private network, which moa does not fetch from.
    PrivateNetwork,
    /// The response is not a feed (nor a page the source's selectors read).
    NotAFeed,
    /// The feed could not be parsed.
    Parse,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Every kind, in the order the health page lists them.
    pub const ALL: [ErrorKind; 14] = [
        Self::Timeout,
        Self::Dns,
        Self::Connect,
        Self::Tls,
        Self::HttpStatus,
        Self::Throttled,
        Self::Blocked,
        Self::Gone,
        Self::TooLarge,
        Self::Redirect,
        Self::PrivateNetwork,
        Self::NotAFeed,
        Self::Parse,
        Self::Other,
    ];

    /// The name stored and shown (`http_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::HttpStatus => "http_status",
            Self::Throttled => "throttled",
            Self::Blocked => "blocked",
            Self::Gone => "gone",
            Self::TooLarge => "too_large",
            Self::Redirect => "redirect",
            Self::PrivateNetwork => "private_network",
            Self::NotAFeed => "not_a_feed",
            Self::Parse => "parse",
            Self::Other => "other",
        }
    }

    /// The kind a stored name names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The HTTP validators of a source's last full response (`ETag`, `Last-Modified`), sent back on the next
/// fetch as `If-None-Match` / `If-Modified-Since` so an unchanged feed answers 304 with no body.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Validators {
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}
