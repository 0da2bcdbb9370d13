//! Dates as real feeds write them: RFC 822/1123 and their sloppy variants, ISO 8601 / RFC 3339, Korean
//! forms (`2025. 2. 10. 오전 10:13`, `2025년 02월 10일 10:13:00`), epoch seconds. One tokenizer reads them
//! all, so a variant of one form (a missing second, a zone name) is not a separate code path.

mod words;

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use words::{military_zone, month_from_word, zone_from_word};

/// Korea Standard Time, the zone of most of moa's sources (no daylight saving).
pub const KST_OFFSET_SECONDS: i32 = 9 * 3600;

#[derive(Debug, PartialEq)]
enum Token {
    Num {
        value: u32,
        digits: usize,
    },
    Word(String),
    Time {
        h: u32,
        m: u32,
        s: u32,
    },
    Offset(i32),
    /// A single capital letter: RFC 822's military zones (`Z`, `A`…`Y`) when it ends the date.
    Letter(u8),
}

/// Parses a date string into Unix seconds. A time without a zone is read at `default_offset_seconds`.
pub fn parse_date(input: &str, default_offset_seconds: i32) -> Option<i64> {
    let s = input.trim();
    if s.is_empty() || s.len() > 128 {
        return None;
    }
    if let Some(fields) = rfc3339(s.as_bytes()).or_else(|| rfc822(s.as_bytes())) {
        return assemble(fields);
    }
    if let Some(t) = iso8601_reduced(s, default_offset_seconds) {
        return t;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_epoch(s);
    }
    let tokens = tokenize(s)?;
    interpret(&tokens, default_offset_seconds)
}

