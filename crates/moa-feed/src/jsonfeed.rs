//! JSON Feed 1.0 and 1.1 into the raw model.
//!
//! Read into typed structs that borrow from the document rather than into a `serde_json::Value` tree,
//! which built a map per object and copied every string (a tenth of all parse time on the corpus). Real
//! feeds put the wrong type in fields, so every field takes any JSON value and keeps only what it can use.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::raw::{RawEntry, RawFeed, RawLink, RawMedia, RawText, TextKind};
use crate::{FeedError, Format};

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow, default)]
    version: Loose<'a>,
    #[serde(borrow, default)]
    title: Loose<'a>,
    #[serde(borrow, default)]
    home_page_url: Loose<'a>,
    #[serde(borrow, default)]
    description: Loose<'a>,
    #[serde(borrow, default)]
    language: Loose<'a>,
    #[serde(borrow, default)]
    feed_url: Loose<'a>,
    #[serde(borrow, default)]
    hubs: Objects<Hub<'a>>,
    #[serde(borrow, default)]
    items: Items<'a>,
}

#[derive(Deserialize, Default)]
struct Hub<'a> {
    #[serde(borrow, default)]
    r#type: Loose<'a>,
    #[serde(borrow, default)]
    url: Loose<'a>,
}

#[derive(Deserialize, Default)]
struct Item<'a> {
    #[serde(borrow, default)]
    id: Loose<'a>,
    #[serde(borrow, default)]
    url: Loose<'a>,
    #[serde(borrow, default)]
    external_url: Loose<'a>,
    #[serde(borrow, default)]
    title: Loose<'a>,
    #[serde(borrow, default)]
    content_html: Loose<'a>,
    #[serde(borrow, default)]
    content_text: Loose<'a>,
    #[serde(borrow, default)]
    summary: Loose<'a>,
    #[serde(borrow, default)]
    image: Loose<'a>,
    #[serde(borrow, default)]
    banner_image: Loose<'a>,
    #[serde(borrow, default)]
    date_published: Loose<'a>,
    #[serde(borrow, default)]
    date_modified: Loose<'a>,
    /// 1.0 has one `author`, 1.1 a list of `authors`.
    #[serde(borrow, default)]
    author: Objects<Named<'a>>,
    #[serde(borrow, default)]
    authors: Objects<Named<'a>>,
    #[serde(borrow, default)]
    tags: Objects<Loose<'a>>,
    #[serde(borrow, default)]
    attachments: Objects<Attachment<'a>>,
}

#[derive(Deserialize, Default)]
struct Named<'a> {
    #[serde(borrow, default)]
    name: Loose<'a>,
}

#[derive(Deserialize, Default)]
struct Attachment<'a> {
    #[serde(borrow, default)]
    url: Loose<'a>,
    #[serde(borrow, default)]
    mime_type: Loose<'a>,
}

/// Visitor methods for the JSON scalars a field has no use for: each gives `$value`.
macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// A string or number, as text; `None` for any other JSON value.
#[derive(Default)]
struct Loose<'a>(Option<Cow<'a, str>>);

impl<'a> Loose<'a> {
    /// Trimmed and non-empty.
    fn text(&self) -> Option<String> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Loose(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

/// Objects of type `T` from one object or a list of them; anything else in their place is skipped.
struct Objects<T> {
    list: Vec<T>,
}

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Self { list: Vec::new() }
    }
}

/// One element of a list: an object read as `T`, or something else (`None`), skipped.
struct Element<T>(Option<T>);

struct ElementVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ElementVisitor<T> {
    type Value = Element<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Element(Some(t)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        // A tag list is a list of strings: let `T` take them when it can.
        Ok(Element(T::deserialize(de::value::BorrowedStrDeserializer::<E>::new(v)).ok()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Element(T::deserialize(de::value::StringDeserializer::<E>::new(v.to_string())).ok()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element(None))
    }
    ignore_scalars!(Element(None));
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Element<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ElementVisitor(std::marker::PhantomData))
    }
}

