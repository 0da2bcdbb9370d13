//! Feeds out: the posts a reader sees, as RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//!
//! Every text goes through one escaper that also drops the characters XML 1.0 forbids (a control
//! character in a title would make the whole document unreadable to strict readers).

use moa_store::Post;
use serde::Serialize;

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct Channel {
    pub title: String,
    pub description: String,
    /// The page the feed mirrors (absolute).
    pub site_url: String,
    /// The feed's own address (absolute).
    pub self_url: String,
    pub language: &'static str,
}

/// Text for XML content and attribute values: escaped, XML-forbidden characters removed.
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    push_xml(&mut out, s);
    out
}

/// [`xml_text`], written onto the end of `out` (feeds are built in one buffer, without a string per field).
fn push_xml(out: &mut String, s: &str) {
    push_escaped(out, s, Markup::Xml);
}

/// RSS 2.0 readers take `<title>` and `<description>` as HTML, so text goes in HTML-escaped (then
/// XML-escaped): `<script>` in a title reads back as those characters, never as markup. One pass, onto
/// the end of `out`.
fn push_rss(out: &mut String, s: &str) {
    push_escaped(out, s, Markup::RssHtml);
}

/// What a text is escaped for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Markup {
    /// XML: markup characters as entities; control characters and U+FFFE/U+FFFF, which XML 1.0 forbids,
    /// left out.
    Xml,
    /// HTML carried in XML: `&`, `<` and `>` escaped twice.
    RssHtml,
}

/// Escapes `s` onto `out`, copying the runs between the characters that change as whole slices: a feed
/// is mostly text that needs nothing, and a push per character was a tenth of `/feed.xml`'s time.
fn push_escaped(out: &mut String, s: &str, markup: Markup) {
    let bytes = s.as_bytes();
    let html = markup == Markup::RssHtml;
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let (replacement, width) = match bytes[i] {
            b'&' => (if html { "&amp;amp;" } else { "&amp;" }, 1),
            b'<' => (if html { "&amp;lt;" } else { "&lt;" }, 1),
            b'>' => (if html { "&amp;gt;" } else { "&gt;" }, 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            0..0x20 => ("", 1),
            // U+FFFE and U+FFFF: EF BF BE and EF BF BF.
            0xef if bytes.get(i + 1) == Some(&0xbf) && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)) => ("", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        // Each cut falls before an ASCII byte or a three-byte character's first byte: a character boundary.
        out.push_str(&s[run..i]);
        out.push_str(replacement);
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
}

/// The same text as in the XML feeds: control characters are noise in a title or summary.
fn without_controls(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')).collect()
}

fn rfc2822(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc2822).ok())
        .unwrap_or_default()
}

fn rfc3339(ts: i64) -> String {
    moa_feed::format_rfc3339(ts)
}

