//! Reading a newsletter post back, written by moa or by hand: what hands vary is tolerated (with a warning),
//! what cannot be read is named by its line. Pure: text in, a typed post out.

use std::fmt;

use crate::newsletter::post::{Item, Month, Post, Section, Settings};
use crate::newsletter::render::{code_span_at, trim_blank_lines};

/// Something import could not read, at a line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

/// Something import read but the curator should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub post: Post,
    pub warnings: Vec<Warning>,
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, ImportError> {
    Err(ImportError { line, message: message.into() })
}

/// Reads a post written in the newsletter format, by moa or by hand.
pub fn import(text: &str) -> Result<Imported, ImportError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut warnings = Vec::new();
    if text.contains('\r') {
        warnings.push(Warning { line: 1, message: "CR LF line ends read as LF".into() });
    }
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let (front, body_start) = front_matter(&lines)?;
    let month = front.month(&mut warnings)?;
    let settings = Settings {
        date: front.date.clone().map(|(d, _)| d).unwrap_or_else(|| month.default_date()),
        draft: front.draft.unwrap_or(true),
        hidden_from_homepage: front.hidden,
    };
    let items = body(&lines, body_start, &mut warnings)?;
    Ok(Imported { post: Post { month, settings, items }, warnings })
}

#[derive(Default)]
struct FrontMatter {
    date: Option<(String, usize)>,
    title: Option<(String, usize)>,
    draft: Option<bool>,
    hidden: Option<bool>,
}

fn front_matter(lines: &[&str]) -> Result<(FrontMatter, usize), ImportError> {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return fail(1, "a post starts with front matter: a line `---`");
    }
    let mut front = FrontMatter::default();
    let mut list_key: Option<String> = None;
    for (i, raw) in lines.iter().enumerate().skip(1) {
        let n = i + 1;
        let line = raw.trim_end();
        if line == "---" {
            return Ok((front, i + 1));
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(entry) = line.trim_start().strip_prefix("- ") {
            if list_key.is_none() {
                return fail(n, format!("a list item outside a list: {entry}"));
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return fail(n, format!("front matter lines are `key: value`, not {line:?}"));
        };
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        list_key = value.is_empty().then(|| key.trim().to_string());
        let boolean = |v: &str| match v {
            "true" => Ok(true),
            "false" => Ok(false),
            other => fail(n, format!("{} is true or false, not {other:?}", key.trim())),
        };
        match key.trim() {
            "date" => front.date = Some((unquoted.to_string(), n)),
            "title" => front.title = Some((unquoted.to_string(), n)),
            "draft" => front.draft = Some(boolean(unquoted)?),
            "hiddenfromhomepage" => front.hidden = Some(boolean(unquoted)?),
            // Fixed by the month, or Hugo's own: read past.
            _ => {}
        }
    }
    fail(lines.len(), "the front matter is never closed with `---`")
}

impl FrontMatter {
    /// The month, from the title (`월간 기술 스크랩 22/03`) or else the date; a date that does not
    /// exist is reported, never mended.
    fn month(&self, warnings: &mut Vec<Warning>) -> Result<Month, ImportError> {
        let from_date = match &self.date {
            Some((date, n)) => Some((check_date(date, *n, warnings)?, *n)),
            None => None,
        };
        let from_title = match &self.title {
            Some((title, n)) => {
                let yy_mm = title.rsplit(' ').next().unwrap_or("");
                let parsed = yy_mm.split_once('/').and_then(|(y, m)| {
                    let (y, m): (i32, u8) = (y.parse().ok()?, m.parse().ok()?);
                    (y.to_string().len() <= 2 && (1..=12).contains(&m)).then_some(Month { year: 2000 + y, month: m })
                });
                match parsed {
                    Some(m) => Some(m),
                    None => return fail(*n, format!("the title {title:?} does not end in YY/MM")),
                }
            }
            None => None,
        };
        match (from_title, from_date) {
            (Some(month), _) => Ok(month),
            (None, Some((month, _))) => Ok(month),
            (None, None) => fail(1, "neither a title (월간 기술 스크랩 YY/MM) nor a date says which month this is"),
        }
    }
}

/// `YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM]`: the month it names, with a warning for a day that does not exist.
fn check_date(date: &str, line: usize, warnings: &mut Vec<Warning>) -> Result<Month, ImportError> {
    let day_part = date.split(['T', ' ']).next().unwrap_or("");
    let mut parts = day_part.split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return fail(line, format!("the date {date:?} is not YYYY-MM-DD"));
    };
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return fail(line, format!("the date {date:?} is not YYYY-MM-DD"));
    };
    if !(1..=12).contains(&month) {
        return fail(line, format!("the date {date:?} has no month {month}"));
    }
    let m = Month { year, month };
    if day == 0 || day > m.days() {
        warnings.push(Warning {
            line,
            message: format!("the date {date:?} does not exist: {m} has {} days (kept as written)", m.days()),
        });
    }
    Ok(m)
}

/// Whether a line opens or closes a fenced code block (``` or ~~~), inside which nothing is a heading.
fn fence_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    ["```", "~~~"].into_iter().find(|f| t.starts_with(f))
}

