//! moa's feed library: bytes in, a typed and normalized feed out. No I/O, no async, no global state, so it
//! can be fuzzed and benchmarked alone.
//!
//! Pipeline: [`decode`] (bytes to UTF-8) → sniff → `xml` / `jsonfeed` (format to a raw model) →
//! [`normalize`] (clean text, absolute canonical links, dates, ids, summaries, thumbnails).

mod charref;
mod charset_labels;
mod date;
mod decode;
pub mod discover;
mod entities;
pub mod html;
pub mod image;
mod jsonfeed;
pub mod link;
mod normalize;
pub mod opml;
pub mod page;
pub mod page_date;
mod prose;
mod raw;
pub mod scrape;
mod sitepage;
pub mod text;
mod xml;

pub use date::{KST_OFFSET_SECONDS, format_rfc3339, parse_date, parse_timezone};
pub use normalize::TITLE_MAX_CHARS;
pub use sitepage::SitePage;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
pub use url::Url;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "rss2.0")]
    Rss20,
    #[serde(rename = "rss1.0")]
    Rss10,
    #[serde(rename = "rss0.9x")]
    Rss09x,
    #[serde(rename = "atom1.0")]
    Atom10,
    #[serde(rename = "atom0.3")]
    Atom03,
    #[serde(rename = "jsonfeed1")]
    JsonFeed1,
    /// A web page read with CSS selectors ([`scrape`]).
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

#[derive(Debug, Clone, Serialize)]
pub struct Feed {
    pub format: Format,
    pub encoding: String,
    pub title: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
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
    pub entries: Vec<Entry>,
    /// Entries left out as pages of the site (About, Search, Archives…), not posts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub site_pages: Vec<SitePage>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Stable across fetches: the GUID when valid and unique, else the canonical link, else a hash.
    pub id: String,
    pub title: String,
    pub link: Option<String>,
    pub published: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub author: Option<String>,
    /// Plain text, at most [`text::SUMMARY_MAX_CHARS`] characters.
    pub summary: Option<String>,
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

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    #[error("empty document")]
    Empty,
    #[error("document too large: {size} bytes (limit {limit})")]
    TooLarge { size: usize, limit: usize },
    #[error("not a feed: {reason}{}", alternate.as_ref().map(|a| format!("; the page advertises the feed {a}")).unwrap_or_default())]
    NotAFeed { reason: String, alternate: Option<String> },
    #[error("malformed XML at byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("malformed JSON Feed: {0}")]
    Json(String),
}

/// How far into a document an XML declaration is looked for behind junk printed before it.
const JUNK_SEARCH_BYTES: usize = 4096;

/// Parses and normalizes a feed document.
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Feed, FeedError> {
    if bytes.len() > options.max_bytes {
        return Err(FeedError::TooLarge { size: bytes.len(), limit: options.max_bytes });
    }
    let decoded = decode::decode(bytes, options.http_charset.as_deref());
    let mut warnings = decoded.warnings;
    let text = decoded.text.trim_start_matches('\u{feff}');
    let start = text.find(|c: char| !c.is_whitespace()).ok_or(FeedError::Empty)?;
    let body = &text[start..];
    let raw = if body.starts_with('{') {
        jsonfeed::parse(body, &mut warnings)?
    } else {
        let Some(mut lt) = body.find('<') else {
            return Err(FeedError::NotAFeed { reason: "no markup and no JSON".into(), alternate: None });
        };
        // A PHP notice or debug output printed before the feed (`<br />\n<b>Notice</b>: …<?xml`).
        // Searched as bytes: the search window may end inside a character, a match never does.
        if !body[lt..].starts_with("<?xml")
            && let Some(decl) = memchr::memmem::find(&body.as_bytes()[..body.len().min(JUNK_SEARCH_BYTES)], b"<?xml")
        {
            lt = decl;
        }
        if lt > 0 {
            warnings.push(format!("skipped {lt} bytes of junk before the XML"));
        }
        xml::parse(&body[lt..], options, &mut warnings)?
    };
    Ok(normalize::normalize(raw, decoded.encoding, warnings, options))
}
