//! HTML fragments from feeds to plain text (all of it, or its prose only), and the tag reader the other
//! modules that read HTML use (`image`, `page`, `page_date`).
//!
//! Hand-written rather than lol_html: lol_html hands text chunks back still entity-encoded and needs an
//! end-tag handler registered per element to see block boundaries, and a summary needs exactly two
//! things from the markup — where blocks end and what the entities mean. This scanner never fails, reads
//! each byte a bounded number of times, and can be fuzzed alone.

use std::sync::LazyLock;

pub(crate) use crate::charref::decode_entities;
pub(crate) use crate::charref::{Resolved, c1_as_windows_1252, decode_entity, resolve_reference};

enum TagClass {
    Block,
    Cell,
    /// Holds the lowercase name, for finding the end tag.
    Skipped(&'static str),
    Inline,
}

/// What a tag means for text, without allocating: one `match` on the lowercased name rather than a scan
/// of the lists (an inline `<a>` was compared with all of them). A test keeps it equal to the lists.
fn classify_tag(name: &str) -> TagClass {
    let mut buf = [0u8; 10];
    if name.len() > buf.len() {
        return TagClass::Inline;
    }
    buf[..name.len()].copy_from_slice(name.as_bytes());
    buf[..name.len()].make_ascii_lowercase();
    match &buf[..name.len()] {
        b"p" | b"br" | b"li" | b"div" | b"ul" | b"ol" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"tr"
        | b"hr" | b"dd" | b"dt" | b"dl" | b"pre" | b"nav" | b"main" | b"form" | b"table" | b"tbody" | b"thead"
        | b"tfoot" | b"aside" | b"figure" | b"header" | b"footer" | b"section" | b"article" | b"address"
        | b"details" | b"summary" | b"blockquote" | b"figcaption" => TagClass::Block,
        b"td" | b"th" | b"caption" | b"option" => TagClass::Cell,
        b"script" => TagClass::Skipped("script"),
        b"style" => TagClass::Skipped("style"),
        b"noscript" => TagClass::Skipped("noscript"),
        b"template" => TagClass::Skipped("template"),
        b"head" => TagClass::Skipped("head"),
        b"title" => TagClass::Skipped("title"),
        b"svg" => TagClass::Skipped("svg"),
        b"math" => TagClass::Skipped("math"),
        b"iframe" => TagClass::Skipped("iframe"),
        b"object" => TagClass::Skipped("object"),
        b"button" => TagClass::Skipped("button"),
        b"select" => TagClass::Skipped("select"),
        b"textarea" => TagClass::Skipped("textarea"),
        _ => TagClass::Inline,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Gap {
    None,
    Space,
    Line,
}

struct TextSink {
    out: String,
    gap: Gap,
    /// Visible characters written (separators not counted), and how many are wanted.
    chars: usize,
    limit: usize,
}

impl TextSink {
    fn gap(&mut self, g: Gap) {
        if g == Gap::Line || self.gap == Gap::None {
            self.gap = g;
        }
    }

    fn push_char(&mut self, c: char) {
        // A C1 control in text is a Windows-1252 character that was decoded as Latin-1 (`’` as U+0092).
        let c = match u32::from(c) {
            code @ 0x80..=0x9F => char::from_u32(c1_as_windows_1252(code)).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() || c == '\u{a0}' {
            self.gap(Gap::Space);
        } else if is_ordinary(c) {
            self.start_text();
            self.out.push(c);
            self.chars += 1;
        }
    }

    /// Writes the separator the pending gap calls for, before visible text.
    fn start_text(&mut self) {
        if !self.out.is_empty() {
            match self.gap {
                Gap::Line => self.out.push('\n'),
                Gap::Space => self.out.push(' '),
                Gap::None => {}
            }
        }
        self.gap = Gap::None;
    }

    fn full(&self) -> bool {
        self.chars >= self.limit
    }

    /// Copies runs of ordinary characters whole; only separators and invisible characters go one by one.
    fn push_str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && !self.full() {
            let wanted = self.limit - self.chars;
            let (start, mut chars) = (i, 0);
            while i < bytes.len() && chars < wanted {
                if wanted - chars >= 8
                    && let Some(spaces) = bytes.get(i..i + 8).and_then(|w| plain_ascii_spaces(w, i > start))
                {
                    i += 8;
                    chars += 8 - spaces;
                    continue;
                }
                let width = match bytes[i] {
                    // A single space between words is what the sink would write anyway: it stays in the
                    // run, uncounted, when an ordinary character follows it.
                    b' ' if i > start => match bytes.get(i + 1) {
                        Some(&next) if (0x21..0x7f).contains(&next) || (next >= 0x80 && !may_be_unusual(next)) => {
                            i += 1;
                            continue;
                        }
                        _ => 0,
                    },
                    b if b < 0x80 => usize::from(b > b' ' && b != 0x7f),
                    // Lead bytes of every non-ASCII space, control and invisible character: look closer.
                    b if may_be_unusual(b) => match s[i..].chars().next() {
                        Some(c) if is_ordinary(c) => c.len_utf8(),
                        _ => 0,
                    },
                    b if b >= 0xf0 => 4,
                    b if b >= 0xe0 => 3,
                    _ => 2,
                };
                if width == 0 {
                    break;
                }
                i += width;
                chars += 1;
            }
            if i == start {
                let Some(c) = s[i..].chars().next() else { return };
                self.push_char(c);
                i += c.len_utf8();
                continue;
            }
            self.start_text();
            self.out.push_str(&s[start..i]);
            self.chars += chars;
        }
    }
}

/// Eight bytes of ASCII words the sink copies as they are: graphic characters and single spaces between
/// them (one may lead only when `space_may_lead`). Gives the number of spaces, which are not counted.
/// Read eight at a time: English prose is the bulk of many feeds.
fn plain_ascii_spaces(window: &[u8], space_may_lead: bool) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = u64::from_le_bytes(window.try_into().ok()?);
    if x & HIGH != 0 {
        return None;
    }
    // The high bit of each byte: set where the byte is not zero.
    let nonzero = |v: u64| (((v & LOW7) + LOW7) | v) & HIGH;
    let at_least_0x21 = (x + 0x5f5f_5f5f_5f5f_5f5f) & HIGH;
    let graphic = at_least_0x21 & nonzero(x ^ LOW7);
    let space = !nonzero(x ^ 0x2020_2020_2020_2020) & HIGH;
    let first_ok = graphic & 0x80 != 0 || space_may_lead;
    // Every byte a graphic or a space, no two spaces side by side, and a graphic last (after a space).
    let ok = graphic | space == HIGH && space & (space << 8) == 0 && graphic >> 56 != 0 && first_ok;
    ok.then(|| space.count_ones() as usize)
}

/// Lead bytes of every non-ASCII space, control and invisible character.
fn may_be_unusual(lead: u8) -> bool {
    matches!(lead, 0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef)
}

/// A character [`TextSink::push_char`] would write as it is: not whitespace, control or invisible (control
/// and zero-width characters carry no text; U+FFFD from a broken encoding does not either).
fn is_ordinary(c: char) -> bool {
    if c.is_ascii() {
        return c > ' ' && c != '\x7f';
    }
    // Hangul syllables, the bulk of moa's text, skip the Unicode tables.
    ('\u{ac00}'..='\u{d7a3}').contains(&c)
        || !(c.is_whitespace()
            || c.is_control()
            || matches!(c, '\u{a0}' | '\u{200b}' | '\u{feff}' | '\u{fffd}' | '\u{200e}' | '\u{200f}'))
}

/// Plain text of an HTML fragment: blocks become lines, runs of whitespace one space, entities decoded,
/// scripts, styles and images dropped.
pub fn html_to_text(html: &str) -> String {
    html_to_text_prefix(html, usize::MAX)
}

/// The first `max_chars` characters (or a few more) of [`html_to_text`], reading no further into the
/// HTML than that needs: a 200-character summary of a 100 KB article costs a few hundred bytes of work.
pub fn html_to_text_prefix(html: &str, max_chars: usize) -> String {
    text_prefix(html, max_chars, false)
}

/// [`html_to_text_prefix`] of the prose only: code blocks (`<pre>`, a `<code>` longer than a few words),
/// tables and math markup (MathJax, KaTeX) are left out, as a summary should.
pub fn prose_text_prefix(html: &str, max_chars: usize) -> String {
    text_prefix(html, max_chars, true)
}

/// How far the prose reader may look ahead in all (to where a code block, table or math ends), as a multiple
/// of the text's length: each element is looked through about once, so real text needs about 1×; markup
/// built to make it look ahead again and again (code that never closes) finds the rest read as prose.
const PROSE_LOOKAHEAD_PER_BYTE: usize = 4;

fn text_prefix(html: &str, max_chars: usize, prose: bool) -> String {
    let capacity = html.len().min(max_chars.saturating_mul(4)).min(1 << 16);
    let mut sink = TextSink { out: String::with_capacity(capacity), gap: Gap::None, chars: 0, limit: max_chars };
    let mut lookahead = if prose { html.len().saturating_mul(PROSE_LOOKAHEAD_PER_BYTE) } else { 0 };
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() && !sink.full() {
        match bytes[i] {
            b'<' if is_cut_off_tag(&html[i..]) => break,
            b'<' => match read_markup(html, i) {
                Markup::Tag { name, closing, end, attrs } => {
                    if prose
                        && !closing
                        && let Some(after) = not_prose(html, name, attrs, end, &mut lookahead)
                    {
                        sink.gap(Gap::Line);
                        i = after;
                        continue;
                    }
                    match classify_tag(name) {
                        TagClass::Skipped(lname) if !closing => {
                            i = skip_element(html, end, lname);
                            continue;
                        }
                        TagClass::Block => sink.gap(Gap::Line),
                        TagClass::Cell => sink.gap(Gap::Space),
                        _ => {}
                    }
                    i = end;
                }
                Markup::Other { end } => i = end,
                Markup::Text => {
                    sink.push_char('<');
                    i += 1;
                }
            },
            b'&' => {
                let (decoded, next) = decode_entity(html, i);
                match decoded {
                    Some(Resolved::Char(c)) => sink.push_char(c),
                    Some(Resolved::Str(s)) => sink.push_str(s),
                    None => sink.push_char('&'),
                }
                i = next;
            }
            _ => {
                // Copy the run of plain text up to the next markup character in one go.
                let run_end = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(html.len(), |p| i + p);
                sink.push_str(&html[i..run_end]);
                i = run_end;
            }
        }
    }
    sink.out
}

/// Plain text read the way [`html_to_text_prefix`] reads HTML, so both give the same shape: lines kept,
/// other whitespace collapsed to single spaces, control and invisible characters dropped.
pub(crate) fn plain_to_text_prefix(text: &str, max_chars: usize) -> String {
    let capacity = text.len().min(max_chars.saturating_mul(4)).min(1 << 16);
    let mut sink = TextSink { out: String::with_capacity(capacity), gap: Gap::None, chars: 0, limit: max_chars };
    for (k, line) in text.split('\n').enumerate() {
        if sink.full() {
            break;
        }
        if k > 0 {
            sink.gap(Gap::Line);
        }
        // Publishers escape HTML entities into plain-text fields (`&amp;`, `&#8217;`): decoded, as a
        // reader would expect; a bare `&` stays.
        let mut rest = line;
        while let Some(p) = memchr::memchr(b'&', rest.as_bytes()) {
            sink.push_str(&rest[..p]);
            let (decoded, next) = decode_entity(rest, p);
            match decoded {
                Some(Resolved::Char(c)) => sink.push_char(c),
                Some(Resolved::Str(s)) => sink.push_str(s),
                None => sink.push_char('&'),
            }
            rest = &rest[next..];
        }
        sink.push_str(rest);
    }
    sink.out
}

/// Whether `rest` (starting with `<`) is a tag cut off by the end of an excerpt (`…<a href="`, `…</`):
/// a tag's start with no `>` after it, short enough to be a tag rather than prose with a `<` in it.
fn is_cut_off_tag(rest: &str) -> bool {
    let starts_tag = match rest.as_bytes().get(1) {
        Some(b'/') => true,
        Some(b) => b.is_ascii_alphabetic(),
        None => false,
    };
    starts_tag && rest.len() <= 256 && memchr::memchr(b'>', rest.as_bytes()).is_none()
}

pub(crate) enum Markup<'a> {
    Tag {
        name: &'a str,
        closing: bool,
        attrs: &'a str,
        end: usize,
    },
    /// A comment, doctype, processing instruction or CDATA section.
    Other {
        end: usize,
    },
    Text,
}

/// Reads the markup that starts at `start` (which holds `<`); `end` is the index after it.
pub(crate) fn read_markup(html: &str, start: usize) -> Markup<'_> {
    let rest = &html[start..];
    if let Some(comment) = rest.strip_prefix("<!--") {
        let end = comment.find("-->").map_or(html.len(), |p| start + 4 + p + 3);
        return Markup::Other { end };
    }
    if rest.starts_with("<!") || rest.starts_with("<?") {
        // Never closed, it is text that happens to hold `<!`, not a declaration swallowing the rest.
        return match rest.find('>') {
            Some(p) => Markup::Other { end: start + p + 1 },
            None => Markup::Text,
        };
    }
    let bytes = rest.as_bytes();
    let closing = bytes.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    let name_len = bytes[name_start.min(bytes.len())..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
        .count();
    if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
        return Markup::Text;
    }
    let name = &rest[name_start..name_start + name_len];
    // Find the closing '>' outside quoted attribute values, jumping from one of the three bytes that
    // matter to the next (attribute values — styles, classes, URLs — are most of a tag).
    let mut j = name_start + name_len;
    while let Some(p) = memchr::memchr3(b'>', b'"', b'\'', &bytes[j..]) {
        let at = j + p;
        if bytes[at] == b'>' {
            let attrs = &rest[name_start + name_len..at];
            return Markup::Tag { name, closing, attrs, end: start + at + 1 };
        }
        match memchr::memchr(bytes[at], &bytes[at + 1..]) {
            Some(q) => j = at + 1 + q + 1,
            None => break,
        }
    }
    let attrs = &rest[name_start + name_len..];
    Markup::Tag { name, closing, attrs, end: html.len() }
}

