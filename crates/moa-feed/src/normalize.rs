//! Raw values to what a reader sees: clean one-line titles, absolute canonical links, UTC dates, stable
//! unique ids, short clean summaries, and a thumbnail.

use std::collections::{HashMap, HashSet};

use url::Url;

use crate::html::{decode_entities, html_to_text, html_to_text_prefix, plain_to_text_prefix, prose_text_prefix};
use crate::image::{first_image, is_decorative_image_url};
use crate::link::{self, LinkError};
use crate::raw::{RawEntry, RawFeed, RawLink, RawText, TextKind};
use crate::text::{SUMMARY_MAX_CHARS, join_lines, one_line, strip_boilerplate, truncate};
use crate::{Entry, Feed, ParseOptions, Timestamp, parse_date, prose, sitepage};

/// Dates this far after the fetch time are clock skew, not the future.
const FUTURE_TOLERANCE_SECONDS: i64 = 10 * 60;
const TITLE_FROM_TEXT_CHARS: usize = 60;

// Bounds on what one feed may put into the store and onto every page that lists it. Generous: they stop
// abuse (a 700,000-character title), not honest feeds (Korean archives carry 300+ items).
/// A title or a feed's name: real ones stay under 150, a microblog post used as a title under 400.
pub const TITLE_MAX_CHARS: usize = 500;
/// A feed's description.
const DESCRIPTION_MAX_CHARS: usize = 1_000;
/// An author's name (a paper's list of authors reaches 250).
const AUTHOR_MAX_CHARS: usize = 300;
/// One category, and how many an entry keeps.
const CATEGORY_MAX_CHARS: usize = 200;
const CATEGORIES_MAX: usize = 50;
/// A link or picture URL; longer ones are dropped, as browsers and servers reject them anyway.
const URL_MAX_BYTES: usize = 2_048;
/// An entry id longer than this is kept as its hash.
const ID_MAX_BYTES: usize = 512;
/// Entries read from one document.
const ENTRIES_MAX: usize = 5_000;

pub(crate) fn normalize(mut raw: RawFeed, encoding: String, mut warnings: Vec<String>, options: &ParseOptions) -> Feed {
    let doc_url = options.url.as_ref();
    let feed_base = raw.base.as_deref().and_then(|b| Url::parse(b).ok());
    let feed_link = pick_link(&raw.links)
        .and_then(|l| link::resolve(&l.href, &[feed_base.as_ref(), doc_url]).ok())
        .filter(|u| u.as_str().len() <= URL_MAX_BYTES);
    let link_with_rel = |rel: &str| {
        raw.links
            .iter()
            .filter(|l| l.rel.as_deref().is_some_and(|r| r.split_whitespace().any(|r| r.eq_ignore_ascii_case(rel))))
            .find_map(|l| link::resolve(&l.href, &[feed_base.as_ref(), doc_url]).ok())
            .map(String::from)
            .filter(|u| u.len() <= URL_MAX_BYTES)
    };
    let (self_url, hub) = (link_with_rel("self"), link_with_rel("hub"));

    if raw.entries.len() > ENTRIES_MAX {
        warnings.push(format!("read the first {ENTRIES_MAX} of {} entries", raw.entries.len()));
        raw.entries.truncate(ENTRIES_MAX);
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.entries.len());
    let mut facts = Vec::with_capacity(raw.entries.len());
    let guid_unique = unique_guids(&raw.entries);
    for (raw_entry, guid_unique) in raw.entries.into_iter().zip(guid_unique) {
        let (entry, entry_facts) = normalize_entry(
            raw_entry,
            guid_unique,
            [feed_base.as_ref(), feed_link.as_ref(), doc_url],
            options,
            &mut warnings,
        );
        entries.push(entry);
        facts.push(entry_facts);
    }
    make_ids_unique(&mut entries);
    let site_pages = sitepage::split(&mut entries, &facts, feed_link.as_ref());
    for page in &site_pages {
        let link = page.link.as_deref().unwrap_or("no link");
        warnings.push(format!("left out a site page, not a post: {:?} {link} ({})", page.title, page.reason));
    }

    Feed {
        format: raw.format,
        encoding,
        title: raw.title.as_ref().map(clean_title).filter(|t| !t.is_empty()),
        link: feed_link.map(String::from),
        description: raw
            .description
            .as_ref()
            .map(|d| {
                truncate(
                    &one_line(&strip_boilerplate(&text_prefix(d, 2 * DESCRIPTION_MAX_CHARS))),
                    DESCRIPTION_MAX_CHARS,
                )
            })
            .filter(|d| !d.is_empty()),
        // The feed's own word first, then the document's `xml:lang`, then what the server said.
        language: [raw.language, raw.xml_lang, options.http_language.clone()]
            .into_iter()
            .flatten()
            .map(|l| l.split(',').next().unwrap_or("").trim().replace('_', "-"))
            .find(|l| !l.is_empty()),
        self_url,
        hub,
        ttl_minutes: raw.ttl.as_deref().and_then(|t| t.trim().parse().ok()),
        entries,
        site_pages,
        warnings,
    }
}

