//! Adding a blog by its homepage: the page is read, then the feeds it advertises, its platform's and
//! the well-known paths are tried in order ([`moa_feed::discover`]); each candidate counts only if it
//! parses as a feed (a soft 404 answers 200 with an HTML page). The result carries a preview of the first
//! posts, a proposed id and names, and every URL tried with what it gave.

use moa_feed::discover::{Candidate, Origin};
use moa_feed::scrape::Selectors;
use moa_feed::{Feed, Url};
use moa_store::{NewPost, NewSource, SourceSpec};

use crate::ingest::fetch::{Content, FetchError, Fetcher, Get};
use crate::ingest::pipeline::{self, Delivered, Reading};

/// A homepage is read this far: its `<head>` holds the feed links.
const PAGE_BYTES: usize = 1 << 20;
/// Candidates tried at most, so a hostile page cannot send the crawler on hundreds of fetches.
const MAX_TRIES: usize = 12;

#[derive(Debug, Clone)]
pub struct Tried {
    pub url: String,
    /// `advertised`, a platform's name, or `well-known`.
    pub origin: String,
    /// What it gave: `feed`, or why it is not one.
    pub outcome: String,
}

#[derive(Debug, Clone)]
pub struct Discovered {
    pub homepage: Url,
    pub feed_url: Url,
    pub origin: String,
    pub platform: Option<&'static str>,
    pub feed: Feed,
    /// The posts as moa would store them, newest first.
    pub posts: Vec<NewPost>,
    /// Other feeds the page offered that parse too (comments, categories, other formats).
    pub others: Vec<(String, Option<String>)>,
    pub tried: Vec<Tried>,
    pub proposed: NewSource,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{0:?} is not a web address")]
    BadUrl(String),
    #[error("no feed found for {homepage}: {}", summary(.tried))]
    NoFeed { homepage: String, tried: Vec<Tried> },
}

fn summary(tried: &[Tried]) -> String {
    // One cause for every address (the host refuses connections, its name does not resolve): said once.
    if let [first, rest @ ..] = tried
        && !rest.is_empty()
        && rest.iter().all(|t| t.outcome == first.outcome)
    {
        let mut urls: Vec<&str> = tried.iter().map(|t| t.url.as_str()).collect();
        urls.dedup();
        return format!("tried {}, each: {}", urls.join(", "), first.outcome);
    }
    let shown: Vec<String> = tried.iter().take(8).map(|t| format!("{} ({})", t.url, t.outcome)).collect();
    let more = tried.len().saturating_sub(8);
    format!("tried {}{}", shown.join(", "), if more > 0 { format!(" and {more} more") } else { String::new() })
}

fn origin_name(origin: Origin) -> String {
    match origin {
        Origin::Advertised => "advertised".into(),
        Origin::Platform(p) => p.into(),
        Origin::WellKnown => "well-known".into(),
    }
}

/// The address an operator typed: a scheme is added when missing.
pub fn parse_input(input: &str) -> Result<Url, DiscoveryError> {
    let input = input.trim();
    let with_scheme = if input.contains("://") { input.to_string() } else { format!("https://{input}") };
    Url::parse(&with_scheme)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| DiscoveryError::BadUrl(input.to_string()))
}

enum Got {
    Feed(Box<Feed>),
    Page(String),
    Failed(String),
}

async fn get(fetcher: &Fetcher, url: &Url, prefix: Option<usize>, timezone_offset: i32) -> (Got, Url) {
    let how = Get { prefix_bytes: prefix, ..Get::default() };
    let fetched = match fetcher.get_with(url.as_str(), how).await {
        Ok(r) => match r.content {
            Content::Changed(f) => *f,
            Content::NotModified => return (Got::Failed("304 without validators".into()), url.clone()),
        },
        Err(e) => return (Got::Failed(e.to_string()), url.clone()),
    };
    let reading = Reading { selectors: None, timezone_offset, now: crate::now_unix() };
    match pipeline::read(&Delivered::fetched(&fetched), reading) {
        Ok(feed) => (Got::Feed(Box::new(feed)), fetched.url),
        Err(moa_feed::FeedError::NotAFeed { .. }) => {
            (Got::Page(String::from_utf8_lossy(&fetched.body).into_owned()), fetched.url)
        }
        Err(e) => (Got::Failed(format!("not a feed: {e}")), fetched.url),
    }
}

