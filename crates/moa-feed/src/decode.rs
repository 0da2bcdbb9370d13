//! Bytes to UTF-8 text. Order of trust: a byte-order mark, the XML declaration, the HTTP charset given by
//! the caller, then detection. Real servers often send a wrong HTTP charset (ISO-8859-1 by default) while
//! the document's own declaration is right, so the declaration wins over the header.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

pub(crate) struct Decoded<'a> {
    /// Borrowed from the input when it already is valid UTF-8: most feeds are, and this saves a copy.
    pub(crate) text: Cow<'a, str>,
    /// The WHATWG name of the encoding used, lowercase (e.g. `utf-8`, `euc-kr`).
    pub(crate) encoding: String,
    pub(crate) warnings: Vec<String>,
}

pub(crate) fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    let mut warnings = Vec::new();
    // UTF-32's marks first: the little-endian one begins with UTF-16's.
    match bytes {
        [0x00, 0x00, 0xFE, 0xFF, rest @ ..] => return utf32(rest, true, warnings),
        [0xFF, 0xFE, 0x00, 0x00, rest @ ..] => return utf32(rest, false, warnings),
        _ => {}
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return finish(enc, &bytes[bom_len..], warnings);
    }
    // Without a mark, a document in UTF-16 or UTF-32 shows itself by where its first character's zero
    // bytes fall (XML 1.0, appendix F), whatever it declares.
    match sniff_wide(bytes) {
        Some(Wide::Utf32 { big_endian }) => return utf32(bytes, big_endian, warnings),
        Some(Wide::Utf16 { big_endian }) => {
            let enc = if big_endian { encoding_rs::UTF_16BE } else { encoding_rs::UTF_16LE };
            return finish(enc, bytes, warnings);
        }
        None => {}
    }
    let declared = declared_encoding(bytes);
    let chosen = match declared {
        Some(label) => match encoding_for_label(&label) {
            // A UTF-16 declaration in a file whose declaration was readable as ASCII is a lie.
            Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => Some(UTF_8),
            Some(enc) => Some(enc),
            None if is_wide_label(&label) => Some(UTF_8),
            None => {
                warnings.push(format!("unknown encoding {label:?} in the XML declaration"));
                None
            }
        },
        None => None,
    };
    let chosen = chosen.or_else(|| {
        http_charset.and_then(|label| {
            let enc = encoding_for_label(label);
            if enc.is_none() && !is_wide_label(label) {
                warnings.push(format!("unknown HTTP charset {label:?}"));
            }
            enc.filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE)
        })
    });
    // SIMD validation: most feeds are valid UTF-8, and checking that was a twentieth of all parse time.
    let valid_utf8 = simdutf8::basic::from_utf8(bytes).ok();
    match chosen {
        Some(enc) if enc == UTF_8 && valid_utf8.is_some() => utf8(valid_utf8, bytes, warnings),
        // UTF-8 declared but the bytes are not: a common mistake of Korean blogs serving EUC-KR. Only a
        // multi-byte encoding that reads every byte is evidence; a single-byte one reads anything.
        Some(enc) if enc == UTF_8 => {
            let guessed = guess(bytes);
            if guessed != UTF_8
                && !guessed.is_single_byte()
                && guessed.decode_without_bom_handling_and_without_replacement(bytes).is_some()
            {
                warnings.push(format!(
                    "declared utf-8 but the bytes are {}; decoded as {}",
                    guessed.name(),
                    guessed.name()
                ));
                return finish(guessed, bytes, warnings);
            }
            finish(UTF_8, bytes, warnings)
        }
        Some(enc) => finish(enc, bytes, warnings),
        None if valid_utf8.is_some() => utf8(valid_utf8, bytes, warnings),
        None => {
            let guessed = guess(bytes);
            warnings.push(format!("no encoding declared; detected {}", guessed.name()));
            finish(guessed, bytes, warnings)
        }
    }
}

enum Wide {
    Utf16 { big_endian: bool },
    Utf32 { big_endian: bool },
}

/// UTF-16 or UTF-32 recognised by the zero bytes around the document's first ASCII character (`<`, or
/// whitespace before it).
fn sniff_wide(bytes: &[u8]) -> Option<Wide> {
    let ascii = |b: u8| b != 0 && b.is_ascii();
    match *bytes.get(..4)? {
        [0, 0, 0, c] if ascii(c) => Some(Wide::Utf32 { big_endian: true }),
        [c, 0, 0, 0] if ascii(c) => Some(Wide::Utf32 { big_endian: false }),
        [0, c, 0, d] if ascii(c) && ascii(d) => Some(Wide::Utf16 { big_endian: true }),
        [c, 0, d, 0] if ascii(c) && ascii(d) => Some(Wide::Utf16 { big_endian: false }),
        _ => None,
    }
}