/// For each entry, whether its GUID (trimmed) appears once in the document.
fn unique_guids(entries: &[RawEntry]) -> Vec<bool> {
    fn guid(e: &RawEntry) -> Option<&str> {
        e.id.as_deref().map(str::trim).filter(|g| !g.is_empty())
    }
    let mut counts: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    for g in entries.iter().filter_map(guid) {
        *counts.entry(g).or_insert(0) += 1;
    }
    entries.iter().map(|e| guid(e).is_some_and(|g| counts.get(g) == Some(&1))).collect()
}

fn pick_link(links: &[RawLink]) -> Option<&RawLink> {
    let alternate = |l: &&RawLink| l.rel.as_deref().is_none_or(|r| r.eq_ignore_ascii_case("alternate"));
    links
        .iter()
        .filter(alternate)
        .find(|l| l.mime.as_deref().is_none_or(|m| m.contains("html")))
        .or_else(|| links.iter().find(alternate))
}

/// Enough text for a summary. A text is cut at [`SUMMARY_MAX_CHARS`], so only boilerplate that starts
/// before that point matters; platform footers are shorter than [`SUMMARY_MAX_CHARS`], so twice that
/// length sees each one whole and decides the same summary as the whole text would.
const SUMMARY_SOURCE_CHARS: usize = 2 * SUMMARY_MAX_CHARS;
/// How much of the content past a description's length tells whether the description was cut from it.
const CUT_CONTEXT_CHARS: usize = 40;

fn text_prefix(t: &RawText, max_chars: usize) -> String {
    match t.kind {
        TextKind::Html => html_to_text_prefix(&t.value, max_chars),
        TextKind::Plain => plain_to_text_prefix(&t.value, max_chars),
    }
}

/// Text for a summary: the prose of the HTML (no code blocks, tables or math). HTML escaped twice
/// (`&amp;lt;p&amp;gt;`, as Reddit's feeds do) is unescaped once more first; titles never are, since a
/// title may speak of tags.
fn summary_prefix(t: &RawText, max_chars: usize) -> String {
    match t.kind {
        TextKind::Html if is_escaped_markup(&t.value) => prose_text_prefix(&decode_entities(&t.value), max_chars),
        TextKind::Html => prose_text_prefix(&t.value, max_chars),
        TextKind::Plain => plain_to_text_prefix(&t.value, max_chars),
    }
}

/// HTML escaped twice: it opens with an escaped tag of HTML's own (or a comment) and closes one somewhere
/// (Reddit follows it with real markup). Escaped code (`&lt;stdio.h&gt;`) is not this, and a post about
/// HTML shows its code inside real `<pre>`/`<code>` tags, so it does not start with `&lt;`.
fn is_escaped_markup(html: &str) -> bool {
    const TAGS: [&str; 16] = [
        "p",
        "div",
        "br",
        "a",
        "img",
        "span",
        "ul",
        "ol",
        "li",
        "table",
        "h1",
        "h2",
        "h3",
        "strong",
        "em",
        "blockquote",
    ];
    let Some(first) = html.trim_start().strip_prefix("&lt;") else {
        return false;
    };
    let name_len = first.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let opens_with_tag = first.starts_with("!--")
        || (TAGS.iter().any(|t| first[..name_len].eq_ignore_ascii_case(t))
            && first[name_len..].starts_with([' ', '/', '&']));
    opens_with_tag && html.contains("&lt;/")
}

/// A one-line title of at most [`TITLE_MAX_CHARS`]; only as much of it is read as can be kept.
fn clean_title(t: &RawText) -> String {
    bounded(one_line(&text_prefix(t, 2 * TITLE_MAX_CHARS)), TITLE_MAX_CHARS)
}

/// The text cut to `max` characters, kept as it is (no copy) when it is short enough.
fn bounded(text: String, max: usize) -> String {
    if text.len() <= max { text } else { truncate(&text, max) }
}

