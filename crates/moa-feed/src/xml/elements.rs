//! What each element of RSS, Atom and their modules means: where its text goes (a ranked slot, so a
//! format's own element beats Dublin Core's, which beats a module's), how the text is written (text,
//! markup, base64), and the attributes read straight into the entry.

use quick_xml::events::BytesStart;

use super::attributes::{attr_value, attr_values};
use super::namespaces::Ns;
use crate::raw::{RawEntry, RawFeed, RawLink, RawMedia, TextKind};

/// Where a captured element's text goes. Ranked targets take the value of the best-ranked element that
/// has one, whatever their order in the document: a `<title>` beats a `dc:title` beats a `media:title`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Target {
    Title(u8),
    LinkText,
    /// FeedBurner's `origLink`: the article's own address behind its redirect link.
    OrigLink,
    Guid,
    AtomId,
    Published(u8),
    Updated,
    Author,
    /// `dc:contributor`, Atom `<contributor>`: the author when no author is named.
    Contributor,
    Category,
    Summary(u8),
    Content,
    Language,
    Ttl,
}

/// How an element's text is written: as text, as markup to re-serialize (Atom `type="xhtml"`), or in
/// base64 (Atom 0.3 `mode="base64"`).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Mode {
    Text,
    Markup,
    Base64,
}

/// How an Atom text construct is written, from its `type` (1.0) and `mode` (0.3) attributes.
pub(super) fn text_spec(target: Target, e: &BytesStart, default: TextKind) -> CaptureSpec {
    let [ty, mode] = attr_values(e, ["type", "mode"]);
    let ty = ty.unwrap_or_default().to_ascii_lowercase();
    // Atom 1.0: a media type that is neither text nor XML is base64 (RFC 4287, 4.1.3.3).
    let binary = ty.contains('/') && !ty.starts_with("text/") && !ty.ends_with("+xml") && !ty.ends_with("/xml");
    let mode = match mode.as_deref().map(str::trim) {
        Some("base64") => Mode::Base64,
        Some("escaped") => Mode::Text,
        Some("xml") => Mode::Markup,
        _ if ty == "xhtml" || ty.ends_with("xhtml+xml") => Mode::Markup,
        _ if binary => Mode::Base64,
        _ => Mode::Text,
    };
    let kind = if mode == Mode::Markup || ty.contains("html") {
        TextKind::Html
    } else if ty == "text" || ty == "text/plain" {
        TextKind::Plain
    } else {
        default
    };
    Some(Spec { target, kind, mode, declared_plain: ty == "text" || ty == "text/plain" })
}

/// The `xml:lang` of an element, when it names a language.
pub(super) fn xml_lang(e: &BytesStart) -> Option<String> {
    memchr::memmem::find(e.attributes_raw().as_bytes(), b"xml:lang")?;
    attr_value(e, "xml:lang").map(|l| l.trim().to_string()).filter(|l| !l.is_empty())
}

/// Keeps the value of the best-ranked element that gave one: an element with a value replaces an empty
/// one or one of no better rank (so the last of equals wins, as before ranks); an empty one only fills
/// an empty slot.
pub(super) fn offer<T>(slot: &mut Option<T>, slot_rank: &mut u8, value: T, rank: u8, has_value: bool) {
    if !has_value {
        if slot.is_none() {
            *slot = Some(value);
        }
    } else if slot.is_none() || rank >= *slot_rank {
        *slot = Some(value);
        *slot_rank = rank;
    }
}

/// Whether decoded text holds markup: a tag of HTML's own opened and closed (or self-closed).
pub(super) fn looks_like_markup(text: &str) -> bool {
    text.contains('<') && (text.contains("</") || text.contains("/>"))
}

/// Base64 (RFC 4648, its URL-safe alphabet too), whitespace ignored, padding optional. `None` when it is
/// not base64.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// What to capture of an element: where its text goes and how it is written.
pub(super) struct Spec {
    pub(super) target: Target,
    pub(super) kind: TextKind,
    pub(super) mode: Mode,
    pub(super) declared_plain: bool,
}

pub(super) type CaptureSpec = Option<Spec>;

