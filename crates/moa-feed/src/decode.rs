//! Bytes to UTF-8 text. Order of trust: a byte-order mark, the XML declaration, the HTTP charset given by
//! the caller, then detection. Real servers often send a wrong HTTP charset (ISO-8859-1 by default) while
//! the document's own declaration is right, so the declaration wins over the header.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

pub(crate) struct Decoded<'a> {
    /// Borrowed from the input when it already is valid UTF-8: most feeds are, and this saves a copy.
    pub text: Cow<'a, str>,
    /// The WHATWG name of the encoding used, lowercase (e.g. `utf-8`, `euc-kr`).
    pub encoding: String,
    pub warnings: Vec<String>,
}

pub(crate) fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    let mut warnings = Vec::new();
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return finish(enc, &bytes[bom_len..], warnings);
    }
    let declared = declared_encoding(bytes);
    let chosen = match declared {
        Some(label) => match encoding_for_label(&label) {
            // A UTF-16 declaration without a BOM in an ASCII-compatible file is a lie: the
            // declaration itself was readable as ASCII.
            Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => Some(UTF_8),
            Some(enc) => Some(enc),
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
            if enc.is_none() {
                warnings.push(format!("unknown HTTP charset {label:?}"));
            }
            enc
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

/// The WHATWG labels, plus the names Korean servers use for EUC-KR's superset that WHATWG leaves out.
fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim();
    let korean = ["cp949", "ms949", "x-windows-949", "uhc", "x-uhc"];
    if korean.iter().any(|k| label.eq_ignore_ascii_case(k)) {
        return Some(encoding_rs::EUC_KR);
    }
    Encoding::for_label(label.as_bytes())
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

    #[test]
    fn invalid_bytes_become_a_warning() {
        let d = decode(b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xff\xfe ok</a>", None);
        assert!(d.text.contains("ok"));
        assert!(!d.warnings.is_empty());
    }
}
