//! What a web page says about itself: the feeds it advertises, and its OpenGraph/Twitter card picture,
//! title and description. The date an article page states is [`crate::page_published`]'s.

use crate::html::{attr, decode_entities, inner_html, skip_element, start_tags, start_tags_at};
use crate::image::is_decorative_image_url;
use crate::text::one_line;

/// Feed URLs an HTML page advertises with `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`.
pub fn alternate_feed_links(html: &str) -> Vec<String> {
    start_tags(html, "link")
        .filter(|attrs| {
            let rel = attr(attrs, "rel").unwrap_or("").to_ascii_lowercase();
            let ty = attr(attrs, "type").unwrap_or("").to_ascii_lowercase();
            rel.split_whitespace().any(|r| r == "alternate")
                && (ty.contains("rss") || ty.contains("atom") || ty.contains("feed+json") || ty.contains("rdf"))
        })
        .filter_map(|attrs| attr(&attrs, "href").map(String::from))
        .collect()
}

/// What an article page says about itself in its `<head>`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageMeta {
    /// `og:image`, else `twitter:image` (`twitter:image:src`), as written (possibly relative).
    pub image: Option<String>,
    /// `og:title`, else `twitter:title`, else the `<title>`: one line of plain text.
    pub title: Option<String>,
    /// `og:description`, else `twitter:description`, else the `description` meta tag.
    pub description: Option<String>,
}

/// Reads the page's OpenGraph and Twitter card image, title and description. Meta tags without a usable
/// value (empty; for images `data:`, a tracking pixel or an icon) are passed over.
pub fn page_meta(html: &str) -> PageMeta {
    let (mut og, mut twitter) = (None, None);
    let (mut og_title, mut twitter_title) = (None, None);
    let (mut og_description, mut twitter_description, mut description) = (None, None, None);
    for attrs in start_tags(html, "meta") {
        let key = attr(&attrs, "property").or_else(|| attr(&attrs, "name")).unwrap_or("").to_ascii_lowercase();
        let (slot, image) = match key.as_str() {
            "og:image" | "og:image:url" | "og:image:secure_url" => (&mut og, true),
            "twitter:image" | "twitter:image:src" => (&mut twitter, true),
            "og:title" => (&mut og_title, false),
            "twitter:title" => (&mut twitter_title, false),
            "og:description" => (&mut og_description, false),
            "twitter:description" => (&mut twitter_description, false),
            "description" => (&mut description, false),
            _ => continue,
        };
        if slot.is_some() {
            continue;
        }
        let usable = |v: &&str| {
            if image { !v.starts_with("data:") && !is_decorative_image_url(v) } else { !v.trim().is_empty() }
        };
        if let Some(v) = attr(&attrs, "content").filter(usable) {
            let v = decode_entities(v);
            *slot = Some(if image { v } else { one_line(&v) });
        }
    }
    PageMeta {
        image: og.or(twitter),
        title: og_title.or(twitter_title).or_else(|| title_element(html)),
        description: og_description.or(twitter_description).or(description),
    }
}

/// The text of the first `<title>` element.
fn title_element(html: &str) -> Option<String> {
    let (_, start) = start_tags_at(html, "title").next()?;
    let title = inner_html(&html[start..skip_element(html, start, "title")]);
    Some(one_line(&decode_entities(title))).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_links_found() {
        let html = r#"<html><head><link rel="stylesheet" href="/s.css"><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>"#;
        assert_eq!(alternate_feed_links(html), vec!["/feed.xml".to_string()]);
    }

    #[test]
    fn page_meta_prefers_og_image_and_skips_unusable_values() {
        let page = r#"<html><head><meta name="twitter:image" content="https://t.example/a.png">
            <meta property="og:image" content="">
            <meta property="og:image" content="https://img.example/cover.png?a=1&amp;b=2">
            <script>var s = '<meta property="og:image" content="https://evil.example/x.png">';</script>
            </head><body></body></html>"#;
        assert_eq!(page_meta(page).image.as_deref(), Some("https://img.example/cover.png?a=1&b=2"));
        let twitter_only = r#"<meta name="twitter:image:src" content="/img/t.jpg"><meta property="og:image" content="data:image/png;base64,AAAA">"#;
        assert_eq!(page_meta(twitter_only).image.as_deref(), Some("/img/t.jpg"));
        assert_eq!(page_meta("<p>no head</p>").image, None);
    }

    #[test]
    fn page_meta_proposes_a_title_and_a_description() {
        let og = r#"<head><title>Site | Post</title><meta name="description" content="plain">
            <meta property="og:title" content="  Rust &amp; 한국어
              글 "><meta property="og:description" content="요약 &lt;b&gt;"></head>"#;
        let m = page_meta(og);
        assert_eq!((m.title.as_deref(), m.description.as_deref()), (Some("Rust & 한국어 글"), Some("요약 <b>")));
        let plain = "<HTML><HEAD><TITLE>\n  제목 &#8212; 블로그\n</TITLE><meta name=description content=설명></HEAD>";
        let m = page_meta(plain);
        assert_eq!((m.title.as_deref(), m.description.as_deref()), (Some("제목 — 블로그"), Some("설명")));
        let none = page_meta("<p>no head</p><meta property=og:title content=' '>");
        assert_eq!((none.title, none.description), (None, None));
    }
}
