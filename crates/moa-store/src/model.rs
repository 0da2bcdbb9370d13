use std::collections::BTreeMap;

use serde::Serialize;

/// A source as a registry describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSpec {
    pub id: String,
    pub name_ko: String,
    pub name_en: String,
    pub homepage: String,
    pub feed_url: String,
    pub platform: String,
    /// A User-Agent for this source only, instead of moa's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    #[serde(flatten)]
    pub spec: SourceSpec,
    pub enabled: bool,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_kind: Option<ErrorKind>,
    pub consecutive_failures: i64,
    pub disabled_reason: Option<String>,
    pub next_check_at: i64,
    /// Seconds between checks, as last chosen.
    pub check_interval: Option<i64>,
    /// The URL a permanent redirect moved the feed to (fetched instead of `feed_url`).
    pub moved_to: Option<String>,
    /// A permanent redirect seen on the last fetch, not yet confirmed by a second one.
    pub redirect_candidate: Option<String>,
    #[serde(flatten)]
    pub validators: Validators,
    pub post_count: i64,
    pub last_post_at: Option<i64>,
    /// `registry`, `operator` (added in the console, which the registry never changes) or `removed`.
    pub origin: String,
    /// CSS selectors (JSON) for a page without a feed; `None` for a feed.
    pub selectors: Option<String>,
    #[serde(flatten)]
    pub health: Health,
}

/// Running figures of a source's fetches, for the health page.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Health {
    /// When the current run of failures began (`None` while the source works).
    pub failing_since: Option<i64>,
    /// Fetches answered (bodies and 304s), and of them the 304s.
    pub fetch_count: i64,
    pub not_modified_count: i64,
    /// Summed over every fetch attempt, failures included.
    pub fetch_ms_total: i64,
    pub fetch_bytes_total: i64,
    pub attempt_count: i64,
    /// Posts dated within the last 365 days.
    pub posts_last_year: i64,
    /// Entries the last fetch left out as pages of the site (About, Search, Archives…), not posts.
    pub pages_skipped: i64,
}

impl Health {
    pub fn mean_fetch_ms(&self) -> Option<i64> {
        (self.attempt_count > 0).then(|| self.fetch_ms_total / self.attempt_count)
    }
    pub fn mean_fetch_bytes(&self) -> Option<i64> {
        (self.fetch_count > 0).then(|| self.fetch_bytes_total / self.fetch_count)
    }
    /// The share of answered fetches that were 304 Not Modified.
    pub fn not_modified_ratio(&self) -> Option<f64> {
        (self.fetch_count > 0).then(|| self.not_modified_count as f64 / self.fetch_count as f64)
    }
    pub fn posts_per_month(&self) -> f64 {
        self.posts_last_year as f64 / 12.0
    }
}

/// A source an operator adds or edits.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSource {
    pub spec: SourceSpec,
    pub selectors: Option<String>,
}

/// A moa account: curators keep scraps and the newsletter; operators also run sources, users, settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

/// One operator action, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user_name: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// The connection pools in use, for `/metrics`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// Sources whose check is due: how many, and since when the oldest has waited.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Backlog {
    pub due: i64,
    pub oldest_due_at: Option<i64>,
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

/// The reason recorded when a registry no longer lists a source.
pub const REMOVED_FROM_REGISTRY: &str = "removed from the registry";

/// What kind of failure a fetch met: the health page groups by it, and backoff depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Timeout,
    Dns,
    Connect,
    Tls,
    /// An HTTP error status (4xx/5xx) that is not one of the kinds below.
    HttpStatus,
    /// 429, or 503 with Retry-After: the server asked us to slow down.
    Throttled,
    /// A bot-protection wall (Cloudflare challenge, CAPTCHA page).
    Blocked,
    /// 410: the feed is gone for good.
    Gone,
    TooLarge,
    Redirect,
    PrivateNetwork,
    NotAFeed,
    Parse,
    Other,
}

impl ErrorKind {
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

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A source the scheduler handed to a crawler: claimed, its `next_check_at` already moved past the fetch.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub name: String,
    pub fetch_url: String,
    /// CSS selectors (JSON) when the source is a page without a feed.
    pub selectors: Option<String>,
    pub user_agent: Option<String>,
    pub validators: Validators,
    pub check_interval: Option<i64>,
    pub consecutive_failures: i64,
}

/// Which sources a crawl takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Enabled sources whose `next_check_at` has come, oldest due first.
    Due { limit: u32 },
    /// Every enabled source.
    All,
    /// These sources, enabled or not.
    Ids(Vec<String>),
}

