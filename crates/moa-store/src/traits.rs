//! What a store does, one trait per concern; [`Store`] is all of them, which every backend is.

use std::path::Path;

use crate::{
    AuditEntry, Backlog, ChangeCursor, Claimed, Company, ListPage, NewPost, NewSource, NewsletterSettings, PageVisit,
    PoolStats, Post, PostChange, PostQuery, PostText, Result, Scrap, ScrapFields, Selection, Session, SourceCheck,
    SourceRow, SourceSpec, Subscription, SyncStats, UpsertStats, User,
};

/// Sources: the registry's sync, the operator's edits, and the settings the database keeps about itself.
#[async_trait::async_trait]
pub trait SourceStore: Send + Sync {
    /// Makes the stored sources match the registry: new ones added, changed ones updated, registry
    /// sources no longer listed disabled (their posts are kept).
    async fn sync_registry(&self, sources: &[SourceSpec], now: i64) -> Result<SyncStats>;

    /// A setting the database keeps about itself (`registry`: the registry it follows, "builtin" or the path
    /// of an operator's list; `tagger_version`: the topic dictionary its posts were tagged with).
    async fn setting(&self, key: &str) -> Result<Option<String>>;

    /// Sets a setting the database keeps about itself.
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;

    /// Every source with its state and post count, ordered by id.
    async fn sources(&self) -> Result<Vec<SourceRow>>;

    /// One source with its state and post count.
    async fn source(&self, id: &str) -> Result<Option<SourceRow>>;

    /// Every source readers may see (removed ones aside), as their pages list it, ordered by id: a read of
    /// the sources alone, since the store keeps each one's post count.
    async fn companies(&self) -> Result<Vec<Company>>;

    /// One source as readers' pages show it.
    async fn company(&self, id: &str) -> Result<Option<Company>>;

    /// Adds a source from the console (origin `operator`); a source with the same id is a conflict.
    async fn add_source(&self, source: &NewSource, now: i64) -> Result<()>;

    /// Changes a source; it becomes the operator's (the registry no longer updates it). A new feed URL
    /// drops the old one's validators and redirects and makes the source due. False when there is none.
    async fn update_source(&self, id: &str, source: &NewSource) -> Result<bool>;

    /// Enables (due at once) or disables a source, with the reason shown on the health page.
    async fn set_source_enabled(&self, id: &str, enabled: bool, reason: Option<&str>) -> Result<bool>;

    /// Makes a source due now.
    async fn make_due(&self, id: &str) -> Result<bool>;

    /// Deletes a source with its posts, or retires it (`removed`: not crawled, not listed, its posts kept).
    async fn delete_source(&self, id: &str, with_posts: bool) -> Result<Option<u64>>;
}

/// The crawler's side: claiming due sources, storing what their checks brought, WebSub subscriptions.
#[async_trait::async_trait]
pub trait CrawlStore: Send + Sync {
    /// Hands sources to a crawler: each selected source's `next_check_at` is set to `lease_until` in
    /// the same transaction, before anything is fetched, so a crash mid-fetch delays the source instead
    /// of looping on it, and two crawlers never take one source within the lease.
    async fn claim(&self, selection: &Selection, now: i64, lease_until: i64) -> Result<Vec<Claimed>>;

    /// Stores the posts of one successful fetch and the source's new state (validators, schedule,
    /// redirect) in one transaction: a crash leaves either all of it or none. Posts are keyed by
    /// (source, entry id): an edited post is updated, an unchanged one not written, a deleted one
    /// (tombstone) not stored again. A new post that another source already has is marked its duplicate.
    async fn store_fetch(&self, check: &SourceCheck, posts: &[NewPost]) -> Result<UpsertStats>;

    /// Stores posts a WebSub hub pushed, leaving the source's fetch state alone.
    async fn store_pushed(&self, source_id: &str, at: i64, posts: &[NewPost]) -> Result<UpsertStats>;

    /// Records checks that brought no posts (304s and failures), many in one transaction.
    async fn record_checks(&self, checks: &[SourceCheck]) -> Result<()>;