/// Where an element that is not prose ends, when the start tag `name` (which ends at `end`) opens one:
/// a code block, a table, math. A `<code>` of a few words is prose (`kubectl`, `Option<T>`). Looking for
/// the element's end spends `lookahead`; with too little left, the element is read as prose.
fn not_prose(html: &str, name: &str, attrs: &str, end: usize, lookahead: &mut usize) -> Option<usize> {
    const MAX_INLINE_CODE_WORDS: usize = 5;
    const MAX_INLINE_CODE_CHARS: usize = 40;
    const MIN_TABLE_SENTENCE_WORDS: usize = 10;
    // Only these names matter; most tags (`a`, `p`, `img`, `strong`…) are passed at the first look.
    if !matches!(name.as_bytes().first().map(u8::to_ascii_lowercase), Some(b'p' | b't' | b'c' | b's' | b'd' | b'm'))
        || name.len() > 5 && !name.as_bytes()[..4].eq_ignore_ascii_case(b"mjx-")
    {
        return None;
    }
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let mut element_end = || {
        let after = skip_nested_within(html, end, name, *lookahead)?;
        *lookahead -= after - end;
        Some(after)
    };
    if is("pre") || name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("mjx-")) {
        return element_end();
    }
    if is("table") {
        // A table of data is debris; a table some feeds lay their text out in holds sentences. Its text is
        // read plainly: reading it as prose would look inside it again, table by nested table.
        let after = element_end()?;
        let text = html_to_text_prefix(&html[end..after], 2000);
        let sentence = |line: &str| {
            line.split_whitespace().nth(MIN_TABLE_SENTENCE_WORDS).is_some()
                || line.trim_end().ends_with(['.', '!', '?', '다', '요'])
        };
        return (!text.lines().any(sentence)).then_some(after);
    }
    if is("code") {
        let after = element_end()?;
        let inner = inner_html(&html[end..after]);
        let text = html_to_text_prefix(inner, 4 * MAX_INLINE_CODE_CHARS);
        let long = text.chars().count() > MAX_INLINE_CODE_CHARS
            || text.split_whitespace().nth(MAX_INLINE_CODE_WORDS).is_some();
        // A long run set in code inside a sentence is often a quoted name or phrase; cutting it out would
        // break the sentence. Code is what reads as code: several lines, or code's punctuation.
        let reads_as_code = text.contains('\n')
            || text.contains(['{', '}', ';', '=', '$', '|', '<', '>', '*', '#'])
            || text.contains("()")
            || text.contains("->")
            || text.contains("::");
        return (long && reads_as_code).then_some(after);
    }
    if (is("span") || is("div")) && MATH_CLASSES.iter().any(|f| f.find(attrs.as_bytes()).is_some()) {
        return element_end();
    }
    None
}