/// This site's origin, from the feed's own address.
fn origin(channel: &Channel) -> String {
    url::Url::parse(&channel.self_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
}

/// A post's permanent id in feeds: moa's own, so it stays when the original URL changes, and the same in
/// every feed that lists the post (all posts, its company, a tag, a search).
fn post_id(channel: &Channel, p: &Post) -> String {
    let origin = origin(channel);
    format!("{origin}/posts/{}", p.id)
}

fn newest(posts: &[Post]) -> i64 {
    posts.iter().map(|p| p.sort_at).max().unwrap_or(0)
}

/// An element of text: `<name>`, the text as `push` writes it, `</name>` and a line break.
fn push_element(out: &mut String, name: &str, text: &str, push: fn(&mut String, &str)) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// What every RSS channel of moa's says about itself.
fn rss_channel_head(x: &mut String, channel: &Channel) {
    push_element(x, "title", &channel.title, push_rss);
    push_element(x, "link", &channel.site_url, push_xml);
    push_element(x, "description", &channel.description, push_rss);
    push_element(x, "language", channel.language, push_xml);
    x.push_str("<atom:link href=\"");
    push_xml(x, &channel.self_url);
    x.push_str("\" rel=\"self\" type=\"application/rss+xml\"/>\n");
}

pub fn rss(channel: &Channel, posts: &[Post]) -> String {
    let mut x = String::with_capacity(1024 + posts.len() * 1536);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n");
    rss_channel_head(&mut x, channel);
    if !posts.is_empty() {
        push_element(&mut x, "lastBuildDate", &rfc2822(newest(posts)), push_xml);
    }
    let origin = origin(channel);
    for p in posts {
        x.push_str("<item>\n");
        push_element(&mut x, "title", &p.title, push_rss);
        if let Some(url) = &p.url {
            push_element(&mut x, "link", url, push_xml);
        }
        x.push_str("<guid isPermaLink=\"false\">");
        push_xml(&mut x, &origin);
        x.push_str(&format!("/posts/{}</guid>\n", p.id));
        push_element(&mut x, "pubDate", &rfc2822(p.sort_at), push_xml);
        push_element(&mut x, "dc:creator", &creator(p), push_xml);
        x.push_str("<source url=\"");
        push_xml(&mut x, &channel.self_url);
        x.push_str("\">");
        push_xml(&mut x, &p.source_name_ko);
        x.push_str("</source>\n");
        for c in &p.categories {
            push_element(&mut x, "category", c, push_xml);
        }
        if let Some(s) = &p.summary {
            push_element(&mut x, "description", s, push_rss);
        }
        if let Some(t) = &p.thumbnail {
            x.push_str("<media:thumbnail url=\"");
            push_xml(&mut x, t);
            x.push_str("\"/>\n");
        }
        x.push_str("</item>\n");
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

/// The curator's picks as RSS 2.0: the picked link, the commentary as HTML (escaped into the XML).
pub fn scraps_rss(channel: &Channel, scraps: &[moa_store::Scrap], html: impl Fn(&str) -> String) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n");
    rss_channel_head(&mut x, channel);
    let origin = origin(channel);
    for s in scraps {
        x.push_str("<item>\n");
        push_element(&mut x, "title", &s.title, push_rss);
        x.push_str(&format!("<link>{}</link>\n", xml_text(&s.url)));
        x.push_str(&format!("<guid isPermaLink=\"false\">{origin}/scraps/{}</guid>\n", s.id));
        x.push_str(&format!("<pubDate>{}</pubDate>\n", rfc2822(s.created_at)));
        x.push_str(&format!("<category>{}</category>\n", xml_text(&s.section)));
        if !s.commentary.trim().is_empty() {
            x.push_str(&format!("<description>{}</description>\n", xml_text(&html(&s.commentary))));
        }
        x.push_str("</item>\n");
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

/// The company, and the author when the feed named one.
fn creator(p: &Post) -> String {
    match &p.author {
        Some(a) if !a.is_empty() => format!("{} ({})", a, p.source_name_ko),
        _ => p.source_name_ko.clone(),
    }
}

pub fn atom(channel: &Channel, posts: &[Post]) -> String {
    let mut x = String::with_capacity(1024 + posts.len() * 768);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\" xml:lang=\"{}\">\n",
        channel.language
    ));
    x.push_str(&format!("<title>{}</title>\n", xml_text(&channel.title)));
    x.push_str(&format!("<subtitle>{}</subtitle>\n", xml_text(&channel.description)));
    x.push_str(&format!("<id>{}</id>\n", xml_text(&channel.self_url)));
    x.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml_text(&channel.site_url)));
    x.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_text(&channel.self_url)
    ));
    x.push_str(&format!("<updated>{}</updated>\n", rfc3339(newest(posts))));
    x.push_str("<generator>moa</generator>\n");
    for p in posts {
        x.push_str("<entry>\n");
        x.push_str(&format!("<title type=\"text\">{}</title>\n", xml_text(&p.title)));
        x.push_str(&format!("<id>{}</id>\n", xml_text(&post_id(channel, p))));
        if let Some(url) = &p.url {
            x.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml_text(url)));
        }
        if let Some(published) = p.published_at {
            x.push_str(&format!("<published>{}</published>\n", rfc3339(published)));
        }
        x.push_str(&format!("<updated>{}</updated>\n", rfc3339(p.sort_at)));
        x.push_str(&format!("<author><name>{}</name></author>\n", xml_text(&creator(p))));
        for c in &p.categories {
            x.push_str(&format!("<category term=\"{}\"/>\n", xml_text(c)));
        }
        if let Some(s) = &p.summary {
            x.push_str(&format!("<summary type=\"text\">{}</summary>\n", xml_text(s)));
        }
        if let Some(t) = &p.thumbnail {
            x.push_str(&format!("<media:thumbnail url=\"{}\"/>\n", xml_text(t)));
        }
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'static str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    /// JSON Feed requires content_html or content_text: the summary, or the title when there is none.
    content_text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

