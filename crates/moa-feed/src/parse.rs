//! The parser's entry: bytes → UTF-8 (`decode`) → JSON Feed or XML (`jsonfeed`, `xml`, past junk printed
//! before the XML) → the normalized feed (`normalize`).

use crate::{Feed, FeedError, ParseOptions, decode, jsonfeed, normalize, xml};

/// How far into a document an XML declaration is looked for behind junk printed before it.
const JUNK_SEARCH_BYTES: usize = 4096;

/// Parses and normalizes a feed document.
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Feed, FeedError> {
    if bytes.len() > options.max_bytes {
        return Err(FeedError::TooLarge { size: bytes.len(), limit: options.max_bytes });
    }
    let decoded = decode::decode(bytes, options.http_charset.as_deref());
    let mut warnings = decoded.warnings;
    let text = decoded.text.trim_start_matches('\u{feff}');
    let start = text.find(|c: char| !c.is_whitespace()).ok_or(FeedError::Empty)?;
    let body = &text[start..];
    let raw = if body.starts_with('{') {
        jsonfeed::parse(body, &mut warnings)?
    } else {
        let Some(mut lt) = body.find('<') else {
            return Err(FeedError::NotAFeed { reason: "no markup and no JSON".into(), alternate: None });
        };
        // A PHP notice or debug output printed before the feed (`<br />\n<b>Notice</b>: …<?xml`).
        // Searched as bytes: the search window may end inside a character, a match never does.
        if !body[lt..].starts_with("<?xml")
            && let Some(decl) = memchr::memmem::find(&body.as_bytes()[..body.len().min(JUNK_SEARCH_BYTES)], b"<?xml")
        {
            lt = decl;
        }
        if lt > 0 {
            warnings.push(format!("skipped {lt} bytes of junk before the XML"));
        }
        xml::parse(&body[lt..], options, &mut warnings)?
    };
    Ok(normalize::normalize(raw, decoded.encoding, warnings, options))
}
