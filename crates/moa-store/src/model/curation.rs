//! The curator's newsletter: scraps (links kept for a month's post) and each month's settings.

use serde::Serialize;

/// A link the curator keeps for a month's newsletter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scrap {
    /// The scrap's id.
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// `article`, `bookmark`, `news`, `software` or `media`.
    pub section: String,
    /// 1-based, within its month and section.
    pub position: i64,
    /// The linked page's title.
    pub title: String,
    /// The link.
    pub url: String,
    /// Markdown, verbatim.
    pub commentary: String,
    /// The moa post the link is, when it is one.
    pub post_id: Option<i64>,
    /// When it was added.
    pub created_at: i64,
    /// When it was last edited.
    pub updated_at: i64,
}

/// A scrap to add, or what an edit sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapFields {
    /// `YYYY-MM`.
    pub month: String,
    /// `article`, `bookmark`, `news`, `software` or `media`.
    pub section: String,
    /// The linked page's title.
    pub title: String,
    /// The link.
    pub url: String,
    /// Markdown, verbatim.
    pub commentary: String,
    /// The moa post the link is, when it is one.
    pub post_id: Option<i64>,
}

impl ScrapFields {
    /// The fields without NUL, which PostgreSQL refuses in text and no page shows: a curator's paste with one
    /// is stored, not refused with an error.
    pub fn cleaned(&self) -> ScrapFields {
        let clean = |s: &str| s.replace('\0', "");
        ScrapFields {
            month: clean(&self.month),
            section: clean(&self.section),
            title: clean(&self.title),
            url: clean(&self.url),
            commentary: clean(&self.commentary),
            post_id: self.post_id,
        }
    }
}

/// A month's post settings (front matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewsletterSettings {
    /// `YYYY-MM`.
    pub month: String,
    /// As written after `date:`; None means the month's default.
    pub date: Option<String>,
    /// `draft` in the front matter.
    pub draft: bool,
    /// `hiddenfromhomepage` in the front matter; None leaves it out.
    pub hidden_from_homepage: Option<bool>,
}