/// Class names of rendered math (KaTeX, MathJax, Pandoc's `class="math inline"`), as they are written.
static MATH_CLASSES: LazyLock<[memchr::memmem::Finder<'static>; 5]> =
    LazyLock::new(|| ["katex", "MathJax", "mathjax", "class=\"math", "class='math"].map(memchr::memmem::Finder::new));

/// Index after the end tag that closes the element whose start tag ends at `from`, counting elements of
/// the same name opened inside it (ASCII case-insensitive); the end of input when it is never closed.
pub(crate) fn skip_nested(html: &str, from: usize, name: &str) -> usize {
    skip_nested_within(html, from, name, usize::MAX).unwrap_or(html.len())
}

/// [`skip_nested`], looking at most `limit` bytes past `from`: `None` when the element's end (or the end
/// of input) is further.
fn skip_nested_within(html: &str, from: usize, name: &str, limit: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let horizon = from.saturating_add(limit);
    let mut depth = 1;
    let mut i = from;
    while let Some(p) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + p;
        if at > horizon {
            return None;
        }
        let closing = bytes.get(at + 1) == Some(&b'/');
        let name_at = at + 1 + usize::from(closing);
        let named = bytes.get(name_at..name_at + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            && bytes.get(name_at + name.len()).is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'-');
        i = at + 1;
        if !named {
            continue;
        }
        if closing {
            depth -= 1;
            if depth == 0 {
                let after = memchr::memchr(b'>', &bytes[at..]).map_or(html.len(), |q| at + q + 1);
                return (after <= horizon).then_some(after);
            }
        } else {
            depth += 1;
        }
    }
    (html.len() <= horizon).then_some(html.len())
}

