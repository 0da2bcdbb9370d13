//! Connections for the lists every page shows, lent one statement at a time.
//!
//! Why not sqlx's pool: it pings each connection as it comes back (a `Sync` and its answer, in case a
//! cancelled statement left the connection mid-answer), so every page cost the database two round trips
//! instead of one (perf: the pool's return a fifth of the server's time on the home page). A connection
//! lent here goes back as it is once its statement was answered in full. One dropped before that (the
//! reader hung up mid-page, and the page's future with it) is pinged in a task of its own, which drains
//! what its statement left, and goes back if it answers: closing it would cost a new server process for
//! every hang-up.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Result, StoreError};

/// A connection idle longer than this is pinged before it is lent (the server may have closed it); the pools
/// ping theirs past the same age (see `pool`).
pub(super) const TRUSTED_IDLE: Duration = Duration::from_secs(1);

pub(crate) struct Lender {
    options: PgConnectOptions,
    /// One permit per connection this process may hold open for lists.
    permits: Arc<Semaphore>,
    idle: Idle,
}

type Idle = Arc<Mutex<Vec<(PgConnection, Instant)>>>;

/// A connection lent, with its permit (see [`Lent::give_back`], and the module doc for a drop).
pub(crate) struct Lent {
    /// `None` once given back.
    conn: Option<PgConnection>,
    idle: Idle,
    permit: Option<OwnedSemaphorePermit>,
}

impl Lender {
    pub(crate) fn new(options: PgConnectOptions, max_connections: usize) -> Self {
        Self { options, permits: Arc::new(Semaphore::new(max_connections)), idle: Idle::default() }
    }

    /// A connection, once one of the permits is free: an idle one (pinged when idle long), or a new one.
    pub(crate) async fn lend(&self) -> Result<Lent> {
        // The semaphore is never closed.
        let permit =
            Arc::clone(&self.permits).acquire_owned().await.map_err(|e| StoreError::Unsupported(e.to_string()))?;
        loop {
            let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let Some((mut conn, idle_since)) = taken else { break };
            if idle_since.elapsed() < TRUSTED_IDLE || conn.ping().await.is_ok() {
                return Ok(self.lent(conn, permit));
            }
        }
        let conn = self.options.connect().await?;
        Ok(self.lent(conn, permit))
    }

    fn lent(&self, conn: PgConnection, permit: OwnedSemaphorePermit) -> Lent {
        Lent { conn: Some(conn), idle: Arc::clone(&self.idle), permit: Some(permit) }
    }
}

impl Lent {
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection> {
        self.conn.as_mut().ok_or_else(|| StoreError::Unsupported("a connection used after it was given back".into()))
    }

    /// Returns the connection for the next read: call once its statement is answered in full.
    pub(crate) fn give_back(mut self) {
        if let Some(conn) = self.conn.take() {
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push((conn, Instant::now()));
        }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        let (Some(mut conn), Ok(runtime)) = (self.conn.take(), tokio::runtime::Handle::try_current()) else { return };
        let (idle, permit) = (Arc::clone(&self.idle), self.permit.take());
        runtime.spawn(async move {
            // Holds the permit until then: the connection still counts against the limit.
            let _permit = permit;
            if conn.ping().await.is_ok() {
                idle.lock().unwrap_or_else(PoisonError::into_inner).push((conn, Instant::now()));
            }
        });
    }
}
