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
    pub value: String,
    pub kind: TextKind,
}

#[derive(Debug, Default)]
pub(crate) struct RawLink {
    pub href: String,
    pub rel: Option<String>,
    pub mime: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct RawMedia {
    pub url: String,
    pub mime: Option<String>,
    pub medium: Option<String>,
    /// `media:thumbnail`, `itunes:image` or JSON Feed `image`: an image by definition.
    pub is_thumbnail: bool,
}

#[derive(Debug, Default)]
pub(crate) struct RawEntry {
    pub id: Option<String>,
    /// RSS `<guid isPermaLink>`: whether the GUID may serve as the link.
    pub guid_is_permalink: bool,
    pub title: Option<RawText>,
    pub links: Vec<RawLink>,
    /// The address a redirecting feed service (FeedBurner) stands in front of: preferred when present.
    pub orig_link: Option<String>,
    /// `xml:base` in effect for the entry.
    pub base: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub authors: Vec<String>,
    /// `dc:contributor`, Atom `<contributor>`: named when no author is.
    pub contributors: Vec<String>,
    pub summary: Option<RawText>,
    pub content: Option<RawText>,
    pub categories: Vec<String>,
    /// (term, label) of categories whose label differs from their term.
    pub category_labels: Vec<(String, String)>,
    pub media: Vec<RawMedia>,
    /// Ranks of the elements that gave the title, summary and publication date (the XML reader's).
    pub ranks: [u8; 3],
}

#[derive(Debug)]
pub(crate) struct RawFeed {
    pub format: Format,
    pub title: Option<RawText>,
    pub links: Vec<RawLink>,
    pub base: Option<String>,
    pub description: Option<RawText>,
    pub language: Option<String>,
    /// `xml:lang` of the root or the channel.
    pub xml_lang: Option<String>,
    /// Ranks of the elements that gave the title and description (the XML reader's).
    pub ranks: [u8; 2],
    /// RSS `<ttl>`: minutes the publisher asks readers to wait between fetches.
    pub ttl: Option<String>,
    pub entries: Vec<RawEntry>,
}

impl RawFeed {
    pub fn new(format: Format) -> Self {
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
