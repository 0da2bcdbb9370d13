//! The one ingest path: a feed's bytes → a typed feed ([`read`]) → the posts worth storing ([`posts_of`]) →
//! the store ([`store`], whose transaction also writes the change log the search index follows) → the
//! webhooks' announcements. The scheduler's fetch, a WebSub push, the console's preview and discovery all go
//! through it, so a feed reads the same however it arrived (as Miniflux's `reader/handler` does).

use moa_feed::scrape::Selectors;
use moa_feed::{Entry, Feed, FeedError, ParseOptions, Url};
use moa_store::{ErrorKind, NewPost, SourceCheck, Store, UpsertStats};

use crate::ingest::fetch::{Fetched, bot_wall};
use crate::ingest::webhook::{AnnouncedPost, Notifier};

/// Bytes that should be a feed, with what the transport said about them.
pub struct Delivered<'a> {
    pub body: &'a [u8],
    /// Where the bytes were read: relative links resolve against it.
    pub url: Option<Url>,
    /// The `charset` parameter of the Content-Type header.
    pub charset: Option<String>,
    /// The Content-Language header.
    pub language: Option<String>,
}

impl<'a> Delivered<'a> {
    /// What a fetch brought.
    pub fn fetched(fetched: &'a Fetched) -> Self {
        Self {
            body: &fetched.body,
            url: Some(fetched.url.clone()),
            charset: fetched.charset.clone(),
            language: fetched.language.clone(),
        }
    }
}

/// How a source is read: as a feed, or as an HTML page through its CSS selectors.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    pub selectors: Option<&'a Selectors>,
    /// For dates without a zone.
    pub timezone_offset: i32,
    /// The crawl's clock: dates past it are not believed.
    pub now: i64,
}

/// Bytes → a typed feed (or, with selectors, the posts an HTML page lists).
pub fn read(delivered: &Delivered, reading: Reading) -> Result<Feed, FeedError> {
    let options = ParseOptions {
        url: delivered.url.clone(),
        http_charset: delivered.charset.clone(),
        http_language: delivered.language.clone(),
        timezone_offset: reading.timezone_offset,
        now: Some(reading.now),
        ..ParseOptions::default()
    };
    match reading.selectors {
        Some(selectors) => moa_feed::scrape::parse_page(delivered.body, selectors, &options),
        None => moa_feed::parse(delivered.body, &options),
    }
}

/// Why bytes that gave no feed failed, as a source's check records it: a page of bot protection is a block,
/// not a parse error.
pub fn failure_of(error: &FeedError, body: &[u8]) -> (ErrorKind, String) {
    let wall = match error {
        FeedError::NotAFeed { .. } => bot_wall(&reqwest::header::HeaderMap::new(), body),
        _ => None,
    };
    match (wall, error) {
        (Some(by), _) => (ErrorKind::Blocked, format!("blocked by bot protection ({by})")),
        (None, FeedError::NotAFeed { .. } | FeedError::Empty) => (ErrorKind::NotAFeed, error.to_string()),
        (None, FeedError::TooLarge { .. }) => (ErrorKind::TooLarge, error.to_string()),
        (None, _) => (ErrorKind::Parse, error.to_string()),
    }
}

/// The posts of a parsed feed worth storing, tagged with their topics.
pub fn posts_of(feed: Feed) -> Vec<NewPost> {
    feed.entries.into_iter().filter_map(to_new_post).collect()
}

/// An entry worth storing has something to show: a title or a link.
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

/// How posts reached moa, which decides what the store records besides them.
pub enum Arrival<'a> {
    /// A scheduled check of the source's feed: its state (validators, next check, errors) is written in the
    /// same transaction.
    Checked(&'a SourceCheck),
    /// A WebSub hub's push: the source's fetch state is left alone.
    Pushed { at: i64 },
}

/// The source posts belong to: its id, and its name for announcements when the caller knows it.
pub struct Source<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
}

/// Stores a source's posts (one transaction, change log included) and announces the new ones.
pub async fn store(
    store: &dyn Store,
    notifier: Option<&Notifier>,
    source: Source<'_>,
    arrival: Arrival<'_>,
    posts: &[NewPost],
) -> moa_store::Result<UpsertStats> {
    let stats = match arrival {
        Arrival::Checked(check) => store.store_fetch(check, posts).await?,
        Arrival::Pushed { at } => store.store_pushed(source.id, at, posts).await?,
    };
    if let Some(notifier) = notifier {
        let name = match source.name {
            Some(name) => name.to_string(),
            None => {
                store.source(source.id).await.ok().flatten().map_or_else(|| source.id.to_string(), |s| s.spec.name_ko)
            }
        };
        notifier.announce(source.id, &name, announced(&stats, posts));
    }
    Ok(stats)
}

/// New posts as webhooks announce them: duplicates of posts already shown are not news.
fn announced(stats: &UpsertStats, posts: &[NewPost]) -> Vec<AnnouncedPost> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(body: &[u8]) -> (ErrorKind, String) {
        let delivered = Delivered { body, url: None, charset: None, language: None };
        let reading = Reading { selectors: None, timezone_offset: 0, now: 0 };
        let error = read(&delivered, reading).expect_err("not a feed");
        failure_of(&error, body)
    }

    #[test]
    fn a_document_that_is_no_feed_is_told_apart_by_why() {
        let challenge = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><div id=\"cf-chl-widget\"></div></body></html>";
        let (kind, message) = failure(challenge);
        assert_eq!(kind, ErrorKind::Blocked, "{message}");
        assert!(message.contains("Cloudflare"), "{message}");
        assert_eq!(failure(b"<html><body><p>a blog</p></body></html>").0, ErrorKind::NotAFeed);
        assert_eq!(failure(b"   \n").0, ErrorKind::NotAFeed, "an empty document");
    }

    #[test]
    fn a_feed_becomes_posts_tagged_with_topics() {
        let body = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>Kubernetes 운영기</title><link>https://example.com/a</link><category>Kubernetes</category></item>
            </channel></rss>"#
            .as_bytes();
        let delivered = Delivered { body, url: None, charset: None, language: None };
        let feed = read(&delivered, Reading { selectors: None, timezone_offset: 0, now: 0 }).expect("a feed");
        let posts = posts_of(feed);
        assert_eq!(posts.len(), 1, "{posts:?}");
        assert_eq!(posts[0].title, "Kubernetes 운영기");
        assert_eq!(posts[0].url.as_deref(), Some("https://example.com/a"));
        assert_eq!(posts[0].categories, ["Kubernetes"]);
        assert!(posts[0].topics.iter().any(|t| t == "infra"), "topics are tagged on the way in: {:?}", posts[0].topics);
    }
}