/// The outcome of one check of a source, to record.
#[derive(Debug, Clone)]
pub struct SourceCheck {
    pub source_id: String,
    pub at: i64,
    pub next_check_at: i64,
    /// Seconds between checks chosen from this outcome.
    pub interval: i64,
    /// Where the fetch ended when every redirect on the way was permanent (301/308).
    pub permanent_redirect: Option<String>,
    pub result: CheckResult,
    /// How long the fetch took, and the body's size (0 for a 304 or a failure).
    pub elapsed_ms: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone)]
pub enum CheckResult {
    /// A full response, parsed; its validators are kept for the next conditional GET.
    Fetched {
        validators: Validators,
        /// Entry ids of the feed's entries that are pages of the site: not posts. One stored as a post
        /// (by an earlier version) is deleted, with a tombstone.
        site_pages: Vec<String>,
    },
    /// 304 Not Modified.
    NotModified,
    Failed {
        kind: ErrorKind,
        message: String,
        disable: bool,
    },
}

/// The HTTP validators of a source's last full response (`ETag`, `Last-Modified`), sent back on the next
/// fetch as `If-None-Match` / `If-Modified-Since` so an unchanged feed answers 304 with no body.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct SyncStats {
    pub added: u32,
    pub updated: u32,
    pub disabled: u32,
}

/// A post as one fetch of a feed gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub entry_id: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    /// How pages show a category whose feed labels it otherwise than its term.
    pub category_labels: BTreeMap<String, String>,
    /// Topic slugs from moa's tagger. Not part of the content hash: they follow from the hashed text.
    pub topics: Vec<String>,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
}

impl NewPost {
    /// A hash of everything stored, to skip writing posts that did not change. FNV-1a: stable across
    /// Rust versions, since it is stored.
    pub fn content_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain([0xff]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        feed(opt(&self.url).as_str());
        feed(&self.title);
        feed(opt(&self.summary).as_str());
        feed(opt(&self.content_html).as_str());
        feed(opt(&self.author).as_str());
        feed(opt(&self.thumbnail).as_str());
        feed(&self.categories.join("\u{1f}"));
        // Only when there are labels: posts stored before labels were kept keep their hash.
        if !self.category_labels.is_empty() {
            feed(&serde_json::to_string(&self.category_labels).unwrap_or_default());
        }
        feed(&self.published_at.map(|t| t.to_string()).unwrap_or_default());
        feed(&self.updated_at.map(|t| t.to_string()).unwrap_or_default());
        format!("{h:016x}")
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct UpsertStats {
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Entries an operator deleted, not stored again.
    pub tombstoned: u32,
    /// Posts an earlier version stored that the feed's entries now show to be pages of the site: deleted.
    pub site_pages_removed: u32,
    /// The posts this fetch created: their ids, and their index in the fetch's list.
    pub created: Vec<Created>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Created {
    pub id: i64,
    pub index: usize,
    /// Another source's post with the same article, shown in its place.
    pub duplicate_of: Option<i64>,
}

/// A post whose article page is to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageVisit {
    pub post_id: i64,
    pub url: String,
    pub needs_image: bool,
    pub needs_date: bool,
}

/// A WebSub subscription of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub source_id: String,
    pub hub: String,
    pub topic: String,
    #[serde(skip)]
    pub secret: String,
    pub state: SubscriptionState,
    pub lease_expires_at: Option<i64>,
    pub requested_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    Pending,
    Active,
    Denied,
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Denied => "denied",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Pending, Self::Active, Self::Denied].into_iter().find(|k| k.as_str() == s)
    }
}

/// The key two copies of one article share when reached through two feeds: the URL without scheme,
/// `www.`, fragment and trailing slash, host lowercased.
pub fn url_key(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (host, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if host.is_empty() {
        return None;
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    Some(format!("{host}{path}"))
}

/// Titles compared across feeds: letters and digits only, lowercased. Short titles ("회고", "Weekly")
/// say too little to call two posts one article, so they have no key.
pub fn title_key(title: &str) -> Option<String> {
    let key: String =
        title.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).take(TITLE_KEY_MAX_CHARS).collect();
    (key.chars().count() >= TITLE_KEY_MIN_CHARS).then_some(key)
}

const TITLE_KEY_MIN_CHARS: usize = 10;
/// Enough to tell titles apart, and short enough for a PostgreSQL index entry (at most 2,704 bytes)
/// whatever title a feed sends.
const TITLE_KEY_MAX_CHARS: usize = 200;

/// Two posts with one title key are one article only when published this close together.
pub const SAME_ARTICLE_WINDOW_SECONDS: i64 = 3 * 24 * 3600;

/// A position in the newest-first list: the (sort time, id) of the last post shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort_at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.sort_at, self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (a, b) = s.split_once('.')?;
        Some(Cursor { sort_at: a.parse().ok()?, id: b.parse().ok()? })
    }
}