/// ISO 8601's reduced and other calendar forms, which the tokenizer would misread as numbers: a year
/// alone (`2003`), a month (`2003-12`), an ordinal day (`2003-335`, `2003335`), a week date
/// (`2003-W49-1`, `2003W491`, `2003-W49`) and the basic form (`20031201`), each with an optional
/// `T`-time. `None` when the text is none of these; `Some(None)` when it is one but names no real day.
fn iso8601_reduced(s: &str, default_offset: i32) -> Option<Option<i64>> {
    let b = s.as_bytes();
    let date_len = b.iter().position(|c| *c == b'T' || *c == b't' || *c == b' ').unwrap_or(b.len());
    let (date, rest) = (&s[..date_len], &s[date_len..]);
    let d = date.as_bytes();
    if d.len() < 4 || !d[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // After the day only a time may follow (`T10:14`, ` 10:14:55`); a year alone takes none.
    let hour = rest.get(1..).map_or("", |r| r.split(':').next().unwrap_or(""));
    let timed = rest.starts_with(['T', 't'])
        || (rest.starts_with(' ') && rest.contains(':') && (1..=2).contains(&hour.len()))
            && hour.bytes().all(|c| c.is_ascii_digit());
    if !rest.is_empty() && (!timed || d.len() == 4) {
        return None;
    }
    let year = digits(&d[..4])? as i32;
    let day = match &d[4..] {
        [] => Date::from_calendar_date(year, Month::January, 1).ok(),
        [b'-', m @ ..] if m.len() == 2 => {
            let month = Month::try_from(u8::try_from(digits(m)?).ok()?).ok();
            month.and_then(|m| Date::from_calendar_date(year, m, 1).ok())
        }
        [b'-', o @ ..] | o if o.len() == 3 && o.iter().all(u8::is_ascii_digit) => {
            Date::from_ordinal_date(year, u16::try_from(digits(o)?).ok()?).ok()
        }
        [m1, m2, d1, d2] if [m1, m2, d1, d2].iter().all(|c| c.is_ascii_digit()) => {
            let month = Month::try_from(u8::try_from(digits(&[*m1, *m2])?).ok()?).ok();
            month.and_then(|m| Date::from_calendar_date(year, m, u8::try_from(digits(&[*d1, *d2])?).ok()?).ok())
        }
        [b'-', b'W' | b'w', w @ ..] | [b'W' | b'w', w @ ..] => {
            let (week, weekday) = match w {
                [w1, w2] => ([*w1, *w2], 1),
                [w1, w2, b'-', wd] | [w1, w2, wd] => ([*w1, *w2], digits(&[*wd])?),
                _ => return None,
            };
            let weekday = match weekday {
                1 => time::Weekday::Monday,
                2 => time::Weekday::Tuesday,
                3 => time::Weekday::Wednesday,
                4 => time::Weekday::Thursday,
                5 => time::Weekday::Friday,
                6 => time::Weekday::Saturday,
                7 => time::Weekday::Sunday,
                _ => return Some(None),
            };
            Date::from_iso_week_date(year, u8::try_from(digits(&week)?).ok()?, weekday).ok()
        }
        _ => return None,
    };
    let Some(day) = day else { return Some(None) };
    if rest.is_empty() {
        let (month, dom) = (day.month() as u32, u32::from(day.day()));
        return Some(assemble(Fields { year, month, day: dom, time: (0, 0, 0), offset: default_offset }));
    }
    // The time and zone as the general reader reads them, after the day written out in full.
    let full = format!("{year:04}-{:02}-{:02}{rest}", day.month() as u8, day.day());
    Some(tokenize(&full).and_then(|t| interpret(&t, default_offset)))
}

/// A date read into its fields, before validation.
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    time: (u32, u32, u32),
    offset: i32,
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `HH:MM:SS` at the start of `b`.
fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    (b.len() >= 8 && b[2] == b':' && b[5] == b':').then_some(())?;
    Some((digits(&b[..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

/// The strict RFC 3339 form (`2025-02-10T01:13:00.5+09:00`), read in place: most Atom dates are this, and
/// the general tokenizer costs ten times more. Anything else returns `None` and goes to the tokenizer,
/// which reads this form to the same result (a test holds the two to each other).
fn rfc3339(b: &[u8]) -> Option<Fields> {
    (b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'T' | b't' | b' ')).then_some(())?;
    let time = hms(&b[11..])?;
    let mut rest = &b[19..];
    if let [b'.' | b',', frac @ ..] = rest {
        let n = frac.iter().take_while(|d| d.is_ascii_digit()).count();
        rest = &frac[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            utc_offset(*sign == b'-', digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)?
        }
        _ => return None,
    };
    let year = digits(&b[..4])? as i32;
    Some(Fields { year, month: digits(&b[5..7])?, day: digits(&b[8..10])?, time, offset })
}

/// The strict RFC 822 form RSS uses (`Mon, 10 Feb 2025 01:13:00 +0900` or `… GMT`), read in place.
fn rfc822(b: &[u8]) -> Option<Fields> {
    let b = match b {
        [w1, w2, w3, b',', b' ', rest @ ..] if [w1, w2, w3].iter().all(|c| c.is_ascii_alphabetic()) => rest,
        _ => b,
    };
    let day_len = b.iter().take_while(|d| d.is_ascii_digit()).count();
    (matches!(day_len, 1 | 2) && b.len() >= day_len + 20).then_some(())?;
    let day = digits(&b[..day_len])?;
    let b = &b[day_len..];
    (b[0] == b' ' && b[4] == b' ' && b[9] == b' ' && b[18] == b' ').then_some(())?;
    let month = u32::from(lowercased(&b[1..4], month_from_word)?);
    let year = digits(&b[5..9])? as i32;
    let time = hms(&b[10..])?;
    let offset = match &b[19..] {
        [sign @ (b'+' | b'-'), zone @ ..] if zone.len() == 4 => {
            let v = digits(zone)?;
            utc_offset(*sign == b'-', v / 100, v % 100)?
        }
        // The zones RSS writes most; every other name is the tokenizer's (a test holds the two alike).
        b"GMT" | b"UT" | b"UTC" | b"Z" => 0,
        _ => return None,
    };
    Some(Fields { year, month, day, time, offset })
}

/// A zone offset in seconds, `None` past what any zone is (±14:00, minutes under 60).
fn utc_offset(negative: bool, h: u32, m: u32) -> Option<i32> {
    (h <= 14 && m <= 59).then_some(())?;
    let seconds = (h * 3600 + m * 60) as i32;
    Some(if negative { -seconds } else { seconds })
}

/// `read` of an ASCII word of up to four letters, lowercased on the stack: the month name of the strict
/// RFC 822 form, read for every RSS date.
fn lowercased<T>(word: &[u8], read: impl FnOnce(&str) -> Option<T>) -> Option<T> {
    let mut buf = [0u8; 4];
    let lower = buf.get_mut(..word.len())?;
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    read(std::str::from_utf8(lower).ok().filter(|w| w.bytes().all(|b| b.is_ascii_alphabetic()))?)
}

fn parse_epoch(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    let secs = match s.len() {
        9 | 10 => n,
        12 | 13 => n / 1000,
        _ => return None,
    };
    // 2001-09-09 .. 2100: anything else is more likely a number than a date.
    (1_000_000_000..4_102_444_800).contains(&secs).then_some(secs)
}

fn tokenize(s: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = s.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut seen_time = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let (value, digits, next) = read_number(&chars, i)?;
            if next < chars.len() && chars[next] == ':' && digits <= 2 {
                let (m, mdigits, mut j) = read_number(&chars, next + 1)?;
                if mdigits != 2 {
                    return None;
                }
                let mut sec = 0;
                if j < chars.len() && chars[j] == ':' {
                    let (sv, sdigits, k) = read_number(&chars, j + 1)?;
                    if sdigits != 2 {
                        return None;
                    }
                    sec = sv;
                    j = k;
                    // Fractional seconds are dropped: feeds never need them.
                    if j < chars.len() && (chars[j] == '.' || chars[j] == ',') {
                        j += 1;
                        while j < chars.len() && chars[j].is_ascii_digit() {
                            j += 1;
                        }
                    }
                }
                tokens.push(Token::Time { h: value, m, s: sec });
                seen_time = true;
                i = j;
            } else {
                tokens.push(Token::Num { value, digits });
                i = next;
            }
        } else if (c == '+' || c == '-') && seen_time && i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
            let (v, digits, mut j) = read_number(&chars, i + 1)?;
            let (h, m) = match digits {
                1 | 2 if j < chars.len() && chars[j] == ':' => {
                    let (m, _, k) = read_number(&chars, j + 1)?;
                    j = k;
                    (v, m)
                }
                1 | 2 => (v, 0),
                3 | 4 => (v / 100, v % 100),
                _ => return None,
            };
            tokens.push(Token::Offset(utc_offset(c == '-', h, m)?));
            i = j;
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            if i - start == 1 && chars[start].is_ascii_uppercase() {
                tokens.push(Token::Letter(chars[start] as u8));
            } else {
                let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
                tokens.push(Token::Word(word));
            }
        } else {
            i += 1;
        }
    }
    Some(tokens)
}

fn read_number(chars: &[char], start: usize) -> Option<(u32, usize, usize)> {
    let mut j = start;
    let mut value: u32 = 0;
    while j < chars.len() && chars[j].is_ascii_digit() {
        value = value.checked_mul(10)?.checked_add(chars[j].to_digit(10)?)?;
        j += 1;
    }
    let digits = j - start;
    (digits > 0 && digits <= 9).then_some((value, digits, j))
}

/// The date the tokens of the general reader spell, in three steps: what each token says, where the
/// numbers without a marker go, then the fields checked and put together.
fn interpret(tokens: &[Token], default_offset: i32) -> Option<i64> {
    let mut reading = Reading::of(tokens)?;
    reading.place_free_numbers()?;
    reading.into_timestamp(default_offset)
}

/// What the tokens of a date say, field by field, before the fields are checked.
#[derive(Default)]
struct Reading {
    /// The year as written, with its number of digits (two-digit years are expanded last).
    year: Option<(u32, usize)>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32)>,
    /// A numeric offset (`+0900`).
    offset: Option<i32>,
    /// A zone's name (`KST`, `GMT`, a military letter): the base a numeric offset is added to.
    zone_word_offset: Option<i32>,
    /// `오후`/`pm` (true) or `오전`/`am` (false).
    pm: Option<bool>,
    /// Numbers without a marker, with their digit counts, in order: placed by [`Reading::place_free_numbers`].
    free: Vec<(u32, usize)>,
}

