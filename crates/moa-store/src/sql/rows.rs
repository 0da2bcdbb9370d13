//! Reading rows into the model, and the column lists and orders the queries that read them share.

use sqlx::Row as _;

use super::types::Row;
use crate::{
    ChangeCursor, Claimed, Company, ErrorKind, Health, Post, PostChange, PostText, Result, Scrap, SourceRow,
    SourceSpec, StoreError, Subscription, SubscriptionState, Validators,
};

pub(crate) fn scrap_from_row(row: &Row) -> Result<Scrap> {
    Ok(Scrap {
        id: row.try_get("id")?,
        month: row.try_get("month")?,
        section: row.try_get("section")?,
        position: row.try_get("position")?,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        commentary: row.try_get("commentary")?,
        post_id: row.try_get("post_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn spec_from_row(r: &Row) -> Result<SourceSpec> {
    Ok(SourceSpec {
        id: r.try_get("id")?,
        name_ko: r.try_get("name_ko")?,
        name_en: r.try_get("name_en")?,
        homepage: r.try_get("homepage")?,
        feed_url: r.try_get("feed_url")?,
        platform: r.try_get("platform")?,
        user_agent: r.try_get("user_agent")?,
    })
}

pub(crate) fn source_from_row(r: &Row) -> Result<SourceRow> {
    Ok(SourceRow {
        spec: spec_from_row(r)?,
        enabled: r.try_get("enabled")?,
        last_attempt_at: r.try_get("last_attempt_at")?,
        last_success_at: r.try_get("last_success_at")?,
        last_error: r.try_get("last_error")?,
        last_error_kind: error_kind(r.try_get("last_error_kind")?)?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        disabled_reason: r.try_get("disabled_reason")?,
        next_check_at: r.try_get("next_check_at")?,
        check_interval: r.try_get("check_interval")?,
        moved_to: r.try_get("moved_to")?,
        redirect_candidate: r.try_get("redirect_candidate")?,
        validators: Validators { etag: r.try_get("etag")?, last_modified: r.try_get("last_modified")? },
        post_count: r.try_get("post_count")?,
        last_post_at: r.try_get("last_post_at")?,
        origin: r.try_get("origin")?,
        selectors: r.try_get("selectors")?,
        health: Health {
            failing_since: r.try_get("failing_since")?,
            attempt_count: r.try_get("attempt_count")?,
            fetch_count: r.try_get("fetch_count")?,
            not_modified_count: r.try_get("not_modified_count")?,
            fetch_ms_total: r.try_get("fetch_ms_total")?,
            fetch_bytes_total: r.try_get("fetch_bytes_total")?,
            posts_last_year: r.try_get("posts_last_year")?,
            pages_skipped: r.try_get("pages_skipped")?,
        },
    })
}

pub(crate) fn subscription_from_row(r: &Row) -> Result<Subscription> {
    let state: String = r.try_get("state")?;
    Ok(Subscription {
        source_id: r.try_get("source_id")?,
        hub: r.try_get("hub")?,
        topic: r.try_get("topic")?,
        secret: r.try_get("secret")?,
        state: SubscriptionState::from_name(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("subscription state {state:?}")))?,
        lease_expires_at: r.try_get("lease_expires_at")?,
        requested_at: r.try_get("requested_at")?,
    })
}

/// A column that holds JSON (a post's categories, their labels, its topics), read.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A post of a query whose columns are [`post_columns`], first.
pub(crate) fn post_from_row(row: &Row) -> Result<Post> {
    post_from_row_at(row, 0)
}

/// A post whose columns ([`post_columns`]) are the row's from the `at`th on. Read by position: by name,
/// each of a list's 336 values was a look-up of its column's name.
pub(crate) fn post_from_row_at(row: &Row, at: usize) -> Result<Post> {
    post_from_columns(&SqlxRow(row), at)
}

/// A row's values by position, as sqlx's rows and SQLite's direct reads (rusqlite's) both give them.
pub(crate) trait Columns {
    fn int(&self, i: usize) -> Result<i64>;
    fn maybe_int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<String>;
    fn maybe_text(&self, i: usize) -> Result<Option<String>>;
}

/// An sqlx row, as [`Columns`] reads it (a type of its own: `Row` names an associated type, which Rust
/// cannot tell apart from other types implementing a trait).
struct SqlxRow<'a>(&'a Row);

impl Columns for SqlxRow<'_> {
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.0.try_get(i)?)
    }

    fn maybe_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.try_get(i)?)
    }

    fn text(&self, i: usize) -> Result<String> {
        Ok(self.0.try_get(i)?)
    }

    fn maybe_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.try_get(i)?)
    }
}

/// A post whose columns ([`post_columns`]) are the row's from the `at`th on.
pub(crate) fn post_from_columns(row: &impl Columns, at: usize) -> Result<Post> {
    Ok(Post {
        id: row.int(at)?,
        source_id: row.text(at + 1)?,
        source_name_ko: row.text(at + 2)?,
        source_name_en: row.text(at + 3)?,
        entry_id: row.text(at + 4)?,
        url: row.maybe_text(at + 5)?,
        title: row.text(at + 6)?,
        summary: row.maybe_text(at + 7)?,
        author: row.maybe_text(at + 8)?,
        thumbnail: row.maybe_text(at + 9)?,
        categories: json_column(&row.text(at + 10)?, "categories")?,
        category_labels: json_column(&row.text(at + 11)?, "category labels")?,
        topics: json_column(&row.text(at + 12)?, "topics")?,
        published_at: row.maybe_int(at + 13)?,
        sort_at: row.int(at + 14)?,
        clicks: row.int(at + 15)?,
    })
}

