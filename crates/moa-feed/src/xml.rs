//! RSS 0.9x / 1.0 (RDF) / 2.0 and Atom 0.3 / 1.0 into the raw model, in one pass of quick-xml events.
//!
//! Entities: quick-xml reports each reference as its own event and never expands DTD-declared
//! entities, so a "billion laughs" document costs nothing. Predefined and numeric references are
//! resolved; HTML named entities (`&nbsp;`), which feeds use without declaring, are resolved with a
//! warning; anything else is kept literally with a warning.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use url::Url;

mod attributes;
mod elements;

use attributes::{attr_value, attributes};
mod namespaces;
mod source_text;

use elements::{Mode, Spec, Target, decode_base64, entry_element, feed_element, looks_like_markup, offer, xml_lang};
use namespaces::{Namespaces, Ns};
use source_text::{append_source, find_text_end, resolve_entity_into};

use crate::html::decode_entities;
use crate::page::alternate_feed_links;
use crate::raw::{RawEntry, RawFeed, RawLink, RawText, TextKind};
use crate::{FeedError, Format, ParseOptions};

/// Deeper nesting than this is not a feed anyone writes; stop there rather than grow the stack.
const MAX_DEPTH: usize = 256;

struct Capture {
    target: Target,
    /// Stack depth of the captured element.
    depth: usize,
    buf: String,
    kind: TextKind,
    /// Atom `type="xhtml"`: the content is markup to be re-serialized, so text must be re-escaped.
    markup: bool,
    /// Atom 0.3 `mode="base64"`: decoded when the element ends.
    base64: bool,
    /// Whether the element named its type: base64 content without one is read as HTML when it is markup.
    declared_plain: bool,
}

struct Frame<'i> {
    ns: Ns,
    local: Cow<'i, str>,
    base: Option<Rc<str>>,
}

struct State<'i, 'w> {
    feed: Option<RawFeed>,
    entry: Option<(RawEntry, usize)>,
    capture: Option<Capture>,
    stack: Vec<Frame<'i>>,
    warnings: &'w mut Vec<String>,
    warned_entities: Vec<Box<str>>,
}

pub(crate) fn parse(text: &str, options: &ParseOptions, warnings: &mut Vec<String>) -> Result<RawFeed, FeedError> {
    let head = &text.as_bytes()[..text.len().min(16)];
    let starts = |p: &[u8]| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"<!doctype html") || starts(b"<html") {
        return Err(not_a_feed_html(text, options, "an HTML page"));
    }
    let mut reader = event_reader(text);
    let mut namespaces = Namespaces::default();
    // Bytes moved past outside the reader; its own positions do not count them.
    let mut skipped: u64 = 0;
    let mut st = State {
        feed: None,
        entry: None,
        capture: None,
        stack: Vec::with_capacity(16),
        warnings,
        warned_entities: Vec::new(),
    };
    loop {
        let event = match reader.read_event() {
            Ok(event) => (st.namespace_of(&event, &mut namespaces), event),
            Err(e) => {
                let position = reader.error_position() + skipped;
                if st.feed.is_none() {
                    return Err(FeedError::Xml { position, message: e.to_string() });
                }
                st.warnings.push(format!("malformed XML at byte {position} ({e}); kept what was read before it"));
                st.recover_open_entry();
                break;
            }
        };
        match event {
            (ns, Event::Start(e)) => {
                if st.stack.len() >= MAX_DEPTH {
                    st.warnings.push(format!("elements nested deeper than {MAX_DEPTH}; stopped reading"));
                    st.recover_open_entry();
                    break;
                }
                st.start(ns, &e, text, options)?;
                skipped += st.read_captured_source(&mut reader, text, &e);
            }
            (ns, Event::Empty(e)) => {
                st.start(ns, &e, text, options)?;
                st.end();
                namespaces.leave(st.stack.len());
            }
            (_, Event::End(_)) => {
                st.end();
                namespaces.leave(st.stack.len());
            }
            (_, Event::Text(t)) if st.capture.is_some() => st.append_text(&t.xml10_content()),
            (_, Event::CData(t)) if st.capture.is_some() => st.append_text(&t.xml10_content()),
            (_, Event::GeneralRef(r)) if st.capture.is_some() => {
                let resolved = st.resolve_entity(&r.xml10_content());
                st.append_text(&resolved);
            }
            (_, Event::Eof) => {
                if !st.stack.is_empty() {
                    let open = st.stack.last().map_or("", |f| &*f.local);
                    st.warnings.push(format!("document ended inside <{open}>; it may be truncated"));
                    st.recover_open_entry();
                }
                break;
            }
            _ => {}
        }
    }
    st.feed.ok_or_else(|| FeedError::NotAFeed { reason: "no root element".into(), alternate: None })
}

