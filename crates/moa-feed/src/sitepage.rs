//! Site pages are not posts. Static-site generators put a blog's own pages in its feed — About, Search,
//! Archives, a guestbook, a privacy policy, section indexes, an author's profile — most of them undated
//! (Hugo writes `0001-01-01`). Stored as posts, they would be dated at crawl time and fill the front page.
//!
//! No single clue decides: a real post may lack a date, a page may carry one. An entry is a site page when
//! its link is a page of the site, or when being undated comes with a page's name, an empty title, text
//! that is no post's (a placeholder, leaked front matter), or next to nothing at the top of a site whose
//! other entries are dated. An undated entry with a post's title, a post's path or a post's text stays.

use serde::Serialize;
use url::Url;

use crate::Entry;

/// What the normalizer saw of an entry before it filled gaps (a title made from the text).
pub(crate) struct Facts {
    /// The title as the feed gave it, cleaned; empty when it gave none.
    pub title: String,
    /// Characters of prose in the summary's source.
    pub text_chars: usize,
    /// The text is a generator's placeholder or leaked front matter.
    pub not_a_post_text: bool,
}

/// An entry left out because it is a page of the site, not a post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePage {
    pub id: String,
    pub title: String,
    pub link: Option<String>,
    pub reason: &'static str,
}

/// Less prose than this is next to nothing: a page's stub, not a post's summary.
const THIN_TEXT_CHARS: usize = 40;

/// Path segments of a site's own pages (compared lowercased, without `.html` and the like).
const PAGE_SEGMENTS: &[&str] = &[
    "404",
    "about",
    "about-me",
    "about-us",
    "aboutme",
    "archive",
    "archives",
    "articles",
    "blog",
    "categories",
    "category",
    "contact",
    "contacts",
    "cv",
    "email-policy",
    "feed",
    "feeds",
    "friends",
    "gallery",
    "guest",
    "guestbook",
    "home",
    "index",
    "link",
    "links",
    "me",
    "now",
    "page",
    "pages",
    "policy",
    "portfolio",
    "post",
    "posts",
    "privacy",
    "privacy-policy",
    "profile",
    "projects",
    "resume",
    "rss",
    "search",
    "search-data",
    "series",
    "sitemap",
    "tag",
    "tags",
    "terms",
    "uses",
];

/// First segments of pages that list a taxonomy's term (`/tags/rust/`). Singular `tag` is not among them:
/// `/releases/tag/v1.0` is a release.
const LIST_SEGMENTS: &[&str] = &["tags", "categories", "series"];

/// First segments of an author's profile (`/developer/margarets/`).
const PROFILE_SEGMENTS: &[&str] =
    &["author", "authors", "developer", "developers", "member", "members", "people", "team", "user", "users", "writer"];

/// Titles of a site's own pages (compared lowercased, without emoji, brackets and punctuation).
const PAGE_TITLES: &[&str] = &[
    "about",
    "about me",
    "about us",
    "archive",
    "archives",
    "categories",
    "category",
    "contact",
    "contact me",
    "feeds",
    "gallery",
    "guestbook",
    "home",
    "links",
    "portfolio",
    "posts",
    "privacy policy",
    "projects",
    "resume",
    "rss",
    "rss feeds",
    "search",
    "sitemap",
    "tags",
    "갤러리",
    "개인정보 처리방침",
    "개인정보처리방침",
    "검색",
    "글 목록",
    "링크",
    "문의",
    "방명록",
    "보관함",
    "분류",
    "블로그 소개",
    "소개",
    "아카이브",
    "연락처",
    "이력서",
    "이메일 무단수집 거부",
    "이메일무단수집거부",
    "자기소개",
    "전체 글",
    "카테고리",
    "태그",
    "포트폴리오",
    "프로필",
];

/// Whether a text is no post's: a generator's placeholder, or front matter leaked into the content.
pub(crate) fn is_not_a_post_text(text: &str) -> bool {
    let head: String = text.chars().take(200).collect::<String>().to_lowercase();
    head.contains("this page is just a placeholder")
        || head.contains("lorem ipsum dolor")
        || crate::prose::leaked_front_matter(&head)
}

/// Splits entries into posts and site pages. `site` is the feed's own link: paths are read below it.
pub(crate) fn split(entries: Vec<(Entry, Facts)>, site: Option<&Url>) -> (Vec<Entry>, Vec<SitePage>) {
    let total = entries.len();
    let dated = entries.iter().filter(|(e, _)| is_dated(e)).count();
    let off_root =
        entries.iter().filter(|(e, _)| e.link.as_deref().is_some_and(|l| !Path::of(l, site).is_root)).count();
    let (mut posts, mut pages) = (Vec::with_capacity(total), Vec::new());
    for (entry, facts) in entries {
        let others = total - 1;
        let others_dated = dated - usize::from(is_dated(&entry));
        let feed_is_dated = others_dated >= 2 && others_dated * 3 >= others * 2;
        match reason(&entry, &facts, site, feed_is_dated, off_root) {
            Some(reason) => pages.push(SitePage {
                id: entry.id,
                title: if facts.title.is_empty() { String::new() } else { entry.title },
                link: entry.link,
                reason,
            }),
            None => posts.push(entry),
        }
    }
    (posts, pages)
}