/// Ranks of the elements that may give an entry's (or feed's) title, summary and publication date.
mod rank {
    pub(super) const MAIN: u8 = 4;
    pub(super) const DUBLIN_CORE: u8 = 3;
    pub(super) const MODULE: u8 = 2;
    pub(super) const LAST_RESORT: u8 = 1;
}

fn spec(target: Target, kind: TextKind) -> CaptureSpec {
    Some(Spec { target, kind, mode: Mode::Text, declared_plain: false })
}

fn plain(target: Target) -> CaptureSpec {
    spec(target, TextKind::Plain)
}

/// What an element inside an entry means: where its text goes, or what its attributes add to the entry.
// Over 80 lines: one flat table of element names, read best whole (as `feed_element` is for the feed).
pub(super) fn entry_element(
    entry: &mut RawEntry,
    ns: Ns,
    local: &str,
    e: &BytesStart,
    parent: Option<(Ns, &str)>,
    direct: bool,
) -> CaptureSpec {
    use rank::*;
    match (ns, local) {
        (Ns::Rss, "title") if direct => spec(Target::Title(MAIN), TextKind::Html),
        (Ns::Atom, "title") if direct => text_spec(Target::Title(MAIN), e, TextKind::Plain),
        (Ns::Dc, "title") => spec(Target::Title(DUBLIN_CORE), TextKind::Html),
        (Ns::Media | Ns::Itunes, "title") => text_spec(Target::Title(MODULE), e, TextKind::Plain),
        (Ns::Rss, "link") if direct => plain(Target::LinkText),
        (Ns::Feedburner, "origlink") => plain(Target::OrigLink),
        (Ns::Atom, "link") => {
            if let [Some(href), rel, mime] = attr_values(e, ["href", "rel", "type"]) {
                entry.links.push(RawLink { href, rel, mime });
            } else if direct {
                // Some feeds mix an RSS-style text link into Atom.
                return plain(Target::LinkText);
            }
            None
        }
        (Ns::Rss, "guid") if direct => {
            entry.guid_is_permalink =
                attr_value(e, "isPermaLink").is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
            plain(Target::Guid)
        }
        (Ns::Atom, "id") if direct => {
            // An http(s) id is the entry's address when it has no usable link (WordPress: `?p=123`).
            entry.guid_is_permalink = true;
            plain(Target::AtomId)
        }
        (Ns::Rss, "pubdate") | (Ns::Atom, "published" | "issued") => plain(Target::Published(MAIN)),
        (Ns::Dc, "date") => plain(Target::Published(DUBLIN_CORE)),
        (Ns::Dc, "issued" | "created") | (Ns::Atom, "created") => plain(Target::Published(LAST_RESORT)),
        (Ns::Atom, "updated" | "modified") | (Ns::Dc, "modified") => plain(Target::Updated),
        (Ns::Rss, "author") | (Ns::Dc, "creator" | "author") | (Ns::Itunes, "author") => plain(Target::Author),
        (Ns::Atom, "name") if parent == Some((Ns::Atom, "author")) => plain(Target::Author),
        (Ns::Atom, "name") if parent == Some((Ns::Atom, "contributor")) => plain(Target::Contributor),
        (Ns::Dc, "contributor") => plain(Target::Contributor),
        (Ns::Rss, "category") | (Ns::Dc, "subject") | (Ns::Media, "category") => plain(Target::Category),
        (Ns::Atom, "category") => {
            atom_category(entry, e);
            None
        }
        (Ns::Itunes, "category") => {
            // Nested categories are each a tag: Technology, then Gadgets.
            entry.categories.extend(attr_value(e, "text").map(|t| t.trim().to_string()).filter(|t| !t.is_empty()));
            None
        }
        (Ns::Rss, "description") if direct => spec(Target::Summary(MAIN), TextKind::Html),
        (Ns::Atom, "summary") => text_spec(Target::Summary(MAIN), e, TextKind::Plain),
        (Ns::Dc, "description") => spec(Target::Summary(DUBLIN_CORE), TextKind::Html),
        (Ns::Media, "description") | (Ns::Itunes, "summary") => text_spec(Target::Summary(MODULE), e, TextKind::Plain),
        (Ns::Itunes, "subtitle") => plain(Target::Summary(LAST_RESORT)),
        (Ns::Content, "encoded") => spec(Target::Content, TextKind::Html),
        // Userland's and early aggregators' full-text elements.
        (Ns::Rss, "body" | "fullitem") if direct => spec(Target::Content, TextKind::Html),
        (Ns::Atom, "content") => {
            if attr_value(e, "src").is_some() {
                return None;
            }
            text_spec(Target::Content, e, TextKind::Plain)
        }
        (Ns::Xhtml, "body") => {
            Some(Spec { target: Target::Content, kind: TextKind::Html, mode: Mode::Markup, declared_plain: false })
        }
        (Ns::Rss, "enclosure") => {
            if let [Some(url), mime] = attr_values(e, ["url", "type"]) {
                entry.media.push(RawMedia { url, mime, ..RawMedia::default() });
            }
            None
        }
        (Ns::Media, "thumbnail") => {
            if let Some(url) = attr_value(e, "url") {
                entry.media.push(RawMedia { url, is_thumbnail: true, ..RawMedia::default() });
            }
            None
        }
        (Ns::Media, "content") => {
            if let [Some(url), mime, medium] = attr_values(e, ["url", "type", "medium"]) {
                entry.media.push(RawMedia { url, mime, medium, is_thumbnail: false });
            }
            None
        }
        (Ns::Itunes, "image") => {
            // `url` is a common mistake for `href`.
            if let [href, url] = attr_values(e, ["href", "url"])
                && let Some(url) = href.or(url)
            {
                entry.media.push(RawMedia { url, is_thumbnail: true, ..RawMedia::default() });
            }
            None
        }
        (Ns::Itunes, "link") => {
            if let [Some(url), Some(rel)] = attr_values(e, ["href", "rel"])
                && rel.trim().eq_ignore_ascii_case("image")
            {
                entry.media.push(RawMedia { url, is_thumbnail: true, ..RawMedia::default() });
            }
            None
        }
        _ => None,
    }
}

