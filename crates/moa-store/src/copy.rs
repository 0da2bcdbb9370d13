//! Moving from SQLite to PostgreSQL: every table copied row for row (ids kept, so links, cursors and
//! scraps stay valid), in batches that each commit with a record of how far the copy got, so an
//! interrupted copy resumes where it stopped and never copies a row twice.
//!
//! The columns and their types are read from the PostgreSQL schema, which the migrations make the same as
//! SQLite's: a column added by a later migration is copied without this file changing.

use sqlx::postgres::{PgArguments, PgPool};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Arguments, Row};

use crate::{PgStore, Result, SqliteStore, StoreError};

/// Tables in the order their references need; each with its key, the copy's resume point. The search
/// change log is not copied: PostgreSQL's triggers log every copied post, so indexes build from it.
const TABLES: &[(&str, &[&str])] = &[
    ("sources", &["id"]),
    ("posts", &["id"]),
    ("tombstones", &["source_id", "entry_id"]),
    ("websub", &["source_id"]),
    ("clicks", &["post_id", "client"]),
    ("scraps", &["id"]),
    ("newsletters", &["month"]),
    ("users", &["name"]),
    ("sessions", &["token_hash"]),
    ("audit_log", &["id"]),
    ("sign_in_failures", &["key"]),
    ("store_settings", &["key"]),
];

/// Columns the target's triggers keep from the rows copied after them (a source's post count and newest
/// date, from its posts): copying them too would count every post twice.
const DERIVED: &[(&str, &str)] = &[("sources", "post_count"), ("sources", "last_post_at")];

/// Tables whose ids PostgreSQL generates: after the copy, their identities continue past the copied ids.
const IDENTITIES: &[&str] = &["posts", "scraps", "audit_log"];

/// Rows per batch (and per transaction on the target).
const BATCH: usize = 500;

/// One table's copy: rows in the source, rows in the target after the copy, rows copied by this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: &'static str,
    /// Its rows in SQLite.
    pub source_rows: i64,
    /// Its rows in PostgreSQL after the copy.
    pub target_rows: i64,
    /// The rows this run copied (fewer than all when it resumed an earlier one).
    pub copied_now: i64,
}

/// How a column's values are read from SQLite and bound for PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
}

/// One cell, as read; a key's cells are kept in `moa_copy` as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

/// One cell of a SQLite row.
fn read(row: &SqliteRow, column: &str, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get(column)?),
        Kind::Text => Value::Text(row.try_get(column)?),
        // SQLite keeps flags as 0 and 1.
        Kind::Bool => Value::Bool(row.try_get::<Option<i64>, _>(column)?.map(|v| v != 0)),
    })
}

/// Binds one cell for PostgreSQL.
fn bind(args: &mut PgArguments, value: &Value) -> Result<()> {
    let done = match value {
        Value::Int(v) => args.add(*v),
        Value::Text(v) => args.add(v.clone()),
        Value::Bool(v) => args.add(*v),
    };
    done.map_err(|e| StoreError::Corrupt(format!("cannot bind a value: {e}")))
}

/// Binds one cell of a key for SQLite.
fn bind_sqlite<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    value: &'q Value,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    query = match value {
        Value::Int(v) => query.bind(*v),
        Value::Text(v) => query.bind(v.as_deref()),
        Value::Bool(v) => query.bind(*v),
    };
    query
}

/// Copies every table of the SQLite store `from` into the PostgreSQL database `to` (migrated first, and
/// empty unless it holds an earlier, interrupted copy), then checks that each table has as many rows on
/// both sides. `progress` hears each committed batch: the table and its rows copied so far.
pub async fn sqlite_to_postgres(
    from: &str,
    to: &str,
    progress: &mut (dyn FnMut(&str, i64) + Send),
) -> Result<Vec<TableCopy>> {
    let source = SqliteStore::open(from).await?;
    let target = PgStore::open(to).await?;
    let (src, dst) = (source.reader(), target.writer());
    prepare_target(dst).await?;
    let mut report = Vec::new();
    for (table, key) in TABLES {
        report.push(copy_table(src, dst, table, key, progress).await?);
    }
    continue_identities(dst).await?;
    check_row_counts(&report)?;
    // Statistics for the planner now, not whenever autovacuum gets to the new tables: without them the
    // first pages planned scans (tag pages took over a second).
    sqlx::query("ANALYZE").execute(dst).await?;
    source.close().await;
    Ok(report)
}

/// Makes the record of how far the copy got, and refuses a target that holds moa data of its own (not
/// an earlier, interrupted copy's).
async fn prepare_target(dst: &PgPool) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS moa_copy (tbl TEXT PRIMARY KEY, last_key TEXT NOT NULL, rows BIGINT NOT NULL)",
    )
    .execute(dst)
    .await?;
    let resuming: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM moa_copy").fetch_one(dst).await?;
    let held: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM sources) + (SELECT COUNT(*) FROM users)")
        .fetch_one(dst)
        .await?;
    if resuming == 0 && held > 0 {
        return Err(StoreError::Conflict(
            "the PostgreSQL database holds moa data already; copy into a new, empty database".into(),
        ));
    }
    Ok(())
}

