//! Site pages are not posts. Static-site generators put a blog's own pages in its feed — About, Search,
//! Archives, a guestbook, a privacy policy, section indexes, an author's profile — most of them undated
//! (Hugo writes `0001-01-01`). Stored as posts, they would be dated at crawl time and fill the front page.
//!
//! No single clue decides: a real post may lack a date, a page may carry one. An entry is a site page when
//! its link is a page of the site, or when being undated comes with a page's name, an empty title, text
//! that is no post's (a placeholder, leaked front matter), or next to nothing at the top of a site whose
//! other entries are dated. An undated entry with a post's title, a post's path or a post's text stays.

use url::Url;

use crate::feed::{Entry, SitePage};

/// What the normalizer saw of an entry before it filled gaps (a title made from the text).
pub(crate) struct Facts {
    /// The feed gave no title (the entry's title was made from its text).
    pub(crate) untitled: bool,
    /// Characters of prose in the summary's source.
    pub(crate) text_chars: usize,
    /// The text is a generator's placeholder or leaked front matter.
    pub(crate) not_a_post_text: bool,
}

/// Less prose than this is next to nothing: a page's stub, not a post's summary.
const THIN_TEXT_CHARS: usize = 40;

/// Whether a path segment names one of a site's own pages: lowercased on the stack (every entry's link
/// is read) and looked up in [`PAGE_SEGMENTS`].
fn is_page_segment(segment: &str) -> bool {
    let mut buf = [0u8; 16];
    if segment.len() > buf.len() {
        return false;
    }
    let lower = &mut buf[..segment.len()];
    lower.copy_from_slice(segment.as_bytes());
    lower.make_ascii_lowercase();
    lower.starts_with(b"_index") || PAGE_SEGMENTS.binary_search_by(|name| name.as_bytes().cmp(lower)).is_ok()
}

/// Path segments of a site's own pages (compared lowercased, without `.html` and the like), sorted.
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
    let mut end = text.len().min(400);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text[..end].to_lowercase();
    head.contains("this page is just a placeholder")
        || head.contains("lorem ipsum dolor")
        || crate::prose::leaked_front_matter(&head)
}

/// Splits entries into posts and site pages. `site` is the feed's own link: paths are read below it.
pub(crate) fn split(entries: &mut Vec<Entry>, facts: &[Facts], site: Option<&Url>) -> Vec<SitePage> {
    let total = entries.len();
    let dated = entries.iter().filter(|e| is_dated(e)).count();
    let untitled = facts.iter().filter(|f| f.untitled).count();
    let site = site.map(Site::of);
    let reasons: Vec<Option<&'static str>> = {
        let paths: Vec<Option<Path>> =
            entries.iter().map(|e| e.link.as_deref().map(|l| Path::of(l, site.as_ref()))).collect();
        let off_root = paths.iter().flatten().filter(|p| !p.is_root).count();
        entries
            .iter()
            .zip(facts)
            .zip(&paths)
            .map(|((entry, facts), path)| {
                let others = total - 1;
                let others_dated = dated - usize::from(is_dated(entry));
                let feed_is_dated = others_dated >= 2 && others_dated * 3 >= others * 2;
                // An untitled entry stands out only among titled ones: a microblog titles nothing.
                let others_titled = others - (untitled - usize::from(facts.untitled));
                let feed_is_titled = others >= 1 && others_titled * 2 >= others;
                let feed = Context { is_dated: feed_is_dated, is_titled: feed_is_titled, off_root };
                reason(entry, facts, path.as_ref(), &feed)
            })
            .collect()
    };
    if reasons.iter().all(Option::is_none) {
        return Vec::new();
    }
    // Posts stay where they are; only pages move out.
    let mut k = 0;
    entries
        .extract_if(.., |_| {
            k += 1;
            reasons[k - 1].is_some()
        })
        .zip(reasons.iter().zip(facts).filter_map(|(r, f)| r.map(|r| (r, f.untitled))))
        .map(|(entry, (reason, untitled))| SitePage {
            id: entry.id,
            title: if untitled { String::new() } else { entry.title },
            link: entry.link,
            reason,
        })
        .collect()
}

fn is_dated(e: &Entry) -> bool {
    e.published.is_some() || e.updated.is_some()
}

/// What the feed's other entries say about an entry.
struct Context {
    /// Most of the other entries are dated.
    is_dated: bool,
    /// Most of the other entries are titled.
    is_titled: bool,
    /// Entries whose link is not the site's home page.
    off_root: usize,
}

/// Why an entry is a site page, or `None` for a post.
fn reason(e: &Entry, facts: &Facts, path: Option<&Path>, feed: &Context) -> Option<&'static str> {
    if path.is_some_and(|p| p.elsewhere) {
        return None;
    }
    let undated = !is_dated(e);
    let thin = facts.text_chars < THIN_TEXT_CHARS;
    // Read only where it decides something: most entries are dated posts at a post's path.
    let page_title = || if facts.untitled { feed.is_titled } else { is_page_title(&e.title) };
    if let Some(path) = path {
        if path.is_root {
            // A feed that links every entry to its home page still has posts; one among posts is a page.
            let others_link_posts = feed.off_root > 0;
            if others_link_posts && (undated || page_title()) {
                return Some("its link is the site's home page");
            }
        } else if path.is_page() {
            return Some("its link is a page of the site");
        } else if thin && path.is_profile() {
            return Some("an author's profile");
        }
    }
    if !undated {
        return None;
    }
    if path.is_some() && page_title() {
        return Some(if facts.untitled { "undated and untitled" } else { "undated, named like a site page" });
    }
    if facts.not_a_post_text {
        return Some("undated, with a placeholder or front matter for text");
    }
    if feed.is_dated && thin && path.is_some_and(|p| p.depth() <= 1) {
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

/// An entry's link below the site's own path, a language prefix (`/ko/`) dropped: its segments are read
/// without regard to ASCII case and without file extensions (`.html`).
struct Path<'a> {
    path: &'a str,
    is_root: bool,
    /// The link leads to another site: a link blog's or an aggregator's item, never this site's page.
    elsewhere: bool,
}