/// An Atom `<category>`: the term is the tag; a label, when given, is how a page shows it.
fn atom_category(entry: &mut RawEntry, e: &BytesStart) {
    let [term, label] = attr_values(e, ["term", "label"]);
    let label = label.map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
    match term.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        Some(term) => {
            if let Some(label) = label.filter(|l| *l != term) {
                entry.category_labels.push((term.clone(), label));
            }
            entry.categories.push(term);
        }
        None => entry.categories.extend(label),
    }
}

/// What an element directly inside the channel (or Atom feed) means.
pub(super) fn feed_element(feed: &mut RawFeed, ns: Ns, local: &str, e: &BytesStart, is_atom: bool) -> CaptureSpec {
    use rank::*;
    match (ns, local) {
        (Ns::Rss, "title") => spec(Target::Title(MAIN), TextKind::Html),
        (Ns::Atom, "title") => text_spec(Target::Title(MAIN), e, TextKind::Plain),
        (Ns::Dc, "title") => spec(Target::Title(DUBLIN_CORE), TextKind::Html),
        (Ns::Rss, "link") if !is_atom => plain(Target::LinkText),
        (Ns::Atom, "link") => {
            if let [Some(href), rel, mime] = attr_values(e, ["href", "rel", "type"]) {
                feed.links.push(RawLink { href, rel, mime });
            }
            None
        }
        (Ns::Rss, "description") => spec(Target::Summary(MAIN), TextKind::Html),
        (Ns::Atom, "subtitle" | "tagline") => text_spec(Target::Summary(MAIN), e, TextKind::Plain),
        (Ns::Dc, "description") => spec(Target::Summary(DUBLIN_CORE), TextKind::Html),
        (Ns::Itunes, "summary") => plain(Target::Summary(MODULE)),
        (Ns::Itunes, "subtitle") => plain(Target::Summary(LAST_RESORT)),
        (Ns::Rss, "language") | (Ns::Dc, "language") => plain(Target::Language),
        (Ns::Rss, "ttl") if !is_atom => plain(Target::Ttl),
        _ => None,
    }
}