/// A feed of comments or of one category is rarely the one wanted when the blog's own is offered too.
fn is_side_feed(url: &str, title: Option<&str>) -> bool {
    let text = format!("{} {}", url.to_lowercase(), title.unwrap_or("").to_lowercase());
    ["comment", "댓글", "/category/", "/tag/"].iter().any(|w| text.contains(w))
}

/// Finds the feed of the blog at `input` (a homepage, or a feed's own URL).
pub async fn discover(fetcher: &Fetcher, input: &str, timezone_offset: i32) -> Result<Discovered, DiscoveryError> {
    let homepage = parse_input(input)?;
    let mut tried = Vec::new();
    let (page, landed) = get(fetcher, &homepage, Some(PAGE_BYTES), timezone_offset).await;
    let html = match page {
        // The operator gave the feed itself.
        Got::Feed(feed) => {
            let site = feed.link.as_deref().and_then(|l| Url::parse(l).ok()).unwrap_or_else(|| homepage.clone());
            tried.push(Tried { url: landed.to_string(), origin: "given".into(), outcome: "feed".into() });
            return Ok(found(site, landed, "given".into(), None, *feed, Vec::new(), tried));
        }
        Got::Page(html) => Some(html),
        Got::Failed(why) => {
            // Some hosts refuse the homepage to bots but serve their feeds: go on with the rules.
            tried.push(Tried { url: homepage.to_string(), origin: "homepage".into(), outcome: why });
            None
        }
    };
    let platform = moa_feed::discover::platform(&landed, html.as_deref());
    let candidates: Vec<Candidate> = moa_feed::discover::candidates(&landed, html.as_deref());
    let mut feeds: Vec<(Candidate, Url, Feed)> = Vec::new();
    for candidate in candidates.into_iter().take(MAX_TRIES) {
        // Every advertised feed is read (to offer the choice); after those, the first feed found wins.
        if !feeds.is_empty() && candidate.origin != Origin::Advertised {
            break;
        }
        let (got, at) = get(fetcher, &candidate.url, None, timezone_offset).await;
        let outcome = match got {
            Got::Feed(feed) => {
                feeds.push((candidate.clone(), at, *feed));
                "feed".to_string()
            }
            Got::Page(_) => "an HTML page, not a feed".to_string(),
            Got::Failed(why) => why,
        };
        tried.push(Tried { url: candidate.url.to_string(), origin: origin_name(candidate.origin), outcome });
    }
    if feeds.is_empty() {
        return Err(DiscoveryError::NoFeed { homepage: homepage.to_string(), tried });
    }
    let best = feeds
        .iter()
        .position(|(_, url, f)| !is_side_feed(url.as_str(), f.title.as_deref()) && !f.entries.is_empty())
        .or_else(|| feeds.iter().position(|(_, url, f)| !is_side_feed(url.as_str(), f.title.as_deref())))
        .unwrap_or(0);
    let (candidate, url, feed) = feeds.remove(best);
    let others = feeds.into_iter().map(|(_, u, f)| (u.to_string(), f.title)).collect();
    Ok(found(landed, url, origin_name(candidate.origin), platform, feed, others, tried))
}

fn found(
    homepage: Url,
    feed_url: Url,
    origin: String,
    platform: Option<&'static str>,
    feed: Feed,
    others: Vec<(String, Option<String>)>,
    tried: Vec<Tried>,
) -> Discovered {
    let mut posts = pipeline::posts_of(feed.clone());
    posts.sort_by_key(|p| std::cmp::Reverse(p.published_at));
    let name = feed
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| homepage.host_str().unwrap_or("").to_string());
    let id = propose_id(&homepage);
    let proposed = NewSource {
        spec: SourceSpec {
            name_en: if name.is_ascii() { name.clone() } else { id.clone() },
            name_ko: name,
            id,
            homepage: homepage.to_string(),
            feed_url: feed_url.to_string(),
            platform: platform.unwrap_or("").to_string(),
            user_agent: None,
        },
        selectors: None,
    };
    Discovered { homepage, feed_url, origin, platform, feed, posts, others, tried, proposed }
}