fn normalize_entry(
    raw: RawEntry,
    guid_unique: bool,
    [feed_base, feed_link, doc_url]: [Option<&Url>; 3],
    options: &ParseOptions,
    warnings: &mut Vec<String>,
) -> (Entry, sitepage::Facts) {
    let entry_base = raw.base.as_deref().and_then(|b| Url::parse(b).ok());
    let bases = [entry_base.as_ref().or(feed_base), feed_link, doc_url];
    let link = entry_link(&raw, &bases, warnings);

    let text = entry_text(&raw);
    let mut title = raw.title.as_ref().map(clean_title).unwrap_or_default();
    let untitled = title.is_empty();
    let summary = text.prose.as_deref().map(|s| card_summary(s, &title, text.cut)).filter(|s| !s.is_empty());
    if title.is_empty()
        && let Some(prose) = text.prose.as_deref()
    {
        title = truncate(&one_line(prose), TITLE_FROM_TEXT_CHARS);
    }

    let published = entry_date(raw.published.as_deref(), options, warnings);
    let updated = entry_date(raw.updated.as_deref(), options, warnings);
    let facts = sitepage::Facts {
        untitled,
        text_chars: text.prose.as_deref().map_or(0, |t| t.chars().count()),
        // Only an undated entry's text can make it a page: a dated one is spared the look.
        not_a_post_text: published.is_none() && updated.is_none() && sitepage::is_not_a_post_text(&text.written),
    };

    let thumbnail = pick_thumbnail(&raw, &bases);
    let id = entry_id(&raw, guid_unique, &title, link.as_deref());
    let categories = entry_categories(&raw.categories, warnings);

    let mut entry = Entry {
        id,
        title,
        link,
        published,
        updated,
        author: raw
            .authors
            .iter()
            .chain(&raw.contributors)
            .filter_map(|a| author_name(&one_line(a)))
            .map(|a| bounded(a, AUTHOR_MAX_CHARS))
            .next(),
        summary,
        thumbnail,
        category_labels: raw
            .category_labels
            .into_iter()
            .filter(|(term, _)| categories.contains(term))
            .map(|(term, label)| (term, bounded(one_line(&label), CATEGORY_MAX_CHARS)))
            .collect(),
        categories,
        content_html: raw
            .content
            .filter(|c| c.kind == TextKind::Html)
            .map(|c| c.value)
            .or_else(|| raw.summary.filter(|s| s.kind == TextKind::Html).map(|s| s.value)),
    };
    without_nul(&mut entry);
    (entry, facts)
}

/// `href` made absolute and canonical, or `None` with a warning saying why (`what` names the link).
fn resolve_link(href: &str, what: &str, bases: &[Option<&Url>; 3], warnings: &mut Vec<String>) -> Option<String> {
    match link::resolve_string(href, bases) {
        Ok(u) if u.len() > URL_MAX_BYTES => {
            warnings.push(format!("dropped {what} longer than {URL_MAX_BYTES} bytes: {}", truncate(href, 80)));
            None
        }
        Ok(u) => Some(u),
        // An empty href (`<link href=""/>`) is no link rather than a bad one.
        Err(LinkError::Invalid) if href.trim().is_empty() => None,
        Err(LinkError::Scheme(s)) => {
            warnings.push(format!("dropped {what} with scheme {s}: {}", truncate(href, 80)));
            None
        }
        Err(LinkError::Invalid) => {
            warnings.push(format!("dropped {what} that is not a URL: {}", truncate(href, 80)));
            None
        }
        Err(LinkError::NoBase) => {
            warnings.push(format!("dropped relative {what} with no base URL to resolve it: {}", truncate(href, 80)));
            None
        }
    }
}

/// The entry's address: FeedBurner's original link, else its own link, else a GUID that is a permalink.
fn entry_link(raw: &RawEntry, bases: &[Option<&Url>; 3], warnings: &mut Vec<String>) -> Option<String> {
    let orig_link = raw.orig_link.as_deref().and_then(|l| resolve_link(l, "an original link", bases, warnings));
    let mut link =
        orig_link.or_else(|| pick_link(&raw.links).and_then(|l| resolve_link(&l.href, "a link", bases, warnings)));
    if link.is_none()
        && raw.guid_is_permalink
        && let Some(guid) = raw.id.as_deref().filter(|g| g.starts_with("http://") || g.starts_with("https://"))
    {
        link = resolve_link(guid, "a GUID link", bases, warnings);
    }
    link
}

