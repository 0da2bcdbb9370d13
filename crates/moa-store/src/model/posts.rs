//! Posts as pages, feeds and the search index read them, and the change log the index follows.

use std::collections::BTreeMap;

use serde::Serialize;

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
    /// The post's sort time.
    pub sort_at: i64,
    /// The post's id.
    pub id: i64,
}

impl Cursor {
    /// `SORT_AT.ID`, the form pages and the API carry.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.sort_at, self.id)
    }

    /// The cursor `encode` wrote.
    pub fn decode(s: &str) -> Option<Cursor> {
        let (a, b) = s.split_once('.')?;
        Some(Cursor { sort_at: a.parse().ok()?, id: b.parse().ok()? })
    }
}

/// Which posts to list.
#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    /// Only this source's posts.
    pub source_id: Option<String>,
    /// Lists of all sources hide the second copy of an article reached through two feeds; set this to
    /// see them too. A source's own list always shows its copies.
    pub include_duplicates: bool,
    /// Only posts carrying this category (compared without regard to case).
    pub tag: Option<String>,
    /// Only posts the tagger gave this topic slug.
    pub topic: Option<String>,
    /// Only posts after this one in the newest-first list.
    pub before: Option<Cursor>,
    /// At most this many (at least one is asked for).
    pub limit: u32,
}

/// A list's page: its posts, and the companies it shows (see [`crate::PostStore::list_page`]).
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    /// The posts, newest first.
    pub posts: Vec<Post>,
    /// The list's company, or every company (shared between pages while it is unchanged).
    pub companies: std::sync::Arc<[crate::Company]>,
}

/// A stored post, as lists and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    /// The post's id.
    pub id: i64,
    /// Its source.
    pub source_id: String,
    /// Its source's Korean name.
    pub source_name_ko: String,
    /// Its source's English name.
    pub source_name_en: String,
    /// The entry's id in its feed.
    pub entry_id: String,
    /// The article's link.
    pub url: Option<String>,
    /// The title (at most 500 characters).
    pub title: String,
    /// The summary (at most 1,000 characters).
    pub summary: Option<String>,
    /// The author (at most 300 characters).
    pub author: Option<String>,
    /// A picture's URL.
    pub thumbnail: Option<String>,
    /// The feed's categories (tags).
    pub categories: Vec<String>,
    /// How pages show a category whose feed labels it otherwise than its term.
    pub category_labels: BTreeMap<String, String>,
    /// Topic slugs from moa's tagger.
    pub topics: Vec<String>,
    /// When it was published, as the feed or its page says.
    pub published_at: Option<i64>,
    /// Where it stands in the newest-first list: its date, or when moa first saw it.
    pub sort_at: i64,
    /// Outbound clicks counted through `/go/ID`.
    pub clicks: i64,
}

impl Post {
    /// The cursor that lists the posts after this one.
    pub fn cursor(&self) -> Cursor {
        Cursor { sort_at: self.sort_at, id: self.id }
    }
}

/// A place in the change log: a follower that applied the changes up to it reads those after it.
///
/// SQLite has one writer, so its sequence numbers become visible in order and `tx` is always 0.
/// PostgreSQL commits transactions concurrently: a number taken inside one transaction can become visible
/// after a larger one, so its changes are ordered by the writing transaction's id first, and read only
/// below the ids of this database's transactions still running (the PostgreSQL store's change horizon).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeCursor {
    /// The writing transaction's id (PostgreSQL), or 0 (SQLite).
    pub tx: i64,
    /// The change's sequence number.
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
    /// The post changed.
    pub post_id: i64,
    /// The post as it is now; `None` when it was deleted or is a duplicate (which search does not show).
    pub text: Option<PostText>,
}

/// What the search index and the tagger read of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct PostText {
    /// The post's id.
    pub id: i64,
    /// Its source.
    pub source_id: String,
    /// Its source's Korean name.
    pub source_name_ko: String,
    /// Its source's English name.
    pub source_name_en: String,
    /// The title.
    pub title: String,
    /// The summary.
    pub summary: Option<String>,
    /// The body, as cleaned HTML (`None` once retention dropped it).
    pub content_html: Option<String>,
    /// The feed's categories (tags).
    pub categories: Vec<String>,
    /// Topic slugs from moa's tagger.
    pub topics: Vec<String>,
    /// Its sort time.
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
