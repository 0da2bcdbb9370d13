//! What the crawler takes from the store and hands back: claims, checks, fetched posts, WebSub state.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ErrorKind, Validators};

/// A source the scheduler handed to a crawler: claimed, its `next_check_at` already moved past the fetch.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The source's id.
    pub id: String,
    /// The source's Korean name, for logs and progress.
    pub name: String,
    /// Where to fetch: the feed, or where a permanent redirect moved it.
    pub fetch_url: String,
    /// CSS selectors (JSON) when the source is a page without a feed.
    pub selectors: Option<String>,
    /// A User-Agent for this source only.
    pub user_agent: Option<String>,
    /// The validators to send with the fetch.
    pub validators: Validators,
    /// Seconds between checks, as last chosen.
    pub check_interval: Option<i64>,
    /// Failures since the last success, for the backoff.
    pub consecutive_failures: i64,
}

/// Which sources a crawl takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Enabled sources whose `next_check_at` has come, oldest due first.
    Due {
        /// At most this many.
        limit: u32,
    },
    /// Every enabled source.
    All,
    /// These sources, enabled or not.
    Ids(Vec<String>),
}

/// The outcome of one check of a source, to record.
#[derive(Debug, Clone)]
pub struct SourceCheck {
    /// The source checked.
    pub source_id: String,
    /// When it was checked.
    pub at: i64,
    /// When it is next due.
    pub next_check_at: i64,
    /// Seconds between checks chosen from this outcome.
    pub interval: i64,
    /// Where the fetch ended when every redirect on the way was permanent (301/308).
    pub permanent_redirect: Option<String>,
    /// What came of it.
    pub result: CheckResult,
    /// How long the fetch took.
    pub elapsed_ms: i64,
    /// The body's size (0 for a 304 or a failure).
    pub bytes: i64,
}

/// What came of a check.
#[derive(Debug, Clone)]
pub enum CheckResult {
    /// A full response, parsed; its validators are kept for the next conditional GET.
    Fetched {
        /// The response's validators.
        validators: Validators,
        /// Entry ids of the feed's entries that are pages of the site: not posts. One stored as a post
        /// (by an earlier version) is deleted, with a tombstone.
        site_pages: Vec<String>,
    },
    /// 304 Not Modified.
    NotModified,
    /// The fetch failed.
    Failed {
        /// What kind of failure.
        kind: ErrorKind,
        /// What went wrong, for the health page.
        message: String,
        /// Whether the source is to be disabled (410 Gone), with the message as the reason.
        disable: bool,
    },
}

/// A post as one fetch of a feed gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    /// The entry's id, stable across fetches: the post's key within its source.
    pub entry_id: String,
    /// The article's link.
    pub url: Option<String>,
    /// The title, as plain text.
    pub title: String,
    /// A summary, as plain text.
    pub summary: Option<String>,
    /// The body, as cleaned HTML.
    pub content_html: Option<String>,
    /// The author's name.
    pub author: Option<String>,
    /// A picture's URL.
    pub thumbnail: Option<String>,
    /// The feed's categories (tags).
    pub categories: Vec<String>,
    /// How pages show a category whose feed labels it otherwise than its term.
    pub category_labels: BTreeMap<String, String>,
    /// Topic slugs from moa's tagger. Not part of the content hash: they follow from the hashed text.
    pub topics: Vec<String>,
    /// When the feed says it was published.
    pub published_at: Option<i64>,
    /// When the feed says it was last updated.
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

/// What storing a fetch's posts did.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct UpsertStats {
    /// Posts stored for the first time.
    pub new: u32,
    /// Stored posts whose entry changed.
    pub updated: u32,
    /// Entries as stored already.
    pub unchanged: u32,
    /// Entries an operator deleted, not stored again.
    pub tombstoned: u32,
    /// Posts an earlier version stored that the feed's entries now show to be pages of the site: deleted.
    pub site_pages_removed: u32,
    /// The posts this fetch created: their ids, and their index in the fetch's list.
    pub created: Vec<Created>,
}

/// A post a fetch created.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Created {
    /// The new post's id.
    pub id: i64,
    /// Its place in the list of posts the fetch stored.
    pub index: usize,
    /// Another source's post with the same article, shown in its place.
    pub duplicate_of: Option<i64>,
}

/// A post whose article page is to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageVisit {
    /// The post.
    pub post_id: i64,
    /// Its article page.
    pub url: String,
    /// The post has no picture.
    pub needs_image: bool,
    /// The post has no date.
    pub needs_date: bool,
}

/// A WebSub subscription of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// The source subscribed to.
    pub source_id: String,
    /// The hub's URL.
    pub hub: String,
    /// The topic URL subscribed to.
    pub topic: String,
    /// The secret the hub signs its pushes with.
    #[serde(skip)]
    pub secret: String,
    /// Where the subscription stands.
    pub state: SubscriptionState,
    /// When the hub's lease ends.
    pub lease_expires_at: Option<i64>,
    /// When it was last requested.
    pub requested_at: i64,
}

/// Where a WebSub subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    /// Requested, not yet verified by the hub.
    Pending,
    /// Verified: the hub pushes.
    Active,
    /// The hub refused it.
    Denied,
}

impl SubscriptionState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Denied => "denied",
        }
    }

    /// The state a stored name names.
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Pending, Self::Active, Self::Denied].into_iter().find(|k| k.as_str() == s)
    }
}

/// Sources whose check is due: how many, and since when the oldest has waited.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Backlog {
    /// Enabled sources due now.
    pub due: i64,
    /// The oldest due time among them.
    pub oldest_due_at: Option<i64>,
}
