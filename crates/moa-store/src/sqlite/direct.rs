//! The lists every page shows, read on the caller's thread.
//!
//! Why: sqlx runs each SQLite statement on its connection's own thread and wakes the caller with the
//! answer. A list's statement reads a page of rows off an index in a few tens of microseconds, and the
//! hand-overs around it cost more: 4.8 context switches per home page, a quarter of the server's CPU
//! (perf, 100,000 posts, BENCHMARKS.md). So these reads go through connections of their own, run where they
//! are asked for: on the runtime's thread, which a list's bounded statement holds no longer than the
//! hand-over would have. Everything else reads through sqlx's pool.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Row};

use crate::Result;

/// Connections kept open between reads: one per thread that reads at once, and a few more.
const IDLE_CONNECTIONS: usize = 16;

/// A statement to read directly: its text, with a `?` per value, and the values in order.
#[derive(Default)]
pub(crate) struct DirectStatement {
    pub(super) sql: String,
    pub(super) values: Vec<Value>,
}

/// Read-only connections to the store's file, lent to one read at a time.
pub(crate) struct DirectReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl DirectReader {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, idle: Mutex::new(Vec::new()) }
    }

    /// A connection as the sqlx readers are made: read-only, waiting on a lock as long, and keeping each
    /// statement's plan (see `stable_plans`).
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Pages read from the mapped file, not copied by a `pread` each: an older page's rows lie all over the
        // file (the random cursor: 4,466 → 6,921 pages/s). Mapped pages are the kernel's page cache, not ours.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
        Ok(conn)
    }

    /// Runs `statement` and reads each row it answers with `read`.
    pub(crate) fn read_rows<T>(
        &self,
        statement: &DirectStatement,
        mut read: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let answer = run(&conn, statement, &mut read);
        // A connection whose statement failed is dropped: the next read opens a fresh one.
        if answer.is_ok() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
        answer
    }

    /// Closes the idle connections (the file is about to be replaced); later reads open new ones.
    pub(crate) fn close(&self) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

fn run<T>(
    conn: &Connection,
    statement: &DirectStatement,
    read: &mut impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut prepared = conn.prepare_cached(&statement.sql)?;
    let mut rows = prepared.query(rusqlite::params_from_iter(&statement.values))?;
    let mut read_rows = Vec::new();
    while let Some(row) = rows.next()? {
        read_rows.push(read(row)?);
    }
    Ok(read_rows)
}
