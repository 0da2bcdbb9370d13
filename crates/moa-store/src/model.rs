use serde::Serialize;

/// A source as a registry describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSpec {
    pub id: String,
    pub name_ko: String,
    pub name_en: String,
    pub homepage: String,
    pub feed_url: String,
    pub platform: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    #[serde(flatten)]
    pub spec: SourceSpec,
    pub enabled: bool,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    #[serde(flatten)]
    pub validators: Validators,
    pub post_count: i64,
    pub last_post_at: Option<i64>,
}

/// The HTTP validators of a source's last full response (`ETag`, `Last-Modified`), sent back on the next
/// fetch as `If-None-Match` / `If-Modified-Since` so an unchanged feed answers 304 with no body.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct SyncStats {
    pub added: u32,
    pub updated: u32,
    pub disabled: u32,
}

/// A post as one fetch of a feed gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub entry_id: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
}

impl NewPost {
    /// A hash of everything stored, to skip writing posts that did not change. FNV-1a: stable across
    /// Rust versions, since it is stored.
    pub fn content_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |s: &str| {
            for b in s.bytes().chain([0xff]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        feed(opt(&self.url).as_str());
        feed(&self.title);
        feed(opt(&self.summary).as_str());
        feed(opt(&self.content_html).as_str());
        feed(opt(&self.author).as_str());
        feed(opt(&self.thumbnail).as_str());
        feed(&self.categories.join("\u{1f}"));
        feed(&self.published_at.map(|t| t.to_string()).unwrap_or_default());
        feed(&self.updated_at.map(|t| t.to_string()).unwrap_or_default());
        format!("{h:016x}")
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct UpsertStats {
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
}

/// A position in the newest-first list: the (sort time, id) of the last post shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort_at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.sort_at, self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (a, b) = s.split_once('.')?;
        Some(Cursor { sort_at: a.parse().ok()?, id: b.parse().ok()? })
    }
}

#[derive(Debug, Clone, Default)]
pub struct PostQuery {
    pub source_id: Option<String>,
    pub before: Option<Cursor>,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub source_id: String,
    pub source_name_ko: String,
    pub source_name_en: String,
    pub entry_id: String,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    pub published_at: Option<i64>,
    pub sort_at: i64,
}

impl Post {
    pub fn cursor(&self) -> Cursor {
        Cursor { sort_at: self.sort_at, id: self.id }
    }
}