struct ObjectsVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectsVisitor<T> {
    type Value = Objects<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::new();
        while let Some(Element(e)) = seq.next_element::<Element<T>>()? {
            list.extend(e);
        }
        Ok(Objects { list })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let one = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Objects { list: vec![one] })
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Objects::default())
    }
    ignore_scalars!(Objects::default());
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Objects<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectsVisitor(std::marker::PhantomData))
    }
}

/// `items`: the list, how many of its elements were not objects, and whether it was a list at all.
#[derive(Default)]
struct Items<'a> {
    list: Vec<Item<'a>>,
    skipped: usize,
    not_a_list: bool,
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Items::default();
        while let Some(Element(e)) = seq.next_element::<Element<Item<'de>>>()? {
            match e {
                Some(item) => items.list.push(item),
                None => items.skipped += 1,
            }
        }
        Ok(items)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Items { not_a_list: true, ..Items::default() })
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Items { not_a_list: true, ..Items::default() })
    }
    ignore_scalars!(Items { not_a_list: true, ..Items::default() });
}

impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemsVisitor)
    }
}

pub(crate) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<RawFeed, FeedError> {
    let doc: Doc = serde_json::from_str(text).map_err(|e| FeedError::Json(e.to_string()))?;
    if !doc.version.0.as_deref().is_some_and(|v| v.contains("jsonfeed.org/version/")) {
        return Err(FeedError::NotAFeed {
            reason: "a JSON document without a JSON Feed \"version\"".into(),
            alternate: None,
        });
    }
    let plain = |value| RawText { value, kind: TextKind::Plain };
    let mut feed = RawFeed::new(Format::JsonFeed1);
    feed.title = doc.title.text().map(plain);
    if let Some(href) = doc.home_page_url.text() {
        feed.links.push(RawLink { href, rel: Some("alternate".into()), mime: None });
    }
    feed.description = doc.description.text().map(plain);
    feed.language = doc.language.text();
    if let Some(href) = doc.feed_url.text() {
        feed.links.push(RawLink { href, rel: Some("self".into()), mime: None });
    }
    let websub = |h: &&Hub| h.r#type.text().is_some_and(|t| t.eq_ignore_ascii_case("websub"));
    if let Some(href) = doc.hubs.list.iter().find(websub).and_then(|h| h.url.text()) {
        feed.links.push(RawLink { href, rel: Some("hub".into()), mime: None });
    }
    if doc.items.not_a_list {
        warnings.push("\"items\" is not an array".into());
    }
    for _ in 0..doc.items.skipped {
        warnings.push("skipped an item that is not an object".into());
    }
    for item in doc.items.list {
        let mut entry = RawEntry {
            id: item.id.text(),
            title: item.title.text().map(plain),
            published: item.date_published.text(),
            updated: item.date_modified.text(),
            summary: item.summary.text().map(plain),
            content: item
                .content_html
                .text()
                .map(|value| RawText { value, kind: TextKind::Html })
                .or_else(|| item.content_text.text().map(plain)),
            ..RawEntry::default()
        };
        if let Some(href) = item.url.text().or_else(|| item.external_url.text()) {
            entry.links.push(RawLink { href, rel: Some("alternate".into()), mime: None });
        }
        entry.authors = item.authors.list.iter().chain(&item.author.list).filter_map(|a| a.name.text()).collect();
        entry.categories = item.tags.list.iter().filter_map(|t| t.0.as_deref().map(String::from)).collect();
        for image in [&item.image, &item.banner_image] {
            if let Some(url) = image.text() {
                entry.media.push(RawMedia { url, is_thumbnail: true, ..RawMedia::default() });
            }
        }
        for a in &item.attachments.list {
            if let Some(url) = a.url.text() {
                entry.media.push(RawMedia { url, mime: a.mime_type.text(), ..RawMedia::default() });
            }
        }
        feed.entries.push(entry);
    }
    Ok(feed)
}