pub(crate) fn post_text_from_row(row: &Row) -> Result<PostText> {
    let json = |column: &str| -> Result<Vec<String>> { json_column(&row.try_get::<String, _>(column)?, column) };
    Ok(PostText {
        id: row.try_get("id")?,
        source_id: row.try_get("source_id")?,
        source_name_ko: row.try_get("name_ko")?,
        source_name_en: row.try_get("name_en")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        content_html: row.try_get("content_html")?,
        categories: json("categories")?,
        topics: json("topics")?,
        sort_at: row.try_get("sort_at")?,
        body_dropped: row.try_get("body_dropped")?,
    })
}

/// A change-log row (columns `tx`, `seq`, `post_id`, then the post's as `post_text_from_row`).
pub(crate) fn change_from_row(r: &Row) -> Result<PostChange> {
    let present: Option<i64> = r.try_get("id")?;
    let duplicate: Option<i64> = r.try_get("duplicate_of")?;
    let text = match (present, duplicate) {
        (Some(_), None) => Some(post_text_from_row(r)?),
        _ => None,
    };
    let cursor = ChangeCursor { tx: r.try_get("tx")?, seq: r.try_get("seq")? };
    Ok(PostChange { cursor, post_id: r.try_get("post_id")?, text })
}

pub(crate) fn claimed_from_row(r: &Row) -> Result<Claimed> {
    Ok(Claimed {
        id: r.try_get("id")?,
        name: r.try_get("name_ko")?,
        fetch_url: r.try_get("fetch_url")?,
        selectors: r.try_get("selectors")?,
        user_agent: r.try_get("user_agent")?,
        validators: Validators { etag: r.try_get("etag")?, last_modified: r.try_get("last_modified")? },
        check_interval: r.try_get("check_interval")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
    })
}

/// The companies as one row, a JSON array of [`CompanyTuple`]s (unordered: an ordered aggregate sorts
/// through a temporary table, a tenth of the query's time).
///
/// Why one row: sqlx-sqlite hands each row from its connection's thread to the task that reads it, a
/// wake-up per row; the home page's 150 companies as rows took most of its time (1,600 pages/s against
/// 4,000 as one row, at 100,000 posts). PostgreSQL sends one message instead of 150 as well.
macro_rules! companies_as_json {
    () => {
        concat!(
            super::rows::json_rows!(
                "id, name_ko, name_en, homepage, CASE WHEN enabled THEN 1 ELSE 0 END, post_count, last_post_at",
                ""
            ),
            " FROM sources"
        )
    };
}

/// `SELECT` of one text: the rows' `columns` gathered into a JSON array of arrays (`order`: the
/// aggregate's `ORDER BY …`, or empty), `[]` when there are none.
macro_rules! json_rows {
    ($columns:literal, $order:literal) => {
        concat!(
            "SELECT CAST(COALESCE(",
            fragment!(json_list),
            "(",
            fragment!(json_tuple),
            "(",
            $columns,
            ") ",
            $order,
            "), '[]') AS TEXT)"
        )
    };
}

/// The picker's key (see `crate::picker`): one row of `epoch` and `revisions`, read once per statement
/// (`LIMIT 1` keeps PostgreSQL from merging it into the query, which read `sources` twice for it).
macro_rules! picker_key {
    () => {
        "(SELECT (SELECT epoch FROM source_set) AS epoch,
                 (SELECT CAST(COALESCE(SUM(revision), 0) AS BIGINT) FROM sources) AS revisions LIMIT 1)"
    };
}

/// A company as [`companies_as_json`] writes it: id, names, home page, enabled (1 or 0), post count and
/// newest post.
type CompanyTuple = (String, String, String, String, i64, i64, Option<i64>);

/// The companies of [`companies_as_json`], in id order.
pub(crate) fn companies_from_json(json: &str) -> Result<Vec<Company>> {
    let mut tuples: Vec<CompanyTuple> =
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("the companies as JSON: {e}")))?;
    tuples.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(tuples
        .into_iter()
        .map(|(id, name_ko, name_en, homepage, enabled, post_count, last_post_at)| Company {
            id,
            name_ko,
            name_en,
            homepage,
            enabled: enabled != 0,
            post_count,
            last_post_at,
        })
        .collect())
}

/// The columns `post_from_row` reads, for every query that lists posts. The normalizer bounds what new
/// posts hold; the texts are cut here too, so that no stored row (one written before those bounds, or by
/// hand) can make a page that lists it unbounded.
macro_rules! post_columns {
    () => {
        "SELECT p.id, p.source_id, s.name_ko, s.name_en, p.entry_id, p.url, substr(p.title, 1, 500) AS title,
                substr(p.summary, 1, 1000) AS summary, substr(p.author, 1, 300) AS author,
                p.thumbnail, p.categories, p.category_labels, p.topics, p.published_at, p.sort_at, p.clicks"
    };
}

macro_rules! select_posts {
    () => {
        // The path from the modules that use it (beside this one in `sql`).
        concat!(super::rows::post_columns!(), " FROM posts p JOIN sources s ON s.id = p.source_id")
    };
}

/// Scraps in newsletter order: by month, the sections in the post's order, then position.
macro_rules! scrap_order {
    () => {
        " ORDER BY month, CASE section WHEN 'article' THEN 0 WHEN 'bookmark' THEN 1 WHEN 'news' THEN 2
          WHEN 'software' THEN 3 ELSE 4 END, position"
    };
}

pub(crate) use {companies_as_json, json_rows, picker_key, post_columns, scrap_order, select_posts};

fn error_kind(name: Option<String>) -> Result<Option<ErrorKind>> {
    name.map(|n| ErrorKind::from_name(&n).ok_or_else(|| StoreError::Corrupt(format!("error kind {n:?}")))).transpose()
}
