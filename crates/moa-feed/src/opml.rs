//! OPML subscription lists, for operators who bring their own list of blogs.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::html::decode_entities;

/// A subscription of an OPML list.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// Its `title` (else `text`, else the feed's address).
    pub title: String,
    /// The feed's address (`xmlUrl`).
    pub xml_url: String,
    /// The blog's homepage (`htmlUrl`), if given.
    pub html_url: Option<String>,
}

/// An OPML document that is not well-formed XML.
#[derive(Debug, thiserror::Error)]
#[error("malformed OPML at byte {position}: {message}")]
pub struct OpmlError {
    /// The byte where reading failed.
    pub position: u64,
    /// What the XML reader said.
    pub message: String,
}

/// Every `<outline>` with an `xmlUrl`, at any depth (folders are flattened).
pub fn parse_opml(text: &str) -> Result<Vec<Outline>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "outline" => {
                let get = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref().eq_ignore_ascii_case(name))
                        .map(|a| decode_entities(&a.value).trim().to_string())
                        .filter(|v| !v.is_empty())
                };
                if let Some(xml_url) = get("xmlUrl") {
                    let title = get("title").or_else(|| get("text")).unwrap_or_else(|| xml_url.clone());
                    out.push(Outline { title, xml_url, html_url: get("htmlUrl") });
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(OpmlError { position: reader.error_position(), message: e.to_string() });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_are_flattened() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><body>
            <outline text="Korean"><outline text="당근" title="당근 테크" type="rss" xmlUrl="https://medium.com/feed/daangn" htmlUrl="https://medium.com/daangn"/></outline>
            <outline text="No feed"/></body></opml>"#;
        let got = parse_opml(opml).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].title, "당근 테크");
        assert_eq!(got[0].xml_url, "https://medium.com/feed/daangn");
    }
}
