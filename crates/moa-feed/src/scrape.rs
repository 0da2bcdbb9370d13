//! Sites without a feed: a page read with CSS selectors (one per post, then title, link, date, summary
//! and image within it) into the same raw model the feed parsers fill, so the normalizer treats its
//! posts exactly as a feed's (ids, canonical links, dates, summaries, thumbnails).

use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};

use crate::raw::{RawEntry, RawFeed, RawLink, RawMedia, RawText, TextKind};
use crate::{Feed, FeedError, Format, ParseOptions};

/// The selectors of a page source. Only `item` and `title` are required; the others are searched
/// within each item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selectors {
    /// One element per post.
    pub item: String,
    /// The post's title (its text).
    pub title: String,
    /// The link's element (its `href`); default: the title's link, else the item's first link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The date's element: its `datetime` or `content` attribute, else its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The summary's element (its text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The picture's element: `src`, `data-src`, `content`, or the first URL of `srcset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// A selector that cannot be used, named by its field (`item`, `title`…).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SelectorError {
    /// A required selector is empty.
    #[error("the {field} selector is empty")]
    Empty {
        /// The selector's field.
        field: &'static str,
    },
    /// A selector does not parse as CSS.
    #[error("the {field} selector {selector:?} is not valid CSS: {message}")]
    Invalid {
        /// The selector's field.
        field: &'static str,
        /// The selector as given (trimmed).
        selector: String,
        /// What the CSS parser said.
        message: String,
    },
}

/// The selectors, compiled once per page.
struct Compiled {
    item: Selector,
    title: Selector,
    link: Option<Selector>,
    date: Option<Selector>,
    summary: Option<Selector>,
    image: Option<Selector>,
}

impl Selectors {
    /// Checks every selector, naming the first that does not compile.
    pub fn validate(&self) -> Result<(), SelectorError> {
        self.compile().map(|_| ())
    }

    fn compile(&self) -> Result<Compiled, SelectorError> {
        fn one(field: &'static str, s: &str) -> Result<Selector, SelectorError> {
            let s = s.trim();
            if s.is_empty() {
                return Err(SelectorError::Empty { field });
            }
            Selector::parse(s).map_err(|e| SelectorError::Invalid {
                field,
                selector: s.to_string(),
                message: e.to_string(),
            })
        }
        let optional = |field, s: &Option<String>| {
            s.as_deref().filter(|s| !s.trim().is_empty()).map(|s| one(field, s)).transpose()
        };
        Ok(Compiled {
            item: one("item", &self.item)?,
            title: one("title", &self.title)?,
            link: optional("link", &self.link)?,
            date: optional("date", &self.date)?,
            summary: optional("summary", &self.summary)?,
            image: optional("image", &self.image)?,
        })
    }
}

/// Reads a page's posts with `selectors`. A page where the item selector matches nothing is an error
/// (the site changed its markup, or the selectors are wrong), not an empty feed.
pub fn parse_page(bytes: &[u8], selectors: &Selectors, options: &ParseOptions) -> Result<Feed, FeedError> {
    if bytes.len() > options.max_bytes {
        return Err(FeedError::TooLarge { size: bytes.len(), limit: options.max_bytes });
    }
    let compiled = selectors.compile().map_err(|e| FeedError::NotAFeed { reason: e.to_string(), alternate: None })?;
    let decoded = crate::decode::decode(bytes, options.http_charset.as_deref());
    if decoded.text.trim().is_empty() {
        return Err(FeedError::Empty);
    }
    let page = Html::parse_document(&decoded.text);
    let mut raw = RawFeed::new(Format::Html);
    let text_of = |e: ElementRef| e.text().collect::<Vec<_>>().join(" ");
    let head_selector = |s: &str| Selector::parse(s).ok();
    if let Some(title) = head_selector("title").and_then(|s| page.select(&s).next()) {
        raw.title = Some(RawText { value: text_of(title), kind: TextKind::Plain });
    }
    if let Some(base) = head_selector("base[href]").and_then(|s| page.select(&s).next()) {
        raw.base = base.value().attr("href").map(String::from);
    }
    if let Some(lang) = head_selector("html[lang]").and_then(|s| page.select(&s).next()) {
        raw.language = lang.value().attr("lang").map(String::from);
    }
    for item in page.select(&compiled.item) {
        let Some(title) = item.select(&compiled.title).next() else { continue };
        let mut entry =
            RawEntry { title: Some(RawText { value: text_of(title), kind: TextKind::Plain }), ..RawEntry::default() };
        let link = match &compiled.link {
            Some(s) => item.select(s).next().and_then(href_of),
            None => href_of(title)
                .or_else(|| title.ancestors().filter_map(ElementRef::wrap).take_while(|a| *a != item).find_map(href_of))
                .or_else(|| href_of(item))
                .or_else(|| head_selector("a[href]").and_then(|s| item.select(&s).next()).and_then(href_of)),
        };
        if let Some(href) = link {
            entry.links.push(RawLink { href, rel: None, mime: None });
        }
        if let Some(date) = compiled.date.as_ref().and_then(|s| item.select(s).next()) {
            let v = date.value();
            entry.published =
                v.attr("datetime").or_else(|| v.attr("content")).map(String::from).or_else(|| Some(text_of(date)));
        }
        if let Some(summary) = compiled.summary.as_ref().and_then(|s| item.select(s).next()) {
            entry.summary = Some(RawText { value: summary.inner_html(), kind: TextKind::Html });
        }
        if let Some(url) = compiled.image.as_ref().and_then(|s| item.select(s).next()).and_then(image_of) {
            entry.media.push(RawMedia { url, mime: None, medium: Some("image".into()), is_thumbnail: true });
        }
        raw.entries.push(entry);
    }
    if raw.entries.is_empty() {
        return Err(FeedError::NotAFeed {
            reason: format!("no element of the page matches the item selector {:?} with a title in it", selectors.item),
            alternate: None,
        });
    }
    Ok(crate::normalize::normalize(raw, decoded.encoding, decoded.warnings, options))
}