impl Reading {
    /// What each token says; `None` for a date with two times or an unknown zone letter.
    fn of(tokens: &[Token]) -> Option<Self> {
        let mut r = Self::default();
        for (idx, tok) in tokens.iter().enumerate() {
            match tok {
                Token::Num { value, digits } => {
                    // Korean markers follow their number: 2025년 2월 10일.
                    match tokens.get(idx + 1) {
                        Some(Token::Word(w)) if w == "년" => r.year = Some((*value, *digits)),
                        Some(Token::Word(w)) if w == "월" => r.month = Some(*value),
                        Some(Token::Word(w)) if w == "일" => r.day = Some(*value),
                        // 21시 32분 (5초): a time written in words.
                        Some(Token::Word(w)) if w == "시" && r.time.is_none() => r.time = Some((*value, 0, 0)),
                        Some(Token::Word(w)) if w == "분" => {
                            if let Some((_, m, _)) = r.time.as_mut() {
                                *m = *value;
                            }
                        }
                        Some(Token::Word(w)) if w == "초" => {
                            if let Some((_, _, sec)) = r.time.as_mut() {
                                *sec = *value;
                            }
                        }
                        _ => r.free.push((*value, *digits)),
                    }
                }
                Token::Time { h, m, s } => {
                    if r.time.is_some() {
                        return None;
                    }
                    r.time = Some((*h, *m, *s));
                }
                Token::Offset(o) => r.offset = Some(*o),
                // A capital letter is a zone only where a zone stands: last, after the time (`T` and `W`
                // inside ISO dates are not); `Z` anywhere.
                Token::Letter(c) => {
                    let last = idx + 1 == tokens.len();
                    if *c == b'Z' || (last && r.time.is_some()) {
                        r.zone_word_offset = Some(military_zone(*c)?);
                    }
                }
                Token::Word(w) => {
                    if let Some(mo) = month_from_word(w) {
                        r.month = Some(mo as u32);
                    } else if let Some(z) = zone_from_word(w) {
                        r.zone_word_offset = Some(z);
                    } else if w == "오전" || w == "am" || w == "a" {
                        r.pm = Some(false);
                    } else if w == "오후" || w == "pm" || w == "p" {
                        r.pm = Some(true);
                    }
                }
            }
        }
        Some(r)
    }

