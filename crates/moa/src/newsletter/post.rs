//! The newsletter's post as moa holds it: its month, the five fixed sections, the items and the front matter
//! a curator chooses. The Hugo format itself is written by `render` and read by `import`.

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
    pub(crate) fn recognise(heading: &str) -> Option<Self> {
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
