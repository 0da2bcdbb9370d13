//! The words of dates: month names and abbreviations in the languages feeds are written in, and the
//! names of time zones.

/// A month's number from its English name or abbreviation (lowercased), or an abbreviation English lacks.
pub(super) fn month_from_word(w: &str) -> Option<u8> {
    const NAMES: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    // Abbreviations of feeds written in Portuguese, Spanish, German and French that English lacks.
    let other = match w {
        "fev" | "févr" | "fevr" => Some(2),
        "mär" | "mrz" | "mars" => Some(3),
        "abr" | "avr" => Some(4),
        "mai" => Some(5),
        "juin" => Some(6),
        "juil" => Some(7),
        "ago" | "août" | "aout" => Some(8),
        "set" => Some(9),
        "out" | "okt" => Some(10),
        "dez" | "dic" | "déc" => Some(12),
        "ene" => Some(1),
        _ => None,
    };
    if other.is_some() {
        return other;
    }
    if w.len() < 3 || !w.is_ascii() {
        return None;
    }
    let idx = NAMES.iter().position(|n| w.starts_with(n))?;
    // "march", "sept" and the like, but not "mayday".
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (FULL[idx].starts_with(w) || w == "sept").then_some(idx as u8 + 1)
}

/// Zone names feeds write. The North American ones include RFC 822's and the bare `AT`/`ET`/`CT`/`MT`/
/// `PT` some publishers write (read as standard time, as other feed readers do).
pub(super) fn zone_from_word(w: &str) -> Option<i32> {
    let h = match w {
        "z" | "gmt" | "ut" | "utc" | "wet" | "etc" => 0,
        "kst" | "jst" => 9,
        "cet" | "bst" | "west" | "met" => 1,
        "cest" | "eet" | "mest" => 2,
        "eest" | "msk" => 3,
        "ist" => return Some(5 * 3600 + 1800),
        "hkt" | "sgt" | "awst" => 8,
        "aest" => 10,
        "aedt" => 11,
        "nzst" => 12,
        "nzdt" => 13,
        "hst" => -10,
        "akst" => -9,
        "akdt" => -8,
        "adt" => -3,
        "ast" | "at" => -4,
        "edt" => -4,
        "est" | "et" | "cdt" => -5,
        "cst" | "ct" | "mdt" => -6,
        "mst" | "mt" | "pdt" => -7,
        "pst" | "pt" => -8,
        _ => return None,
    };
    Some(h * 3600)
}

/// RFC 822's military zones, with its signs: `A`…`I` = −1…−9, `K`…`M` = −10…−12, `N`…`Y` = +1…+12, `Z` = 0.
pub(super) fn military_zone(letter: u8) -> Option<i32> {
    let h = match letter {
        b'Z' => 0,
        b'A'..=b'I' => -i32::from(letter - b'A' + 1),
        b'K'..=b'M' => -i32::from(letter - b'K' + 10),
        b'N'..=b'Y' => i32::from(letter - b'N' + 1),
        _ => return None,
    };
    Some(h * 3600)
}