/// An element's content and end tag (`…</code>`) without the end tag.
pub(crate) fn inner_html(content_and_end: &str) -> &str {
    content_and_end.rsplit_once("</").map_or(content_and_end, |(inner, _)| inner)
}

static END_TAG_START: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new("</"));

/// Index after the end tag of `name` (ASCII case-insensitive), or the end of input.
pub(crate) fn skip_element(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(p) = END_TAG_START.find(&bytes[i..]) {
        let at = i + p + 2;
        let candidate = &bytes[at..(at + name.len()).min(bytes.len())];
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return memchr::memchr(b'>', &bytes[at..]).map_or(html.len(), |q| at + q + 1);
        }
        i = at;
    }
    html.len()
}

/// Attributes of a start tag, names lowercased, values entity-decoded.
pub(crate) fn parse_attrs(attrs: &str) -> Vec<(String, String)> {
    let bytes = attrs.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if i == name_start {
            i += 1;
            continue;
        }
        let name = attrs[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let raw = if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let q = bytes[i];
                let start = i + 1;
                let end = bytes[start..].iter().position(|b| *b == q).map_or(bytes.len(), |p| start + p);
                i = (end + 1).min(bytes.len());
                &attrs[start..end]
            } else {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                &attrs[start..i]
            };
            value = decode_entities(raw);
        }
        out.push((name, value));
    }
    out
}