/// Labels of UTF-16 and UTF-32 (`utf-32`, `ucs-4`, `iso-10646-ucs-2`…): the bytes say which, so a file
/// that declares one but whose declaration reads as ASCII is not in it.
fn is_wide_label(label: &str) -> bool {
    let key = label_key(label);
    ["utf16", "utf32", "ucs2", "ucs4", "iso10646ucs2", "iso10646ucs4", "csucs4", "csunicode", "unicode", "u16", "u32"]
        .iter()
        .any(|w| key.starts_with(w))
}

/// UTF-32, which encoding_rs leaves out (WHATWG does): four bytes a character.
fn utf32(bytes: &[u8], big_endian: bool, mut warnings: Vec<String>) -> Decoded<'_> {
    let mut text = String::with_capacity(bytes.len() / 4);
    let mut invalid = false;
    for unit in bytes.chunks(4) {
        let code = match *unit {
            [a, b, c, d] if big_endian => u32::from_be_bytes([a, b, c, d]),
            [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
            _ => u32::MAX,
        };
        text.push(char::from_u32(code).unwrap_or_else(|| {
            invalid = true;
            char::REPLACEMENT_CHARACTER
        }));
    }
    let encoding = if big_endian { "utf-32be" } else { "utf-32le" };
    if invalid {
        warnings.push(format!("invalid {encoding} byte sequences were replaced with U+FFFD"));
    }
    Decoded { text: Cow::Owned(text), encoding: encoding.into(), warnings }
}

/// A WHATWG label (`ks_c_5601-1987`, `latin1`), else another name for a WHATWG encoding
/// ([`crate::charset_labels`]: `cp949`, `windows_1250`, `ms-ansi`…).
fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim();
    if let Some(enc) = Encoding::for_label(label.as_bytes()) {
        return Some(enc);
    }
    let key = label_key(label);
    let aliases = &crate::charset_labels::ALIASES;
    let k = aliases.binary_search_by(|(a, _)| (*a).cmp(key.as_str())).ok()?;
    Encoding::for_label(aliases[k].1.as_bytes())
}

/// A label's letters and digits, lowercased: `Windows_1250` and `windows-1250` are one label.
fn label_key(label: &str) -> String {
    label.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// How much of an undeclared document encoding detection reads.
const DETECTION_BYTES: usize = 64 << 10;

fn guess(bytes: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // chardetng costs about a thousand instructions a byte; the start of a feed decides its encoding as
    // well as the whole would, and keeps a large undeclared document from costing seconds.
    detector.feed(&bytes[..bytes.len().min(DETECTION_BYTES)], true);
    // Korean blogs are the common case: prefer EUC-KR when the bytes allow it.
    detector.guess(Some(b"kr"), chardetng::Utf8Detection::Allow)
}

fn utf8<'a>(valid: Option<&'a str>, bytes: &'a [u8], warnings: Vec<String>) -> Decoded<'a> {
    match valid {
        Some(text) => Decoded { text: Cow::Borrowed(text), encoding: "utf-8".into(), warnings },
        None => finish(UTF_8, bytes, warnings),
    }
}

fn finish<'a>(enc: &'static Encoding, bytes: &'a [u8], mut warnings: Vec<String>) -> Decoded<'a> {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        warnings.push(format!("invalid {} byte sequences were replaced with U+FFFD", enc.name()));
    }
    Decoded { text, encoding: enc.name().to_ascii_lowercase(), warnings }
}

