//! The curator's monthly newsletter, "월간 기술 스크랩 YY/MM": a Hugo post with fixed front matter and five
//! fixed sections of `### [Title](URL)` items with commentary. Rendering is byte-exact; importing reads
//! hand-written posts back, tolerating what hands vary and naming the line of what it cannot read.
//! Pure: text in, text or typed post out.

use std::fmt;

/// The five sections, in the order a post lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Article,
    Bookmark,
    News,
    Software,
    Media,
}

impl Section {
    pub const ALL: [Section; 5] = [Self::Article, Self::Bookmark, Self::News, Self::Software, Self::Media];

    /// The heading, byte for byte as the seed writes it (two of the emoji carry U+FE0F).
    pub fn heading(self) -> &'static str {
        match self {
            Self::Article => "## \u{270D}\u{FE0F} 글",
            Self::Bookmark => "## \u{1F4CC} 북마크",
            Self::News => "## \u{1F4F0} 기술 뉴스",
            Self::Software => "## \u{2699}\u{FE0F} 소프트웨어 / 프로젝트",
            Self::Media => "## \u{1F4D9} 책 / 강의 / 영상",
        }
    }

    /// The key used on the command line and in storage.
    pub fn key(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Bookmark => "bookmark",
            Self::News => "news",
            Self::Software => "software",
            Self::Media => "media",
        }
    }

    /// A section named by its key or its Korean name (`글`, `북마크`, `기술 뉴스`, …).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == name.trim()).or_else(|| Self::recognise(name))
    }

    /// The section a heading's words name, whatever its emoji, spacing or missing words: the headings
    /// of hand-written posts drifted over the years.
    fn recognise(heading: &str) -> Option<Self> {
        let words: String = heading
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '/')
            .collect::<String>()
            .to_lowercase();
        let words = words.split(|c: char| c.is_whitespace() || c == '/').filter(|w| !w.is_empty());
        let mut found = None;
        for w in words {
            // "기술뉴스" is "기술 뉴스" without its space.
            let w = w.strip_prefix("기술").filter(|rest| !rest.is_empty()).unwrap_or(w);
            let section = match w {
                "글" | "articles" | "article" | "posts" => Self::Article,
                "북마크" | "bookmarks" | "bookmark" => Self::Bookmark,
                "뉴스" | "news" => Self::News,
                "소프트웨어" | "프로젝트" | "software" | "projects" | "project" => Self::Software,
                "책" | "강의" | "영상" | "books" | "book" | "courses" | "videos" => Self::Media,
                "기술" | "tech" => continue,
                _ => return None,
            };
            if found.is_some_and(|f| f != section) {
                return None;
            }
            found = Some(section);
        }
        found
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.trim().split_once('-')?;
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    pub fn days(self) -> u8 {
        match self.month {
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// The default publish date: the month's last day, a minute past midnight (see [`front_matter_date`]).
    pub fn default_date(self) -> String {
        format!("{:04}-{:02}-{:02}T00:01:00", self.year, self.month, self.days())
    }

    pub fn title(self) -> String {
        format!("월간 기술 스크랩 {:02}/{:02}", self.year.rem_euclid(100), self.month)
    }

    pub fn description(self) -> String {
        format!("흥미롭게 읽은 글이나 새로 알게 된 기술 등을 소개합니다. ({}년 {}월)", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub section: Section,
    pub title: String,
    pub url: String,
    /// Markdown, verbatim: the curator's line breaks and blank lines are kept.
    pub commentary: String,
}

/// The front matter a curator chooses; the rest follows from the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// As written after `date:`, without quotes (`2022-03-31T00:01:00`).
    pub date: String,
    pub draft: bool,
    /// Absent: the line is left out.
    pub hidden_from_homepage: Option<bool>,
}

impl Settings {
    pub fn for_month(month: Month) -> Self {
        Self { date: month.default_date(), draft: true, hidden_from_homepage: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub month: Month,
    pub settings: Settings,
    /// In order within each section; sections may interleave (rendering groups them).
    pub items: Vec<Item>,
}

/// A front-matter date as Hugo reads it: `YYYY-MM-DD`, optionally `THH:MM[:SS]` and `Z` or `±HH:MM`.
/// Anything else (a newline, a quote, "yesterday") is refused: the value is written into the front
/// matter, where it could otherwise add keys or end it.
pub fn front_matter_date(date: &str) -> Result<&str, String> {
    let refuse = || format!("the date {date:?} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (with Z or ±HH:MM if wanted)");
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let number = |r: std::ops::Range<usize>| date[r].parse::<u32>().unwrap_or(u32::MAX);
    if !(digits(0..4) && b.get(4) == Some(&b'-') && digits(5..7) && b.get(7) == Some(&b'-') && digits(8..10)) {
        return Err(refuse());
    }
    let (year, month, day) = (number(0..4) as i32, number(5..7), number(8..10));
    let days = if (1..=12).contains(&month) { Month { year, month: month as u8 }.days() } else { 0 };
    if day == 0 || day > u32::from(days) {
        return Err(refuse());
    }
    let mut rest = &date[10..];
    if let Some(time) = rest.strip_prefix('T') {
        let t = time.as_bytes();
        let seconds = t.get(5) == Some(&b':');
        let len = if seconds { 8 } else { 5 };
        let clock_ok = time.get(..len).is_some_and(|c| {
            let parts: Vec<&str> = c.split(':').collect();
            parts.iter().all(|p| p.len() == 2 && p.bytes().all(|d| d.is_ascii_digit()))
                && parts[0].parse::<u32>().is_ok_and(|h| h < 24)
                && parts[1..].iter().all(|p| p.parse::<u32>().is_ok_and(|m| m < 60))
        });
        if !clock_ok {
            return Err(refuse());
        }
        rest = &time[len..];
        let zone_ok = rest.is_empty()
            || rest == "Z"
            || (rest.len() == 6
                && rest.starts_with(['+', '-'])
                && rest.as_bytes()[3] == b':'
                && [1, 2, 4, 5].iter().all(|&i| rest.as_bytes()[i].is_ascii_digit())
                && rest[1..3].parse::<u32>().is_ok_and(|h| h <= 14)
                && rest[4..6].parse::<u32>().is_ok_and(|m| m < 60));
        if !zone_ok {
            return Err(refuse());
        }
    } else if !rest.is_empty() {
        return Err(refuse());
    }
    Ok(date)
}

/// Text taken from a fetched page, made inert in Markdown: the characters that start markup (links,
/// images, emphasis, code, raw HTML, entities, headings) are escaped, so it reads as written.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '!' | '#' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The post, byte for byte in the newsletter format. A stored date that is not one (written before dates
/// were checked) gives way to the month's default.
pub fn render(post: &Post) -> String {
    let Post { month, settings, items } = post;
    let description = month.description();
    let default_date = month.default_date();
    let mut out = format!(
        "---\ndate: \"{}\"\ntitle: {}\ncategories:\n- Newsletter\ndescription: {description}\nsummary: {description}\ndraft: {}\n",
        front_matter_date(&settings.date).unwrap_or(&default_date),
        month.title(),
        settings.draft
    );
    if let Some(hidden) = settings.hidden_from_homepage {
        out.push_str(&format!("hiddenfromhomepage: {hidden}\n"));
    }
    out.push_str("---\n");
    for section in Section::ALL {
        let mut of_section = items.iter().filter(|i| i.section == section).peekable();
        if of_section.peek().is_none() {
            out.push_str(&format!("\n<!-- {} -->\n", section.heading()));
            continue;
        }
        out.push_str(&format!("\n{}\n", section.heading()));
        for item in of_section {
            out.push_str(&format!("\n### {}\n", link(&item.title, &item.url)));
            let commentary = trim_blank_lines(&item.commentary);
            if !commentary.is_empty() {
                out.push('\n');
                out.push_str(commentary);
                out.push('\n');
            }
        }
    }
    out
}

/// `[Title](URL)`, valid Markdown whatever the title's brackets or the URL's parentheses and spaces.
pub fn link(title: &str, url: &str) -> String {
    format!("[{}]({})", escape_link_text(title), destination(url))
}

/// Brackets, angle brackets and backslashes escaped, except inside code spans, where escapes do not apply (and where
/// CommonMark's code spans bind tighter than the link's brackets anyway).
fn escape_link_text(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut rest = title;
    while !rest.is_empty() {
        if let Some(span) = code_span_at(rest) {
            out.push_str(&rest[..span]);
            rest = &rest[span..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        // Angle brackets too: a title (often a fetched page's) must not be raw HTML in the post.
        if matches!(c, '[' | ']' | '\\' | '<' | '>') || (c == '`') {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The byte length of a complete code span starting at `s`, if one does.
fn code_span_at(s: &str) -> Option<usize> {
    let run = s.bytes().take_while(|b| *b == b'`').count();
    if run == 0 {
        return None;
    }
    let fence = &s[..run];
    let mut at = run;
    while let Some(found) = s[at..].find(fence) {
        let start = at + found;
        let end = start + run;
        // A closing run must be exactly as long.
        if s.as_bytes().get(end) != Some(&b'`') && (start == 0 || s.as_bytes()[start - 1] != b'`') {
            return Some(end);
        }
        at = end + s[end..].bytes().take_while(|b| *b == b'`').count();
    }
    None
}

/// A link destination: bare when it can be, else in angle brackets (spaces, unbalanced parentheses).
fn destination(url: &str) -> String {
    let mut depth = 0i32;
    let mut balanced = true;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                balanced &= depth >= 0;
            }
            _ => {}
        }
    }
    let bare = balanced
        && depth == 0
        && !url.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '\\'));
    if bare {
        return url.to_string();
    }
    let mut out = String::from("<");
    for c in url.chars() {
        if matches!(c, '<' | '>' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('>');
    out
}

fn trim_blank_lines(s: &str) -> &str {
    let start = s.split_inclusive('\n').take_while(|l| l.trim().is_empty()).map(str::len).sum::<usize>();
    let s = &s[start..];
    let mut end = s.len();
    for line in s.split_inclusive('\n').collect::<Vec<_>>().into_iter().rev() {
        if line.trim().is_empty() {
            end -= line.len();
        } else {
            break;
        }
    }
    s[..end].trim_end_matches('\n')
}

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

/// `[Title](URL)` filling the whole text, undoing what [`link`] escapes.
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

/// Commentary as HTML for moa's own pages and feeds: CommonMark with footnotes and tables, raw HTML shown
/// as text, links to anything but http(s), mailto or a relative address dropped to their text, and
/// images turned into links to them (a reader's browser loads nothing from hosts the curator named).
pub fn commentary_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_FOOTNOTES | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let safe = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains(['/', '?', '#']));
        matches!(scheme, None | Some("http" | "https" | "mailto"))
    };
    let mut dropped_links = 0usize;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Link { ref dest_url, .. }) if !safe(dest_url) => {
            dropped_links += 1;
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !safe(dest_url) => {
            dropped_links += 1;
            None
        }
        Event::End(TagEnd::Link | TagEnd::Image) if dropped_links > 0 => {
            dropped_links -= 1;
            None
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
        }
        Event::End(TagEnd::Image) => Some(Event::End(TagEnd::Link)),
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}