/// Start tags named `name` (ASCII case-insensitive), with their attributes, in document order.
pub(crate) fn start_tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = Vec<(String, String)>> + 'a {
    start_tags_at(html, name).map(|(attrs, _)| attrs)
}

/// [`start_tags`], each with the index after its `>`, where the element's content begins.
pub(crate) fn start_tags_at<'a>(
    html: &'a str,
    name: &'a str,
) -> impl Iterator<Item = (Vec<(String, String)>, usize)> + 'a {
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(p) = memchr::memchr(b'<', &html.as_bytes()[i..]) {
            let at = i + p;
            // Only the wanted tag, comments, scripts and styles (whose bodies are not markup) need reading;
            // every other tag is passed by going on to the next '<'.
            let wanted = match html.as_bytes().get(at + 1) {
                Some(b'!') => html[at..].starts_with("<!--"),
                Some(b's' | b'S') => tag_named(html, at, "script") || tag_named(html, at, "style"),
                Some(_) => tag_named(html, at, name),
                None => false,
            };
            if !wanted {
                i = at + 1;
                continue;
            }
            match read_markup(html, at) {
                Markup::Tag { name: n, closing: false, attrs, end } if n.eq_ignore_ascii_case(name) => {
                    i = end;
                    return Some((parse_attrs(attrs), end));
                }
                // Script and style bodies are not markup; everything else (even <noscript>) may hold tags.
                Markup::Tag { name: n, closing: false, end, .. }
                    if n.eq_ignore_ascii_case("script") || n.eq_ignore_ascii_case("style") =>
                {
                    i = skip_element(html, end, &n.to_ascii_lowercase());
                }
                Markup::Tag { end, .. } | Markup::Other { end } => i = end,
                Markup::Text => i = at + 1,
            }
        }
        None
    })
}