/// The feed's own site: its host (without `www.`) and the path it lives under.
struct Site<'a> {
    host: &'a str,
    base: &'a str,
}

impl<'a> Site<'a> {
    fn of(url: &'a Url) -> Site<'a> {
        let host = url.host_str().unwrap_or("");
        Site { host: host.strip_prefix("www.").unwrap_or(host), base: url.path().trim_end_matches('/') }
    }
}

/// A path segment without its file extension.
fn stem(segment: &str) -> &str {
    match segment.rsplit_once('.') {
        Some((stem, ext))
            if ["html", "htm", "xml", "json", "php", "md"].iter().any(|e| ext.eq_ignore_ascii_case(e)) =>
        {
            stem
        }
        _ => segment,
    }
}

impl<'a> Path<'a> {
    /// Reads an entry's link, which the normalizer made absolute and canonical, without parsing it again.
    fn of(link: &'a str, site: Option<&Site<'_>>) -> Path<'a> {
        let none = Path { path: "", is_root: false, elsewhere: false };
        if !(link.starts_with("https://") || link.starts_with("http://")) {
            return none;
        }
        let (host, mut path) = crate::link::host_and_path(link);
        let host = host.strip_prefix("www.").unwrap_or(host);
        // A link to another site (a link blog's, an aggregator's) says nothing about this site's pages.
        if site.is_some_and(|s| !s.host.eq_ignore_ascii_case(host)) {
            return Path { elsewhere: true, ..none };
        }
        let query = memchr::memchr2(b'?', b'#', link.as_bytes()).is_some_and(|at| link.as_bytes()[at] == b'?');
        if let Some(site) = site
            && !site.base.is_empty()
            && let Some(below) = path.strip_prefix(site.base)
            && (below.is_empty() || below.starts_with('/'))
        {
            path = below;
        }
        let path = path.trim_matches('/');
        if let Some((first, rest)) = path.split_once('/')
            && is_language(first)
            && !rest.is_empty()
        {
            return Path { path: rest, is_root: false, elsewhere: false };
        }
        Path { path, is_root: path.is_empty() && !query, elsewhere: false }
    }

    fn segments(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.path.split('/').filter(|s| !s.is_empty()).map(stem)
    }

    fn depth(&self) -> usize {
        self.segments().count()
    }

    /// Every segment names a page (`/about/`, `/posts/index.html`, `/search/_index.es/`), or it lists a
    /// taxonomy term (`/tags/rust/`).
    fn is_page(&self) -> bool {
        let named = |list: &[&str], s: &str| list.iter().any(|n| n.eq_ignore_ascii_case(s));
        let mut segments = self.segments();
        let Some(first) = segments.next() else { return false };
        let page = is_page_segment;
        if named(LIST_SEGMENTS, first) && self.depth() == 2 {
            return true;
        }
        page(first) && segments.all(page)
    }

    fn is_profile(&self) -> bool {
        let mut segments = self.segments();
        matches!((segments.next(), segments.next(), segments.next()), (Some(first), Some(_), None)
            if PROFILE_SEGMENTS.iter().any(|n| n.eq_ignore_ascii_case(first)))
    }
}

/// `ko`, `en`, `zh-cn`, `pt_br`: a language prefix of a multilingual site's paths.
fn is_language(segment: &str) -> bool {
    let mut parts = segment.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    let region = parts.next();
    lang.len() == 2
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_read_below_its_site_whatever_its_authority() {
        for (site, link) in [
            ("http://[::1]:8080/blog/", "http://[::1]:8080/blog/about/"),
            ("https://www.example.com/", "https://user@example.com:8443/ko/search/"),
        ] {
            let site = Url::parse(site).unwrap();
            let site = Site::of(&site);
            let path = Path::of(link, Some(&site));
            assert!(!path.elsewhere && path.is_page(), "{link}");
        }
        let site = Url::parse("https://example.com/").unwrap();
        assert!(Path::of("https://other.example/about/", Some(&Site::of(&site))).elsewhere);
        assert!(!Path::of("https://example.com/?p=12", Some(&Site::of(&site))).is_root, "a query names a post");
    }

    #[test]
    fn page_segments_are_sorted_for_their_binary_search() {
        assert!(PAGE_SEGMENTS.windows(2).all(|w| w[0] < w[1]), "PAGE_SEGMENTS must be sorted and unique");
        assert!(PAGE_SEGMENTS.iter().all(|s| s.len() <= 16 && *s == s.to_ascii_lowercase()));
    }

    #[test]
    fn page_segments_are_matched_in_any_case_and_nothing_else() {
        for word in PAGE_SEGMENTS {
            assert!(is_page_segment(word), "{word}");
            assert!(is_page_segment(&word.to_ascii_uppercase()), "{word}");
        }
        for other in ["2023", "k8s", "posts-2", "abouts", "searching", "", "a-very-long-segment-name"] {
            assert!(!is_page_segment(other), "{other}");
        }
        assert!(is_page_segment("_index.zh-cn"));
    }
}
