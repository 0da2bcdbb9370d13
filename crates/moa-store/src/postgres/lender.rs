//! Connections for the lists every page shows, lent one statement at a time.
//!
//! Why not sqlx's pool: it pings each connection as it comes back (a `Sync` and its answer, in case a
//! cancelled statement left the connection mid-answer), so every page cost the database two round trips
//! instead of one (perf: the pool's return a fifth of the server's time on the home page). A connection
//! lent here goes back only after its statement was answered in full, so it needs no such test; one
//! whose statement failed or was cancelled is closed instead.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Result, StoreError};

/// A connection idle longer than this is pinged before it is lent (the server may have closed it), as
/// the pools' are (see `pool`).
const TRUSTED_IDLE: Duration = Duration::from_secs(1);

pub(crate) struct Lender {
    options: PgConnectOptions,
    /// One permit per connection this process may hold open for lists.
    permits: Semaphore,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
}

/// A connection lent, with its permit; closed when dropped unless [`Lent::give_back`] returned it.
pub(crate) struct Lent<'a> {
    conn: PgConnection,
    lender: &'a Lender,
    _permit: SemaphorePermit<'a>,
}

impl Lender {
    pub(crate) fn new(options: PgConnectOptions, max_connections: usize) -> Self {
        Self { options, permits: Semaphore::new(max_connections), idle: Mutex::new(Vec::new()) }
    }

    /// A connection, once one of the permits is free: an idle one (pinged when idle long), or a new one.
    pub(crate) async fn lend(&self) -> Result<Lent<'_>> {
        // The semaphore is never closed.
        let permit = self.permits.acquire().await.map_err(|e| StoreError::Unsupported(e.to_string()))?;
        loop {
            let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let Some((mut conn, idle_since)) = taken else { break };
            if idle_since.elapsed() < TRUSTED_IDLE || conn.ping().await.is_ok() {
                return Ok(Lent { conn, lender: self, _permit: permit });
            }
        }
        let conn = self.options.connect().await?;
        Ok(Lent { conn, lender: self, _permit: permit })
    }
}

impl Lent<'_> {
    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Returns the connection for the next read: call once its statement is answered in full.
    pub(crate) fn give_back(self) {
        self.lender.idle.lock().unwrap_or_else(PoisonError::into_inner).push((self.conn, Instant::now()));
    }
}
