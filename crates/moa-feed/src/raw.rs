//! The format-neutral model the format parsers fill and the normalizer reads. Values are as written in
//! the document (entities already decoded by the XML reader), not yet cleaned.

use crate::Format;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TextKind {
    Plain,
    Html,
}

#[derive(Debug, Clone)]
pub(crate) struct RawText {
    pub(crate) value: String,
    pub(crate) kind: TextKind,
}

#[derive(Debug, Default)]
pub(crate) struct RawLink {
    pub(crate) href: String,
    pub(crate) rel: Option<String>,
    pub(crate) mime: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct RawMedia {
    pub(crate) url: String,
    pub(crate) mime: Option<String>,
    pub(crate) medium: Option<String>,
    /// `media:thumbnail`, `itunes:image` or JSON Feed `image`: an image by definition.
    pub(crate) is_thumbnail: bool,
}

#[derive(Debug, Default)]
pub(crate) struct RawEntry {
    pub(crate) id: Option<String>,
    /// RSS `<guid isPermaLink>`: whether the GUID may serve as the link.
    pub(crate) guid_is_permalink: bool,
    pub(crate) title: Option<RawText>,
    pub(crate) links: Vec<RawLink>,
    /// The address a redirecting feed service (FeedBurner) stands in front of: preferred when present.
    pub(crate) orig_link: Option<String>,
    /// `xml:base` in effect for the entry.
    pub(crate) base: Option<String>,
    pub(crate) published: Option<String>,
    pub(crate) updated: Option<String>,
    pub(crate) authors: Vec<String>,
    /// `dc:contributor`, Atom `<contributor>`: named when no author is.
    pub(crate) contributors: Vec<String>,
    pub(crate) summary: Option<RawText>,
    pub(crate) content: Option<RawText>,
    pub(crate) categories: Vec<String>,
    /// (term, label) of categories whose label differs from their term.
    pub(crate) category_labels: Vec<(String, String)>,
    pub(crate) media: Vec<RawMedia>,
    /// Ranks of the elements that gave the title, summary and publication date (the XML reader's).
    pub(crate) ranks: [u8; 3],
}

#[derive(Debug)]
pub(crate) struct RawFeed {
    pub(crate) format: Format,
    pub(crate) title: Option<RawText>,
    pub(crate) links: Vec<RawLink>,
    pub(crate) base: Option<String>,
    pub(crate) description: Option<RawText>,
    pub(crate) language: Option<String>,
    /// `xml:lang` of the root or the channel.
    pub(crate) xml_lang: Option<String>,
    /// Ranks of the elements that gave the title and description (the XML reader's).
    pub(crate) ranks: [u8; 2],
    /// RSS `<ttl>`: minutes the publisher asks readers to wait between fetches.
    pub(crate) ttl: Option<String>,
    pub(crate) entries: Vec<RawEntry>,
}

impl RawFeed {
    pub(crate) fn new(format: Format) -> Self {
        Self {
            format,
            title: None,
            links: Vec::new(),
            base: None,
            description: None,
            language: None,
            xml_lang: None,
            ranks: [0; 2],
            ttl: None,
            entries: Vec::new(),
        }
    }
}