#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    pub source_id: Option<String>,
    /// Lists of all sources hide the second copy of an article reached through two feeds; set this to
    /// see them too. A source's own list always shows its copies.
    pub include_duplicates: bool,
    /// Only posts carrying this category (compared without regard to case).
    pub tag: Option<String>,
    /// Only posts the tagger gave this topic slug.
    pub topic: Option<String>,
    pub before: Option<Cursor>,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub source_id: String,
    pub source_name_ko: String,
    pub source_name_en: String,
    pub entry_id: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    /// How pages show a category whose feed labels it otherwise than its term.
    pub category_labels: BTreeMap<String, String>,
    pub topics: Vec<String>,
    pub published_at: Option<i64>,
    pub sort_at: i64,
    /// Outbound clicks counted through `/go/ID`.
    pub clicks: i64,
}

impl Post {
    pub fn cursor(&self) -> Cursor {
        Cursor { sort_at: self.sort_at, id: self.id }
    }
}

/// A place in the change log: a follower that applied the changes up to it reads those after it.
///
/// SQLite has one writer, so its sequence numbers become visible in order and `tx` is always 0.
/// PostgreSQL commits transactions concurrently: a number taken inside one transaction can become visible
/// after a larger one, so its changes are ordered by the writing transaction's id first, and read only
/// below the ids of this database's transactions still running (`PgStore::change_horizon`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeCursor {
    pub tx: i64,
    pub seq: i64,
}

impl std::fmt::Display for ChangeCursor {
    /// `SEQ`, or `TX:SEQ` when there is a transaction id: the form search indexes record.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.tx == 0 { write!(f, "{}", self.seq) } else { write!(f, "{}:{}", self.tx, self.seq) }
    }
}

impl std::str::FromStr for ChangeCursor {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.split_once(':') {
            Some((tx, seq)) => Self { tx: tx.parse()?, seq: seq.parse()? },
            None => Self { tx: 0, seq: s.parse()? },
        })
    }
}

/// One entry of the change log the search index follows.
#[derive(Debug, Clone, PartialEq)]
pub struct PostChange {
    /// Grows with every change; an index that applied up to `cursor` reads the changes after it.
    pub cursor: ChangeCursor,
    pub post_id: i64,
    /// The post as it is now; `None` when it was deleted or is a duplicate (which search does not show).
    pub text: Option<PostText>,
}

/// What the search index and the tagger read of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct PostText {
    pub id: i64,
    pub source_id: String,
    pub source_name_ko: String,
    pub source_name_en: String,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub categories: Vec<String>,
    pub topics: Vec<String>,
    pub sort_at: i64,
    /// Retention dropped the body: the topics it gave are kept on a retag.
    pub body_dropped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_article() {
        assert_eq!(url_key("https://www.Example.com/a/b/#top"), url_key("http://example.com/a/b"));
        assert_ne!(url_key("https://example.com/a?p=1"), url_key("https://example.com/a?p=2"));
        assert_eq!(url_key("https://example.com"), Some("example.com".into()));
        assert_eq!(url_key("mailto:"), None);
        assert_eq!(title_key("쿠버네티스 도입기: 1년의 기록!"), title_key("쿠버네티스 도입기 — 1년의 기록"));
        assert_eq!(title_key("2024 회고"), None);
    }
}

/// A link the curator keeps for a month's newsletter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scrap {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// `article`, `bookmark`, `news`, `software` or `media`.
    pub section: String,
    /// 1-based, within its month and section.
    pub position: i64,
    pub title: String,
    pub url: String,
    /// Markdown, verbatim.
    pub commentary: String,
    pub post_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A scrap to add, or what an edit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapFields {
    pub month: String,
    pub section: String,
    pub title: String,
    pub url: String,
    pub commentary: String,
    pub post_id: Option<i64>,
}

impl ScrapFields {
    /// The fields without NUL, which PostgreSQL refuses in text and no page shows: a curator's paste with one
    /// is stored, not refused with an error.
    pub fn cleaned(&self) -> ScrapFields {
        let clean = |s: &str| s.replace('\0', "");
        ScrapFields {
            month: clean(&self.month),
            section: clean(&self.section),
            title: clean(&self.title),
            url: clean(&self.url),
            commentary: clean(&self.commentary),
            post_id: self.post_id,
        }
    }
}

/// A month's post settings (front matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewsletterSettings {
    pub month: String,
    /// As written after `date:`; None means the month's default.
    pub date: Option<String>,
    pub draft: bool,
    pub hidden_from_homepage: Option<bool>,
}

/// A signed-in curator's session, stored by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_name: String,
    /// The token the curator's forms must carry.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The user's role when the session was read (ignored when one is created).
    pub role: String,
}