fn href_of(e: ElementRef) -> Option<String> {
    e.value().attr("href").map(str::trim).filter(|h| !h.is_empty() && !h.starts_with('#')).map(String::from)
}

fn image_of(e: ElementRef) -> Option<String> {
    let v = e.value();
    ["src", "data-src", "data-original", "content"]
        .iter()
        .filter_map(|a| v.attr(a))
        .chain(v.attr("srcset").and_then(|s| s.split(',').next()).and_then(|s| s.split_whitespace().next()))
        .map(str::trim)
        .find(|s| !s.is_empty() && !s.starts_with("data:"))
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="ko"><head><title>우리 회사 기술 블로그</title></head><body>
      <nav><a href="/about">소개</a></nav>
      <ul class="posts">
        <li class="post"><img class="thumb" data-src="/img/1.png" src="data:image/gif;base64,R0lG">
          <h2><a href="/posts/1?utm_source=list">쿠버네티스 운영기</a></h2>
          <time datetime="2024-03-15T10:00:00+09:00">3월 15일</time><p class="excerpt">클러스터를 <b>옮긴</b> 이야기</p></li>
        <li class="post"><a class="more" href="https://tech.example.kr/posts/2"><h2>Rust로 만든 크롤러</h2></a>
          <span class="date">2024.03.01</span></li>
        <li class="post"><h2>링크 없는 글</h2></li>
        <li class="post"><p>제목 없는 항목</p></li>
      </ul></body></html>"#;

    fn selectors() -> Selectors {
        Selectors {
            item: "li.post".into(),
            title: "h2".into(),
            date: Some("time, .date".into()),
            summary: Some(".excerpt".into()),
            image: Some("img.thumb".into()),
            ..Selectors::default()
        }
    }

    fn options() -> ParseOptions {
        ParseOptions {
            url: Some(crate::Url::parse("https://tech.example.kr/blog/").unwrap()),
            ..ParseOptions::default()
        }
    }

    #[test]
    fn a_page_reads_as_posts_through_the_normalizer() {
        let feed = parse_page(PAGE.as_bytes(), &selectors(), &options()).unwrap();
        assert_eq!(feed.format, Format::Html);
        assert_eq!(feed.title.as_deref(), Some("우리 회사 기술 블로그"));
        let titles: Vec<&str> = feed.entries.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            ["쿠버네티스 운영기", "Rust로 만든 크롤러", "링크 없는 글"],
            "an item without a title is skipped"
        );
        let first = &feed.entries[0];
        assert_eq!(first.link.as_deref(), Some("https://tech.example.kr/posts/1"), "resolved, tracking dropped");
        assert_eq!(first.published.map(|t| crate::format_rfc3339(t.0)).as_deref(), Some("2024-03-15T01:00:00Z"));
        assert_eq!(first.summary.as_deref(), Some("클러스터를 옮긴 이야기"));
        assert_eq!(first.thumbnail.as_deref(), Some("https://tech.example.kr/img/1.png"), "data: placeholders skipped");
        let second = &feed.entries[1];
        assert_eq!(second.link.as_deref(), Some("https://tech.example.kr/posts/2"), "the link around the title");
        assert_eq!(
            second.published.map(|t| crate::format_rfc3339(t.0)).as_deref(),
            Some("2024-02-29T15:00:00Z"),
            "a KST day"
        );
        assert_eq!(feed.entries[2].link, None);
        assert_ne!(feed.entries[0].id, feed.entries[2].id);
    }

    #[test]
    fn an_explicit_link_selector_wins() {
        let s = Selectors { link: Some("a.more".into()), ..selectors() };
        let feed = parse_page(PAGE.as_bytes(), &s, &options()).unwrap();
        assert_eq!(feed.entries[0].link, None, "the first item has no a.more");
        assert_eq!(feed.entries[1].link.as_deref(), Some("https://tech.example.kr/posts/2"));
    }

    #[test]
    fn selectors_that_match_nothing_or_do_not_parse_are_errors() {
        let none = Selectors { item: "article.post".into(), ..selectors() };
        let err = parse_page(PAGE.as_bytes(), &none, &options()).unwrap_err();
        assert!(err.to_string().contains("article.post"), "{err}");
        let bad = Selectors { title: "h2[".into(), ..selectors() };
        assert!(matches!(bad.validate(), Err(SelectorError::Invalid { field: "title", .. })));
        assert_eq!(Selectors::default().validate(), Err(SelectorError::Empty { field: "item" }));
        assert!(parse_page(b"  ", &selectors(), &options()).is_err());
    }

    #[test]
    fn selectors_round_trip_as_json() {
        let s = selectors();
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("link"), "unset fields are left out: {json}");
        assert_eq!(serde_json::from_str::<Selectors>(&json).unwrap(), s);
    }
}