// Over 80 lines: one pass over the lines, a state machine (front matter, section, item, commentary) read best whole.
fn body(lines: &[&str], start: usize, warnings: &mut Vec<Warning>) -> Result<Vec<Item>, ImportError> {
    let mut items: Vec<Item> = Vec::new();
    let mut section: Option<Section> = None;
    let mut commentary: Option<Vec<&str>> = None;
    // The open fence, and the line it opened on.
    let mut fence: Option<(&str, usize)> = None;
    let finish = |items: &mut Vec<Item>, commentary: &mut Option<Vec<&str>>| {
        if let (Some(item), Some(lines)) = (items.last_mut(), commentary.take()) {
            item.commentary = trim_blank_lines(&lines.join("\n")).to_string();
        }
    };
    for (i, line) in lines.iter().enumerate().skip(start) {
        let n = i + 1;
        if let Some((open, _)) = fence {
            if fence_of(line) == Some(open) && line.trim().trim_start_matches(open).is_empty() {
                fence = None;
            }
            push_commentary(&mut commentary, line, n)?;
            continue;
        }
        if let Some(f) = fence_of(line) {
            fence = Some((f, n));
            push_commentary(&mut commentary, line, n)?;
            continue;
        }
        let trimmed = line.trim();
        // A section commented out (`<!-- ## 📌 북마크 -->`): it has no items.
        if let Some(s) = trimmed
            .strip_prefix("<!--")
            .and_then(|r| r.strip_suffix("-->"))
            .map(|inner| inner.trim())
            .filter(|inner| inner.starts_with('#'))
            .and_then(|inner| Section::recognise(inner.trim_start_matches('#')))
        {
            finish(&mut items, &mut commentary);
            section = Some(s);
            commentary = None;
            continue;
        }
        let level = line.bytes().take_while(|b| *b == b'#').count();
        let heading = level > 0 && line.as_bytes().get(level) == Some(&b' ');
        if heading {
            let text = line[level..].trim();
            if let Some((title, url)) = parse_link_line(text) {
                finish(&mut items, &mut commentary);
                let Some(s) = section else {
                    return fail(n, "an item before any section heading");
                };
                if level != 3 {
                    warnings.push(Warning {
                        line: n,
                        message: format!(
                            "an item written at heading level {level}; items are level 3 (`### [Title](URL)`)"
                        ),
                    });
                }
                items.push(Item { section: s, title, url, commentary: String::new() });
                commentary = Some(Vec::new());
                continue;
            }
            if level <= 2 {
                match Section::recognise(text) {
                    Some(s) => {
                        finish(&mut items, &mut commentary);
                        section = Some(s);
                        continue;
                    }
                    None if level == 2 => return fail(n, format!("unknown section heading {text:?}")),
                    None => {}
                }
            }
            if level == 3 {
                return fail(n, format!("an item heading is one Markdown link, `### [Title](URL)`, not {text:?}"));
            }
        }
        if commentary.is_none() && !trimmed.is_empty() {
            return fail(n, format!("text outside any item: {trimmed:?}"));
        }
        push_commentary(&mut commentary, line, n)?;
    }
    if let Some((_, opened)) = fence {
        warnings.push(Warning { line: opened, message: "a code block opened here is never closed".into() });
    }
    finish(&mut items, &mut commentary);
    Ok(items)
}

fn push_commentary<'a>(commentary: &mut Option<Vec<&'a str>>, line: &'a str, n: usize) -> Result<(), ImportError> {
    match commentary {
        Some(lines) => {
            lines.push(line);
            Ok(())
        }
        None if line.trim().is_empty() => Ok(()),
        None => fail(n, format!("text outside any item: {:?}", line.trim())),
    }
}

/// `[Title](URL)` filling the whole text, undoing what [`crate::newsletter::link`] escapes.
pub fn parse_link_line(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix('[')?;
    let mut title = String::new();
    let mut at = 0;
    let bytes = rest.as_bytes();
    loop {
        let s = &rest[at..];
        if s.is_empty() {
            return None;
        }
        if let Some(span) = code_span_at(s) {
            title.push_str(&s[..span]);
            at += span;
            continue;
        }
        let c = s.chars().next()?;
        match c {
            '\\' => {
                let next = s[1..].chars().next()?;
                if next.is_ascii_punctuation() {
                    title.push(next);
                    at += 1 + next.len_utf8();
                } else {
                    title.push('\\');
                    at += 1;
                }
            }
            ']' if bytes.get(at + 1) == Some(&b'(') => break,
            _ => {
                title.push(c);
                at += c.len_utf8();
            }
        }
    }
    let dest = &rest[at + 2..];
    let (url, after) = if let Some(angle) = dest.strip_prefix('<') {
        let mut url = String::new();
        let mut chars = angle.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => url.push(chars.next()?.1),
                '>' => break i + 1,
                _ => url.push(c),
            }
        };
        (url, &angle[end..])
    } else {
        let mut url = String::new();
        let mut depth = 0;
        let mut chars = dest.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => url.push(chars.next()?.1),
                '(' => {
                    depth += 1;
                    url.push(c);
                }
                ')' if depth == 0 => break i,
                ')' => {
                    depth -= 1;
                    url.push(c);
                }
                _ => url.push(c),
            }
        };
        (url, &dest[end..])
    };
    (after.strip_prefix(')')?.trim().is_empty()).then_some((title, url))
}