/// What an entry's summary is made from.
struct EntryText {
    /// The source text as written (code and all), for telling a site page's placeholder.
    written: String,
    /// Its prose without boilerplate; `None` when neither the description nor the content has any.
    prose: Option<String>,
    /// The description is an excerpt that stops short of the content it was cut from.
    cut: bool,
}

/// The text as written, and its prose: the description's, else the content's. The content (often the
/// whole article) is converted only when the description has no prose.
fn entry_text(raw: &RawEntry) -> EntryText {
    let text_of = |t: &RawText| {
        let written = summary_prefix(t, SUMMARY_SOURCE_CHARS);
        let prose = strip_boilerplate(&prose::prose(&written));
        (written, prose)
    };
    match raw.summary.as_ref().map(text_of) {
        Some((written, prose)) if !prose.trim().is_empty() => {
            // An excerpt that stops short of the content it was cut from (read only when it may be).
            // The content is read as written (an excerpt keeps the code prose leaves out), only as far as
            // the description goes.
            let cut = !prose::ends_whole(&prose)
                && prose::looks_cut(
                    &prose,
                    raw.content.as_ref().map(|c| text_prefix(c, prose.chars().count() + CUT_CONTEXT_CHARS)).as_deref(),
                );
            EntryText { written, prose: Some(prose), cut }
        }
        other => match raw.content.as_ref().map(text_of) {
            Some((written, prose)) if !prose.trim().is_empty() => EntryText { written, prose: Some(prose), cut: false },
            _ => EntryText { written: other.map(|(written, _)| written).unwrap_or_default(), prose: None, cut: false },
        },
    }
}

/// The card's summary of `prose`: without a first line that repeats the title, at most
/// [`SUMMARY_MAX_CHARS`], ending in "…" when cut here or when the source itself was `cut`.
fn card_summary(prose: &str, title: &str, cut: bool) -> String {
    let mut summary = truncate(&join_lines(without_title(prose, title)), SUMMARY_MAX_CHARS);
    // The source itself stops short: say so as moa's own cuts do.
    if cut && !summary.ends_with('…') {
        // Room for the ellipsis; a summary that had to be cut for it already ends with one.
        summary = truncate(&summary, SUMMARY_MAX_CHARS - 1);
        if !summary.ends_with('…') {
            summary.push('…');
        }
    }
    summary
}

/// A date of the entry, clamped to the fetch time; `None` with a warning when it cannot be read.
fn entry_date(s: Option<&str>, options: &ParseOptions, warnings: &mut Vec<String>) -> Option<Timestamp> {
    let s = s?;
    let Some(t) = parse_date(s, options.timezone_offset) else {
        warnings.push(format!("unreadable date {:?}", truncate(s, 60)));
        return None;
    };
    match options.now {
        Some(now) if t > now + FUTURE_TOLERANCE_SECONDS => {
            warnings.push(format!("date {s:?} is in the future; clamped to the fetch time"));
            Some(Timestamp(now))
        }
        _ => Some(Timestamp(t)),
    }
}

/// The GUID when it is unique in the document (hashed when too long), else the link, else a hash of the
/// title and the publication date as written.
fn entry_id(raw: &RawEntry, guid_unique: bool, title: &str, link: Option<&str>) -> String {
    match raw.id.as_deref().map(str::trim) {
        Some(g) if guid_unique && g.len() > ID_MAX_BYTES => format!("hash:{:016x}", fnv1a(g.as_bytes())),
        Some(g) if guid_unique => g.to_string(),
        _ => match link {
            Some(l) => l.to_string(),
            None => format!(
                "hash:{:016x}",
                fnv1a(format!("{title}\u{0}{}", raw.published.as_deref().unwrap_or("")).as_bytes())
            ),
        },
    }
}

/// The categories as one-line plain text, bounded, each once (ignoring case), at most [`CATEGORIES_MAX`].
fn entry_categories(raw: &[String], warnings: &mut Vec<String>) -> Vec<String> {
    let mut categories: Vec<String> = Vec::with_capacity(raw.len().min(CATEGORIES_MAX));
    for c in raw {
        if categories.len() == CATEGORIES_MAX {
            warnings.push(format!("kept the first {CATEGORIES_MAX} of {} categories", raw.len()));
            break;
        }
        // Most categories are plain words: only markup or references need the HTML reader.
        let c = if c.contains(['<', '&']) { one_line(&html_to_text(c)) } else { one_line(c) };
        let c = bounded(c, CATEGORY_MAX_CHARS);
        if !c.is_empty() && !categories.iter().any(|kept| same_ignoring_case(kept, &c)) {
            categories.push(c);
        }
    }
    categories
}