fn is_dated(e: &Entry) -> bool {
    e.published.is_some() || e.updated.is_some()
}

/// Why an entry is a site page, or `None` for a post.
fn reason(e: &Entry, facts: &Facts, site: Option<&Url>, feed_is_dated: bool, off_root: usize) -> Option<&'static str> {
    let undated = !is_dated(e);
    let thin = facts.text_chars < THIN_TEXT_CHARS;
    let page_title = facts.title.is_empty() || is_page_title(&facts.title);
    let path = e.link.as_deref().map(|l| Path::of(l, site));
    if path.as_ref().is_some_and(|p| p.elsewhere) {
        return None;
    }
    if let Some(path) = &path {
        if path.is_root {
            // A feed that links every entry to its home page still has posts; one among posts is a page.
            let others_link_posts = off_root > 0;
            if others_link_posts && (undated || page_title) {
                return Some("its link is the site's home page");
            }
        } else if path.is_page() {
            return Some("its link is a page of the site");
        } else if path.is_profile() && thin {
            return Some("an author's profile");
        }
    }
    if undated && page_title && path.is_some() {
        return Some(if facts.title.is_empty() { "undated and untitled" } else { "undated, named like a site page" });
    }
    if undated && facts.not_a_post_text {
        return Some("undated, with a placeholder or front matter for text");
    }
    if undated && feed_is_dated && thin && path.as_ref().is_some_and(|p| p.segments.len() <= 1) {
        return Some("undated and nearly empty at the top of a dated site");
    }
    None
}

fn is_page_title(title: &str) -> bool {
    let name: String =
        title.chars().filter(|c| c.is_alphanumeric() || c.is_whitespace()).collect::<String>().to_lowercase();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    name.is_empty() || PAGE_TITLES.contains(&name.as_str())
}

/// An entry's link as path segments below the site's own path, lowercased, a language prefix (`/ko/`)
/// and file extensions (`.html`) dropped.
struct Path {
    segments: Vec<String>,
    is_root: bool,
    /// The link leads to another site: a link blog's or an aggregator's item, never this site's page.
    elsewhere: bool,
}

impl Path {
    fn of(link: &str, site: Option<&Url>) -> Path {
        let Ok(url) = Url::parse(link) else {
            return Path { segments: Vec::new(), is_root: false, elsewhere: false };
        };
        // A link to another site (a link blog's, an aggregator's) says nothing about this site's pages.
        if site.is_some_and(|s| !same_site(s, &url)) {
            return Path { segments: Vec::new(), is_root: false, elsewhere: true };
        }
        let mut path = url.path();
        if let Some(site) = site {
            let base = site.path().trim_end_matches('/');
            if !base.is_empty()
                && let Some(rest) = path.strip_prefix(base)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                path = rest;
            }
        }
        let mut segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let s = s.to_lowercase();
                match s.rsplit_once('.') {
                    Some((stem, "html" | "htm" | "xml" | "json" | "php" | "md")) => stem.to_string(),
                    _ => s,
                }
            })
            .collect();
        let is_root = segments.is_empty() && url.query().is_none();
        if segments.len() > 1 && is_language(&segments[0]) {
            segments.remove(0);
        }
        Path { segments, is_root, elsewhere: false }
    }

    /// Every segment names a page (`/about/`, `/posts/index.html`, `/search/_index.es/`), or it lists a
    /// taxonomy term (`/tags/rust/`).
    fn is_page(&self) -> bool {
        let page = |s: &String| PAGE_SEGMENTS.contains(&s.as_str()) || s.starts_with("_index");
        match self.segments.as_slice() {
            [] => false,
            [first, _] if LIST_SEGMENTS.contains(&first.as_str()) => true,
            segments => segments.iter().all(page),
        }
    }

    fn is_profile(&self) -> bool {
        matches!(self.segments.as_slice(), [first, _] if PROFILE_SEGMENTS.contains(&first.as_str()))
    }
}

/// One host, `www.` aside.
fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    host(a) == host(b)
}

/// `ko`, `en`, `zh-cn`, `pt_br`: a language prefix of a multilingual site's paths.
fn is_language(segment: &str) -> bool {
    let mut parts = segment.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    let region = parts.next();
    lang.len() == 2
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts.next().is_none()
}
