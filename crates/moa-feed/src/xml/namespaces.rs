//! XML namespaces as feeds use them: the bindings in scope, what each URI names, and the conventional
//! meaning of prefixes a feed uses without declaring them.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use quick_xml::events::BytesStart;

use super::attributes::attributes;
use crate::html::decode_entities;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ns {
    Rss,
    Atom,
    Dc,
    Content,
    Media,
    Itunes,
    Rdf,
    Xhtml,
    Feedburner,
    Other,
}

fn classify_uri(uri: &str) -> Ns {
    match uri.trim_end_matches('/') {
        "http://www.w3.org/2005/Atom" | "http://purl.org/atom/ns#" => Ns::Atom,
        "http://purl.org/dc/elements/1.1" | "http://purl.org/dc/terms" => Ns::Dc,
        "http://purl.org/rss/1.0/modules/content" => Ns::Content,
        "http://search.yahoo.com/mrss" => Ns::Media,
        "http://www.itunes.com/dtds/podcast-1.0.dtd" | "http://www.itunes.com/DTDs/Podcast-1.0.dtd" => Ns::Itunes,
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => Ns::Rdf,
        "http://purl.org/rss/1.0"
        | "http://my.netscape.com/rdf/simple/0.9"
        | "http://backend.userland.com/rss2"
        | "http://backend.userland.com/rss" => Ns::Rss,
        "http://www.w3.org/1999/xhtml" => Ns::Xhtml,
        "http://rssnamespace.org/feedburner/ext/1.0" => Ns::Feedburner,
        _ => Ns::Other,
    }
}

/// The namespace bindings in scope. quick-xml's own resolver reads every element's attributes looking for
/// declarations, a tenth of all parse time; feeds declare their namespaces on the root and seldom
/// elsewhere, so declarations are read only from elements whose attributes mention `xmlns`.
#[derive(Default)]
pub(super) struct Namespaces {
    /// Prefix ("" for the default namespace), URI, what the URI names, and the depth that declared it.
    bindings: Vec<(Box<str>, Box<str>, Ns, usize)>,
    /// A namespace of the feed's own making that its root element is in: RSS, wherever it is bound.
    root_uri: Option<Box<str>>,
    /// What unprefixed names outside any default namespace are in: RSS's, or Atom's in an Atom document
    /// written without its namespace.
    unbound: Option<Ns>,
}

static XMLNS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("xmlns"));

impl Namespaces {
    /// Reads the declarations of an element that stands at `depth`.
    pub(super) fn declare(&mut self, e: &BytesStart, depth: usize) {
        if XMLNS.find(e.attributes_raw().as_bytes()).is_none() {
            return;
        }
        for a in attributes(e) {
            let key: &str = a.key.as_ref();
            let prefix = match key.strip_prefix("xmlns") {
                Some("") => "",
                Some(rest) => match rest.strip_prefix(':') {
                    Some(p) => p,
                    None => continue,
                },
                None => continue,
            };
            let uri = decode_entities(&a.value);
            let ns = match classify_uri(&uri) {
                Ns::Other if self.root_uri.as_deref() == Some(uri.as_str()) => Ns::Rss,
                known => known,
            };
            self.bindings.push((prefix.into(), uri.into(), ns, depth));
        }
    }

    /// What an element's qualified name is in. Unprefixed names outside any default namespace are RSS's;
    /// undeclared prefixes are read by convention.
    pub(super) fn resolve(&mut self, qname: &str, is_root: bool) -> Ns {
        let prefix = prefix_of(qname);
        let Some(k) = self.bindings.iter().rposition(|(p, ..)| **p == *prefix) else {
            return if prefix.is_empty() { self.unbound.unwrap_or(Ns::Rss) } else { classify_prefix(prefix) };
        };
        // Some RSS feeds put their elements in a namespace of their own making
        // (xmlns="https://cyber.harvard.edu/rss/rss.html"): the root's namespace is RSS's then.
        if is_root && self.bindings[k].2 == Ns::Other {
            let uri = self.bindings[k].1.clone();
            for b in self.bindings.iter_mut().filter(|b| b.1 == uri) {
                b.2 = Ns::Rss;
            }
            self.root_uri = Some(uri);
        }
        self.bindings[k].2
    }

    /// The root is Atom's `<feed>` or `<entry>` outside Atom's namespace (none, or a misspelt one): the
    /// namespace it is in is read as Atom's for the whole document.
    pub(super) fn make_root_atom(&mut self, qname: &str) {
        let prefix = prefix_of(qname);
        match self.bindings.iter().rposition(|(p, ..)| **p == *prefix) {
            Some(k) => {
                let uri = self.bindings[k].1.clone();
                for b in self.bindings.iter_mut().filter(|b| b.1 == uri) {
                    b.2 = Ns::Atom;
                }
                self.root_uri = None;
            }
            None => self.unbound = Some(Ns::Atom),
        }
    }

    /// Forgets the bindings of elements deeper than `depth`, which have ended.
    pub(super) fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.3 > depth) {
            self.bindings.pop();
        }
    }
}

/// Undeclared prefixes are common in hand-made feeds; the conventional prefix tells what was meant.
fn classify_prefix(prefix: &str) -> Ns {
    match prefix {
        "atom" | "a10" => Ns::Atom,
        "dc" | "dcterms" => Ns::Dc,
        "content" => Ns::Content,
        "media" => Ns::Media,
        "itunes" => Ns::Itunes,
        "rdf" => Ns::Rdf,
        "xhtml" => Ns::Xhtml,
        "feedburner" => Ns::Feedburner,
        _ => Ns::Other,
    }
}

/// The prefix of a qualified name (`dc` of `dc:creator`), or "". Names are short: a plain loop beats
/// setting up a vectorized search for each element.
fn prefix_of(qname: &str) -> &str {
    qname.bytes().position(|b| b == b':').map_or("", |at| &qname[..at])
}
