//! The text of a captured element read straight from the source rather than event by event: where it
//! ends, and what its references stand for (XML's own, HTML's named ones with a warning).

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::html::resolve_reference;

/// Distinct entity names warned about, one by one, in a document.
const MAX_WARNED_ENTITIES: usize = 32;

/// Where the text of the element whose start tag ends at `from` ends: the start of its end tag `</qname>`.
/// CDATA sections and comments are passed over whole. `None` when the end tag is missing or another end
/// tag comes first (unescaped markup, an unclosed element): the event reader handles those.
pub(super) fn find_text_end(text: &str, from: usize, qname: &[u8]) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    loop {
        i += memchr::memchr(b'<', &bytes[i..])?;
        let rest = &bytes[i..];
        if rest.starts_with(b"<![CDATA[") {
            i += 9 + CDATA_END.find(&rest[9..])? + 3;
        } else if rest.starts_with(b"<!--") {
            i += 4 + COMMENT_END.find(&rest[4..])? + 3;
        } else if rest.starts_with(b"</") {
            let after = &rest[2..];
            let closes = after.starts_with(qname)
                && after[qname.len()..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'>');
            return closes.then_some(i);
        } else if rest.len() > 1 && (rest[1].is_ascii_alphabetic() || rest[1] == b'!' || rest[1] == b'?') {
            return None;
        } else {
            i += 1;
        }
    }
}

static CDATA_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("]]>"));
static COMMENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("-->"));

fn predefined_entity(name: &str) -> &'static str {
    match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        _ => "'",
    }
}

/// Writes what `&name;` stands for. Predefined and numeric references are XML; an HTML named entity,
/// which feeds use without declaring, is decoded with a warning; anything else is kept as written, with a
/// warning. Each name is warned about once per document.
pub(super) fn resolve_entity_into(
    name: &str,
    out: &mut String,
    warnings: &mut Vec<String>,
    warned: &mut Vec<Box<str>>,
) {
    if let "lt" | "gt" | "amp" | "quot" | "apos" = name {
        out.push_str(predefined_entity(name));
        return;
    }
    let resolved = resolve_reference(name);
    // Numeric references are XML: only an unresolvable one is worth a warning.
    let worth_warning = resolved.is_none() || !name.starts_with('#');
    // A document uses a few entity names, so a short list beats hashing each occurrence; past the cap
    // (hostile input with endless names) one warning stands for the rest.
    if worth_warning && warned.len() <= MAX_WARNED_ENTITIES && !warned.iter().any(|w| **w == *name) {
        if warned.len() == MAX_WARNED_ENTITIES {
            warnings.push(format!("more than {MAX_WARNED_ENTITIES} undefined entity names; the rest not listed"));
        } else {
            warnings.push(match resolved {
                Some(_) => format!("HTML entity &{name}; is not defined in XML; decoded as HTML"),
                None => format!("unknown entity &{name}; kept as written"),
            });
        }
        warned.push(name.into());
    }
    match resolved {
        Some(r) => r.push_to(out),
        None => {
            out.push('&');
            out.push_str(name);
            out.push(';');
        }
    }
}

/// The name of a well-formed reference `&name;` at the start of `s`.
fn reference_name(s: &str) -> Option<&str> {
    for (len, &b) in s.as_bytes().iter().skip(1).take(32).enumerate() {
        match b {
            b';' if len > 0 => return Some(&s[1..=len]),
            b if b.is_ascii_alphanumeric() || b == b'#' => {}
            _ => return None,
        }
    }
    None
}

/// Appends the source text of a captured element (not markup-mode) to `out`: CDATA as written, comments
/// dropped, references resolved as [`resolve_entity_into`] does, a bare `&` and any markup kept.
pub(super) fn append_source(out: &mut String, src: &str, warnings: &mut Vec<String>, warned: &mut Vec<Box<str>>) {
    let mut rest = src;
    while let Some(p) = memchr::memchr2(b'&', b'<', rest.as_bytes()) {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = CDATA_END.find(body.as_bytes()).unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 3..).unwrap_or("");
        } else if let Some(body) = rest.strip_prefix("<!--") {
            rest = COMMENT_END.find(body.as_bytes()).map_or("", |end| &body[end + 3..]);
        } else if rest.starts_with('<') {
            out.push('<');
            rest = &rest[1..];
        } else if let Some(name) = reference_name(rest) {
            resolve_entity_into(name, out, warnings, warned);
            rest = &rest[name.len() + 2..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
}