/// An id from the address: the blog's name on a platform (`@daangn` → `daangn`, `abc.tistory.com` →
/// `abc`), else the site's name without `www`, `blog`, `tech` and the domain suffix.
pub fn propose_id(homepage: &Url) -> String {
    let host = homepage.host_str().unwrap_or("blog").to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let first_segment = homepage.path_segments().and_then(|mut s| s.find(|s| !s.is_empty()).map(String::from));
    let platform_hosts = ["medium.com", "velog.io", "blog.naver.com", "m.blog.naver.com", "github.io"];
    let raw = if matches!(homepage.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
        host.clone()
    } else if platform_hosts.iter().any(|h| host == *h) {
        first_segment.map(|s| s.trim_start_matches('@').to_string()).unwrap_or_else(|| labels[0].to_string())
    } else if labels.len() > 2
        && ["tistory", "medium", "github", "wordpress", "blogspot"].contains(&labels[labels.len() - 2])
    {
        labels[0].to_string()
    } else {
        let generic = ["www", "blog", "blogs", "tech", "techblog", "engineering", "dev", "developers", "d2", "m"];
        let suffixes = ["com", "net", "org", "io", "kr", "co", "dev", "me", "ai", "app", "tech", "blog"];
        labels
            .iter()
            .rev()
            .skip_while(|l| suffixes.contains(l))
            .find(|l| !generic.contains(l))
            .or(labels.first())
            .map(|l| l.to_string())
            .unwrap_or_default()
    };
    let id: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if id.is_empty() { "blog".into() } else { id }
}

/// Whether an id is one a source may have (as in the registry): letters, digits, `-` and `_`, at most 64.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {

    #[test]
    fn one_cause_for_every_address_is_said_once() {
        let tried = |outcomes: &[&str]| -> Vec<Tried> {
            outcomes
                .iter()
                .enumerate()
                .map(|(i, o)| Tried {
                    url: format!("http://x.example/{i}"),
                    origin: "well-known".into(),
                    outcome: o.to_string(),
                })
                .collect()
        };
        let same = super::summary(&tried(&["cannot connect: refused"; 3]));
        assert_eq!(
            same,
            "tried http://x.example/0, http://x.example/1, http://x.example/2, each: cannot connect: refused"
        );
        let mixed = super::summary(&tried(&["HTTP 404", "an HTML page, not a feed"]));
        assert_eq!(mixed, "tried http://x.example/0 (HTTP 404), http://x.example/1 (an HTML page, not a feed)");
    }

    use super::*;

    #[test]
    fn ids_are_proposed_from_the_address() {
        let id = |u: &str| propose_id(&Url::parse(u).unwrap());
        assert_eq!(id("https://techblog.woowahan.com/"), "woowahan");
        assert_eq!(id("https://medium.com/@daangn"), "daangn");
        assert_eq!(id("https://mike3dk.tistory.com/"), "mike3dk");
        assert_eq!(id("https://blog.naver.com/naver_d2"), "naver-d2");
        assert_eq!(id("https://d2.naver.com/"), "naver");
        assert_eq!(id("https://tech.kakao.com/blog"), "kakao");
        assert_eq!(id("http://127.0.0.1:8080/"), "127-0-0-1");
        assert!(valid_id("naver-d2") && valid_id("line_eng") && !valid_id("") && !valid_id("a b") && !valid_id("a/b"));
    }

    #[test]
    fn typed_addresses_get_a_scheme() {
        assert_eq!(parse_input(" blog.example.kr ").unwrap().as_str(), "https://blog.example.kr/");
        assert!(parse_input("ftp://x.example").is_err());
        assert!(parse_input("").is_err());
    }
}

/// Why a page could not be previewed with selectors.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Selector(#[from] moa_feed::scrape::SelectorError),
    #[error(transparent)]
    Address(#[from] DiscoveryError),
    #[error("cannot read {url}: {error}")]
    Fetch { url: String, error: FetchError },
    #[error("{0}")]
    Page(String),
}

/// Fetches a page and reads its posts with `selectors`: the URL it ended at, the posts, the page title.
pub async fn preview_page(
    fetcher: &Fetcher,
    url: &str,
    selectors: &Selectors,
    timezone_offset: i32,
) -> Result<(String, Vec<NewPost>, Option<String>), PreviewError> {
    selectors.validate()?;
    let url = parse_input(url)?;
    let fetched =
        fetcher.get(url.as_str()).await.map_err(|error| PreviewError::Fetch { url: url.to_string(), error })?;
    let reading = Reading { selectors: Some(selectors), timezone_offset, now: crate::now_unix() };
    let feed = pipeline::read(&Delivered::fetched(&fetched), reading).map_err(|e| PreviewError::Page(e.to_string()))?;
    let title = feed.title.clone();
    Ok((url.to_string(), pipeline::posts_of(feed), title))
}