    /// Gives the numbers without a marker the fields still missing, by the orders dates are written in;
    /// `None` when they fit none.
    fn place_free_numbers(&mut self) -> Option<()> {
        let mut free = std::mem::take(&mut self.free).into_iter();
        match (self.year, self.month) {
            (Some(_), Some(_)) => {
                if self.day.is_none() {
                    self.day = free.next().map(|(v, _)| v);
                }
            }
            (None, Some(_)) => {
                // RFC 822: "10 Feb 2025" or with a two-digit year "10 Feb 25".
                let mut rest: Vec<_> = free.collect();
                // "03 Apr 02 1500 GMT": the time written as four digits, without a colon.
                if let [_, _, (hhmm, 4)] = rest.as_slice()
                    && self.time.is_none()
                    && *hhmm < 2400
                    && hhmm % 100 < 60
                {
                    self.time = Some((hhmm / 100, hhmm % 100, 0));
                    rest.pop();
                }
                match rest.as_slice() {
                    [d, y] if self.day.is_none() && y.1 != 4 && d.1 == 4 => {
                        self.year = Some(*d);
                        self.day = Some(y.0);
                    }
                    [d, y] if self.day.is_none() => {
                        self.day = Some(d.0);
                        self.year = Some(*y);
                    }
                    [y] if self.day.is_some() => self.year = Some(*y),
                    _ => return None,
                }
            }
            (Some(_), None) => {
                let rest: Vec<_> = free.collect();
                match rest.as_slice() {
                    [m, d] => {
                        self.month = Some(m.0);
                        self.day = self.day.or(Some(d.0));
                    }
                    [m] if self.day.is_some() => self.month = Some(m.0),
                    _ => return None,
                }
            }
            (None, None) => {
                let rest: Vec<_> = free.collect();
                match rest.as_slice() {
                    [y, m, d] if y.1 == 4 => {
                        self.year = Some(*y);
                        self.month = Some(m.0);
                        self.day = Some(d.0);
                    }
                    // 10/02/2025: day first when the first number cannot be a month.
                    [a, b, y] if y.1 == 4 => {
                        self.year = Some(*y);
                        if a.0 > 12 {
                            self.day = Some(a.0);
                            self.month = Some(b.0);
                        } else {
                            self.month = Some(a.0);
                            self.day = Some(b.0);
                        }
                    }
                    _ => return None,
                }
            }
        }
        Some(())
    }

