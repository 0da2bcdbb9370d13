//! JSON Feed 1.0 and 1.1 into the raw model.

use serde_json::Value;

use crate::raw::{RawEntry, RawFeed, RawLink, RawMedia, RawText, TextKind};
use crate::{FeedError, Format};

pub(crate) fn parse(text: &str, warnings: &mut Vec<String>) -> Result<RawFeed, FeedError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| FeedError::Json(e.to_string()))?;
    let version = doc.get("version").and_then(Value::as_str).unwrap_or("");
    if !version.contains("jsonfeed.org/version/") {
        return Err(FeedError::NotAFeed {
            reason: "a JSON document without a JSON Feed \"version\"".into(),
            alternate: None,
        });
    }
    let s = |v: &Value, k: &str| {
        v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from)
    };
    let mut feed = RawFeed::new(Format::JsonFeed1);
    feed.title = s(&doc, "title").map(|value| RawText { value, kind: TextKind::Plain });
    if let Some(href) = s(&doc, "home_page_url") {
        feed.links.push(RawLink { href, rel: Some("alternate".into()), mime: None });
    }
    feed.description = s(&doc, "description").map(|value| RawText { value, kind: TextKind::Plain });
    feed.language = s(&doc, "language");
    let items = match doc.get("items") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => {
            warnings.push("\"items\" is not an array".into());
            &[]
        }
        None => &[],
    };
    for item in items {
        if !item.is_object() {
            warnings.push("skipped an item that is not an object".into());
            continue;
        }
        let mut entry = RawEntry {
            id: item.get("id").and_then(|v| match v {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            title: s(item, "title").map(|value| RawText { value, kind: TextKind::Plain }),
            published: s(item, "date_published"),
            updated: s(item, "date_modified"),
            summary: s(item, "summary").map(|value| RawText { value, kind: TextKind::Plain }),
            content: s(item, "content_html")
                .map(|value| RawText { value, kind: TextKind::Html })
                .or_else(|| s(item, "content_text").map(|value| RawText { value, kind: TextKind::Plain })),
            ..RawEntry::default()
        };
        entry.id = entry.id.filter(|i| !i.is_empty());
        if let Some(href) = s(item, "url") {
            entry.links.push(RawLink { href, rel: Some("alternate".into()), mime: None });
        } else if let Some(href) = s(item, "external_url") {
            entry.links.push(RawLink { href, rel: Some("alternate".into()), mime: None });
        }
        // 1.1 has "authors", 1.0 "author".
        let authors = item.get("authors").and_then(Value::as_array).cloned().unwrap_or_default();
        for a in authors.iter().chain(item.get("author")) {
            if let Some(name) = s(a, "name") {
                entry.authors.push(name);
            }
        }
        if let Some(tags) = item.get("tags").and_then(Value::as_array) {
            entry.categories.extend(tags.iter().filter_map(Value::as_str).map(String::from));
        }
        for key in ["image", "banner_image"] {
            if let Some(url) = s(item, key) {
                entry.media.push(RawMedia { url, is_thumbnail: true, ..RawMedia::default() });
            }
        }
        if let Some(atts) = item.get("attachments").and_then(Value::as_array) {
            for a in atts {
                if let Some(url) = s(a, "url") {
                    entry.media.push(RawMedia { url, mime: s(a, "mime_type"), ..RawMedia::default() });
                }
            }
        }
        feed.entries.push(entry);
    }
    Ok(feed)
}