/// NUL, which JSON (`\u0000`) and character references can spell, out of every text of an entry:
/// PostgreSQL cannot store it, and no reader needs it.
fn without_nul(entry: &mut Entry) {
    let texts = [&mut entry.id, &mut entry.title]
        .into_iter()
        .chain(entry.link.as_mut())
        .chain(entry.author.as_mut())
        .chain(entry.summary.as_mut())
        .chain(entry.thumbnail.as_mut())
        .chain(entry.content_html.as_mut())
        .chain(entry.categories.iter_mut());
    // A plain byte search: `str::contains(char)` costs several times more over whole contents.
    let has_nul = |text: &str| memchr::memchr(0, text.as_bytes()).is_some();
    for text in texts {
        if has_nul(text) {
            text.retain(|c| c != '\0');
        }
    }
    if entry.category_labels.values().any(|l| has_nul(l)) {
        for label in entry.category_labels.values_mut() {
            label.retain(|c| c != '\0');
        }
    }
}

/// The name in an author field: RSS writes `email (Name)`, others `Name <email>` or `Name (email)`. An
/// address alone is no name a page should show.
fn author_name(author: &str) -> Option<String> {
    let is_email = |s: &str| {
        let s = s.trim().trim_start_matches("mailto:");
        s.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.')) && !s.contains(' ')
    };
    let author = author.trim();
    let name = if let Some(open) = author.rfind(['(', '<'])
        && author.ends_with([')', '>'])
    {
        let (outside, inside) = (author[..open].trim(), author[open + 1..author.len() - 1].trim());
        match (is_email(outside), is_email(inside)) {
            (true, false) => inside,
            (false, true) => outside,
            _ => author,
        }
    } else {
        author
    };
    (!name.is_empty() && !is_email(name)).then(|| name.to_string())
}

/// The text without its first block when that block is the title (a post that opens with its own
/// heading), so a card does not say it twice; kept when little text would be left.
fn without_title<'a>(text: &'a str, title: &str) -> &'a str {
    const MIN_REST_CHARS: usize = 20;
    match text.split_once('\n') {
        Some((first, rest)) if !title.is_empty() && first == title && rest.chars().nth(MIN_REST_CHARS).is_some() => {
            rest
        }
        _ => text,
    }
}

fn pick_thumbnail(raw: &RawEntry, bases: &[Option<&Url>; 3]) -> Option<String> {
    let is_image = |m: &crate::raw::RawMedia| {
        m.is_thumbnail
            || m.medium.as_deref() == Some("image")
            || m.mime.as_deref().is_some_and(|t| t.starts_with("image/"))
            || (m.mime.is_none() && m.medium.is_none() && looks_like_image_url(&m.url))
    };
    let from_media = raw
        .media
        .iter()
        .filter(|m| m.is_thumbnail)
        .chain(raw.media.iter().filter(|m| !m.is_thumbnail))
        .filter(|m| is_image(m))
        .map(|m| m.url.clone());
    let from_html = [raw.content.as_ref(), raw.summary.as_ref()]
        .into_iter()
        .flatten()
        .filter(|t| t.kind == TextKind::Html)
        .filter_map(|t| first_image(&t.value));
    from_media
        .chain(from_html)
        .filter(|u| !is_decorative_image_url(u))
        .filter_map(|u| link::resolve_string(&u, bases).ok())
        .filter(|u| u.len() <= URL_MAX_BYTES)
        // A site's root is a theme's default, not a picture; a local address is broken for every reader.
        .find(|u| {
            let (host, path) = link::host_and_path(u);
            path != "/" && !matches!(host, "localhost" | "127.0.0.1" | "[::1]")
        })
}

fn looks_like_image_url(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"].iter().any(|ext| path.ends_with(ext))
}

fn same_ignoring_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

/// Duplicate ids within one document (two entries with one link and no GUID) get a numbered suffix.
fn make_ids_unique(entries: &mut [Entry]) {
    let mut ids: HashSet<&str> = HashSet::with_capacity(entries.len());
    if entries.iter().all(|e| ids.insert(&e.id)) {
        return;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in entries.iter_mut() {
        let n = seen.entry(e.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            e.id = format!("{}#{}", e.id, n);
        }
    }
}

/// FNV-1a: a hash that never changes between Rust versions, unlike `DefaultHasher`, because ids are stored.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}