/// Copies one table in batches, from where an earlier run stopped, and counts its rows on both sides.
async fn copy_table(
    src: &SqlitePool,
    dst: &PgPool,
    table: &'static str,
    key: &[&str],
    progress: &mut (dyn FnMut(&str, i64) + Send),
) -> Result<TableCopy> {
    let columns = columns_of(dst, table).await?;
    let key_kinds: Vec<Kind> = key
        .iter()
        .map(|k| columns.iter().find(|(n, _)| n == k).map(|(_, kind)| *kind))
        .collect::<Option<_>>()
        .ok_or_else(|| StoreError::Corrupt(format!("{table}: its key is not among its columns")))?;
    let (mut last_key, mut rows) = resume_point(dst, table).await?;
    let mut copied_now = 0;
    loop {
        let batch = read_batch(src, table, key, &columns, last_key.as_deref()).await?;
        let Some(last) = batch.last() else { break };
        let next_key: Vec<Value> =
            key.iter().zip(&key_kinds).map(|(k, kind)| read(last, k, *kind)).collect::<Result<_>>()?;
        rows += batch.len() as i64;
        copied_now += batch.len() as i64;
        write_batch(dst, table, &columns, &batch, &next_key, rows).await?;
        progress(table, rows);
        last_key = Some(next_key);
        if batch.len() < BATCH {
            break;
        }
    }
    let count = format!("SELECT COUNT(*) FROM {table}");
    let source_rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone())).fetch_one(src).await?;
    let target_rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).fetch_one(dst).await?;
    Ok(TableCopy { table, source_rows, target_rows, copied_now })
}

/// A table's columns, in order, with how each is copied: as the PostgreSQL schema has them.
async fn columns_of(dst: &PgPool, table: &str) -> Result<Vec<(String, Kind)>> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(dst)
    .await?;
    Ok(columns
        .into_iter()
        .filter(|(name, _)| !DERIVED.contains(&(table, name.as_str())))
        .map(|(name, ty)| {
            let kind = match ty.as_str() {
                "bigint" => Kind::Int,
                "boolean" => Kind::Bool,
                _ => Kind::Text,
            };
            (name, kind)
        })
        .collect())
}

/// Where an earlier run's copy of a table stopped: the key of the last row copied, and the rows copied.
async fn resume_point(dst: &PgPool, table: &str) -> Result<(Option<Vec<Value>>, i64)> {
    let saved: Option<(String, i64)> =
        sqlx::query_as("SELECT last_key, rows FROM moa_copy WHERE tbl = $1").bind(table).fetch_optional(dst).await?;
    Ok(match saved {
        Some((key, rows)) => {
            (Some(serde_json::from_str(&key).map_err(|e| StoreError::Corrupt(format!("moa_copy {table}: {e}")))?), rows)
        }
        None => (None, 0),
    })
}

/// The next rows of a table in key order, after `after` (from the first without it).
async fn read_batch(
    src: &SqlitePool,
    table: &str,
    key: &[&str],
    columns: &[(String, Kind)],
    after: Option<&[Value]>,
) -> Result<Vec<SqliteRow>> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let key_list = key.join(", ");
    let sql = match after {
        Some(_) => {
            let placeholders = vec!["?"; key.len()].join(", ");
            format!(
                "SELECT {} FROM {table} WHERE ({key_list}) > ({placeholders}) ORDER BY {key_list} LIMIT {BATCH}",
                names.join(", ")
            )
        }
        None => format!("SELECT {} FROM {table} ORDER BY {key_list} LIMIT {BATCH}", names.join(", ")),
    };
    // Table and column names come from this file and the schema, never from input.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in after.into_iter().flatten() {
        query = bind_sqlite(query, value);
    }
    Ok(query.fetch_all(src).await?)
}

/// Inserts a batch, and records its last key as where the copy got to, in one transaction: a kill
/// between batches loses nothing and copies nothing twice.
async fn write_batch(
    dst: &PgPool,
    table: &str,
    columns: &[(String, Kind)],
    batch: &[SqliteRow],
    last_key: &[Value],
    rows: i64,
) -> Result<()> {
    let mut args = PgArguments::default();
    let mut values = Vec::with_capacity(batch.len());
    let mut n = 0;
    for row in batch {
        let cells: Vec<String> = columns
            .iter()
            .map(|(name, kind)| {
                bind(&mut args, &read(row, name, *kind)?)?;
                n += 1;
                Ok(format!("${n}"))
            })
            .collect::<Result<_>>()?;
        values.push(format!("({})", cells.join(", ")));
    }
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let insert =
        format!("INSERT INTO {table} ({}) VALUES {} ON CONFLICT DO NOTHING", names.join(", "), values.join(", "));
    let key_json = serde_json::to_string(last_key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = dst.begin().await?;
    sqlx::query_with(sqlx::AssertSqlSafe(insert), args).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO moa_copy (tbl, last_key, rows) VALUES ($1, $2, $3)
         ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, rows = excluded.rows",
    )
    .bind(table)
    .bind(&key_json)
    .bind(rows)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the ids PostgreSQL generates continue past the copied ones.
async fn continue_identities(dst: &PgPool) -> Result<()> {
    for table in IDENTITIES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )))
        .execute(dst)
        .await?;
    }
    Ok(())
}

/// Fails unless every table has as many rows in PostgreSQL as in SQLite.
fn check_row_counts(report: &[TableCopy]) -> Result<()> {
    let mismatched: Vec<String> = report
        .iter()
        .filter(|t| t.source_rows != t.target_rows)
        .map(|t| format!("{}: {} in SQLite, {} in PostgreSQL", t.table, t.source_rows, t.target_rows))
        .collect();
    if !mismatched.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "the copy does not match (was the SQLite store written to during the copy?): {}",
            mismatched.join("; ")
        )));
    }
    Ok(())
}
