//! When an article page says it was published: for a post whose feed gives no date. Machine-readable
//! statements first — `article:published_time`, JSON-LD `datePublished`, `itemprop="datePublished"`, a
//! `<time datetime>` — then the date a reader sees in the post's header (`Posted by Yun on 2017-05-05`,
//! `<div class="post-date">09 April 2022</div>`), and `og:updated_time` as a last resort.
//!
//! A page that lists other posts (an archive, a sidebar of recent posts) holds many dates: a plain
//! `<time>` counts only when the page has few of them, and a visible date only in the post's own meta
//! line, the first one of the page.

use crate::html::{Markup, attr, inner_html, parse_attrs, read_markup, skip_element, start_tags, start_tags_at};
use crate::parse_date;

/// More `<time>` elements than this make a page a list of posts, not one post.
const MAX_TIME_ELEMENTS_OF_A_POST: usize = 2;
/// How far into an element a visible date is looked for.
const VISIBLE_DATE_WINDOW_CHARS: usize = 160;

/// The publication time the page states, in Unix seconds; a date without a zone is read at
/// `default_offset` seconds from UTC.
pub fn page_published(html: &str, default_offset: i32) -> Option<i64> {
    let read = |s: &str| parse_date(s, default_offset);
    let (mut published_meta, mut itemprop_meta, mut updated_meta) = (None, None, None);
    for attrs in start_tags(html, "meta") {
        let key = attr(&attrs, "property").or_else(|| attr(&attrs, "name")).unwrap_or("").to_ascii_lowercase();
        let slot = match key.as_str() {
            "article:published_time" | "og:published_time" | "datepublished" => &mut published_meta,
            "og:updated_time" | "article:modified_time" => &mut updated_meta,
            _ if marked_published(&attrs) => &mut itemprop_meta,
            _ => continue,
        };
        if slot.is_none() {
            *slot = attr(&attrs, "content").and_then(read);
        }
    }
    published_meta
        .or_else(|| json_ld_date_published(html).and_then(|d| read(&d)))
        .or(itemprop_meta)
        .or_else(|| time_element(html, default_offset))
        .or_else(|| visible_date(html, default_offset))
        .or(updated_meta)
}

