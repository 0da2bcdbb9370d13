//! Character references (`&alpha;`, `&#8217;`, `&#x2026;`, the legacy `&copy` without its semicolon), read
//! as HTML reads them: the WHATWG named references of [`crate::entities`], numeric ones with the C1 range
//! read as Windows-1252, as browsers do.

/// The text a character reference stands for, without allocating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Resolved {
    Char(char),
    Str(&'static str),
}

impl Resolved {
    pub(crate) fn push_to(self, out: &mut String) {
        match self {
            Resolved::Char(c) => out.push(c),
            Resolved::Str(s) => out.push_str(s),
        }
    }
}

/// Decodes the character reference at `start` (which holds `&`). Returns the text and the index after
/// the reference, or `None` and `start + 1` when it is a bare ampersand or names no known character.
/// A legacy name without its semicolon (`&copy 2024`) is read as browsers read it in text, unless a
/// letter, digit or `=` follows it (`?a=1&copy=2` is a query, not a symbol).
pub(crate) fn decode_entity(s: &str, start: usize) -> (Option<Resolved>, usize) {
    let rest = &s[start + 1..];
    if let Some(semi) = rest.as_bytes().iter().take(40).position(|b| *b == b';')
        && let Some(text) = resolve_reference(&rest[..semi])
    {
        return (Some(text), start + 1 + semi + 1);
    }
    match legacy_reference(rest) {
        Some((text, len)) => (Some(Resolved::Str(text)), start + 1 + len),
        // Unknown: the ampersand is literal and the rest stays text.
        None => (None, start + 1),
    }
}

/// The longest legacy entity name (`&amp`, `&nbsp`, `&copy`…) `rest` starts with, when what follows it
/// cannot continue a word or a query parameter.
fn legacy_reference(rest: &str) -> Option<(&'static str, usize)> {
    let bytes = rest.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let word = bytes.iter().take(8).take_while(|b| b.is_ascii_alphanumeric()).count();
    (2..=word).rev().find_map(|len| {
        let k = crate::entities::LEGACY.binary_search_by(|(n, _)| n.as_bytes().cmp(&bytes[..len])).ok()?;
        let next = bytes.get(len);
        let continues = next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'=');
        (!continues).then_some((crate::entities::LEGACY[k].1, len))
    })
}

/// Windows-1252's characters for the C1 code points 0x80–0x9F written as numeric references, as HTML
/// parsers read them (`&#150;` → "–"); the five holes of Windows-1252 stay as they are.
pub(crate) fn c1_as_windows_1252(code: u32) -> u32 {
    const TABLE: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match code {
        0x80..=0x9F => TABLE[(code - 0x80) as usize],
        c => c,
    }
}

/// Resolves `name` of `&name;`: a numeric reference or any HTML5 named character reference.
pub(crate) fn resolve_reference(name: &str) -> Option<Resolved> {
    if let Some(num) = name.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        // Past leading zeros, seven digits are enough for any code point (hex or decimal); more name none.
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() || digits.len() > 7 {
            return None;
        }
        let code = digits.bytes().try_fold(0u32, |n, b| Some(n * radix + char::from(b).to_digit(radix)?))?;
        return char::from_u32(c1_as_windows_1252(code)).filter(|c| *c != '\0').map(Resolved::Char);
    }
    if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    // Only the names of the first letter are searched.
    let letter = usize::from(name.as_bytes()[0].checked_sub(b'A')?);
    let (from, to) = (crate::entities::NAMED_STARTS.get(letter)?, crate::entities::NAMED_STARTS.get(letter + 1)?);
    let names = &crate::entities::NAMED[usize::from(*from)..usize::from(*to)];
    let k = names.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
    Some(Resolved::Str(names[k].1))
}

/// Decodes every character reference in `s`, leaving bare ampersands as they are.
pub fn decode_entities(s: &str) -> String {
    if memchr::memchr(b'&', s.as_bytes()).is_none() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'&', &s.as_bytes()[i..]) {
        out.push_str(&s[i..i + p]);
        let (decoded, next) = decode_entity(s, i + p);
        match decoded {
            Some(d) => d.push_to(&mut out),
            None => out.push_str(&s[i + p..next]),
        }
        i = next;
    }
    out.push_str(&s[i..]);
    out
}