    /// The article page of a post was read: its image, when one was found and the post has none, and the
    /// date it states, when the post has none (the post is then listed at that date).
    async fn set_page_facts(&self, post_id: i64, image: Option<&str>, published: Option<i64>) -> Result<()>;

    /// A source's posts whose article page has not been read and is worth reading (no picture or no
    /// date), newest first: a crawl reads a few of them, later crawls the rest.
    async fn pages_to_visit(&self, source_id: &str, limit: u32) -> Result<Vec<PageVisit>>;

    /// A source's WebSub subscription.
    async fn subscription(&self, source_id: &str) -> Result<Option<Subscription>>;

    /// Stores a source's WebSub subscription, replacing the one it had.
    async fn save_subscription(&self, subscription: &Subscription) -> Result<()>;

    /// Enabled sources due at `now`.
    async fn backlog(&self, now: i64) -> Result<Backlog>;
}

/// Posts: lists and look-ups, texts and topics for the tagger, deletion for good, and retention.
#[async_trait::async_trait]
pub trait PostStore: Send + Sync {
    /// Posts newest first, after the cursor, optionally of one source.
    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>>;

    /// A list's page in one read: its posts as [`PostStore::posts`] gives them, and the companies it
    /// shows (the one of `query.source_id`, retired or not, none when there is no such source; else every
    /// company not removed, in id order).
    async fn list_page(&self, query: &PostQuery) -> Result<ListPage>;

    /// How many posts there are, of one source or of all.
    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64>;

    /// The post with this id.
    async fn post(&self, id: i64) -> Result<Option<Post>>;

    /// The post whose link is exactly this URL (the first copy, when several feeds carry it).
    async fn post_by_url(&self, url: &str) -> Result<Option<Post>>;

    /// These posts, in the order of `ids`; ids of no post are skipped.
    async fn posts_by_ids(&self, ids: &[i64]) -> Result<Vec<Post>>;

    /// Posts by id after `after_id`, duplicates included: for retagging every post.
    async fn post_texts(&self, after_id: i64, limit: u32) -> Result<Vec<PostText>>;

    /// Sets posts' topics (which logs a change for each post whose topics differ).
    async fn set_topics(&self, topics: &[(i64, Vec<String>)]) -> Result<u64>;

    /// Deletes a post for good: a tombstone keeps the crawler from storing it again. False when no post
    /// has that id.
    async fn delete_post(&self, post_id: i64) -> Result<bool>;

    /// Keeps post bodies (`content_html`) only for posts dated at or after `before`; titles, summaries and
    /// links stay. The number of bodies dropped.
    async fn drop_bodies_before(&self, before: i64) -> Result<u64>;
}

/// The log of post changes the search index follows.
#[async_trait::async_trait]
pub trait ChangeLog: Send + Sync {
    /// The change log after `after`, oldest first, with each post's text as it is now. Only changes no
    /// later read can come before: a follower that read up to a change never misses an earlier one.
    async fn post_changes(&self, after: ChangeCursor, limit: u32) -> Result<Vec<PostChange>>;

    /// The place of the change log's last change (the default when empty).
    async fn last_change(&self) -> Result<ChangeCursor>;
}

/// Outbound clicks, and the posts they make popular.
#[async_trait::async_trait]
pub trait ClickStore: Send + Sync {
    /// Counts an outbound click on a post, unless the same client's last counted click on it was less
    /// than `window` seconds ago. True when counted; false too when no post has that id.
    async fn record_click(&self, post_id: i64, client: &str, at: i64, window: i64) -> Result<bool>;

    /// Posts since `since` with at least one click, most clicked first: the candidates for "popular".
    async fn clicked_posts(&self, since: i64, limit: u32) -> Result<Vec<Post>>;
}

/// The curator's newsletter: scraps in order, and each month's settings.
#[async_trait::async_trait]
pub trait CurationStore: Send + Sync {
    /// Scraps in newsletter order (month, section, position); of one month, or all.
    async fn scraps(&self, month: Option<&str>) -> Result<Vec<Scrap>>;

    /// The scrap with this id.
    async fn scrap(&self, id: i64) -> Result<Option<Scrap>>;

