//! Moving from SQLite to PostgreSQL: every table copied row for row (ids kept, so links, cursors and
//! scraps stay valid), in batches that each commit with a record of how far the copy got, so an
//! interrupted copy resumes where it stopped and never copies a row twice.
//!
//! The columns and their types are read from the PostgreSQL schema, which the migrations make the same as
//! SQLite's: a column added by a later migration is copied without this file changing.

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
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

/// Tables whose ids PostgreSQL generates: after the copy, their identities continue past the copied ids.
const IDENTITIES: &[&str] = &["posts", "scraps", "audit_log"];

/// Rows per batch (and per transaction on the target).
const BATCH: usize = 500;

/// One table's copy: rows in the source, rows in the target after the copy, rows copied by this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub source_rows: i64,
    pub target_rows: i64,
    pub copied_now: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

fn read(row: &SqliteRow, column: &str, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get(column)?),
        Kind::Text => Value::Text(row.try_get(column)?),
        // SQLite keeps flags as 0 and 1.
        Kind::Bool => Value::Bool(row.try_get::<Option<i64>, _>(column)?.map(|v| v != 0)),
    })
}

fn bind(args: &mut PgArguments, value: &Value) -> Result<()> {
    let done = match value {
        Value::Int(v) => args.add(*v),
        Value::Text(v) => args.add(v.clone()),
        Value::Bool(v) => args.add(*v),
    };
    done.map_err(|e| StoreError::Corrupt(format!("cannot bind a value: {e}")))
}

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
    let (src, dst) = (source.reader(), target.pool());
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
    let mut report = Vec::new();
    for (table, key) in TABLES {
        let columns: Vec<(String, Kind)> = sqlx::query_as::<_, (String, String)>(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(dst)
        .await?
        .into_iter()
        .map(|(name, ty)| {
            let kind = match ty.as_str() {
                "bigint" => Kind::Int,
                "boolean" => Kind::Bool,
                _ => Kind::Text,
            };
            (name, kind)
        })
        .collect();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let key_kinds: Vec<Kind> = key
            .iter()
            .map(|k| columns.iter().find(|(n, _)| n == k).map(|(_, kind)| *kind))
            .collect::<Option<_>>()
            .ok_or_else(|| StoreError::Corrupt(format!("{table}: its key is not among its columns")))?;
        let saved: Option<(String, i64)> = sqlx::query_as("SELECT last_key, rows FROM moa_copy WHERE tbl = $1")
            .bind(table)
            .fetch_optional(dst)
            .await?;
        let (mut last_key, mut rows): (Option<Vec<Value>>, i64) = match saved {
            Some((key, rows)) => (
                Some(serde_json::from_str(&key).map_err(|e| StoreError::Corrupt(format!("moa_copy {table}: {e}")))?),
                rows,
            ),
            None => (None, 0),
        };
        let mut copied_now = 0;
        let key_list = key.join(", ");
        loop {
            let placeholders = vec!["?"; key.len()].join(", ");
            let sql = match &last_key {
                Some(_) => format!(
                    "SELECT {} FROM {table} WHERE ({key_list}) > ({placeholders}) ORDER BY {key_list} LIMIT {BATCH}",
                    names.join(", ")
                ),
                None => format!("SELECT {} FROM {table} ORDER BY {key_list} LIMIT {BATCH}", names.join(", ")),
            };
            // Table and column names come from this file and the schema, never from input.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in last_key.iter().flatten() {
                query = bind_sqlite(query, value);
            }
            let batch = query.fetch_all(src).await?;
            let Some(last) = batch.last() else { break };
            let next_key: Vec<Value> =
                key.iter().zip(&key_kinds).map(|(k, kind)| read(last, k, *kind)).collect::<Result<_>>()?;
            let mut args = PgArguments::default();
            let mut values = Vec::with_capacity(batch.len());
            let mut n = 0;
            for row in &batch {
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
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES {} ON CONFLICT DO NOTHING",
                names.join(", "),
                values.join(", ")
            );
            rows += batch.len() as i64;
            copied_now += batch.len() as i64;
            let key_json = serde_json::to_string(&next_key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // The rows and the resume point commit together: a kill between batches loses nothing and
            // copies nothing twice.
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
            progress(table, rows);
            last_key = Some(next_key);
            if batch.len() < BATCH {
                break;
            }
        }
        let source_rows: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(src).await?;
        let target_rows: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(dst).await?;
        report.push(TableCopy { table, source_rows, target_rows, copied_now });
    }
    for table in IDENTITIES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )))
        .execute(dst)
        .await?;
    }
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
    source.close().await;
    Ok(report)
}
