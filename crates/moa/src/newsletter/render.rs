//! The newsletter "월간 기술 스크랩 YY/MM" written out: a Hugo post with fixed front matter and five fixed
//! sections of `### [Title](URL)` items with commentary, byte-exact; and commentary as HTML for moa's pages.
//! Pure: a typed post in, text out.

use crate::newsletter::post::{Post, Section, front_matter_date};

/// Text taken from a fetched page, made inert in Markdown: the characters that start markup (links,
/// images, emphasis, code, raw HTML, entities, headings) are escaped, so it reads as written.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '!' | '#' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The post, byte for byte in the newsletter format. A stored date that is not one (written before dates
/// were checked) gives way to the month's default.
pub fn render(post: &Post) -> String {
    let Post { month, settings, items } = post;
    let description = month.description();
    let default_date = month.default_date();
    let mut out = format!(
        "---\ndate: \"{}\"\ntitle: {}\ncategories:\n- Newsletter\ndescription: {description}\nsummary: {description}\ndraft: {}\n",
        front_matter_date(&settings.date).unwrap_or(&default_date),
        month.title(),
        settings.draft
    );
    if let Some(hidden) = settings.hidden_from_homepage {
        out.push_str(&format!("hiddenfromhomepage: {hidden}\n"));
    }
    out.push_str("---\n");
    for section in Section::ALL {
        let mut of_section = items.iter().filter(|i| i.section == section).peekable();
        if of_section.peek().is_none() {
            out.push_str(&format!("\n<!-- {} -->\n", section.heading()));
            continue;
        }
        out.push_str(&format!("\n{}\n", section.heading()));
        for item in of_section {
            out.push_str(&format!("\n### {}\n", link(&item.title, &item.url)));
            let commentary = trim_blank_lines(&item.commentary);
            if !commentary.is_empty() {
                out.push('\n');
                out.push_str(commentary);
                out.push('\n');
            }
        }
    }
    out
}

/// `[Title](URL)`, valid Markdown whatever the title's brackets or the URL's parentheses and spaces.
pub fn link(title: &str, url: &str) -> String {
    format!("[{}]({})", escape_link_text(title), destination(url))
}

/// Brackets, angle brackets and backslashes escaped, except inside code spans, where escapes do not apply (and where
/// CommonMark's code spans bind tighter than the link's brackets anyway).
fn escape_link_text(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut rest = title;
    while !rest.is_empty() {
        if let Some(span) = code_span_at(rest) {
            out.push_str(&rest[..span]);
            rest = &rest[span..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        // Angle brackets too: a title (often a fetched page's) must not be raw HTML in the post.
        if matches!(c, '[' | ']' | '\\' | '<' | '>') || (c == '`') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The byte length of a complete code span starting at `s`, if one does.
pub(crate) fn code_span_at(s: &str) -> Option<usize> {
    let run = s.bytes().take_while(|b| *b == b'`').count();
    if run == 0 {
        return None;
    }
    let fence = &s[..run];
    let mut at = run;
    while let Some(found) = s[at..].find(fence) {
        let start = at + found;
        let end = start + run;
        // A closing run must be exactly as long.
        if s.as_bytes().get(end) != Some(&b'`') && (start == 0 || s.as_bytes()[start - 1] != b'`') {
            return Some(end);
        }
        at = end + s[end..].bytes().take_while(|b| *b == b'`').count();
    }
    None
}

/// A link destination: bare when it can be, else in angle brackets (spaces, unbalanced parentheses).
fn destination(url: &str) -> String {
    let mut depth = 0i32;
    let mut balanced = true;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                balanced &= depth >= 0;
            }
            _ => {}
        }
    }
    let bare = balanced
        && depth == 0
        && !url.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '\\'));
    if bare {
        return url.to_string();
    }
    let mut out = String::from("<");
    for c in url.chars() {
        if matches!(c, '<' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('>');
    out
}

pub(crate) fn trim_blank_lines(s: &str) -> &str {
    let start = s.split_inclusive('\n').take_while(|l| l.trim().is_empty()).map(str::len).sum::<usize>();
    let s = &s[start..];
    let mut end = s.len();
    for line in s.split_inclusive('\n').collect::<Vec<_>>().into_iter().rev() {
        if line.trim().is_empty() {
            end -= line.len();
        } else {
            break;
        }
    }
    s[..end].trim_end_matches('\n')
}

/// Commentary as HTML for moa's own pages and feeds: CommonMark with footnotes and tables, raw HTML shown
/// as text, links to anything but http(s), mailto or a relative address dropped to their text, and
/// images turned into links to them (a reader's browser loads nothing from hosts the curator named).
pub fn commentary_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_FOOTNOTES | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let safe = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains(['/', '?', '#']));
        matches!(scheme, None | Some("http" | "https" | "mailto"))
    };
    let mut dropped_links = 0usize;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Link { ref dest_url, .. }) if !safe(dest_url) => {
            dropped_links += 1;
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !safe(dest_url) => {
            dropped_links += 1;
            None
        }
        Event::End(TagEnd::Link | TagEnd::Image) if dropped_links > 0 => {
            dropped_links -= 1;
            None
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
        }
        Event::End(TagEnd::Image) => Some(Event::End(TagEnd::Link)),
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}