    /// The scrap of this month with this link.
    async fn scrap_by_url(&self, month: &str, url: &str) -> Result<Option<Scrap>>;

    /// Adds a scrap at the end of its month's section.
    async fn add_scrap(&self, fields: &ScrapFields, now: i64) -> Result<Scrap>;

    /// Sets a scrap's fields; one moved to another month or section goes to the end there. False when
    /// no scrap has that id.
    async fn update_scrap(&self, id: i64, fields: &ScrapFields, now: i64) -> Result<bool>;

    /// Moves a scrap to a 1-based position within its section (clamped to the section's length).
    async fn move_scrap(&self, id: i64, position: i64) -> Result<bool>;

    /// Deletes a scrap, closing the gap it leaves. False when no scrap has that id.
    async fn delete_scrap(&self, id: i64) -> Result<bool>;

    /// A month's post settings, once saved.
    async fn newsletter_settings(&self, month: &str) -> Result<Option<NewsletterSettings>>;

    /// Saves a month's post settings.
    async fn save_newsletter_settings(&self, settings: &NewsletterSettings) -> Result<()>;
}

/// Accounts: users and passwords, sessions, and the throttling of failed sign-ins.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a curator or sets a new password (which ends the user's sessions). True when created.
    async fn set_user_password(&self, name: &str, password_hash: &str, now: i64) -> Result<bool>;

    /// The user's password hash, when there is such a user.
    async fn user_password_hash(&self, name: &str) -> Result<Option<String>>;

    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>>;

    /// Sets a user's role (`curator` or `operator`). False when there is no such user.
    async fn set_user_role(&self, name: &str, role: &str) -> Result<bool>;

    /// Deletes a user and their sessions.
    async fn delete_user(&self, name: &str) -> Result<bool>;

    /// Stores a new session, dropping expired ones.
    async fn create_session(&self, session: &Session) -> Result<()>;

    /// The unexpired session with this token hash.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>>;

    /// Ends the session with this token hash.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// How many seconds the most blocked of these sign-in keys must still wait: each may fail
    /// `max_failures` times within `window` seconds.
    async fn sign_in_blocked(&self, keys: &[String], now: i64, max_failures: i64, window: i64) -> Result<Option<i64>>;

    /// The failures counted against each of these keys in the current window (keys with none are left out).
    async fn sign_in_failures(&self, keys: &[String], now: i64, window: i64) -> Result<Vec<(String, i64)>>;

    /// Counts a failed sign-in against each key (a new window when the last one is over).
    async fn sign_in_failed(&self, keys: &[String], now: i64, window: i64) -> Result<()>;

    /// Forgets the keys' failures, and every failure older than `before`.
    async fn sign_in_succeeded(&self, keys: &[String], before: i64) -> Result<()>;
}

/// The audit log of operators' actions.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Records that `user_name` did `action` to `target`.
    async fn audit(&self, at: i64, user_name: &str, action: &str, target: &str, detail: &str) -> Result<()>;

    /// The audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Running the database: backups, health, pools, and the write counter caches watch.
#[async_trait::async_trait]
pub trait Operations: Send + Sync {
    /// A consistent copy of the whole database, taken while it is in use, written to a new file.
    async fn backup(&self, path: &Path) -> Result<()>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// The connection pools in use.
    fn pool_stats(&self) -> PoolStats;

    /// A number that grows with every write this process commits: caches in front of the store compare
    /// it to drop what a write made stale. Writes by other processes do not move it.
    fn version(&self) -> u64;
}

/// All of moa's storage, as [`crate::open`] returns it; its supertraits' methods need no import on `dyn Store`.
pub trait Store:
    SourceStore
    + CrawlStore
    + PostStore
    + ChangeLog
    + ClickStore
    + CurationStore
    + AccountStore
    + AuditStore
    + Operations
    + 'static
{
}

impl<T> Store for T where
    T: SourceStore
        + CrawlStore
        + PostStore
        + ChangeLog
        + ClickStore
        + CurationStore
        + AccountStore
        + AuditStore
        + Operations
        + 'static
{
}