pub fn json_feed(channel: &Channel, posts: &[Post]) -> String {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &channel.title,
        home_page_url: &channel.site_url,
        feed_url: &channel.self_url,
        description: &channel.description,
        language: channel.language,
        items: posts
            .iter()
            .map(|p| JsonItem {
                id: post_id(channel, p),
                url: p.url.as_deref(),
                title: without_controls(&p.title),
                summary: p.summary.as_deref().map(without_controls),
                content_text: without_controls(p.summary.as_deref().unwrap_or(&p.title)),
                image: p.thumbnail.as_deref(),
                date_published: rfc3339(p.sort_at),
                authors: vec![JsonAuthor { name: creator(p) }],
                tags: &p.categories,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

/// The sources as OPML 2.0, for importing into a feed reader.
pub fn opml(title: &str, sources: &[moa_store::SourceRow]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head>\n");
    x.push_str(&format!("<title>{}</title>\n</head>\n<body>\n", xml_text(title)));
    for s in sources.iter().filter(|s| s.enabled) {
        x.push_str(&format!(
            "<outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{feed}\" htmlUrl=\"{home}\"/>\n",
            name = xml_text(&s.spec.name_ko),
            feed = xml_text(s.fetch_url()),
            home = xml_text(&s.spec.homepage),
        ));
    }
    x.push_str("</body>\n</opml>\n");
    x
}

/// A sitemap of the site's pages: home, the directory, then each company's page with its last post date.
pub fn sitemap(base: &str, sources: &[moa_store::SourceRow]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let newest = sources.iter().filter_map(|s| s.last_post_at).max();
    let url = |x: &mut String, loc: &str, lastmod: Option<i64>| {
        x.push_str(&format!("<url><loc>{}</loc>", xml_text(loc)));
        if let Some(t) = lastmod {
            x.push_str(&format!("<lastmod>{}</lastmod>", rfc3339(t)));
        }
        x.push_str("</url>\n");
    };
    url(&mut x, &format!("{base}/"), newest);
    url(&mut x, &format!("{base}/companies"), newest);
    for s in sources.iter().filter(|s| s.post_count > 0) {
        url(&mut x, &format!("{base}/company/{}", s.spec.id), s.last_post_at);
    }
    x.push_str("</urlset>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaping as first written, a character at a time: what the slice-copying one must equal.
    fn escaped_per_char(s: &str, markup: Markup) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match (c, markup) {
                ('&', Markup::RssHtml) => out.push_str("&amp;amp;"),
                ('<', Markup::RssHtml) => out.push_str("&amp;lt;"),
                ('>', Markup::RssHtml) => out.push_str("&amp;gt;"),
                ('&', _) => out.push_str("&amp;"),
                ('<', _) => out.push_str("&lt;"),
                ('>', _) => out.push_str("&gt;"),
                ('"', _) => out.push_str("&quot;"),
                ('\'', _) => out.push_str("&apos;"),
                ('\t' | '\n' | '\r', _) => out.push(c),
                (c, _) if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
                (c, _) => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn escaping_by_slices_equals_escaping_by_characters(
            s in "([&<>\"'\t\n\r\u{0}-\u{1f}\u{fffd}\u{fffe}\u{ffff}\u{10000}가-힣a-z ]|\\PC){0,40}"
        ) {
            for markup in [Markup::Xml, Markup::RssHtml] {
                let mut out = String::from("head");
                push_escaped(&mut out, &s, markup);
                proptest::prop_assert_eq!(&out[4..], escaped_per_char(&s, markup));
            }
        }
    }

    fn post(id: i64, title: &str, summary: &str) -> Post {
        Post {
            id,
            source_id: "toss".into(),
            source_name_ko: "토스 & 친구들".into(),
            source_name_en: "Toss".into(),
            entry_id: format!("e{id}"),
            url: Some(format!("https://toss.tech/article/{id}?a=1&b=2")),
            title: title.into(),
            summary: Some(summary.into()),
            author: Some("김개발".into()),
            thumbnail: Some("https://static.toss.im/a.png?w=1&h=2".into()),
            categories: vec!["Backend".into(), "C++ & Rust".into()],
            category_labels: Default::default(),
            topics: vec![],
            published_at: Some(1_764_460_800 - id * 3600),
            sort_at: 1_764_460_800 - id * 3600,
            clicks: 0,
        }
    }

    fn channel() -> Channel {
        Channel {
            title: "기술 블로그 모음".into(),
            description: "국내 IT 기업 기술 블로그 <새 글>".into(),
            site_url: "https://moa.example.kr/".into(),
            self_url: "https://moa.example.kr/feed.xml".into(),
            language: "ko",
        }
    }

    /// Titles and summaries that try to break out of their element, with characters XML forbids.
    fn hostile() -> Vec<Post> {
        vec![
            post(1, "<script>alert(1)</script> & \"따옴표\" 'apos'", "<img src=x onerror=alert(1)> ]]> 끝"),
            post(2, "제어\u{1}문자\u{b}가 든 제목", "javascript:alert(1) 요약\u{0}"),
            post(3, "평범한 제목", "평범한 요약입니다."),
        ]
    }

    #[test]
    fn every_format_reads_back_the_same_posts() {
        let posts = hostile();
        for (name, doc) in [
            ("rss", rss(&channel(), &posts)),
            ("atom", atom(&channel(), &posts)),
            ("json", json_feed(&channel(), &posts)),
        ] {
            let feed = moa_feed::parse(doc.as_bytes(), &moa_feed::ParseOptions::default())
                .unwrap_or_else(|e| panic!("{name}: {e}\n{doc}"));
            assert!(feed.warnings.is_empty(), "{name}: {:?}", feed.warnings);
            assert_eq!(feed.title.as_deref(), Some("기술 블로그 모음"), "{name}");
            assert_eq!(feed.entries.len(), 3, "{name}");
            let first = &feed.entries[0];
            assert_eq!(first.title, "<script>alert(1)</script> & \"따옴표\" 'apos'", "{name}");
            assert_eq!(first.summary.as_deref(), Some("<img src=x onerror=alert(1)> ]]> 끝"), "{name}");
            assert_eq!(first.link.as_deref(), Some("https://toss.tech/article/1?a=1&b=2"), "{name}");
            assert_eq!(first.published.map(|t| t.0), Some(1_764_460_800 - 3600), "{name}");
            assert_eq!(first.thumbnail.as_deref(), Some("https://static.toss.im/a.png?w=1&h=2"), "{name}");
            assert_eq!(first.categories, ["Backend", "C++ & Rust"], "{name}");
            assert_eq!(first.id, "https://moa.example.kr/posts/1", "{name}");
            assert_eq!(feed.entries[1].title, "제어문자가 든 제목", "{name}: forbidden characters dropped");
        }
    }

    #[test]
    fn xml_is_well_formed_for_a_strict_reader() {
        for doc in [rss(&channel(), &hostile()), atom(&channel(), &hostile())] {
            let mut reader = quick_xml::Reader::from_str(&doc);
            reader.config_mut().check_end_names = true;
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("not well-formed at {}: {e}\n{doc}", reader.buffer_position()),
                }
            }
            assert!(!doc.contains('\u{1}') && !doc.contains('\u{0}'));
        }
    }
}