    /// The full year, the 24-hour time and the zone worked out, then [`assemble`]d.
    fn into_timestamp(self, default_offset: i32) -> Option<i64> {
        let (y, ydigits) = self.year?;
        let y = match ydigits {
            4 => y as i32,
            // RFC 2822, 4.3: 00–49 are 2000–2049, 50–99 and three digits are 1900 onwards.
            2 if y < 50 => 2000 + y as i32,
            2 | 3 => 1900 + y as i32,
            _ => return None,
        };
        let (mut h, m, s) = self.time.unwrap_or((0, 0, 0));
        match self.pm {
            Some(true) if h < 12 => h += 12,
            Some(false) if h == 12 => h = 0,
            _ => {}
        }
        // "GMT+9": the word names the base, the number the offset from it.
        let offset = match (self.zone_word_offset, self.offset) {
            (Some(z), Some(o)) => z + o,
            (Some(z), None) => z,
            (None, Some(o)) => o,
            (None, None) => default_offset,
        };
        assemble(Fields { year: y, month: self.month?, day: self.day?, time: (h, m, s), offset })
    }
}

/// Validates the fields and turns them into Unix seconds.
fn assemble(Fields { year: y, month, day, time: (h, m, s), offset }: Fields) -> Option<i64> {
    // Go's zero time (`0001-01-01T00:00:00Z`), which Hugo writes for a page without a date, is no date.
    if !(1..=9999).contains(&y) || (y == 1 && month == 1 && day == 1) {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(y, month, u8::try_from(day).ok()?).ok()?;
    // "24:00:00" is sometimes written for the end of a day.
    let (h, extra_day) = if h == 24 && m == 0 && s == 0 { (0, 1) } else { (h, 0) };
    // A leap second (`:60`) is read as the second before it; `:61` is no time.
    if s > 60 {
        return None;
    }
    let t = Time::from_hms(u8::try_from(h).ok()?, u8::try_from(m).ok()?, u8::try_from(s.min(59)).ok()?).ok()?;
    let offset = UtcOffset::from_whole_seconds(offset).ok()?;
    let dt = PrimitiveDateTime::new(date, t).assume_offset(offset);
    let ts = dt.unix_timestamp() + extra_day * 86_400;
    // The range is judged in UTC so that every accepted date formats to one that parses back. The epoch
    // itself is what an unset Unix time prints as, not a date anyone wrote.
    ((EARLIEST_TIMESTAMP..LATEST_TIMESTAMP).contains(&ts) && ts != 0).then_some(ts)
}

/// 2200-01-01T00:00:00Z: later "dates" are typos or numbers, not posts.
const LATEST_TIMESTAMP: i64 = 7_258_118_400;
/// 0001-01-02T00:00:00Z: dates before 1970 are kept when a feed writes them (an archive of old papers).
const EARLIEST_TIMESTAMP: i64 = -62_135_510_400;

/// Formats Unix seconds as RFC 3339 in UTC, e.g. `2025-02-10T01:13:00Z`.
pub fn format_rfc3339(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(dt) => {
            let (y, mo, d) = (dt.year(), dt.month() as u8, dt.day());
            let (h, mi, s) = (dt.hour(), dt.minute(), dt.second());
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        }
        Err(_) => String::from("1970-01-01T00:00:00Z"),
    }
}

