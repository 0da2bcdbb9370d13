//! What a write must do, decided the same way for both backends, which only run the statements: a
//! fetch's posts (insert, update, or leave: unchanged or deleted for good) and a registry sync (which
//! sources to write, which to disable).

use std::collections::{HashMap, HashSet};

use crate::{
    Created, NewPost, REMOVED_FROM_REGISTRY, Result, SourceSpec, StoreError, SyncStats, UpsertStats, title_key, url_key,
};

/// A post of one fetch that needs writing.
pub(crate) struct Write<'a> {
    pub index: usize,
    pub post: &'a NewPost,
    pub hash: String,
    pub categories: String,
    pub category_labels: String,
    pub topics: String,
    pub url_key: Option<String>,
    pub title_key: Option<String>,
    pub sort_at: i64,
    pub is_new: bool,
    /// Set by the backend's twin lookup: the first copy of this article in another source.
    pub duplicate_of: Option<i64>,
}

/// The posts to write, given the source's stored posts (entry id → content hash) and tombstones; the
/// unchanged and tombstoned ones are counted in `stats` and skipped.
pub(crate) fn plan<'a>(
    posts: &'a [NewPost],
    at: i64,
    known: &HashMap<String, String>,
    tombstones: &HashSet<String>,
    stats: &mut UpsertStats,
) -> Vec<Write<'a>> {
    let mut writes = Vec::new();
    // On a source's first fetch an undated post is no news: it is listed after the fetch's dated posts, in
    // feed order, not at the fetch time. On later fetches an undated post is dated by its first sight.
    let first_fetch = known.is_empty() && tombstones.is_empty();
    let oldest_dated = posts.iter().filter_map(|p| p.published_at.or(p.updated_at)).min();
    let mut undated_seen = 0;
    for (index, post) in posts.iter().enumerate() {
        let hash = post.content_hash();
        let is_new = match known.get(&post.entry_id) {
            Some(old) if *old == hash => {
                stats.unchanged += 1;
                continue;
            }
            Some(_) => false,
            None if tombstones.contains(&post.entry_id) => {
                stats.tombstoned += 1;
                continue;
            }
            None => true,
        };
        let sort_at = match post.published_at.or(post.updated_at) {
            Some(t) => t,
            None if first_fetch => {
                undated_seen += 1;
                oldest_dated.map_or(at, |oldest| oldest.min(at)) - undated_seen
            }
            None => at,
        };
        writes.push(Write {
            index,
            post,
            hash,
            categories: serde_json::to_string(&post.categories).unwrap_or_else(|_| "[]".into()),
            category_labels: serde_json::to_string(&post.category_labels).unwrap_or_else(|_| "{}".into()),
            topics: serde_json::to_string(&post.topics).unwrap_or_else(|_| "[]".into()),
            url_key: post.url.as_deref().and_then(url_key),
            title_key: title_key(&post.title),
            sort_at,
            is_new,
            duplicate_of: None,
        });
    }
    writes
}

/// Counts what was written: new posts with the ids they got (entry id → post id), the rest as updates.
pub(crate) fn count(writes: &[Write<'_>], ids: &HashMap<String, i64>, stats: &mut UpsertStats) -> Result<()> {
    for w in writes {
        if w.is_new {
            stats.new += 1;
            let id =
                *ids.get(&w.post.entry_id).ok_or_else(|| StoreError::Corrupt("an insert returned no id".into()))?;
            stats.created.push(Created { id, index: w.index, duplicate_of: w.duplicate_of });
        } else {
            stats.updated += 1;
        }
    }
    Ok(())
}

/// A registry source as stored, by id: its spec, whether it is enabled, and why not.
pub(crate) type Registered = HashMap<String, (SourceSpec, bool, Option<String>)>;

/// What a registry sync writes.
pub(crate) struct RegistrySync<'a> {
    /// Sources to insert, or update to the registry's spec.
    pub write: Vec<&'a SourceSpec>,
    /// Enabled registry sources the registry no longer lists: to disable (their posts are kept).
    pub unlisted: Vec<&'a str>,
    pub stats: SyncStats,
}

/// Compares the registry with what is stored. Sources an operator added, edited or removed are theirs:
/// the registry leaves them be.
pub(crate) fn registry_sync<'a>(
    sources: &'a [SourceSpec],
    existing: &'a Registered,
    operators: &HashSet<String>,
) -> RegistrySync<'a> {
    let mut stats = SyncStats::default();
    let mut write = Vec::new();
    for s in sources {
        if operators.contains(&s.id) {
            continue;
        }
        match existing.get(&s.id) {
            // A source the crawler disabled (410 Gone) or an operator disabled stays disabled until the
            // registry gives it another feed URL.
            Some((old, enabled, reason))
                if old == s && (*enabled || reason.as_deref().is_some_and(|r| r != REMOVED_FROM_REGISTRY)) =>
            {
                continue;
            }
            Some(_) => stats.updated += 1,
            None => stats.added += 1,
        }
        write.push(s);
    }
    let listed: HashSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
    let mut unlisted: Vec<&str> = existing
        .iter()
        .filter(|(id, (_, enabled, _))| *enabled && !listed.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    unlisted.sort_unstable();
    stats.disabled = unlisted.len() as u32;
    RegistrySync { write, unlisted, stats }
}