/// `"datePublished": "…"` in the page's first JSON-LD block that has one.
fn json_ld_date_published(html: &str) -> Option<String> {
    start_tags_at(html, "script")
        .filter(|(attrs, _)| attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json")))
        .find_map(|(_, start)| {
            // To the script's own end: a string in the JSON may hold `</p>`.
            let body = &html[start..skip_element(html, start, "script")];
            let at = body.find("\"datePublished\"")? + "\"datePublished\"".len();
            let value = body[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
            Some(value[..value.find('"')?].to_string())
        })
}

/// The `<time>` of a post: the first marked `itemprop="datePublished"`, else the first one with a
/// `datetime` (or a date as its text) on a page with few of them.
fn time_element(html: &str, default_offset: i32) -> Option<i64> {
    let times: Vec<(Vec<(String, String)>, usize)> = start_tags_at(html, "time").take(64).collect();
    let value = |(attrs, start): &(Vec<(String, String)>, usize)| {
        attr(attrs, "datetime").and_then(|d| parse_date(d, default_offset)).or_else(|| {
            let text = element_text(html, *start, "time");
            parse_date(&text, default_offset)
        })
    };
    if let Some(t) = times.iter().find(|(attrs, _)| marked_published(attrs)) {
        return value(t);
    }
    if times.len() > MAX_TIME_ELEMENTS_OF_A_POST {
        return None;
    }
    times.iter().find_map(value)
}

/// The date in the post's meta line, as a reader sees it: the first element whose class names a date,
/// a byline or meta information, when its text holds a date with a four-digit year. A page whose meta
/// lines hold many dates is a list of posts.
fn visible_date(html: &str, default_offset: i32) -> Option<i64> {
    const MAX_CANDIDATES: usize = 24;
    const MAX_DATES_OF_A_POST: usize = 3;
    let bytes = html.as_bytes();
    let mut i = start_tags_at(html, "body").next().map_or(0, |(_, start)| start);
    let mut dates: Vec<i64> = Vec::new();
    let mut candidates = 0;
    while let Some(p) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + p;
        match read_markup(html, at) {
            Markup::Tag { name, closing: false, attrs, end } => {
                let is = |n: &str| name.eq_ignore_ascii_case(n);
                if is("script") || is("style") {
                    i = skip_element(html, end, name);
                    continue;
                }
                if is("nav") || is("footer") {
                    i = crate::html::skip_nested(html, end, name);
                    continue;
                }
                if attrs.contains("class") {
                    let attrs = parse_attrs(attrs);
                    let class = attr(&attrs, "class").unwrap_or("").to_ascii_lowercase();
                    if ["date", "meta", "posted", "byline", "info"].iter().any(|k| class.contains(k)) {
                        candidates += 1;
                        // Only the element's own text: after it may come a footer's years.
                        let inner_end = crate::html::skip_nested(html, end, name);
                        let text = crate::html::html_to_text_prefix(&html[end..inner_end], VISIBLE_DATE_WINDOW_CHARS);
                        if let Some(t) = date_in_text(&text, default_offset)
                            && !dates.contains(&t)
                        {
                            dates.push(t);
                        }
                        if candidates >= MAX_CANDIDATES {
                            break;
                        }
                    }
                }
                i = end;
            }
            Markup::Tag { end, .. } | Markup::Other { end } => i = end,
            Markup::Text => i = at + 1,
        }
    }
    (dates.len() <= MAX_DATES_OF_A_POST).then(|| dates.first().copied()).flatten()
}

/// `itemprop="datePublished"` (among other properties).
fn marked_published(attrs: &[(String, String)]) -> bool {
    attr(attrs, "itemprop").is_some_and(|p| p.split_whitespace().any(|p| p == "datePublished"))
}

/// The text of the element whose content starts at `start`, up to its end tag.
fn element_text(html: &str, start: usize, name: &str) -> String {
    crate::html::html_to_text(inner_html(&html[start..skip_element(html, start, name)]))
}

/// A date written inside prose: the longest run of one to six words, starting at the first word that can
/// begin one, that reads as a date and names a four-digit year.
fn date_in_text(text: &str, default_offset: i32) -> Option<i64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let has_year = |s: &str| {
        s.as_bytes().windows(4).enumerate().any(|(k, w)| {
            w.iter().all(u8::is_ascii_digit)
                && (k == 0 || !s.as_bytes()[k - 1].is_ascii_digit())
                && s.as_bytes().get(k + 4).is_none_or(|b| !b.is_ascii_digit())
                && (&b"1990"[..]..=&b"2100"[..]).contains(&w)
        })
    };
    for start in 0..words.len() {
        for len in (1..=6.min(words.len() - start)).rev() {
            let candidate = words[start..start + len].join(" ");
            let candidate = candidate.trim_matches(|c: char| matches!(c, ',' | '|' | '·' | '(' | ')'));
            // A year alone (an archive's heading) is no day.
            let year_only = candidate.len() == 4;
            if has_year(candidate)
                && !year_only
                && let Some(t) = parse_date(candidate, default_offset)
            {
                return Some(t);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KST_OFFSET_SECONDS, format_rfc3339};

    fn at(html: &str) -> Option<String> {
        page_published(html, KST_OFFSET_SECONDS).map(format_rfc3339)
    }

    #[test]
    fn json_ld_is_read_to_its_scripts_end_and_the_body_found_in_any_case() {
        let ld = r#"<script type="application/ld+json">{"articleBody":"<p>첫 문단</p>","datePublished":"2022-05-01"}</script>"#;
        assert_eq!(at(ld).as_deref(), Some("2022-04-30T15:00:00Z"));
        // Dates in a nested navigation menu are the site's, not the post's.
        let page = r#"<HEAD><title>글</title></HEAD><BODY><nav><div class="menu"><nav><span class="date">2020-01-01</span></nav>
            <span class="date">2020-02-02</span></div></nav><div class="post-meta">2022년 5월 1일</div></BODY>"#;
        assert_eq!(at(page).as_deref(), Some("2022-04-30T15:00:00Z"));
    }

    #[test]
    fn machine_readable_statements_in_order() {
        let page = r#"<head><meta property="og:updated_time" content="2024-03-01T00:00:00Z">
            <meta property="article:published_time" content="2024-02-14T17:44:19&#43;09:00"></head>"#;
        assert_eq!(at(page).as_deref(), Some("2024-02-14T08:44:19Z"));
        let ld = r#"<script type="application/ld+json">{"@type":"BlogPosting","datePublished": "2021-03-25T15:00:00.000Z"}</script>"#;
        assert_eq!(at(ld).as_deref(), Some("2021-03-25T15:00:00Z"));
        let itemprop = r#"<meta itemprop="datePublished" content="2018-12-03T00:00:00+00:00">"#;
        assert_eq!(at(itemprop).as_deref(), Some("2018-12-03T00:00:00Z"));
        assert_eq!(
            at(r#"<meta property="og:updated_time" content="2024-03-01T00:00:00Z">"#).as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert_eq!(at("<p>no date at all</p>"), None);
    }

    #[test]
    fn time_elements_of_a_post_not_of_a_list() {
        assert_eq!(
            at(r#"<time datetime="2019.12.07">Posted on 2019.12.07</time>"#).as_deref(),
            Some("2019-12-06T15:00:00Z")
        );
        let sidebar = r#"<time itemprop="datePublished" datetime="2017-04-21T10:18:49.000Z">a</time>
            <time itemprop="datePublished" datetime="2020-01-01T00:00:00Z">b</time>"#;
        assert_eq!(at(sidebar).as_deref(), Some("2017-04-21T10:18:49Z"), "the first marked one is the article's");
        let archive: String = (1..=9).map(|d| format!("<time datetime=\"2024-02-0{d}\">{d}</time>")).collect();
        assert_eq!(at(&archive), None, "an archive's dates are its posts'");
        assert_eq!(at("<time>2019년 12월 19일 21시 32분</time>").as_deref(), Some("2019-12-19T12:32:00Z"));
        assert_eq!(at("<time>2019년 12월 19일</time>").as_deref(), Some("2019-12-18T15:00:00Z"));
    }

    #[test]
    fn the_date_a_reader_sees_in_the_meta_line() {
        let hexo = "<body><h1>Loopback</h1><span class=\"meta\">\n  Posted by Yun on\n  2017-05-05\n</span></body>";
        assert_eq!(at(hexo).as_deref(), Some("2017-05-04T15:00:00Z"));
        let hugo = "<body><div class='post-date'><span>09 April 2022</span></div></body>";
        assert_eq!(at(hugo).as_deref(), Some("2022-04-08T15:00:00Z"));
        let gatsby = "<body><div class=\"info\"><div class=\"author\">posted by <strong>서코코</strong>,</div> 2023년 1월 6일</div></body>";
        assert_eq!(at(gatsby).as_deref(), Some("2023-01-05T15:00:00Z"));
        let nav = "<body><nav class=\"meta\">2019-01-01</nav><p class=\"post-info\">v2 docs</p></body>";
        assert_eq!(at(nav), None, "navigation is not the post's meta line");
        let list: String = (1..=6).map(|d| format!("<div class=\"post-date\">2024-02-0{d}</div>")).collect();
        assert_eq!(at(&format!("<body>{list}</body>")), None, "a list of posts' dates");
    }
}