/// Reads a time zone given on the command line or in a config file: `Asia/Seoul`, `UTC`, `+09:00`, `-0500`.
pub fn parse_timezone(s: &str) -> Option<i32> {
    let t = s.trim();
    let named = match t.to_ascii_lowercase().as_str() {
        "asia/seoul" | "kst" | "rok" => Some(9),
        "asia/tokyo" | "jst" | "japan" => Some(9),
        "utc" | "gmt" | "etc/utc" | "z" => Some(0),
        "asia/shanghai" | "asia/taipei" | "asia/singapore" | "asia/hong_kong" => Some(8),
        _ => None,
    };
    if let Some(h) = named {
        return Some(h * 3600);
    }
    let (negative, rest) = match t.as_bytes().first()? {
        b'+' => (false, &t[1..]),
        b'-' => (true, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    utc_offset(negative, h, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_tokenizer() {
        let samples = [
            "2025-02-10T01:13:00Z",
            "2025-02-10T01:13:00.123456+09:00",
            "2025-02-10t23:59:59-05:30",
            "2025-02-10 01:13:00Z",
            "2025-02-29T01:13:00Z",
            "2025-13-10T01:13:00Z",
            "2024-12-31T24:00:00+00:00",
            "0001-01-01T00:00:00Z",
            "Mon, 10 Feb 2025 01:13:00 +0900",
            "Mon, 10 Feb 2025 01:13:00 GMT",
            "Tue, 1 Apr 2025 09:05:07 -0700",
            "10 Feb 2025 01:13:00 UT",
            "Wed, 31 Jun 2025 01:13:00 Z",
            "Mon, 10 FEB 2025 01:13:00 UTC",
            "Mon, 10 Feb 2025 01:13:60 +0000",
            "Mon, 10 Feb 2025 25:13:00 +0000",
        ];
        for s in samples {
            let fast = rfc3339(s.as_bytes()).or_else(|| rfc822(s.as_bytes()));
            assert!(fast.is_some(), "{s} should take a fast path");
            let slow = tokenize(s).and_then(|t| interpret(&t, KST_OFFSET_SECONDS));
            assert_eq!(fast.and_then(assemble), slow, "{s}");
        }
        for s in ["Mon, 10 Feb 2025 01:13:00 KST", "2025-02-10T01:13", "Mon, 10 Feb 2025 01:13 +0900"] {
            assert!(rfc3339(s.as_bytes()).or_else(|| rfc822(s.as_bytes())).is_none(), "{s} is for the tokenizer");
        }
        // Offsets past ±14 hours are refused by both.
        for s in ["2025-02-10T01:13:00+15:00", "Mon, 10 Feb 2025 01:13:00 +1500"] {
            assert!(rfc3339(s.as_bytes()).or_else(|| rfc822(s.as_bytes())).is_none(), "{s}");
            assert_eq!(parse_date(s, 0), None, "{s}");
        }
    }

    #[test]
    fn time_without_colon_and_other_languages_months() {
        assert_eq!(utc("03 Apr 02 1500 GMT"), "2002-04-03T15:00:00Z");
        assert_eq!(utc("Seg, 24 Set 2018 19:42:40 -0300"), "2018-09-24T22:42:40Z");
        assert_eq!(utc("Di, 01 Okt 2019 08:00:00 +0200"), "2019-10-01T06:00:00Z");
        assert_eq!(utc("12 déc 2020 10:00 +0100"), "2020-12-12T09:00:00Z");
        // A four-digit number after a full date stays a year, never a time.
        assert_eq!(parse_date("03 Apr 2002 2500 GMT", 0), None);
    }

    fn utc(s: &str) -> String {
        format_rfc3339(parse_date(s, KST_OFFSET_SECONDS).unwrap_or_else(|| panic!("no date from {s:?}")))
    }

    #[test]
    fn rfc822_and_sloppy_variants() {
        assert_eq!(utc("Mon, 10 Feb 2025 10:13:00 +0900"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Mon, 10 Feb 2025 01:13:00 GMT"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Mon, 3 Feb 2025 01:13 GMT"), "2025-02-03T01:13:00Z");
        assert_eq!(utc("Mon, 10 Feb 2025 10:13:00 KST"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Mon, 10 Feb 2025 10:13:00 GMT+9"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Mon, 10 Feb 2025 10:13:00 GMT+09:00"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Mon, 10 Feb 2025 01:13:00 UT"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("10 Feb 25 01:13:00 Z"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Monday, 10 February 2025 01:13:00 -0000"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("Tue, 10 Jun 2003 04:00:00 EST"), "2003-06-10T09:00:00Z");
    }

    #[test]
    fn iso8601_variants() {
        assert_eq!(utc("2025-02-10T01:13:00Z"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2025-02-10T10:13:00+09:00"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2025-02-10T10:13:00.123+0900"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2025-02-10 10:13"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2025-02-10"), "2025-02-09T15:00:00Z");
        assert_eq!(utc("2025-02-10T01:13:00-05:00"), "2025-02-10T06:13:00Z");
    }

    #[test]
    fn korean_forms_read_in_source_zone() {
        assert_eq!(utc("2025. 2. 10. 오전 10:13"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2025년 02월 10일 10:13:00"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("2004-05-25 오후 11:23:17"), "2004-05-25T14:23:17Z");
        assert_eq!(utc("2019년 12월 19일 21시 32분"), "2019-12-19T12:32:00Z");
        assert_eq!(utc("2019년 12월 19일 오후 9시 5분 7초"), "2019-12-19T12:05:07Z");
        assert_eq!(utc("2025. 2. 10. 오후 12:05"), "2025-02-10T03:05:00Z");
        assert_eq!(utc("2025. 2. 10. 오전 12:05"), "2025-02-09T15:05:00Z");
    }

    #[test]
    fn epoch_seconds_and_millis() {
        assert_eq!(utc("1739149980"), "2025-02-10T01:13:00Z");
        assert_eq!(utc("1739149980000"), "2025-02-10T01:13:00Z");
        assert_eq!(parse_date("12345", 0), None);
    }

    #[test]
    fn zone_default_is_the_callers() {
        assert_eq!(parse_date("2025-02-10 10:13", 0), parse_date("2025-02-10T10:13:00Z", 0));
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert_eq!(parse_date("2025-02-30", 0), None);
        assert_eq!(parse_date("not a date", 0), None);
        assert_eq!(parse_date("", 0), None);
        assert_eq!(parse_date("Mon, 10 Foo 2025", 0), None);
        assert_eq!(parse_date("99:99", 0), None);
        assert_eq!(parse_date("Mon, 01 Jan 0001 00:00:00 +0000", 0), None);
        assert_eq!(parse_date("1970-01-01T00:00:00Z", 0), None, "an unset Unix time");
        assert_eq!(parse_date("0001-01-01T00:00:00Z", 0), None, "Go's zero time: Hugo's undated page");
        assert_eq!(parse_date("2013-01-27-01", 0), None, "a part too many");
        assert_eq!(parse_date("2199-12-31T23:00:00-05:00", 0), None, "after 2200 in UTC");
        assert_eq!(utc("2150-06-01T00:00:00Z"), "2150-06-01T00:00:00Z");
    }

    #[test]
    fn zone_abbreviations_and_military_letters() {
        for (zone, utc) in [
            ("KST", "26T07"),
            ("JST", "26T07"),
            ("UT", "26T16"),
            ("GMT", "26T16"),
            ("Z", "26T16"),
            ("EST", "26T21"),
            ("EDT", "26T20"),
            ("CST", "26T22"),
            ("CDT", "26T21"),
            ("MST", "26T23"),
            ("MDT", "26T22"),
            ("AT", "26T20"),
            ("ET", "26T21"),
            ("CT", "26T22"),
            ("MT", "26T23"),
            ("MET", "26T15"),
            ("MEST", "26T14"),
            ("CET", "26T15"),
            ("CEST", "26T14"),
            ("BST", "26T15"),
            ("A", "26T17"),
            ("M", "27T04"),
            ("N", "26T15"),
            ("Y", "26T04"),
        ] {
            assert_eq!(
                self::utc(&format!("Mon, 26 Jan 2004 16:31:00 {zone}")),
                format!("2004-01-{utc}:31:00Z"),
                "{zone}"
            );
        }
        assert_eq!(utc("Mon, 26 January 2004 16:31:00 PT"), "2004-01-27T00:31:00Z");
        assert_eq!(utc("Mon, 26 Jan 2004 16:31:00 PDT"), "2004-01-26T23:31:00Z");
        assert_eq!(utc("Wed, 19 Aug 2009 18:28:00 Etc/GMT"), "2009-08-19T18:28:00Z");
        // A capital letter inside an ISO date is no zone.
        assert_eq!(utc("2003-12-31T10:14:55Z"), "2003-12-31T10:14:55Z");
    }

    #[test]
    fn reduced_ordinal_and_week_iso8601_dates() {
        let at_utc = |s: &str| parse_date(s, 0).map(format_rfc3339);
        assert_eq!(at_utc("2003").as_deref(), Some("2003-01-01T00:00:00Z"));
        assert_eq!(at_utc("2003-12").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003-335").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003335").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("20031201").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003-W49-1").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003W491").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003-W49").as_deref(), Some("2003-12-01T00:00:00Z"));
        assert_eq!(at_utc("2003-335T10:14:55Z").as_deref(), Some("2003-12-01T10:14:55Z"));
        assert_eq!(at_utc("2003-W49-1T10:14:55+09:00").as_deref(), Some("2003-12-01T01:14:55Z"));
        assert_eq!(at_utc("2003-012-31T10:14:55+00:00").as_deref(), Some("2003-12-31T10:14:55Z"));
        // In the source's zone when none is written, as every zone-less date.
        assert_eq!(utc("2003-12"), "2003-11-30T15:00:00Z");
        for bad in ["2003-13", "2003-366", "2003-W54", "2003-W49-8", "22013", "013", "2003 Foo"] {
            assert_eq!(parse_date(bad, 0), None, "{bad}");
        }
    }

    #[test]
    fn two_digit_years_as_rfc_2822_reads_them_and_old_dates_kept() {
        assert_eq!(utc("Thu, 01 Jan 04 19:48:21 GMT"), "2004-01-01T19:48:21Z");
        assert_eq!(utc("Thu, 01 Jan 49 19:48:21 GMT"), "2049-01-01T19:48:21Z");
        assert_eq!(utc("Fri, 01 Jan 50 19:48:21 GMT"), "1950-01-01T19:48:21Z");
        assert_eq!(utc("Sun, 20 Jul 1969 20:17:40 GMT"), "1969-07-20T20:17:40Z");
        assert_eq!(utc("Thu, 01 Jan 0100 00:00:01 +0100"), "0099-12-31T23:00:01Z");
        assert_eq!(utc("1900-01-01T00:00:00Z"), "1900-01-01T00:00:00Z");
        // What is formatted parses back.
        for t in [-2_208_988_800, -58_979_923_199, 1] {
            assert_eq!(parse_date(&format_rfc3339(t), 0), Some(t));
        }
    }

    #[test]
    fn timezones_from_config() {
        assert_eq!(parse_timezone("Asia/Seoul"), Some(32400));
        assert_eq!(parse_timezone("+09:00"), Some(32400));
        assert_eq!(parse_timezone("-0500"), Some(-18000));
        assert_eq!(parse_timezone("UTC"), Some(0));
        assert_eq!(parse_timezone("Mars/Olympus"), None);
    }
}