/// Whether a start tag named `name` (ASCII case-insensitive) begins at `at`, which holds `<`.
fn tag_named(html: &str, at: usize, name: &str) -> bool {
    let bytes = &html.as_bytes()[at + 1..];
    bytes.len() > name.len()
        && bytes[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && !(bytes[name.len()].is_ascii_alphanumeric() || matches!(bytes[name.len()], b'-' | b':'))
}

pub(crate) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sink's fast paths (runs copied whole, eight ASCII bytes at a time) write what writing one
    /// character at a time writes, at every limit.
    #[test]
    fn text_runs_are_written_as_one_character_at_a_time_would_be() {
        let texts = [
            "The quick brown fox jumps over the lazy dog, again and again.",
            "two  spaces and\ttabs\nand lines  ",
            " leading space then words of eight bytes each",
            "ASCII then 한글 섞인 문장 and “quotes” — dashes\u{a0}nbsp\u{200b}zero width",
            "abcdefgh ijklmnop qrstuvwx yz\x7fdel\x01ctl end",
            "a b c d e f g h i j k l m n o p",
        ];
        for text in texts {
            for limit in 0..=text.chars().count() + 1 {
                let sink = || TextSink { out: String::new(), gap: Gap::None, chars: 0, limit };
                let mut whole = sink();
                whole.push_str(text);
                let mut one_by_one = sink();
                for c in text.chars() {
                    if one_by_one.full() {
                        break;
                    }
                    one_by_one.push_char(c);
                }
                assert_eq!(whole.out, one_by_one.out, "{text:?} at {limit}");
                assert_eq!(whole.chars, one_by_one.chars, "{text:?} at {limit}");
            }
        }
    }

    /// What `classify_tag` must answer. Blocks: their end starts a new line of text.
    const BLOCKS: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ];
    /// Cells: their start and end separate words, without a new line.
    const CELLS: &[&str] = &["td", "th", "caption", "option"];
    /// Skipped: their whole content is not text a reader would see.
    const SKIPPED: &[&str] = &[
        "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object", "button",
        "select", "textarea",
    ];

    #[test]
    fn blocks_are_separated_not_glued() {
        assert_eq!(html_to_text("<p>Impressions</p><p>By: Tulika Bhatt</p>"), "Impressions\nBy: Tulika Bhatt");
        assert_eq!(html_to_text("<div>남았어요.</div><div>우리는</div>"), "남았어요.\n우리는");
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
        assert_eq!(html_to_text("<table><tr><td>a</td><td>b</td></tr></table>"), "a b");
        assert_eq!(html_to_text("line<br>next<br/>last"), "line\nnext\nlast");
        assert_eq!(html_to_text_prefix("<p>하나 둘</p><p>셋 넷 다섯</p>", 5), "하나 둘\n셋 넷");
        assert_eq!(html_to_text_prefix(&"가".repeat(100_000), 10).chars().count(), 10);
    }

    #[test]
    fn tag_classes_match_the_lists() {
        for name in BLOCKS {
            assert!(matches!(classify_tag(name), TagClass::Block), "{name}");
            assert!(matches!(classify_tag(&name.to_ascii_uppercase()), TagClass::Block), "{name}");
        }
        for name in CELLS {
            assert!(matches!(classify_tag(name), TagClass::Cell), "{name}");
        }
        for name in SKIPPED {
            assert!(matches!(classify_tag(name), TagClass::Skipped(n) if n == *name), "{name}");
        }
        for name in ["a", "b", "span", "img", "strong", "blockquotes", "x-very-long-custom-element"] {
            assert!(matches!(classify_tag(name), TagClass::Inline), "{name}");
        }
    }

    #[test]
    fn inline_markup_does_not_split_words() {
        assert_eq!(html_to_text("<b>Ku</b>bernetes <a href='x'>링크</a>입니다"), "Kubernetes 링크입니다");
    }

    #[test]
    fn entities_decoded_whitespace_collapsed() {
        assert_eq!(html_to_text("a&nbsp;&amp;&nbsp;b &hellip; &#8230; &#x2026; &copy;"), "a & b … … … ©");
        assert_eq!(html_to_text("  lots \n\t of   space  "), "lots of space");
        assert_eq!(html_to_text("AT&T and a < b"), "AT&T and a < b");
        assert_eq!(html_to_text("&bogus; &#xZZ; &lt;"), "&bogus; &#xZZ; <");
        assert_eq!(html_to_text("&#0000000065;&#x0041;&#X42;&#0; &#99999999;"), "AAB&#0; &#99999999;");
        assert_eq!(decode_entities("a=1&b=2&amp;c=&unknown;"), "a=1&b=2&c=&unknown;");
    }

    #[test]
    fn every_html5_named_reference_case_sensitive() {
        assert_eq!(crate::entities::NAMED.len() + crate::entities::LEGACY.len(), 2231);
        assert!(crate::entities::NAMED.windows(2).all(|w| w[0].0 < w[1].0), "sorted for binary search");
        assert!(crate::entities::LEGACY.windows(2).all(|w| w[0].0 < w[1].0), "sorted for binary search");
        assert_eq!(decode_entities("&alpha; &Alpha; &thetasym; &NotNestedGreaterGreater; &fjlig;"), "α Α ϑ ⪢̸ fj");
        assert_eq!(decode_entities("&lrm;&rlm;"), "\u{200e}\u{200f}");
        assert_eq!(decode_entities("&ALPHA; &alpha"), "&ALPHA; &alpha", "names are case-sensitive");
        // Legacy names without their semicolon, as browsers read them in text, but not inside a query.
        assert_eq!(html_to_text("&copy 2024 AT&amp;T &amp &lt;b&gt;"), "© 2024 AT&T & <b>");
        assert_eq!(decode_entities("/search?q=1&copy=2&amplifier&lt3"), "/search?q=1&copy=2&amplifier&lt3");
    }

    #[test]
    fn c1_numeric_references_read_as_windows_1252() {
        assert_eq!(decode_entities("&#150;&#146;&#x80;&#153;&#159;"), "–’€™Ÿ");
        // The holes of Windows-1252 stay control characters, which text leaves out.
        assert_eq!(decode_entities("&#129;"), "\u{81}");
        assert_eq!(html_to_text("a&#129;b"), "ab");
    }

    #[test]
    fn scripts_styles_images_comments_dropped() {
        let html =
            "<style>p{color:red}</style><script>alert(1)</script><!-- hidden --><p>visible<img src=x.png> text</p>";
        assert_eq!(html_to_text(html), "visible text");
        assert_eq!(html_to_text("<SCRIPT>x</SCRIPT>ok"), "ok");
        assert_eq!(html_to_text("<script>unterminated"), "");
    }

    #[test]
    fn attributes_are_decoded() {
        let tags: Vec<_> = start_tags(r#"<img alt='a > b' src="/x?a=1&amp;b=2">"#, "img").collect();
        assert_eq!(attr(&tags[0], "src"), Some("/x?a=1&b=2"));
        assert_eq!(attr(&tags[0], "alt"), Some("a > b"));
    }
}
