//! The typed feed the parser gives: the feed, its entries, what a caller tells the parser, and why a
//! document is not read.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use url::Url;

use crate::date::{KST_OFFSET_SECONDS, format_rfc3339};

/// What the caller knows about the document.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// The URL the document was fetched from: the last base for relative links.
    pub url: Option<Url>,
    /// The `charset` of the HTTP `Content-Type`, if any.
    pub http_charset: Option<String>,
    /// The HTTP `Content-Language`: the feed's language when the document names none.
    pub http_language: Option<String>,
    /// Offset from UTC, in seconds, for dates written without a zone (default: KST).
    pub timezone_offset: i32,
    /// Fetch time in Unix seconds: dates after it are clamped to it. `None` keeps dates as written.
    pub now: Option<i64>,
    /// Documents larger than this are refused before parsing.
    pub max_bytes: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            url: None,
            http_charset: None,
            http_language: None,
            timezone_offset: KST_OFFSET_SECONDS,
            now: None,
            max_bytes: 32 << 20,
        }
    }
}

/// The format a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    /// RSS 2.0 (and RSS without a version).
    #[serde(rename = "rss2.0")]
    Rss20,
    /// RSS 1.0 (RDF).
    #[serde(rename = "rss1.0")]
    Rss10,
    /// RSS 0.90–0.94.
    #[serde(rename = "rss0.9x")]
    Rss09x,
    /// Atom 1.0.
    #[serde(rename = "atom1.0")]
    Atom10,
    /// Atom 0.3.
    #[serde(rename = "atom0.3")]
    Atom03,
    /// JSON Feed 1.0 or 1.1.
    #[serde(rename = "jsonfeed1")]
    JsonFeed1,
    /// A web page read with CSS selectors ([`crate::scrape`]).
    #[serde(rename = "html")]
    Html,
}

/// A point in time, Unix seconds; serialized as RFC 3339 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(self.0))
    }
}

/// A parsed and normalized feed.
#[derive(Debug, Clone, Serialize)]
pub struct Feed {
    /// The format it was written in.
    pub format: Format,
    /// The character encoding it was decoded from.
    pub encoding: String,
    /// The feed's name: one line of plain text.
    pub title: Option<String>,
    /// The site's address (absolute, canonical).
    pub link: Option<String>,
    /// The feed's description: one line of plain text, bounded.
    pub description: Option<String>,
    /// The feed's language (`ko`, `en-US`): its own word, else `xml:lang`, else the HTTP header's.
    pub language: Option<String>,
    /// The feed's own address as it states it (`atom:link rel="self"`, JSON Feed `feed_url`): the topic
    /// of a WebSub subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_url: Option<String>,
    /// A WebSub hub the feed advertises (`atom:link rel="hub"`, JSON Feed `hubs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// RSS `<ttl>`: minutes the publisher asks readers to wait between fetches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// The posts, in document order, each with a unique id.
    pub entries: Vec<Entry>,
    /// Entries left out as pages of the site (About, Search, Archives…), not posts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub site_pages: Vec<SitePage>,
    /// What was wrong with the document and how it was read anyway, for the operator.
    pub warnings: Vec<String>,
}

/// One post of a feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Stable across fetches: the GUID when valid and unique, else the canonical link, else a hash.
    pub id: String,
    /// One line of plain text, at most [`crate::TITLE_MAX_CHARS`]; made from the text when the feed gives none.
    pub title: String,
    /// The post's address (absolute, canonical).
    pub link: Option<String>,
    /// When it was published (clamped to the fetch time).
    pub published: Option<Timestamp>,
    /// When it was last updated.
    pub updated: Option<Timestamp>,
    /// The author's name (never an email address alone).
    pub author: Option<String>,
    /// Plain text, at most [`crate::SUMMARY_MAX_CHARS`] characters.
    pub summary: Option<String>,
    /// The post's picture (absolute URL).
    pub thumbnail: Option<String>,
    /// Tags as the feed names them (an Atom category's `term`).
    pub categories: Vec<String>,
    /// How a page shows a tag whose feed gives it a label other than its term.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub category_labels: BTreeMap<String, String>,
    /// The full content as HTML, as the feed gave it (not sanitized: render it only through a sanitizer).
    #[serde(skip)]
    pub content_html: Option<String>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    /// Nothing but whitespace.
    #[error("empty document")]
    Empty,
    /// Larger than [`ParseOptions::max_bytes`].
    #[error("document too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// The document's size in bytes.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// Some other document: an HTML page, another XML vocabulary, a page the selectors find nothing on.
    #[error("not a feed: {reason}{}", alternate.as_ref().map(|a| format!("; the page advertises the feed {a}")).unwrap_or_default())]
    NotAFeed {
        /// What the document is instead.
        reason: String,
        /// A feed an HTML page advertises, resolved against the page's URL when known.
        alternate: Option<String>,
    },
    /// XML broken before the root element was read.
    #[error("malformed XML at byte {position}: {message}")]
    Xml {
        /// The byte where reading failed.
        position: u64,
        /// What the XML reader said.
        message: String,
    },
    /// JSON that is not a JSON Feed.
    #[error("malformed JSON Feed: {0}")]
    Json(String),
}

/// An entry left out because it is a page of the site, not a post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePage {
    /// The id the entry would have had as a post.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its canonical link, if any.
    pub link: Option<String>,
    /// Why it reads as a page of the site (for the warning and the operator).
    pub reason: &'static str,
}