/// A reader as lenient as feeds need: a bare `&`, end tags that do not match, text as written.
fn event_reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.allow_unmatched_ends = true;
    config.check_end_names = false;
    config.expand_empty_elements = false;
    config.trim_text(false);
    reader
}

static XML_BASE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("xml:base"));

fn not_a_feed_html(text: &str, options: &ParseOptions, what: &str) -> FeedError {
    let alternate = alternate_feed_links(text).into_iter().next().map(|href| match &options.url {
        Some(base) => base.join(&href).map(|u| u.to_string()).unwrap_or(href),
        None => href,
    });
    FeedError::NotAFeed { reason: format!("the document is {what}"), alternate }
}

/// The element's local name as a slice of the document, so the element stack allocates nothing.
fn borrowed_local_name<'i>(e: &BytesStart, text: &'i str) -> Cow<'i, str> {
    let local_name = e.local_name();
    let local: &str = local_name.as_ref();
    // A reader over a `&str` lends names from the document; find this one in it by address.
    let offset = (local.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    match text.get(offset..offset.wrapping_add(local.len())) {
        Some(s) if s.as_ptr() == local.as_ptr() => Cow::Borrowed(s),
        _ => Cow::Owned(local.to_string()),
    }
}

impl Capture {
    /// Writes a start tag met inside the captured element back into its text (Atom xhtml content, or
    /// unescaped HTML in a description). Text cannot hold elements: one that does is HTML written without
    /// escaping.
    fn push_start_tag(&mut self, local: &str, e: &BytesStart) {
        self.kind = TextKind::Html;
        self.buf.push('<');
        self.buf.push_str(local);
        for a in attributes(e) {
            let key: &str = a.key.as_ref();
            self.buf.push(' ');
            self.buf.push_str(key);
            self.buf.push_str("=\"");
            let value = decode_entities(&a.value);
            if memchr::memchr2(b'&', b'"', value.as_bytes()).is_none() {
                self.buf.push_str(&value);
            } else {
                self.buf.push_str(&value.replace('&', "&amp;").replace('"', "&quot;"));
            }
            self.buf.push('"');
        }
        self.buf.push('>');
    }
}

/// The feed's format from its root element, or why the document is not a feed.
fn root_format(ns: Ns, local: &str, e: &BytesStart, text: &str, options: &ParseOptions) -> Result<Format, FeedError> {
    Ok(match (ns, local) {
        (Ns::Rss | Ns::Other, "rss") => match attr_value(e, "version").as_deref().map(str::trim) {
            Some("0.91" | "0.92" | "0.93" | "0.94" | "0.9") => Format::Rss09x,
            _ => Format::Rss20,
        },
        (Ns::Rdf, "RDF") if attributes(e).any(|a| a.value.contains("my.netscape.com/rdf/simple/0.9")) => Format::Rss09x,
        (Ns::Rdf, "RDF") => Format::Rss10,
        (Ns::Atom, "feed") => {
            if attr_value(e, "version").as_deref() == Some("0.3")
                || attributes(e).any(|a| a.value.contains("purl.org/atom/ns#"))
            {
                Format::Atom03
            } else {
                Format::Atom10
            }
        }
        // An Atom entry document: one entry on its own.
        (Ns::Atom, "entry") => Format::Atom10,
        (_, "html") => return Err(not_a_feed_html(text, options, "an HTML page")),
        (_, other) => {
            return Err(FeedError::NotAFeed {
                reason: format!("the root element is <{other}>, not <rss>, <rdf:RDF> or <feed>"),
                alternate: None,
            });
        }
    })
}