/// The `encoding` pseudo-attribute of an XML declaration at the start of the document, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let start = find(head, b"<?xml")?;
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = find(decl, b"encoding")? + "encoding".len();
    let rest = &decl[at..];
    let rest = rest.iter().skip_while(|b| b.is_ascii_whitespace() || **b == b'=').copied().collect::<Vec<_>>();
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value: Vec<u8> = rest[1..].iter().take_while(|b| **b != quote).copied().collect();
    String::from_utf8(value).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>한</a>".as_bytes());
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, "utf-8");
        assert!(d.text.contains("한"));
    }

    #[test]
    fn declared_euc_kr_is_transcoded() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode("<?xml version=\"1.0\" encoding=\"EUC-KR\"?><a>안녕하세요</a>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, "euc-kr");
        assert!(d.text.contains("안녕하세요"));
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn korean_charset_aliases_are_euc_kr() {
        for label in ["CP949", "ms949", "x-windows-949", "UHC"] {
            // 똠 is outside KS X 1001: only the Windows superset that WHATWG calls EUC-KR has it.
            let doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a>똠방각하</a>");
            let (bytes, _, _) = encoding_rs::EUC_KR.encode(&doc);
            let d = decode(&bytes, None);
            assert_eq!(d.encoding, "euc-kr", "{label}");
            assert!(d.text.contains("똠방각하"), "{label}");
            assert!(d.warnings.is_empty(), "{label}: {:?}", d.warnings);
        }
    }

    #[test]
    fn http_charset_used_when_document_is_silent() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode("<rss><title>기술 블로그</title></rss>");
        let d = decode(&bytes, Some("euc-kr"));
        assert_eq!(d.encoding, "euc-kr");
        assert!(d.text.contains("기술 블로그"));
    }

    #[test]
    fn undeclared_euc_kr_is_detected() {
        let (bytes, _, _) =
            encoding_rs::EUC_KR.encode("<rss><title>우아한형제들 기술블로그에 오신 것을 환영합니다</title></rss>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, "euc-kr");
        assert!(d.text.contains("우아한형제들"));
    }

    #[test]
    fn euc_kr_served_as_utf8_is_read_as_korean() {
        let (bytes, _, _) = encoding_rs::EUC_KR.encode(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>우아한형제들 기술블로그 새 글 안내</title></rss>",
        );
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, "euc-kr");
        assert!(d.text.contains("우아한형제들"));
        assert!(d.warnings[0].contains("declared utf-8"), "{:?}", d.warnings);
    }

    fn wide(doc: &str, encoding: &str, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units: Vec<u32> = doc.chars().map(u32::from).collect();
        let mut push = |c: u32| match encoding {
            "utf-32be" => out.extend_from_slice(&c.to_be_bytes()),
            "utf-32le" => out.extend_from_slice(&c.to_le_bytes()),
            _ => {
                let mut buf = [0u16; 2];
                for u in char::from_u32(c).unwrap().encode_utf16(&mut buf) {
                    out.extend_from_slice(&if encoding == "utf-16be" { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
        };
        if bom {
            push(0xFEFF);
        }
        for c in units {
            push(c);
        }
        out
    }

    #[test]
    fn utf16_and_utf32_with_or_without_a_mark_declared_or_not() {
        for encoding in ["utf-16be", "utf-16le", "utf-32be", "utf-32le"] {
            for declared in ["", " encoding=\"utf-16\"", " encoding=\"UTF-32\"", " encoding=\"iso-10646-ucs-4\""] {
                let doc = format!("<?xml version=\"1.0\"{declared}?><rss><title>한글 𝄞 feed</title></rss>");
                for bom in [true, false] {
                    let bytes = wide(&doc, encoding, bom);
                    let d = decode(&bytes, None);
                    assert_eq!(d.encoding, encoding, "{encoding} {declared} bom={bom}");
                    assert_eq!(d.text.trim_start_matches('\u{feff}'), doc, "{encoding} {declared} bom={bom}");
                    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
                }
            }
        }
        // An HTTP charset of UTF-16 on bytes that are plainly ASCII-compatible is wrong, not obeyed.
        let d = decode("<rss><title>plain</title></rss>".as_bytes(), Some("utf-16"));
        assert_eq!((d.encoding.as_str(), d.text.as_ref()), ("utf-8", "<rss><title>plain</title></rss>"));
        let d = decode(b"<?xml version=\"1.0\" encoding=\"utf-32\"?><rss/>", None);
        assert_eq!(d.encoding, "utf-8");
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn other_names_of_whatwg_encodings() {
        // Each label with a byte its encoding reads differently from Windows-1252 where it can.
        let cases: [(&str, &[u8], &str); 12] = [
            ("windows_1250", b"\x8a", "Š"),
            ("ms-ee", b"\x8a", "Š"),
            ("ms-ansi", b"\x80", "€"),
            ("MS-CYRL", b"\xc0", "А"),
            ("winbaltrim", b"\xe0", "ą"),
            ("latin1", b"\x80", "€"),
            ("ks_c_5601-1987", b"\xc7\xd1", "한"),
            ("cp949", b"\xc7\xd1", "한"),
            ("x-euc-kr", b"\xc7\xd1", "한"),
            ("Windows-949", b"\xc7\xd1", "한"),
            ("mac", b"\x80", "Ä"),
            ("csIBM866", b"\x80", "А"),
        ];
        for (label, bytes, expected) in cases {
            let mut doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><a>").into_bytes();
            doc.extend_from_slice(bytes);
            doc.extend_from_slice(b"</a>");
            let d = decode(&doc, None);
            assert!(d.text.contains(&format!("<a>{expected}</a>")), "{label}: {}", d.text);
            assert!(d.warnings.is_empty(), "{label}: {:?}", d.warnings);
        }
    }

    #[test]
    fn invalid_bytes_become_a_warning() {
        let d = decode(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xff\xfe ok</a>", None);
        assert!(d.text.contains("ok"));
        assert!(!d.warnings.is_empty());
    }
}