/// RSS and its modules are matched in any case (`<PubDate>`, `<itunes:Summary>`, `<Channel>`), as readers
/// do: the name is lowercased for matching, and on the stack, where children read it.
fn case_folded(ns: Ns, name: Cow<'_, str>) -> Cow<'_, str> {
    if matches!(ns, Ns::Rss | Ns::Itunes | Ns::Dc | Ns::Media | Ns::Content | Ns::Feedburner)
        && name.bytes().any(|b| b.is_ascii_uppercase())
    {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        name
    }
}

impl<'i> State<'i, '_> {
    /// The namespace of an element that starts, taking an Atom root written without its namespace as Atom.
    fn namespace_of(&mut self, event: &Event, namespaces: &mut Namespaces) -> Ns {
        let (Event::Start(e) | Event::Empty(e)) = event else { return Ns::Rss };
        namespaces.declare(e, self.stack.len() + 1);
        let is_root = self.feed.is_none();
        let ns = namespaces.resolve(e.name().as_ref(), is_root);
        if is_root && ns == Ns::Rss && matches!(e.local_name().as_ref(), "feed" | "entry") {
            self.warnings.push("Atom document outside the Atom namespace; read as Atom".into());
            namespaces.make_root_atom(e.name().as_ref());
            Ns::Atom
        } else {
            ns
        }
    }

    /// Reads the text of a captured element that just started straight from the source, moving the reader
    /// past it: quick-xml reports every character reference as its own event, and escaped HTML
    /// (`&lt;p&gt;…`) is made of them. Gives the bytes moved past.
    fn read_captured_source(&mut self, reader: &mut Reader<&'i [u8]>, text: &'i str, e: &BytesStart) -> u64 {
        if !self.capture.as_ref().is_some_and(|c| !c.markup && c.depth == self.stack.len()) {
            return 0;
        }
        let from = text.len() - reader.get_ref().len();
        let Some(end) = find_text_end(text, from, e.name().as_ref().as_bytes()) else { return 0 };
        if let Some(cap) = &mut self.capture {
            cap.buf.reserve(end - from);
            append_source(&mut cap.buf, &text[from..end], self.warnings, &mut self.warned_entities);
        }
        *reader.get_mut() = &text.as_bytes()[end..];
        (end - from) as u64
    }

    /// The base of an element: its `xml:base` resolved against its parent's, else its parent's.
    fn element_base(&self, e: &BytesStart) -> Option<Rc<str>> {
        let parent_base = self.stack.last().and_then(|f| f.base.clone());
        // Most elements have no attributes, and almost none set a base: look for one only where it can be.
        let declares_base = XML_BASE.find(e.attributes_raw().as_bytes()).is_some();
        match declares_base.then(|| attr_value(e, "xml:base")).flatten() {
            Some(b) => {
                let joined = match parent_base.as_deref().and_then(|p| Url::parse(p).ok()) {
                    Some(p) => p.join(&b).map(|u| u.to_string()).unwrap_or(b),
                    None => b,
                };
                Some(Rc::from(joined))
            }
            None => parent_base,
        }
    }

    /// An element starts: markup inside a captured element, the root, an entry, or an element whose text
    /// is captured (the others are only put on the stack).
    fn start(&mut self, ns: Ns, e: &BytesStart, text: &'i str, options: &ParseOptions) -> Result<(), FeedError> {
        let name = borrowed_local_name(e, text);
        let base = self.element_base(e);
        if let Some(cap) = &mut self.capture {
            cap.push_start_tag(&name, e);
            self.stack.push(Frame { ns, local: name, base });
            return Ok(());
        }
        let name = case_folded(ns, name);
        if self.feed.is_none() {
            return self.start_root(ns, name, e, base, text, options);
        }
        let local: &str = &name;
        let depth = self.stack.len();
        let Some(feed) = self.feed.as_mut() else {
            return Ok(());
        };
        let is_atom = matches!(feed.format, Format::Atom10 | Format::Atom03);
        if local == "channel" && ns == Ns::Rss {
            if attributes(e).any(|a| a.value.contains("my.netscape.com")) {
                feed.format = Format::Rss09x;
            }
            if let Some(lang) = xml_lang(e) {
                feed.xml_lang = Some(lang);
            }
        }

        if self.entry.is_none() && ((ns == Ns::Rss && local == "item") || (ns == Ns::Atom && local == "entry")) {
            let entry = RawEntry { base: base.as_deref().map(String::from), ..RawEntry::default() };
            self.entry = Some((entry, depth + 1));
            self.stack.push(Frame { ns, local: name, base });
            return Ok(());
        }

        let parent = self.stack.last().map(|f| (f.ns, &*f.local));
        let mut capture = None;
        let stack_len = self.stack.len();
        if let Some((entry, entry_depth)) = self.entry.as_mut() {
            let direct = stack_len == *entry_depth;
            capture = entry_element(entry, ns, local, e, parent, direct);
        } else {
            let feed_level = match parent {
                Some((Ns::Rss, "channel")) => true,
                Some((Ns::Atom, "feed")) => depth == 1,
                _ => false,
            };
            if feed_level {
                capture = feed_element(feed, ns, local, e, is_atom);
            }
        }
        if let Some(Spec { target, kind, mode, declared_plain }) = capture {
            let (markup, base64) = (mode == Mode::Markup, mode == Mode::Base64);
            self.capture =
                Some(Capture { target, depth: depth + 1, buf: String::new(), kind, markup, base64, declared_plain });
        }
        self.stack.push(Frame { ns, local: name, base });
        Ok(())
    }

    /// The root element: the feed's format, and the entry when the document is an Atom entry alone.
    fn start_root(
        &mut self,
        ns: Ns,
        name: Cow<'i, str>,
        e: &BytesStart,
        base: Option<Rc<str>>,
        text: &str,
        options: &ParseOptions,
    ) -> Result<(), FeedError> {
        let mut feed = RawFeed::new(root_format(ns, &name, e, text, options)?);
        feed.base = base.as_deref().map(String::from);
        feed.xml_lang = xml_lang(e);
        if name == "entry" {
            let entry = RawEntry { base: feed.base.clone(), ..RawEntry::default() };
            self.entry = Some((entry, self.stack.len() + 1));
        }
        self.feed = Some(feed);
        self.stack.push(Frame { ns, local: name, base });
        Ok(())
    }

    fn end(&mut self) {
        let depth = self.stack.len();
        if let Some(cap) = &mut self.capture {
            if depth > cap.depth {
                if let Some(f) = self.stack.last() {
                    cap.buf.push_str("</");
                    cap.buf.push_str(&f.local);
                    cap.buf.push('>');
                }
            } else if let Some(cap) = self.capture.take() {
                self.finish_capture(cap);
            }
        }
        if let Some((_, d)) = &self.entry
            && *d == depth
            && let Some((entry, _)) = self.entry.take()
            && let Some(feed) = self.feed.as_mut()
        {
            feed.entries.push(entry);
        }
        self.stack.pop();
    }

    /// Keeps an entry cut off by the end of a truncated document when it already says what it is.
    fn recover_open_entry(&mut self) {
        if let Some(cap) = self.capture.take() {
            self.finish_capture(cap);
        }
        if let Some((entry, _)) = self.entry.take()
            && (entry.title.is_some() || !entry.links.is_empty())
            && let Some(feed) = self.feed.as_mut()
        {
            self.warnings.push("kept the last entry, cut off by the end of the document".into());
            feed.entries.push(entry);
        }
    }

    fn append_text(&mut self, s: &str) {
        if let Some(cap) = &mut self.capture {
            if cap.markup {
                for c in s.chars() {
                    match c {
                        '<' => cap.buf.push_str("&lt;"),
                        '&' => cap.buf.push_str("&amp;"),
                        c => cap.buf.push(c),
                    }
                }
            } else {
                cap.buf.push_str(s);
            }
        }
    }

    fn resolve_entity(&mut self, name: &str) -> String {
        let mut out = String::new();
        resolve_entity_into(name, &mut out, self.warnings, &mut self.warned_entities);
        out
    }

    fn finish_capture(&mut self, cap: Capture) {
        let Some(feed) = self.feed.as_mut() else {
            return;
        };
        let mut kind = cap.kind;
        let mut buf = cap.buf;
        if cap.base64 {
            buf = match decode_base64(&buf) {
                Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                None => {
                    self.warnings.push("an element marked base64 is not base64; kept as written".into());
                    buf
                }
            };
            // Base64 hides what it holds from the type's default: markup is HTML unless said to be text.
            if !cap.declared_plain && looks_like_markup(&buf) {
                kind = TextKind::Html;
            }
        }
        let text = |value| RawText { value, kind };
        // Text keeps its whitespace for the normalizer; a value (link, id, date, name) is trimmed in its
        // own buffer, so it is moved rather than copied.
        let is_text = matches!(cap.target, Target::Title(_) | Target::Summary(_) | Target::Content);
        let value = if is_text { buf } else { trim_in_place(buf) };
        let has_value = !value.trim().is_empty();
        if let Some((entry, _)) = self.entry.as_mut() {
            let ranks = &mut entry.ranks;
            match cap.target {
                Target::Title(rank) => offer(&mut entry.title, &mut ranks[0], text(value), rank, has_value),
                Target::Summary(rank) => offer(&mut entry.summary, &mut ranks[1], text(value), rank, has_value),
                Target::Published(rank) if has_value => offer(&mut entry.published, &mut ranks[2], value, rank, true),
                Target::LinkText if has_value => entry.links.push(RawLink { href: value, ..RawLink::default() }),
                Target::OrigLink if has_value => entry.orig_link = Some(value),
                Target::Guid | Target::AtomId if has_value => entry.id = Some(value),
                Target::Updated if has_value => entry.updated = Some(value),
                Target::Author if has_value => entry.authors.push(value),
                Target::Contributor if has_value => entry.contributors.push(value),
                Target::Category if has_value => entry.categories.push(value),
                Target::Content => entry.content = Some(text(value)),
                _ => {}
            }
        } else {
            let ranks = &mut feed.ranks;
            match cap.target {
                Target::Title(rank) => offer(&mut feed.title, &mut ranks[0], text(value), rank, has_value),
                Target::Summary(rank) => offer(&mut feed.description, &mut ranks[1], text(value), rank, has_value),
                Target::LinkText if has_value => feed.links.push(RawLink { href: value, ..RawLink::default() }),
                Target::Language if has_value => feed.language = Some(value),
                Target::Ttl if has_value => feed.ttl = Some(value),
                _ => {}
            }
        }
    }
}

fn trim_in_place(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    s.drain(..leading);
    s
}
